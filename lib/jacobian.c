/* jacobian.c - derivatives of the predictions with respect to the inputs:
 * mlp_vjp (reverse mode), mlp_jvp (forward mode) and mlp_jacobian (the
 * cheaper of the two for the shape), all read-only on the network.
 *
 * Per sample, with D_l the derivative of layer l's activation at the
 * sample (diagonal, act'(a) written from the output a, or for a softmax
 * output the full S = diag(y) - y y^T, which is symmetric):
 *   J = D_L W^(L) D_(L-1) W^(L-1) ... D_1 W^(1)         (n_L x n_0)
 * Reverse mode carries a row vector v^T J from the output down, as
 * backprop does, one layer further (dX = dZ^(1) W^(1)); forward mode
 * carries J d up from the input. Batched, each is one GEMM per layer. */
#include "mlp_internal.h"
#include "activations.h"
#include "alloc.h"
#include "blas.h"

#include <math.h>
#include <string.h>

/* dst[r][j] = src[r][j] * s[j] (or / s[j]) for rows x n: the input and
 * output scaling's diagonal factors, J = diag(out_std) J_net
 * diag(1 / in_std). src and dst may be the same array. */
static void scale_columns(size_t rows, size_t n, const real *s, bool divide,
                          const real *src, real *dst)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < n; j++)
            dst[r * n + j] = divide ? src[r * n + j] / s[j]
                                    : src[r * n + j] * s[j];
}

/* v <- D v for the output layer, one row: D = S (softmax, symmetric, so
 * also v^T S) or diag(act'(y)). Returns max |v|, +Inf if not finite. */
static double output_derivative(mlp_activation act, size_t n, const real *y,
                                real *v)
{
    if (act != MLP_SOFTMAX)
        return mlp__activation_backward(act, n, y, v);
    /* S v = y ⊙ v - y (y·v) = y ⊙ (v - y·v) */
    real dot = 0.0;
    for (size_t i = 0; i < n; i++)
        dot += y[i] * v[i];
    for (size_t i = 0; i < n; i++)
        v[i] = y[i] * (v[i] - dot);
    return mlp__max_abs(v, n);
}

/* D_l applied to `rows` consecutive rows of M (each n_l wide) that all
 * belong to one sample, whose layer-l activations are a. */
static bool rows_derivative(const struct mlp *net, size_t l, size_t rows,
                            const real *a, real *M)
{
    size_t n = net->sizes[l];
    mlp_activation act = net->acts[l - 1];
    bool finite = true;
    for (size_t r = 0; r < rows; r++)
        finite &= !isinf(l == net->n_layers
                             ? output_derivative(act, n, a, M + r * n)
                             : mlp__activation_backward(act, n, a, M + r * n));
    return finite;
}

/* The shared prologue: arguments, the workspace, the finite inputs (X and
 * the direction V of n_dir entries per row, unless NULL), the forward
 * pass. */
static mlp_status prepare(const struct mlp *net, struct mlp_workspace *ws,
                          size_t batch, const real *X, const real *V,
                          size_t n_dir)
{
    if (!mlp__ws_fits(ws, net))
        return MLP_ERR_ARG;
    /* X becomes ws->xs when the network scales its inputs */
    mlp_status status = mlp__check_batch(net, ws, batch, &X, NULL);
    if (status != MLP_OK)
        return status;
    if (V && isinf(mlp__max_abs(V, batch * n_dir)))
        return MLP_ERR_NONFINITE;
    return mlp__forward(net, ws, batch, X, false);
}

