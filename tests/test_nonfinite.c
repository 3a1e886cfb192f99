/* test_nonfinite.c - NaN and Inf never reach the parameters.
 *
 * The policy (mlp.h): NaN or Inf in inputs, targets, cost or gradients, or
 * an update that would overflow, gives MLP_ERR_NONFINITE and leaves the
 * parameters, and the gradients or optimizer state the call would have
 * written, bitwise as they were. Each test compares against a copy taken
 * before the call, or against a twin network that never saw the bad call.
 *
 * mlp_fit is covered for the same policy: a diverging fit stops
 * with MLP_ERR_NONFINITE and the parameters of the last good step. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "precision.h" /* real, and the mlpf_ names under -DMLP_SINGLE */

/* Built for both precisions: magnitudes that overflow or underflow are
 * chosen for each (float's range ends at 3.4e38, its normals at 1.2e-38). */
#ifdef MLP_SINGLE
#define BY_PRECISION(d, f) (f)
#else
#define BY_PRECISION(d, f) (d)
#endif

static const real bad_values[] = { NAN, INFINITY, -INFINITY };
enum { N_BAD = 3 };

enum { B = 3, N_IN = 4, N_HID = 5, N_OUT = 2 };

static mlp_t *make_net(mlp_activation out, double momentum)
{
    size_t sizes[] = { N_IN, N_HID, N_OUT };
    mlp_activation acts[] = { MLP_TANH, out };
    mlp_t *net;
    ck_assert_int_eq(mlp_create(&net, 2, sizes, acts, MLP_MSE, 42), MLP_OK);
    ck_assert_int_eq(mlp_set_sgd(net, 0.1, momentum), MLP_OK);
    return net;
}

static void fill(real *x, size_t n, unsigned seed)
{
    unsigned s = seed * 2654435761u + 1u;
    for (size_t i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        x[i] = ((real)(s >> 8) / (real)(1u << 24)) * 2.0 - 1.0;
    }
}

struct snapshot {
    size_t n;
    real *params, *grads;
};

static struct snapshot take(mlp_t *net)
{
    struct snapshot s = { mlp_n_params(net), NULL, NULL };
    s.params = malloc(s.n * sizeof(real));
    s.grads = malloc(s.n * sizeof(real));
    ck_assert(s.params && s.grads);
    memcpy(s.params, mlp_params(net), s.n * sizeof(real));
    memcpy(s.grads, mlp_grads(net), s.n * sizeof(real));
    return s;
}

static void assert_params_kept(mlp_t *net, struct snapshot s)
{
    ck_assert_mem_eq(mlp_params(net), s.params, s.n * sizeof(real));
}

static void assert_grads_kept(mlp_t *net, struct snapshot s)
{
    ck_assert_mem_eq(mlp_grads(net), s.grads, s.n * sizeof(real));
}

static void drop(struct snapshot s)
{
    free(s.params);
    free(s.grads);
}

/* A good training step on both networks, then their parameters must agree
 * bitwise: any hidden change to parameters or optimizer state in `net`
 * shows up here. */
static void assert_twins(mlp_t *net, mlp_t *twin)
{
    real X[B * N_IN], T[B * N_OUT];
    fill(X, B * N_IN, 3);
    fill(T, B * N_OUT, 4);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(mlp_train_batch(net, B, X, T, NULL), MLP_OK);
        ck_assert_int_eq(mlp_train_batch(twin, B, X, T, NULL), MLP_OK);
    }
    ck_assert_mem_eq(mlp_params(net), mlp_params(twin),
                     mlp_n_params(net) * sizeof(real));
}

/* ------------------------------------------------------------------------ */

/* Every position of the input, every non-finite value. */
START_TEST(predict_bad_input)
{
    mlp_t *net = make_net(MLP_IDENTITY, 0.0);
    struct snapshot s = take(net);
    real X[B * N_IN], Y[B * N_OUT];
    for (size_t i = 0; i < B * N_IN; i++) {
        for (int v = 0; v < N_BAD; v++) {
            fill(X, B * N_IN, 1);
            X[i] = bad_values[v];
            ck_assert_int_eq(mlp_predict(net, B, X, Y), MLP_ERR_NONFINITE);
            ck_assert_int_eq(mlp_predict(net, 1, X + (i / N_IN) * N_IN, Y),
                             MLP_ERR_NONFINITE);
        }
    }
    assert_params_kept(net, s);
    fill(X, B * N_IN, 1);
    ck_assert_int_eq(mlp_predict(net, B, X, Y), MLP_OK);
    drop(s);
    mlp_free(net);
}
END_TEST

