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

bool mlp__add_layer_params(size_t n_in, size_t n_out, size_t *total)
{
    size_t w, layer; /* W is n_out x n_in, b has n_out */
    if (!mlp__mul_ok(n_out, n_in, &w) || (layer = w + n_out) < w ||
        *total + layer < *total)
        return false;
    *total += layer;
    return true;
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
        if (l > 0 && !mlp__add_layer_params(sizes[l - 1], sizes[l], &total))
            return false;
    }
    /* Parameters and gradients share one block of 2 P reals. */
    size_t bytes;
    if (!mlp__mul_ok(total, 2 * sizeof(real), &bytes))
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

/* Every block the network owns apart from the optimizer state, sizes
 * already set; false when one could not be had. */
static bool allocate(struct mlp *net)
{
    size_t L = net->n_layers, n0 = net->sizes[0], nL = net->sizes[L];
    net->acts = mlp__malloc(L * sizeof *net->acts);
    net->offsets = mlp__malloc(L * sizeof *net->offsets);
    /* Parameters and gradients share one block: one allocation, and the
     * gradients sit at a fixed distance from what they belong to. */
    net->params = mlp__calloc(2 * net->n_params, sizeof(real));
    /* n_0 + n_L <= 2 P, so 2 (n_0 + n_L) reals fit like the 2 P did. */
    net->scaling = mlp__malloc(2 * (n0 + nL) * sizeof(real));
    if (!net->acts || !net->offsets || !net->params || !net->scaling ||
        mlp__ws_init(&net->ws, L, net->sizes) != MLP_OK)
        return false;
    net->grads = net->params + net->n_params;
    for (size_t j = 0; j < n0; j++) {
        mlp__in_mean(net)[j] = 0.0;
        mlp__in_std(net)[j] = 1.0;
    }
    for (size_t j = 0; j < nL; j++) {
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

/* A copy of one optimizer state vector (NULL stays NULL). */
static bool copy_state(real **dst, const real *src, size_t n)
{
    *dst = NULL;
    if (!src)
        return true;
    *dst = mlp__malloc(n * sizeof **dst);
    if (*dst)
        memcpy(*dst, src, n * sizeof **dst);
    return *dst != NULL;
}

mlp_status mlp_clone(mlp_t **out, const mlp_t *net)
{
    if (out)
        *out = NULL;
    if (!out || !net)
        return MLP_ERR_ARG;
    mlp_t *copy;
    mlp_status status = mlp_create(&copy, net->n_layers, net->sizes,
                                   net->acts, net->loss, 0);
    if (status != MLP_OK)
        return status;
    size_t n = net->n_params, L = net->n_layers;
    struct mlp_optimizer opt = net->opt;
    bool m_ok = copy_state(&opt.m, net->opt.m, n);
    bool v_ok = copy_state(&opt.v, net->opt.v, n);
    /* The same workspace capacity: the copy allocates when the original
     * would, no sooner. */
    status = m_ok && v_ok ? mlp__reserve(copy, net->ws.capacity)
                          : MLP_ERR_NOMEM;
    if (status != MLP_OK) {
        mlp__free(opt.m);
        mlp__free(opt.v);
        mlp_free(copy);
        return status;
    }
    memcpy(copy->params, net->params, 2 * n * sizeof *net->params);
    memcpy(copy->scaling, net->scaling,
           2 * (net->sizes[0] + net->sizes[L]) * sizeof *net->scaling);
    copy->in_scaled = net->in_scaled;
    copy->out_scaled = net->out_scaled;
    copy->weight_decay = net->weight_decay;
    mlp__free(copy->opt.m);
    mlp__free(copy->opt.v);
    copy->opt = opt;
    *out = copy;
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
    mlp__free(net->scaling);
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
real *mlp_params(mlp_t *net) { return net ? net->params : NULL; }
real *mlp_grads(mlp_t *net) { return net ? net->grads : NULL; }

static bool valid_layer(const mlp_t *net, size_t l)
{
    return net && l >= 1 && l <= net->n_layers;
}

real *mlp_weights(mlp_t *net, size_t l)
{
    return valid_layer(net, l) ? mlp__W(net, l) : NULL;
}

real *mlp_biases(mlp_t *net, size_t l)
{
    return valid_layer(net, l) ? mlp__b(net, l) : NULL;
}

real *mlp_weight_grads(mlp_t *net, size_t l)
{
    return valid_layer(net, l) ? mlp__W(net, l) - net->params + net->grads
                               : NULL;
}

real *mlp_bias_grads(mlp_t *net, size_t l)
{
    return valid_layer(net, l) ? mlp__b(net, l) - net->params + net->grads
                               : NULL;
}
