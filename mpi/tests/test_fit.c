/* test_fit.c - mlp_mpi_fit against mlp_fit.
 *
 * Every rank runs mlp_fit on the whole data set by itself (the reference)
 * and mlp_mpi_fit on its shard. On one rank the two must agree bitwise,
 * parameters and result; mlp_fit on the whole data is therefore also what
 * the one-rank run gives, and on 2 and 3 ranks, with even, uneven and
 * one-empty shards, mlp_mpi_fit must agree with it to 1e-12 relative (the
 * sums of gradients and costs are added in another order: a few ulps per
 * step, here at most 4 epochs of 7 batches) and the ranks must agree with
 * one another bitwise.
 *
 * Built with -DMLP_SINGLE the same checks hold mlpf_mpi_fit to mlpf_fit:
 * bitwise on one rank, and on 2 and 3 ranks within 256 float ulps
 * (256 * FLT_EPSILON = 3.1e-5 relative), the double tolerance's reasoning
 * in float units (see test_train.c: a few ulps per step over at most 30
 * steps; measured with Open MPI 4.1.4: at most 1.8e-7, 1.5 ulps). */
#include "mlp_mpi.h"
#include "harness.h"

#include <float.h>

#define TOL TEST_BY_PRECISION(1e-12, 256 * FLT_EPSILON)

#define ROWS 50
#define N_IN 5
#define N_OUT 3

static const size_t sizes[] = { N_IN, 8, N_OUT };
static const mlp_activation acts[] = { MLP_TANH, MLP_SOFTMAX };

enum optimizer { SGD, MOMENTUM, ADAM };
static const char *const optimizer_names[] = { "SGD", "momentum", "Adam" };

/* The option sets every optimizer is run with. */
enum setup { PLAIN, VALIDATION, EARLY_STOP, SCALED, SETUPS };
static const char *const setup_names[] = { "no validation", "validation",
                                           "early stopping",
                                           "scaled regression" };

static mlp_t *make(enum optimizer opt, enum setup s)
{
    mlp_t *net = NULL;
    if (s == SCALED) {
        /* Regression with input and output scaling: training and
         * validation costs are in scaled units on both sides. */
        static const mlp_activation reg[] = { MLP_TANH, MLP_IDENTITY };
        static const real in_mean[N_IN] = { 0.1, -0.2, 0.3, 0, 0.05 },
                          in_std[N_IN] = { 2, 0.5, 1, 3, 0.7 },
                          out_mean[N_OUT] = { 0.5, 0.4, 0.6 },
                          out_std[N_OUT] = { 3, 0.2, 1.5 };
        mlp_create(&net, 2, sizes, reg, MLP_MSE, 3);
        mlp_set_scaling(net, in_mean, in_std, out_mean, out_std);
    } else {
        mlp_create(&net, 2, sizes, acts, MLP_CROSS_ENTROPY, 3);
    }
    if (opt == SGD)
        mlp_set_sgd(net, 0.2, 0.0);
    else if (opt == MOMENTUM)
        mlp_set_sgd(net, 0.2, 0.5);
    else
        mlp_set_adam(net, 0.01, 0.9, 0.999, 1e-8);
    return net;
}

static void options_for(enum setup s, mlp_fit_options *o)
{
    mlp_fit_defaults(o);
    o->epochs = 4;
    o->batch_size = 8; /* does not divide the training rows */
    o->seed = 2026;
    if (s == VALIDATION || s == SCALED) {
        o->validation = 0.2;
    } else if (s == EARLY_STOP) {
        /* No epoch improves on the first by 1e9: the fit stops after
         * 1 + patience epochs and restores epoch 1. */
        o->epochs = 20;
        o->validation = 0.3;
        o->patience = 2;
        o->min_delta = 1e9;
    }
}

static real X[ROWS * N_IN], T[ROWS * N_OUT];

static void shard(enum test_split split, const real **Xs,
                  const real **Ts, size_t *count)
{
    size_t first;
    test_shard(split, ROWS, test_rank, test_ranks, &first, count);
    *Xs = *count ? X + first * N_IN : NULL;
    *Ts = *count ? T + first * N_OUT : NULL;
}

