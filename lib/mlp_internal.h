/* mlp_internal.h - struct mlp and the functions the modules share.
 * Never installed. */
#ifndef MLP_INTERNAL_H
#define MLP_INTERNAL_H

#include "mlp.h"
#include "precision.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mlp_optimizer_kind { MLP_OPT_SGD = 0, MLP_OPT_ADAM };

struct mlp_optimizer {
    enum mlp_optimizer_kind kind;
    double learning_rate;
    double momentum;           /* SGD */
    double beta1, beta2, epsilon; /* Adam */
    uint64_t t;                /* Adam: steps taken */
    real *m;                 /* SGD velocity or Adam first moment; NULL if unused */
    real *v;                 /* Adam second moment; NULL if unused */
    /* The largest magnitude bits (simd.h) in m and in v, valid only when
     * state_known: set where optimizers.c writes the state, and false in
     * a zeroed struct (a new or loaded network), so the next step measures
     * them. Whoever writes m or v elsewhere must clear state_known. */
    bool state_known;
    real_bits m_max, v_max;
};

/* The scratch of one pass over a batch (workspace.c). The network keeps
 * one; mlp_workspace_create makes more, one per thread, so that any number
 * of threads can read one network at once. */
struct mlp_workspace {
    size_t n_layers;           /* L, and the layer sizes n_0 .. n_L it was */
    size_t *sizes;             /* made for (any network of these sizes) */
    size_t max_width;          /* max n_l over l = 1..L */

    /* For batches of up to `capacity` samples, one block. act[l]
     * (l = 1..L) holds A^(l), batch x n_l; act[0] is unused (the caller's
     * X, or xs, plays A^(0)). delta[l] holds dZ^(l), batch x n_l, and
     * before that dA^(l). xs (batch x n_0) holds the inputs after the
     * network's input scaling, or a scaled direction for mlp_jvp; ts
     * (batch x n_L) the targets after the output scaling. ones is a
     * vector of `capacity` ones for db. */
    size_t capacity;
    real *work;
    real *xs;
    real *ts;
    real **act;
    real **delta;
    real *ones;

    /* Filled by the last forward/backward pass, for l = 0..L:
     * a_bound[l] >= max |A^(l)| (A^(0) = X), dz_bound[l] = max |dZ^(l)|.
     * They let mlp_train_batch prove that an update made inside the GEMM
     * cannot overflow. One block of 2 (L + 1) doubles. */
    double *a_bound;
    double *dz_bound;

    /* mlp_jacobian's scratch: two blocks of deriv_rows x max_width, grown
     * on its first use (rows = batch * min(n_0, n_L)). */
    size_t deriv_rows;
    real *deriv;
};

struct mlp {
    size_t n_layers;           /* L */
    size_t *sizes;             /* n_0 .. n_L */
    mlp_activation *acts;      /* acts[l - 1] for layer l */
    mlp_loss loss;

    size_t n_params;
    size_t *offsets;           /* offsets[l - 1]: where W^(l) starts; b^(l) follows it */
    real *params;            /* W^(1), b^(1), ..., W^(L), b^(L) */
    real *grads;             /* same layout */

    struct mlp_optimizer opt;
    /* L2 weight decay on the weights (not the biases), a setting
     * of its own that survives a change of optimizer. 0 = off. */
    double weight_decay;

    /* Input and output scaling (scaling.c), one block of 2 (n_0 + n_L)
     * reals: in_mean, in_std (n_0 each), out_mean, out_std (n_L each);
     * mean 0 and std 1 where unset. in_scaled / out_scaled say whether
     * the input / output map differs from the identity, so that the
     * passes skip it when it does not. */
    real *scaling;
    bool in_scaled, out_scaled;

    /* The network's own workspace, for mlp_predict, mlp_backprop and
     * mlp_train_batch. */
    struct mlp_workspace ws;
};

/* Layer l's parameters (l = 1..L). */
static inline real *mlp__W(const struct mlp *net, size_t l)
{
    return net->params + net->offsets[l - 1];
}
static inline real *mlp__b(const struct mlp *net, size_t l)
{
    return mlp__W(net, l) + net->sizes[l] * net->sizes[l - 1];
}

static inline real *mlp__in_mean(const struct mlp *net)
{
    return net->scaling;
}
static inline real *mlp__in_std(const struct mlp *net)
{
    return net->scaling + net->sizes[0];
}
static inline real *mlp__out_mean(const struct mlp *net)
{
    return net->scaling + 2 * net->sizes[0];
}
static inline real *mlp__out_std(const struct mlp *net)
{
    return mlp__out_mean(net) + net->sizes[net->n_layers];
}

/* The number of parameters of a network of these sizes in *n_params, or
 * false when n_layers or a size is 0 or beyond the BLAS index type, or
 * when 2 n_params reals (parameters and gradients) would overflow
 * size_t. The one place that count is checked. (lifecycle.c) */
bool mlp__count_params(size_t n_layers, const size_t *sizes,
                       size_t *n_params);

/* Adds a layer's parameters (n_out x n_in weights and n_out biases) to
 * *total; false, leaving *total, when that overflows size_t. The one
 * per-layer count, shared by mlp__count_params and the model-file
 * loader, which counts sizes as it reads them. (lifecycle.c) */
bool mlp__add_layer_params(size_t n_in, size_t n_out, size_t *total);

