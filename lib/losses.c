/* losses.c - MSE, cross-entropy and binary cross-entropy: the cost and
 * dC/dZ at the output. */
#include "losses.h"
#include "activations.h"

#include <math.h>

/* log y^ clamped at the log of the smallest normal (DBL_MIN, or FLT_MIN
 * for float outputs), so a saturated output costs ~708 (~87), not Inf.
 * The costs are summed in double in both precisions: one pass over the
 * outputs, and a float network's cost then carries only its final
 * rounding. */
static double clamped_log(double p)
{
    return log(p > REAL_MIN ? p : REAL_MIN);
}

static double mse_sum(size_t count, const real *A, const real *T)
{
    double sum = 0.0;
    for (size_t i = 0; i < count; i++) {
        double e = (double)A[i] - (double)T[i];
        sum += e * e;
    }
    return sum;
}

/* -sum y log y^; terms with y == 0 are skipped (0 log 0 = 0). */
static double cross_entropy_sum(size_t count, const real *A,
                                const real *T)
{
    double sum = 0.0;
    for (size_t i = 0; i < count; i++)
        if (T[i] != 0.0)
            sum -= T[i] * clamped_log(A[i]);
    return sum;
}

/* -sum [y log y^ + (1 - y) log(1 - y^)], each output a Bernoulli
 * probability; a term whose weight (y or 1 - y) is 0 is skipped. */
static double binary_cross_entropy_sum(size_t count, const real *A,
                                       const real *T)
{
    double sum = 0.0;
    for (size_t i = 0; i < count; i++) {
        double y = T[i], q = 1.0 - y;
        if (y != 0.0)
            sum -= y * clamped_log(A[i]);
        if (q != 0.0)
            sum -= q * clamped_log(1.0 - (double)A[i]);
    }
    return sum;
}

double mlp__loss_cost(mlp_loss loss, mlp_activation act, size_t batch,
                      size_t n, const real *A, const real *T)
{
    size_t count = batch * n;
    if (loss == MLP_MSE)
        return mse_sum(count, A, T) / ((double)batch * (double)n);
    if (act == MLP_SOFTMAX)
        return cross_entropy_sum(count, A, T) / (double)batch;
    return binary_cross_entropy_sum(count, A, T) / (double)batch;
}

double mlp__output_delta(mlp_loss loss, mlp_activation act, size_t batch,
                         size_t n, const real *A, const real *T,
                         real *dZ)
{
    size_t count = batch * n;
    double cost = mlp__loss_cost(loss, act, batch, n, A, T);

    if (loss == MLP_MSE) {
        /* Seed §2, corrected: elementwise, no sum over outputs, and the
         * batch mean: dA = 2/(B n_L) (Y^ - Y). Seed §3 then multiplies by
         * the activation's derivative elementwise. */
        real scale = (real)(2.0 / ((double)batch * (double)n));
        for (size_t i = 0; i < count; i++)
            dZ[i] = scale * (A[i] - T[i]);
        mlp__activation_backward(act, count, A, dZ);
        return cost;
    }

    real inv_batch = (real)(1.0 / (double)batch);
    if (act == MLP_SOFTMAX) {
        /* Softmax with cross-entropy: dZ = (Y^ s - Y)/B, s the row's target
         * sum, with no Jacobian product. For one-hot or probability targets
         * s = 1 and this is the familiar (Y^ - Y)/B. */
        for (size_t r = 0; r < batch; r++) {
            const real *a = A + r * n, *t = T + r * n;
            real *dz = dZ + r * n;
            real s = 0;
            for (size_t j = 0; j < n; j++)
                s += t[j];
            for (size_t j = 0; j < n; j++)
                dz[j] = (a[j] * s - t[j]) * inv_batch;
        }
    } else {
        /* Sigmoid with binary cross-entropy: dA = (y^ - y) / (B y^(1 - y^))
         * and sigma' = y^(1 - y^), so dZ = (Y^ - Y)/B, with no division. */
        for (size_t i = 0; i < count; i++)
            dZ[i] = (A[i] - T[i]) * inv_batch;
    }
    return cost;
}
