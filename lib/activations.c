/* activations.c - sigmoid, tanh, ReLU, identity, softmax and derivatives. */
#include "activations.h"
#include "mlp_internal.h"

#include <math.h>

/* sigma(z) without overflow: for z < 0, e^z / (1 + e^z), so exp never sees
 * a large positive argument. */
static double sigmoid(double z)
{
    if (z >= 0.0)
        return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

/* Softmax of one row, minus the row maximum first so exp cannot overflow
 * and the largest term is exactly e^0 = 1 (the sum is >= 1). */
static void softmax_row(size_t n, double *z)
{
    double max = z[0];
    for (size_t j = 1; j < n; j++)
        if (z[j] > max)
            max = z[j];
    double sum = 0.0;
    for (size_t j = 0; j < n; j++) {
        z[j] = exp(z[j] - max);
        sum += z[j];
    }
    double inv = 1.0 / sum;
    for (size_t j = 0; j < n; j++)
        z[j] *= inv;
}

/* x - x is 0 for a finite x and NaN otherwise, so their sum catches what
 * the max (whose comparisons are false for NaN) would miss. Branch-free and
 * vectorisable: one pass. */
double mlp__max_abs(const double *x, size_t n)
{
    double max = 0.0, nonfinite = 0.0;
    for (size_t i = 0; i < n; i++) {
        double a = fabs(x[i]);
        max = a > max ? a : max;
        nonfinite += x[i] - x[i];
    }
    return nonfinite == 0.0 ? max : INFINITY;
}

double mlp__activate(mlp_activation act, size_t rows, size_t cols, double *Z)
{
    /* The check looks at the pre-activations: sigmoid and tanh map ±Inf to
     * finite values and ReLU maps NaN to 0, so checking the outputs would
     * hide an overflow or a NaN weight. Finite Z gives finite A for every
     * activation here, and |A| <= max(|Z|, 1). */
    size_t n = rows * cols;
    double max_z = mlp__max_abs(Z, n);
    double bound = act == MLP_RELU || act == MLP_IDENTITY || isinf(max_z)
                       ? max_z : 1.0;
    switch (act) {
    case MLP_SIGMOID:
        for (size_t i = 0; i < n; i++)
            Z[i] = sigmoid(Z[i]);
        break;
    case MLP_TANH:
        for (size_t i = 0; i < n; i++)
            Z[i] = tanh(Z[i]);
        break;
    case MLP_RELU:
        for (size_t i = 0; i < n; i++)
            Z[i] = Z[i] > 0.0 ? Z[i] : 0.0;
        break;
    case MLP_IDENTITY:
        break;
    case MLP_SOFTMAX:
        for (size_t r = 0; r < rows; r++)
            softmax_row(cols, Z + r * cols);
        break;
    }
    return bound;
}

double mlp__activation_backward(mlp_activation act, size_t n, const double *A,
                                double *dA)
{
    switch (act) {
    case MLP_SIGMOID: /* seed §3, §7: sigma' = A (1 - A) */
        for (size_t i = 0; i < n; i++)
            dA[i] *= A[i] * (1.0 - A[i]);
        break;
    case MLP_TANH: /* tanh' = 1 - A^2 */
        for (size_t i = 0; i < n; i++)
            dA[i] *= 1.0 - A[i] * A[i];
        break;
    case MLP_RELU: /* 1[Z > 0], and Z > 0 exactly when A > 0 */
        for (size_t i = 0; i < n; i++)
            dA[i] = A[i] > 0.0 ? dA[i] : 0.0;
        break;
    case MLP_IDENTITY:
    case MLP_SOFTMAX: /* folded into the loss; never reached for hidden layers */
        break;
    }
    return mlp__max_abs(dA, n);
}
