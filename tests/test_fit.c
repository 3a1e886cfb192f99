/* test_fit.c - mlp_fit: reproducible shuffling, every sample once per
 * epoch, early stopping, the callback, no allocation after the first
 * epoch, and stopping on a non-finite cost with the last good parameters. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "test_util.h"
#include "alloc.h"

enum { N = 60, NI = 3, NO = 2 };
static real X[N * NI], T[N * NO];
static const size_t sizes[] = { NI, 6, NO };
static const mlp_activation acts[] = { MLP_TANH, MLP_IDENTITY };

/* A smooth target any small network can fit. */
static void make_data(void)
{
    for (size_t i = 0; i < N; i++) {
        for (size_t j = 0; j < NI; j++)
            X[i * NI + j] = sin(0.37 * (real)(i * NI + j) + 0.5);
        T[i * NO] = 0.5 * X[i * NI] - 0.3 * X[i * NI + 1];
        T[i * NO + 1] = X[i * NI + 2] * X[i * NI];
    }
}

static mlp_t *make(void)
{
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 2, sizes, acts, MLP_MSE, 11), MLP_OK);
    ck_assert_int_eq(mlp_set_sgd(net, 0.05, 0.5), MLP_OK);
    return net;
}

static size_t bytes(mlp_t *net) { return mlp_n_params(net) * sizeof(real); }

START_TEST(test_reproducible_from_seed)
{
    mlp_t *a = make(), *b = make(), *c = make();
    mlp_fit_options o;
    mlp_fit_defaults(&o);
    o.epochs = 4;
    o.batch_size = 7;
    o.validation = 0.2;
    o.seed = 123;
    ck_assert_int_eq(mlp_fit(a, N, X, T, &o, NULL), MLP_OK);
    ck_assert_int_eq(mlp_fit(b, N, X, T, &o, NULL), MLP_OK);
    o.seed = 124;
    ck_assert_int_eq(mlp_fit(c, N, X, T, &o, NULL), MLP_OK);
    ck_assert_mem_eq(mlp_params(a), mlp_params(b), bytes(a));
    ck_assert(memcmp(mlp_params(a), mlp_params(c), bytes(a)) != 0);
    mlp_free(a); mlp_free(b); mlp_free(c);
}
END_TEST

/* With one batch per epoch, each epoch is one mlp_train_batch on the whole
 * set in some order; the gradient is a sum, so the order only changes the
 * rounding (tolerance 1e-12 on O(1) parameters after 3 steps). This shows
 * each epoch visits every sample exactly once. */
START_TEST(test_epoch_visits_every_sample)
{
    mlp_t *a = make(), *b = make();
    mlp_fit_options o;
    mlp_fit_defaults(&o);
    o.epochs = 3;
    o.batch_size = 1000;       /* more than N: one batch */
    o.seed = 5;
    mlp_fit_result r;
    ck_assert_int_eq(mlp_fit(a, N, X, T, &o, &r), MLP_OK);
    real cost = 0;
    for (int e = 0; e < 3; e++)
        ck_assert_int_eq(mlp_train_batch(b, N, X, T, &cost), MLP_OK);
    for (size_t i = 0; i < mlp_n_params(a); i++)
        ck_assert_double_eq_tol(mlp_params(a)[i], mlp_params(b)[i], TEST_ULPS(1e-12));
    ck_assert_double_eq_tol(r.train_cost, cost, TEST_ULPS(1e-12));
    ck_assert_uint_eq(r.epochs_run, 3);
    ck_assert_int_eq(r.stop, MLP_FIT_COMPLETED);
    ck_assert(isnan(r.val_cost));
    mlp_free(a); mlp_free(b);
}
END_TEST

/* min_delta so large that no epoch improves on the first: early stopping
 * must trigger after exactly 1 + patience epochs and restore epoch 1's
 * parameters, which a one-epoch fit with the same seed reproduces (same
 * split, same first shuffle). */
START_TEST(test_early_stopping)
{
    mlp_t *a = make(), *b = make();
    mlp_fit_options o;
    mlp_fit_defaults(&o);
    o.epochs = 50;
    o.batch_size = 8;
    o.validation = 0.25;
    o.patience = 2;
    o.min_delta = 1e9;
    o.seed = 9;
    mlp_fit_result r;
    ck_assert_int_eq(mlp_fit(a, N, X, T, &o, &r), MLP_OK);
    ck_assert_int_eq(r.stop, MLP_FIT_EARLY_STOPPED);
    ck_assert_uint_eq(r.epochs_run, 3);
    ck_assert_uint_eq(r.best_epoch, 1);
    ck_assert(isfinite(r.best_val_cost) && isfinite(r.val_cost));
    o.epochs = 1;
    ck_assert_int_eq(mlp_fit(b, N, X, T, &o, NULL), MLP_OK);
    ck_assert_mem_eq(mlp_params(a), mlp_params(b), bytes(a));
    mlp_free(a); mlp_free(b);
}
END_TEST

