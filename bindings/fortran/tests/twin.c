/* twin.c - the C side of the Fortran bindings' bitwise test: the calls of
 * twin.f90, made from C. Both print every number they get as the hex of
 * its bits, in the same lines, and the test requires the two outputs to be
 * identical: the bindings pass the caller's arrays through unchanged (the
 * Fortran X(n_0, batch) being C's batch x n_0), map every argument to the
 * right C parameter, and agree with mlp.h on every constant and struct.
 * Run with one BLAS thread (bitwise reproducibility needs it).
 * Usage: twin MODEL_FILE_PATH HOUSING_CSV */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"

static void bits(const char *label, const double *a, size_t n)
{
    printf("%s", label);
    for (size_t i = 0; i < n; i++) {
        uint64_t u;
        memcpy(&u, &a[i], sizeof u);
        printf(" %016" PRIX64, u);
    }
    printf("\n");
}

static void fbits(const char *label, const float *a, size_t n)
{
    printf("%s", label);
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &a[i], sizeof u);
        printf(" %08" PRIX32, u);
    }
    printf("\n");
}

static void ints(const char *label, const long long *a, size_t n)
{
    printf("%s", label);
    for (size_t i = 0; i < n; i++)
        printf(" %lld", a[i]);
    printf("\n");
}

static int check(mlp_status s, const char *what)
{
    if (s != MLP_OK)
        fprintf(stderr, "twin.c: %s: %s\n", what, mlp_strerror(s));
    return s != MLP_OK;
}

static void constants(void)
{
    const long long status[] = { MLP_OK, MLP_ERR_ARG, MLP_ERR_NOMEM,
        MLP_ERR_NONFINITE, MLP_ERR_IO, MLP_ERR_FORMAT };
    const long long acts[] = { MLP_SIGMOID, MLP_TANH, MLP_RELU, MLP_IDENTITY,
        MLP_SOFTMAX, MLP_MSE, MLP_CROSS_ENTROPY };
    const long long inits[] = { MLP_INIT_DEFAULT, MLP_INIT_GLOROT_UNIFORM,
        MLP_INIT_GLOROT_NORMAL, MLP_INIT_HE_UNIFORM, MLP_INIT_HE_NORMAL,
        MLP_INIT_ORTHOGONAL, MLP_FIT_COMPLETED, MLP_FIT_EARLY_STOPPED,
        MLP_FIT_STOPPED_BY_CALLBACK, MLP_FIT_FAILED };
    const long long sizes[] = { (long long)sizeof(mlp_fit_progress),
        (long long)sizeof(mlp_fit_options), (long long)sizeof(mlp_fit_result) };
    ints("status", status, 6);
    ints("acts.losses", acts, 7);
    ints("inits.stops", inits, 10);
    ints("struct.sizes", sizes, 3);
    for (int s = 0; s <= 6; s++)
        printf("strerror %d %s\n", s, mlp_strerror((mlp_status)s));
    printf("version %s\n", mlp_version());
}

/* XOR with plain batch SGD and momentum, then the gradients of one
 * backprop. */
static int xor_sgd(void)
{
    const double X[] = { 0, 0, 0, 1, 1, 0, 1, 1 }, T[] = { 0, 1, 1, 0 };
    const size_t sizes[] = { 2, 3, 1 };
    mlp_t *net;
    double cost = 0, Y[4];
    if (check(mlp_create(&net, 2, sizes, NULL, MLP_MSE, 1), "create") ||
        check(mlp_set_sgd(net, 2.0, 0.9), "set_sgd"))
        return 1;
    for (int i = 0; i < 300; i++)
        if (check(mlp_train_batch(net, 4, X, T, &cost), "train_batch"))
            return 1;
    if (check(mlp_predict(net, 4, X, Y), "predict"))
        return 1;
    bits("xor.cost", &cost, 1);
    bits("xor.Y", Y, 4);
    bits("xor.params", mlp_params(net), mlp_n_params(net));
    if (check(mlp_backprop(net, 4, X, T, &cost), "backprop"))
        return 1;
    bits("xor.backprop.cost", &cost, 1);
    bits("xor.grads", mlp_grads(net), mlp_n_params(net));
    bits("xor.W2", mlp_weights(net, 2), 3);
    bits("xor.b1", mlp_biases(net, 1), 3);
    bits("xor.dW1", mlp_weight_grads(net, 1), 6);
    bits("xor.db2", mlp_bias_grads(net, 2), 1);
    /* A clone trained further, and the model file in memory. */
    mlp_t *copy;
    if (check(mlp_clone(&copy, net), "clone"))
        return 1;
    for (int i = 0; i < 10; i++)
        if (check(mlp_train_batch(copy, 4, X, T, &cost), "train_batch"))
            return 1;
    bits("xor.clone.params", mlp_params(copy), mlp_n_params(copy));
    size_t n_bytes = mlp_saved_size(copy);
    unsigned char *bytes = malloc(n_bytes);
    if (!bytes || check(mlp_save_buffer(copy, bytes, n_bytes), "save_buffer"))
        return 1;
    printf("xor.saved_size %zu\nxor.saved", n_bytes);
    for (size_t i = 0; i < n_bytes; i++)
        printf("%s%02X", i % 32 ? "" : " ", bytes[i]);
    printf("\n");
    free(bytes);
    mlp_free(copy);
    const long long shape[] = { (long long)mlp_n_layers(net),
        (long long)mlp_layer_size(net, 0), (long long)mlp_layer_size(net, 1),
        (long long)mlp_layer_size(net, 2), mlp_layer_activation(net, 1),
        mlp_loss_kind(net), (long long)mlp_n_params(net) };
    ints("xor.shape", shape, 7);
    mlp_free(net);
    return 0;
}

