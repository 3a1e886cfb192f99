/* losses.c - MSE, cross-entropy and binary cross-entropy: the cost and
 * dC/dZ at the output. */
#include "losses.h"
#include "activations.h"

#include <float.h>
#include <math.h>

/* log y^ clamped at log(DBL_MIN), so a saturated output costs ~708, not Inf. */
static double clamped_log(double p)
{
    return log(p > DBL_MIN ? p : DBL_MIN);
}

static double mse_sum(size_t count, const double *A, const double *T)
{
    double sum = 0.0;
    for (size_t i = 0; i < count; i++) {
        double e = A[i] - T[i];
        sum += e * e;
    }
    return sum;
}

/* -sum y log y^; terms with y == 0 are skipped (0 log 0 = 0). */
static double cross_entropy_sum(size_t count, const double *A,
                                const double *T)
{
    double sum = 0.0;
    for (size_t i = 0; i < count; i++)
        if (T[i] != 0.0)
            sum -= T[i] * clamped_log(A[i]);
    return sum;
}

/* -sum [y log y^ + (1 - y) log(1 - y^)], each output a Bernoulli
 * probability; a term whose weight (y or 1 - y) is 0 is skipped. */
static double binary_cross_entropy_sum(size_t count, const double *A,
                                       const double *T)
{
    double sum = 0.0;
    for (size_t i = 0; i < count; i++) {
        double y = T[i], q = 1.0 - y;
        if (y != 0.0)
            sum -= y * clamped_log(A[i]);
        if (q != 0.0)
            sum -= q * clamped_log(1.0 - A[i]);
    }
    return sum;
}

double mlp__loss_cost(mlp_loss loss, mlp_activation act, size_t batch,
                      size_t n, const double *A, const double *T)
{
    size_t count = batch * n;
    if (loss == MLP_MSE)
        return mse_sum(count, A, T) / ((double)batch * (double)n);
    if (act == MLP_SOFTMAX)
        return cross_entropy_sum(count, A, T) / (double)batch;
    return binary_cross_entropy_sum(count, A, T) / (double)batch;
}

double mlp__output_delta(mlp_loss loss, mlp_activation act, size_t batch,
                         size_t n, const double *A, const double *T,
                         double *dZ)
{
    size_t count = batch * n;
    double cost = mlp__loss_cost(loss, act, batch, n, A, T);

    if (loss == MLP_MSE) {
        /* Seed §2, corrected: elementwise, no sum over outputs, and the
         * batch mean: dA = 2/(B n_L) (Y^ - Y). Seed §3 then multiplies by
         * the activation's derivative elementwise. */
        double scale = 2.0 / ((double)batch * (double)n);
        for (size_t i = 0; i < count; i++)
            dZ[i] = scale * (A[i] - T[i]);
        mlp__activation_backward(act, count, A, dZ);
        return cost;
    }

    double inv_batch = 1.0 / (double)batch;
    if (act == MLP_SOFTMAX) {
        /* Softmax with cross-entropy: dZ = (Y^ s - Y)/B, s the row's target
         * sum, with no Jacobian product. For one-hot or probability targets
         * s = 1 and this is the familiar (Y^ - Y)/B. */
        for (size_t r = 0; r < batch; r++) {
            const double *a = A + r * n, *t = T + r * n;
            double *dz = dZ + r * n;
            double s = 0.0;
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
