/*
 * naive.c - the naive reference: one sample at a time, one unit at a time,
 * no BLAS, no cleverness. Each loop names the seed § it implements; where the
 * seed is loose (§2, §5, §9) the comment says what is computed instead, as
 * docs/derivation.md explains. Nothing here includes lib/.
 */
#include "naive.h"

/* Built twice, like the library: as written in double, and with
 * -DMLP_SINGLE in float (naive.h); <tgmath.h> picks libm's function of
 * the element type. The cross-entropies are taken from the logits z, in
 * double (log-sum-exp; softplus), as mlp.h defines them: exact however
 * saturated the outputs. The cost is summed in double in both. */
typedef naive_real real;

#include <float.h>
#include <tgmath.h>
#include <stdlib.h>

#include <string.h>

size_t naive_n_params(size_t n_layers, const size_t *sizes)
{
    size_t n = 0;
    for (size_t l = 1; l <= n_layers; l++)
        n += sizes[l] * sizes[l - 1] + sizes[l];
    return n;
}

static mlp_activation act_of(const mlp_activation *acts, size_t l)
{
    return acts ? acts[l - 1] : MLP_SIGMOID;
}

/* σ(z), written so that exp never overflows. */
static real sigmoid(real z)
{
    if (z < 0) {
        real e = exp(z);
        return e / (1 + e);
    }
    return 1 / (1 + exp(-z));
}

/* a = act(z) for one layer of one sample (softmax needs the whole layer). */
static void activate(mlp_activation act, size_t n, const real *z, real *a)
{
    if (act == MLP_SOFTMAX) {
        real max = z[0], sum = 0;
        for (size_t i = 1; i < n; i++)
            if (z[i] > max)
                max = z[i];
        for (size_t i = 0; i < n; i++) {
            a[i] = exp(z[i] - max);
            sum += a[i];
        }
        for (size_t i = 0; i < n; i++)
            a[i] /= sum;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        switch (act) {
        case MLP_SIGMOID: a[i] = sigmoid(z[i]); break;
        case MLP_TANH: a[i] = tanh(z[i]); break;
        case MLP_RELU: a[i] = z[i] > 0 ? z[i] : 0; break;
        default: a[i] = z[i]; break; /* MLP_IDENTITY */
        }
    }
}

/* act'(z) written from the output a = act(z), as mlp.h documents
 * (§3/§7: σ' = A(1 - A)). Softmax never gets here. */
static real act_deriv(mlp_activation act, real a)
{
    switch (act) {
    case MLP_SIGMOID: return a * (1 - a);
    case MLP_TANH: return 1 - a * a;
    case MLP_RELU: return a > 0 ? 1 : 0;
    default: return 1; /* MLP_IDENTITY */
    }
}

/* Offsets of A^(l) in the per-sample activation buffer; returns the total. */
static size_t layer_offsets(size_t n_layers, const size_t *sizes, size_t *off)
{
    size_t total = 0;
    for (size_t l = 0; l <= n_layers; l++) {
        off[l] = total;
        total += sizes[l];
    }
    return total;
}

static size_t max_size(size_t n_layers, const size_t *sizes)
{
    size_t m = 0;
    for (size_t l = 0; l <= n_layers; l++)
        if (sizes[l] > m)
            m = sizes[l];
    return m;
}

/* Forward pass of one sample whose input is already in a[off[0]..]:
 * fills a[off[l]..] with A^(l) for l = 1..L. z is scratch of max_size. */
static void forward_sample(size_t n_layers, const size_t *sizes,
                           const mlp_activation *acts, const real *params,
                           const size_t *off, real *a, real *z)
{
    const real *p = params;
    for (size_t l = 1; l <= n_layers; l++) {
        size_t n = sizes[l], m = sizes[l - 1];
        const real *W = p, *b = p + n * m, *prev = a + off[l - 1];
        /* forward (missing from the seed): z_i = Σ_j W_ij a_j + b_i */
        for (size_t i = 0; i < n; i++) {
            real s = b[i];
            for (size_t j = 0; j < m; j++)
                s += W[i * m + j] * prev[j];
            z[i] = s;
        }
        /* a = act(z) */
        activate(act_of(acts, l), n, z, a + off[l]);
        p += n * m + n;
    }
}