/* Real improvement: the validation cost falls well below its start on a
 * learnable target, and a normal early stop keeps the best epoch. */
START_TEST(test_validation_improves)
{
    mlp_t *net = make();
    mlp_fit_options o;
    mlp_fit_defaults(&o);
    o.epochs = 200;
    o.batch_size = 10;
    o.validation = 0.2;
    o.patience = 10;
    mlp_fit_result r1, r2;
    o.epochs = 1;
    ck_assert_int_eq(mlp_fit(net, N, X, T, &o, &r1), MLP_OK);
    o.epochs = 200;
    ck_assert_int_eq(mlp_fit(net, N, X, T, &o, &r2), MLP_OK);
    ck_assert_double_lt(r2.best_val_cost, 0.5 * r1.val_cost);
    ck_assert_double_le(r2.best_val_cost, r2.val_cost);
    mlp_free(net);
}
END_TEST

struct record {
    int calls, stop_at, epoch_ends;
    size_t last_epoch, last_batch, batches;
    real last_elapsed;
    int bad;
};

static int on_progress(const mlp_fit_progress *p, void *user)
{
    struct record *r = user;
    r->calls++;
    if (p->elapsed < r->last_elapsed || p->batches != r->batches)
        r->bad = 1;
    if (p->epoch_done) {
        r->epoch_ends++;
        if (p->batch != p->batches || isnan(p->val_cost))
            r->bad = 1;
    } else if (!isnan(p->val_cost) || p->batch >= p->batches) {
        r->bad = 1;
    }
    r->last_elapsed = p->elapsed;
    r->last_epoch = p->epoch;
    r->last_batch = p->batch;
    return r->calls == r->stop_at;
}

START_TEST(test_callback_stops)
{
    mlp_t *net = make();
    mlp_fit_options o;
    mlp_fit_defaults(&o);
    o.epochs = 10;
    o.batch_size = 10;        /* 48 training rows: 5 batches */
    o.validation = 0.2;
    o.report_every = 2;       /* calls after batches 2 and 4, then the end */
    o.callback = on_progress;
    struct record rec = { .stop_at = 8, .batches = 5 };
    o.user = &rec;
    mlp_fit_result r;
    ck_assert_int_eq(mlp_fit(net, N, X, T, &o, &r), MLP_OK);
    ck_assert_int_eq(rec.bad, 0);
    ck_assert_int_eq(rec.calls, 8);          /* 3 per epoch: stopped in epoch 3 */
    ck_assert_int_eq(rec.epoch_ends, 2);
    ck_assert_uint_eq(rec.last_epoch, 3);
    ck_assert_uint_eq(rec.last_batch, 4);
    ck_assert_uint_eq(r.epochs_run, 2);
    ck_assert_int_eq(r.stop, MLP_FIT_STOPPED_BY_CALLBACK);
    mlp_free(net);
}
END_TEST

static int reset_counter_after_epoch_1(const mlp_fit_progress *p, void *user)
{
    (void)user;
    if (p->epoch_done && p->epoch == 1)
        mlp__fault_inject(0);   /* counts allocation calls from here */
    return 0;
}

START_TEST(test_no_allocation_after_first_epoch)
{
    mlp_t *net = make();
    ck_assert_int_eq(mlp_set_adam(net, 0.01, 0.9, 0.999, 1e-8), MLP_OK);
    mlp_fit_options o;
    mlp_fit_defaults(&o);
    o.epochs = 5;
    o.batch_size = 7;
    o.validation = 0.3;
    o.report_every = 1;
    o.callback = reset_counter_after_epoch_1;
    long live = mlp__live_allocations();
    ck_assert_int_eq(mlp_fit(net, N, X, T, &o, NULL), MLP_OK);
    ck_assert_uint_eq(mlp__alloc_calls(), 0);
    ck_assert_int_eq(mlp__live_allocations(), live);
    mlp_free(net);
}
END_TEST

/* A learning rate that makes the weights blow up: training must stop with
 * MLP_ERR_NONFINITE and leave finite parameters (the last good step). */
