/* backward.c - backpropagation: mlp_backprop and mlp_train_batch.
 *
 * Both run in two phases. Phase 1 runs the forward pass and every delta
 * dZ^(L) .. dZ^(1) from the current weights, checking each is finite.
 * Phase 2 turns the deltas into dW and db with one GEMM and one GEMV per
 * layer, written straight into the gradients, or for SGD into the
 * parameters (or momentum). Only phase 2 writes anything the caller can
 * see, and it starts only once phase 1 has found everything finite, so a
 * failure leaves parameters and gradients as they were. */
#include "mlp_internal.h"
#include "activations.h"
#include "blas.h"
#include "losses.h"

#include <math.h>
#include <string.h>

static mlp_status compute_deltas(struct mlp *net, size_t batch,
                                 const double *X, const double *T,
                                 double *cost)
{
    mlp_status status = mlp__forward(net, batch, X);
    if (status != MLP_OK)
        return status;

    size_t L = net->n_layers;
    /* Seed §2 and §3 (corrected in losses.c): dZ^(L) from the cost. */
    *cost = mlp__output_delta(net->loss, net->acts[L - 1], batch,
                              net->sizes[L], net->act[L], T, net->delta[L]);
    if (!isfinite(*cost) ||
        !mlp__all_finite(net->delta[L], batch * net->sizes[L]))
        return MLP_ERR_NONFINITE;

    for (size_t l = L; l >= 2; l--) {
        size_t n_out = net->sizes[l], n_in = net->sizes[l - 1];
        const double *W = mlp__W(net, l);
        /* Seed §6: dA^(l-1) = dZ^(l) W^(l)   (B x n_(l-1)); for one
         * sample, da = W^T dz. */
        if (batch == 1)
            mlp__gemv_atx(n_out, n_in, 1.0, W, net->delta[l], 0.0,
                          net->delta[l - 1]);
        else
            mlp__gemm_ab(batch, n_in, n_out, 1.0, net->delta[l], W, 0.0,
                         net->delta[l - 1]);
        /* Seed §7: dZ^(l-1) = dA^(l-1) ⊙ act'(A^(l-1)), elementwise. */
        if (!mlp__activation_backward(net->acts[l - 2], batch * n_in,
                                      net->act[l - 1], net->delta[l - 1]))
            return MLP_ERR_NONFINITE;
    }
    return MLP_OK;
}

/* For every layer, into the block `target` laid out as mlp_params:
 *   W-part <- alpha * dZ^T A_prev + beta * W-part
 *   b-part <- alpha * dZ^T 1      + beta * b-part
 * with (alpha, beta) = (1, 0) for the gradients, (-lr, 1) for a plain SGD
 * update of the parameters, (1, mu) for the momentum buffer. */
static void apply_deltas(struct mlp *net, size_t batch, const double *X,
                         double *target, double alpha, double beta)
{
    for (size_t l = 1; l <= net->n_layers; l++) {
        size_t n_out = net->sizes[l], n_in = net->sizes[l - 1];
        const double *A_prev = l == 1 ? X : net->act[l - 1];
        const double *dZ = net->delta[l];
        double *dW = target + net->offsets[l - 1];
        double *db = dW + n_out * n_in;
        if (batch == 1) {
            /* Seed §4/§8 for one sample: dW = dz ⊗ a, a rank-1 update. */
            if (beta == 0.0)
                memset(dW, 0, n_out * n_in * sizeof *dW);
            else if (beta != 1.0)
                for (size_t i = 0; i < n_out * n_in; i++)
                    dW[i] *= beta;
            mlp__ger(n_out, n_in, alpha, dZ, A_prev, dW);
            /* Seed §5/§9 for one sample: db = dz. */
            for (size_t i = 0; i < n_out; i++)
                db[i] = alpha * dZ[i] + (beta == 0.0 ? 0.0 : beta * db[i]);
        } else {
            /* Seed §4/§8: dW^(l) = dZ^(l)^T A^(l-1)   (n_l x n_(l-1)). */
            mlp__gemm_atb(n_out, n_in, batch, alpha, dZ, A_prev, beta, dW);
            /* Seed §5/§9, summed over the batch: db^(l) = dZ^(l)^T 1. */
            mlp__gemv_atx(batch, n_out, alpha, dZ, net->ones, beta, db);
        }
    }
}

static double max_abs(const double *x, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs(x[i]) > m)
            m = fabs(x[i]);
    return m;
}