static double worst_seen;

static void note(double d)
{
    if (d > worst_seen)
        worst_seen = d;
}

static int same_result(const mlp_fit_result *a, const mlp_fit_result *b)
{
    return a->epochs_run == b->epochs_run && a->best_epoch == b->best_epoch &&
           a->stop == b->stop;
}

/* The costs of a result, as an array for the comparisons. */
static void costs(const mlp_fit_result *r, double *c)
{
    c[0] = r->train_cost;
    c[1] = isnan(r->val_cost) ? 0.0 : r->val_cost;
    c[2] = isnan(r->best_val_cost) ? 0.0 : r->best_val_cost;
}

static void compare(const char *what, mlp_t *net, const mlp_fit_result *r,
                    mlp_t *ref, const mlp_fit_result *rr)
{
    size_t n = mlp_n_params(net);
    double c[3], cr[3];
    costs(r, c);
    costs(rr, cr);
    CHECK(same_result(r, rr), "%s: epochs %zu/%zu, best %zu/%zu, stop %d/%d",
          what, r->epochs_run, rr->epochs_run, r->best_epoch, rr->best_epoch,
          (int)r->stop, (int)rr->stop);
    CHECK(isnan(r->val_cost) == isnan(rr->val_cost), "%s: val_cost", what);
    if (test_ranks == 1) {
        CHECK(memcmp(mlp_params(net), mlp_params(ref), n * sizeof(real))
                  == 0, "%s: parameters not bitwise mlp_fit's", what);
        CHECK(memcmp(c, cr, sizeof c) == 0, "%s: costs not bitwise", what);
    } else {
        double dp = test_max_rel_diff(mlp_params(net), mlp_params(ref), n);
        double dc = test_max_rel_diff_d(c, cr, 3);
        CHECK(dp <= TOL, "%s: parameters differ by %g", what, dp);
        CHECK(dc <= TOL, "%s: costs differ by %g", what, dc);
        note(dp);
        note(dc);
    }
    CHECK(test_same_as_rank0(mlp_params(net), n),
          "%s: parameters not bitwise identical across ranks", what);
    CHECK(test_same_as_rank0_d(c, 3), "%s: costs differ across ranks", what);
}

static void equivalence(enum optimizer opt, enum setup s,
                        enum test_split split)
{
    char what[96];
    snprintf(what, sizeof what, "%s, %s, %s shards", optimizer_names[opt],
             setup_names[s], test_split_names[split]);
    mlp_fit_options o;
    options_for(s, &o);
    mlp_t *ref = make(opt, s), *net = make(opt, s);
    mlp_fit_result rr, r;
    mlp_status st = mlp_fit(ref, ROWS, X, T, &o, &rr);
    CHECK(st == MLP_OK, "%s: mlp_fit: %s", what, mlp_strerror(st));
    const real *Xs, *Ts;
    size_t count;
    shard(split, &Xs, &Ts, &count);
    st = mlp_mpi_fit(net, count, Xs, Ts, &o, &r, MPI_COMM_WORLD);
    CHECK(st == MLP_OK, "%s: mlp_mpi_fit: %s", what, mlp_strerror(st));
    compare(what, net, &r, ref, &rr);
    if (s == EARLY_STOP)
        CHECK(r.stop == MLP_FIT_EARLY_STOPPED && r.epochs_run == 3 &&
                  r.best_epoch == 1,
              "%s: stop %d after %zu epochs, best %zu", what, (int)r.stop,
              r.epochs_run, r.best_epoch);
    else
        CHECK(r.stop == MLP_FIT_COMPLETED && r.epochs_run == o.epochs,
              "%s: did not complete", what);
    mlp_free(net);
    mlp_free(ref);
}

/* A real early stop (patience 3, min_delta 0) on a learnable target, with
 * restore_best, momentum: the same epochs and best epoch as mlp_fit. */
