/* optimizers.c - SGD with momentum, Adam, L2 weight decay; the update
 * applied by mlp_step. */
#include "mlp_internal.h"
#include "alloc.h"
#include "blas.h"
#include "fpmode.h"
#include "simd.h"

#include <math.h>
#include <string.h>

/* Replaces the optimizer; its state buffers (if any) are allocated first,
 * so a failed allocation leaves the old optimizer in place. */
static mlp_status install(struct mlp *net, struct mlp_optimizer next,
                          bool need_m, bool need_v)
{
    double *m = NULL, *v = NULL;
    if (need_m && !(m = mlp__calloc(net->n_params, sizeof *m)))
        return MLP_ERR_NOMEM;
    if (need_v && !(v = mlp__calloc(net->n_params, sizeof *v))) {
        mlp__free(m);
        return MLP_ERR_NOMEM;
    }
    mlp__free(net->opt.m);
    mlp__free(net->opt.v);
    next.m = m;
    next.v = v;
    next.t = 0;
    net->opt = next;
    return MLP_OK;
}

mlp_status mlp_set_sgd(mlp_t *net, double learning_rate, double momentum)
{
    if (!net || !isfinite(learning_rate) || learning_rate <= 0.0 ||
        !(momentum >= 0.0 && momentum < 1.0))
        return MLP_ERR_ARG;
    struct mlp_optimizer next = { .kind = MLP_OPT_SGD,
                                  .learning_rate = learning_rate,
                                  .momentum = momentum };
    return install(net, next, momentum != 0.0, false);
}

mlp_status mlp_set_adam(mlp_t *net, double learning_rate, double beta1,
                        double beta2, double epsilon)
{
    if (!net || !isfinite(learning_rate) || learning_rate <= 0.0 ||
        !(beta1 >= 0.0 && beta1 < 1.0) || !(beta2 >= 0.0 && beta2 < 1.0) ||
        !isfinite(epsilon) || epsilon <= 0.0)
        return MLP_ERR_ARG;
    struct mlp_optimizer next = { .kind = MLP_OPT_ADAM,
                                  .learning_rate = learning_rate,
                                  .beta1 = beta1, .beta2 = beta2,
                                  .epsilon = epsilon };
    return install(net, next, true, true);
}

mlp_status mlp_set_weight_decay(mlp_t *net, double lambda)
{
    if (!net || !isfinite(lambda) || lambda < 0.0)
        return MLP_ERR_ARG;
    net->weight_decay = lambda;
    return MLP_OK;
}

void mlp__reset_optimizer(struct mlp *net)
{
    size_t bytes = net->n_params * sizeof(double);
    if (net->opt.m)
        memset(net->opt.m, 0, bytes);
    if (net->opt.v)
        memset(net->opt.v, 0, bytes);
    net->opt.t = 0;
}

/* The optimizer's constants for one step. */
struct step {
    enum mlp_optimizer_kind kind;
    double lr, mu, b1, b2, eps;
    double step_size, inv_bc2_sqrt;   /* Adam, for this step's t */
};

/* The update of n parameters theta from their gradients g, with L2 decay
 * lambda folded into the gradient (g + lambda*theta), as torch.optim does
 * with weight_decay; m and v are the matching slices of the state.
 *   SGD:  v <- mu v + g (v = g without momentum);  θ <- θ - lr v
 *   Adam: m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;
 *         θ <- θ - (lr / (1-b1^t)) m / (sqrt(v) / sqrt(1-b2^t) + eps)
 *         (torch.optim.Adam's arrangement; the division by sqrt(1-b2^t)
 *         is a multiplication here).
 * Each kernel is one pass that reads every stream once and writes every
 * new value once, with nothing between them but arithmetic, so that it
 * vectorises; every stored value goes through mlp__flush_subnormal. The
 * operations and their order are the same in check_update below, which
 * only reports whether every new value is finite. */
