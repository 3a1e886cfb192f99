/*
 * test_losses.c - the costs of lib/losses.c, above all binary cross-entropy
 * (MLP_CROSS_ENTROPY with an MLP_SIGMOID output).
 *
 * 1. A one-unit network against the closed form written with logits,
 *    C = softplus(z) - y z, dC/dz = sigmoid(z) - y: a different formula for
 *    the same number, so agreement to 1e-14 relative (a few ulps of the
 *    O(1) values; log and exp are each within 1 ulp) shows the loss is
 *    binary cross-entropy and not -y log y^.
 * 2. Multi-output, multi-layer networks against the naive reference
 *    (which takes the long chain-rule route, tests/reference/naive.c) to
 *    1e-12 and against central finite differences to 1e-6 (the tolerances
 *    and their reasons are those of tests/test_backward.c).
 * 3. Predicting 1 for a target of 0 costs a lot (the flaw of -y log y^
 *    alone), and a saturated output costs what its logit says, in both
 *    directions and both cross-entropies: computed from the logits, not
 *    from outputs that have rounded to 0 or 1.
 * 4. Real data: digits 0-4 against 5-9 from data/digits.csv.gz, a
 *    one-output sigmoid network with binary cross-entropy against a
 *    two-output softmax network; see test_digits_binary for the margin.
 * 5. The MSE cost, summed in lanes: the training path (cost and dZ in
 *    one pass) and the cost-only path give the same bits, dZ is the
 *    elementwise 2/(B n) (Y^ - Y) exactly, and the sum is within its
 *    error bound of a long double running sum.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "losses.h"
#include "mlp.h"
#include "reference/naive.h"
#include "test_util.h"

#ifndef MLP_DATA_DIR
#error "MLP_DATA_DIR must be defined by tests/meson.build"
#endif

static real softplus(real z)
{
    return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

/* 1 -> 1 sigmoid unit, z = w x + c, against the logit form. */
START_TEST(test_closed_form_one_unit)
{
    const size_t sizes[] = { 1, 1 };
    const mlp_activation acts[] = { MLP_SIGMOID };
    const real ws[] = { 0.7, -1.3, 2.5 }, cs[] = { 0.1, 0.4, -3.0 };
    const real xs[] = { 0.5, -2.0, 1.0 }, ys[] = { 0.0, 1.0, 0.3 };
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 1, sizes, acts, MLP_CROSS_ENTROPY, 1),
                     MLP_OK);
    for (int k = 0; k < 3; k++) {
        mlp_weights(net, 1)[0] = ws[k];
        mlp_biases(net, 1)[0] = cs[k];
        real cost = NAN;
        ck_assert_int_eq(mlp_backprop(net, 1, &xs[k], &ys[k], &cost), MLP_OK);
        real z = ws[k] * xs[k] + cs[k];
        real want = softplus(z) - ys[k] * z;
        real dz = 1 / (1 + exp(-z)) - ys[k];
        ck_assert_msg(fabs(cost - want) <= TEST_ULPS(1e-14) * want,
                      "cost %.17g, want %.17g", cost, want);
        ck_assert(fabs(mlp_bias_grads(net, 1)[0] - dz) <= TEST_ULPS(1e-14) * fabs(dz));
        ck_assert(fabs(mlp_weight_grads(net, 1)[0] - dz * xs[k]) <=
                  TEST_ULPS(1e-14) * fabs(dz * xs[k]));
    }
    mlp_free(net);
}
END_TEST

/* A batch of 4 with two outputs: the cost is the mean over samples of the
 * sum over outputs (not the mean over outputs). */