mlp_status mlp_vjp(const mlp_t *net, mlp_workspace_t *ws, size_t batch,
                   const real *X, const real *V, real *G)
{
    if (!net || !ws || !X || !V || !G)
        return MLP_ERR_ARG;
    size_t L = net->n_layers, n0 = net->sizes[0], nL = net->sizes[L];
    mlp_status status = prepare(net, ws, batch, X, V, nL);
    if (status != MLP_OK)
        return status;
    /* dZ^(L) = (V ⊙ out_std) D_L, row by row (D_L symmetric) */
    if (net->out_scaled)
        scale_columns(batch, nL, mlp__out_std(net), false, V, ws->delta[L]);
    else
        memcpy(ws->delta[L], V, batch * nL * sizeof *V);
    for (size_t b = 0; b < batch; b++)
        if (!rows_derivative(net, L, 1, ws->act[L] + b * nL,
                             ws->delta[L] + b * nL))
            return MLP_ERR_NONFINITE;
    /* dZ^(L-1) .. dZ^(1), as backprop */
    status = mlp__backward_deltas(net, ws, batch);
    if (status != MLP_OK)
        return status;
    const real *W = mlp__W(net, 1);
    size_t n1 = net->sizes[1];
    /* G = dX = dZ^(1) W^(1)   (B x n_0); one sample: g = W^(1)^T dz */
    if (batch == 1)
        mlp__gemv_atx(n1, n0, 1.0, W, ws->delta[1], 0.0, G);
    else
        mlp__gemm_ab(batch, n0, n1, 1.0, ws->delta[1], W, 0.0, G);
    /* G = dX ⊙ (1 / in_std) */
    if (net->in_scaled)
        scale_columns(batch, n0, mlp__in_std(net), true, G, G);
    return isinf(mlp__max_abs(G, batch * n0)) ? MLP_ERR_NONFINITE : MLP_OK;
}

mlp_status mlp_jvp(const mlp_t *net, mlp_workspace_t *ws, size_t batch,
                   const real *X, const real *D, real *U)
{
    if (!net || !ws || !X || !D || !U)
        return MLP_ERR_ARG;
    size_t L = net->n_layers, nL = net->sizes[L];
    mlp_status status = prepare(net, ws, batch, X, D, net->sizes[0]);
    if (status != MLP_OK)
        return status;
    /* dA^(0) = D ⊙ (1 / in_std), in ws->xs, which the forward pass has
     * finished with */
    const real *prev = D;
    if (net->in_scaled) {
        scale_columns(batch, net->sizes[0], mlp__in_std(net), true, D, ws->xs);
        prev = ws->xs;
    }
    for (size_t l = 1; l <= L; l++) {
        size_t n_in = net->sizes[l - 1], n_out = net->sizes[l];
        const real *W = mlp__W(net, l);
        real *T = ws->delta[l];
        /* dZ^(l) = dA^(l-1) W^(l)^T   (B x n_l); one sample: W da */
        if (batch == 1)
            mlp__gemv_ax(n_out, n_in, 1.0, W, prev, 0.0, T);
        else
            mlp__gemm_abt(batch, n_out, n_in, 1.0, prev, W, 0.0, T);
        /* dA^(l) = D_l dZ^(l), row by row */
        for (size_t b = 0; b < batch; b++)
            if (!rows_derivative(net, l, 1, ws->act[l] + b * n_out,
                                 T + b * n_out))
                return MLP_ERR_NONFINITE;
        prev = T;
    }
    /* U = dA^(L) ⊙ out_std */
    if (net->out_scaled)
        scale_columns(batch, nL, mlp__out_std(net), false, ws->delta[L], U);
    else
        memcpy(U, ws->delta[L], batch * nL * sizeof *U);
    return isinf(mlp__max_abs(U, batch * nL)) ? MLP_ERR_NONFINITE : MLP_OK;
}

/* Reverse mode for the whole Jacobian: the n_L rows of every sample's J
 * at once, M_b = I (n_L x n_L) carried down, J = (batch n_L) x n_0 in
 * place in the caller's array. P and Q: the two scratch blocks. */
static mlp_status jacobian_reverse(const struct mlp *net,
                                   struct mlp_workspace *ws, size_t batch,
                                   real *J)
{
    size_t L = net->n_layers, nL = net->sizes[L], rows = batch * nL;
    real *P = ws->deriv, *Q = ws->deriv + rows * ws->max_width;
    /* M^(L) = diag(out_std) D_L: each sample's block starts as diag(out_std) */
    const real *out_std = net->out_scaled ? mlp__out_std(net) : NULL;
    memset(P, 0, rows * nL * sizeof *P);
    for (size_t r = 0; r < rows; r++)
        P[r * nL + r % nL] = out_std ? out_std[r % nL] : 1.0;
    for (size_t b = 0; b < batch; b++)
        if (!rows_derivative(net, L, nL, ws->act[L] + b * nL, P + b * nL * nL))
            return MLP_ERR_NONFINITE;
    for (size_t l = L; l >= 1; l--) {
        size_t n_out = net->sizes[l], n_in = net->sizes[l - 1];
        real *out = l == 1 ? J : Q;
        /* M W^(l): (batch n_L) x n_(l-1), every sample's rows at once */
        mlp__gemm_ab(rows, n_in, n_out, 1.0, P, mlp__W(net, l), 0.0, out);
        if (l == 1)
            break;
        /* ... D_(l-1), the activations of each row's own sample */
        for (size_t b = 0; b < batch; b++)
            if (!rows_derivative(net, l - 1, nL, ws->act[l - 1] + b * n_in,
                                 Q + b * nL * n_in))
                return MLP_ERR_NONFINITE;
        real *t = P;
        P = Q;
        Q = t;
    }
    /* J diag(1 / in_std) */
    if (net->in_scaled)
        scale_columns(rows, net->sizes[0], mlp__in_std(net), true, J, J);
    return MLP_OK;
}

