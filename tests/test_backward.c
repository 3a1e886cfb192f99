/*
 * test_backward.c - gradients of mlp_backprop.
 *
 * 1. Against the naive reference (tests/reference/naive.c): random networks
 *    of depth 1-4 and 1-40 units per layer, every valid activation/loss
 *    pair (hidden sigmoid/tanh/relu/identity; output sigmoid/tanh/relu/
 *    identity with MSE, softmax or sigmoid with cross-entropy), batches of
 *    1, 2, 7 and 33. Gradients and cost must agree to a relative 1e-12:
 *    both compute the same expressions in real, only the order of the
 *    sums differs (BLAS blocks and vectorises them), which moves each
 *    result by a few ulps per operation, growing with the depth and the
 *    length of the sums (<= 40 units, <= 33 samples): far below 1e-12
 *    (~4500 ulps). An entry that is small through cancellation is judged
 *    against the largest entry of its W or b block (norm-wise bound).
 * 2. Against central finite differences of the cost returned by
 *    mlp_backprop, (C(θ+h) - C(θ-h)) / 2h with h = 1e-6 max(1, |θ|), on
 *    small networks with smooth activations only (no ReLU kinks):
 *    truncation error O(h²) ~ 1e-12 and rounding error ~ eps·C/h ~ 1e-10·C,
 *    so a relative tolerance of 1e-6 (norm-wise for small entries, plus
 *    1e-9·C for the rounding floor) is generous yet catches any wrong term.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "reference/naive.h"
#include "test_util.h"

#define NAIVE_TOL TEST_ULPS(1e-12)
#define FD_TOL TEST_BY_PRECISION(1e-6, 2e-3)
/* In float the step is eps_f^(1/3) ~ 5e-3 (the best balance of
 * truncation h^2 and rounding eps C / h), the cost itself carries a
 * rounding of ~1e-6 C (its forward pass), so the difference quotient is
 * good to ~1e-6 C / h ~ 2.5e-4 C plus h^2 ~ 2.5e-5: a relative 2e-3 with
 * a floor of 1e-3 C. Still far below the O(1) error of a wrong term; the
 * float gradients are held to ~1e-6 by the comparison with double
 * (test_precision.c). */
#define FD_STEP TEST_BY_PRECISION(1e-6, 5e-3)
#define FD_FLOOR TEST_BY_PRECISION(1e-9, 1e-3)


/* Compares the network's gradients with the reference block by block. */
static void compare_grads(mlp_t *net, const test_shape *shape,
                          const real *want, const char *ctx)
{
    const real *got = mlp_grads(net);
    size_t off = 0;
    char what[160];
    for (size_t l = 1; l <= shape->n_layers; l++) {
        size_t nw = shape->sizes[l] * shape->sizes[l - 1];
        size_t nb = shape->sizes[l];
        snprintf(what, sizeof what, "%s dW%zu", ctx, l);
        test_assert_close(what, got + off, want + off, nw, NAIVE_TOL,
                          test_max_abs(want + off, nw));
        off += nw;
        snprintf(what, sizeof what, "%s db%zu", ctx, l);
        test_assert_close(what, got + off, want + off, nb, NAIVE_TOL,
                          test_max_abs(want + off, nb));
        off += nb;
    }
}

/* One random network and batch: mlp_backprop vs naive_backprop. */
static void check_against_naive(const test_shape *shape, size_t batch,
                                uint64_t seed, int null_acts)
{
    const mlp_activation *acts = null_acts ? NULL : shape->acts;
    test_rng rng;
    test_rng_seed(&rng, seed);
    mlp_t *net = NULL;
    mlp_status st = mlp_create(&net, shape->n_layers, shape->sizes, acts,
                               shape->loss, seed);
    ck_assert_msg(st == MLP_OK, "mlp_create: %s", mlp_strerror(st));
    size_t n_params = mlp_n_params(net);
    ck_assert_uint_eq(n_params, naive_n_params(shape->n_layers, shape->sizes));

    /* Random biases too (they start at 0), so that forgetting one shows. */
    real *params = mlp_params(net);
    test_fill_uniform(&rng, params, n_params, -1, 1);

    size_t n0 = shape->sizes[0], nL = shape->sizes[shape->n_layers];
    real *X = test_reals(batch * n0), *T = test_reals(batch * nL);
    real *want = test_reals(n_params);
    test_fill_uniform(&rng, X, batch * n0, -1, 1);
    test_fill_targets(&rng, shape, batch, T);

    real cost = NAN, want_cost = NAN;
    st = mlp_backprop(net, batch, X, T, &cost);
    ck_assert_msg(st == MLP_OK, "mlp_backprop: %s", mlp_strerror(st));
    ck_assert_int_eq(naive_backprop(shape->n_layers, shape->sizes, acts,
                                    shape->loss, params, batch, X, T, want,
                                    &want_cost), 0);

    char ctx[120];
    snprintf(ctx, sizeof ctx, "L=%zu out=%d loss=%d B=%zu n0=%zu nL=%zu",
             shape->n_layers, (int)shape->acts[shape->n_layers - 1],
             (int)shape->loss, batch, n0, nL);
    ck_assert_msg(fabs(cost - want_cost) <= NAIVE_TOL * fabs(want_cost),
                  "%s cost: got %.17g, want %.17g", ctx, cost, want_cost);
    compare_grads(net, shape, want, ctx);

    /* The cost pointer is optional and does not change the gradients. */
    real *first = test_reals(n_params);
    memcpy(first, mlp_grads(net), n_params * sizeof *first);
    ck_assert_int_eq(mlp_backprop(net, batch, X, T, NULL), MLP_OK);
    ck_assert_mem_eq(first, mlp_grads(net), n_params * sizeof *first);

    free(first);
    free(want);
    free(X);
    free(T);
    mlp_free(net);
}

