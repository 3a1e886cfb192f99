/* scaling.c - the fixed affine maps around the network: inputs
 * (X - in_mean) / in_std on the way in, outputs Y * out_std + out_mean on
 * the way out, and targets scaled like the outputs for training.
 *
 * The four arrays live in one block, net->scaling (see mlp_internal.h),
 * allocated with the network: mean 0 and std 1 where unset, and the flags
 * in_scaled / out_scaled let the passes skip the identity map, so a
 * network without scaling computes exactly what it did before scaling
 * existed. */
#include "mlp_internal.h"
#include "alloc.h"
#include "losses.h"

#include <math.h>
#include <string.h>

/* Every mean finite, every std finite and > 0. */
static bool valid_maps(size_t n, const real *mean, const real *std)
{
    for (size_t i = 0; mean && i < n; i++)
        if (!isfinite(mean[i]))
            return false;
    for (size_t i = 0; std && i < n; i++)
        if (!isfinite(std[i]) || !(std[i] > 0.0))
            return false;
    return true;
}

/* dst <- src, or mean 0 / std 1 (fill) when src is NULL; returns whether
 * the map differs from the identity. */
static bool copy_map(real *dst, const real *src, size_t n, real fill)
{
    bool other = false;
    for (size_t i = 0; i < n; i++) {
        dst[i] = src ? src[i] : fill;
        other |= dst[i] != fill;
    }
    return other;
}

/* Stores the four arrays (already validated). */
static void store(struct mlp *net, const real *in_mean, const real *in_std,
                  const real *out_mean, const real *out_std)
{
    size_t n0 = net->sizes[0], nL = net->sizes[net->n_layers];
    bool in_m = copy_map(mlp__in_mean(net), in_mean, n0, 0.0);
    bool in_s = copy_map(mlp__in_std(net), in_std, n0, 1.0);
    bool out_m = copy_map(mlp__out_mean(net), out_mean, nL, 0.0);
    bool out_s = copy_map(mlp__out_std(net), out_std, nL, 1.0);
    net->in_scaled = in_m || in_s;
    net->out_scaled = out_m || out_s;
}

mlp_status mlp_set_scaling(mlp_t *net, const real *in_mean,
                           const real *in_std, const real *out_mean,
                           const real *out_std)
{
    if (!net)
        return MLP_ERR_ARG;
    size_t n0 = net->sizes[0], nL = net->sizes[net->n_layers];
    if (!valid_maps(n0, in_mean, in_std) || !valid_maps(nL, out_mean, out_std))
        return MLP_ERR_ARG;
    store(net, in_mean, in_std, out_mean, out_std);
    return MLP_OK;
}

mlp_status mlp_get_scaling(const mlp_t *net, real *in_mean, real *in_std,
                           real *out_mean, real *out_std)
{
    if (!net)
        return MLP_ERR_ARG;
    size_t n0 = net->sizes[0], nL = net->sizes[net->n_layers];
    if (in_mean)
        memcpy(in_mean, mlp__in_mean(net), n0 * sizeof *in_mean);
    if (in_std)
        memcpy(in_std, mlp__in_std(net), n0 * sizeof *in_std);
    if (out_mean)
        memcpy(out_mean, mlp__out_mean(net), nL * sizeof *out_mean);
    if (out_std)
        memcpy(out_std, mlp__out_std(net), nL * sizeof *out_std);
    return MLP_OK;
}

/* Mean and population standard deviation of column j of the n x width
 * matrix A. Both are computed on the column scaled by a power of two,
 * 2^-e with 2^e just above its largest magnitude, so that neither the
 * sum nor the squares overflow for any finite data and the scaling itself
 * is exact (dividing by the largest magnitude rounded every value, an
 * error of eps |mean| in each deviation: a relative error of eps
 * |mean| / std in the std, 5e-5 for a column 3 +- 1e-12). The deviations
 * are from the computed mean, whose rounding the corrected two-pass sum
 * (Chan, Golub and LeVeque, 1983) takes out: sum d^2 - (sum d)^2 / n. A
 * column with no spread (or one too small to square) gets std 1. false
 * when the column holds a NaN or Inf, or its spread exceeds the largest
 * real. The sums are in double in both precisions. */
