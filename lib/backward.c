/* backward.c - backpropagation: mlp_backprop and mlp_train_batch.
 *
 * Both run in two phases. Phase 1 runs the forward pass and every delta
 * dZ^(L) .. dZ^(1) from the current weights, checking each is finite and
 * recording its largest magnitude. Phase 2 turns the deltas into dW and db
 * with one GEMM and one GEMV per layer, written into the gradients, or for
 * plain SGD straight into the parameters. Phase 2 starts only once phase 1
 * has found everything finite, and writes the parameters only when the
 * magnitudes recorded prove that no update can overflow, so a failure
 * leaves the parameters as they were. */
#include "mlp_internal.h"
#include "activations.h"
#include "blas.h"
#include "fpmode.h"
#include "losses.h"

#include <math.h>
#include <string.h>

mlp_status mlp__backward_deltas(const struct mlp *net, struct mlp_workspace *ws,
                                size_t batch)
{
    for (size_t l = net->n_layers; l >= 2; l--) {
        size_t n_out = net->sizes[l], n_in = net->sizes[l - 1];
        const real *W = mlp__W(net, l);
        /* Seed §6: dA^(l-1) = dZ^(l) W^(l)   (B x n_(l-1)); for one
         * sample, da = W^T dz. */
        if (batch == 1)
            mlp__gemv_atx(n_out, n_in, 1.0, W, ws->delta[l], 0.0,
                          ws->delta[l - 1]);
        else
            mlp__gemm_ab(batch, n_in, n_out, 1.0, ws->delta[l], W, 0.0,
                         ws->delta[l - 1]);
        /* Seed §7: dZ^(l-1) = dA^(l-1) ⊙ act'(A^(l-1)), elementwise. */
        ws->dz_bound[l - 1] = mlp__activation_backward(
            net->acts[l - 2], batch * n_in, ws->act[l - 1], ws->delta[l - 1]);
        if (isinf(ws->dz_bound[l - 1]))
            return MLP_ERR_NONFINITE;
    }
    return MLP_OK;
}

static mlp_status compute_deltas(struct mlp *net, size_t batch,
                                 const real *X, const real *T,
                                 real *cost)
{
    struct mlp_workspace *ws = &net->ws;
    mlp_status status = mlp__forward(net, ws, batch, X, true);
    if (status != MLP_OK)
        return status;

    size_t L = net->n_layers;
    /* Seed §2 and §3 (corrected in losses.c): dZ^(L) from the cost. */
    *cost = mlp__output_delta(net->loss, net->acts[L - 1], batch,
                              net->sizes[L], ws->act[L], T, ws->delta[L],
                              &ws->dz_bound[L]);
    if (!isfinite(*cost) || isinf(ws->dz_bound[L]))
        return MLP_ERR_NONFINITE;
    return mlp__backward_deltas(net, ws, batch);
}

/* For every layer, into the block `target` laid out as mlp_params:
 *   W-part <- alpha * dZ^T A_prev + beta_w * W-part
 *   b-part <- alpha * dZ^T 1      + beta_b * b-part
 * with (alpha, beta_w, beta_b) = (1, 0, 0) for the gradients and
 * (-lr, 1 - lr*lambda, 1) for a plain SGD update of the parameters with
 * weight decay lambda (θ - lr (g + lambda θ) on the weights). */
static void apply_deltas(struct mlp *net, size_t batch, const real *X,
                         real *target, real alpha, real beta_w, real beta_b)
{
    const struct mlp_workspace *ws = &net->ws;
    for (size_t l = 1; l <= net->n_layers; l++) {
        size_t n_out = net->sizes[l], n_in = net->sizes[l - 1];
        const real *A_prev = l == 1 ? X : ws->act[l - 1];
        const real *dZ = ws->delta[l];
        real *dW = target + net->offsets[l - 1];
        real *db = dW + n_out * n_in;
        if (batch == 1) {
            /* Seed §4/§8 for one sample: dW = dz ⊗ a, a rank-1 update. */
            if (beta_w == 0.0)
                memset(dW, 0, n_out * n_in * sizeof *dW);
            else if (beta_w != 1.0)
                for (size_t i = 0; i < n_out * n_in; i++)
                    dW[i] *= beta_w;
            mlp__ger(n_out, n_in, alpha, dZ, A_prev, dW);
            /* Seed §5/§9 for one sample: db = dz. */
            for (size_t i = 0; i < n_out; i++)
                db[i] = alpha * dZ[i] + (beta_b == 0.0 ? 0.0 : beta_b * db[i]);
        } else {
            /* Seed §4/§8: dW^(l) = dZ^(l)^T A^(l-1)   (n_l x n_(l-1)). */
            mlp__gemm_atb(n_out, n_in, batch, alpha, dZ, A_prev, beta_w, dW);
            /* Seed §5/§9, summed over the batch: db^(l) = dZ^(l)^T 1. */
            mlp__gemv_atx(batch, n_out, alpha, dZ, ws->ones, beta_b, db);
        }
    }
}