/* _i runs over every (output, hidden activation) pair. */
START_TEST(test_naive_all_pairs)
{
    size_t o = (size_t)_i / TEST_N_HIDDENS, h = (size_t)_i % TEST_N_HIDDENS;
    for (size_t depth = 1; depth <= 4; depth++) {
        for (size_t b = 0; b < TEST_N_BATCHES; b++) {
            test_rng rng;
            uint64_t seed = 1000u * (uint64_t)_i + 10u * depth + b;
            test_rng_seed(&rng, seed);
            test_shape shape;
            test_random_shape(&rng, &shape, depth, 40, (int)test_hiddens[h],
                              test_outputs[o].out, test_outputs[o].loss);
            check_against_naive(&shape, test_batches[b], seed, 0);
        }
    }
}
END_TEST

/* Hidden activations mixed within one network. */
START_TEST(test_naive_mixed_hidden)
{
    for (unsigned k = 0; k < 48; k++) {
        test_rng rng;
        test_rng_seed(&rng, 77000u + k);
        test_shape shape;
        size_t o = k % TEST_N_OUTPUTS;
        test_random_shape(&rng, &shape, 2 + k % 3, 24, -1, test_outputs[o].out,
                          test_outputs[o].loss);
        check_against_naive(&shape, test_batches[k % 4], 77000u + k, 0);
    }
}
END_TEST

/* acts == NULL: the seed's all-sigmoid network, with both losses. */
START_TEST(test_naive_default_acts)
{
    for (unsigned k = 0; k < 8; k++) {
        test_rng rng;
        test_rng_seed(&rng, 5150u + k);
        test_shape shape;
        mlp_loss loss = k % 2 ? MLP_CROSS_ENTROPY : MLP_MSE;
        test_random_shape(&rng, &shape, 1 + k % 3, 12, MLP_SIGMOID,
                          MLP_SIGMOID, loss);
        check_against_naive(&shape, test_batches[k % 4], 5150u + k, 1);
    }
}
END_TEST

/* The smooth hidden activations of the finite-difference checks. */
static const mlp_activation smooth[] = {
    MLP_SIGMOID, MLP_TANH, MLP_IDENTITY
};

/* One network (output pair o, hidden activation smooth[h], depth layers,
 * batch rows): every parameter's gradient against the central difference
 * of the library's own cost. */
