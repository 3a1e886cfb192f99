/* test_mismatch.c - ranks that disagree, and inputs no rank can use: every
 * rank must return the same status, and nothing may change. A hang here
 * is a failure too: the test runs under a time limit (run-ranks.sh). */
#include "mlp_mpi.h"
#include "harness.h"

#define ROWS 40
#define N_IN 4
#define N_OUT 2

static real X[ROWS * N_IN], T[ROWS * N_OUT];

static mlp_t *make_sized(size_t hidden, mlp_activation out)
{
    const size_t sizes[] = { N_IN, hidden, N_OUT };
    const mlp_activation acts[] = { MLP_TANH, out };
    mlp_t *net = NULL;
    mlp_create(&net, 2, sizes, acts, MLP_MSE, 7);
    if (net)
        mlp_set_sgd(net, 0.1, 0.5);
    return net;
}

static int last(void) { return test_rank == test_ranks - 1; }

/* This rank's rows of an even split. */
static size_t shard(const real **Xs, const real **Ts)
{
    size_t first, count;
    test_shard(SPLIT_EVEN, ROWS, test_rank, test_ranks, &first, &count);
    *Xs = X + first * N_IN;
    *Ts = T + first * N_OUT;
    return count;
}

/* Runs one mlp_mpi_train_batch on `net` and checks the status and that
 * the parameters did not move. */
static void step_refused(mlp_t *net, const char *what)
{
    size_t n = mlp_n_params(net);
    real *before = malloc(n * sizeof *before);
    memcpy(before, mlp_params(net), n * sizeof *before);
    const real *Xs, *Ts;
    size_t count = shard(&Xs, &Ts);
    mlp_status st = mlp_mpi_train_batch(net, count, Xs, Ts, NULL,
                                        MPI_COMM_WORLD);
    CHECK(st == MLP_ERR_ARG, "%s gave %s", what, mlp_strerror(st));
    CHECK(memcmp(before, mlp_params(net), n * sizeof *before) == 0,
          "%s changed the parameters", what);
    free(before);
}

static void train_batch_shapes(void)
{
    /* One hidden unit more on the last rank: 17 vs 14 parameters. */
    mlp_t *net = make_sized(last() ? 3 : 2, MLP_IDENTITY);
    step_refused(net, "a slightly larger network on the last rank");
    mlp_free(net);
    /* 20,083 vs 87 parameters: a mismatch this large once overflowed a
     * heap buffer inside Open MPI. */
    const size_t big[] = { 1000, 20, 3 }, small[] = { 10, 6, 3 };
    mlp_t *wide = NULL;
    mlp_create(&wide, 2, last() ? big : small, NULL, MLP_MSE, 1);
    CHECK(mlp_n_params(wide) == (last() ? 20083u : 87u),
          "unexpected parameter count %zu", mlp_n_params(wide));
    real *x = calloc(1000 * 2, sizeof *x), *t = calloc(3 * 2, sizeof *t);
    mlp_status st = mlp_mpi_train_batch(wide, 2, x, t, NULL, MPI_COMM_WORLD);
    CHECK(st == MLP_ERR_ARG, "a much larger network gave %s",
          mlp_strerror(st));
    free(x);
    free(t);
    mlp_free(wide);
    /* The same sizes, another output activation. */
    net = make_sized(3, last() ? MLP_SIGMOID : MLP_IDENTITY);
    step_refused(net, "another activation on the last rank");
    mlp_free(net);
}

static void bcast_mismatches(void)
{
    mlp_t *net = make_sized(3, MLP_IDENTITY);
    size_t n = mlp_n_params(net);
    real *before = malloc(n * sizeof *before);
    memcpy(before, mlp_params(net), n * sizeof *before);
    /* Rank 0 names itself root, the others name the last rank: before,
     * every rank returned MLP_OK with parameters that differed. */
    int root = test_rank == 0 ? 0 : test_ranks - 1;
    mlp_status st = mlp_mpi_bcast_params(net, root, MPI_COMM_WORLD);
    CHECK(st == MLP_ERR_ARG, "different roots gave %s", mlp_strerror(st));
    CHECK(memcmp(before, mlp_params(net), n * sizeof *before) == 0,
          "a refused broadcast changed the parameters");
    mlp_t *other = make_sized(last() ? 4 : 3, MLP_IDENTITY);
    st = mlp_mpi_bcast_params(other, 0, MPI_COMM_WORLD);
    CHECK(st == MLP_ERR_ARG, "different shapes gave %s", mlp_strerror(st));
    mlp_free(other);
    free(before);
    mlp_free(net);
}

