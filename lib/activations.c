/* activations.c - sigmoid, tanh, ReLU, identity, softmax and derivatives. */
#include "activations.h"
#include "mlp_internal.h"
#include "simd.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

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

/* sigma(z) without overflow and without a branch: with e = e^-|z| <= 1,
 * sigma(z) = 1/(1+e) for z >= 0 and e/(1+e) for z < 0, the choice made on
 * the sign bit. |z| is capped at 1416 (sigma is 0 or 1 long before) by
 * comparing its bits as an integer, which orders non-negative doubles and
 * also caps Inf and NaN (NaN is reported by the caller's finite check). */
static inline double sigmoid(double z)
{
    const uint64_t cap = 0x4096200000000000u; /* 1416.0 */
    double one = 1.0, t, az;
    uint64_t zb, eb, ob, tb;
    memcpy(&zb, &z, sizeof zb);
    uint64_t ab = zb & ~((uint64_t)1 << 63);
    ab = ab < cap ? ab : cap;
    memcpy(&az, &ab, sizeof az);
    double e = exp_nonpositive(-az);
    memcpy(&eb, &e, sizeof eb);
    memcpy(&ob, &one, sizeof ob);
    uint64_t negative = (uint64_t)0 - (zb >> 63); /* all ones when z < 0 */
    tb = (eb & negative) | (ob & ~negative);
    memcpy(&t, &tb, sizeof t);
    return t / (1.0 + e);
}

static double bits_to_bound(int64_t max)
{
    const int64_t inf = 0x7ff0000000000000;
    if (max >= inf)
        return INFINITY;
    double m;
    memcpy(&m, &max, sizeof m);
    return m;
}

MLP_CLONES
static bool sigmoid_pass(size_t n, double *Z)
{
    /* x - x is 0 for finite x and NaN otherwise; OR-ing the comparisons
     * is a vectorisable reduction, unlike a floating-point sum. */
    unsigned bad = 0;
    for (size_t i = 0; i < n; i++) {
        double z = Z[i];
        bad |= (z - z) != 0.0;
        Z[i] = sigmoid(z);
    }
    return bad == 0;
}

/* Lanes of independent running maxima: one integer max per element
 * would otherwise wait on the previous one (compare and blend, ~5 cycles
 * per vector with AVX2), and the passes are too short to hide that. */
enum { MAX_LANES = 16 };

static int64_t lanes_max(const int64_t *acc)
{
    int64_t max = 0;
    for (int k = 0; k < MAX_LANES; k++)
        max = acc[k] > max ? acc[k] : max;
    return max;
}

/* The passes below fold the largest magnitude into the elementwise work:
 * MAX_LANES elements per iteration, each lane with its own running max,
 * then the elements that are left. */
#define LANES_LOOP(n, body)                                          \
    int64_t acc[MAX_LANES] = { 0 };                                 \
    size_t i = 0;                                                   \
    for (; i + MAX_LANES <= (n); i += MAX_LANES)                    \
        _Pragma("GCC unroll 16")                                    \
        for (int k = 0; k < MAX_LANES; k++) {                       \
            size_t j = i + (size_t)k;                               \
            int64_t mag = body;                                     \
            acc[k] = mag > acc[k] ? mag : acc[k];                   \
        }                                                           \
    for (; i < (n); i++) {                                          \
        size_t j = i;                                               \
        int64_t mag = body;                                         \
        acc[0] = mag > acc[0] ? mag : acc[0];                       \
    }

/* dA <- dA * σ'(A) = dA * A (1 - A); returns the magnitude bits. */
static inline int64_t sigmoid_backward_one(const double *A, double *dA)
{
    double d = *dA * (*A * (1.0 - *A));
    *dA = d;
    return mlp__magnitude_bits(d);
}

MLP_CLONES
static double sigmoid_backward_pass(size_t n, const double *A, double *dA)
{
    LANES_LOOP(n, sigmoid_backward_one(A + j, dA + j))
    return bits_to_bound(lanes_max(acc));
}

/* z <- max(z, 0), decided on the bits (a double's bits, read as a signed
 * integer, are > 0 exactly when it is > 0 or a positive NaN: no
 * floating-point comparison, which GCC would not vectorise); returns |z|'s
 * magnitude bits before the map, so NaN and Inf are seen. */