START_TEST(test_nonfinite_stops)
{
    mlp_t *net = make();
    ck_assert_int_eq(mlp_set_sgd(net, 1e6, 0.0), MLP_OK);
    mlp_fit_options o;
    mlp_fit_defaults(&o);
    o.epochs = 1000;
    o.batch_size = 5;
    mlp_fit_result r;
    ck_assert_int_eq(mlp_fit(net, N, X, T, &o, &r), MLP_ERR_NONFINITE);
    ck_assert_int_eq(r.stop, MLP_FIT_FAILED);
    for (size_t i = 0; i < mlp_n_params(net); i++)
        ck_assert(isfinite(mlp_params(net)[i]));

    /* A NaN target in a one-batch fit: nothing is trained at all. */
    mlp_t *b = make();
    real *before = malloc(bytes(b)), *Tbad = malloc(sizeof T);
    memcpy(before, mlp_params(b), bytes(b));
    memcpy(Tbad, T, sizeof T);
    Tbad[17] = NAN;
    o.batch_size = N;
    ck_assert_int_eq(mlp_fit(b, N, X, Tbad, &o, &r), MLP_ERR_NONFINITE);
    ck_assert_mem_eq(mlp_params(b), before, bytes(b));
    ck_assert_uint_eq(r.epochs_run, 0);
    free(before); free(Tbad);
    mlp_free(net); mlp_free(b);
}
END_TEST

START_TEST(test_bad_arguments)
{
    mlp_t *net = make();
    mlp_fit_options o;
    mlp_fit_defaults(&o);
    ck_assert_int_eq(mlp_fit(NULL, N, X, T, &o, NULL), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_fit(net, 0, X, T, &o, NULL), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_fit(net, N, NULL, T, &o, NULL), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_fit(net, N, X, NULL, &o, NULL), MLP_ERR_ARG);
    o.epochs = 0;
    ck_assert_int_eq(mlp_fit(net, N, X, T, &o, NULL), MLP_ERR_ARG);
    mlp_fit_defaults(&o);
    o.batch_size = 0;
    ck_assert_int_eq(mlp_fit(net, N, X, T, &o, NULL), MLP_ERR_ARG);
    mlp_fit_defaults(&o);
    o.validation = 1.0;
    ck_assert_int_eq(mlp_fit(net, N, X, T, &o, NULL), MLP_ERR_ARG);
    o.validation = 0.001;      /* rounds to no validation sample */
    ck_assert_int_eq(mlp_fit(net, N, X, T, &o, NULL), MLP_ERR_ARG);
    o.validation = NAN;
    ck_assert_int_eq(mlp_fit(net, N, X, T, &o, NULL), MLP_ERR_ARG);
    mlp_fit_defaults(&o);
    o.min_delta = -1;
    ck_assert_int_eq(mlp_fit(net, N, X, T, &o, NULL), MLP_ERR_ARG);
    /* NULL options are the defaults: 10 epochs. */
    mlp_fit_result r;
    ck_assert_int_eq(mlp_fit(net, N, X, T, NULL, &r), MLP_OK);
    ck_assert_uint_eq(r.epochs_run, 10);
    mlp_free(net);
}
END_TEST

/* Sizes no array can have: n indices of size_t, or n rows of X, overflow
 * size_t. mlp_fit must refuse them before touching X or allocating
 * (a wrapped product once allocated 16 bytes and wrote past them). */
START_TEST(test_overflowing_n)
{
    mlp_t *net = make();
    real *before = malloc(bytes(net));
    memcpy(before, mlp_params(net), bytes(net));
    mlp_fit_options o;
    mlp_fit_defaults(&o);
    const size_t huge[] = {
        SIZE_MAX,
        SIZE_MAX / sizeof(size_t) + 1,       /* the index array wraps */
        SIZE_MAX / (NI * sizeof(real)) + 1 /* n x n_0 doubles wrap */
    };
    long live = mlp__live_allocations();
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        mlp_fit_result r;
        ck_assert_int_eq(mlp_fit(net, huge[i], X, T, &o, &r), MLP_ERR_ARG);
        ck_assert_int_eq(r.stop, MLP_FIT_FAILED);
        o.validation = 0.5;
        ck_assert_int_eq(mlp_fit(net, huge[i], X, T, &o, &r), MLP_ERR_ARG);
        o.validation = 0.0;
    }
    ck_assert_int_eq(mlp__live_allocations(), live);
    ck_assert_mem_eq(mlp_params(net), before, bytes(net));
    free(before);
    mlp_free(net);
}
END_TEST

/* The documented order: a shuffle written here from mlp.h's words must
 * give the validation split and batches mlp_fit uses. With one batch per
 * epoch and plain SGD, a fit is an mlp_train_batch on the training rows
 * in the drawn order; a different order would change the rounding of the
 * gradient sums, so the comparison is bitwise. */
