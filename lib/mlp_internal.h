/* mlp_internal.h - struct mlp and the functions the modules share.
 * Never installed. */
#ifndef MLP_INTERNAL_H
#define MLP_INTERNAL_H

#include "mlp.h"

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
    double *m;                 /* SGD velocity or Adam first moment; NULL if unused */
    double *v;                 /* Adam second moment; NULL if unused */
};

struct mlp {
    size_t n_layers;           /* L */
    size_t *sizes;             /* n_0 .. n_L */
    mlp_activation *acts;      /* acts[l - 1] for layer l */
    mlp_loss loss;

    size_t n_params;
    size_t *offsets;           /* offsets[l - 1]: where W^(l) starts; b^(l) follows it */
    double *params;            /* W^(1), b^(1), ..., W^(L), b^(L) */
    double *grads;             /* same layout */

    struct mlp_optimizer opt;
    /* issue 4: L2 weight decay on the weights (not the biases), a setting
     * of its own that survives a change of optimizer. 0 = off. */
    double weight_decay;

    /* Input and output scaling (scaling.c), one block of 2 (n_0 + n_L)
     * doubles: in_mean, in_std (n_0 each), out_mean, out_std (n_L each);
     * mean 0 and std 1 where unset. in_scaled / out_scaled say whether
     * the input / output map differs from the identity, so that the
     * passes skip it when it does not. */
    double *scaling;
    bool in_scaled, out_scaled;

    /* Workspace for batches of up to `capacity` samples, one block.
     * act[l] (l = 1..L) holds A^(l), batch x n_l; act[0] is unused (the
     * caller's X plays A^(0)). delta[l] holds dZ^(l), batch x n_l, and
     * before that dA^(l). ones is a vector of `capacity` ones for db. */
    size_t capacity;
    double *work;
    double **act;
    double **delta;
    double *ones;
    /* The scaled inputs and targets of a training batch, batch x n_0 and
     * batch x n_L, in the same block. */
    double *xs, *ts;

    /* Filled by the last forward/backward pass, for l = 0..L:
     * a_bound[l] >= max |A^(l)| (A^(0) = X), dz_bound[l] = max |dZ^(l)|.
     * They let mlp_train_batch prove that an update made inside the GEMM
     * cannot overflow. One block of 2 (L + 1) doubles. */
    double *a_bound;
    double *dz_bound;
};

/* Layer l's parameters (l = 1..L). */
static inline double *mlp__W(const struct mlp *net, size_t l)
{
    return net->params + net->offsets[l - 1];
}
static inline double *mlp__b(const struct mlp *net, size_t l)
{
    return mlp__W(net, l) + net->sizes[l] * net->sizes[l - 1];
}

static inline double *mlp__in_mean(const struct mlp *net)
{
    return net->scaling;
}
static inline double *mlp__in_std(const struct mlp *net)
{
    return net->scaling + net->sizes[0];
}
static inline double *mlp__out_mean(const struct mlp *net)
{
    return net->scaling + 2 * net->sizes[0];
}
static inline double *mlp__out_std(const struct mlp *net)
{
    return mlp__out_mean(net) + net->sizes[net->n_layers];
}

/* The number of parameters of a network of these sizes in *n_params, or
 * false when n_layers or a size is 0 or beyond the BLAS index type, or
 * when 2 n_params doubles (parameters and gradients) would overflow
 * size_t. The one place that count is checked. (lifecycle.c) */
bool mlp__count_params(size_t n_layers, const size_t *sizes,
                       size_t *n_params);

/* Grows the workspace to hold `batch` samples; MLP_ERR_NOMEM leaves the old
 * one in place. MLP_ERR_ARG when batch * n_l overflows or exceeds the BLAS
 * index type. (lifecycle.c) */
mlp_status mlp__reserve(struct mlp *net, size_t batch);

/* Forward pass of `batch` rows of X into net->act[1..L].
 * MLP_ERR_NONFINITE when an activation is not finite. (forward.c) */
mlp_status mlp__forward(struct mlp *net, size_t batch, const double *X);

/* Checks the common arguments of predict/backprop and prepares the batch
 * as the network sees it: reserves the workspace, replaces *X (and *T
 * unless T or *T is NULL) by their scaled copies in the workspace when the
 * network has scaling, and checks that those are finite, recording
 * max |X| of the scaled X in a_bound[0]. (lifecycle.c) */
mlp_status mlp__check_batch(struct mlp *net, size_t batch, const double **X,
                            const double **T);

/* dst = (src - mean) / std, column by column, for batch rows of n; and
 * dst = src * std + mean. src and dst may be the same array. (scaling.c) */
void mlp__scale_rows(size_t batch, size_t n, const double *mean,
                     const double *std, const double *src, double *dst);
void mlp__unscale_rows(size_t batch, size_t n, const double *mean,
                       const double *std, const double *src, double *dst);

/* Replaces *X by the scaled copy net->xs and *T (unless T or *T is NULL)
 * by net->ts when the network scales them; the workspace must hold the
 * batch. (scaling.c) */
void mlp__scale_batch(struct mlp *net, size_t batch, const double **X,
                      const double **T);

/* The cost of a batch in scaled units (X and T in the caller's units,
 * scaled as training scales them): forward pass and loss, no gradients;
 * the parameters and gradients are untouched. Statuses as mlp_predict,
 * plus MLP_ERR_NONFINITE when T or the cost is not finite. For validation
 * in the fit loop. (scaling.c) */
mlp_status mlp__cost(struct mlp *net, size_t batch, const double *X,
                     const double *T, double *cost);

/* max |x_i| over n values, or +Inf when one is NaN or infinite.
 * (activations.c) */
double mlp__max_abs(const double *x, size_t n);

/* Initialises the parameters from the seed. (init.c) */
void mlp__init_params(struct mlp *net, uint64_t seed);

/* issue 4 --------------------------------------------------------------- */

/* Replaces the m x k column-major matrix A (m >= k >= 1, typically
 * Gaussian) by the Q factor of its QR decomposition, each column's sign
 * chosen so that R's diagonal is >= 0: orthonormal columns, and for a
 * Gaussian A uniformly (Haar) distributed. MLP_ERR_NOMEM or MLP_ERR_ARG
 * (LAPACK refused) leave A unspecified. (lapack.c, the only file that
 * includes lapacke.h) */
mlp_status mlp__orthonormalize(size_t m, size_t k, double *A);

/* Zeroes the optimizer's state (velocity, moments, step count) without
 * changing its kind or hyper-parameters. (optimizers.c) */
void mlp__reset_optimizer(struct mlp *net);

#endif