START_TEST(test_sum_over_outputs_mean_over_batch)
{
    const size_t sizes[] = { 1, 2 };
    const mlp_activation acts[] = { MLP_SIGMOID };
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 1, sizes, acts, MLP_CROSS_ENTROPY, 1),
                     MLP_OK);
    real *W = mlp_weights(net, 1), *b = mlp_biases(net, 1);
    W[0] = 0.5; W[1] = -0.25; b[0] = 0.0; b[1] = 1.0;
    const real X[] = { 1, -1, 2, 0.5 };
    const real T[] = { 1, 0, 0, 1, 0.5, 0.5, 1, 1 };
    real want = 0;
    for (int s = 0; s < 4; s++)
        for (int i = 0; i < 2; i++) {
            real z = W[i] * X[s] + b[i];
            want += softplus(z) - T[s * 2 + i] * z;
        }
    want /= 4;
    real cost = NAN;
    ck_assert_int_eq(mlp_backprop(net, 4, X, T, &cost), MLP_OK);
    ck_assert_msg(fabs(cost - want) <= TEST_ULPS(1e-14) * want, "cost %.17g want %.17g",
                  cost, want);
    mlp_free(net);
}
END_TEST

/* The naive reference and finite differences, random deep networks. */
START_TEST(test_against_naive_and_fd)
{
    test_rng rng;
    test_rng_seed(&rng, 900 + (uint64_t)_i);
    test_shape shape;
    test_random_shape(&rng, &shape, 1 + (size_t)_i % 3, 6,
                      _i % 2 ? MLP_TANH : MLP_SIGMOID, MLP_SIGMOID,
                      MLP_CROSS_ENTROPY);
    size_t batch = test_batches[_i % TEST_N_BATCHES];
    mlp_t *net = test_create(&shape, (uint64_t)_i);
    size_t P = mlp_n_params(net);
    real *params = mlp_params(net);
    test_fill_uniform(&rng, params, P, -1, 1);
    size_t n0 = shape.sizes[0], nL = shape.sizes[shape.n_layers];
    real *X = test_reals(batch * n0), *T = test_reals(batch * nL);
    test_fill_uniform(&rng, X, batch * n0, -1, 1);
    /* Targets 0, 1 and in between: every term of the loss is exercised. */
    for (size_t k = 0; k < batch * nL; k++)
        T[k] = (real)test_rng_range(&rng, 0, 4) / 4.0;

    real cost = NAN, want_cost = NAN;
    real *want = test_reals(P);
    ck_assert_int_eq(mlp_backprop(net, batch, X, T, &cost), MLP_OK);
    ck_assert_int_eq(naive_backprop(shape.n_layers, shape.sizes, shape.acts,
                                    MLP_CROSS_ENTROPY, params, batch, X, T,
                                    want, &want_cost), 0);
    ck_assert(fabs(cost - want_cost) <= TEST_ULPS(1e-12) * fabs(want_cost));
    test_assert_close("naive", mlp_grads(net), want, P, TEST_ULPS(1e-12),
                      test_max_abs(want, P));

    real *g = test_reals(P);
    memcpy(g, mlp_grads(net), P * sizeof *g);
    for (size_t k = 0; k < P; k++) {
        /* Steps and bounds as in test_backward.c's finite differences. */
        real keep = params[k], cp, cm;
        real h = TEST_BY_PRECISION(1e-6, 5e-3) * fmax(1, fabs(keep));
        params[k] = keep + h;
        ck_assert_int_eq(mlp_backprop(net, batch, X, T, &cp), MLP_OK);
        params[k] = keep - h;
        ck_assert_int_eq(mlp_backprop(net, batch, X, T, &cm), MLP_OK);
        params[k] = keep;
        real fd = (cp - cm) / (2 * h);
        ck_assert_msg(fabs(fd - g[k]) <=
                          TEST_BY_PRECISION(1e-6, 2e-3) *
                              (fabs(g[k]) + test_max_abs(g, P)) +
                          TEST_BY_PRECISION(1e-9, 1e-3) * cost,
                      "param %zu: fd %.12g, backprop %.12g", k, fd, g[k]);
    }
    free(X); free(T); free(want); free(g);
    mlp_free(net);
}
END_TEST

