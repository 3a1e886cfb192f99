/*
 * test_scaling.c - input and output scaling stored in the network
 * (lib/scaling.c): mlp_set_scaling, mlp_fit_scaling, mlp_get_scaling and
 * every function that applies it.
 *
 * Independent computations:
 * - predict: the same network with the affine maps folded by hand into
 *   W^(1), b^(1) (inputs) and W^(L), b^(L) (an identity output):
 *     W1' = W1 diag(1/s_in),  b1' = b1 - W1 (m_in / s_in),
 *     WL' = diag(s_out) WL,   bL' = s_out * bL + m_out,
 *   which gives the same numbers by another order of operations: agreement
 *   to 1e-13 relative (a few ulps per product, sums of <= 9 terms);
 * - backprop: the naive reference run on X and T scaled by the test, to
 *   1e-12 (the tolerance of tests/test_backward.c);
 * - train_batch and fit: a twin network without scaling trained on data
 *   the test scaled with the same formula, (x - m) / s: bitwise equal
 *   parameters, since the library must compute exactly the same numbers;
 * - fit_scaling: means and population standard deviations computed
 *   directly by the test (two passes), to 1e-14 relative.
 * Bad inputs leave the scaling and the predictions bit for bit unchanged.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "mlp.h"
#include "mlp_internal.h"
#include "reference/naive.h"
#include "test_util.h"

enum { N0 = 4, N1 = 9, NL = 3, B = 23 };
static const size_t sizes[] = { N0, N1, NL };
static const real in_mean[N0] = { 1000.0, -0.1, 3.0, 0.0 };
static const real in_std[N0] = { 250.0, 0.02, 1.0, 7.5 };
static const real out_mean[NL] = { 150.0, -2.0, 0.0 };
static const real out_std[NL] = { 77.0, 0.5, 1.0 };
static real X[B * N0], T[B * NL];

/* Data in the units the scaling undoes: column j ~ mean + std * U(-2, 2). */
static void make_data(void)
{
    test_rng rng;
    test_rng_seed(&rng, 77);
    for (size_t r = 0; r < B; r++) {
        for (size_t j = 0; j < N0; j++)
            X[r * N0 + j] = in_mean[j] + in_std[j] *
                            test_rng_uniform(&rng, -2, 2);
        for (size_t j = 0; j < NL; j++)
            T[r * NL + j] = out_mean[j] + out_std[j] *
                            test_rng_uniform(&rng, -2, 2);
    }
}

static mlp_t *make(mlp_activation out, mlp_loss loss)
{
    const mlp_activation a[] = { MLP_TANH, out };
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 2, sizes, a, loss, 5), MLP_OK);
    test_rng rng;
    test_rng_seed(&rng, 99);
    test_fill_uniform(&rng, mlp_params(net), mlp_n_params(net), -1, 1);
    return net;
}

static void scale(size_t n, size_t w, const real *m, const real *s,
                  const real *src, real *dst)
{
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < w; j++)
            dst[r * w + j] = (src[r * w + j] - m[j]) / s[j];
}

START_TEST(test_predict_matches_folded_network)
{
    make_data();
    mlp_t *net = make(MLP_IDENTITY, MLP_MSE), *fold = make(MLP_IDENTITY, MLP_MSE);
    ck_assert_int_eq(mlp_set_scaling(net, in_mean, in_std, out_mean, out_std),
                     MLP_OK);
    real *W1 = mlp_weights(fold, 1), *b1 = mlp_biases(fold, 1);
    for (size_t i = 0; i < N1; i++)
        for (size_t j = 0; j < N0; j++) {
            b1[i] -= W1[i * N0 + j] * in_mean[j] / in_std[j];
            W1[i * N0 + j] /= in_std[j];
        }
    real *W2 = mlp_weights(fold, 2), *b2 = mlp_biases(fold, 2);
    for (size_t i = 0; i < NL; i++) {
        for (size_t j = 0; j < N1; j++)
            W2[i * N1 + j] *= out_std[i];
        b2[i] = b2[i] * out_std[i] + out_mean[i];
    }
    real got[B * NL], want[B * NL];
    for (size_t batch = 1; batch <= B; batch += B - 1) {
        ck_assert_int_eq(mlp_predict(net, batch, X, got), MLP_OK);
        ck_assert_int_eq(mlp_predict(fold, batch, X, want), MLP_OK);
        test_assert_close("predict", got, want, batch * NL, TEST_ULPS(1e-13),
                          test_max_abs(want, batch * NL));
    }
    /* mlp_predict_ws applies the same scaling, bit for bit. */
    mlp_workspace_t *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 4), MLP_OK);
    ck_assert_int_eq(mlp_predict(net, B, X, want), MLP_OK);
    ck_assert_int_eq(mlp_predict_ws(net, ws, B, X, got), MLP_OK);
    ck_assert_mem_eq(got, want, sizeof got);
    mlp_workspace_free(ws);
    mlp_free(net);
    mlp_free(fold);
}
END_TEST

