/* fit.c - mlp_fit: the shared training loop (fit_loop.c) on one process,
 * each batch an mlp_train_batch. */
#include "mlp_internal.h"
#include "alloc.h"
#include "fit_loop.h"

#include <math.h>
#include <string.h>

/* Shared by both families: defined once, in the double build. */
#ifndef MLP_SINGLE
void mlp_fit_defaults(mlp_fit_options *options)
{
    if (!options)
        return;
    memset(options, 0, sizeof *options);
    options->epochs = 10;
    options->batch_size = 32;
    options->restore_best = 1;
}
#endif

struct local_fit {
    const mlp_fit_options *o;
};

static mlp_status local_step(void *ctx, mlp_t *net, size_t rows,
                             const real *X, const real *T, double *cost)
{
    (void)ctx;
    real c = 0;
    mlp_status status = mlp_train_batch(net, rows, X, T, &c);
    *cost = c;
    return status;
}

/* Forward pass and loss in scaled units, the units of the training cost. */
static mlp_status local_chunk_cost(void *ctx, mlp_t *net, size_t rows,
                                   const real *X, const real *T,
                                   double *cost)
{
    (void)ctx;
    real c = 0;
    mlp_status status = mlp__cost(net, rows, X, T, &c);
    *cost = c;
    return status;
}

/* One process: nothing to agree with. */
static mlp_status local_reduce(void *ctx, mlp_status status, double *sum)
{
    (void)ctx;
    (void)sum;
    return status;
}

static mlp_status local_callback(void *ctx, const mlp_fit_progress *p,
                                 int *stop)
{
    const struct local_fit *lf = ctx;
    *stop = lf->o->callback(p, lf->o->user) != 0;
    return MLP_OK;
}

mlp_status mlp_fit(mlp_t *net, size_t n, const real *X, const real *T,
                   const mlp_fit_options *options, mlp_fit_result *result)
{
    mlp_fit_result failed = { 0, 0, NAN, NAN, NAN, MLP_FIT_FAILED };
    if (result)
        *result = failed;
    mlp_fit_options defaults;
    mlp_fit_defaults(&defaults);
    const mlp_fit_options *o = options ? options : &defaults;
    size_t n_val = 0;
    if (!net || !X || !T || n == 0 || mlp__fit_check(o, n, &n_val) != MLP_OK)
        return MLP_ERR_ARG;

    /* The workspace for a whole batch up front, so that no batch grows it. */
    size_t bs = o->batch_size < n - n_val ? o->batch_size : n - n_val;
    mlp_status status = mlp__reserve(net, bs);
    if (status != MLP_OK)
        return status;
    struct local_fit lf = { o };
    struct mlp__fit_data data = { n, 0, n, X, T };
    struct mlp__fit_ops ops = { local_step, local_chunk_cost, local_reduce,
                                o->callback ? local_callback : NULL,
                                &lf };
    return mlp__fit_run(net, &data, o, &ops, result);
}
