/*
 * test_init.c - parameter initialisation (lib/init.c): mlp_create's
 * default draw and mlp_init.
 *
 * mlp_create's draw:
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
 *
 * mlp_init: orthogonality of MLP_INIT_ORTHOGONAL, the variance and shape
 * of the random kinds within sampling error, reproducibility from the
 * seed, and failures that change nothing.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
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

/* ------------------------------------------------------------------------ */
/* mlp_init                                                                  */

/* max |(W W^T or W^T W) - I| for the n_out x n_in matrix W, taking the
 * product of the smaller dimension (the one that can be the identity). */
static real orthogonality_error(const real *W, size_t n_out, size_t n_in)
{
    int rows = n_out <= n_in;   /* rows orthonormal: W W^T = I */
    size_t k = rows ? n_out : n_in, len = rows ? n_in : n_out;
    real worst = 0.0;
    for (size_t a = 0; a < k; a++)
        for (size_t b = 0; b < k; b++) {
            real dot = 0.0;
            for (size_t t = 0; t < len; t++)
                dot += rows ? W[a * n_in + t] * W[b * n_in + t]
                            : W[t * n_in + a] * W[t * n_in + b];
            real err = fabs(dot - (a == b ? 1.0 : 0.0));
            if (err > worst)
                worst = err;
        }
    return worst;
}

/* Tall, wide and square layers; tolerance 1e-12: Householder QR gives Q
 * orthonormal to a small multiple of n * DBL_EPSILON (~1e-15 here). */
START_TEST(test_orthogonal)
{
    const size_t sizes[] = { 3, 7, 4, 4, 50, 20 };
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 5, sizes, NULL, MLP_MSE, 1), MLP_OK);
    ck_assert_int_eq(mlp_init(net, MLP_INIT_ORTHOGONAL, 42), MLP_OK);
    for (size_t l = 1; l <= 5; l++) {
        ck_assert_double_le(orthogonality_error(mlp_weights(net, l), sizes[l],
                                                sizes[l - 1]), TEST_ULPS(1e-12));
        for (size_t i = 0; i < sizes[l]; i++)
            ck_assert_double_eq(mlp_biases(net, l)[i], 0.0);
    }
    /* Not a permutation or the identity: a Gaussian's Q has no zero
     * entries with probability 1. */
    const real *W3 = mlp_weights(net, 3);
    for (size_t i = 0; i < 16; i++)
        ck_assert_double_gt(fabs(W3[i]), 1e-9);
    mlp_free(net);
}
END_TEST

struct moments { real mean, var, within_sd, max_abs; };

static struct moments sample(const real *w, size_t n, real sd)
{
    struct moments m = { 0 };
    for (size_t i = 0; i < n; i++)
        m.mean += w[i];
    m.mean /= (real)n;
    size_t within = 0;
    for (size_t i = 0; i < n; i++) {
        m.var += (w[i] - m.mean) * (w[i] - m.mean);
        within += fabs(w[i]) <= sd;
        if (fabs(w[i]) > m.max_abs)
            m.max_abs = fabs(w[i]);
    }
    m.var /= (real)(n - 1);
    m.within_sd = (real)within / (real)n;
    return m;
}

/* One 300 x 400 layer: 120000 draws. Every check allows 5 standard errors
 * of its statistic (false alarm odds ~1e-6): the mean sd/sqrt(N), the
 * variance var*sqrt(2/N) (a bound for both uniform and normal, whose
 * excess kurtosis is <= 0), the fraction within one sd sqrt(p(1-p)/N).
 * That fraction tells the shapes apart: 0.6827 for a normal, 1/sqrt(3) =
 * 0.5774 for a uniform. */
START_TEST(test_variance)
{
    static const struct { mlp_init_kind kind; int normal, he; } k[] = {
        { MLP_INIT_GLOROT_UNIFORM, 0, 0 }, { MLP_INIT_GLOROT_NORMAL, 1, 0 },
        { MLP_INIT_HE_UNIFORM, 0, 1 },     { MLP_INIT_HE_NORMAL, 1, 1 },
    };
    const size_t sizes[] = { 400, 300 };
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 1, sizes, NULL, MLP_MSE, 1), MLP_OK);
    ck_assert_int_eq(mlp_init(net, k[_i].kind, 1000 + (uint64_t)_i), MLP_OK);
    size_t n = 400 * 300;
    real var = k[_i].he ? 2.0 / 400 : 2.0 / 700, sd = sqrt(var);
    struct moments m = sample(mlp_weights(net, 1), n, sd);
    ck_assert_double_le(fabs(m.mean), 5 * sd / sqrt((real)n));
    ck_assert_double_le(fabs(m.var / var - 1.0), 5 * sqrt(2.0 / (real)n));
    real p = k[_i].normal ? 0.682689492 : 1.0 / sqrt(3.0);
    ck_assert_double_le(fabs(m.within_sd - p), 5 * sqrt(p * (1 - p) / (real)n));
    if (!k[_i].normal)
        ck_assert_double_le(m.max_abs, sqrt(3.0) * sd);
    mlp_free(net);
}
END_TEST

