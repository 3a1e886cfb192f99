/* blas.c - the only file that includes <cblas.h> and says CblasRowMajor. */
#include "blas.h"

#include <cblas.h>
#include <limits.h>

size_t mlp__blas_max_dim(void) { return INT_MAX; }

void mlp__gemm_abt(size_t m, size_t n, size_t k, double alpha, const double *A,
                   const double *B, double beta, double *C)
{
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n,
                (int)k, alpha, A, (int)k, B, (int)k, beta, C, (int)n);
}

void mlp__gemm_atb(size_t m, size_t n, size_t k, double alpha, const double *A,
                   const double *B, double beta, double *C)
{
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)m, (int)n,
                (int)k, alpha, A, (int)m, B, (int)n, beta, C, (int)n);
}

void mlp__gemm_ab(size_t m, size_t n, size_t k, double alpha, const double *A,
                  const double *B, double beta, double *C)
{
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n,
                (int)k, alpha, A, (int)k, B, (int)n, beta, C, (int)n);
}

void mlp__gemv_ax(size_t m, size_t n, double alpha, const double *A,
                  const double *x, double beta, double *y)
{
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)m, (int)n, alpha, A, (int)n,
                x, 1, beta, y, 1);
}

void mlp__gemv_atx(size_t m, size_t n, double alpha, const double *A,
                   const double *x, double beta, double *y)
{
    cblas_dgemv(CblasRowMajor, CblasTrans, (int)m, (int)n, alpha, A, (int)n,
                x, 1, beta, y, 1);
}

void mlp__ger(size_t m, size_t n, double alpha, const double *x,
              const double *y, double *A)
{
    cblas_dger(CblasRowMajor, (int)m, (int)n, alpha, x, 1, y, 1, A, (int)n);
}

void mlp__axpy(size_t n, double alpha, const double *x, double *y)
{
    while (n > 0) {
        size_t chunk = n > (size_t)INT_MAX ? (size_t)INT_MAX : n;
        cblas_daxpy((int)chunk, alpha, x, 1, y, 1);
        x += chunk;
        y += chunk;
        n -= chunk;
    }
}