/* Finite inputs and weights whose product overflows. */
START_TEST(predict_overflow)
{
    mlp_t *net = make_net(MLP_IDENTITY, 0.0);
    real *W2 = mlp_weights(net, 2);
    for (size_t i = 0; i < N_OUT * N_HID; i++)
        W2[i] = REAL_MAX; /* tanh outputs up to 1: sums of 5 * REAL_MAX */
    struct snapshot s = take(net);
    real X[B * N_IN], Y[B * N_OUT];
    for (size_t i = 0; i < B * N_IN; i++)
        X[i] = 10.0; /* saturates tanh at +-1 */
    mlp_status st = mlp_predict(net, B, X, Y);
    ck_assert_int_eq(st, MLP_ERR_NONFINITE);
    assert_params_kept(net, s);
    drop(s);
    mlp_free(net);
}
END_TEST

START_TEST(backprop_bad_input_or_target)
{
    mlp_t *net = make_net(MLP_IDENTITY, 0.0);
    real X[B * N_IN], T[B * N_OUT];
    fill(X, B * N_IN, 1);
    fill(T, B * N_OUT, 2);
    real cost;
    ck_assert_int_eq(mlp_backprop(net, B, X, T, &cost), MLP_OK); /* non-zero gradients */
    struct snapshot s = take(net);
    for (int which = 0; which < 2; which++) {
        size_t n = which == 0 ? B * N_IN : B * N_OUT;
        for (size_t i = 0; i < n; i++) {
            for (int v = 0; v < N_BAD; v++) {
                fill(X, B * N_IN, 1);
                fill(T, B * N_OUT, 2);
                if (which == 0)
                    X[i] = bad_values[v];
                else
                    T[i] = bad_values[v];
                real c = 12345.0;
                ck_assert_int_eq(mlp_backprop(net, B, X, T, &c), MLP_ERR_NONFINITE);
                ck_assert(c == 12345.0);
                assert_params_kept(net, s);
                assert_grads_kept(net, s);
            }
        }
    }
    drop(s);
    mlp_free(net);
}
END_TEST

/* The cost itself overflows: outputs near 1e200 (1e25 in float), targets 0. */
START_TEST(backprop_diverging_cost)
{
    mlp_t *net = make_net(MLP_IDENTITY, 0.0);
    real X[B * N_IN], T[B * N_OUT];
    fill(X, B * N_IN, 1);
    fill(T, B * N_OUT, 2);
    ck_assert_int_eq(mlp_backprop(net, B, X, T, NULL), MLP_OK);
    real *b2 = mlp_biases(net, 2);
    b2[0] = (real)BY_PRECISION(1e200, 1e25); /* its square overflows */
    struct snapshot s = take(net);
    real c = 7.0;
    ck_assert_int_eq(mlp_backprop(net, B, X, T, &c), MLP_ERR_NONFINITE);
    ck_assert(c == 7.0);
    assert_params_kept(net, s);
    assert_grads_kept(net, s);
    ck_assert_int_eq(mlp_train_batch(net, B, X, T, &c), MLP_ERR_NONFINITE);
    assert_params_kept(net, s);
    drop(s);
    mlp_free(net);
}
END_TEST

/* Finite cost and finite deltas, but dW^(1) = dZ^(1)ᵀ X overflows: inputs
 * near DBL_MAX scaled down by tiny first-layer weights. A regression test
 * for what fuzz_train found: gradients were written as Inf with MLP_OK. */
static mlp_t *gradient_overflow_net(real *X, real *T, size_t batch)
{
    size_t sizes[] = { 1, 1, 1 };
    mlp_activation acts[] = { MLP_SIGMOID, MLP_IDENTITY };
    mlp_t *net;
    ck_assert_int_eq(mlp_create(&net, 2, sizes, acts, MLP_MSE, 1), MLP_OK);
    /* z1 = 1e-308 * 1e308 = 1 (1e-37 * 1e37 in float) */
    mlp_weights(net, 1)[0] = (real)BY_PRECISION(1e-308, 1e-37);
    mlp_biases(net, 1)[0] = 0.0;
    mlp_weights(net, 2)[0] = 100.0;
    mlp_biases(net, 2)[0] = 0.0;
    for (size_t i = 0; i < batch; i++) {
        X[i] = (real)BY_PRECISION(1e308, 1e37);
        T[i] = -100.0;
    }
    /* dz2 = 2 (y^ - t) ~ 2 * 173; dz1 = dz2 * 100 * s(1)(1 - s(1)) ~ 7e3;
     * dW1 = dz1 * 1e308 (1e37) overflows; the cost (~3e4) does not. */
    return net;
}