/* Regression y = x1 * x2 on a 4 x 4 grid: ReLU and tanh layers, Adam,
 * weight decay, He initialisation, a seed with its top bit set. */
static void grid(double *X, double *T)
{
    for (int i = 0; i < 16; i++) {
        X[2 * i] = (i % 4) / 3.0 - 0.5;
        X[2 * i + 1] = (i / 4) / 3.0 - 0.5;
        T[i] = X[2 * i] * X[2 * i + 1];
    }
}

static int regression_adam(void)
{
    double X[32], T[16], Y[16], cost = 0;
    grid(X, T);
    const size_t sizes[] = { 2, 8, 4, 1 };
    const mlp_activation acts[] = { MLP_RELU, MLP_TANH, MLP_IDENTITY };
    mlp_t *net;
    if (check(mlp_create(&net, 3, sizes, acts, MLP_MSE, UINT64_C(0xFFFFFFFFFFFFFFFE)),
              "create") ||
        check(mlp_init(net, MLP_INIT_HE_UNIFORM, 3), "init") ||
        check(mlp_set_adam(net, 0.01, 0.9, 0.999, 1e-8), "set_adam") ||
        check(mlp_set_weight_decay(net, 1e-3), "set_weight_decay"))
        return 1;
    for (int i = 0; i < 200; i++)
        if (check(mlp_train_batch(net, 16, X, T, &cost), "train_batch"))
            return 1;
    if (check(mlp_backprop(net, 16, X, T, NULL), "backprop") ||
        check(mlp_step(net), "step") ||
        check(mlp_predict(net, 16, X, Y), "predict"))
        return 1;
    bits("adam.cost", &cost, 1);
    bits("adam.Y", Y, 16);
    bits("adam.params", mlp_params(net), mlp_n_params(net));
    mlp_free(net);
    return 0;
}

static int count_epochs(const mlp_fit_progress *p, void *user)
{
    if (p->epoch_done)
        ++*(int *)user;
    return 0;
}

/* mlp_fit with validation, early stopping and a callback, on the grid's
 * signs as classes. */
static int fit_classes(mlp_t **net, double *X, double *T)
{
    grid(X, T);
    for (int i = 0; i < 16; i++)
        T[i] = T[i] > 0 ? 1.0 : 0.0;
    const size_t sizes[] = { 2, 5, 1 };
    int epochs_seen = 0;
    mlp_fit_options options;
    mlp_fit_result result;
    mlp_fit_defaults(&options);
    options.epochs = 40;
    options.batch_size = 3;
    options.seed = 5;
    options.validation = 0.25;
    options.patience = 4;
    options.callback = count_epochs;
    options.user = &epochs_seen;
    if (check(mlp_create(net, 2, sizes, NULL, MLP_CROSS_ENTROPY, 11), "create") ||
        check(mlp_set_sgd(*net, 0.5, 0.5), "set_sgd") ||
        check(mlp_fit_scaling(*net, 16, X, T), "fit_scaling") ||
        check(mlp_fit(*net, 16, X, T, &options, &result), "fit"))
        return 1;
    const long long fit_ints[] = { (long long)result.epochs_run,
        (long long)result.best_epoch, result.stop, epochs_seen };
    const double fit_costs[] = { result.train_cost, result.val_cost,
        result.best_val_cost };
    ints("fit.ints", fit_ints, 4);
    bits("fit.costs", fit_costs, 3);
    bits("fit.params", mlp_params(*net), mlp_n_params(*net));
    return 0;
}

