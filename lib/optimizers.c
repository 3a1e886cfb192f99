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

/* The update of n parameters theta from their gradients g, with L2 decay
 * lambda folded into the gradient (g + lambda*theta), as torch.optim does
 * with weight_decay. m and v are the matching slices of the state. */
static void sgd_update(const struct mlp_optimizer *opt, double lambda,
                       size_t n, const double *restrict g,
                       double *restrict theta, double *restrict m)
{
    double lr = opt->learning_rate, mu = opt->momentum;
    for (size_t i = 0; i < n; i++) {
        double d = g[i] + lambda * theta[i];
        if (m)
            d = m[i] = mu * m[i] + d;                  /* v = mu v + g */
        theta[i] -= lr * d;                            /* θ -= lr v */
    }
}

/* Adam (Kingma & Ba, Algorithm 1) in torch.optim.Adam's arrangement:
 *   m <- b1 m + (1-b1) g,  v <- b2 v + (1-b2) g^2,
 *   θ <- θ - (lr / (1-b1^t)) * m / (sqrt(v) / sqrt(1-b2^t) + eps),
 * with the division by sqrt(1-b2^t) done as a multiplication.
 * (This loop is scalar at -O2: sqrt must keep errno semantics. It costs
 * about as much as the backward pass at 64-128-10, B = 32.) */
static void adam_update(const struct mlp_optimizer *opt, double lambda,
                        size_t n, const double *restrict g,
                        double *restrict theta, double *restrict m,
                        double *restrict v, double step_size,
                        double inv_bc2_sqrt)
{
    double b1 = opt->beta1, b2 = opt->beta2, eps = opt->epsilon;
    for (size_t i = 0; i < n; i++) {
        double d = g[i] + lambda * theta[i];
        m[i] = b1 * m[i] + (1.0 - b1) * d;
        v[i] = b2 * v[i] + (1.0 - b2) * d * d;
        theta[i] -= step_size * m[i] / (sqrt(v[i]) * inv_bc2_sqrt + eps);
    }
}

mlp_status mlp_step(mlp_t *net)
{
    if (!net)
        return MLP_ERR_ARG;
    const double *g = net->grads;
    if (!mlp__all_finite(g, net->n_params))
        return MLP_ERR_NONFINITE;

    struct mlp_optimizer *opt = &net->opt;
    double step_size = 0.0, inv_bc2_sqrt = 0.0;
    if (opt->kind == MLP_OPT_ADAM) {
        opt->t++;
        double t = (double)opt->t;
        step_size = opt->learning_rate / (1.0 - pow(opt->beta1, t));
        inv_bc2_sqrt = 1.0 / sqrt(1.0 - pow(opt->beta2, t));
    }
    /* Layer by layer: the weights decay, the biases do not. */
    for (size_t l = 1; l <= net->n_layers; l++) {
        size_t off = net->offsets[l - 1];
        size_t n_w = net->sizes[l] * net->sizes[l - 1], n_b = net->sizes[l];
        size_t start[2] = { off, off + n_w }, count[2] = { n_w, n_b };
        double lambda[2] = { net->weight_decay, 0.0 };
        for (int part = 0; part < 2; part++) {
            size_t s = start[part];
            double *m = opt->m ? opt->m + s : NULL;
            if (opt->kind == MLP_OPT_ADAM)
                adam_update(opt, lambda[part], count[part], g + s,
                            net->params + s, m, opt->v + s, step_size,
                            inv_bc2_sqrt);
            else
                sgd_update(opt, lambda[part], count[part], g + s,
                           net->params + s, m);
        }
    }
    return MLP_OK;
}
