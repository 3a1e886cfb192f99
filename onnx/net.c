/* net.c - the description of a perceptron that import and export share,
 * and its two ends: building a network from it, describing a network. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_internal.h"

void mlp__onnx_net_clear(struct mlp__onnx_net *d)
{
    for (size_t i = 0; i < d->n_layers; i++) {
        free(d->layers[i].W);
        free(d->layers[i].b);
    }
    free(d->layers);
    free(d->in_mean);
    free(d->in_std);
    free(d->out_mean);
    free(d->out_std);
    memset(d, 0, sizeof *d);
}

struct mlp__onnx_layer *mlp__onnx_net_push(struct mlp__onnx_net *d)
{
    if (d->n_layers == d->capacity) {
        size_t cap = d->capacity ? 2 * d->capacity : 4;
        if (cap > SIZE_MAX / sizeof *d->layers)
            return NULL;
        struct mlp__onnx_layer *grown = realloc(d->layers, cap * sizeof *grown);
        if (!grown)
            return NULL;
        d->layers = grown;
        d->capacity = cap;
    }
    struct mlp__onnx_layer *layer = &d->layers[d->n_layers++];
    memset(layer, 0, sizeof *layer);
    layer->act = MLP_IDENTITY;
    return layer;
}

void mlp__onnx_why(struct mlp__onnx_why *w, const char *fmt, ...)
{
    if (!w || w->set)
        return;
    w->set = true;
    if (!w->buf || w->size == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->buf, w->size, fmt, ap);
    va_end(ap);
}

const char *mlp__onnx_name(char *out, const char *name)
{
    size_t n = 0;
    if (name) {
        for (; name[n] && n < 48; n++) {
            unsigned char c = (unsigned char)name[n];
            out[n] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
        }
        if (name[n]) {
            memcpy(out + n, "...", 3);
            n += 3;
        }
    }
    out[n] = '\0';
    return out;
}

static const char *act_name(mlp_activation act)
{
    static const char *const names[] = {"Sigmoid", "Tanh", "Relu", "no activation",
                                        "Softmax"};
    return (unsigned)act < sizeof names / sizeof *names ? names[act] : "?";
}

/* The pairing rules of mlp_create, checked here to name the cause. */
static mlp_status check_loss(const struct mlp__onnx_net *d, mlp_loss loss,
                             struct mlp__onnx_why *why)
{
    mlp_activation out = d->layers[d->n_layers - 1].act;
    if (loss != MLP_MSE && loss != MLP_CROSS_ENTROPY) {
        mlp__onnx_why(why, "unknown loss %d", (int)loss);
        return MLP_ERR_ARG;
    }
    if (loss == MLP_CROSS_ENTROPY && out != MLP_SOFTMAX && out != MLP_SIGMOID) {
        mlp__onnx_why(why, "cross-entropy needs a Softmax or Sigmoid output, "
                      "the model ends with %s", act_name(out));
        return MLP_ERR_ARG;
    }
    if (loss == MLP_MSE && out == MLP_SOFTMAX) {
        mlp__onnx_why(why, "a Softmax output needs the cross-entropy loss");
        return MLP_ERR_ARG;
    }
    return MLP_OK;
}

static mlp_status set_scaling(mlp_t *net, const struct mlp__onnx_net *d)
{
    if (!d->in_mean && !d->in_std && !d->out_mean && !d->out_std)
        return MLP_OK;
    return mlp_set_scaling(net, d->in_mean, d->in_std, d->out_mean, d->out_std);
}

