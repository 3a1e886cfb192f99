/* test_util.c - see test_util.h. */
#include "test_util.h"

#include <math.h>
#include <stdlib.h>

void test_rng_seed(test_rng *rng, uint64_t seed)
{
    rng->state = seed;
}

/* splitmix64 (Steele, Lea, Flood 2014). */
uint64_t test_rng_next(test_rng *rng)
{
    uint64_t z = (rng->state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

double test_rng_uniform(test_rng *rng, double lo, double hi)
{
    double u = (double)(test_rng_next(rng) >> 11) * 0x1.0p-53;
    return lo + (hi - lo) * u;
}

size_t test_rng_range(test_rng *rng, size_t lo, size_t hi)
{
    return lo + (size_t)(test_rng_next(rng) % (uint64_t)(hi - lo + 1));
}

void test_fill_uniform(test_rng *rng, real *x, size_t n, double lo,
                       double hi)
{
    for (size_t k = 0; k < n; k++)
        x[k] = test_rng_uniform(rng, lo, hi);
}

void test_random_shape(test_rng *rng, test_shape *shape, size_t n_layers,
                       size_t max_size, int hidden, mlp_activation out,
                       mlp_loss loss)
{
    static const mlp_activation hidden_acts[] = {
        MLP_SIGMOID, MLP_TANH, MLP_RELU, MLP_IDENTITY
    };
    ck_assert(n_layers >= 1 && n_layers <= TEST_MAX_LAYERS);
    shape->n_layers = n_layers;
    shape->loss = loss;
    for (size_t l = 0; l <= n_layers; l++)
        shape->sizes[l] = test_rng_range(rng, 1, max_size);
    /* softmax over a single unit is the constant 1: give it >= 2 */
    if (out == MLP_SOFTMAX && shape->sizes[n_layers] < 2)
        shape->sizes[n_layers] = 2;
    for (size_t l = 0; l + 1 < n_layers; l++)
        shape->acts[l] = hidden >= 0 ? (mlp_activation)hidden
                                     : hidden_acts[test_rng_range(rng, 0, 3)];
    shape->acts[n_layers - 1] = out;
}

mlp_t *test_create(const test_shape *shape, uint64_t seed)
{
    mlp_t *net = NULL;
    mlp_status st = mlp_create(&net, shape->n_layers, shape->sizes,
                               shape->acts, shape->loss, seed);
    ck_assert_msg(st == MLP_OK, "mlp_create: %s", mlp_strerror(st));
    ck_assert_ptr_nonnull(net);
    return net;
}

void test_fill_targets(test_rng *rng, const test_shape *shape, size_t batch,
                       real *T)
{
    size_t n = shape->sizes[shape->n_layers];
    mlp_activation out = shape->acts[shape->n_layers - 1];
    for (size_t s = 0; s < batch; s++) {
        real *t = T + s * n;
        if (out == MLP_SOFTMAX) {
            if (test_rng_range(rng, 0, 2) == 0) {
                for (size_t i = 0; i < n; i++)
                    t[i] = 0;
                t[test_rng_range(rng, 0, n - 1)] = 1;
            } else {
                double sum = 0;
                for (size_t i = 0; i < n; i++) {
                    t[i] = test_rng_range(rng, 0, 3) == 0
                               ? 0 : test_rng_uniform(rng, 0.1, 1);
                    sum += t[i];
                }
                if (sum == 0) {
                    t[0] = 1;
                    sum = 1;
                }
                for (size_t i = 0; i < n; i++)
                    t[i] /= sum;
            }
        } else if (shape->loss == MLP_CROSS_ENTROPY) {
            for (size_t i = 0; i < n; i++)
                t[i] = test_rng_range(rng, 0, 3) == 0
                           ? 0 : test_rng_uniform(rng, 0, 1);
        } else if (out == MLP_SIGMOID || out == MLP_RELU) {
            test_fill_uniform(rng, t, n, 0, 1);
        } else {
            test_fill_uniform(rng, t, n, -1, 1);
        }
    }
}

real *test_reals(size_t n)
{
    real *x = calloc(n ? n : 1, sizeof *x);
    ck_assert_ptr_nonnull(x);
    return x;
}

double test_max_abs(const real *x, size_t n)
{
    double m = 0;
    for (size_t k = 0; k < n; k++)
        if (fabs(x[k]) > m)
            m = fabs(x[k]);
    return m;
}

void test_assert_close(const char *what, const real *got,
                       const real *want, size_t n, double tol,
                       double scale)
{
    for (size_t k = 0; k < n; k++) {
        double err = fabs((double)got[k] - (double)want[k]);
        ck_assert_msg(err <= tol * (fabs(want[k]) + scale),
                      "%s[%zu]: got %.17g, want %.17g (|err| %.3g > %.3g)",
                      what, k, got[k], want[k], err,
                      tol * (fabs(want[k]) + scale));
    }
}

int test_run_suite(Suite *suite)
{
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed < 64 ? failed : 64;
}

const test_output test_outputs[TEST_N_OUTPUTS] = {
    { MLP_SIGMOID, MLP_MSE },
    { MLP_TANH, MLP_MSE },
    { MLP_RELU, MLP_MSE },
    { MLP_IDENTITY, MLP_MSE },
    { MLP_SOFTMAX, MLP_CROSS_ENTROPY },
    { MLP_SIGMOID, MLP_CROSS_ENTROPY },
};

const mlp_activation test_hiddens[TEST_N_HIDDENS] = {
    MLP_SIGMOID, MLP_TANH, MLP_RELU, MLP_IDENTITY
};

const size_t test_batches[TEST_N_BATCHES] = { 1, 2, 7, 33 };

void test_one_blas_thread(void)
{
    ck_assert_int_eq(mlp_set_blas_threads(1), MLP_OK);
    ck_assert_uint_eq(mlp_blas_threads(), 1);
}