MLP_CLONES
static void adam_pass(const struct step *c, double lambda, size_t n,
                      const double *restrict g, double *restrict theta,
                      double *restrict m, double *restrict v)
{
    const double b1 = c->b1, a1 = 1.0 - c->b1, b2 = c->b2, a2 = 1.0 - c->b2;
    const double step_size = c->step_size, inv = c->inv_bc2_sqrt;
    const double eps = c->eps;
    for (size_t i = 0; i < n; i++) {
        double d = g[i] + lambda * theta[i];
        double mi = b1 * m[i] + a1 * d;
        double vi = b2 * v[i] + a2 * d * d;
        double ti = theta[i] - step_size * mi / (sqrt(vi) * inv + eps);
        m[i] = mlp__flush_subnormal(mi);
        v[i] = mlp__flush_subnormal(vi);
        theta[i] = mlp__flush_subnormal(ti);
    }
}

MLP_CLONES
static void momentum_pass(const struct step *c, double lambda, size_t n,
                          const double *restrict g, double *restrict theta,
                          double *restrict m)
{
    const double lr = c->lr, mu = c->mu;
    for (size_t i = 0; i < n; i++) {
        double mi = mu * m[i] + (g[i] + lambda * theta[i]);
        m[i] = mlp__flush_subnormal(mi);
        theta[i] = mlp__flush_subnormal(theta[i] - lr * mi);
    }
}

MLP_CLONES
static void sgd_pass(const struct step *c, double lambda, size_t n,
                     const double *restrict g, double *restrict theta)
{
    const double lr = c->lr;
    for (size_t i = 0; i < n; i++)
        theta[i] = mlp__flush_subnormal(theta[i] - lr * (g[i] + lambda * theta[i]));
}

/* The exact check for when the bounds below prove nothing: the same
 * arithmetic as the passes above, nothing stored; 0 when every new value
 * is finite (x - x is 0 for finite x, NaN otherwise). */
static double check_update(const struct step *c, double lambda, size_t n,
                           const double *g, const double *theta,
                           const double *m, const double *v)
{
    double nonfinite = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = g[i] + lambda * theta[i], mi = d, vi = 0.0, ti;
        if (c->kind == MLP_OPT_ADAM) {
            mi = c->b1 * m[i] + (1.0 - c->b1) * d;
            vi = c->b2 * v[i] + (1.0 - c->b2) * d * d;
            ti = theta[i] - c->step_size * mi /
                            (sqrt(vi) * c->inv_bc2_sqrt + c->eps);
        } else {
            if (m)
                mi = c->mu * m[i] + d;
            ti = theta[i] - c->lr * mi;
        }
        nonfinite += (mi - mi) + (vi - vi) + (ti - ti);
    }
    return nonfinite;
}

/* One pass over every layer, weights then biases: the weights decay, the
 * biases do not. With check set nothing is written and the return value
 * is check_update's verdict; otherwise the update is made. */
static double update_all(struct mlp *net, const struct step *c, bool check)
{
    const struct mlp_optimizer *opt = &net->opt;
    double nonfinite = 0.0;
    for (size_t l = 1; l <= net->n_layers; l++) {
        size_t off = net->offsets[l - 1];
        size_t n_w = net->sizes[l] * net->sizes[l - 1], n_b = net->sizes[l];
        size_t start[2] = { off, off + n_w }, count[2] = { n_w, n_b };
        double lambda[2] = { net->weight_decay, 0.0 };
        for (int part = 0; part < 2; part++) {
            size_t s = start[part], n = count[part];
            const double *g = net->grads + s;
            double *theta = net->params + s;
            double *m = opt->m ? opt->m + s : NULL;
            double *v = opt->v ? opt->v + s : NULL;
            if (check)
                nonfinite += check_update(c, lambda[part], n, g, theta, m, v);
            else if (c->kind == MLP_OPT_ADAM)
                adam_pass(c, lambda[part], n, g, theta, m, v);
            else if (m)
                momentum_pass(c, lambda[part], n, g, theta, m);
            else
                sgd_pass(c, lambda[part], n, g, theta);
        }
    }
    return nonfinite;
}

/* Whether some |g_i| > lim[0], |θ_i| > lim[1], |m_i| > lim[2] or
 * |v_i| > lim[3] (or one is NaN or infinite), in one read-only pass:
 * magnitude bits against the limits' bits, OR-ed, which vectorises with
 * no chain of maxima. m and v may be the same array as g when there is
 * no such state (its limit is then g's). */
