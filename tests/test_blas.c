/*
 * test_blas.c - the BLAS thread count (lib/blas.c): mlp_set_blas_threads
 * and mlp_blas_threads.
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
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "mlp.h"
#include "test_util.h"

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
}
END_TEST

int main(void)
{
    Suite *s = suite_create("blas");
    TCase *tc = tcase_create("threads");
    tcase_add_test(tc, test_request_is_capped);
    tcase_add_test(tc, test_bad_counts);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