mlp_status mlp__onnx_build(mlp_t **net, const struct mlp__onnx_net *d,
                           mlp_loss loss, struct mlp__onnx_why *why)
{
    *net = NULL;
    mlp_status s = check_loss(d, loss, why);
    if (s != MLP_OK)
        return s;
    size_t L = d->n_layers;
    size_t *sizes = malloc((L + 1) * sizeof *sizes);
    mlp_activation *acts = malloc(L * sizeof *acts);
    if (!sizes || !acts) {
        free(sizes);
        free(acts);
        return MLP_ERR_NOMEM;
    }
    sizes[0] = d->layers[0].n_in;
    for (size_t l = 0; l < L; l++) {
        sizes[l + 1] = d->layers[l].n_out;
        acts[l] = d->layers[l].act;
    }
    mlp_t *made = NULL;
    s = mlp_create(&made, L, sizes, acts, loss, 0);
    free(sizes);
    free(acts);
    if (s == MLP_ERR_ARG) {
        mlp__onnx_why(why, "the layer sizes are beyond what libmlp accepts");
        return MLP_ERR_FORMAT;
    }
    if (s != MLP_OK)
        return s;
    for (size_t l = 0; l < L; l++) {
        const struct mlp__onnx_layer *layer = &d->layers[l];
        memcpy(mlp_weights(made, l + 1), layer->W,
               layer->n_out * layer->n_in * sizeof(double));
        if (layer->b)
            memcpy(mlp_biases(made, l + 1), layer->b, layer->n_out * sizeof(double));
        else
            memset(mlp_biases(made, l + 1), 0, layer->n_out * sizeof(double));
    }
    s = set_scaling(made, d);
    if (s != MLP_OK) {
        mlp_free(made);
        mlp__onnx_why(why, "the scaling is not one libmlp accepts");
        return s == MLP_ERR_ARG ? MLP_ERR_FORMAT : s;
    }
    *net = made;
    return MLP_OK;
}

/* A copy of n doubles, or NULL (which is also what n == 0 gives). */
static double *copy(const double *src, size_t n)
{
    double *dst = malloc(n * sizeof *dst);
    if (dst)
        memcpy(dst, src, n * sizeof *dst);
    return dst;
}

static bool is_default(const double *mean, const double *std, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (mean[i] != 0.0 || std[i] != 1.0)
            return false;
    return true;
}

/* The scaling of net, or none where it is the identity. */
static mlp_status describe_scaling(const mlp_t *net, struct mlp__onnx_net *d)
{
    size_t n0 = mlp_layer_size(net, 0), nL = mlp_layer_size(net, mlp_n_layers(net));
    d->in_mean = malloc(n0 * sizeof(double));
    d->in_std = malloc(n0 * sizeof(double));
    d->out_mean = malloc(nL * sizeof(double));
    d->out_std = malloc(nL * sizeof(double));
    if (!d->in_mean || !d->in_std || !d->out_mean || !d->out_std)
        return MLP_ERR_NOMEM;
    mlp_status s = mlp_get_scaling(net, d->in_mean, d->in_std, d->out_mean,
                                   d->out_std);
    if (s != MLP_OK)
        return s;
    if (is_default(d->in_mean, d->in_std, n0)) {
        free(d->in_mean);
        free(d->in_std);
        d->in_mean = d->in_std = NULL;
    }
    if (is_default(d->out_mean, d->out_std, nL)) {
        free(d->out_mean);
        free(d->out_std);
        d->out_mean = d->out_std = NULL;
    }
    return MLP_OK;
}

mlp_status mlp__onnx_describe(const mlp_t *net, struct mlp__onnx_net *d)
{
    /* The accessors take a non-const network; they only read here. */
    mlp_t *src = (mlp_t *)net;
    memset(d, 0, sizeof *d);
    for (size_t l = 1; l <= mlp_n_layers(net); l++) {
        struct mlp__onnx_layer *layer = mlp__onnx_net_push(d);
        if (!layer)
            goto nomem;
        layer->n_in = mlp_layer_size(net, l - 1);
        layer->n_out = mlp_layer_size(net, l);
        layer->act = (mlp_activation)mlp_layer_activation(net, l);
        layer->W = copy(mlp_weights(src, l), layer->n_out * layer->n_in);
        layer->b = copy(mlp_biases(src, l), layer->n_out);
        if (!layer->W || !layer->b)
            goto nomem;
    }
    mlp_status s = describe_scaling(net, d);
    if (s != MLP_OK) {
        mlp__onnx_net_clear(d);
        return s;
    }
    return MLP_OK;
nomem:
    mlp__onnx_net_clear(d);
    return MLP_ERR_NOMEM;
}
