/* random.h - the library's own small PRNG (no rand(), no global state). */
#ifndef MLP_RANDOM_H
#define MLP_RANDOM_H

#include <stdint.h>

/* SplitMix64: one 64-bit state word, full period 2^64, passes BigCrush;
 * ample for drawing initial weights and shuffles, and the same bits on
 * every host. */
typedef struct mlp_rng { uint64_t state; } mlp_rng;

static inline uint64_t mlp__rng_next(mlp_rng *rng)
{
    uint64_t z = (rng->state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Uniform on [0, 1) with 53 random bits. */
static inline double mlp__rng_uniform(mlp_rng *rng)
{
    return (double)(mlp__rng_next(rng) >> 11) * 0x1.0p-53;
}

#endif