/* Gradients and cost in scaled units, against the naive reference on data
 * the test scaled; mlp__cost gives the same cost. */
START_TEST(test_backprop_in_scaled_units)
{
    make_data();
    static const mlp_activation outs[] = { MLP_IDENTITY, MLP_SIGMOID };
    mlp_t *net = make(outs[_i], _i ? MLP_CROSS_ENTROPY : MLP_MSE);
    real Xs[B * N0], Ts[B * NL], Tp[B * NL];
    /* Sigmoid outputs keep out scaling at the identity: targets in [0,1]. */
    const real *om = _i ? NULL : out_mean, *os = _i ? NULL : out_std;
    for (size_t k = 0; k < B * NL; k++)
        Tp[k] = _i ? (real)(k % 5) / 4 : T[k];
    ck_assert_int_eq(mlp_set_scaling(net, in_mean, in_std, om, os), MLP_OK);
    static const real zero[NL] = { 0 }, one[NL] = { 1, 1, 1 };
    scale(B, N0, in_mean, in_std, X, Xs);
    scale(B, NL, om ? om : zero, os ? os : one, Tp, Ts);
    size_t P = mlp_n_params(net);
    real *want = test_reals(P), cost = NAN, want_cost = NAN, c2 = NAN;
    ck_assert_int_eq(mlp_backprop(net, B, X, Tp, &cost), MLP_OK);
    ck_assert_int_eq(naive_backprop(2, sizes, (mlp_activation[]){ MLP_TANH,
                                    outs[_i] }, mlp_loss_kind(net),
                                    mlp_params(net), B, Xs, Ts, want,
                                    &want_cost), 0);
    ck_assert(fabs(cost - want_cost) <= TEST_ULPS(1e-12) * want_cost);
    test_assert_close("grads", mlp_grads(net), want, P, TEST_ULPS(1e-12),
                      test_max_abs(want, P));
    ck_assert_int_eq(mlp__cost(net, B, X, Tp, &c2), MLP_OK);
    ck_assert_double_eq(c2, cost);
    free(want);
    mlp_free(net);
}
END_TEST

/* train_batch (each optimizer path) and fit: bitwise as a twin without
 * scaling given the scaled data, and no allocation per step. */
START_TEST(test_training_applies_scaling)
{
    make_data();
    mlp_t *net = make(MLP_IDENTITY, MLP_MSE), *twin = make(MLP_IDENTITY, MLP_MSE);
    ck_assert_int_eq(mlp_set_scaling(net, in_mean, in_std, out_mean, out_std),
                     MLP_OK);
    real Xs[B * N0], Ts[B * NL];
    scale(B, N0, in_mean, in_std, X, Xs);
    scale(B, NL, out_mean, out_std, T, Ts);
    mlp_t *both[] = { net, twin };
    for (int k = 0; k < 2; k++) {
        if (_i == 1)
            ck_assert_int_eq(mlp_set_sgd(both[k], 0.05, 0.9), MLP_OK);
        if (_i == 2)
            ck_assert_int_eq(mlp_set_adam(both[k], 1e-2, 0.9, 0.999, 1e-8),
                             MLP_OK);
    }
    size_t bytes = mlp_n_params(net) * sizeof(real);
    for (int step = 0; step < 5; step++) {
        real c1 = NAN, c2 = NAN;
        mlp__fault_inject(0);
        ck_assert_int_eq(mlp_train_batch(net, B, X, T, &c1), MLP_OK);
        if (step > 0)
            ck_assert_uint_eq(mlp__alloc_calls(), 0);
        ck_assert_int_eq(mlp_train_batch(twin, B, Xs, Ts, &c2), MLP_OK);
        ck_assert_double_eq(c1, c2);
        ck_assert_mem_eq(mlp_params(net), mlp_params(twin), bytes);
    }
    mlp_fit_options o;
    mlp_fit_defaults(&o);
    o.epochs = 3;
    o.batch_size = 5;
    ck_assert_int_eq(mlp_fit(net, B, X, T, &o, NULL), MLP_OK);
    ck_assert_int_eq(mlp_fit(twin, B, Xs, Ts, &o, NULL), MLP_OK);
    ck_assert_mem_eq(mlp_params(net), mlp_params(twin), bytes);
    mlp_free(net);
    mlp_free(twin);
}
END_TEST

