/* activations.c - sigmoid, tanh, ReLU, identity, softmax and derivatives. */
#include "activations.h"
#include "mlp_internal.h"
#include "simd.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#ifndef MLP_SINGLE
/* e^x for x <= 0, written so that a loop over it vectorises: no libm
 * call and no floating-point comparison (GCC will not if-convert one that
 * could raise FE_INVALID), only arithmetic and unsigned bit work.
 * x = k ln2 + r with |r| <= ln2/2 (Cody-Waite split of ln2, so r is
 * exact), e^r by its Taylor series to degree 13 (truncation < 5e-18, under
 * half an ulp), and 2^k applied as two normal powers 2^-m1 * 2^-m2 so that
 * results in the subnormal range round once, as libm's exp does: within
 * ~1 ulp of exp. Needs x >= -1416, so that both powers are normal. */
static inline double exp_nonpositive(double x)
{
    const double shifter = 0x1.8p52, log2e = 0x1.71547652b82fep0;
    const double ln2_hi = 0x1.62e42fee00000p-1, ln2_lo = 0x1.a39ef35793c76p-33;
    double n = x * log2e + shifter; /* round(x log2 e) in the low bits */
    double k = n - shifter;
    uint64_t bits;
    memcpy(&bits, &n, sizeof bits);
    /* The low 52 bits of n hold 2^51 + k, k <= 0: m = -k, capped. */
    uint64_t m = ((uint64_t)1 << 51) - (bits & (((uint64_t)1 << 52) - 1));
    double r = (x - k * ln2_hi) - k * ln2_lo;
    /* e^r = 1 + (r + r^2 T(r)), T by Estrin's scheme: a short dependency
     * chain (which limits short rows), and the large terms added last so
     * the rounding stays that of Horner's form. */
    double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    double q1 = 1.0 / 2 + r * (1.0 / 6), q2 = 1.0 / 24 + r * (1.0 / 120);
    double q3 = 1.0 / 720 + r * (1.0 / 5040);
    double q4 = 1.0 / 40320 + r * (1.0 / 362880);
    double q5 = 1.0 / 3628800 + r * (1.0 / 39916800);
    double q6 = 1.0 / 479001600 + r * (1.0 / 6227020800.0);
    double t = (q1 + r2 * q2) + r4 * (q3 + r2 * q4) + r8 * (q5 + r2 * q6);
    double p = 1.0 + (r + r2 * t);
    uint64_t m1 = m >> 1, m2 = m - m1; /* each <= 1020: normal powers */
    uint64_t b1 = (1023 - m1) << 52, b2 = (1023 - m2) << 52;
    double s1, s2;
    memcpy(&s1, &b1, sizeof s1);
    memcpy(&s2, &b2, sizeof s2);
    return p * s1 * s2;
}
#else
/* The float version of the above: the same split, e^r by its Taylor
 * series to degree 7 (truncation < 6e-9, under half an ulp of float), and
 * 2^k as two normal powers of at most 2^-126 each, so that x >= -174 is
 * needed; within ~1 ulp of expf. */
static inline float exp_nonpositive(float x)
{
    const float shifter = 0x1.8p23f, log2e = 0x1.715476p0f;
    const float ln2_hi = 0x1.62e400p-1f, ln2_lo = 0x1.7f7d1cp-20f;
    float n = x * log2e + shifter; /* round(x log2 e) in the low bits */
    float k = n - shifter;
    uint32_t bits;
    memcpy(&bits, &n, sizeof bits);
    /* The low 23 bits of n hold 2^22 + k, k <= 0: m = -k, capped. */
    uint32_t m = ((uint32_t)1 << 22) - (bits & (((uint32_t)1 << 23) - 1));
    float r = (x - k * ln2_hi) - k * ln2_lo;
    /* e^r = 1 + (r + r^2 T(r)), T by Estrin's scheme as above. */
    float r2 = r * r, r4 = r2 * r2;
    float q1 = 1.0f / 2 + r * (1.0f / 6), q2 = 1.0f / 24 + r * (1.0f / 120);
    float q3 = 1.0f / 720 + r * (1.0f / 5040);
    float t = (q1 + r2 * q2) + r4 * q3;
    float p = 1 + (r + r2 * t);
    uint32_t m1 = m >> 1, m2 = m - m1; /* each <= 125: normal powers */
    uint32_t b1 = (127 - m1) << 23, b2 = (127 - m2) << 23;
    float s1, s2;
    memcpy(&s1, &b1, sizeof s1);
    memcpy(&s2, &b2, sizeof s2);
    return p * s1 * s2;
}
#endif

/* The cap on |x| of the exps below, as bits: e^-cap is 0 in the
 * precision, and both powers of exp_nonpositive stay normal. */
