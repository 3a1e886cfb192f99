/*
 * test_init.c - parameter initialisation and reproducibility.
 *
 * - The same seed gives bitwise identical parameters, outputs and, after
 *   training steps, parameters again (memcmp; the tests run with one BLAS
 *   thread, the condition under which mlp.h promises this).
 * - Different seeds give different parameters.
 * - Weights lie in the documented bounds: Glorot uniform a = sqrt(6/(n_in +
 *   n_out)) for sigmoid/tanh/identity/softmax layers, He uniform a =
 *   sqrt(6/n_in) for ReLU layers; biases are exactly 0.
 * - For a 300x200 layer (60000 weights) the sample mean is within 5 standard
 *   errors of 0 (SE = a/sqrt(3n)) and the sample variance within 5 standard
 *   errors of a²/3 (for U(-a,a), Var(s²) ~ (μ4 - σ⁴)/n with μ4 = a⁴/5, so
 *   SE = a² sqrt(4/(45n)), ~0.4% of a²/3): a wrong bound or distribution
 *   (e.g. a normal, or a = sqrt(3/n)) fails, sampling noise does not.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "test_util.h"

static const size_t sizes[] = { 7, 13, 5, 3 };
static const mlp_activation acts[] = { MLP_RELU, MLP_TANH, MLP_SOFTMAX };

static mlp_t *make(uint64_t seed)
{
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 3, sizes, acts, MLP_CROSS_ENTROPY, seed),
                     MLP_OK);
    return net;
}

START_TEST(test_same_seed_same_bits)
{
    const uint64_t seeds[] = { 0, 1, 42, UINT64_MAX };
    for (size_t s = 0; s < 4; s++) {
        mlp_t *a = make(seeds[s]), *b = make(seeds[s]);
        size_t n = mlp_n_params(a);
        ck_assert_mem_eq(mlp_params(a), mlp_params(b), n * sizeof(real));

        test_rng rng;
        test_rng_seed(&rng, 3);
        real X[9 * 7], T[9 * 3], Ya[9 * 3], Yb[9 * 3];
        test_fill_uniform(&rng, X, 9 * 7, -1, 1);
        for (size_t r = 0; r < 9; r++)
            for (size_t c = 0; c < 3; c++)
                T[r * 3 + c] = c == r % 3;
        ck_assert_int_eq(mlp_predict(a, 9, X, Ya), MLP_OK);
        ck_assert_int_eq(mlp_predict(b, 9, X, Yb), MLP_OK);
        ck_assert_mem_eq(Ya, Yb, sizeof Ya);

        ck_assert_int_eq(mlp_set_sgd(a, 0.1, 0.9), MLP_OK);
        ck_assert_int_eq(mlp_set_sgd(b, 0.1, 0.9), MLP_OK);
        real ca, cb;
        for (int k = 0; k < 25; k++) {
            ck_assert_int_eq(mlp_train_batch(a, 9, X, T, &ca), MLP_OK);
            ck_assert_int_eq(mlp_train_batch(b, 9, X, T, &cb), MLP_OK);
            ck_assert_mem_eq(&ca, &cb, sizeof ca);
        }
        ck_assert_mem_eq(mlp_params(a), mlp_params(b), n * sizeof(real));
        ck_assert_int_eq(mlp_backprop(a, 9, X, T, &ca), MLP_OK);
        ck_assert_int_eq(mlp_backprop(b, 9, X, T, &cb), MLP_OK);
        ck_assert_mem_eq(mlp_grads(a), mlp_grads(b), n * sizeof(real));
        ck_assert_int_eq(mlp_predict(a, 9, X, Ya), MLP_OK);
        ck_assert_int_eq(mlp_predict(b, 9, X, Yb), MLP_OK);
        ck_assert_mem_eq(Ya, Yb, sizeof Ya);
        mlp_free(a);
        mlp_free(b);
    }
}
END_TEST

START_TEST(test_different_seeds_differ)
{
    const uint64_t seeds[] = { 0, 1, 2, 42, UINT64_C(1) << 32, UINT64_MAX };
    const size_t ns = sizeof seeds / sizeof seeds[0];
    mlp_t *nets[6];
    for (size_t s = 0; s < ns; s++)
        nets[s] = make(seeds[s]);
    size_t n = mlp_n_params(nets[0]);
    for (size_t s = 0; s < ns; s++) {
        for (size_t t = 0; t < s; t++) {
            /* not merely different somewhere: different in most weights */
            size_t same = 0, n_w = 0;
            for (size_t l = 1; l <= 3; l++) {
                const real *ws = mlp_weights(nets[s], l);
                const real *wt = mlp_weights(nets[t], l);
                for (size_t k = 0; k < sizes[l] * sizes[l - 1]; k++, n_w++)
                    same += ws[k] == wt[k];
            }
            ck_assert_msg(same < n_w / 10,
                          "seeds %llu and %llu share %zu of %zu weights",
                          (unsigned long long)seeds[s],
                          (unsigned long long)seeds[t], same, n_w);
            ck_assert(memcmp(mlp_params(nets[s]), mlp_params(nets[t]),
                             n * sizeof(real)) != 0);
        }
    }
    for (size_t s = 0; s < ns; s++)
        mlp_free(nets[s]);
}
END_TEST

