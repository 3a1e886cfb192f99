/* simd.h - helpers for the elementwise passes that are written to
 * vectorise (activations, checks, optimizer updates). Never installed. */
#ifndef MLP_SIMD_H
#define MLP_SIMD_H

#include "precision.h"

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

/* |x| as an integer of x's width (precision.h's real_bits): with the sign bit cleared, the integer order of the
 * bits is the order of |x|, and Inf and NaN lie above every finite value. So
 * one integer max tells both the largest magnitude and whether anything
 * was not finite; unlike a floating-point max or sum it vectorises without
 * -ffast-math and reorders nothing. */
static inline real_bits mlp__magnitude_bits(real x)
{
    real_bits b;
    memcpy(&b, &x, sizeof b);
    return b & REAL_BITS_MAX;
}

/* x, or a zero of x's sign when x is subnormal: the optimizers store no
 * subnormal parameter or state, on every processor (fpmode.h). Integer work only, so that it
 * vectorises and raises no floating-point exception. */
static inline real mlp__flush_subnormal(real x)
{
    real_bits b;
    memcpy(&b, &x, sizeof b);
    real_bits keep = -(real_bits)((b & REAL_BITS_MAX) >= REAL_MIN_BITS);
    b &= keep | REAL_BITS_MIN;
    memcpy(&x, &b, sizeof x);
    return x;
}

#endif
