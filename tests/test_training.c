/*
 * test_training.c - training end to end, and the optimizer's arithmetic.
 *
 * - XOR: 2-8-1 sigmoid/MSE, full batch, plain SGD (learning rate 4), with
 *   mlp_train_batch and with mlp_backprop + mlp_step: after 500 steps every
 *   output is on the right side of 0.5 and the cost is below 0.01.
 * - Iris (tests/data/iris.csv, standardised features): 4-8-3 tanh/softmax/
 *   cross-entropy, minibatches of 10, plain SGD and SGD with momentum 0.9:
 *   training accuracy >= 95% and the full-batch cost falls well below its
 *   starting value (about log 3 = 1.1) to under 0.15.
 * - SGD with momentum follows v <- mu v + g, θ <- θ - lr v exactly as
 *   written in mlp.h: checked step by step against the same update done
 *   here from mlp_grads, to a relative 1e-13 of the largest parameter
 *   (the library may fuse the multiply-adds; a few ulps).
 * - mlp_train_batch gives the parameters and cost of mlp_backprop followed
 *   by mlp_step, to rounding: relative 1e-12 norm-wise after 20 steps (the
 *   folded GEMM sums in another order, an ulp per step at most).
 * These thresholds are properties of a correct trainer on these problems,
 * not recorded outputs; the seeds are fixed so the runs are reproducible.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "test_util.h"

#ifndef MLP_TEST_DATA_DIR
#error "MLP_TEST_DATA_DIR must be defined by tests/meson.build"
#endif

/* ---- XOR ---------------------------------------------------------------- */

static const real xor_X[4 * 2] = { 0, 0, 0, 1, 1, 0, 1, 1 };
static const real xor_T[4] = { 0, 1, 1, 0 };

static void check_xor_solved(mlp_t *net, real cost)
{
    real Y[4];
    ck_assert_int_eq(mlp_predict(net, 4, xor_X, Y), MLP_OK);
    for (size_t s = 0; s < 4; s++)
        ck_assert_msg(xor_T[s] == 1 ? Y[s] > 0.5 : Y[s] < 0.5,
                      "XOR(%g, %g) = %g, want %g", xor_X[2 * s],
                      xor_X[2 * s + 1], Y[s], xor_T[s]);
    ck_assert_msg(cost < 0.01, "XOR cost %g after training", cost);
}

static mlp_t *xor_network(void)
{
    static const size_t sizes[] = { 2, 8, 1 };
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 2, sizes, NULL, MLP_MSE, 2024), MLP_OK);
    ck_assert_int_eq(mlp_set_sgd(net, 4.0, 0), MLP_OK);
    return net;
}

#define XOR_STEPS 500

START_TEST(test_xor_train_batch)
{
    mlp_t *net = xor_network();
    real first = 0, cost = 0;
    for (int step = 0; step < XOR_STEPS; step++) {
        ck_assert_int_eq(mlp_train_batch(net, 4, xor_X, xor_T, &cost), MLP_OK);
        if (step == 0)
            first = cost;
    }
    ck_assert_int_eq(mlp_backprop(net, 4, xor_X, xor_T, &cost), MLP_OK);
    ck_assert_msg(cost < first, "cost went from %g to %g", first, cost);
    check_xor_solved(net, cost);
    mlp_free(net);
}
END_TEST

START_TEST(test_xor_backprop_step)
{
    mlp_t *net = xor_network();
    real first = 0, cost = 0;
    for (int step = 0; step < XOR_STEPS; step++) {
        ck_assert_int_eq(mlp_backprop(net, 4, xor_X, xor_T, &cost), MLP_OK);
        ck_assert_int_eq(mlp_step(net), MLP_OK);
        if (step == 0)
            first = cost;
    }
    ck_assert_int_eq(mlp_backprop(net, 4, xor_X, xor_T, &cost), MLP_OK);
    ck_assert_msg(cost < first, "cost went from %g to %g", first, cost);
    check_xor_solved(net, cost);
    mlp_free(net);
}
END_TEST

/* ---- Iris --------------------------------------------------------------- */

typedef struct iris {
    size_t rows, features, classes;
    real *X; /* rows x features, standardised */
    real *T; /* rows x classes, one-hot */
    int *label;
} iris;