/* A confident wrong answer costs about its logit, however saturated the
 * output: a sigmoid unit with logit z and target 0 costs softplus(z) =
 * z + log1p(e^-z), with target 1 softplus(-z), for z from 10 to 800,
 * where y^ rounds to 1 from z ~ 37 in double and ~ 17 in float (the
 * cost was then clamped at -log(DBL_MIN) = 708, or 87 in float: 708 for
 * z = 40, where the same mistake with the opposite sign, z = -40 and
 * target 1, cost 40). The logit form is written here independently;
 * tolerance: a few roundings of the cost, 1e-14 relative (TEST_ULPS), as
 * in test_closed_form_one_unit. The gradient stays y^ - y: 1, -1 or 0. */
START_TEST(test_wrong_yes_costs)
{
    const size_t sizes[] = { 1, 1 };
    const mlp_activation acts[] = { MLP_SIGMOID };
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 1, sizes, acts, MLP_CROSS_ENTROPY, 1),
                     MLP_OK);
    mlp_weights(net, 1)[0] = 0.0;
    static const double logits[] = { 10, 20, 30, 40, 100, 800, 1e30 };
    const real x = 1.0, y0 = 0.0, y1 = 1.0;
    for (size_t k = 0; k < sizeof logits / sizeof logits[0]; k++)
        for (int sign = -1; sign <= 1; sign += 2) {
            real z = (real)(sign * logits[k]), cost = NAN;
            mlp_biases(net, 1)[0] = z;
            /* the wrong target: 0 for z > 0, 1 for z < 0 */
            const real *wrong = z > 0 ? &y0 : &y1, *right = z > 0 ? &y1 : &y0;
            ck_assert_int_eq(mlp_backprop(net, 1, &x, wrong, &cost), MLP_OK);
            double want = softplus(fabs(z));
            ck_assert_msg(fabs(cost - want) <= TEST_ULPS(1e-14) * want,
                          "logit %g, wrong target: cost %.17g, want %.17g",
                          (double)z, (double)cost, want);
            ck_assert_int_eq(mlp_backprop(net, 1, &x, right, &cost), MLP_OK);
            want = softplus(-fabs(z));
            ck_assert_msg(fabs(cost - want) <= TEST_ULPS(1e-14) * want,
                          "logit %g, right target: cost %.17g, want %.17g",
                          (double)z, (double)cost, want);
        }
    mlp_biases(net, 1)[0] = 800.0;
    real cost;
    ck_assert_int_eq(mlp_backprop(net, 1, &x, &y0, &cost), MLP_OK);
    ck_assert_double_eq(mlp_bias_grads(net, 1)[0], 1.0);
    mlp_free(net);
}
END_TEST

/* Softmax with cross-entropy from its logits: a row z = (0, g, -g) with
 * the one-hot target on each class in turn costs
 * log(1 + e^g + e^-g) - z_target, for gaps g up to 1e4, where the
 * outputs of the classes g below the top underflow to 0 (g > 745 in
 * double, > 103 in float: the cost was clamped at 708, or 87). The
 * reference is the log-sum-exp written here, in long double; tolerance
 * a few roundings, 1e-14 relative (TEST_ULPS) of the cost, plus the same
 * of the largest logit (z_top - z_target loses nothing, the log1p term
 * is added to it). */
START_TEST(test_softmax_saturated_costs)
{
    const size_t sizes[] = { 3, 3 };
    const mlp_activation acts[] = { MLP_SOFTMAX };
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 1, sizes, acts, MLP_CROSS_ENTROPY, 1),
                     MLP_OK);
    real *W = mlp_weights(net, 1);
    for (size_t i = 0; i < 9; i++)
        W[i] = i % 4 == 0 ? 1 : 0; /* identity: z = x */
    static const double gaps[] = { 1, 10, 50, 120, 800, 1e4 };
    for (size_t k = 0; k < sizeof gaps / sizeof gaps[0]; k++)
        for (size_t c = 0; c < 3; c++) {
            real g = (real)gaps[k], X[3] = { 0, g, -g }, T[3] = { 0 }, cost;
            T[c] = 1;
            ck_assert_int_eq(mlp_backprop(net, 1, X, T, &cost), MLP_OK);
            long double lg = g;
            long double lse = lg + log1pl(expl(-lg) + expl(-2 * lg));
            double want = (double)(lse - X[c]);
            ck_assert_msg(fabs(cost - want) <=
                              TEST_ULPS(1e-14) * (want + g),
                          "gap %g, target %zu: cost %.17g, want %.17g",
                          (double)g, c, (double)cost, want);
        }
    mlp_free(net);
}
END_TEST