static void assert_scaling(mlp_t *net, const real *im, const real *is,
                           const real *om, const real *os)
{
    real a[N0], b[N0], c[NL], d[NL];
    ck_assert_int_eq(mlp_get_scaling(net, a, b, c, d), MLP_OK);
    ck_assert_mem_eq(a, im, sizeof a);
    ck_assert_mem_eq(b, is, sizeof b);
    ck_assert_mem_eq(c, om, sizeof c);
    ck_assert_mem_eq(d, os, sizeof d);
}

START_TEST(test_defaults_get_and_reset)
{
    static const real z0[N0] = { 0 }, o0[N0] = { 1, 1, 1, 1 };
    static const real zL[NL] = { 0 }, oL[NL] = { 1, 1, 1 };
    mlp_t *net = make(MLP_IDENTITY, MLP_MSE);
    assert_scaling(net, z0, o0, zL, oL);
    ck_assert_int_eq(mlp_get_scaling(NULL, NULL, NULL, NULL, NULL),
                     MLP_ERR_ARG);
    ck_assert_int_eq(mlp_get_scaling(net, NULL, NULL, NULL, NULL), MLP_OK);
    ck_assert_int_eq(mlp_set_scaling(net, in_mean, in_std, out_mean, out_std),
                     MLP_OK);
    assert_scaling(net, in_mean, in_std, out_mean, out_std);
    /* NULL arrays reset their part, also after an earlier call set them. */
    ck_assert_int_eq(mlp_set_scaling(net, NULL, in_std, out_mean, NULL),
                     MLP_OK);
    assert_scaling(net, z0, in_std, out_mean, oL);
    ck_assert_int_eq(mlp_set_scaling(net, NULL, NULL, NULL, NULL), MLP_OK);
    assert_scaling(net, z0, o0, zL, oL);
    ck_assert_int_eq(mlp_set_scaling(NULL, NULL, NULL, NULL, NULL),
                     MLP_ERR_ARG);
    mlp_free(net);
}
END_TEST

/* Each bad value in each array: MLP_ERR_ARG, the scaling and the
 * predictions unchanged. */
START_TEST(test_bad_values_change_nothing)
{
    make_data();
    mlp_t *net = make(MLP_IDENTITY, MLP_MSE);
    ck_assert_int_eq(mlp_set_scaling(net, in_mean, in_std, out_mean, out_std),
                     MLP_OK);
    real before[B * NL], after[B * NL];
    ck_assert_int_eq(mlp_predict(net, B, X, before), MLP_OK);
    const real bad_mean[] = { NAN, INFINITY, -INFINITY };
    const real bad_std[] = { NAN, INFINITY, 0.0, -0.0, -1.0, -INFINITY };
    for (int which = 0; which < 4; which++) {
        size_t n = which < 2 ? N0 : NL;
        int is_std = which % 2;
        size_t count = is_std ? 6 : 3;
        for (size_t v = 0; v < count; v++) {
            real arr[N0];
            memcpy(arr, which < 2 ? (is_std ? in_std : in_mean)
                                  : (is_std ? out_std : out_mean),
                   n * sizeof *arr);
            arr[n - 1] = is_std ? bad_std[v] : bad_mean[v];
            const real *p[4] = { in_mean, in_std, out_mean, out_std };
            p[which] = arr;
            ck_assert_int_eq(mlp_set_scaling(net, p[0], p[1], p[2], p[3]),
                             MLP_ERR_ARG);
            assert_scaling(net, in_mean, in_std, out_mean, out_std);
        }
    }
    ck_assert_int_eq(mlp_predict(net, B, X, after), MLP_OK);
    ck_assert_mem_eq(before, after, sizeof before);
    /* fit_scaling with a NaN in X: MLP_ERR_NONFINITE, unchanged. */
    real Xn[B * N0];
    memcpy(Xn, X, sizeof Xn);
    Xn[5] = NAN;
    ck_assert_int_eq(mlp_fit_scaling(net, B, Xn, T), MLP_ERR_NONFINITE);
    ck_assert_int_eq(mlp_fit_scaling(net, 0, X, T), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_fit_scaling(net, B, NULL, T), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_fit_scaling(NULL, B, X, T), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_fit_scaling(net, SIZE_MAX / 2, X, T), MLP_ERR_ARG);
    assert_scaling(net, in_mean, in_std, out_mean, out_std);
    mlp_free(net);
}
END_TEST

