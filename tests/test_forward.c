/*
 * test_forward.c - mlp_predict.
 *
 * - Equals the naive reference's forward pass for random networks (depth
 *   1-4, 1-40 units, every output activation, batch 1 and > 1) to a
 *   relative 1e-13: the same arithmetic with sums in another order, a few
 *   ulps per layer (entries small by cancellation are judged against the
 *   largest output, a norm-wise bound).
 * - A batch of B rows gives, row by row, what B calls with batch 1 give,
 *   to the same 1e-13 (dgemm and dgemv may order their sums differently,
 *   so this is not asked to be bitwise).
 * - Two identical calls give identical bits, and predict changes neither
 *   parameters nor gradients.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "reference/naive.h"
#include "test_util.h"

#define TOL TEST_ULPS(1e-13)


START_TEST(test_matches_naive)
{
    size_t o = (size_t)_i / TEST_N_HIDDENS, h = (size_t)_i % TEST_N_HIDDENS;
    for (size_t depth = 1; depth <= 4; depth++) {
        for (size_t b = 0; b < 4; b++) {
            size_t B = test_batches[b];
            test_rng rng;
            uint64_t seed = 300u + 1000u * (uint64_t)_i + 10u * depth + b;
            test_rng_seed(&rng, seed);
            test_shape shape;
            test_random_shape(&rng, &shape, depth, 40, (int)test_hiddens[h],
                              test_outputs[o].out, test_outputs[o].loss);
            mlp_t *net = test_create(&shape, seed);
            size_t n = mlp_n_params(net);
            test_fill_uniform(&rng, mlp_params(net), n, -1, 1);
            size_t n0 = shape.sizes[0], nL = shape.sizes[depth];
            real *X = test_reals(B * n0);
            real *Y = test_reals(B * nL), *want = test_reals(B * nL);
            test_fill_uniform(&rng, X, B * n0, -2, 2);

            mlp_status st = mlp_predict(net, B, X, Y);
            ck_assert_msg(st == MLP_OK, "mlp_predict: %s", mlp_strerror(st));
            ck_assert_int_eq(naive_forward(depth, shape.sizes, shape.acts,
                                           mlp_params(net), B, X, want), 0);
            char what[100];
            snprintf(what, sizeof what, "L=%zu out=%d hidden=%d B=%zu Y",
                     depth, (int)test_outputs[o].out, (int)test_hiddens[h], B);
            test_assert_close(what, Y, want, B * nL, TOL,
                              test_max_abs(want, B * nL));
            free(X);
            free(Y);
            free(want);
            mlp_free(net);
        }
    }
}
END_TEST

START_TEST(test_default_acts_match_naive)
{
    test_rng rng;
    test_rng_seed(&rng, 31337);
    size_t sizes[] = { 5, 9, 4, 3 }, B = 6;
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 3, sizes, NULL, MLP_MSE, 8), MLP_OK);
    size_t n = mlp_n_params(net);
    test_fill_uniform(&rng, mlp_params(net), n, -1, 1);
    real X[6 * 5], Y[6 * 3], want[6 * 3];
    test_fill_uniform(&rng, X, B * 5, -1, 1);
    ck_assert_int_eq(mlp_predict(net, B, X, Y), MLP_OK);
    ck_assert_int_eq(naive_forward(3, sizes, NULL, mlp_params(net), B, X,
                                   want), 0);
    test_assert_close("sigmoid network Y", Y, want, B * 3, TOL, 1);
    mlp_free(net);
}
END_TEST

/* Batch B equals B single-sample predictions, whatever batch came first. */
START_TEST(test_batch_equals_rows)
{
    size_t o = (size_t)_i;
    test_rng rng;
    test_rng_seed(&rng, 555u + o);
    test_shape shape;
    test_random_shape(&rng, &shape, 3, 30, -1, test_outputs[o].out,
                      test_outputs[o].loss);
    mlp_t *net = test_create(&shape, 555u + o);
    size_t n = mlp_n_params(net), B = 37;
    test_fill_uniform(&rng, mlp_params(net), n, -1, 1);
    size_t n0 = shape.sizes[0], nL = shape.sizes[3];
    real *X = test_reals(B * n0), *Y = test_reals(B * nL);
    real *rows = test_reals(B * nL);
    test_fill_uniform(&rng, X, B * n0, -1, 1);
    /* rows first (workspace for 1), then the batch (workspace grows) */
    for (size_t s = 0; s < B; s++)
        ck_assert_int_eq(mlp_predict(net, 1, X + s * n0, rows + s * nL),
                         MLP_OK);
    ck_assert_int_eq(mlp_predict(net, B, X, Y), MLP_OK);
    test_assert_close("batch vs rows", Y, rows, B * nL, TOL,
                      test_max_abs(rows, B * nL));
    /* and rows again after the larger batch */
    real *again = test_reals(nL);
    for (size_t s = 0; s < B; s++) {
        ck_assert_int_eq(mlp_predict(net, 1, X + s * n0, again), MLP_OK);
        ck_assert_mem_eq(again, rows + s * nL, nL * sizeof *again);
    }
    free(again);
    free(X);
    free(Y);
    free(rows);
    mlp_free(net);
}
END_TEST