/* Root's scaling reaches every rank, and every rank then predicts the
 * same bits. */
static void bcast_scaling(void)
{
    mlp_t *net = make_sized(3, MLP_IDENTITY);
    mlp_init(net, MLP_INIT_DEFAULT, 100 + (uint64_t)test_rank);
    const real in_mean[N_IN] = { 1, 2, 3, 4 }, in_std[N_IN] = { 5, 6, 7, 8 },
               out_mean[N_OUT] = { -1, 1 }, out_std[N_OUT] = { 9, 0.5 };
    int root = test_ranks - 1;
    if (test_rank == root)
        mlp_set_scaling(net, in_mean, in_std, out_mean, out_std);
    mlp_status st = mlp_mpi_bcast_params(net, root, MPI_COMM_WORLD);
    CHECK(st == MLP_OK, "broadcast: %s", mlp_strerror(st));
    real got[2 * (N_IN + N_OUT)];
    mlp_get_scaling(net, got, got + N_IN, got + 2 * N_IN,
                    got + 2 * N_IN + N_OUT);
    CHECK(memcmp(got, in_mean, sizeof in_mean) == 0 &&
              memcmp(got + N_IN, in_std, sizeof in_std) == 0 &&
              memcmp(got + 2 * N_IN, out_mean, sizeof out_mean) == 0 &&
              memcmp(got + 2 * N_IN + N_OUT, out_std, sizeof out_std) == 0,
          "the scaling did not arrive");
    real Y[ROWS * N_OUT];
    CHECK(mlp_predict(net, ROWS, X, Y) == MLP_OK, "predict");
    CHECK(test_same_as_rank0(Y, ROWS * N_OUT),
          "predictions differ between ranks");
    mlp_free(net);
}

/* Each option in turn differs on the last rank. */
static void fit_option_mismatches(void)
{
    mlp_t *net = make_sized(3, MLP_IDENTITY);
    size_t n = mlp_n_params(net);
    real *before = malloc(n * sizeof *before);
    memcpy(before, mlp_params(net), n * sizeof *before);
    const real *Xs, *Ts;
    size_t count = shard(&Xs, &Ts);
    for (int field = 0; field < 8; field++) {
        mlp_fit_options o;
        mlp_fit_defaults(&o);
        o.epochs = 2;
        o.validation = 0.25;
        o.patience = 1;
        if (last()) {
            size_t *sizes[] = { &o.epochs, &o.batch_size, &o.patience,
                                &o.report_every };
            if (field < 4)
                (*sizes[field])++;
            else if (field == 4)
                o.seed++;
            else if (field == 5)
                o.validation = 0.5;
            else if (field == 6)
                o.min_delta = 1e-3;
            else
                o.restore_best = 0;
        }
        mlp_fit_result r;
        mlp_status st = mlp_mpi_fit(net, count, Xs, Ts, &o, &r,
                                    MPI_COMM_WORLD);
        CHECK(st == MLP_ERR_ARG && r.stop == MLP_FIT_FAILED,
              "option %d differing on the last rank gave %s", field,
              mlp_strerror(st));
    }
    CHECK(memcmp(before, mlp_params(net), n * sizeof *before) == 0,
          "a refused fit changed the parameters");
    mlp_t *other = make_sized(last() ? 4 : 3, MLP_IDENTITY);
    mlp_status st = mlp_mpi_fit(other, count, Xs, Ts, NULL, NULL,
                                MPI_COMM_WORLD);
    CHECK(st == MLP_ERR_ARG, "different shapes gave %s", mlp_strerror(st));
    mlp_free(other);
    free(before);
    mlp_free(net);
}

