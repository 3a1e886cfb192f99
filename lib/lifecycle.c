/* lifecycle.c - create and free a network, its accessors and workspace. */
#include "mlp_internal.h"
#include "alloc.h"
#include "blas.h"

#include <math.h>
#include <string.h>

static bool known_activation(mlp_activation a)
{
    return a == MLP_SIGMOID || a == MLP_TANH || a == MLP_RELU ||
           a == MLP_IDENTITY || a == MLP_SOFTMAX;
}

bool mlp__count_params(size_t n_layers, const size_t *sizes,
                       size_t *n_params)
{
    if (n_layers == 0 || n_layers > mlp__blas_max_dim())
        return false;
    size_t total = 0;
    for (size_t l = 0; l <= n_layers; l++) {
        if (sizes[l] == 0 || sizes[l] > mlp__blas_max_dim())
            return false;
        size_t w, layer;
        if (l > 0 && (!mlp__mul_ok(sizes[l], sizes[l - 1], &w) ||
                      (layer = w + sizes[l]) < w || total + layer < total))
            return false;
        total += l > 0 ? layer : 0;
    }
    /* Parameters and gradients share one block of 2 P doubles. */
    size_t bytes;
    if (!mlp__mul_ok(total, 2 * sizeof(double), &bytes))
        return false;
    *n_params = total;
    return true;
}

/* The rules of mlp_create's contract that tie activations to the loss. */
static bool valid_kinds(size_t n_layers, const mlp_activation *acts,
                        mlp_loss loss)
{
    if (loss != MLP_MSE && loss != MLP_CROSS_ENTROPY)
        return false;
    for (size_t l = 1; l <= n_layers; l++) {
        mlp_activation a = acts ? acts[l - 1] : MLP_SIGMOID;
        if (!known_activation(a))
            return false;
        if (a == MLP_SOFTMAX && (l != n_layers || loss != MLP_CROSS_ENTROPY))
            return false;
    }
    mlp_activation out = acts ? acts[n_layers - 1] : MLP_SIGMOID;
    return loss != MLP_CROSS_ENTROPY || out == MLP_SOFTMAX ||
           out == MLP_SIGMOID;
}

/* Every block the network owns apart from the workspace and optimizer
 * state; false when one could not be had. */
static bool allocate(struct mlp *net)
{
    size_t L = net->n_layers, n_scaling = 2 * (net->sizes[0] + net->sizes[L]);
    net->acts = mlp__malloc(L * sizeof *net->acts);
    net->offsets = mlp__malloc(L * sizeof *net->offsets);
    net->act = mlp__calloc(L + 1, sizeof *net->act);
    net->delta = mlp__calloc(L + 1, sizeof *net->delta);
    /* Parameters and gradients share one block: one allocation, and the
     * gradients sit at a fixed distance from what they belong to. */
    net->params = mlp__calloc(2 * net->n_params, sizeof(double));
    net->a_bound = mlp__calloc(2 * (L + 1), sizeof(double));
    net->scaling = mlp__malloc(n_scaling * sizeof(double));
    if (!net->acts || !net->offsets || !net->act || !net->delta ||
        !net->params || !net->a_bound || !net->scaling)
        return false;
    net->grads = net->params + net->n_params;
    net->dz_bound = net->a_bound + L + 1;
    for (size_t j = 0; j < net->sizes[0]; j++) {
        mlp__in_mean(net)[j] = 0.0;
        mlp__in_std(net)[j] = 1.0;
    }
    for (size_t j = 0; j < net->sizes[L]; j++) {
        mlp__out_mean(net)[j] = 0.0;
        mlp__out_std(net)[j] = 1.0;
    }
    return true;
}

mlp_status mlp_create(mlp_t **out, size_t n_layers, const size_t *sizes,
                      const mlp_activation *acts, mlp_loss loss, uint64_t seed)
{
    if (out)
        *out = NULL;
    size_t n_params;
    if (!out || !sizes || !mlp__count_params(n_layers, sizes, &n_params) ||
        !valid_kinds(n_layers, acts, loss))
        return MLP_ERR_ARG;

    struct mlp *net = mlp__calloc(1, sizeof *net);
    if (!net)
        return MLP_ERR_NOMEM;
    net->n_layers = n_layers;
    net->loss = loss;
    net->n_params = n_params;
    net->opt.kind = MLP_OPT_SGD;
    net->opt.learning_rate = 0.01;
    net->sizes = mlp__malloc((n_layers + 1) * sizeof *net->sizes);
    if (net->sizes)
        memcpy(net->sizes, sizes, (n_layers + 1) * sizeof *sizes);
    if (!net->sizes || !allocate(net)) {
        mlp_free(net);
        return MLP_ERR_NOMEM;
    }
    size_t offset = 0;
    for (size_t l = 1; l <= n_layers; l++) {
        net->acts[l - 1] = acts ? acts[l - 1] : MLP_SIGMOID;
        net->offsets[l - 1] = offset;
        offset += sizes[l] * sizes[l - 1] + sizes[l];
    }
    mlp__init_params(net, seed);

    /* Room for one sample now, so that predicting one sample after create
     * never allocates. */
    mlp_status status = mlp__reserve(net, 1);
    if (status != MLP_OK) {
        mlp_free(net);
        return status;
    }
    *out = net;
    return MLP_OK;
}