/* Every entry of dW^(l) or db^(l) is a sum of B products dz * a with
 * |dz| <= dz_bound[l] and |a| <= max(a_bound[l-1], 1) (mlp_internal.h),
 * so its exact value is at most B max|dZ^(l)| max(max|A^(l-1)|, 1) in
 * magnitude. Returns the largest such bound over the layers (INFINITY if
 * one is not a number). Each use below adds its own margin for the
 * GEMM's rounding. */
static double gradient_sum_bound(const struct mlp *net, size_t batch)
{
    const struct mlp_workspace *ws = &net->ws;
    double bound = 0.0;
    for (size_t l = 1; l <= net->n_layers; l++) {
        double a = ws->a_bound[l - 1] > 1.0 ? ws->a_bound[l - 1] : 1.0;
        double b = (double)batch * ws->dz_bound[l] * a;
        if (!(b <= bound))
            bound = isnan(b) ? INFINITY : b;
    }
    return bound;
}

/* Below REAL_HALF_MAX (2^1022, 2^126 in float: half the largest value,
 * which absorbs the GEMM's rounding) no gradient can overflow. Checked
 * before phase 2, so that a refused backprop leaves the old gradients in
 * place, as its contract says; finite deltas and activations near 1e300
 * do multiply to Inf (found by fuzz_train). */
static bool gradients_are_bounded(double sum_bound)
{
    return sum_bound <= REAL_HALF_MAX;
}

/* The plain SGD update may go straight into the parameters only if it is
 * sure to stay finite: |lr g| <= lr sum_bound. Below 2^996 (~1e300; 2^100
 * ~ 1e30 in float) that cannot overflow a parameter unless the parameter
 * is already within that of the largest value (DBL_MAX 1.8e308, FLT_MAX
 * 3.4e38); otherwise the step takes the checked path through mlp_step. */
static bool sgd_update_is_bounded(const struct mlp *net, double sum_bound)
{
    /* The GEMM's alpha is -lr in the element type: a learning rate valid
     * in double may be Inf in float, and Inf * 0 is NaN. */
    double lr = (real)net->opt.learning_rate;
    return isfinite(lr) && lr * sum_bound <= ldexp(REAL_HALF_MAX, -26);
}

/* Whether plain SGD's weight decay can ride in the update GEMM as the
 * factor beta_w = 1 - lr*lambda on W (1 without decay). That factor is
 * rounded once to the element type and the same rounding is applied at
 * every step, so unlike mlp_step's per-parameter rounding of g + lambda*θ
 * (torch.optim's) its error does not average out: it changes the decay
 * rate itself. The fold is taken only where the rounded factor decays at
 * the rate asked to within 2^-20 relative: in double that holds for every
 * lr*lambda >= 2^-34; in float (steps of 2^-24 below 1, where 1 - 1e-7
 * becomes 1 - 1.19e-7, a decay 19% too strong) it is sure only from
 * lr*lambda >= 1/32, so float runs mostly take the mlp_step path.
 * lr*lambda <= 1 keeps the factor in [0, 1], so it cannot grow W. */
static bool decay_folds(const struct mlp *net, double *beta_w)
{
    double rate = net->opt.learning_rate * net->weight_decay;
    *beta_w = (real)(1.0 - rate);
    if (rate == 0.0)
        return true;
    /* 1 - beta_w is exact for beta_w in [1/2, 1] (Sterbenz). */
    return rate <= 1.0 && fabs((1.0 - *beta_w) - rate) <= ldexp(rate, -20);
}

