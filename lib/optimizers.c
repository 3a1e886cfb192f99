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

/* SGD: v' = mu v + g (v' = g without momentum), θ' = θ - lr v'.
 * The first pass only reads, and proves every new value finite; the second
 * writes. A failed step thus changes nothing. */
static mlp_status sgd_step(struct mlp *net)
{
    const double *g = net->grads;
    double *theta = net->params, *v = net->opt.m;
    double lr = net->opt.learning_rate, mu = net->opt.momentum;
    size_t n = net->n_params;

    double nonfinite = 0.0;
    if (v) {
        for (size_t i = 0; i < n; i++) {
            double vi = mu * v[i] + g[i], ti = theta[i] - lr * vi;
            nonfinite += (vi - vi) + (ti - ti);
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            double ti = theta[i] - lr * g[i];
            nonfinite += ti - ti;
        }
    }
    if (nonfinite != 0.0)
        return MLP_ERR_NONFINITE;

    if (v) {
        for (size_t i = 0; i < n; i++)
            v[i] = mu * v[i] + g[i];                  /* v = mu v + g */
        mlp__axpy(n, -lr, v, theta);                  /* θ -= lr v */
    } else {
        mlp__axpy(n, -lr, g, theta);                  /* θ -= lr g */
    }
    return MLP_OK;
}

mlp_status mlp_step(mlp_t *net)
{
    if (!net)
        return MLP_ERR_ARG;
    return sgd_step(net);
}