/* The same network everywhere, but on the last rank an optimizer whose
 * update overflows there alone (a learning rate and a weight decay of
 * 1e308, 1e30 in float: lr * lambda * w is beyond the range). No check
 * compares optimizer settings, but every rank must still return the same
 * status, from a single step and from mlp_mpi_fit, where a rank that
 * stopped alone would leave the others waiting in the next step. */
static void optimizer_mismatch(void)
{
    const real *Xs, *Ts;
    size_t count = shard(&Xs, &Ts);
    double huge = TEST_BY_PRECISION(1e308, 1e30);
    for (int fit = 0; fit < 2; fit++) {
        mlp_t *net = make_sized(3, MLP_IDENTITY);
        if (last())
            CHECK(mlp_set_sgd(net, huge, 0.0) == MLP_OK &&
                      mlp_set_weight_decay(net, huge) == MLP_OK,
                  "setting the last rank's optimizer");
        size_t n = mlp_n_params(net);
        real *before = malloc(n * sizeof *before);
        memcpy(before, mlp_params(net), n * sizeof *before);
        mlp_status st;
        mlp_fit_result r = { .stop = MLP_FIT_FAILED };
        if (fit) {
            mlp_fit_options o;
            mlp_fit_defaults(&o);
            o.epochs = 3;
            st = mlp_mpi_fit(net, count, Xs, Ts, &o, &r, MPI_COMM_WORLD);
        } else {
            st = mlp_mpi_train_batch(net, count, Xs, Ts, NULL,
                                     MPI_COMM_WORLD);
        }
        CHECK(st == MLP_ERR_NONFINITE && r.stop == MLP_FIT_FAILED,
              "an update overflowing on the last rank only gave %s (%s)",
              mlp_strerror(st), fit ? "fit" : "train_batch");
        CHECK(!last() || memcmp(before, mlp_params(net), n * sizeof *before) == 0,
              "the refused update changed the last rank's parameters");
        free(before);
        mlp_free(net);
    }
}

static void fit_bad_inputs(void)
{
    mlp_t *net = make_sized(3, MLP_IDENTITY);
    const real *Xs, *Ts;
    size_t count = shard(&Xs, &Ts);
    mlp_status st;
    st = mlp_mpi_fit(net, count, test_rank == 0 ? NULL : Xs, Ts, NULL, NULL,
                     MPI_COMM_WORLD);
    CHECK(st == MLP_ERR_ARG, "NULL X on rank 0 gave %s", mlp_strerror(st));
    st = mlp_mpi_fit(test_rank == 0 ? NULL : net, count, Xs, Ts, NULL, NULL,
                     MPI_COMM_WORLD);
    CHECK(st == MLP_ERR_ARG, "NULL net on rank 0 gave %s", mlp_strerror(st));
    st = mlp_mpi_fit(net, 0, NULL, NULL, NULL, NULL, MPI_COMM_WORLD);
    CHECK(st == MLP_ERR_ARG, "no rows at all gave %s", mlp_strerror(st));
    mlp_fit_options o;
    mlp_fit_defaults(&o);
    o.batch_size = 0;
    st = mlp_mpi_fit(net, count, Xs, Ts, &o, NULL, MPI_COMM_WORLD);
    CHECK(st == MLP_ERR_ARG, "batch_size 0 gave %s", mlp_strerror(st));
    /* A row count no array can have on the last rank (never read). */
    st = mlp_mpi_fit(net, last() ? SIZE_MAX / 2 : count, Xs, Ts, NULL, NULL,
                     MPI_COMM_WORLD);
    CHECK(st == MLP_ERR_ARG, "an overflowing n_local gave %s",
          mlp_strerror(st));

    /* NaN in the last rank's last row, a training row without validation
     * and maybe a validation row with half the rows held out: either way
     * the fit stops on every rank with the same status, and the ranks
     * still agree. */
    real Xbad[ROWS * N_IN];
    memcpy(Xbad, X, sizeof X);
    size_t first = (size_t)(Xs - X) / N_IN;
    if (last())
        Xbad[(first + count - 1) * N_IN + 1] = NAN;
    for (int v = 0; v < 2; v++) {
        mlp_fit_defaults(&o);
        o.validation = v ? 0.5 : 0.0;
        mlp_fit_result r;
        st = mlp_mpi_fit(net, count, Xbad + first * N_IN, Ts, &o, &r,
                         MPI_COMM_WORLD);
        CHECK(st == MLP_ERR_NONFINITE && r.stop == MLP_FIT_FAILED,
              "NaN on the last rank (validation %g) gave %s", o.validation,
              mlp_strerror(st));
        CHECK(test_same_as_rank0(mlp_params(net), mlp_n_params(net)),
              "ranks disagree after a failed fit");
    }
    mlp_free(net);
}