MLP_CLONES
static bool any_above(size_t n, const double *g, const double *theta,
                      const double *m, const double *v, const double *lim)
{
    int64_t lg = mlp__magnitude_bits(lim[0]), lt = mlp__magnitude_bits(lim[1]);
    int64_t lm = mlp__magnitude_bits(lim[2]), lv = mlp__magnitude_bits(lim[3]);
    int64_t above = 0; /* 64-bit like the compares: no narrowing shuffles */
    for (size_t i = 0; i < n; i++)
        above |= -(int64_t)(mlp__magnitude_bits(g[i]) > lg) |
                 -(int64_t)(mlp__magnitude_bits(theta[i]) > lt) |
                 -(int64_t)(mlp__magnitude_bits(m[i]) > lm) |
                 -(int64_t)(mlp__magnitude_bits(v[i]) > lv);
    return above != 0;
}

/* A cheap proof that the step stays finite: every gradient, parameter and
 * state value checked against a limit (one read-only pass). With
 * |g| <= K/2 and lambda |θ| <= K/2, |d| = |g + lambda θ| <= K.
 *   Adam, K <= 1e150: the squares, and so m and v, stay finite; with
 *   |m| <= K too the new |m| is at most K; the denominator is at least
 *   eps, so |Δθ| <= step_size K / eps <= 1e300, and with |θ| <= 1e300,
 *   θ - Δθ is finite. step_size * m is bounded too: the pass forms that
 *   product before it divides (fuzz_train found lr 4.5e279, weight decay
 *   2.4e35, eps 2.4e35, where it overflows while the quotient would not).
 *   SGD: the new |v| is at most |v| + |d| <= 2K, and |Δθ| <= lr 2K.
 * False means "not proven": the exact check then decides. The margins
 * (1e300 against DBL_MAX = 1.8e308) absorb every rounding error here. */
static bool step_is_bounded(const struct mlp *net, const struct step *c)
{
    const struct mlp_optimizer *opt = &net->opt;
    size_t n = net->n_params;
    double k;
    if (c->kind == MLP_OPT_ADAM) {
        k = 1e300 / c->step_size;
        k = k < 1e300 * (c->eps / c->step_size) ? k : 1e300 * (c->eps / c->step_size);
        k = k < 1e150 ? k : 1e150;
    } else {
        k = 0.5e300 / c->lr;
        k = k < 1e299 ? k : 1e299;
    }
    double lambda = net->weight_decay;
    double p_limit = lambda > 0.0 && 0.5 * k / lambda < 1e300 ? 0.5 * k / lambda
                                                               : 1e300;
    if (!(k >= 1.0)) /* also NaN: prove nothing for absurd settings */
        return false;
    double lim[4] = { 0.5 * k, p_limit, opt->m ? k : 0.5 * k,
                      opt->v ? 1e300 : 0.5 * k };
    return !any_above(n, net->grads, net->params, opt->m ? opt->m : net->grads,
                      opt->v ? opt->v : net->grads, lim);
}

mlp_status mlp_step(mlp_t *net)
{
    if (!net)
        return MLP_ERR_ARG;
    const struct mlp_optimizer *opt = &net->opt;
    struct step c = { .kind = opt->kind, .lr = opt->learning_rate,
                      .mu = opt->momentum, .b1 = opt->beta1,
                      .b2 = opt->beta2, .eps = opt->epsilon };
    if (opt->kind == MLP_OPT_ADAM) {
        double t = (double)(opt->t + 1);
        c.step_size = opt->learning_rate / (1.0 - pow(opt->beta1, t));
        c.inv_bc2_sqrt = 1.0 / sqrt(1.0 - pow(opt->beta2, t));
    }
    /* First prove every new value finite, then write: a failed step
     * changes nothing (also not the step count). */
    if (!step_is_bounded(net, &c) && update_all(net, &c, true) != 0.0)
        return MLP_ERR_NONFINITE;
    unsigned mode = mlp__fpmode_begin(net); /* subnormals: fpmode.h */
    update_all(net, &c, false);
    mlp__fpmode_end(mode);
    net->opt.t++;
    return MLP_OK;
}
