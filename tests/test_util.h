/*
 * test_util.h - helpers shared by the Check suites: a small deterministic
 * PRNG (splitmix64, so no test depends on the C library's rand()), random
 * networks and data, tolerance comparisons and the suite runner.
 */
#ifndef MLP_TEST_UTIL_H
#define MLP_TEST_UTIL_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "mlp.h"
/* `real` and, with -DMLP_SINGLE, the mlp_ -> mlpf_ names: every suite is
 * compiled twice (tests/meson.build), once per precision, and links the
 * test utilities and the naive reference built for its precision. */
#include "precision.h"

#define TEST_MAX_LAYERS 8

/* A tolerance that bounds rounding errors, given for double, carried to
 * the suite's precision as the same number of units in the last place:
 * such bounds are counts of roundings (n eps for a sum of n terms, times
 * the depth), so they scale with eps, by FLT_EPSILON / DBL_EPSILON = 2^29
 * in the float build (1e-13, ~450 ulps, becomes 5.4e-5). */
#define TEST_ULPS(tol) ((tol) * (REAL_EPSILON / DBL_EPSILON))

/* A value that is not a count of roundings (a finite-difference step, a
 * tolerance that mixes truncation and rounding), chosen per precision;
 * each use says why. */
#ifdef MLP_SINGLE
#define TEST_BY_PRECISION(d, f) (f)
#else
#define TEST_BY_PRECISION(d, f) (d)
#endif

typedef struct test_rng {
    uint64_t state;
} test_rng;

void test_rng_seed(test_rng *rng, uint64_t seed);
uint64_t test_rng_next(test_rng *rng);
/* Uniform double in [lo, hi). */
double test_rng_uniform(test_rng *rng, double lo, double hi);
/* Uniform integer in [lo, hi], both inclusive. */
size_t test_rng_range(test_rng *rng, size_t lo, size_t hi);
void test_fill_uniform(test_rng *rng, real *x, size_t n, double lo,
                       double hi);

/* A network description: n_layers weight layers, sizes[0..n_layers],
 * acts[0..n_layers-1], a loss. */
typedef struct test_shape {
    size_t n_layers;
    size_t sizes[TEST_MAX_LAYERS + 1];
    mlp_activation acts[TEST_MAX_LAYERS];
    mlp_loss loss;
} test_shape;

/* A random shape: n_layers layers of 1..max_size units, hidden layers with
 * activation `hidden`, or a random non-softmax one per layer when hidden < 0;
 * output activation `out` and loss `loss`. */
void test_random_shape(test_rng *rng, test_shape *shape, size_t n_layers,
                       size_t max_size, int hidden, mlp_activation out,
                       mlp_loss loss);

/* mlp_create for a shape; fails the test if that fails. */
mlp_t *test_create(const test_shape *shape, uint64_t seed);

/* Targets for a batch: for softmax outputs rows that are probability
 * distributions (some one-hot), for sigmoid/cross-entropy values in [0, 1]
 * with some exact zeros, otherwise values in the output's range. */
void test_fill_targets(test_rng *rng, const test_shape *shape, size_t batch,
                       real *T);

/* calloc of n reals that fails the test on failure. */
real *test_reals(size_t n);

double test_max_abs(const real *x, size_t n);

/* Fails the test unless |got[k] - want[k]| <= tol * (|want[k]| + scale) for
 * every k. scale lets entries near 0 be judged against the size of the
 * whole array (a norm-wise bound) rather than their own. */
void test_assert_close(const char *what, const real *got,
                       const real *want, size_t n, double tol,
                       double scale);

/* Runs every test of the suite with CK_NORMAL output (summary line
 * "100%: Checks: N, Failures: 0, Errors: 0") and returns the number of
 * failed tests, for use as the exit status; capped at 64 so that it never
 * reaches 77 (meson's "skipped") or wraps to 0. */
int test_run_suite(Suite *suite);

/* An unchecked fixture for test cases that assert run-to-run bitwise
 * reproducibility, which mlp.h promises with one BLAS thread only: pins
 * one thread (mlp_set_blas_threads(1)) whatever the environment started
 * the backend with (meson's blas2 setup starts it with two). */
void test_one_blas_thread(void);


/* The valid output activation/loss pairs, the hidden activations, and the
 * batch sizes (1 takes the GEMV/GER path) that the forward and backward
 * suites sweep. */
typedef struct test_output {
    mlp_activation out;
    mlp_loss loss;
} test_output;
#define TEST_N_OUTPUTS 6
#define TEST_N_HIDDENS 4
#define TEST_N_BATCHES 4
extern const test_output test_outputs[TEST_N_OUTPUTS];
extern const mlp_activation test_hiddens[TEST_N_HIDDENS];
extern const size_t test_batches[TEST_N_BATCHES];

#endif /* MLP_TEST_UTIL_H */
