/* optimizers.c - SGD with momentum; the update applied by mlp_step. */
#include "mlp_internal.h"
#include "alloc.h"
#include "blas.h"

#include <math.h>

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

/* true when the SGD update (v <- mu v + g; θ <- θ - lr v, or θ <- θ - lr g
 * when mu is 0) keeps every value within MLP__SAFE_MAX. Checked before
 * anything is written, so a refused step changes nothing. */
static bool sgd_update_safe(const struct mlp *net)
{
    const struct mlp_optimizer *opt = &net->opt;
    const double *g = net->grads, *theta = net->params;
    double lr = opt->learning_rate, mu = opt->momentum;
    for (size_t i = 0; i < net->n_params; i++) {
        double v = mu == 0.0 ? g[i] : mu * opt->m[i] + g[i];
        double next = theta[i] - lr * v;
        if (!(fabs(v) <= MLP__SAFE_MAX && fabs(next) <= MLP__SAFE_MAX))
            return false;
    }
    return true;
}

mlp_status mlp_step(mlp_t *net)
{
    if (!net)
        return MLP_ERR_ARG;
    const double *g = net->grads;
    size_t n = net->n_params;
    if (!mlp__all_finite(g, n) || !sgd_update_safe(net))
        return MLP_ERR_NONFINITE;

    struct mlp_optimizer *opt = &net->opt;
    if (opt->momentum == 0.0) {
        mlp__axpy(n, -opt->learning_rate, g, net->params); /* θ -= lr g */
        return MLP_OK;
    }
    double mu = opt->momentum;
    for (size_t i = 0; i < n; i++)
        opt->m[i] = mu * opt->m[i] + g[i];                 /* v = mu v + g */
    mlp__axpy(n, -opt->learning_rate, opt->m, net->params); /* θ -= lr v */
    return MLP_OK;
}