START_TEST(backprop_gradient_overflow)
{
    for (size_t batch = 1; batch <= 2; batch++) { /* the GER and GEMM paths */
        real X[2], T[2], Y[2];
        mlp_t *net = gradient_overflow_net(X, T, batch);
        ck_assert_int_eq(mlp_predict(net, batch, X, Y), MLP_OK);
        ck_assert(isfinite(Y[0]) && fabs(Y[0]) < 1e3);
        struct snapshot s = take(net);
        real c = 7.0;
        ck_assert_int_eq(mlp_backprop(net, batch, X, T, &c), MLP_ERR_NONFINITE);
        ck_assert(c == 7.0);
        assert_grads_kept(net, s);
        assert_params_kept(net, s);
        ck_assert_int_eq(mlp_train_batch(net, batch, X, T, &c), MLP_ERR_NONFINITE);
        assert_params_kept(net, s);
        ck_assert_int_eq(mlp_set_sgd(net, 0.1, 0.9), MLP_OK);
        ck_assert_int_eq(mlp_train_batch(net, batch, X, T, &c), MLP_ERR_NONFINITE);
        assert_params_kept(net, s);
        /* A learning rate so small that lr * g is tiny: the fused GEMM
         * still forms g = dZ^T X first, which is Inf (found by fuzz_train,
         * fuzz/regress/train/fused-sgd-subnormal-lr). */
        /* (subnormal in the element type: 1e-310, or 1e-40 in float) */
        ck_assert_int_eq(mlp_set_sgd(net, BY_PRECISION(1e-310, 1e-40), 0.0),
                         MLP_OK);
        ck_assert_int_eq(mlp_train_batch(net, batch, X, T, &c), MLP_ERR_NONFINITE);
        assert_params_kept(net, s);
        drop(s);
        mlp_free(net);
    }
}
END_TEST

START_TEST(step_bad_gradient)
{
    for (int mom = 0; mom < 2; mom++) {
        mlp_t *net = make_net(MLP_IDENTITY, mom ? 0.9 : 0.0);
        mlp_t *twin = make_net(MLP_IDENTITY, mom ? 0.9 : 0.0);
        assert_twins(net, twin); /* some momentum to keep */
        for (size_t i = 0; i < mlp_n_params(net); i += 7) {
            for (int v = 0; v < N_BAD; v++) {
                fill(mlp_grads(net), mlp_n_params(net), 5);
                mlp_grads(net)[i] = bad_values[v];
                struct snapshot s = take(net);
                ck_assert_int_eq(mlp_step(net), MLP_ERR_NONFINITE);
                assert_params_kept(net, s);
                drop(s);
            }
        }
        assert_twins(net, twin);
        mlp_free(net);
        mlp_free(twin);
    }
}
END_TEST

/* Finite gradients and a finite learning rate whose update overflows: the
 * input fuzz_train found (fuzz/regress/train/), made explicit. */
START_TEST(step_update_overflow)
{
    for (int mom = 0; mom < 2; mom++) {
        mlp_t *net = make_net(MLP_IDENTITY, mom ? 0.5 : 0.0);
        mlp_t *twin = make_net(MLP_IDENTITY, mom ? 0.5 : 0.0);
        assert_twins(net, twin);
        /* 1e300 (1e31 in float) times 1e10 overflows */
        const double lr = BY_PRECISION(1e300, 1e31);
        ck_assert_int_eq(mlp_set_sgd(net, lr, mom ? 0.5 : 0.0), MLP_OK);
        ck_assert_int_eq(mlp_set_sgd(twin, lr, mom ? 0.5 : 0.0), MLP_OK);
        fill(mlp_grads(net), mlp_n_params(net), 6);
        mlp_grads(net)[3] = 1e10;
        struct snapshot s = take(net);
        ck_assert_int_eq(mlp_step(net), MLP_ERR_NONFINITE);
        assert_params_kept(net, s);
        drop(s);
        /* And train_batch with such a learning rate, fused or not. */
        real X[B * N_IN], T[B * N_OUT];
        fill(X, B * N_IN, 8);
        fill(T, B * N_OUT, 9);
        T[0] = 1e9; /* gradients ~3e8, so lr * g overflows */
        s = take(net);
        ck_assert_int_eq(mlp_train_batch(net, B, X, T, NULL), MLP_ERR_NONFINITE);
        assert_params_kept(net, s);
        drop(s);
        ck_assert_int_eq(mlp_set_sgd(net, 0.1, mom ? 0.5 : 0.0), MLP_OK);
        ck_assert_int_eq(mlp_set_sgd(twin, 0.1, mom ? 0.5 : 0.0), MLP_OK);
        assert_twins(net, twin);
        mlp_free(net);
        mlp_free(twin);
    }
}
END_TEST

