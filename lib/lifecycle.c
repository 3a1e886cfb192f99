/* lifecycle.c - create and free a network, and its accessors. */
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

/* Every rule of mlp_create's contract about shapes and kinds, and the
 * parameter count, computed without overflow. */
static mlp_status check_shape(size_t n_layers, const size_t *sizes,
                              const mlp_activation *acts, mlp_loss loss,
                              size_t *n_params)
{
    if (n_layers == 0 || n_layers > mlp__blas_max_dim())
        return MLP_ERR_ARG;
    if (loss != MLP_MSE && loss != MLP_CROSS_ENTROPY)
        return MLP_ERR_ARG;
    size_t total = 0;
    for (size_t l = 0; l <= n_layers; l++)
        if (sizes[l] == 0 || sizes[l] > mlp__blas_max_dim())
            return MLP_ERR_ARG;
    for (size_t l = 1; l <= n_layers; l++) {
        mlp_activation a = acts ? acts[l - 1] : MLP_SIGMOID;
        if (!known_activation(a))
            return MLP_ERR_ARG;
        if (a == MLP_SOFTMAX && (l != n_layers || loss != MLP_CROSS_ENTROPY))
            return MLP_ERR_ARG;
        size_t w, layer;
        if (!mlp__mul_ok(sizes[l], sizes[l - 1], &w) ||
            (layer = w + sizes[l]) < w || total + layer < total)
            return MLP_ERR_ARG;
        total += layer;
    }
    mlp_activation out = acts ? acts[n_layers - 1] : MLP_SIGMOID;
    if (loss == MLP_CROSS_ENTROPY && out != MLP_SOFTMAX && out != MLP_SIGMOID)
        return MLP_ERR_ARG;
    size_t bytes;
    if (!mlp__mul_ok(total, 2 * sizeof(double), &bytes))
        return MLP_ERR_ARG;
    *n_params = total;
    return MLP_OK;
}

mlp_status mlp_create(mlp_t **out, size_t n_layers, const size_t *sizes,
                      const mlp_activation *acts, mlp_loss loss, uint64_t seed)
{
    if (out)
        *out = NULL;
    if (!out || !sizes)
        return MLP_ERR_ARG;
    size_t n_params;
    mlp_status status = check_shape(n_layers, sizes, acts, loss, &n_params);
    if (status != MLP_OK)
        return status;

    struct mlp *net = mlp__calloc(1, sizeof *net);
    if (!net)
        return MLP_ERR_NOMEM;
    net->n_layers = n_layers;
    net->loss = loss;
    net->n_params = n_params;
    net->opt.kind = MLP_OPT_SGD;
    net->opt.learning_rate = 0.01;
    net->sizes = mlp__malloc((n_layers + 1) * sizeof *net->sizes);
    net->acts = mlp__malloc(n_layers * sizeof *net->acts);
    net->offsets = mlp__malloc(n_layers * sizeof *net->offsets);
    /* Parameters and gradients share one block: one allocation, and the
     * gradients sit at a fixed distance from what they belong to. */
    net->params = mlp__calloc(2 * n_params, sizeof(double));
    if (!net->sizes || !net->acts || !net->offsets || !net->params ||
        mlp__ws_init(&net->ws, n_layers, sizes) != MLP_OK) {
        mlp_free(net);
        return MLP_ERR_NOMEM;
    }
    net->grads = net->params + n_params;

    memcpy(net->sizes, sizes, (n_layers + 1) * sizeof *sizes);
    size_t offset = 0;
    for (size_t l = 1; l <= n_layers; l++) {
        net->acts[l - 1] = acts ? acts[l - 1] : MLP_SIGMOID;
        net->offsets[l - 1] = offset;
        offset += sizes[l] * sizes[l - 1] + sizes[l];
    }
    mlp__init_params(net, seed);

    /* Room for one sample now, so that predicting one sample after create
     * never allocates. */
    status = mlp__reserve(net, 1);
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
    mlp__free(net->params);
    mlp__free(net->opt.m);
    mlp__free(net->opt.v);
    mlp__ws_release(&net->ws);
    mlp__free(net);
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