#ifndef MLP_SINGLE
/* The float family on the last rank and the double family elsewhere, on
 * networks of the same layers: the element width is part of the compared
 * shape, so every function refuses on every rank instead of meeting
 * MPI_FLOAT and MPI_DOUBLE reductions of different lengths. (Only the
 * double build can name both families: there mlpf_ names are not
 * renamed.) */
static mlp_status mixed_call(int which, mlp_t *net, mlpf_t *fnet,
                             const float *xf, const float *tf)
{
    const real *Xs, *Ts;
    size_t count = shard(&Xs, &Ts);
    if (which == 0)
        return fnet ? mlpf_mpi_bcast_params(fnet, 0, MPI_COMM_WORLD)
                    : mlp_mpi_bcast_params(net, 0, MPI_COMM_WORLD);
    if (which == 1)
        return fnet ? mlpf_mpi_train_batch(fnet, count, xf, tf, NULL,
                                           MPI_COMM_WORLD)
                    : mlp_mpi_train_batch(net, count, Xs, Ts, NULL,
                                          MPI_COMM_WORLD);
    return fnet ? mlpf_mpi_fit(fnet, count, xf, tf, NULL, NULL,
                               MPI_COMM_WORLD)
                : mlp_mpi_fit(net, count, Xs, Ts, NULL, NULL, MPI_COMM_WORLD);
}

static void mixed_precisions(void)
{
    static const char *const names[] = { "bcast_params", "train_batch",
                                         "fit" };
    const size_t sizes[] = { N_IN, 3, N_OUT };
    const mlp_activation acts[] = { MLP_TANH, MLP_IDENTITY };
    float xf[ROWS * N_IN], tf[ROWS * N_OUT];
    const real *Xs, *Ts;
    size_t count = shard(&Xs, &Ts);
    for (size_t i = 0; i < count * N_IN; i++)
        xf[i] = (float)Xs[i];
    for (size_t i = 0; i < count * N_OUT; i++)
        tf[i] = (float)Ts[i];
    mlp_t *net = make_sized(3, MLP_IDENTITY);
    mlpf_t *fnet = NULL;
    if (last())
        mlpf_create(&fnet, 2, sizes, acts, MLP_MSE, 7);
    size_t n = mlp_n_params(net);
    real *before = malloc(n * sizeof *before);
    memcpy(before, mlp_params(net), n * sizeof *before);
    for (int which = 0; which < 3; which++) {
        mlp_status st = mixed_call(which, net, fnet, xf, tf);
        CHECK(st == MLP_ERR_ARG, "%s, float on the last rank: %s",
              names[which], mlp_strerror(st));
    }
    CHECK(memcmp(before, mlp_params(net), n * sizeof *before) == 0,
          "a refused mixed-precision call changed the parameters");
    free(before);
    mlpf_free(fnet);
    mlp_free(net);
}
#endif

int main(int argc, char **argv)
{
    test_init(&argc, &argv);
    test_data(ROWS, N_IN, N_OUT, 0, 31, X, T);
    if (test_ranks > 1) {
        train_batch_shapes();
        bcast_mismatches();
        fit_option_mismatches();
#ifndef MLP_SINGLE
        mixed_precisions();
#endif
    }
    bcast_scaling();
    optimizer_mismatch();
    fit_bad_inputs();
    return test_finish("test_mismatch");
}