/* The scaling mlp_fit_scaling fitted, then one set by hand. */
static int scaling(mlp_t *net)
{
    double in_mean[2], in_std[2], out_mean[1], out_std[1];
    if (check(mlp_get_scaling(net, in_mean, in_std, out_mean, out_std), "get_scaling"))
        return 1;
    bits("scaling.fitted", in_mean, 2);
    bits("scaling.fitted.std", in_std, 2);
    const double mean[] = { 0.25, -0.125 }, std[] = { 2.0, 0.5 };
    if (check(mlp_set_scaling(net, mean, std, NULL, NULL), "set_scaling") ||
        check(mlp_get_scaling(net, in_mean, in_std, out_mean, out_std), "get_scaling"))
        return 1;
    bits("scaling.set", in_mean, 2);
    bits("scaling.set.out", out_mean, 1);
    bits("scaling.set.outstd", out_std, 1);
    return 0;
}

/* A workspace: predictions, the Jacobian, a VJP and a JVP. */
static int workspace(mlp_t *net, const double *X)
{
    mlp_workspace_t *ws;
    double Y[16];
    if (check(mlp_workspace_create(&ws, net, 2), "workspace_create") ||
        check(mlp_predict_ws(net, ws, 16, X, Y), "predict_ws"))
        return 1;
    bits("ws.Y", Y, 16);
    double J[16 * 2], V[16], G[32], U[16];
    for (int i = 0; i < 16; i++)
        V[i] = 0.5 - i / 16.0;
    if (check(mlp_jacobian(net, ws, 16, X, J), "jacobian") ||
        check(mlp_vjp(net, ws, 16, X, V, G), "vjp") ||
        check(mlp_jvp(net, ws, 16, X, X, U), "jvp"))
        return 1;
    bits("ws.J", J, 32);
    bits("ws.G", G, 32);
    bits("ws.U", U, 16);
    mlp_workspace_free(ws);
    return 0;
}

/* mlp_fit, then scaling, a workspace, and the model file written and
 * read back. */
static int fit_and_files(const char *path)
{
    double X[32], T[16], Y[16];
    mlp_t *net, *back;
    if (fit_classes(&net, X, T) || scaling(net) || workspace(net, X))
        return 1;
    if (check(mlp_save(net, path), "save") || check(mlp_load(&back, path), "load") ||
        check(mlp_predict(back, 16, X, Y), "predict"))
        return 1;
    bits("file.Y", Y, 16);
    mlp_free(back);
    mlp_free(net);
    return 0;
}

static int statuses(void)
{
    const double X[] = { 0, INFINITY }, T[] = { 1 };
    const size_t sizes[] = { 2, 3, 1 }, bad_sizes[] = { 2, 0, 1 };
    mlp_t *net, *none;
    double Y[1];
    if (check(mlp_create(&net, 2, sizes, NULL, MLP_MSE, 1), "create"))
        return 1;
    const long long s[] = { mlp_predict(net, 1, X, Y),
        mlp_train_batch(net, 1, X, T, NULL),
        mlp_create(&none, 2, bad_sizes, NULL, MLP_MSE, 1),
        mlp_set_sgd(net, -1.0, 0.0), mlp_load(&none, "/nonexistent/model"),
        mlp_set_blas_threads(1), (long long)mlp_blas_threads() };
    ints("statuses", s, 7);
    mlp_free(net);
    return 0;
}

/* The calls of examples/housing.c on data/housing.csv (read with the C
 * library's strtod, Fortran's list-directed read on the other side): raw
 * columns, scaling fitted inside the network, Adam, mlp_fit. */