static void iris_load(iris *d)
{
    const char *path = MLP_TEST_DATA_DIR "/iris.csv";
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char names[3][32];
    int rows, features;
    ck_assert_int_eq(fscanf(f, "%d,%d,%31[^,],%31[^,],%31s", &rows, &features,
                            names[0], names[1], names[2]), 5);
    ck_assert_int_eq(rows, 150);
    ck_assert_int_eq(features, 4);
    d->rows = 150;
    d->features = 4;
    d->classes = 3;
    d->X = test_reals(150 * 4);
    d->T = test_reals(150 * 3);
    d->label = calloc(150, sizeof *d->label);
    ck_assert_ptr_nonnull(d->label);
    for (size_t r = 0; r < 150; r++) {
        real *x = d->X + r * 4;
        double v[4];
        int label;
        ck_assert_int_eq(fscanf(f, " %lf,%lf,%lf,%lf,%d", &v[0], &v[1],
                                &v[2], &v[3], &label), 5);
        for (int k = 0; k < 4; k++)
            x[k] = (real)v[k];
        ck_assert(label >= 0 && label < 3);
        d->label[r] = label;
        d->T[r * 3 + (size_t)label] = 1;
    }
    fclose(f);
    /* standardise each feature to mean 0, standard deviation 1 */
    for (size_t j = 0; j < 4; j++) {
        real mean = 0, var = 0;
        for (size_t r = 0; r < 150; r++)
            mean += d->X[r * 4 + j] / 150;
        for (size_t r = 0; r < 150; r++)
            var += (d->X[r * 4 + j] - mean) * (d->X[r * 4 + j] - mean) / 150;
        ck_assert(var > 0);
        for (size_t r = 0; r < 150; r++)
            d->X[r * 4 + j] = (d->X[r * 4 + j] - mean) / sqrt(var);
    }
}

static void iris_free(iris *d)
{
    free(d->X);
    free(d->T);
    free(d->label);
}

static mlp_t *iris_network(void)
{
    static const size_t sizes[] = { 4, 8, 3 };
    static const mlp_activation acts[] = { MLP_TANH, MLP_SOFTMAX };
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 2, sizes, acts, MLP_CROSS_ENTROPY, 7),
                     MLP_OK);
    return net;
}

static real iris_accuracy(mlp_t *net, const iris *d)
{
    real *Y = test_reals(d->rows * 3);
    ck_assert_int_eq(mlp_predict(net, d->rows, d->X, Y), MLP_OK);
    size_t right = 0;
    for (size_t r = 0; r < d->rows; r++) {
        const real *y = Y + r * 3;
        int best = 0;
        for (int c = 1; c < 3; c++)
            if (y[c] > y[best])
                best = c;
        right += best == d->label[r];
    }
    free(Y);
    return (real)right / (real)d->rows;
}

static real iris_cost(mlp_t *net, const iris *d)
{
    real cost;
    ck_assert_int_eq(mlp_backprop(net, d->rows, d->X, d->T, &cost), MLP_OK);
    return cost;
}

/* Epochs of shuffled minibatches of 10; use_step selects backprop + step
 * rather than train_batch. */
static void iris_train(mlp_t *net, const iris *d, int epochs, int use_step)
{
    size_t order[150];
    real X[10 * 4], T[10 * 3];
    test_rng rng;
    test_rng_seed(&rng, 11);
    for (size_t r = 0; r < 150; r++)
        order[r] = r;
    for (int e = 0; e < epochs; e++) {
        for (size_t r = 149; r > 0; r--) {
            size_t k = test_rng_range(&rng, 0, r), t = order[r];
            order[r] = order[k];
            order[k] = t;
        }
        for (size_t start = 0; start < 150; start += 10) {
            for (size_t s = 0; s < 10; s++) {
                memcpy(X + s * 4, d->X + order[start + s] * 4, 4 * sizeof *X);
                memcpy(T + s * 3, d->T + order[start + s] * 3, 3 * sizeof *T);
            }
            if (use_step) {
                ck_assert_int_eq(mlp_backprop(net, 10, X, T, NULL), MLP_OK);
                ck_assert_int_eq(mlp_step(net), MLP_OK);
            } else {
                ck_assert_int_eq(mlp_train_batch(net, 10, X, T, NULL), MLP_OK);
            }
        }
    }
}

static void check_iris(real lr, real momentum, int epochs, int use_step)
{
    iris d;
    iris_load(&d);
    mlp_t *net = iris_network();
    ck_assert_int_eq(mlp_set_sgd(net, lr, momentum), MLP_OK);
    real c0 = iris_cost(net, &d);
    iris_train(net, &d, epochs / 10, use_step);
    real c1 = iris_cost(net, &d);
    iris_train(net, &d, epochs - epochs / 10, use_step);
    real c2 = iris_cost(net, &d);
    real acc = iris_accuracy(net, &d);
    ck_assert_msg(c1 < c0 && c2 < c1,
                  "iris cost does not decrease: %g, %g, %g", c0, c1, c2);
    ck_assert_msg(c2 < 0.15, "iris cost %g after %d epochs", c2, epochs);
    ck_assert_msg(acc >= 0.95, "iris training accuracy %.3f", acc);
    mlp_free(net);
    iris_free(&d);
}