int naive_forward(size_t n_layers, const size_t *sizes,
                  const mlp_activation *acts, const real *params,
                  size_t batch, const real *X, real *Y)
{
    size_t *off = malloc((n_layers + 1) * sizeof *off);
    size_t total = off ? layer_offsets(n_layers, sizes, off) : 0;
    real *a = off ? malloc(total * sizeof *a) : NULL;
    real *z = malloc(max_size(n_layers, sizes) * sizeof *z);
    if (!off || !a || !z) {
        free(off); free(a); free(z);
        return -1;
    }
    size_t n0 = sizes[0], nL = sizes[n_layers];
    for (size_t s = 0; s < batch; s++) {
        memcpy(a, X + s * n0, n0 * sizeof *a);
        forward_sample(n_layers, sizes, acts, params, off, a, z);
        memcpy(Y + s * nL, a + off[n_layers], nL * sizeof *Y);
    }
    free(off); free(a); free(z);
    return 0;
}

/* The per-sample scratch of naive_backprop: off/a as forward_sample's,
 * poff[l] where W^(l) starts in the flat layout (b^(l) follows it), z, dz
 * and dz_prev of max_size entries. */
struct scratch {
    size_t *off, *poff;
    real *a, *z, *dz, *dz_prev;
};

static void free_scratch(struct scratch *w)
{
    free(w->off); free(w->poff); free(w->a); free(w->z); free(w->dz);
    free(w->dz_prev);
}

static int alloc_scratch(struct scratch *w, size_t n_layers,
                         const size_t *sizes)
{
    size_t maxn = max_size(n_layers, sizes);
    w->off = malloc((n_layers + 1) * sizeof *w->off);
    w->poff = malloc((n_layers + 1) * sizeof *w->poff);
    size_t total = w->off ? layer_offsets(n_layers, sizes, w->off) : 0;
    w->a = w->off ? malloc(total * sizeof *w->a) : NULL;
    w->z = malloc(maxn * sizeof *w->z);
    w->dz = malloc(maxn * sizeof *w->dz);
    w->dz_prev = malloc(maxn * sizeof *w->dz_prev);
    if (!w->off || !w->poff || !w->a || !w->z || !w->dz || !w->dz_prev) {
        free_scratch(w);
        return -1;
    }
    w->poff[1] = 0;
    for (size_t l = 2; l <= n_layers; l++)
        w->poff[l] = w->poff[l - 1] + sizes[l - 1] * sizes[l - 2] + sizes[l - 1];
    return 0;
}