/* Adam with absurd but valid settings (fuzz/regress/train/adam-step-size-
 * times-m): the update's intermediate step_size * m overflowed although
 * the bound on step_size * m / eps let the step skip its exact check.
 * Whatever the step decides, MLP_OK must leave finite parameters and a
 * refusal must leave them as they were. In float the learning rate is
 * 3e38 (4.5e279 rounds to Inf there, which mlpf_set_adam refuses): the
 * product step_size * m, 3e38 * 7.2e34, overflows as well. */
START_TEST(adam_intermediate_overflow)
{
    size_t sizes[] = { 1, 1 };
    mlp_activation acts[] = { MLP_IDENTITY };
    mlp_t *net;
    ck_assert_int_eq(mlp_create(&net, 1, sizes, acts, MLP_MSE, 3), MLP_OK);
    ck_assert_int_eq(mlp_set_adam(net, BY_PRECISION(4.5e279, 3e38), 0.0, 0.0,
                                  2.4e35), MLP_OK);
    ck_assert_int_eq(mlp_set_weight_decay(net, 2.4e35), MLP_OK);
    mlp_params(net)[0] = 0.3;
    mlp_grads(net)[0] = 0.0;
    mlp_grads(net)[1] = 0.0;
    struct snapshot s = take(net);
    mlp_status st = mlp_step(net);
    if (st == MLP_OK) {
        ck_assert(isfinite(mlp_params(net)[0]) && isfinite(mlp_params(net)[1]));
    } else {
        ck_assert_int_eq(st, MLP_ERR_NONFINITE);
        assert_params_kept(net, s);
    }
    drop(s);
    mlp_free(net);
}
END_TEST

/* Training with a learning rate far too large diverges. Each step either
 * succeeds with finite parameters, or fails with MLP_ERR_NONFINITE and
 * leaves the parameters of the last good step; it must fail eventually. */
START_TEST(train_batch_divergence)
{
    for (int mom = 0; mom < 2; mom++) {
        mlp_t *net = make_net(MLP_IDENTITY, 0.0);
        ck_assert_int_eq(mlp_set_sgd(net, 50.0, mom ? 0.9 : 0.0), MLP_OK);
        real X[B * N_IN], T[B * N_OUT];
        fill(X, B * N_IN, 10);
        fill(T, B * N_OUT, 11);
        struct snapshot last = take(net);
        mlp_status st = MLP_OK;
        int steps;
        for (steps = 0; steps < 10000 && st == MLP_OK; steps++) {
            real cost;
            st = mlp_train_batch(net, B, X, T, &cost);
            if (st == MLP_OK) {
                ck_assert(isfinite(cost));
                drop(last);
                last = take(net);
                for (size_t i = 0; i < last.n; i++)
                    ck_assert(isfinite(last.params[i]));
            }
        }
        ck_assert_int_eq(st, MLP_ERR_NONFINITE);
        assert_params_kept(net, last);
        /* It stays stopped: the same batch fails again, changing nothing. */
        ck_assert_int_eq(mlp_train_batch(net, B, X, T, NULL), MLP_ERR_NONFINITE);
        assert_params_kept(net, last);
        drop(last);
        mlp_free(net);
    }
}
END_TEST

START_TEST(train_batch_bad_data)
{
    for (int mom = 0; mom < 2; mom++) {
        mlp_t *net = make_net(MLP_SIGMOID, mom ? 0.9 : 0.0);
        mlp_t *twin = make_net(MLP_SIGMOID, mom ? 0.9 : 0.0);
        assert_twins(net, twin);
        real X[B * N_IN], T[B * N_OUT];
        for (int which = 0; which < 2; which++) {
            for (int v = 0; v < N_BAD; v++) {
                fill(X, B * N_IN, 1);
                fill(T, B * N_OUT, 2);
                if (which == 0) /* in the last row, which batch 1 skips */
                    X[B * N_IN - 1] = bad_values[v];
                else
                    T[B * N_OUT - 1] = bad_values[v];
                real c = 3.0;
                ck_assert_int_eq(mlp_train_batch(net, B, X, T, &c), MLP_ERR_NONFINITE);
                ck_assert(c == 3.0);
                /* The first rows are good: a step both twins take. */
                ck_assert_int_eq(mlp_train_batch(net, 1, X, T, &c), MLP_OK);
                ck_assert_int_eq(mlp_train_batch(twin, 1, X, T, &c), MLP_OK);
            }
        }
        assert_twins(net, twin);
        mlp_free(net);
        mlp_free(twin);
    }
}
END_TEST

