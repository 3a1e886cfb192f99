/*
 * test_lapack.c - the LAPACK shim (lib/lapack.c): mlp__orthonormalize
 * replaces an m x k column-major A (m >= k) by the Q of A = QR with the
 * signs that make diag(R) >= 0. Checked without LAPACK:
 *   - Q^T Q = I to 1e-13 (Householder QR is backward stable: the loss of
 *     orthogonality is a small multiple of k * eps, ~1e-14 here);
 *   - R = Q^T A0 is upper triangular with a non-negative diagonal, and
 *     Q R = A0, to 1e-12 relative to |A0| (the same bound through one more
 *     product);
 * and the shapes it refuses (k = 0, m < k) give MLP_ERR_ARG.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "mlp_internal.h"
#include "test_util.h"

static void check_qr(size_t m, size_t k, uint64_t seed)
{
    test_rng rng;
    test_rng_seed(&rng, seed);
    double *A0 = test_reals(m * k), *Q = test_reals(m * k);
    test_fill_uniform(&rng, A0, m * k, -1, 1);
    memcpy(Q, A0, m * k * sizeof *Q);
    ck_assert_int_eq(mlp__orthonormalize(m, k, Q), MLP_OK);
    double norm = test_max_abs(A0, m * k);
    for (size_t a = 0; a < k; a++)
        for (size_t b = 0; b < k; b++) {
            double qq = 0.0, r = 0.0;          /* (Q^T Q)_ab, R_ab = (Q^T A0)_ab */
            for (size_t i = 0; i < m; i++) {
                qq += Q[i + a * m] * Q[i + b * m];
                r += Q[i + a * m] * A0[i + b * m];
            }
            ck_assert_msg(fabs(qq - (a == b)) <= 1e-13,
                          "%zux%zu: (Q^T Q)[%zu,%zu] = %.17g", m, k, a, b, qq);
            if (a > b)
                ck_assert_msg(fabs(r) <= 1e-12 * norm * (double)m,
                              "%zux%zu: R[%zu,%zu] = %g below the diagonal",
                              m, k, a, b, r);
            if (a == b)
                ck_assert_msg(r >= 0.0, "%zux%zu: R[%zu,%zu] = %g < 0", m, k,
                              a, a, r);
        }
    /* Q R = A0 with R = Q^T A0 restricted to its upper triangle. */
    for (size_t i = 0; i < m; i++)
        for (size_t b = 0; b < k; b++) {
            double qr = 0.0;
            for (size_t a = 0; a <= b; a++) {
                double r = 0.0;
                for (size_t l = 0; l < m; l++)
                    r += Q[l + a * m] * A0[l + b * m];
                qr += Q[i + a * m] * r;
            }
            ck_assert_msg(fabs(qr - A0[i + b * m]) <= 1e-12 * norm * (double)m,
                          "%zux%zu: (QR - A)[%zu,%zu] = %g", m, k, i, b,
                          qr - A0[i + b * m]);
        }
    free(A0);
    free(Q);
}

START_TEST(test_orthonormal)
{
    static const size_t shapes[][2] = { { 1, 1 }, { 5, 1 }, { 4, 4 },
                                        { 9, 4 }, { 40, 17 }, { 64, 64 } };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        check_qr(shapes[s][0], shapes[s][1], 50 + s);
}
END_TEST

START_TEST(test_refused_shapes)
{
    double A[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
    ck_assert_int_eq(mlp__orthonormalize(3, 0, A), MLP_ERR_ARG);
    ck_assert_int_eq(mlp__orthonormalize(3, 4, A), MLP_ERR_ARG);
}
END_TEST

/* The workspace is libmlp's: a failed allocation is MLP_ERR_NOMEM and
 * nothing leaks (A is then unspecified). */
START_TEST(test_nomem)
{
    double A[20];
    test_rng rng;
    test_rng_seed(&rng, 51);
    test_fill_uniform(&rng, A, 20, -1, 1);
    long live = mlp__live_allocations();
    mlp__fault_inject(1);
    mlp_status s = mlp__orthonormalize(5, 4, A);
    mlp__fault_inject(0);
    ck_assert_int_eq(s, MLP_ERR_NOMEM);
    ck_assert_int_eq(mlp__live_allocations(), live);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lapack");
    TCase *tc = tcase_create("orthonormalize");
    tcase_add_test(tc, test_orthonormal);
    tcase_add_test(tc, test_refused_shapes);
    tcase_add_test(tc, test_nomem);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