static void check_finite_differences(size_t o, size_t h, size_t depth,
                                     size_t batch)
{
    test_rng rng;
    uint64_t seed = 9000u + 100u * o + 10u * h + depth + batch;
    test_rng_seed(&rng, seed);
    test_shape shape;
    test_random_shape(&rng, &shape, depth, 6, (int)smooth[h],
                      test_outputs[o].out, test_outputs[o].loss);
    mlp_t *net = test_create(&shape, seed);
    size_t n = mlp_n_params(net);
    real *theta = mlp_params(net);
    test_fill_uniform(&rng, theta, n, -1, 1);
    size_t n0 = shape.sizes[0], nL = shape.sizes[depth];
    real *X = test_reals(batch * n0);
    real *T = test_reals(batch * nL);
    real *g = test_reals(n);
    test_fill_uniform(&rng, X, batch * n0, -1, 1);
    test_fill_targets(&rng, &shape, batch, T);

    real cost;
    ck_assert_int_eq(mlp_backprop(net, batch, X, T, &cost),
                     MLP_OK);
    memcpy(g, mlp_grads(net), n * sizeof *g);
    real gscale = test_max_abs(g, n);

    for (size_t k = 0; k < n; k++) {
        real saved = theta[k];
        real step = FD_STEP * fmax(1, fabs(saved));
        real cp, cm;
        theta[k] = saved + step;
        ck_assert_int_eq(mlp_backprop(net, batch, X, T, &cp),
                         MLP_OK);
        theta[k] = saved - step;
        ck_assert_int_eq(mlp_backprop(net, batch, X, T, &cm),
                         MLP_OK);
        theta[k] = saved;
        real fd = (cp - cm) / (2 * step);
        double bound = FD_TOL * (fabs(g[k]) + gscale)
                       + FD_FLOOR * fabs(cost);
        ck_assert_msg(fabs(fd - g[k]) <= bound,
                      "L=%zu out=%d loss=%d hidden=%d B=%zu "
                      "param %zu of %zu: analytic %.12g, "
                      "finite difference %.12g",
                      depth, (int)test_outputs[o].out,
                      (int)test_outputs[o].loss, (int)smooth[h],
                      batch, k, n, g[k], fd);
    }
    free(X);
    free(T);
    free(g);
    mlp_free(net);
}

/* Central differences of the library's own cost. _i: output pair. */
START_TEST(test_finite_differences)
{
    size_t o = (size_t)_i;
    if (test_outputs[o].out == MLP_RELU)
        return; /* kink at 0: covered by the naive comparison only */
    for (size_t h = 0; h < 3; h++)
        for (size_t depth = 1; depth <= 3; depth++)
            for (size_t batch = 1; batch <= 3; batch += 2)
                check_finite_differences(o, h, depth, batch);
}
END_TEST

/* The gradient of a batch is the mean of its samples' gradients: checks
 * the 1/B of the batch mean and the sum over the batch (§5/§9). */
START_TEST(test_batch_is_mean_of_samples)
{
    test_rng rng;
    test_rng_seed(&rng, 4242);
    test_shape shape;
    test_random_shape(&rng, &shape, 3, 10, MLP_TANH, MLP_SIGMOID, MLP_MSE);
    mlp_t *net = test_create(&shape, 4242);
    size_t n = mlp_n_params(net), B = 5;
    size_t n0 = shape.sizes[0], nL = shape.sizes[3];
    test_fill_uniform(&rng, mlp_params(net), n, -1, 1);
    real *X = test_reals(B * n0), *T = test_reals(B * nL);
    real *mean = test_reals(n), *batch = test_reals(n);
    test_fill_uniform(&rng, X, B * n0, -1, 1);
    test_fill_targets(&rng, &shape, B, T);
    real cost_sum = 0, c, cost;
    for (size_t s = 0; s < B; s++) {
        ck_assert_int_eq(mlp_backprop(net, 1, X + s * n0, T + s * nL, &c),
                         MLP_OK);
        cost_sum += c;
        for (size_t k = 0; k < n; k++)
            mean[k] += mlp_grads(net)[k] / (real)B;
    }
    ck_assert_int_eq(mlp_backprop(net, B, X, T, &cost), MLP_OK);
    memcpy(batch, mlp_grads(net), n * sizeof *batch);
    test_assert_close("batch gradient", batch, mean, n, NAIVE_TOL,
                      test_max_abs(mean, n));
    ck_assert_msg(fabs(cost - cost_sum / (real)B)
                      <= NAIVE_TOL * cost_sum / (real)B,
                  "cost %.17g, mean of sample costs %.17g", cost,
                  cost_sum / (real)B);
    free(X);
    free(T);
    free(mean);
    free(batch);
    mlp_free(net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("backward");
    TCase *naive = tcase_create("naive_reference");
    tcase_set_timeout(naive, 120);
    tcase_add_loop_test(naive, test_naive_all_pairs, 0,
                        (int)(TEST_N_OUTPUTS * TEST_N_HIDDENS));
    tcase_add_test(naive, test_naive_mixed_hidden);
    tcase_add_test(naive, test_naive_default_acts);
    tcase_add_test(naive, test_batch_is_mean_of_samples);
    suite_add_tcase(s, naive);

    TCase *fd = tcase_create("finite_differences");
    tcase_set_timeout(fd, 120);
    tcase_add_loop_test(fd, test_finite_differences, 0, (int)TEST_N_OUTPUTS);
    suite_add_tcase(s, fd);
    return test_run_suite(s);
}