static uint64_t splitmix(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static void doc_shuffle(uint64_t *state, size_t *idx, size_t m)
{
    for (size_t i = m - 1; i >= 1; i--) {
        uint64_t bound = (uint64_t)i + 1, r;
        do
            r = splitmix(state);
        while (r < (UINT64_MAX - bound + 1) % bound);
        size_t j = (size_t)(r % bound), t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}

START_TEST(test_documented_order)
{
    mlp_t *a = make(), *b = make();
    ck_assert_int_eq(mlp_set_sgd(a, 0.05, 0.0), MLP_OK);
    ck_assert_int_eq(mlp_set_sgd(b, 0.05, 0.0), MLP_OK);
    mlp_fit_options o;
    mlp_fit_defaults(&o);
    o.epochs = 2;
    o.batch_size = N;
    o.validation = 0.25;
    o.seed = 77;
    ck_assert_int_eq(mlp_fit(a, N, X, T, &o, NULL), MLP_OK);

    size_t idx[N], n_val = N / 4;
    uint64_t state = o.seed;
    for (size_t i = 0; i < N; i++)
        idx[i] = i;
    doc_shuffle(&state, idx, N);
    static real xb[N * NI], tb[N * NO];
    for (int e = 0; e < 2; e++) {
        doc_shuffle(&state, idx + n_val, N - n_val);
        for (size_t k = 0; k < N - n_val; k++) {
            memcpy(xb + k * NI, X + idx[n_val + k] * NI, NI * sizeof *xb);
            memcpy(tb + k * NO, T + idx[n_val + k] * NO, NO * sizeof *tb);
        }
        ck_assert_int_eq(mlp_train_batch(b, N - n_val, xb, tb, NULL), MLP_OK);
    }
    ck_assert_mem_eq(mlp_params(a), mlp_params(b), bytes(a));
    mlp_free(a); mlp_free(b);
}
END_TEST

/* The validation cost is in scaled units, like the training cost: a fit
 * with scaling stored in the network equals a fit without it on data
 * scaled by hand (to rounding: the library and this test may scale with
 * different operations; 1e-12 relative). In original units the validation
 * cost would be out_std^2 = 100 and 0.01 times larger in the two columns. */
START_TEST(test_validation_in_scaled_units)
{
    static const real in_mean[NI] = { 0.2, -0.1, 0.3 },
                        in_std[NI] = { 2.0, 0.5, 1.5 },
                        out_mean[NO] = { 1.0, -2.0 }, out_std[NO] = { 10.0, 0.1 };
    mlp_t *a = make(), *b = make();
    ck_assert_int_eq(mlp_set_scaling(a, in_mean, in_std, out_mean, out_std),
                     MLP_OK);
    static real Xs[N * NI], Ts[N * NO], Tw[N * NO];
    for (size_t i = 0; i < N; i++) {
        for (size_t j = 0; j < NI; j++)
            Xs[i * NI + j] = (X[i * NI + j] - in_mean[j]) / in_std[j];
        for (size_t j = 0; j < NO; j++) {
            Tw[i * NO + j] = out_mean[j] + out_std[j] * T[i * NO + j];
            Ts[i * NO + j] = T[i * NO + j];
        }
    }
    mlp_fit_options o;
    mlp_fit_defaults(&o);
    o.epochs = 3;
    o.batch_size = 8;
    o.validation = 0.25;
    mlp_fit_result ra, rb;
    ck_assert_int_eq(mlp_fit(a, N, X, Tw, &o, &ra), MLP_OK);
    ck_assert_int_eq(mlp_fit(b, N, Xs, Ts, &o, &rb), MLP_OK);
    ck_assert_double_eq_tol(ra.val_cost, rb.val_cost, TEST_ULPS(1e-12) * rb.val_cost);
    ck_assert_double_eq_tol(ra.train_cost, rb.train_cost,
                            TEST_ULPS(1e-12) * rb.train_cost);
    for (size_t i = 0; i < mlp_n_params(a); i++)
        ck_assert_double_eq_tol(mlp_params(a)[i], mlp_params(b)[i], TEST_ULPS(1e-12));
    mlp_free(a); mlp_free(b);
}
END_TEST

int main(void)
{
    make_data();
    Suite *s = suite_create("fit");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, test_one_blas_thread, NULL);
    tcase_add_test(tc, test_reproducible_from_seed);
    tcase_add_test(tc, test_epoch_visits_every_sample);
    tcase_add_test(tc, test_early_stopping);
    tcase_add_test(tc, test_validation_improves);
    tcase_add_test(tc, test_callback_stops);
    tcase_add_test(tc, test_no_allocation_after_first_epoch);
    tcase_add_test(tc, test_nonfinite_stops);
    tcase_add_test(tc, test_bad_arguments);
    tcase_add_test(tc, test_overflowing_n);
    tcase_add_test(tc, test_documented_order);
    tcase_add_test(tc, test_validation_in_scaled_units);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
