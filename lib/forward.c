/* forward.c - the forward pass, mlp_predict and mlp_predict_ws. */
#include "mlp_internal.h"
#include "activations.h"
#include "blas.h"

#include <math.h>
#include <string.h>

mlp_status mlp__forward(const struct mlp *net, struct mlp_workspace *ws,
                        size_t batch, const real *X, bool keep_logits)
{
    const real *prev = X;
    for (size_t l = 1; l <= net->n_layers; l++) {
        size_t n_in = net->sizes[l - 1], n_out = net->sizes[l];
        const real *W = mlp__W(net, l), *b = mlp__b(net, l);
        real *Z = ws->act[l];
        /* Z = A_prev W^T + 1 b^T: the bias rows first, then one GEMM
         * accumulating onto them (beta = 1), so the bias costs no extra
         * pass over Z. For one sample, z = W a + b is a GEMV. */
        for (size_t r = 0; r < batch; r++)
            memcpy(Z + r * n_out, b, n_out * sizeof *b);
        if (batch == 1)
            mlp__gemv_ax(n_out, n_in, 1.0, W, prev, 1.0, Z);
        else
            mlp__gemm_abt(batch, n_out, n_in, 1.0, prev, W, 1.0, Z);
        /* A = act(Z), in place: only A is kept, every derivative is
         * written from it. The cross-entropies are computed from the
         * output layer's Z (losses.c), which is kept in delta[L] until
         * the deltas replace it; the predictions skip that copy. */
        if (keep_logits && l == net->n_layers &&
            net->loss == MLP_CROSS_ENTROPY)
            memcpy(ws->delta[l], Z, batch * n_out * sizeof *Z);
        ws->a_bound[l] = mlp__activate(net->acts[l - 1], batch, n_out, Z);
        if (isinf(ws->a_bound[l]))
            return MLP_ERR_NONFINITE;
        prev = Z;
    }
    return MLP_OK;
}

/* The checks and the pass that both predicts share; ws fits net. */
static mlp_status predict(const struct mlp *net, struct mlp_workspace *ws,
                          size_t batch, const real *X, real *Y)
{
    mlp_status status = mlp__check_batch(net, ws, batch, &X, NULL);
    if (status == MLP_OK)
        status = mlp__forward(net, ws, batch, X, false);
    if (status != MLP_OK)
        return status;
    size_t L = net->n_layers, n = batch * net->sizes[L];
    if (!net->out_scaled) {
        memcpy(Y, ws->act[L], n * sizeof *Y);
        return MLP_OK;
    }
    /* Y = A^(L) * out_std + out_mean, which can overflow. */
    mlp__unscale_rows(batch, net->sizes[L], mlp__out_mean(net),
                      mlp__out_std(net), ws->act[L], Y);
    return isinf(mlp__max_abs(Y, n)) ? MLP_ERR_NONFINITE : MLP_OK;
}

mlp_status mlp_predict(mlp_t *net, size_t batch, const real *X, real *Y)
{
    if (!net || !X || !Y)
        return MLP_ERR_ARG;
    return predict(net, &net->ws, batch, X, Y);
}

mlp_status mlp_predict_ws(const mlp_t *net, mlp_workspace_t *ws, size_t batch,
                          const real *X, real *Y)
{
    if (!net || !ws || !X || !Y || !mlp__ws_fits(ws, net))
        return MLP_ERR_ARG;
    return predict(net, ws, batch, X, Y);
}