static void moments(size_t n, size_t w, const real *A, size_t j,
                    real *mean, real *std)
{
    real s = 0, q = 0;
    for (size_t r = 0; r < n; r++)
        s += A[r * w + j];
    *mean = s / (real)n;
    for (size_t r = 0; r < n; r++)
        q += (A[r * w + j] - *mean) * (A[r * w + j] - *mean);
    *std = sqrt(q / (real)n);
}

START_TEST(test_fit_scaling)
{
    make_data();
    real Xc[B * N0];
    memcpy(Xc, X, sizeof Xc);
    for (size_t r = 0; r < B; r++)
        Xc[r * N0 + 3] = 42.0; /* a constant column gets std 1 */
    mlp_t *net = make(MLP_IDENTITY, MLP_MSE);
    ck_assert_int_eq(mlp_fit_scaling(net, B, Xc, T), MLP_OK);
    real a[N0], b[N0], c[NL], d[NL], m, s;
    ck_assert_int_eq(mlp_get_scaling(net, a, b, c, d), MLP_OK);
    for (size_t j = 0; j < N0; j++) {
        moments(B, N0, Xc, j, &m, &s);
        ck_assert(fabs(a[j] - m) <= TEST_ULPS(1e-14) * (fabs(m) + s));
        ck_assert(j == 3 ? b[j] == 1.0 : fabs(b[j] - s) <= TEST_ULPS(1e-14) * s);
    }
    for (size_t j = 0; j < NL; j++) {
        moments(B, NL, T, j, &m, &s);
        ck_assert(fabs(c[j] - m) <= TEST_ULPS(1e-14) * (fabs(m) + s));
        ck_assert(fabs(d[j] - s) <= TEST_ULPS(1e-14) * s);
    }
    /* T NULL, or a non-identity output: outputs unscaled. */
    ck_assert_int_eq(mlp_fit_scaling(net, B, X, NULL), MLP_OK);
    ck_assert_int_eq(mlp_get_scaling(net, a, b, c, d), MLP_OK);
    for (size_t j = 0; j < NL; j++)
        ck_assert(c[j] == 0.0 && d[j] == 1.0);
    mlp_t *sig = make(MLP_SIGMOID, MLP_MSE);
    ck_assert_int_eq(mlp_fit_scaling(sig, B, X, T), MLP_OK);
    ck_assert_int_eq(mlp_get_scaling(sig, a, b, c, d), MLP_OK);
    for (size_t j = 0; j < NL; j++)
        ck_assert(c[j] == 0.0 && d[j] == 1.0);
    ck_assert(b[0] != 1.0);
    /* Huge values: no overflow in the sums. */
    /* (near the largest value of the precision: 1e308, or 1e38 in float) */
    const real hu = (real)TEST_BY_PRECISION(1e308, 1e38);
    real H[2 * N0] = { hu, -hu, hu, 5, hu, -hu, -hu, 5 };
    ck_assert_int_eq(mlp_fit_scaling(sig, 2, H, NULL), MLP_OK);
    ck_assert_int_eq(mlp_get_scaling(sig, a, b, NULL, NULL), MLP_OK);
    ck_assert(a[0] == hu && b[0] == 1.0);
    ck_assert(a[1] == -hu && b[1] == 1.0);
    ck_assert(a[2] == 0.0 && b[2] == hu);
    ck_assert(a[3] == 5.0 && b[3] == 1.0);
    mlp_free(net);
    mlp_free(sig);
}
END_TEST

/* Columns whose spread is tiny beside their mean: the values a and b
 * (the reals nearest c - d and c + d), two rows each, have mean (a + b)/2
 * and population standard deviation exactly (b - a)/2 (b - a is exact,
 * the two being within a factor 2 of each other). The std must come out
 * within a few roundings of the std's own size, 4.5 eps (TEST_ULPS(1e-15)),
 * however large |c| / d is: an algorithm whose deviations carry an error
 * of eps |c| misses by eps |c| / d (5e-5 for 3 +- 1e-12, 2e-6 for
 * 1e8 +- 1e-3). Near the ends of the range too: 1e300 +- 1e290, and
 * 1e-300 +- 1e-305. */