START_TEST(test_reproducible)
{
    const size_t sizes[] = { 6, 5, 3 };
    mlp_t *a = NULL, *b = NULL, *c = NULL;
    ck_assert_int_eq(mlp_create(&a, 2, sizes, NULL, MLP_MSE, 1), MLP_OK);
    ck_assert_int_eq(mlp_create(&b, 2, sizes, NULL, MLP_MSE, 2), MLP_OK);
    ck_assert_int_eq(mlp_create(&c, 2, sizes, NULL, MLP_MSE, 9), MLP_OK);
    size_t bytes = mlp_n_params(a) * sizeof(real);
    for (int kind = MLP_INIT_DEFAULT; kind <= MLP_INIT_ORTHOGONAL; kind++) {
        ck_assert_int_eq(mlp_init(a, (mlp_init_kind)kind, 5), MLP_OK);
        ck_assert_int_eq(mlp_init(b, (mlp_init_kind)kind, 5), MLP_OK);
        ck_assert_int_eq(mlp_init(c, (mlp_init_kind)kind, 6), MLP_OK);
        ck_assert_mem_eq(mlp_params(a), mlp_params(b), bytes);
        ck_assert(memcmp(mlp_params(a), mlp_params(c), bytes) != 0);
    }
    /* MLP_INIT_DEFAULT is what mlp_create does with that seed. */
    mlp_t *fresh = NULL;
    ck_assert_int_eq(mlp_create(&fresh, 2, sizes, NULL, MLP_MSE, 77), MLP_OK);
    ck_assert_int_eq(mlp_init(a, MLP_INIT_DEFAULT, 77), MLP_OK);
    ck_assert_mem_eq(mlp_params(a), mlp_params(fresh), bytes);
    mlp_free(a); mlp_free(b); mlp_free(c); mlp_free(fresh);
}
END_TEST

/* The optimizer's state is reset: after mlp_init, a momentum step equals
 * the first step of a fresh optimizer (θ -= lr g exactly). */
START_TEST(test_resets_optimizer)
{
    const size_t sizes[] = { 2, 2 };
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 1, sizes, NULL, MLP_MSE, 1), MLP_OK);
    ck_assert_int_eq(mlp_set_sgd(net, 0.5, 0.9), MLP_OK);
    size_t n = mlp_n_params(net);
    for (size_t i = 0; i < n; i++)
        mlp_grads(net)[i] = 1.0;
    ck_assert_int_eq(mlp_step(net), MLP_OK);  /* velocity now 1 */
    ck_assert_int_eq(mlp_init(net, MLP_INIT_HE_NORMAL, 3), MLP_OK);
    real before[6];
    memcpy(before, mlp_params(net), sizeof before);
    ck_assert_int_eq(mlp_step(net), MLP_OK);
    for (size_t i = 0; i < n; i++)
        ck_assert_double_eq_tol(mlp_params(net)[i], before[i] - 0.5, TEST_ULPS(1e-15));
    mlp_free(net);
}
END_TEST

START_TEST(test_failures_change_nothing)
{
    const size_t sizes[] = { 5, 8, 3 };
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 2, sizes, NULL, MLP_MSE, 1), MLP_OK);
    size_t bytes = mlp_n_params(net) * sizeof(real);
    real *before = malloc(bytes);
    memcpy(before, mlp_params(net), bytes);
    ck_assert_int_eq(mlp_init(NULL, MLP_INIT_HE_NORMAL, 1), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_init(net, (mlp_init_kind)99, 1), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_init(net, (mlp_init_kind)-1, 1), MLP_ERR_ARG);
    /* Every allocation mlp_init makes, failed in turn; none leaks. */
    long live = mlp__live_allocations();
    for (unsigned long nth = 1; nth <= 3; nth++) {
        mlp__fault_inject(nth);
        mlp_status s = mlp_init(net, MLP_INIT_ORTHOGONAL, 1);
        mlp__fault_inject(0);
        if (s == MLP_OK)
            break;
        ck_assert_int_eq(s, MLP_ERR_NOMEM);
        ck_assert_mem_eq(mlp_params(net), before, bytes);
    }
    ck_assert_int_eq(mlp__live_allocations(), live);
    free(before);
    mlp_free(net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("init");
    TCase *tc = tcase_create("create");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, test_one_blas_thread, NULL);
    tcase_add_test(tc, test_same_seed_same_bits);
    tcase_add_test(tc, test_different_seeds_differ);
    tcase_add_test(tc, test_bounds_and_zero_biases);
    tcase_add_loop_test(tc, test_uniform_moments, 0, 2);
    suite_add_tcase(s, tc);
    tc = tcase_create("mlp_init");
    tcase_add_unchecked_fixture(tc, test_one_blas_thread, NULL);
    tcase_add_test(tc, test_orthogonal);
    tcase_add_loop_test(tc, test_variance, 0, 4);
    tcase_add_test(tc, test_reproducible);
    tcase_add_test(tc, test_resets_optimizer);
    tcase_add_test(tc, test_failures_change_nothing);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