START_TEST(test_iris_sgd_train_batch)
{
    check_iris(0.1, 0, 200, 0);
}
END_TEST

START_TEST(test_iris_sgd_backprop_step)
{
    check_iris(0.1, 0, 200, 1);
}
END_TEST

START_TEST(test_iris_momentum)
{
    check_iris(0.01, 0.9, 200, 0);
    check_iris(0.01, 0.9, 200, 1);
}
END_TEST

/* ---- The update rule ------------------------------------------------------ */

START_TEST(test_momentum_update_rule)
{
    iris d;
    iris_load(&d);
    mlp_t *net = iris_network();
    const real lr = 0.05, mu = 0.8;
    ck_assert_int_eq(mlp_set_sgd(net, lr, mu), MLP_OK);
    size_t n = mlp_n_params(net);
    real *v = test_reals(n), *want = test_reals(n);
    for (size_t step = 0; step < 15; step++) {
        const real *X = d.X + (step * 10 % 150) * 4;
        const real *T = d.T + (step * 10 % 150) * 3;
        ck_assert_int_eq(mlp_backprop(net, 10, X, T, NULL), MLP_OK);
        const real *g = mlp_grads(net), *theta = mlp_params(net);
        for (size_t k = 0; k < n; k++) {
            v[k] = mu * v[k] + g[k];
            want[k] = theta[k] - lr * v[k];
        }
        ck_assert_int_eq(mlp_step(net), MLP_OK);
        test_assert_close("θ after momentum step", mlp_params(net), want, n,
                          TEST_ULPS(1e-13), test_max_abs(want, n));
    }
    /* mlp_set_sgd resets the velocity: the next step is plain lr·g */
    ck_assert_int_eq(mlp_set_sgd(net, lr, mu), MLP_OK);
    ck_assert_int_eq(mlp_backprop(net, 10, d.X, d.T, NULL), MLP_OK);
    for (size_t k = 0; k < n; k++)
        want[k] = mlp_params(net)[k] - lr * mlp_grads(net)[k];
    ck_assert_int_eq(mlp_step(net), MLP_OK);
    test_assert_close("θ after reset", mlp_params(net), want, n, TEST_ULPS(1e-13),
                      test_max_abs(want, n));
    free(v);
    free(want);
    mlp_free(net);
    iris_free(&d);
}
END_TEST

/* _i = 0: plain SGD, _i = 1: momentum. */
START_TEST(test_train_batch_equals_backprop_step)
{
    iris d;
    iris_load(&d);
    mlp_t *a = iris_network(), *b = iris_network();
    real mu = _i ? 0.9 : 0;
    ck_assert_int_eq(mlp_set_sgd(a, 0.1, mu), MLP_OK);
    ck_assert_int_eq(mlp_set_sgd(b, 0.1, mu), MLP_OK);
    size_t n = mlp_n_params(a);
    ck_assert_mem_eq(mlp_params(a), mlp_params(b), n * sizeof(real));
    for (size_t step = 0; step < 20; step++) {
        size_t B = 1 + step % 7; /* batch 1 too: dger/dgemv paths */
        const real *X = d.X + step * 7 * 4, *T = d.T + step * 7 * 3;
        real ca, cb;
        ck_assert_int_eq(mlp_train_batch(a, B, X, T, &ca), MLP_OK);
        ck_assert_int_eq(mlp_backprop(b, B, X, T, &cb), MLP_OK);
        ck_assert_int_eq(mlp_step(b), MLP_OK);
        test_assert_close("train_batch cost", &ca, &cb, 1, TEST_ULPS(1e-12), 0);
    }
    test_assert_close("train_batch θ", mlp_params(a), mlp_params(b), n,
                      TEST_ULPS(1e-12), test_max_abs(mlp_params(b), n));
    mlp_free(a);
    mlp_free(b);
    iris_free(&d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("train");
    TCase *tc = tcase_create("train");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_xor_train_batch);
    tcase_add_test(tc, test_xor_backprop_step);
    tcase_add_test(tc, test_iris_sgd_train_batch);
    tcase_add_test(tc, test_iris_sgd_backprop_step);
    tcase_add_test(tc, test_iris_momentum);
    tcase_add_test(tc, test_momentum_update_rule);
    tcase_add_loop_test(tc, test_train_batch_equals_backprop_step, 0, 2);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
