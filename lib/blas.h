/* blas.h - the BLAS shim: the only door between libmlp and CBLAS.
 *
 * Matrices are row-major and dense (leading dimension = number of columns).
 * Dimensions are size_t here and checked to fit the BLAS index type (int)
 * when the network is created, so the casts in blas.c cannot truncate. */
#ifndef MLP_BLAS_H
#define MLP_BLAS_H

#include <stdbool.h>
#include <stddef.h>

/* C (m x n) = alpha * A (m x k) * B^T (B is n x k) + beta * C */
void mlp__gemm_abt(size_t m, size_t n, size_t k, double alpha, const double *A,
                   const double *B, double beta, double *C);
/* C (m x n) = alpha * A^T (A is k x m) * B (k x n) + beta * C */
void mlp__gemm_atb(size_t m, size_t n, size_t k, double alpha, const double *A,
                   const double *B, double beta, double *C);
/* C (m x n) = alpha * A (m x k) * B (k x n) + beta * C */
void mlp__gemm_ab(size_t m, size_t n, size_t k, double alpha, const double *A,
                  const double *B, double beta, double *C);
/* y (m) = alpha * A (m x n) * x + beta * y */
void mlp__gemv_ax(size_t m, size_t n, double alpha, const double *A,
                  const double *x, double beta, double *y);
/* y (n) = alpha * A^T (A is m x n) * x + beta * y */
void mlp__gemv_atx(size_t m, size_t n, double alpha, const double *A,
                   const double *x, double beta, double *y);
/* A (m x n) += alpha * x (m) * y (n)^T */
void mlp__ger(size_t m, size_t n, double alpha, const double *x,
              const double *y, double *A);

/* Sets the backend's thread count (process-wide); false when the backend
 * has no run-time thread control and n != 1. */
bool mlp__blas_set_threads(size_t n);
/* The backend's thread count; 1 for a serial backend. */
size_t mlp__blas_threads(void);

/* The largest dimension the BLAS index type can carry. */
size_t mlp__blas_max_dim(void);

#endif
