/* optimizers.c - SGD with momentum, Adam, L2 weight decay; the update
 * applied by mlp_step. */
#include "mlp_internal.h"
#include "alloc.h"
#include "blas.h"

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
 * With write false nothing is stored; the return value is 0 when every
 * new value is finite (x - x is 0 for finite x, NaN otherwise), so a first
 * pass can prove a step safe before a second pass makes it. */
static double update(const struct step *c, double lambda, size_t n,
                     const double *restrict g, double *restrict theta,
                     double *restrict m, double *restrict v, bool write)
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
        if (write) {
            if (m)
                m[i] = mi;
            if (v)
                v[i] = vi;
            theta[i] = ti;
        } else {
            nonfinite += (mi - mi) + (vi - vi) + (ti - ti);
        }
    }
    return nonfinite;
}

/* One pass over every layer: the weights decay, the biases do not. */
static double update_all(struct mlp *net, const struct step *c, bool write)
{
    const struct mlp_optimizer *opt = &net->opt;
    double nonfinite = 0.0;
    for (size_t l = 1; l <= net->n_layers; l++) {
        size_t off = net->offsets[l - 1];
        size_t n_w = net->sizes[l] * net->sizes[l - 1], n_b = net->sizes[l];
        size_t start[2] = { off, off + n_w }, count[2] = { n_w, n_b };
        double lambda[2] = { net->weight_decay, 0.0 };
        for (int part = 0; part < 2; part++) {
            size_t s = start[part];
            nonfinite += update(c, lambda[part], count[part], net->grads + s,
                                net->params + s, opt->m ? opt->m + s : NULL,
                                opt->v ? opt->v + s : NULL, write);
        }
    }
    return nonfinite;
}

/* A cheap proof that an Adam step stays finite, without the square roots
 * and divisions of the exact check (they cost as much as the step). With
 * |g + lambda θ| <= 1e150 the squares and so m and v stay finite; the
 * denominator is at least eps, so |Δθ| <= step_size * max|m| / eps; and if
 * that and |θ| are at most 1e300, θ - Δθ is finite. False means "not
 * proven", and the exact check decides. */
static bool adam_step_is_bounded(const struct mlp *net, const struct step *c)
{
    const struct mlp_optimizer *opt = &net->opt;
    double nonfinite = 0.0, max_d = 0.0, max_m = 0.0, max_theta = 0.0;
    for (size_t l = 1; l <= net->n_layers; l++) {
        size_t off = net->offsets[l - 1];
        size_t n_w = net->sizes[l] * net->sizes[l - 1], n_b = net->sizes[l];
        for (size_t i = off; i < off + n_w + n_b; i++) {
            double lambda = i < off + n_w ? net->weight_decay : 0.0;
            double theta = net->params[i];
            double d = net->grads[i] + lambda * theta;
            double m = c->b1 * opt->m[i] + (1.0 - c->b1) * d;
            nonfinite += (d - d) + (m - m) + (theta - theta);
            max_d = fabs(d) > max_d ? fabs(d) : max_d;
            max_m = fabs(m) > max_m ? fabs(m) : max_m;
            max_theta = fabs(theta) > max_theta ? fabs(theta) : max_theta;
        }
    }
    /* step_size * m is also bounded: update() forms that product before
     * it divides, and fuzz_train found (lr 4.5e279, weight decay 2.4e35,
     * eps 2.4e35) that it can overflow while the quotient would not. */
    return nonfinite == 0.0 && max_d <= 1e150 && max_theta <= 1e300 &&
           c->step_size * (max_m / c->eps) <= 1e300 &&
           c->step_size * max_m <= 1e300;
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
    bool proven = opt->kind == MLP_OPT_ADAM && adam_step_is_bounded(net, &c);
    if (!proven && update_all(net, &c, false) != 0.0)
        return MLP_ERR_NONFINITE;
    update_all(net, &c, true);
    net->opt.t++;
    return MLP_OK;
}