static bool column_moments(size_t n, size_t width, const real *A, size_t j,
                           real *mean, real *std)
{
    double big = 0.0;
    bool finite = true;
    for (size_t r = 0; r < n; r++) {
        double a = fabs(A[r * width + j]);
        finite &= isfinite(a);
        big = a > big ? a : big;
    }
    if (!finite)
        return false;
    int e = 0;
    frexp(big, &e); /* big = f 2^e, f in [1/2, 1); e = 0 for big = 0 */
    double sum = 0.0, dsum = 0.0, sq = 0.0;
    for (size_t r = 0; r < n; r++)
        sum += ldexp(A[r * width + j], -e);
    double m = sum / (double)n;
    for (size_t r = 0; r < n; r++) {
        double d = ldexp(A[r * width + j], -e) - m;
        dsum += d;
        sq += d * d;
    }
    sq -= dsum * dsum / (double)n;
    *mean = (real)ldexp(m, e);
    *std = (real)ldexp(sqrt(sq > 0.0 ? sq / (double)n : 0.0), e);
    if (!(*std > 0.0))
        *std = 1.0;
    return isfinite(*std);
}

static bool fit_columns(size_t n, size_t width, const real *A, real *mean,
                        real *std)
{
    for (size_t j = 0; j < width; j++)
        if (!column_moments(n, width, A, j, &mean[j], &std[j]))
            return false;
    return true;
}

mlp_status mlp_fit_scaling(mlp_t *net, size_t n, const real *X,
                           const real *T)
{
    if (!net || !X || n == 0)
        return MLP_ERR_ARG;
    size_t n0 = net->sizes[0], nL = net->sizes[net->n_layers], bytes;
    if (!mlp__mul_ok(n, n0, &bytes) || !mlp__mul_ok(n, nL, &bytes))
        return MLP_ERR_ARG;
    /* Output scaling only makes sense for unbounded outputs: a sigmoid,
     * softmax, tanh or ReLU output has a range of its own. */
    bool outputs = T && net->acts[net->n_layers - 1] == MLP_IDENTITY;
    real *m = mlp__malloc(2 * (n0 + nL) * sizeof *m);
    if (!m)
        return MLP_ERR_NOMEM;
    real *in_std = m + n0, *out_mean = in_std + n0, *out_std = out_mean + nL;
    mlp_status status = MLP_OK;
    if (!fit_columns(n, n0, X, m, in_std) ||
        (outputs && !fit_columns(n, nL, T, out_mean, out_std)))
        status = MLP_ERR_NONFINITE;
    else
        store(net, m, in_std, outputs ? out_mean : NULL,
              outputs ? out_std : NULL);
    mlp__free(m);
    return status;
}

void mlp__scale_rows(size_t batch, size_t n, const real *mean,
                     const real *std, const real *src, real *dst)
{
    for (size_t r = 0; r < batch; r++)
        for (size_t j = 0; j < n; j++)
            dst[r * n + j] = (src[r * n + j] - mean[j]) / std[j];
}

void mlp__unscale_rows(size_t batch, size_t n, const real *mean,
                       const real *std, const real *src, real *dst)
{
    for (size_t r = 0; r < batch; r++)
        for (size_t j = 0; j < n; j++)
            dst[r * n + j] = src[r * n + j] * std[j] + mean[j];
}

void mlp__scale_batch(const struct mlp *net, struct mlp_workspace *ws,
                      size_t batch, const real **X, const real **T)
{
    size_t n0 = net->sizes[0], nL = net->sizes[net->n_layers];
    if (net->in_scaled) {
        mlp__scale_rows(batch, n0, mlp__in_mean(net), mlp__in_std(net), *X,
                        ws->xs);
        *X = ws->xs;
    }
    if (T && net->out_scaled) {
        mlp__scale_rows(batch, nL, mlp__out_mean(net), mlp__out_std(net), *T,
                        ws->ts);
        *T = ws->ts;
    }
}

mlp_status mlp__cost(struct mlp *net, size_t batch, const real *X,
                     const real *T, real *cost)
{
    if (!net || !X || !T || !cost)
        return MLP_ERR_ARG;
    struct mlp_workspace *ws = &net->ws;
    mlp_status status = mlp__check_batch(net, ws, batch, &X, &T);
    if (status == MLP_OK)
        status = mlp__forward(net, ws, batch, X, true);
    if (status != MLP_OK)
        return status;
    size_t L = net->n_layers;
    double c = mlp__loss_cost(net->loss, net->acts[L - 1], batch,
                              net->sizes[L], ws->act[L], ws->delta[L], T);
    if (!isfinite((real)c))
        return MLP_ERR_NONFINITE;
    *cost = (real)c;
    return MLP_OK;
}