/* A bound on every gradient as the GEMMs compute it, for mlp_step's
 * proof. Whatever the order of the BLAS's sums, with or without FMA, a
 * computed sum is at most (1 + gamma_B) times the sum of the magnitudes,
 * gamma_B = B u / (1 - B u) with u the unit roundoff (Higham, Accuracy
 * and Stability of Numerical Algorithms, 2nd ed., sections 3.1 and 4.2);
 * for B u <= 1/2 that is at most twice sum_bound. Larger batches get
 * INFINITY: not known. */
static double computed_gradient_bound(double sum_bound, size_t batch)
{
    if ((double)batch > ldexp(1.0, REAL_MANT_DIG - 1)) /* B u > 1/2 */
        return INFINITY;
    return 2.0 * sum_bound;
}

/* Phase 1 with its argument checks, shared by backprop and train_batch.
 * *X becomes the batch as the network sees it (scaled, when the network
 * has input scaling), which phase 2 uses as A^(0). */
static mlp_status checked_deltas(struct mlp *net, size_t batch,
                                 const real **X, const real *T,
                                 real *cost)
{
    if (!net || !*X || !T)
        return MLP_ERR_ARG;
    mlp_status status = mlp__check_batch(net, &net->ws, batch, X, &T);
    if (status != MLP_OK)
        return status;
    return compute_deltas(net, batch, *X, T, cost);
}

mlp_status mlp_backprop(mlp_t *net, size_t batch, const real *X,
                        const real *T, real *cost)
{
    real c = 0.0;
    mlp_status status = checked_deltas(net, batch, &X, T, &c);
    if (status != MLP_OK)
        return status;
    if (!gradients_are_bounded(gradient_sum_bound(net, batch)))
        return MLP_ERR_NONFINITE;
    apply_deltas(net, batch, X, net->grads, 1.0, 0.0, 0.0);
    if (cost)
        *cost = c;
    return MLP_OK;
}

static mlp_status train_batch(mlp_t *net, size_t batch, const real *X,
                              const real *T, real *cost)
{
    real c = 0.0;
    mlp_status status = checked_deltas(net, batch, &X, T, &c);
    if (status != MLP_OK)
        return status;

    const struct mlp_optimizer *opt = &net->opt;
    double sum_bound = gradient_sum_bound(net, batch);
    /* The GEMM forms dZ^T A before it scales by -lr, so the gradient
     * itself must be bounded too, however small lr is (fuzz_train found a
     * subnormal lr that let an infinite dZ^T A through). */
    double beta_w;
    if (opt->kind == MLP_OPT_SGD && opt->momentum == 0.0 &&
        decay_folds(net, &beta_w) && sgd_update_is_bounded(net, sum_bound) &&
        gradients_are_bounded(sum_bound)) {
        /* θ <- θ - lr (g + lambda θ_W) with g never stored: the update
         * rides in the gradient GEMMs (alpha = -lr, beta = 1 - lr lambda on
         * the weights, 1 on the biases). Phase 1 used the old W. */
        apply_deltas(net, batch, X, net->params, (real)-opt->learning_rate,
                     (real)beta_w, 1);
    } else {
        /* Momentum, Adam, a decay factor whose rounding would change the
         * decay rate, or an update too large to prove finite: the
         * gradients, then mlp_step, which checks every new value before
         * it writes any. */
        apply_deltas(net, batch, X, net->grads, 1.0, 0.0, 0.0);
        status = mlp__step_with_grad_bound(
            net, computed_gradient_bound(sum_bound, batch));
        if (status != MLP_OK)
            return status;
    }
    if (cost)
        *cost = c;
    return MLP_OK;
}

mlp_status mlp_train_batch(mlp_t *net, size_t batch, const real *X,
                           const real *T, real *cost)
{
    if (!net)
        return MLP_ERR_ARG;
    unsigned mode = mlp__fpmode_begin(net); /* subnormals: fpmode.h */
    mlp_status status = train_batch(net, batch, X, T, cost);
    mlp__fpmode_end(mode);
    return status;
}