/* Forward mode for the whole Jacobian: the n_0 columns of every sample's
 * J at once, as the rows of T_b = J_b^T (n_0 x n_l) carried up from
 * T_b = I, then transposed into J. */
static mlp_status jacobian_forward(const struct mlp *net,
                                   struct mlp_workspace *ws, size_t batch,
                                   real *J)
{
    size_t L = net->n_layers, n0 = net->sizes[0], nL = net->sizes[L];
    size_t rows = batch * n0, n1 = net->sizes[1];
    real *P = ws->deriv, *Q = ws->deriv + rows * ws->max_width;
    /* diag(1 / in_std) W^(1)^T for every sample: row j is column j of
     * W^(1) over in_std_j */
    const real *W1 = mlp__W(net, 1);
    const real *in_std = net->in_scaled ? mlp__in_std(net) : NULL;
    for (size_t r = 0; r < rows; r++)
        for (size_t k = 0; k < n1; k++)
            P[r * n1 + k] = in_std ? W1[k * n0 + r % n0] / in_std[r % n0]
                                   : W1[k * n0 + r % n0];
    for (size_t l = 1; l <= L; l++) {
        size_t n_out = net->sizes[l];
        if (l > 1) {
            /* T W^(l)^T: (batch n_0) x n_l, every sample's rows at once */
            mlp__gemm_abt(rows, n_out, net->sizes[l - 1], 1.0, P,
                          mlp__W(net, l), 0.0, Q);
            real *t = P;
            P = Q;
            Q = t;
        }
        /* ... D_l, the activations of each row's own sample */
        for (size_t b = 0; b < batch; b++)
            if (!rows_derivative(net, l, n0, ws->act[l] + b * n_out,
                                 P + b * n0 * n_out))
                return MLP_ERR_NONFINITE;
    }
    /* J[b][i][j] = out_std_i T_b[j][i] */
    const real *out_std = net->out_scaled ? mlp__out_std(net) : NULL;
    for (size_t b = 0; b < batch; b++)
        for (size_t i = 0; i < nL; i++)
            for (size_t j = 0; j < n0; j++)
                J[(b * nL + i) * n0 + j] =
                    P[(b * n0 + j) * nL + i] * (out_std ? out_std[i] : 1.0);
    return MLP_OK;
}

mlp_status mlp_jacobian(const mlp_t *net, mlp_workspace_t *ws, size_t batch,
                        const real *X, real *J)
{
    if (!net || !ws || !X || !J)
        return MLP_ERR_ARG;
    size_t L = net->n_layers, n0 = net->sizes[0], nL = net->sizes[L];
    /* Reverse mode costs about n_L, forward mode n_0 products with every
     * weight matrix per sample: take the smaller. */
    bool reverse = nL <= n0;
    size_t rows, entries;
    if (!mlp__mul_ok(batch, reverse ? nL : n0, &rows) ||
        !mlp__mul_ok(rows, reverse ? n0 : nL, &entries))
        return MLP_ERR_ARG;
    mlp_status status = prepare(net, ws, batch, X, NULL, 0);
    if (status == MLP_OK)
        status = mlp__ws_reserve_deriv(ws, rows);
    if (status != MLP_OK)
        return status;
    status = reverse ? jacobian_reverse(net, ws, batch, J)
                     : jacobian_forward(net, ws, batch, J);
    if (status == MLP_OK && isinf(mlp__max_abs(J, entries)))
        status = MLP_ERR_NONFINITE;
    return status;
}