/* ---- digits, 0-4 against 5-9 ------------------------------------------ */

enum { DIGITS = 1797, PIXELS = 64, TRAIN = 1400 };

/* X: pixels / 16, in file order; label: the digit. */
static void read_digits(real *X, int *label)
{
    const char *path = MLP_DATA_DIR "/digits.csv.gz";
    gzFile f = gzopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char line[1024];
    size_t n = 0;
    while (n < DIGITS && gzgets(f, line, sizeof line)) {
        char *p = line;
        for (int j = 0; j <= PIXELS; j++) {
            char *end;
            long v = strtol(p, &end, 10);
            ck_assert_msg(end != p, "%s line %zu field %d", path, n + 1, j);
            if (j < PIXELS)
                X[n * PIXELS + (size_t)j] = (real)v / 16.0;
            else
                label[n] = (int)v;
            p = end + (*end == ',');
        }
        n++;
    }
    gzclose(f);
    ck_assert_uint_eq(n, DIGITS);
}

/* Trains a 64-32-n_out network (tanh hidden) with Adam (lr 3e-3) for 60
 * epochs and
 * returns its accuracy on the test rows. */
static real binary_accuracy(const real *X, const real *T,
                              const int *is_high, size_t n_out,
                              uint64_t seed)
{
    const size_t sizes[] = { PIXELS, 32, n_out };
    const mlp_activation acts[] = {
        MLP_TANH, n_out == 1 ? MLP_SIGMOID : MLP_SOFTMAX
    };
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 2, sizes, acts, MLP_CROSS_ENTROPY,
                                seed), MLP_OK);
    ck_assert_int_eq(mlp_set_adam(net, 3e-3, 0.9, 0.999, 1e-8), MLP_OK);
    mlp_fit_options o;
    mlp_fit_defaults(&o);
    o.epochs = 60;
    o.batch_size = 32;
    o.seed = seed;
    ck_assert_int_eq(mlp_fit(net, TRAIN, X, T, &o, NULL), MLP_OK);
    size_t n_test = DIGITS - TRAIN, right = 0;
    real *Y = test_reals(n_test * n_out);
    ck_assert_int_eq(mlp_predict(net, n_test, X + TRAIN * PIXELS, Y), MLP_OK);
    for (size_t i = 0; i < n_test; i++) {
        int high = n_out == 1 ? Y[i] > 0.5 : Y[2 * i + 1] > Y[2 * i];
        right += high == is_high[TRAIN + i];
    }
    free(Y);
    mlp_free(net);
    return (real)right / (real)n_test;
}

/* The task: is the digit 5-9 (1) or 0-4 (0)? Training rows are the first
 * 1400 lines of the file, test rows the other 397. A one-output sigmoid
 * is the two-output softmax with one logit pinned to 0 (sigmoid(z) =
 * softmax([0, z])_2), so both can represent the same classifiers, and with
 * binary cross-entropy both optimise the same likelihood: their test
 * accuracies differ only by initialisation and optimisation noise. Over
 * 5 seeds each, the mean accuracy of the sigmoid networks must be within
 * 1.5 points (6 of 397 test digits) of the softmax networks'. Before
 * binary cross-entropy the sigmoid network's loss ignored targets of 0,
 * so it learnt to say "5-9" always: about 50% here, which this catches by
 * far. Both must also exceed 90%, so that "equally bad" cannot pass. */