/* One sample, batches of one: every epoch is exactly one mlp_train_batch
 * on that sample, whatever the shuffle, so a twin driven by hand gives the
 * parameters of each step independently of mlp_fit. */
START_TEST(fit_stops_at_last_good_step)
{
    for (int mom = 0; mom < 2; mom++) {
        mlp_t *net = make_net(MLP_IDENTITY, 0.0), *twin = make_net(MLP_IDENTITY, 0.0);
        ck_assert_int_eq(mlp_set_sgd(net, 50.0, mom ? 0.9 : 0.0), MLP_OK);
        ck_assert_int_eq(mlp_set_sgd(twin, 50.0, mom ? 0.9 : 0.0), MLP_OK);
        real X[N_IN], T[N_OUT];
        fill(X, N_IN, 12);
        fill(T, N_OUT, 13);
        size_t good = 0;
        while (mlp_train_batch(twin, 1, X, T, NULL) == MLP_OK)
            good++;
        ck_assert_uint_lt(good, 5000);

        mlp_fit_options opt;
        mlp_fit_defaults(&opt);
        opt.epochs = 10000;
        opt.batch_size = 1;
        mlp_fit_result res;
        ck_assert_int_eq(mlp_fit(net, 1, X, T, &opt, &res), MLP_ERR_NONFINITE);
        ck_assert_int_eq(res.stop, MLP_FIT_FAILED);
        ck_assert_uint_eq(res.epochs_run, good);
        ck_assert_mem_eq(mlp_params(net), mlp_params(twin),
                         mlp_n_params(net) * sizeof(real));
        for (size_t i = 0; i < mlp_n_params(net); i++)
            ck_assert(isfinite(mlp_params(net)[i]));
        mlp_free(net);
        mlp_free(twin);
    }
}
END_TEST

START_TEST(fit_bad_sample)
{
    mlp_t *net = make_net(MLP_SIGMOID, 0.0);
    struct snapshot s = take(net);
    enum { N = 4 };
    real X[N * N_IN], T[N * N_OUT];
    for (int which = 0; which < 2; which++) {
        for (int v = 0; v < N_BAD; v++) {
            fill(X, N * N_IN, 14);
            fill(T, N * N_OUT, 15);
            if (which == 0)
                X[N * N_IN - 2] = bad_values[v];
            else
                T[1] = bad_values[v];
            mlp_fit_options opt;
            mlp_fit_defaults(&opt);
            opt.epochs = 3;
            opt.batch_size = N; /* one batch: nothing trains before it */
            ck_assert_int_eq(mlp_fit(net, N, X, T, &opt, NULL), MLP_ERR_NONFINITE);
            assert_params_kept(net, s);
        }
    }
    drop(s);
    mlp_free(net);
}
END_TEST

static Suite *nonfinite_suite(void)
{
    Suite *s = suite_create("nonfinite");
    TCase *tc = tcase_create("predict");
    tcase_add_test(tc, predict_bad_input);
    tcase_add_test(tc, predict_overflow);
    suite_add_tcase(s, tc);
    tc = tcase_create("backprop");
    tcase_add_test(tc, backprop_bad_input_or_target);
    tcase_add_test(tc, backprop_diverging_cost);
    tcase_add_test(tc, backprop_gradient_overflow);
    suite_add_tcase(s, tc);
    tc = tcase_create("step");
    tcase_add_test(tc, step_bad_gradient);
    tcase_add_test(tc, step_update_overflow);
    tcase_add_test(tc, adam_intermediate_overflow);
    suite_add_tcase(s, tc);
    tc = tcase_create("train_batch");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, train_batch_divergence);
    tcase_add_test(tc, train_batch_bad_data);
    suite_add_tcase(s, tc);
    tc = tcase_create("fit");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, fit_stops_at_last_good_step);
    tcase_add_test(tc, fit_bad_sample);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(nonfinite_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
