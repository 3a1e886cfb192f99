/* blas.c - the only file that includes <cblas.h> and says CblasRowMajor. */
#include "blas.h"

/* cblas.h before any libc header: BLIS's defines _POSIX_C_SOURCE for the
 * pthread types it uses, which only works before features.h is read. */
#include <cblas.h>
#include <limits.h>
#include <unistd.h>

#include "mlp.h"

size_t mlp__blas_max_dim(void) { return INT_MAX; }

/* Defines one precision's routines over cblas_<P>...: P is d or s, T
 * double or float. */
#define MLP_BLAS_DEFINE(P, T)                                                 \
    void mlp__##P##gemm_abt(size_t m, size_t n, size_t k, T alpha,            \
                            const T *A, const T *B, T beta, T *C)             \
    {                                                                         \
        cblas_##P##gemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m,      \
                        (int)n, (int)k, alpha, A, (int)k, B, (int)k, beta, C, \
                        (int)n);                                              \
    }                                                                         \
    void mlp__##P##gemm_atb(size_t m, size_t n, size_t k, T alpha,            \
                            const T *A, const T *B, T beta, T *C)             \
    {                                                                         \
        cblas_##P##gemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)m,      \
                        (int)n, (int)k, alpha, A, (int)m, B, (int)n, beta, C, \
                        (int)n);                                              \
    }                                                                         \
    void mlp__##P##gemm_ab(size_t m, size_t n, size_t k, T alpha,             \
                           const T *A, const T *B, T beta, T *C)              \
    {                                                                         \
        cblas_##P##gemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m,    \
                        (int)n, (int)k, alpha, A, (int)k, B, (int)n, beta, C, \
                        (int)n);                                              \
    }                                                                         \
    void mlp__##P##gemv_ax(size_t m, size_t n, T alpha, const T *A,           \
                           const T *x, T beta, T *y)                          \
    {                                                                         \
        cblas_##P##gemv(CblasRowMajor, CblasNoTrans, (int)m, (int)n, alpha,   \
                        A, (int)n, x, 1, beta, y, 1);                         \
    }                                                                         \
    void mlp__##P##gemv_atx(size_t m, size_t n, T alpha, const T *A,          \
                            const T *x, T beta, T *y)                         \
    {                                                                         \
        cblas_##P##gemv(CblasRowMajor, CblasTrans, (int)m, (int)n, alpha, A,  \
                        (int)n, x, 1, beta, y, 1);                            \
    }                                                                         \
    void mlp__##P##ger(size_t m, size_t n, T alpha, const T *x, const T *y,   \
                       T *A)                                                  \
    {                                                                         \
        cblas_##P##ger(CblasRowMajor, (int)m, (int)n, alpha, x, 1, y, 1, A,   \
                       (int)n);                                               \
    }

MLP_BLAS_DEFINE(d, double)
MLP_BLAS_DEFINE(s, float)

/* Run-time thread control. Only OpenBLAS and BLIS have it, under their own
 * names, and a build against the generic libblas.so.3 does not know at link
 * time which one it will get. So the entry points are weak references:
 * each resolves to the loaded backend's function, or stays NULL when that
 * backend is not the one loaded. The thread count lives in the backend, not
 * here, so libmlp keeps no state of its own. */
#if defined(__GNUC__) && defined(__ELF__)
extern void openblas_set_num_threads(int n) __attribute__((weak));
extern int openblas_get_num_threads(void) __attribute__((weak));
extern void bli_thread_set_num_threads(long long n) __attribute__((weak));
extern long long bli_thread_get_num_threads(void) __attribute__((weak));
#define MLP_HAVE_WEAK 1
#endif

/* Processors online, at least 1. */
static size_t online_cpus(void)
{
    long n = 1;
#ifdef _SC_NPROCESSORS_ONLN
    n = sysconf(_SC_NPROCESSORS_ONLN);
#endif
    return n >= 1 ? (size_t)n : 1;
}

bool mlp__blas_set_threads(size_t requested)
{
    if (requested == 0 || requested > (size_t)INT_MAX)
        return false;
    /* OpenBLAS starts every thread asked for, up to its build's maximum
     * (64 in Debian's), whatever the core count, and keeps them after a
     * later, smaller request; more threads than processors only slow a
     * GEMM down. So the request is capped at the processors online. */
    size_t n = requested < online_cpus() ? requested : online_cpus();
    bool done = false;
#ifdef MLP_HAVE_WEAK
    /* Both can be loaded at once (a BLIS build whose LAPACK pulls in
     * OpenBLAS as libblas.so.3): set each, so whichever serves the CBLAS
     * calls follows. */
    if (bli_thread_set_num_threads) {
        bli_thread_set_num_threads((long long)n);
        done = true;
    }
    if (openblas_set_num_threads) {
        openblas_set_num_threads((int)n);
        done = true;
    }
#endif
    /* ATLAS (as Debian builds it) and the reference BLAS are serial. */
    return done || requested == 1;
}

size_t mlp__blas_threads(void)
{
#ifdef MLP_HAVE_WEAK
    if (bli_thread_get_num_threads) {
        long long n = bli_thread_get_num_threads();
        return n > 0 ? (size_t)n : 1;
    }
    if (openblas_get_num_threads)
        return (size_t)openblas_get_num_threads();
#endif
    return 1;
}

mlp_status mlp_set_blas_threads(size_t n)
{
    return mlp__blas_set_threads(n) ? MLP_OK : MLP_ERR_ARG;
}

size_t mlp_blas_threads(void) { return mlp__blas_threads(); }