static int housing(const char *path)
{
    enum { N_IN = 12, N_ROWS = 506, N_TRAIN = 405 };
    static double X[N_ROWS * N_IN], T[N_ROWS], Y[N_ROWS - N_TRAIN];
    FILE *f = fopen(path, "r");
    int ok = f && fscanf(f, "%*[^\n]\n") == 0;
    for (int i = 0; i < N_ROWS && ok; i++) {
        for (int j = 0; j < N_IN && ok; j++)
            ok = fscanf(f, "%lf,", &X[i * N_IN + j]) == 1;
        ok = ok && fscanf(f, "%lf", &T[i]) == 1;
    }
    if (f)
        fclose(f);
    if (!ok) {
        fprintf(stderr, "twin.c: cannot read %s\n", path);
        return 1;
    }
    const size_t sizes[] = { N_IN, 16, 1 };
    const mlp_activation acts[] = { MLP_TANH, MLP_IDENTITY };
    mlp_fit_options options;
    mlp_fit_result result;
    mlp_fit_defaults(&options);
    options.epochs = 40;
    options.batch_size = 32;
    options.seed = 3;
    options.validation = 0.2;
    mlp_t *net;
    if (check(mlp_create(&net, 2, sizes, acts, MLP_MSE, 7), "create") ||
        check(mlp_fit_scaling(net, N_TRAIN, X, T), "fit_scaling") ||
        check(mlp_set_adam(net, 0.01, 0.9, 0.999, 1e-8), "set_adam") ||
        check(mlp_fit(net, N_TRAIN, X, T, &options, &result), "fit") ||
        check(mlp_predict(net, N_ROWS - N_TRAIN, X + N_TRAIN * N_IN, Y), "predict"))
        return 1;
    bits("housing.data", X, N_ROWS * N_IN);
    bits("housing.val_cost", &result.best_val_cost, 1);
    bits("housing.Y", Y, N_ROWS - N_TRAIN);
    mlp_free(net);
    return 0;
}

/* The float family's XOR with SGD and momentum, and one backprop. */
static int single_xor(mlpf_t **net, const float *X, const float *T)
{
    const size_t sizes[] = { 2, 3, 1 };
    float cost = 0, Y[4];
    if (check(mlpf_create(net, 2, sizes, NULL, MLP_MSE, 1), "mlpf_create") ||
        check(mlpf_set_sgd(*net, 2.0, 0.9), "mlpf_set_sgd"))
        return 1;
    for (int i = 0; i < 300; i++)
        if (check(mlpf_train_batch(*net, 4, X, T, &cost), "mlpf_train_batch"))
            return 1;
    if (check(mlpf_predict(*net, 4, X, Y), "mlpf_predict") ||
        check(mlpf_backprop(*net, 4, X, T, &cost), "mlpf_backprop"))
        return 1;
    fbits("f.cost", &cost, 1);
    fbits("f.Y", Y, 4);
    fbits("f.params", mlpf_params(*net), mlpf_n_params(*net));
    fbits("f.grads", mlpf_grads(*net), mlpf_n_params(*net));
    fbits("f.W1", mlpf_weights(*net, 1), 6);
    return 0;
}

/* A model file of the float family in memory, as hex bytes. */
static int single_saved(const mlpf_t *net)
{
    size_t n_bytes = mlpf_saved_size(net);
    unsigned char *bytes = malloc(n_bytes);
    if (!bytes || check(mlpf_save_buffer(net, bytes, n_bytes), "mlpf_save_buffer"))
        return 1;
    printf("f.saved");
    for (size_t i = 0; i < n_bytes; i++)
        printf("%s%02X", i % 32 ? "" : " ", bytes[i]);
    printf("\n");
    free(bytes);
    return 0;
}

/* The single-precision family: XOR, a clone, scaling, mlpf_fit, the
 * derivatives, a model file in memory. */
static int single(void)
{
    const float X[] = { 0, 0, 0, 1, 1, 0, 1, 1 }, T[] = { 0, 1, 1, 0 };
    mlpf_t *net, *copy;
    mlpf_workspace_t *ws;
    float J[8], mean[2], std[2];
    mlp_fit_options options;
    mlp_fit_result result;
    mlp_fit_defaults(&options);
    options.epochs = 20;
    options.batch_size = 2;
    options.seed = 9;
    if (single_xor(&net, X, T))
        return 1;
    if (check(mlpf_clone(&copy, net), "mlpf_clone") ||
        check(mlpf_fit_scaling(copy, 4, X, T), "mlpf_fit_scaling") ||
        check(mlpf_fit(copy, 4, X, T, &options, &result), "mlpf_fit") ||
        check(mlpf_get_scaling(copy, mean, std, NULL, NULL), "mlpf_get_scaling") ||
        check(mlpf_workspace_create(&ws, copy, 4), "mlpf_workspace_create") ||
        check(mlpf_jacobian(copy, ws, 4, X, J), "mlpf_jacobian"))
        return 1;
    fbits("f.fit.params", mlpf_params(copy), mlpf_n_params(copy));
    fbits("f.scaling", std, 2);
    fbits("f.J", J, 8);
    if (single_saved(copy))
        return 1;
    mlpf_workspace_free(ws);
    mlpf_free(copy);
    mlpf_free(net);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: twin MODEL_FILE_PATH HOUSING_CSV\n");
        return 2;
    }
    constants();
    return xor_sgd() || regression_adam() || fit_and_files(argv[1]) || statuses() ||
           housing(argv[2]) || single();
}