/* A bound on every |entry| of layer l's gradient: dW = dZ^T A_prev and
 * db = dZ^T 1 are sums of `batch` products of finite values. Used to
 * prove, before phase 2 writes anything, that nothing it writes can
 * overflow: finite deltas and activations can still give an infinite
 * product (issue 5's fuzzer found this with inputs near 1e300). */
static double grad_bound(const struct mlp *net, size_t batch, const double *X,
                         size_t l)
{
    const double *A_prev = l == 1 ? X : net->act[l - 1];
    double a = fmax(max_abs(A_prev, batch * net->sizes[l - 1]), 1.0);
    return (double)batch * max_abs(net->delta[l], batch * net->sizes[l]) * a;
}

static bool gradients_safe(const struct mlp *net, size_t batch, const double *X)
{
    for (size_t l = 1; l <= net->n_layers; l++)
        if (!(grad_bound(net, batch, X, l) <= MLP__SAFE_MAX))
            return false;
    return true;
}

/* true when the fused SGD update of every layer stays within
 * MLP__SAFE_MAX: v' = mu v + g (when v is not NULL) and θ' = θ - lr v'
 * (or θ - lr g). Bounds, not values: cheap next to the GEMMs. */
static bool fused_update_safe(const struct mlp *net, size_t batch,
                              const double *X, const double *v, double mu,
                              double lr)
{
    for (size_t l = 1; l <= net->n_layers; l++) {
        size_t n = net->sizes[l] * net->sizes[l - 1] + net->sizes[l];
        size_t at = net->offsets[l - 1];
        double step = grad_bound(net, batch, X, l);
        if (v)
            step += mu * max_abs(v + at, n);
        double theta = max_abs(net->params + at, n);
        if (!(step <= MLP__SAFE_MAX && theta + lr * step <= MLP__SAFE_MAX))
            return false;
    }
    return true;
}

mlp_status mlp_backprop(mlp_t *net, size_t batch, const double *X,
                        const double *T, double *cost)
{
    if (!net || !X || !T)
        return MLP_ERR_ARG;
    mlp_status status = mlp__check_batch(net, batch, X, T);
    double c = 0.0;
    if (status == MLP_OK)
        status = compute_deltas(net, batch, X, T, &c);
    if (status == MLP_OK && !gradients_safe(net, batch, X))
        status = MLP_ERR_NONFINITE;
    if (status != MLP_OK)
        return status;
    apply_deltas(net, batch, X, net->grads, 1.0, 0.0);
    if (cost)
        *cost = c;
    return MLP_OK;
}

mlp_status mlp_train_batch(mlp_t *net, size_t batch, const double *X,
                           const double *T, double *cost)
{
    if (!net || !X || !T)
        return MLP_ERR_ARG;
    mlp_status status = mlp__check_batch(net, batch, X, T);
    double c = 0.0;
    if (status == MLP_OK)
        status = compute_deltas(net, batch, X, T, &c);
    if (status != MLP_OK)
        return status;

    struct mlp_optimizer *opt = &net->opt;
    double lr = opt->learning_rate, mu = opt->momentum;
    if (opt->kind == MLP_OPT_SGD && mu == 0.0 &&
        fused_update_safe(net, batch, X, NULL, 0.0, lr)) {
        /* θ <- θ - lr g, with g never stored: the update rides in the
         * gradient GEMMs (alpha = -lr, beta = 1). Phase 1 used the old W. */
        apply_deltas(net, batch, X, net->params, -lr, 1.0);
    } else if (opt->kind == MLP_OPT_SGD && mu != 0.0 &&
               fused_update_safe(net, batch, X, opt->m, mu, lr)) {
        /* v <- mu v + g in the GEMMs (beta = mu), then θ <- θ - lr v. */
        apply_deltas(net, batch, X, opt->m, 1.0, mu);
        mlp__axpy(net->n_params, -lr, opt->m, net->params);
    } else {
        /* Other optimizers, and updates too large to prove safe before
         * writing: gradients first, then mlp_step, which checks every
         * updated value before it changes anything. */
        if (!gradients_safe(net, batch, X))
            return MLP_ERR_NONFINITE;
        apply_deltas(net, batch, X, net->grads, 1.0, 0.0);
        status = mlp_step(net);
        if (status != MLP_OK)
            return status;
    }
    if (cost)
        *cost = c;
    return MLP_OK;
}