START_TEST(test_deterministic_and_pure)
{
    test_rng rng;
    test_rng_seed(&rng, 99);
    test_shape shape;
    test_random_shape(&rng, &shape, 2, 20, MLP_TANH, MLP_SOFTMAX,
                      MLP_CROSS_ENTROPY);
    mlp_t *net = test_create(&shape, 99);
    size_t n = mlp_n_params(net), B = 11;
    size_t n0 = shape.sizes[0], nL = shape.sizes[2];
    real *X = test_reals(B * n0), *T = test_reals(B * nL);
    real *Y1 = test_reals(B * nL), *Y2 = test_reals(B * nL);
    real *params = test_reals(n), *grads = test_reals(n);
    test_fill_uniform(&rng, X, B * n0, -1, 1);
    test_fill_targets(&rng, &shape, B, T);
    ck_assert_int_eq(mlp_backprop(net, B, X, T, NULL), MLP_OK);
    memcpy(params, mlp_params(net), n * sizeof *params);
    memcpy(grads, mlp_grads(net), n * sizeof *grads);

    ck_assert_int_eq(mlp_predict(net, B, X, Y1), MLP_OK);
    ck_assert_int_eq(mlp_predict(net, B, X, Y2), MLP_OK);
    ck_assert_mem_eq(Y1, Y2, B * nL * sizeof *Y1);
    ck_assert_mem_eq(params, mlp_params(net), n * sizeof *params);
    ck_assert_mem_eq(grads, mlp_grads(net), n * sizeof *grads);
    /* softmax rows are distributions */
    for (size_t s = 0; s < B; s++) {
        real sum = 0;
        for (size_t i = 0; i < nL; i++) {
            ck_assert(Y1[s * nL + i] >= 0 && Y1[s * nL + i] <= 1);
            sum += Y1[s * nL + i];
        }
        ck_assert_double_eq_tol(sum, 1, TEST_ULPS(1e-14));
    }
    free(X);
    free(T);
    free(Y1);
    free(Y2);
    free(params);
    free(grads);
    mlp_free(net);
}
END_TEST

/* Large pre-activations must not overflow: the sigmoid is computed stably
 * and softmax subtracts the row maximum. */
START_TEST(test_saturation_is_finite)
{
    size_t sizes[] = { 1, 3 };
    mlp_activation sig[] = { MLP_SIGMOID }, soft[] = { MLP_SOFTMAX };
    real X[2] = { 1000, -1000 }, Y[6];
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 1, sizes, sig, MLP_MSE, 1), MLP_OK);
    real *W = mlp_weights(net, 1);
    W[0] = 1; W[1] = -1; W[2] = 0.5;
    ck_assert_int_eq(mlp_predict(net, 2, X, Y), MLP_OK);
    /* z = (1000, -1000, 500) then (-1000, 1000, -500): σ is 1 or
     * (e^-1000 underflowing) 0, and σ(-500) = e^-500 ~ 7e-218. */
    real expect[6] = { 1, 0, 1, 0, 1, 0 };
    for (size_t k = 0; k < 6; k++) {
        ck_assert(Y[k] >= 0 && Y[k] <= 1);
        ck_assert_double_eq_tol(Y[k], expect[k], 1e-200);
    }
    mlp_free(net);

    ck_assert_int_eq(mlp_create(&net, 1, sizes, soft, MLP_CROSS_ENTROPY, 1),
                     MLP_OK);
    W = mlp_weights(net, 1);
    W[0] = 1; W[1] = 0.999; W[2] = -1;
    ck_assert_int_eq(mlp_predict(net, 2, X, Y), MLP_OK);
    for (size_t k = 0; k < 6; k++)
        ck_assert(isfinite(Y[k]));
    /* row 0: z = (1000, 999, -1000): e^0, e^-1, ~0 over their sum */
    real e1 = exp(-1.0);
    ck_assert_double_eq_tol(Y[0], 1 / (1 + e1), 1e-15);
    ck_assert_double_eq_tol(Y[1], e1 / (1 + e1), 1e-15);
    ck_assert_double_eq_tol(Y[2], 0, 1e-300);
    /* row 1: z = (-1000, -999, 1000): all on the last unit */
    ck_assert_double_eq_tol(Y[5], 1, 1e-15);
    mlp_free(net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("forward");
    TCase *tc = tcase_create("predict");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_matches_naive, 0,
                        (int)(TEST_N_OUTPUTS * TEST_N_HIDDENS));
    tcase_add_test(tc, test_default_acts_match_naive);
    tcase_add_loop_test(tc, test_batch_equals_rows, 0, (int)TEST_N_OUTPUTS);
    tcase_add_test(tc, test_deterministic_and_pure);
    tcase_add_test(tc, test_saturation_is_finite);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