START_TEST(test_digits_binary)
{
    real *X = test_reals(DIGITS * PIXELS);
    real *T1 = test_reals(DIGITS), *T2 = test_reals(2 * DIGITS);
    int *label = calloc(DIGITS, sizeof *label);
    int *high = calloc(DIGITS, sizeof *high);
    ck_assert(label && high);
    read_digits(X, label);
    for (size_t i = 0; i < DIGITS; i++) {
        high[i] = label[i] >= 5;
        T1[i] = high[i];
        T2[2 * i] = !high[i];
        T2[2 * i + 1] = high[i];
    }
    real sig = 0, soft = 0;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        real a1 = binary_accuracy(X, T1, high, 1, seed);
        real a2 = binary_accuracy(X, T2, high, 2, seed);
        printf("digits 0-4 vs 5-9, seed %d: sigmoid+BCE %.4f, "
               "softmax+CE %.4f\n", (int)seed, a1, a2);
        ck_assert(a1 > 0.9 && a2 > 0.9);
        sig += a1 / 5;
        soft += a2 / 5;
    }
    printf("mean: sigmoid+BCE %.4f, softmax+CE %.4f\n", sig, soft);
    ck_assert_msg(sig >= soft - 0.015, "sigmoid %.4f vs softmax %.4f", sig,
                  soft);
    free(X); free(T1); free(T2); free(label); free(high);
}
END_TEST

/* Every (B, n) up to 9 x 7, so that every tail of the 8 lanes occurs,
 * and one large output (1000 x 13). Each term e^2 carries at most 3
 * roundings (the difference, the square, its addition) and each lane adds
 * at most count/8 + 1 terms, then 3 pairwise additions: the relative error
 * of a sum of non-negative terms is below (count/8 + 7) u, plus one
 * rounding for the mean; the assertion allows (count/8 + 8) u. */
static void check_mse(test_rng *rng, size_t batch, size_t n)
{
    size_t count = batch * n;
    real *A = malloc(count * sizeof *A), *T = malloc(count * sizeof *T);
    real *dZ = malloc(count * sizeof *dZ);
    ck_assert(A && T && dZ);
    test_fill_uniform(rng, A, count, -2.0, 2.0);
    test_fill_uniform(rng, T, count, -2.0, 2.0);
    double bound = NAN;
    double fused = mlp__output_delta(MLP_MSE, MLP_IDENTITY, batch, n, A, T,
                                     dZ, &bound);
    double alone = mlp__loss_cost(MLP_MSE, MLP_IDENTITY, batch, n, A, NULL,
                                  T);
    ck_assert_msg(memcmp(&fused, &alone, sizeof fused) == 0,
                  "B %zu n %zu: %.17g vs %.17g", batch, n, fused, alone);
    real scale = (real)(2.0 / ((double)batch * (double)n)), max = 0;
    long double exact = 0;
    for (size_t i = 0; i < count; i++) {
        ck_assert(dZ[i] == scale * (A[i] - T[i]));
        max = fabs(dZ[i]) > max ? (real)fabs(dZ[i]) : max;
        long double e = (long double)A[i] - (long double)T[i];
        exact += e * e;
    }
    ck_assert(bound == max);
    double want = (double)(exact / ((long double)batch * (long double)n));
    double tol = ((double)count / 8 + 8) * DBL_EPSILON / 2 * want;
    ck_assert_msg(fabs(fused - want) <= tol, "B %zu n %zu: %.17g vs %.17g",
                  batch, n, fused, want);
    free(A); free(T); free(dZ);
}

START_TEST(test_mse_lanes)
{
    test_rng rng;
    test_rng_seed(&rng, 41);
    for (size_t batch = 1; batch <= 9; batch++)
        for (size_t n = 1; n <= 7; n++)
            check_mse(&rng, batch, n);
    check_mse(&rng, 1000, 13);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("losses");
    TCase *tc = tcase_create("binary cross-entropy");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_closed_form_one_unit);
    tcase_add_test(tc, test_sum_over_outputs_mean_over_batch);
    tcase_add_loop_test(tc, test_against_naive_and_fd, 0, 12);
    tcase_add_test(tc, test_wrong_yes_costs);
    tcase_add_test(tc, test_softmax_saturated_costs);
    tcase_add_test(tc, test_digits_binary);
    tcase_add_test(tc, test_mse_lanes);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
