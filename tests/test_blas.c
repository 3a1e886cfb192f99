/*
 * test_blas.c - the BLAS shim (lib/blas.c): the six row-major products
 * against naive loops, and the thread count (mlp_set_blas_threads,
 * mlp_blas_threads).
 *
 * Tolerance for the products: each entry is a sum of k products, which any
 * summation order computes to within k * eps * sum |a_i b_i| (Higham,
 * "Accuracy and Stability of Numerical Algorithms", 3.1); the test allows
 * 4 * (k + 2) * eps relative to that sum, so a transposed operand, a wrong
 * leading dimension or a lost beta (errors of order 1) cannot pass.
 *
 * OpenBLAS starts every thread it is asked for (up to 64 in Debian's
 * build), whatever the core count, and keeps them; libmlp caps a request
 * at the processors online. Checked through what the process can see of
 * itself: the count mlp_blas_threads reports, and the threads listed in
 * /proc/self/task, which must stay within the processors online plus the
 * main thread. With a serial backend (ATLAS, reference BLAS) only 1 is
 * accepted, and that is checked instead.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blas.h"
#include "mlp.h"
#include "test_util.h"

/* The shapes swept: 1 takes the edge of every loop. */
static const size_t dims[] = { 1, 3, 17 };
#define N_DIMS (sizeof dims / sizeof dims[0])
static const double alphas[] = { 1.0, -0.5 };
static const double betas[] = { 0.0, 1.0, 0.25 };

/* Which product: C = alpha op(A) op(B) + beta C, with A, B as stored. */
enum product { AB, ABT, ATB, N_PRODUCTS };

/* A's and B's entry (i, p) and (p, j) of the product, as stored. */
static double a_at(enum product p, const real *A, size_t i, size_t l,
                   size_t m, size_t k)
{
    return p == ATB ? A[l * m + i] : A[i * k + l];
}

static double b_at(enum product p, const real *B, size_t l, size_t j,
                   size_t n, size_t k)
{
    return p == ABT ? B[j * k + l] : B[l * n + j];
}

static void check_product(enum product p, size_t m, size_t n, size_t k,
                          double alpha, double beta, test_rng *rng)
{
    real *A = test_reals(m * k), *B = test_reals(k * n);
    real *C = test_reals(m * n), *C0 = test_reals(m * n);
    test_fill_uniform(rng, A, m * k, -1, 1);
    test_fill_uniform(rng, B, k * n, -1, 1);
    test_fill_uniform(rng, C0, m * n, -1, 1);
    memcpy(C, C0, m * n * sizeof *C);
    if (p == AB)
        mlp__gemm_ab(m, n, k, alpha, A, B, beta, C);
    else if (p == ABT)
        mlp__gemm_abt(m, n, k, alpha, A, B, beta, C);
    else
        mlp__gemm_atb(m, n, k, alpha, A, B, beta, C);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double sum = 0.0, mag = fabs(beta * C0[i * n + j]);
            for (size_t l = 0; l < k; l++) {
                double t = a_at(p, A, i, l, m, k) * b_at(p, B, l, j, n, k);
                sum += t;
                mag += fabs(alpha * t);
            }
            double want = alpha * sum + beta * C0[i * n + j];
            ck_assert_msg(fabs(C[i * n + j] - want) <=
                              4.0 * (double)(k + 2) * REAL_EPSILON * mag,
                          "product %d, %zux%zux%zu, alpha %g beta %g: C[%zu,"
                          "%zu] = %.17g, naive %.17g", (int)p, m, n, k, alpha,
                          beta, i, j, C[i * n + j], want);
        }
    free(A);
    free(B);
    free(C);
    free(C0);
}

START_TEST(test_gemm)
{
    test_rng rng;
    test_rng_seed(&rng, 31);
    for (int p = 0; p < N_PRODUCTS; p++)
        for (size_t a = 0; a < N_DIMS; a++)
            for (size_t b = 0; b < N_DIMS; b++)
                for (size_t c = 0; c < N_DIMS; c++)
                    for (size_t s = 0; s < 2; s++)
                        for (size_t t = 0; t < 3; t++)
                            check_product((enum product)p, dims[a], dims[b],
                                          dims[c], alphas[s], betas[t], &rng);
}
END_TEST

