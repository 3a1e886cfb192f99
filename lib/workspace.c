/* workspace.c - the scratch of one batch: activations, deltas, the ones
 * vector, magnitude bounds, and the derivative passes' scratch.
 *
 * A network owns one workspace (mlp_predict, mlp_backprop,
 * mlp_train_batch); callers may create more, one per thread, so that one
 * network can be read by many threads at once. Plan, then execute: the
 * blocks grow when a larger batch first arrives and never shrink, so a
 * pass over a batch no larger than before allocates nothing. */
#include "mlp_internal.h"
#include "alloc.h"
#include "blas.h"

#include <math.h>
#include <string.h>

mlp_status mlp__ws_init(struct mlp_workspace *ws, size_t n_layers,
                        const size_t *sizes)
{
    memset(ws, 0, sizeof *ws);
    ws->n_layers = n_layers;
    ws->sizes = mlp__malloc((n_layers + 1) * sizeof *ws->sizes);
    ws->act = mlp__calloc(n_layers + 1, sizeof *ws->act);
    ws->delta = mlp__calloc(n_layers + 1, sizeof *ws->delta);
    ws->a_bound = mlp__calloc(2 * (n_layers + 1), sizeof(double));
    if (!ws->sizes || !ws->act || !ws->delta || !ws->a_bound) {
        mlp__ws_release(ws);
        return MLP_ERR_NOMEM;
    }
    memcpy(ws->sizes, sizes, (n_layers + 1) * sizeof *sizes);
    ws->dz_bound = ws->a_bound + n_layers + 1;
    for (size_t l = 1; l <= n_layers; l++)
        if (sizes[l] > ws->max_width)
            ws->max_width = sizes[l];
    return MLP_OK;
}

void mlp__ws_release(struct mlp_workspace *ws)
{
    mlp__free(ws->sizes);
    mlp__free(ws->act);
    mlp__free(ws->delta);
    mlp__free(ws->a_bound);
    mlp__free(ws->work);
    mlp__free(ws->deriv);
    memset(ws, 0, sizeof *ws);
}

bool mlp__ws_fits(const struct mlp_workspace *ws, const struct mlp *net)
{
    if (ws->n_layers != net->n_layers)
        return false;
    for (size_t l = 0; l <= net->n_layers; l++)
        if (ws->sizes[l] != net->sizes[l])
            return false;
    return true;
}

mlp_status mlp__ws_reserve(struct mlp_workspace *ws, size_t batch)
{
    if (batch <= ws->capacity)
        return MLP_OK;
    /* X and T scaled (n_0, n_L), A^(l) and dZ^(l) for l = 1..L, then the ones
     * vector. per_sample cannot overflow: the sizes passed mlp_create's
     * checks, whose parameter count is larger. */
    size_t per_sample = ws->sizes[0] + ws->sizes[ws->n_layers] + 1;
    for (size_t l = 1; l <= ws->n_layers; l++)
        per_sample += 2 * ws->sizes[l];
    size_t count, bytes;
    if (batch > mlp__blas_max_dim() || !mlp__mul_ok(batch, per_sample, &count) ||
        !mlp__mul_ok(count, sizeof(real), &bytes))
        return MLP_ERR_ARG;
    real *work = mlp__malloc(bytes);
    if (!work)
        return MLP_ERR_NOMEM;

    mlp__free(ws->work);
    ws->work = work;
    ws->capacity = batch;
    ws->xs = work;
    work += batch * ws->sizes[0];
    ws->ts = work;
    work += batch * ws->sizes[ws->n_layers];
    for (size_t l = 1; l <= ws->n_layers; l++) {
        ws->act[l] = work;
        work += batch * ws->sizes[l];
        ws->delta[l] = work;
        work += batch * ws->sizes[l];
    }
    ws->ones = work;
    for (size_t i = 0; i < batch; i++)
        ws->ones[i] = 1.0;
    return MLP_OK;
}

mlp_status mlp__ws_reserve_deriv(struct mlp_workspace *ws, size_t rows)
{
    if (rows <= ws->deriv_rows)
        return MLP_OK;
    /* Two blocks of rows x max_width, used in turn layer after layer. */
    size_t count, bytes;
    if (rows > mlp__blas_max_dim() ||
        !mlp__mul_ok(rows, 2 * ws->max_width, &count) ||
        !mlp__mul_ok(count, sizeof(real), &bytes))
        return MLP_ERR_ARG;
    real *deriv = mlp__malloc(bytes);
    if (!deriv)
        return MLP_ERR_NOMEM;
    mlp__free(ws->deriv);
    ws->deriv = deriv;
    ws->deriv_rows = rows;
    return MLP_OK;
}

mlp_status mlp__reserve(struct mlp *net, size_t batch)
{
    return mlp__ws_reserve(&net->ws, batch);
}

mlp_status mlp__check_batch(const struct mlp *net, struct mlp_workspace *ws,
                            size_t batch, const real **X, const real **T)
{
    if (batch == 0)
        return MLP_ERR_ARG;
    size_t n_in, n_out;
    if (!mlp__mul_ok(batch, net->sizes[0], &n_in) ||
        !mlp__mul_ok(batch, net->sizes[net->n_layers], &n_out))
        return MLP_ERR_ARG;
    mlp_status status = mlp__ws_reserve(ws, batch);
    if (status != MLP_OK)
        return status;
    mlp__scale_batch(net, ws, batch, X, T);
    ws->a_bound[0] = mlp__max_abs(*X, n_in);
    if (isinf(ws->a_bound[0]) || (T && isinf(mlp__max_abs(*T, n_out))))
        return MLP_ERR_NONFINITE;
    return MLP_OK;
}

mlp_status mlp_workspace_create(mlp_workspace_t **out, const mlp_t *net,
                                size_t max_batch)
{
    if (out)
        *out = NULL;
    if (!out || !net || max_batch == 0)
        return MLP_ERR_ARG;
    struct mlp_workspace *ws = mlp__malloc(sizeof *ws);
    if (!ws)
        return MLP_ERR_NOMEM;
    mlp_status status = mlp__ws_init(ws, net->n_layers, net->sizes);
    if (status == MLP_OK) {
        status = mlp__ws_reserve(ws, max_batch);
        if (status != MLP_OK)
            mlp__ws_release(ws);
    }
    if (status != MLP_OK) {
        mlp__free(ws);
        return status;
    }
    *out = ws;
    return MLP_OK;
}

void mlp_workspace_free(mlp_workspace_t *ws)
{
    if (!ws)
        return;
    mlp__ws_release(ws);
    mlp__free(ws);
}
