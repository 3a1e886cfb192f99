/* A program linked statically against libmlp.a, libmlp_mpi.a and
 * libmlp_onnx.a (check_static.sh): the training loop inside libmlp and
 * the one inside libmlp_mpi, in both precisions, and the ONNX export and
 * import. On one rank mlp_mpi_fit must give bitwise the parameters of
 * mlp_fit (mlp_mpi.h says so), and an exported model must import to the
 * same parameters (mlp_onnx.h). Usage: static_consumer SCRATCH_FILE.onnx */
#include <mlp.h>
#include <mlp_mpi.h>
#include <mlp_onnx.h>

#include <mpi.h>
#include <stdio.h>
#include <string.h>

enum { N = 64 };

static int fail(const char *what, mlp_status s)
{
    fprintf(stderr, "FAIL: %s: %s\n", what, mlp_strerror(s));
    return 1;
}

/* Both loops on the same data from the same start: same bits. */
static int fits_agree(void)
{
    static double X[2 * N], T[N];
    for (int i = 0; i < N; i++) {
        X[2 * i] = (i % 8) / 8.0;
        X[2 * i + 1] = (i / 8) / 8.0;
        T[i] = X[2 * i] > X[2 * i + 1];
    }
    const size_t sizes[] = { 2, 6, 1 };
    mlp_t *a = NULL, *b = NULL;
    mlp_status s = mlp_create(&a, 2, sizes, NULL, MLP_MSE, 7);
    if (s == MLP_OK)
        s = mlp_create(&b, 2, sizes, NULL, MLP_MSE, 7);
    mlp_fit_options o;
    mlp_fit_defaults(&o);
    o.epochs = 20;
    o.batch_size = 8;
    mlp_fit_result ra, rb;
    if (s == MLP_OK)
        s = mlp_fit(a, N, X, T, &o, &ra);
    if (s == MLP_OK)
        s = mlp_mpi_fit(b, N, X, T, &o, &rb, MPI_COMM_WORLD);
    int rc = s != MLP_OK ? fail("mlp_fit / mlp_mpi_fit", s) : 0;
    if (rc == 0 && memcmp(mlp_params(a), mlp_params(b),
                          mlp_n_params(a) * sizeof(double)) != 0) {
        fprintf(stderr, "FAIL: mlp_mpi_fit on one rank differs from mlp_fit\n");
        rc = 1;
    }
    mlp_free(a);
    mlp_free(b);
    return rc;
}

static int float_fits_agree(void)
{
    static float X[2 * N], T[N];
    for (int i = 0; i < N; i++) {
        X[2 * i] = (float)(i % 8) / 8.0f;
        X[2 * i + 1] = (float)(i / 8) / 8.0f;
        T[i] = X[2 * i] > X[2 * i + 1];
    }
    const size_t sizes[] = { 2, 6, 1 };
    mlpf_t *a = NULL, *b = NULL;
    mlp_status s = mlpf_create(&a, 2, sizes, NULL, MLP_MSE, 7);
    if (s == MLP_OK)
        s = mlpf_create(&b, 2, sizes, NULL, MLP_MSE, 7);
    mlp_fit_options o;
    mlp_fit_defaults(&o);
    o.epochs = 20;
    o.batch_size = 8;
    mlp_fit_result ra, rb;
    if (s == MLP_OK)
        s = mlpf_fit(a, N, X, T, &o, &ra);
    if (s == MLP_OK)
        s = mlpf_mpi_fit(b, N, X, T, &o, &rb, MPI_COMM_WORLD);
    int rc = s != MLP_OK ? fail("mlpf_fit / mlpf_mpi_fit", s) : 0;
    if (rc == 0 && memcmp(mlpf_params(a), mlpf_params(b),
                          mlpf_n_params(a) * sizeof(float)) != 0) {
        fprintf(stderr, "FAIL: mlpf_mpi_fit on one rank differs from mlpf_fit\n");
        rc = 1;
    }
    mlpf_free(a);
    mlpf_free(b);
    return rc;
}

static int onnx_round_trip(const char *path)
{
    const size_t sizes[] = { 3, 5, 2 };
    mlp_t *net = NULL, *back = NULL;
    char why[256] = "";
    mlp_status s = mlp_create(&net, 2, sizes, NULL, MLP_MSE, 3);
    if (s == MLP_OK)
        s = mlp_onnx_export(net, path);
    if (s == MLP_OK)
        s = mlp_onnx_import(&back, path, MLP_MSE, why, sizeof why);
    int rc = s != MLP_OK ? fail(why[0] ? why : "ONNX export / import", s) : 0;
    if (rc == 0 && memcmp(mlp_params(net), mlp_params(back),
                          mlp_n_params(net) * sizeof(double)) != 0) {
        fprintf(stderr, "FAIL: the imported ONNX model differs\n");
        rc = 1;
    }
    mlp_free(net);
    mlp_free(back);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: static_consumer SCRATCH_FILE.onnx\n");
        return 2;
    }
    MPI_Init(&argc, &argv);
    int rc = fits_agree() | float_fits_agree() | onnx_round_trip(argv[1]);
    MPI_Finalize();
    if (rc == 0)
        printf("PASS: libmlp %s: both training loops, both precisions, ONNX\n",
               mlp_version());
    return rc;
}