START_TEST(test_fit_scaling_tiny_spread)
{
    static const double cd[][2] = {
        { 3.0, TEST_BY_PRECISION(1e-12, 1e-5) },
        { TEST_BY_PRECISION(1e8, 1e4), 1e-3 },
        { TEST_BY_PRECISION(-1e300, -1e37), TEST_BY_PRECISION(1e290, 1e33) },
        { TEST_BY_PRECISION(1e-300, 1e-30), TEST_BY_PRECISION(1e-305, 1e-34) },
    };
    enum { K = sizeof cd / sizeof cd[0], R = 4 };
    mlp_t *net = NULL;
    const size_t sz[] = { K, 1 };
    const mlp_activation id[] = { MLP_IDENTITY };
    ck_assert_int_eq(mlp_create(&net, 1, sz, id, MLP_MSE, 1), MLP_OK);
    real X[R * K], mean[K], std[K];
    for (size_t j = 0; j < K; j++)
        for (size_t r = 0; r < R; r++)
            X[r * K + j] = (real)(cd[j][0] + (r % 2 ? cd[j][1] : -cd[j][1]));
    ck_assert_int_eq(mlp_fit_scaling(net, R, X, NULL), MLP_OK);
    ck_assert_int_eq(mlp_get_scaling(net, mean, std, NULL, NULL), MLP_OK);
    for (size_t j = 0; j < K; j++) {
        real a = X[j], b = X[K + j];
        real want_std = (b - a) / 2, want_mean = a + want_std;
        ck_assert_msg(fabs(std[j] - want_std) <= TEST_ULPS(1e-15) * want_std,
                      "column %zu (%g +- %g): std %.17g, want %.17g", j,
                      cd[j][0], cd[j][1], (double)std[j], (double)want_std);
        ck_assert_msg(fabs(mean[j] - want_mean) <=
                          TEST_ULPS(1e-15) * fabs(want_mean),
                      "column %zu: mean %.17g, want %.17g", j,
                      (double)mean[j], (double)want_mean);
    }
    mlp_free(net);
}
END_TEST

/* A scaled input or output that overflows is MLP_ERR_NONFINITE. */
START_TEST(test_overflow_is_nonfinite)
{
    mlp_t *net = make(MLP_IDENTITY, MLP_MSE);
    /* scales that overflow 1e10 in the precision */
    const real tiny[N0] = { (real)TEST_BY_PRECISION(1e-300, 1e-30), 1, 1, 1 };
    const real big[NL] = { (real)TEST_BY_PRECISION(1e300, 1e30), 1, 1 };
    real x[N0] = { 1e10, 0, 0, 0 }, y[NL], t[NL] = { 0 };
    ck_assert_int_eq(mlp_set_scaling(net, NULL, tiny, NULL, NULL), MLP_OK);
    ck_assert_int_eq(mlp_predict(net, 1, x, y), MLP_ERR_NONFINITE);
    ck_assert_int_eq(mlp_backprop(net, 1, x, t, NULL), MLP_ERR_NONFINITE);
    x[0] = 0;
    mlp_weights(net, 2)[0] = 1e10;
    mlp_biases(net, 2)[0] = 1e10;
    ck_assert_int_eq(mlp_set_scaling(net, NULL, NULL, NULL, big), MLP_OK);
    ck_assert_int_eq(mlp_predict(net, 1, x, y), MLP_ERR_NONFINITE);
    mlp_free(net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("scaling");
    TCase *tc = tcase_create("scaling");
    tcase_add_test(tc, test_predict_matches_folded_network);
    tcase_add_loop_test(tc, test_backprop_in_scaled_units, 0, 2);
    tcase_add_loop_test(tc, test_training_applies_scaling, 0, 3);
    tcase_add_test(tc, test_defaults_get_and_reset);
    tcase_add_test(tc, test_bad_values_change_nothing);
    tcase_add_test(tc, test_fit_scaling);
    tcase_add_test(tc, test_fit_scaling_tiny_spread);
    tcase_add_test(tc, test_overflow_is_nonfinite);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