#ifdef MLP_SINGLE
#define EXP_CAP_BITS ((real_ubits)0x43200000u) /* 160.0f */
#else
#define EXP_CAP_BITS ((real_ubits)0x4096200000000000u) /* 1416.0 */
#endif
#define SIGN_BIT ((real_ubits)1 << (8 * sizeof(real) - 1))

/* sigma(z) without overflow and without a branch: with e = e^-|z| <= 1,
 * sigma(z) = 1/(1+e) for z >= 0 and e/(1+e) for z < 0, the choice made on
 * the sign bit. |z| is capped (at 1416, or 160 in float: sigma is 0 or 1
 * long before) by comparing its bits as an integer, which orders
 * non-negative reals and also caps Inf and NaN (NaN is reported by the
 * caller's finite check). */
static inline real sigmoid(real z)
{
    real one = 1, t, az;
    real_ubits zb, eb, ob, tb;
    memcpy(&zb, &z, sizeof zb);
    real_ubits ab = zb & ~SIGN_BIT;
    ab = ab < EXP_CAP_BITS ? ab : EXP_CAP_BITS;
    memcpy(&az, &ab, sizeof az);
    real e = exp_nonpositive(-az);
    memcpy(&eb, &e, sizeof eb);
    memcpy(&ob, &one, sizeof ob);
    /* all ones when z < 0 */
    real_ubits negative = (real_ubits)0 - (zb >> (8 * sizeof(real) - 1));
    tb = (eb & negative) | (ob & ~negative);
    memcpy(&t, &tb, sizeof t);
    return t / (1 + e);
}

static double bits_to_bound(real_bits max)
{
    if (max >= REAL_INF_BITS)
        return INFINITY;
    real m;
    memcpy(&m, &max, sizeof m);
    return m;
}

MLP_CLONES
static bool sigmoid_pass(size_t n, real *Z)
{
    /* x - x is 0 for finite x and NaN otherwise; OR-ing the comparisons
     * is a vectorisable reduction, unlike a floating-point sum. */
    unsigned bad = 0;
    for (size_t i = 0; i < n; i++) {
        real z = Z[i];
        bad |= (z - z) != 0;
        Z[i] = sigmoid(z);
    }
    return bad == 0;
}

/* Lanes of independent running maxima: one integer max per element
 * would otherwise wait on the previous one (compare and blend, ~5 cycles
 * per vector with AVX2), and the passes are too short to hide that. */
enum { MAX_LANES = 16 };

static real_bits lanes_max(const real_bits *acc)
{
    real_bits max = 0;
    for (int k = 0; k < MAX_LANES; k++)
        max = acc[k] > max ? acc[k] : max;
    return max;
}

/* The passes below fold the largest magnitude into the elementwise work:
 * MAX_LANES elements per iteration, each lane with its own running max,
 * then the elements that are left. */
#define LANES_LOOP(n, body)                                          \
    real_bits acc[MAX_LANES] = { 0 };                               \
    size_t i = 0;                                                   \
    for (; i + MAX_LANES <= (n); i += MAX_LANES)                    \
        _Pragma("GCC unroll 16")                                    \
        for (int k = 0; k < MAX_LANES; k++) {                       \
            size_t j = i + (size_t)k;                               \
            real_bits mag = body;                                   \
            acc[k] = mag > acc[k] ? mag : acc[k];                   \
        }                                                           \
    for (; i < (n); i++) {                                          \
        size_t j = i;                                               \
        real_bits mag = body;                                       \
        acc[0] = mag > acc[0] ? mag : acc[0];                       \
    }

/* dA <- dA * σ'(A) = dA * A (1 - A); returns the magnitude bits. */
static inline real_bits sigmoid_backward_one(const real *A, real *dA)
{
    real d = *dA * (*A * (1 - *A));
    *dA = d;
    return mlp__magnitude_bits(d);
}

MLP_CLONES
static double sigmoid_backward_pass(size_t n, const real *A, real *dA)
{
    LANES_LOOP(n, sigmoid_backward_one(A + j, dA + j))
    return bits_to_bound(lanes_max(acc));
}

/* z <- max(z, 0), decided on the bits (a real's bits, read as a signed
 * integer, are > 0 exactly when it is > 0 or a positive NaN: no
 * floating-point comparison, which GCC would not vectorise); returns |z|'s
 * magnitude bits before the map, so NaN and Inf are seen. */
static inline real_bits relu_one(real *z)
{
    real_bits b;
    memcpy(&b, z, sizeof b);
    real_bits kept = b & -(real_bits)(b > 0);
    memcpy(z, &kept, sizeof kept);
    return b & REAL_BITS_MAX;
}

MLP_CLONES
static double relu_pass(size_t n, real *Z)
{
    LANES_LOOP(n, relu_one(Z + j))
    return bits_to_bound(lanes_max(acc));
}

