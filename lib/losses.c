/* losses.c - MSE, cross-entropy and binary cross-entropy: the cost and
 * dC/dZ at the output. */
#include "losses.h"
#include "activations.h"
#include "mlp_internal.h"

#include <math.h>
#include <stdbool.h>

/* The cross-entropies are computed from the output layer's
 * pre-activations Z (the logits), not by taking logs of the outputs: an
 * output that rounds to 0 or 1 (a sigmoid beyond |z| ~ 37 in double, ~17
 * in float) has lost the information its log needs, so log(1 - y^) would
 * be -Inf, or clamped, while the exact cost is a finite number about |z|.
 * The costs are summed in double in both precisions: one pass over the
 * outputs, and a float network's cost then carries only its final
 * rounding. */

/* The squared errors are summed in SUM_LANES independent partial sums,
 * added pairwise at the end: one running sum is a chain of dependent
 * additions (4 cycles each), which made the cost the slowest pass of a
 * large output layer; lanes vectorise, and their error bound is no worse
 * than the running sum's. Every path that reports an MSE cost sums here,
 * so the same outputs always give the same bits. */
enum { SUM_LANES = 8 };

static double sum_lanes(double *lane)
{
    for (int width = SUM_LANES / 2; width >= 1; width /= 2)
        for (int k = 0; k < width; k++)
            lane[k] += lane[k + width];
    return lane[0];
}

/* The sum of squared errors, and when `store` dA = scale (Y^ - Y) in the
 * same pass. Inlined into both callers below, where `store` is a
 * constant, so each gets a loop without the test. */
static inline double mse_pass(size_t count, real scale, const real *A,
                              const real *T, real *dA, bool store)
{
    double lane[SUM_LANES] = { 0 };
    size_t i = 0;
    for (; i + SUM_LANES <= count; i += SUM_LANES)
        for (int k = 0; k < SUM_LANES; k++) {
            double e = (double)A[i + k] - (double)T[i + k];
            lane[k] += e * e;
            if (store)
                dA[i + k] = scale * (A[i + k] - T[i + k]);
        }
    for (int k = 0; i < count; i++, k++) {
        double e = (double)A[i] - (double)T[i];
        lane[k] += e * e;
        if (store)
            dA[i] = scale * (A[i] - T[i]);
    }
    return sum_lanes(lane);
}

static double mse_sum(size_t count, const real *A, const real *T)
{
    return mse_pass(count, 0, A, T, NULL, false);
}

/* The MSE cost and dA = 2/(B n_L) (Y^ - Y) in one pass over A and T. */
static double mse_sum_and_delta(size_t count, real scale, const real *A,
                                const real *T, real *dA)
{
    return mse_pass(count, scale, A, T, dA, true);
}

/* -sum y log y^ for softmax outputs, row by row: with k the row's
 * (first) largest logit, log y^_j = (z_j - z_k) - log1p(r), where r =
 * sum_{j != k} e^(z_j - z_k) = (sum_{j != k} a_j) / a_k is read off the
 * outputs a (a_k >= 1/n, and each a_j carries a relative rounding only),
 * so no exp is taken and a target whose output underflowed to 0 still
 * costs its logit gap. Terms with y == 0 are skipped (0 log 0 = 0). */
static double cross_entropy_sum(size_t rows, size_t n, const real *A,
                                const real *Z, const real *T)
{
    double sum = 0.0;
    for (size_t r = 0; r < rows; r++) {
        const real *a = A + r * n, *z = Z + r * n, *t = T + r * n;
        size_t k = 0;
        for (size_t j = 1; j < n; j++)
            k = z[j] > z[k] ? j : k;
        double others = 0.0;
        for (size_t j = 0; j < n; j++)
            others += j == k ? 0.0 : (double)a[j];
        double log_sum = log1p(others / (double)a[k]);
        for (size_t j = 0; j < n; j++)
            if (t[j] != 0.0)
                sum += (double)t[j] * (((double)z[k] - z[j]) + log_sum);
    }
    return sum;
}

/* -sum [y log y^ + (1 - y) log(1 - y^)], each output a Bernoulli
 * probability y^ = sigma(z): -log y^ = softplus(-z) and -log(1 - y^) =
 * softplus(z), softplus(x) = max(x, 0) + log1p(e^-|x|), with neither
 * overflow nor cancellation. A term whose weight (y or 1 - y) is 0 is
 * skipped. */
static double binary_cross_entropy_sum(size_t count, const real *Z,
                                       const real *T)
{
    double sum = 0.0;
    for (size_t i = 0; i < count; i++) {
        double y = T[i], q = 1.0 - y, z = Z[i];
        double tail = log1p(exp(-fabs(z)));
        if (y != 0.0)
            sum += y * ((z < 0.0 ? -z : 0.0) + tail);
        if (q != 0.0)
            sum += q * ((z > 0.0 ? z : 0.0) + tail);
    }
    return sum;
}

double mlp__loss_cost(mlp_loss loss, mlp_activation act, size_t batch,
                      size_t n, const real *A, const real *Z, const real *T)
{
    size_t count = batch * n;
    if (loss == MLP_MSE)
        return mse_sum(count, A, T) / ((double)batch * (double)n);
    if (act == MLP_SOFTMAX)
        return cross_entropy_sum(batch, n, A, Z, T) / (double)batch;
    return binary_cross_entropy_sum(count, Z, T) / (double)batch;
}

double mlp__output_delta(mlp_loss loss, mlp_activation act, size_t batch,
                         size_t n, const real *A, const real *T,
                         real *dZ, double *dz_bound)
{
    size_t count = batch * n;
    if (loss == MLP_MSE) {
        /* Seed §2, corrected: elementwise, no sum over outputs, and the
         * batch mean: dA = 2/(B n_L) (Y^ - Y). Seed §3 then multiplies by
         * the activation's derivative elementwise, which bounds dZ. */
        real scale = (real)(2.0 / ((double)batch * (double)n));
        double sum = mse_sum_and_delta(count, scale, A, T, dZ);
        *dz_bound = mlp__activation_backward(act, count, A, dZ);
        return sum / ((double)batch * (double)n);
    }

    /* The logits are in dZ (see losses.h) until the deltas replace them. */
    double cost = mlp__loss_cost(loss, act, batch, n, A, dZ, T);
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
    *dz_bound = mlp__max_abs(dZ, count);
    return cost;
}