/* log(1 + e^x) in double, without overflow. */
static double softplus(double x)
{
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

/* Adds one sample's cost, as mlp.h documents, to *cost_sum (the mean over
 * the batch is taken by the caller); z holds the output layer's logits. */
static void add_sample_cost(mlp_loss loss, mlp_activation out_act, size_t nL,
                            const real *yhat, const real *z, const real *y,
                            double *cost_sum)
{
    if (loss == MLP_MSE) {
        double c = 0;
        for (size_t i = 0; i < nL; i++)
            c += (yhat[i] - y[i]) * (yhat[i] - y[i]);
        *cost_sum += c / (double)nL;
    } else if (out_act == MLP_SOFTMAX) {
        /* -Σ y_i log softmax(z)_i = Σ y_i (log Σ_j e^(z_j) - z_i), the
         * log-sum-exp shifted by the largest z */
        double top = z[0], s = 0;
        for (size_t i = 1; i < nL; i++)
            top = fmax(top, (double)z[i]);
        for (size_t i = 0; i < nL; i++)
            s += exp((double)z[i] - top);
        for (size_t i = 0; i < nL; i++)
            if (y[i] != 0)
                *cost_sum += y[i] * (top + log(s) - (double)z[i]);
    } else {
        /* binary cross-entropy, one Bernoulli per output:
         * -[y log σ(z) + (1 - y) log(1 - σ(z))]
         *   = y softplus(-z) + (1 - y) softplus(z), zero-weight terms
         * skipped */
        for (size_t i = 0; i < nL; i++) {
            if (y[i] != 0)
                *cost_sum += y[i] * softplus(-(double)z[i]);
            if (y[i] != 1)
                *cost_sum += (1 - (double)y[i]) * softplus(z[i]);
        }
    }
}

/* Output delta dz = dC/dZ^(L) for one sample of a batch of B. */
static void output_delta(mlp_loss loss, mlp_activation out_act, size_t nL,
                         real B, const real *yhat, const real *y, real *dz)
{
    for (size_t i = 0; i < nL; i++) {
        if (loss == MLP_MSE) {
            /* §2 corrected: dA_i = 2/(B n_L) (ŷ_i - y_i), one entry per
             * output, no sum over outputs; the 1/B is the batch mean. */
            real dA = 2 / (B * (real)nL) * (yhat[i] - y[i]);
            /* §3: dz_i = dA_i · act'(a_i), elementwise (Hadamard). */
            dz[i] = dA * act_deriv(out_act, yhat[i]);
        } else if (out_act == MLP_SOFTMAX) {
            /* softmax + cross-entropy: dz = (ŷ - y)/B (Σ y = 1). */
            dz[i] = (yhat[i] - y[i]) / B;
        } else {
            /* sigmoid + binary cross-entropy, the chain rule term by
             * term: dA_i = -(y/ŷ - (1 - y)/(1 - ŷ)) / B times §3's
             * σ' = ŷ(1 - ŷ), each quotient multiplied out so that
             * ŷ = 0 or 1 divides by nothing (lib/losses.c writes the
             * simplified (ŷ - y)/B instead). */
            dz[i] = -(y[i] * (1 - yhat[i]) - (1 - y[i]) * yhat[i]) / B;
        }
    }
}

/* One sample's share of one layer's gradients (n units, m inputs). */
static void add_layer_grads(size_t n, size_t m, const real *dz,
                            const real *prev, real *gW, real *gb)
{
    /* §4/§8: dW_ij += dz_i a_prev_j (outer product dz ⊗ a_prev),
     * summed over the samples of the batch. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++)
            gW[i * m + j] += dz[i] * prev[j];
    /* §5/§9 corrected: db_i += dz_i, one entry per unit, summed
     * over the batch (not over the outputs or the inputs). */
    for (size_t i = 0; i < n; i++)
        gb[i] += dz[i];
}

/* The delta of the layer below (m units, activation act, outputs prev)
 * from this layer's (n units, weights W). */
static void hidden_delta(size_t n, size_t m, const real *W, const real *dz,
                         mlp_activation act, const real *prev, real *dz_prev)
{
    /* §6: dA_prev_j = Σ_i W_ij dz_i  (Wᵀ dz);
     * §7: dz_prev_j = dA_prev_j · act'(a_prev_j), elementwise. */
    for (size_t j = 0; j < m; j++) {
        real dA = 0;
        for (size_t i = 0; i < n; i++)
            dA += W[i * m + j] * dz[i];
        dz_prev[j] = dA * act_deriv(act, prev[j]);
    }
}

/* Backward pass of one sample whose activations are in w->a and output
 * delta in w->dz: adds its gradients to grads, layer L down to 1. */
static void backward_sample(size_t n_layers, const size_t *sizes,
                            const mlp_activation *acts, const real *params,
                            struct scratch *w, real *grads)
{
    for (size_t l = n_layers; l >= 1; l--) {
        size_t n = sizes[l], m = sizes[l - 1];
        const real *W = params + w->poff[l], *prev = w->a + w->off[l - 1];
        real *gW = grads + w->poff[l], *gb = gW + n * m;
        add_layer_grads(n, m, w->dz, prev, gW, gb);
        if (l == 1)
            break;
        hidden_delta(n, m, W, w->dz, act_of(acts, l - 1), prev, w->dz_prev);
        real *t = w->dz;
        w->dz = w->dz_prev;
        w->dz_prev = t;
    }
}

int naive_backprop(size_t n_layers, const size_t *sizes,
                   const mlp_activation *acts, mlp_loss loss,
                   const real *params, size_t batch, const real *X,
                   const real *T, real *grads, real *cost)
{
    struct scratch w;
    if (alloc_scratch(&w, n_layers, sizes) != 0)
        return -1;
    size_t n_params = naive_n_params(n_layers, sizes);
    for (size_t k = 0; k < n_params; k++)
        grads[k] = 0;

    const real B = (real)batch;
    size_t n0 = sizes[0], nL = sizes[n_layers];
    mlp_activation out_act = act_of(acts, n_layers);
    double cost_sum = 0;

    for (size_t s = 0; s < batch; s++) {
        memcpy(w.a, X + s * n0, n0 * sizeof *w.a);
        forward_sample(n_layers, sizes, acts, params, w.off, w.a, w.z);
        const real *yhat = w.a + w.off[n_layers], *y = T + s * nL;
        add_sample_cost(loss, out_act, nL, yhat, w.z, y, &cost_sum);
        output_delta(loss, out_act, nL, B, yhat, y, w.dz);
        backward_sample(n_layers, sizes, acts, params, &w, grads);
    }
    if (cost)
        *cost = cost_sum / B;
    free_scratch(&w);
    return 0;
}