/* y = alpha A x + beta y, y = alpha A^T x + beta y, A += alpha x y^T. */
START_TEST(test_gemv_ger)
{
    test_rng rng;
    test_rng_seed(&rng, 32);
    const size_t m = 13, n = 7;
    real A[13 * 7], A0[13 * 7], x[13], y[13], y0[13];
    test_fill_uniform(&rng, A0, m * n, -1, 1);
    test_fill_uniform(&rng, x, m, -1, 1);
    test_fill_uniform(&rng, y0, m, -1, 1);
    memcpy(y, y0, sizeof y);
    mlp__gemv_ax(m, n, 0.5, A0, x, 0.25, y);          /* x: n entries */
    for (size_t i = 0; i < m; i++) {
        double sum = 0.0, mag = fabs(0.25 * y0[i]);
        for (size_t j = 0; j < n; j++) {
            sum += A0[i * n + j] * x[j];
            mag += fabs(0.5 * A0[i * n + j] * x[j]);
        }
        ck_assert(fabs(y[i] - (0.5 * sum + 0.25 * y0[i])) <=
                  4.0 * (n + 2) * REAL_EPSILON * mag);
    }
    memcpy(y, y0, sizeof y);
    mlp__gemv_atx(m, n, -1.0, A0, x, 1.0, y);         /* x: m, y: n entries */
    for (size_t j = 0; j < n; j++) {
        double sum = 0.0, mag = fabs(y0[j]);
        for (size_t i = 0; i < m; i++) {
            sum += A0[i * n + j] * x[i];
            mag += fabs(A0[i * n + j] * x[i]);
        }
        ck_assert(fabs(y[j] - (-sum + y0[j])) <=
                  4.0 * (m + 2) * REAL_EPSILON * mag);
    }
    memcpy(A, A0, sizeof A);
    mlp__ger(m, n, 2.0, x, y0, A);                    /* one rounding each */
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double want = A0[i * n + j] + 2.0 * x[i] * y0[j];
            ck_assert(fabs(A[i * n + j] - want) <=
                      2.0 * REAL_EPSILON * (fabs(A0[i * n + j]) +
                                           fabs(2.0 * x[i] * y0[j])));
        }
}
END_TEST

static size_t os_threads(void)
{
    DIR *d = opendir("/proc/self/task");
    ck_assert_ptr_nonnull(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

START_TEST(test_request_is_capped)
{
    size_t cpus = (size_t)sysconf(_SC_NPROCESSORS_ONLN);
    ck_assert_uint_ge(cpus, 1);
    ck_assert_int_eq(mlp_set_blas_threads(1), MLP_OK);
    ck_assert_uint_eq(mlp_blas_threads(), 1);
    mlp_status s = mlp_set_blas_threads(1000);
    if (s == MLP_ERR_ARG) {
        /* A serial backend: one thread, always. */
        ck_assert_uint_eq(mlp_blas_threads(), 1);
        return;
    }
    ck_assert_int_eq(s, MLP_OK);
    ck_assert_uint_eq(mlp_blas_threads(), cpus);
    /* A GEMM large enough for OpenBLAS to use its threads. */
    const size_t sizes[] = { 256, 256, 256 };
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 2, sizes, NULL, MLP_MSE, 1), MLP_OK);
    real *X = test_reals(256 * 256), *Y = test_reals(256 * 256);
    ck_assert_int_eq(mlp_predict(net, 256, X, Y), MLP_OK);
    ck_assert_uint_le(os_threads(), cpus + 1);
    ck_assert_int_eq(mlp_set_blas_threads(1), MLP_OK);
    ck_assert_uint_eq(mlp_blas_threads(), 1);
    free(X);
    free(Y);
    mlp_free(net);
}
END_TEST

START_TEST(test_bad_counts)
{
    ck_assert_int_eq(mlp_set_blas_threads(0), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_set_blas_threads((size_t)INT_MAX + 1), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_set_blas_threads(SIZE_MAX), MLP_ERR_ARG);
    ck_assert_uint_ge(mlp_blas_threads(), 1);
}
END_TEST

/* One thread is always possible; two where the backend has threads (one
 * on a single processor, by the cap), and then products agree with the
 * one-thread ones to rounding. */
START_TEST(test_threads_set_and_read_back)
{
    ck_assert_int_eq(mlp_set_blas_threads(1), MLP_OK);
    ck_assert_uint_eq(mlp_blas_threads(), 1);

    enum { M = 96, K = 80, N = 72 };
    static real A[M * K], B[N * K], C1[M * N], C2[M * N];
    test_rng rng;
    test_rng_seed(&rng, 33);
    test_fill_uniform(&rng, A, M * K, -1, 1);
    test_fill_uniform(&rng, B, N * K, -1, 1);
    mlp__gemm_abt(M, N, K, 1.0, A, B, 0.0, C1);

    mlp_status s = mlp_set_blas_threads(2);
    if (s == MLP_OK) {
        size_t cpus = (size_t)sysconf(_SC_NPROCESSORS_ONLN);
        ck_assert_uint_eq(mlp_blas_threads(), cpus < 2 ? cpus : 2);
    } else {
        /* A serial backend (reference BLAS, ATLAS): refused, still 1. */
        ck_assert_int_eq(s, MLP_ERR_ARG);
        ck_assert_uint_eq(mlp_blas_threads(), 1);
    }
    mlp__gemm_abt(M, N, K, 1.0, A, B, 0.0, C2);
    /* Both are sums of K products: 4 K eps of the entries' size (<= K). */
    test_assert_close("two threads vs one", C2, C1, M * N,
                      4.0 * K * REAL_EPSILON, (double)K);

    ck_assert_int_eq(mlp_set_blas_threads(1), MLP_OK);
    ck_assert_uint_eq(mlp_blas_threads(), 1);
    mlp__gemm_abt(M, N, K, 1.0, A, B, 0.0, C2);
    ck_assert_msg(memcmp(C1, C2, sizeof C1) == 0,
                  "one thread again: not bitwise the first product");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("blas");
    TCase *tc = tcase_create("shim");
    tcase_add_test(tc, test_gemm);
    tcase_add_test(tc, test_gemv_ger);
    suite_add_tcase(s, tc);
    tc = tcase_create("threads");
    tcase_add_test(tc, test_request_is_capped);
    tcase_add_test(tc, test_bad_counts);
    tcase_add_test(tc, test_threads_set_and_read_back);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