/* Sets up an empty workspace for these layer sizes (workspace.c);
 * MLP_ERR_NOMEM leaves nothing to release. */
mlp_status mlp__ws_init(struct mlp_workspace *ws, size_t n_layers,
                        const size_t *sizes);
/* Frees what the workspace holds (not ws itself); it is then empty. */
void mlp__ws_release(struct mlp_workspace *ws);
/* Whether ws was made for net's layer sizes. */
bool mlp__ws_fits(const struct mlp_workspace *ws, const struct mlp *net);
/* Grows the workspace to hold `batch` samples; MLP_ERR_NOMEM leaves the old
 * one in place. MLP_ERR_ARG when batch exceeds the BLAS index type or
 * batch * n_l overflows. */
mlp_status mlp__ws_reserve(struct mlp_workspace *ws, size_t batch);
/* Grows the derivative scratch to `rows` rows; statuses as above. */
mlp_status mlp__ws_reserve_deriv(struct mlp_workspace *ws, size_t rows);
/* mlp__ws_reserve on the network's own workspace. */
mlp_status mlp__reserve(struct mlp *net, size_t batch);

/* Checks the common arguments of a pass and prepares the batch as the
 * network sees it: reserves the workspace, replaces *X (and *T unless T
 * is NULL) by the scaled copies ws->xs (ws->ts) when the network has
 * input (output) scaling, and checks that what the pass will read is
 * finite, recording its max |X| in ws->a_bound[0]. ws must fit net. */
mlp_status mlp__check_batch(const struct mlp *net, struct mlp_workspace *ws,
                            size_t batch, const real **X, const real **T);

/* dst = (src - mean) / std and dst = src * std + mean, column by column,
 * for batch rows of n. src and dst may be the same array. (scaling.c) */
void mlp__scale_rows(size_t batch, size_t n, const real *mean,
                     const real *std, const real *src, real *dst);
void mlp__unscale_rows(size_t batch, size_t n, const real *mean,
                       const real *std, const real *src, real *dst);

/* Replaces *X by the scaled copy ws->xs and *T (unless T is NULL) by
 * ws->ts when the network scales them; ws must hold the batch.
 * (scaling.c) */
void mlp__scale_batch(const struct mlp *net, struct mlp_workspace *ws,
                      size_t batch, const real **X, const real **T);

/* The cost of a batch in scaled units (X and T in the caller's units,
 * scaled as training scales them): forward pass and loss in the
 * network's own workspace, no gradients; parameters and gradients are
 * untouched. Statuses as mlp_backprop. For validation in the fit loop.
 * (scaling.c) */
mlp_status mlp__cost(struct mlp *net, size_t batch, const real *X,
                     const real *T, real *cost);

/* Forward pass of `batch` rows of X into ws->act[1..L], reading net only.
 * With keep_logits, a cross-entropy network's output pre-activations
 * Z^(L) are also left in ws->delta[L], for the cost (losses.h); the
 * predictions do not need them. MLP_ERR_NONFINITE when an activation is
 * not finite. (forward.c) */
mlp_status mlp__forward(const struct mlp *net, struct mlp_workspace *ws,
                        size_t batch, const real *X, bool keep_logits);

/* Backpropagates ws->delta[L] (dZ^(L), batch x n_L) down to ws->delta[1]
 * (dZ^(1)) through the activations of the last forward pass into ws,
 * recording ws->dz_bound[1..L-1]. MLP_ERR_NONFINITE when a delta is not
 * finite. (backward.c) */
mlp_status mlp__backward_deltas(const struct mlp *net, struct mlp_workspace *ws,
                                size_t batch);

/* max |x_i| over n values, or +Inf when one is NaN or infinite.
 * (activations.c) */
double mlp__max_abs(const real *x, size_t n);

/* Initialises the parameters from the seed. (init.c) */
void mlp__init_params(struct mlp *net, uint64_t seed);

/* Replaces the m x k column-major matrix A (m >= k >= 1, typically
 * Gaussian) by the Q factor of its QR decomposition, each column's sign
 * chosen so that R's diagonal is >= 0: orthonormal columns, and for a
 * Gaussian A uniformly (Haar) distributed. MLP_ERR_NOMEM or MLP_ERR_ARG
 * (LAPACK refused) leave A unspecified. (lapack.c, the only file that
 * includes lapacke.h) */
mlp_status mlp__orthonormalize(size_t m, size_t k, double *A);

/* The rules of mlp_set_sgd, mlp_set_adam and mlp_set_weight_decay on
 * their hyper-parameters, each for the value as given and as rounded to
 * the element type (what the update computes with); the model-file
 * loader applies the same. (optimizers.c) */
bool mlp__valid_sgd(double learning_rate, double momentum);
bool mlp__valid_adam(double learning_rate, double beta1, double beta2,
                     double epsilon);
bool mlp__valid_weight_decay(double lambda);

/* Zeroes the optimizer's state (velocity, moments, step count) without
 * changing its kind or hyper-parameters. (optimizers.c) */
void mlp__reset_optimizer(struct mlp *net);

/* mlp_step when the caller knows that every |g_i| <= grad_bound
 * (mlp_train_batch: from the deltas it has just formed the gradients
 * from, backward.c): the finiteness proof then reads only θ. INFINITY or
 * NaN for no bound. (optimizers.c) */
mlp_status mlp__step_with_grad_bound(struct mlp *net, double grad_bound);

#endif