static void early_stop_restores_best(void)
{
    mlp_fit_options o;
    options_for(VALIDATION, &o);
    o.epochs = 200;
    o.patience = 3;
    o.batch_size = 5;
    mlp_t *ref = make(MOMENTUM, VALIDATION);
    mlp_t *net = make(MOMENTUM, VALIDATION);
    mlp_fit_result rr, r;
    CHECK(mlp_fit(ref, ROWS, X, T, &o, &rr) == MLP_OK, "mlp_fit");
    const real *Xs, *Ts;
    size_t count;
    shard(SPLIT_UNEVEN, &Xs, &Ts, &count);
    mlp_status st = mlp_mpi_fit(net, count, Xs, Ts, &o, &r, MPI_COMM_WORLD);
    CHECK(st == MLP_OK, "mlp_mpi_fit: %s", mlp_strerror(st));
    compare("real early stop", net, &r, ref, &rr);
    CHECK(rr.stop == MLP_FIT_EARLY_STOPPED && rr.best_epoch < rr.epochs_run,
          "the reference did not stop early (stop %d, best %zu of %zu)",
          (int)rr.stop, rr.best_epoch, rr.epochs_run);
    mlp_free(net);
    mlp_free(ref);
}

struct calls {
    int count, stop_at;
};

static int on_progress(const mlp_fit_progress *p, void *user)
{
    (void)p;
    struct calls *c = user;
    c->count++;
    return c->count == c->stop_at;
}

/* The callback runs on rank 0 only and its answer stops every rank where
 * mlp_fit's would stop. The other ranks pass callbacks that would stop at
 * once: they must never be called. */
static void callback_on_rank0(void)
{
    mlp_fit_options o;
    options_for(VALIDATION, &o);
    o.epochs = 10;
    o.report_every = 2;
    o.callback = on_progress;
    struct calls ref_calls = { 0, 7 }, calls = { 0, test_rank == 0 ? 7 : 1 };
    o.user = &ref_calls;
    mlp_t *ref = make(ADAM, VALIDATION), *net = make(ADAM, VALIDATION);
    mlp_fit_result rr, r;
    CHECK(mlp_fit(ref, ROWS, X, T, &o, &rr) == MLP_OK, "mlp_fit");
    o.user = &calls;
    const real *Xs, *Ts;
    size_t count;
    shard(SPLIT_ONE_EMPTY, &Xs, &Ts, &count);
    mlp_status st = mlp_mpi_fit(net, count, Xs, Ts, &o, &r, MPI_COMM_WORLD);
    CHECK(st == MLP_OK, "mlp_mpi_fit: %s", mlp_strerror(st));
    compare("callback", net, &r, ref, &rr);
    CHECK(r.stop == MLP_FIT_STOPPED_BY_CALLBACK, "stop %d", (int)r.stop);
    CHECK(calls.count == (test_rank == 0 ? 7 : 0),
          "the callback ran %d times on rank %d", calls.count, test_rank);

    /* Rank 0 without a callback: nobody's is called, and no rank waits
     * for an answer. */
    o.callback = test_rank == 0 ? NULL : on_progress;
    calls.count = 0;
    st = mlp_mpi_fit(net, count, Xs, Ts, &o, &r, MPI_COMM_WORLD);
    CHECK(st == MLP_OK && r.stop == MLP_FIT_COMPLETED && calls.count == 0,
          "without rank 0's callback: %s, stop %d, %d calls",
          mlp_strerror(st), (int)r.stop, calls.count);
    mlp_free(net);
    mlp_free(ref);
}

int main(int argc, char **argv)
{
    test_init(&argc, &argv);
    test_data(ROWS, N_IN, N_OUT, 1, 77, X, T);
    for (int opt = SGD; opt <= ADAM; opt++)
        for (int s = PLAIN; s < SETUPS; s++)
            for (int split = SPLIT_EVEN; split <= SPLIT_ONE_EMPTY; split++)
                equivalence((enum optimizer)opt, (enum setup)s,
                            (enum test_split)split);
    early_stop_restores_best();
    callback_on_rank0();
    double worst = worst_seen;
    MPI_Allreduce(MPI_IN_PLACE, &worst, 1, MPI_DOUBLE, MPI_MAX,
                  MPI_COMM_WORLD);
    if (test_rank == 0)
        printf("largest relative difference from mlp_fit: %.3g (tolerance "
               "%g)\n", worst, TOL);
    return test_finish("test_fit");
}
