/* blas.h - the BLAS shim: the only door between libmlp and CBLAS.
 *
 * Matrices are row-major and dense (leading dimension = number of columns).
 * Dimensions are size_t here and checked to fit the BLAS index type (int)
 * when the network is created, so the casts in blas.c cannot truncate.
 *
 * Each routine comes in a d (double) and an s (float) version; the
 * modules call the generic name (mlp__gemm_abt, ...), which precision.h
 * maps to the version of the element type they are compiled for. */
#ifndef MLP_BLAS_H
#define MLP_BLAS_H

#include <stdbool.h>
#include <stddef.h>

/* Declares one precision's routines: P is d or s, T double or float. */
#define MLP_BLAS_DECLARE(P, T)                                                \
    /* C (m x n) = alpha * A (m x k) * B^T (B is n x k) + beta * C */         \
    void mlp__##P##gemm_abt(size_t m, size_t n, size_t k, T alpha,            \
                            const T *A, const T *B, T beta, T *C);            \
    /* C (m x n) = alpha * A^T (A is k x m) * B (k x n) + beta * C */         \
    void mlp__##P##gemm_atb(size_t m, size_t n, size_t k, T alpha,            \
                            const T *A, const T *B, T beta, T *C);            \
    /* C (m x n) = alpha * A (m x k) * B (k x n) + beta * C */                \
    void mlp__##P##gemm_ab(size_t m, size_t n, size_t k, T alpha,             \
                           const T *A, const T *B, T beta, T *C);             \
    /* y (m) = alpha * A (m x n) * x + beta * y */                            \
    void mlp__##P##gemv_ax(size_t m, size_t n, T alpha, const T *A,           \
                           const T *x, T beta, T *y);                         \
    /* y (n) = alpha * A^T (A is m x n) * x + beta * y */                     \
    void mlp__##P##gemv_atx(size_t m, size_t n, T alpha, const T *A,          \
                            const T *x, T beta, T *y);                        \
    /* A (m x n) += alpha * x (m) * y (n)^T */                                \
    void mlp__##P##ger(size_t m, size_t n, T alpha, const T *x, const T *y,   \
                       T *A);

MLP_BLAS_DECLARE(d, double)
MLP_BLAS_DECLARE(s, float)

/* Sets the backend's thread count (process-wide); false when the backend
 * has no run-time thread control and n != 1. */
bool mlp__blas_set_threads(size_t n);
/* The backend's thread count; 1 for a serial backend. */
size_t mlp__blas_threads(void);

/* The largest dimension the BLAS index type can carry. */
size_t mlp__blas_max_dim(void);

#endif