/* dA <- dA * 1[A > 0]: A is a ReLU output, >= 0, so its bits are > 0
 * exactly when A > 0. Returns the result's magnitude bits. */
static inline real_bits relu_backward_one(const real *A, real *dA)
{
    real_bits a, d;
    memcpy(&a, A, sizeof a);
    memcpy(&d, dA, sizeof d);
    d &= -(real_bits)(a > 0);
    memcpy(dA, &d, sizeof d);
    return d & REAL_BITS_MAX;
}

MLP_CLONES
static double relu_backward_pass(size_t n, const real *A, real *dA)
{
    LANES_LOOP(n, relu_backward_one(A + j, dA + j))
    return bits_to_bound(lanes_max(acc));
}

/* e^x for x <= 0 with x capped at -1416 (-160 in float; e^x is 0 there
 * anyway) by comparing |x|'s bits as an integer, which also maps NaN to 0
 * (the caller's finite check reports it). */
static inline real exp_capped(real x)
{
    real_ubits b;
    real ax;
    memcpy(&b, &x, sizeof b);
    b &= ~SIGN_BIT;
    b = b < EXP_CAP_BITS ? b : EXP_CAP_BITS;
    memcpy(&ax, &b, sizeof ax);
    return exp_nonpositive(-ax);
}

/* Softmax of each row, minus the row maximum first so exp cannot overflow
 * and the largest term is exactly e^0 = 1 (the sum is >= 1). Three passes
 * so that the exp, the costly part, runs as one vectorised loop over the
 * whole matrix (rows of 10 are too short to vectorise one by one); its
 * exp is the one above, within ~1 ulp of libm's. */
MLP_CLONES
static void softmax_pass(size_t rows, size_t cols, real *Z)
{
    for (size_t r = 0; r < rows; r++) {
        real *z = Z + r * cols, max = z[0];
        for (size_t j = 1; j < cols; j++)
            max = z[j] > max ? z[j] : max;
        for (size_t j = 0; j < cols; j++)
            z[j] -= max;
    }
    for (size_t i = 0; i < rows * cols; i++)
        Z[i] = exp_capped(Z[i]);
    for (size_t r = 0; r < rows; r++) {
        real *z = Z + r * cols, sum = 0;
        for (size_t j = 0; j < cols; j++)
            sum += z[j];
        real inv = 1 / sum;
        for (size_t j = 0; j < cols; j++)
            z[j] *= inv;
    }
}

MLP_CLONES
static double max_abs_pass(const real *x, size_t n)
{
    LANES_LOOP(n, mlp__magnitude_bits(x[j]))
    return bits_to_bound(lanes_max(acc));
}

double mlp__max_abs(const real *x, size_t n) { return max_abs_pass(x, n); }

double mlp__activate(mlp_activation act, size_t rows, size_t cols, real *Z)
{
    /* The check looks at the pre-activations: sigmoid and tanh map ±Inf to
     * finite values and ReLU maps NaN to 0, so checking the outputs would
     * hide an overflow or a NaN weight. Finite Z gives finite A for every
     * activation here, and |A| <= max(|Z|, 1). */
    size_t n = rows * cols;
    if (act == MLP_SIGMOID) /* the seed's case: check and map in one pass */
        return sigmoid_pass(n, Z) ? 1.0 : INFINITY;
    if (act == MLP_RELU) /* bound and map in one pass too */
        return relu_pass(n, Z);
    double max_z = mlp__max_abs(Z, n);
    double bound = act == MLP_RELU || act == MLP_IDENTITY || isinf(max_z)
                       ? max_z : 1.0;
    switch (act) {
    case MLP_SIGMOID:
        break;
    case MLP_TANH:
        for (size_t i = 0; i < n; i++)
            Z[i] = real_tanh(Z[i]);
        break;
    case MLP_RELU:
    case MLP_IDENTITY:
        break;
    case MLP_SOFTMAX:
        softmax_pass(rows, cols, Z);
        break;
    }
    return bound;
}

double mlp__activation_backward(mlp_activation act, size_t n, const real *A,
                                real *dA)
{
    switch (act) {
    case MLP_SIGMOID: /* seed §3, §7: sigma' = A (1 - A), bounded in the pass */
        return sigmoid_backward_pass(n, A, dA);
    case MLP_TANH: /* tanh' = 1 - A^2 */
        for (size_t i = 0; i < n; i++)
            dA[i] *= 1 - A[i] * A[i];
        break;
    case MLP_RELU: /* 1[Z > 0], and Z > 0 exactly when A > 0 */
        return relu_backward_pass(n, A, dA);
    case MLP_IDENTITY:
    case MLP_SOFTMAX: /* folded into the loss; never reached for hidden layers */
        break;
    }
    return mlp__max_abs(dA, n);
}