static inline int64_t relu_one(double *z)
{
    int64_t b;
    memcpy(&b, z, sizeof b);
    int64_t kept = b & -(int64_t)(b > 0);
    memcpy(z, &kept, sizeof kept);
    return b & INT64_MAX;
}

MLP_CLONES
static double relu_pass(size_t n, double *Z)
{
    LANES_LOOP(n, relu_one(Z + j))
    return bits_to_bound(lanes_max(acc));
}

/* dA <- dA * 1[A > 0]: A is a ReLU output, >= 0, so its bits are > 0
 * exactly when A > 0. Returns the result's magnitude bits. */
static inline int64_t relu_backward_one(const double *A, double *dA)
{
    int64_t a, d;
    memcpy(&a, A, sizeof a);
    memcpy(&d, dA, sizeof d);
    d &= -(int64_t)(a > 0);
    memcpy(dA, &d, sizeof d);
    return d & INT64_MAX;
}

MLP_CLONES
static double relu_backward_pass(size_t n, const double *A, double *dA)
{
    LANES_LOOP(n, relu_backward_one(A + j, dA + j))
    return bits_to_bound(lanes_max(acc));
}

/* e^x for x <= 0 with x capped at -1416 (e^-1416 is 0 anyway) by comparing
 * |x|'s bits as an integer, which also maps NaN to 0 (the caller's finite
 * check reports it). */
static inline double exp_capped(double x)
{
    const uint64_t cap = 0x4096200000000000u; /* 1416.0 */
    uint64_t b;
    double ax;
    memcpy(&b, &x, sizeof b);
    b &= ~((uint64_t)1 << 63);
    b = b < cap ? b : cap;
    memcpy(&ax, &b, sizeof ax);
    return exp_nonpositive(-ax);
}

/* Softmax of each row, minus the row maximum first so exp cannot overflow
 * and the largest term is exactly e^0 = 1 (the sum is >= 1). Three passes
 * so that the exp, the costly part, runs as one vectorised loop over the
 * whole matrix (rows of 10 are too short to vectorise one by one); its
 * exp is the one above, within ~1 ulp of libm's. */
MLP_CLONES
static void softmax_pass(size_t rows, size_t cols, double *Z)
{
    for (size_t r = 0; r < rows; r++) {
        double *z = Z + r * cols, max = z[0];
        for (size_t j = 1; j < cols; j++)
            max = z[j] > max ? z[j] : max;
        for (size_t j = 0; j < cols; j++)
            z[j] -= max;
    }
    for (size_t i = 0; i < rows * cols; i++)
        Z[i] = exp_capped(Z[i]);
    for (size_t r = 0; r < rows; r++) {
        double *z = Z + r * cols, sum = 0.0;
        for (size_t j = 0; j < cols; j++)
            sum += z[j];
        double inv = 1.0 / sum;
        for (size_t j = 0; j < cols; j++)
            z[j] *= inv;
    }
}

MLP_CLONES
static double max_abs_pass(const double *x, size_t n)
{
    LANES_LOOP(n, mlp__magnitude_bits(x[j]))
    return bits_to_bound(lanes_max(acc));
}

double mlp__max_abs(const double *x, size_t n) { return max_abs_pass(x, n); }

double mlp__activate(mlp_activation act, size_t rows, size_t cols, double *Z)
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
            Z[i] = tanh(Z[i]);
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

double mlp__activation_backward(mlp_activation act, size_t n, const double *A,
                                double *dA)
{
    switch (act) {
    case MLP_SIGMOID: /* seed §3, §7: sigma' = A (1 - A), bounded in the pass */
        return sigmoid_backward_pass(n, A, dA);
    case MLP_TANH: /* tanh' = 1 - A^2 */
        for (size_t i = 0; i < n; i++)
            dA[i] *= 1.0 - A[i] * A[i];
        break;
    case MLP_RELU: /* 1[Z > 0], and Z > 0 exactly when A > 0 */
        return relu_backward_pass(n, A, dA);
    case MLP_IDENTITY:
    case MLP_SOFTMAX: /* folded into the loss; never reached for hidden layers */
        break;
    }
    return mlp__max_abs(dA, n);
}