void mlp_free(mlp_t *net)
{
    if (!net)
        return;
    mlp__free(net->sizes);
    mlp__free(net->acts);
    mlp__free(net->offsets);
    mlp__free(net->act);
    mlp__free(net->delta);
    mlp__free(net->params);
    mlp__free(net->a_bound);
    mlp__free(net->scaling);
    mlp__free(net->opt.m);
    mlp__free(net->opt.v);
    mlp__free(net->work);
    mlp__free(net);
}

mlp_status mlp__reserve(struct mlp *net, size_t batch)
{
    if (batch <= net->capacity)
        return MLP_OK;
    /* A^(l) and dZ^(l) for l = 1..L, the scaled X and T, then the ones
     * vector. per_sample cannot overflow: it is at most 2 * n_params + n_0
     * (each n_l <= n_l * n_(l-1) + n_l), and mlp__count_params made sure
     * 2 * n_params doubles fit in size_t, with n_0 <= INT_MAX to spare. */
    size_t per_sample = net->sizes[0] + net->sizes[net->n_layers];
    for (size_t l = 1; l <= net->n_layers; l++)
        per_sample += 2 * net->sizes[l];
    size_t count, bytes;
    if (batch > mlp__blas_max_dim() || !mlp__mul_ok(batch, per_sample + 1, &count) ||
        !mlp__mul_ok(count, sizeof(double), &bytes))
        return MLP_ERR_ARG;
    double *work = mlp__malloc(bytes);
    if (!work)
        return MLP_ERR_NOMEM;

    mlp__free(net->work);
    net->work = work;
    net->capacity = batch;
    for (size_t l = 1; l <= net->n_layers; l++) {
        net->act[l] = work;
        work += batch * net->sizes[l];
        net->delta[l] = work;
        work += batch * net->sizes[l];
    }
    net->xs = work;
    work += batch * net->sizes[0];
    net->ts = work;
    work += batch * net->sizes[net->n_layers];
    net->ones = work;
    for (size_t i = 0; i < batch; i++)
        net->ones[i] = 1.0;
    return MLP_OK;
}

mlp_status mlp__check_batch(struct mlp *net, size_t batch, const double **X,
                            const double **T)
{
    if (batch == 0)
        return MLP_ERR_ARG;
    size_t n_in, n_out;
    if (!mlp__mul_ok(batch, net->sizes[0], &n_in) ||
        !mlp__mul_ok(batch, net->sizes[net->n_layers], &n_out))
        return MLP_ERR_ARG;
    mlp_status status = mlp__reserve(net, batch);
    if (status != MLP_OK)
        return status;
    mlp__scale_batch(net, batch, X, T);
    net->a_bound[0] = mlp__max_abs(*X, n_in);
    if (isinf(net->a_bound[0]) || (T && *T && isinf(mlp__max_abs(*T, n_out))))
        return MLP_ERR_NONFINITE;
    return MLP_OK;
}

size_t mlp_n_layers(const mlp_t *net) { return net ? net->n_layers : 0; }

size_t mlp_layer_size(const mlp_t *net, size_t l)
{
    return net && l <= net->n_layers ? net->sizes[l] : 0;
}

int mlp_layer_activation(const mlp_t *net, size_t l)
{
    return net && l >= 1 && l <= net->n_layers ? (int)net->acts[l - 1] : -1;
}

int mlp_loss_kind(const mlp_t *net) { return net ? (int)net->loss : -1; }

size_t mlp_n_params(const mlp_t *net) { return net ? net->n_params : 0; }
double *mlp_params(mlp_t *net) { return net ? net->params : NULL; }
double *mlp_grads(mlp_t *net) { return net ? net->grads : NULL; }

static bool valid_layer(const mlp_t *net, size_t l)
{
    return net && l >= 1 && l <= net->n_layers;
}

double *mlp_weights(mlp_t *net, size_t l)
{
    return valid_layer(net, l) ? mlp__W(net, l) : NULL;
}

double *mlp_biases(mlp_t *net, size_t l)
{
    return valid_layer(net, l) ? mlp__b(net, l) : NULL;
}

double *mlp_weight_grads(mlp_t *net, size_t l)
{
    return valid_layer(net, l) ? mlp__W(net, l) - net->params + net->grads
                               : NULL;
}

double *mlp_bias_grads(mlp_t *net, size_t l)
{
    return valid_layer(net, l) ? mlp__b(net, l) - net->params + net->grads
                               : NULL;
}
