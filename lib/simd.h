/* simd.h - helpers for the elementwise passes that are written to
 * vectorise (activations, checks, optimizer updates). Never installed. */
#ifndef MLP_SIMD_H
#define MLP_SIMD_H

#include <stdint.h>
#include <string.h>

/* The hot loops, cloned for AVX-512 and AVX2 where GCC can make ifunc
 * clones. No FMA: the library is built as ISO C (-std=c11), where GCC
 * contracts no a*b+c into an FMA, and no clone asks for one, so every
 * clone rounds identically and results do not depend on the CPU. Clone only static functions: GCC exports the
 * ifunc of a cloned external function whatever its visibility. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    defined(__ELF__) && !defined(__SANITIZE_ADDRESS__)
#define MLP_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MLP_CLONES
#endif

/* |x| as an integer: with the sign bit cleared, the integer order of the
 * bits is the order of |x|, and Inf and NaN lie above every finite value. So
 * one integer max tells both the largest magnitude and whether anything
 * was not finite; unlike a floating-point max or sum it vectorises without
 * -ffast-math and reorders nothing. */
static inline int64_t mlp__magnitude_bits(double x)
{
    int64_t b;
    memcpy(&b, &x, sizeof b);
    return b & INT64_MAX;
}

/* x, or a zero of x's sign when x is subnormal: the optimizers store no
 * subnormal parameter or state, on every processor (fpmode.h). Integer work only, so that it
 * vectorises and raises no floating-point exception. */
static inline double mlp__flush_subnormal(double x)
{
    const int64_t smallest_normal = 0x0010000000000000; /* DBL_MIN */
    int64_t b;
    memcpy(&b, &x, sizeof b);
    int64_t keep = -(int64_t)((b & INT64_MAX) >= smallest_normal);
    b &= keep | INT64_MIN;
    memcpy(&x, &b, sizeof x);
    return x;
}

#endif