static real bound(mlp_activation act, size_t n_in, size_t n_out)
{
    if (act == MLP_RELU)
        return sqrt(6.0 / (real)n_in);
    return sqrt(6.0 / (real)(n_in + n_out));
}

/* Every activation, several shapes: |w| <= a, biases 0, and both signs. */
START_TEST(test_bounds_and_zero_biases)
{
    const mlp_activation all[] = { MLP_SIGMOID, MLP_TANH, MLP_RELU,
                                   MLP_IDENTITY, MLP_SOFTMAX };
    for (size_t a = 0; a < 5; a++) {
        size_t sz[] = { 1 + 7 * a, 20 + a, 2 + a };
        mlp_activation ac[] = { all[a] == MLP_SOFTMAX ? MLP_TANH : all[a],
                                all[a] };
        mlp_loss loss = all[a] == MLP_SOFTMAX ? MLP_CROSS_ENTROPY : MLP_MSE;
        mlp_t *net = NULL;
        ck_assert_int_eq(mlp_create(&net, 2, sz, ac, loss, 100 + a), MLP_OK);
        for (size_t l = 1; l <= 2; l++) {
            real lim = bound(ac[l - 1], sz[l - 1], sz[l]);
            const real *w = mlp_weights(net, l);
            size_t nw = sz[l] * sz[l - 1];
            int pos = 0, neg = 0;
            for (size_t k = 0; k < nw; k++) {
                ck_assert_msg(fabs(w[k]) <= lim,
                              "act %d layer %zu: |w| = %g > %g",
                              (int)ac[l - 1], l, fabs(w[k]), lim);
                pos += w[k] > 0;
                neg += w[k] < 0;
            }
            if (nw >= 20)
                ck_assert(pos > 0 && neg > 0);
            const real *b = mlp_biases(net, l);
            for (size_t k = 0; k < sz[l]; k++)
                ck_assert(b[k] == 0);
        }
        mlp_free(net);
    }
}
END_TEST

/* Sample mean and variance of a big layer. _i = 0: Glorot (tanh), 1: He
 * (ReLU). */
START_TEST(test_uniform_moments)
{
    size_t sz[] = { 200, 300, 1 };
    mlp_activation ac[] = { _i ? MLP_RELU : MLP_TANH, MLP_IDENTITY };
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 2, sz, ac, MLP_MSE, 777), MLP_OK);
    const real *w = mlp_weights(net, 1);
    const size_t n = 300 * 200;
    const real a = bound(ac[0], 200, 300);
    real mean = 0, var = 0, max = 0;
    for (size_t k = 0; k < n; k++) {
        mean += w[k];
        max = fmax(max, fabs(w[k]));
    }
    mean /= (real)n;
    for (size_t k = 0; k < n; k++)
        var += (w[k] - mean) * (w[k] - mean);
    var /= (real)(n - 1);

    real se_mean = a / sqrt(3.0 * (real)n);
    real se_var = a * a * sqrt(4.0 / (45.0 * (real)n));
    ck_assert_msg(fabs(mean) < 5 * se_mean, "mean %g, SE %g", mean, se_mean);
    ck_assert_msg(fabs(var - a * a / 3) < 5 * se_var,
                  "variance %.6g, want a²/3 = %.6g (SE %.3g)", var, a * a / 3,
                  se_var);
    /* the whole range is used: with 60000 draws the largest |w| is within
     * 0.1% of a with probability 1 - 0.999^60000 */
    ck_assert_msg(max <= a && max > 0.999 * a, "max |w| %g, a %g", max, a);
    mlp_free(net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("init");
    TCase *tc = tcase_create("init");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_same_seed_same_bits);
    tcase_add_test(tc, test_different_seeds_differ);
    tcase_add_test(tc, test_bounds_and_zero_biases);
    tcase_add_loop_test(tc, test_uniform_moments, 0, 2);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
