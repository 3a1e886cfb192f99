/* lapack.c - the LAPACK shim: the only file that includes <lapacke.h>.
 *
 * The _work variants in column-major order are used so that LAPACKE
 * neither transposes nor allocates behind the library's back: every byte
 * comes from mlp__malloc. */
#include "mlp_internal.h"
#include "alloc.h"

#include <lapacke.h>

/* The workspace LAPACK asks for (at least k), checked to be a lapack_int
 * before the conversion, which would be undefined for a value out of
 * range. false when LAPACK refuses the problem. */
static bool workspace_size(lapack_int M, lapack_int K, double *A,
                           size_t *lwork)
{
    double dummy = 0.0, q_geqrf = 0.0, q_orgqr = 0.0;
    if (LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, M, K, A, M, &dummy, &q_geqrf,
                            -1) != 0 ||
        LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, M, K, K, A, M, &dummy, &q_orgqr,
                            -1) != 0)
        return false;
    double query = q_geqrf > q_orgqr ? q_geqrf : q_orgqr;
    if (!(query <= 2147483647.0))
        return false;
    *lwork = query > (double)K ? (size_t)query : (size_t)K;
    return true;
}

mlp_status mlp__orthonormalize(size_t m, size_t k, double *A)
{
    if (k == 0 || m < k)
        return MLP_ERR_ARG;
    /* m and k are layer sizes, which mlp_create keeps within int. */
    lapack_int M = (lapack_int)m, K = (lapack_int)k;
    size_t lwork, bytes;
    if (!workspace_size(M, K, A, &lwork) ||
        !mlp__mul_ok(2 * k + lwork, sizeof(double), &bytes))
        return MLP_ERR_ARG;
    double *tau = mlp__malloc(bytes);
    if (!tau)
        return MLP_ERR_NOMEM;
    double *sign = tau + k, *work = sign + k;

    /* A = QR: Householder reflectors below the diagonal, R on and above. */
    lapack_int info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, M, K, A, M, tau,
                                          work, (lapack_int)lwork);
    if (info == 0) {
        /* Q is unique only up to the signs of its columns; taking those
         * that make diag(R) >= 0 is what makes Q Haar-distributed
         * (Mezzadri 2007) rather than biased by the algorithm. */
        for (size_t j = 0; j < k; j++)
            sign[j] = A[j + j * m] < 0.0 ? -1.0 : 1.0;
        info = LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, M, K, K, A, M, tau, work,
                                   (lapack_int)lwork);
    }
    if (info == 0)
        for (size_t j = 0; j < k; j++)
            for (size_t i = 0; i < m; i++)
                A[i + j * m] *= sign[j];
    mlp__free(tau);
    return info == 0 ? MLP_OK : MLP_ERR_ARG;
}
