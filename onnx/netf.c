/* netf.c - the single-precision ends of the shared description: building
 * an mlpf_t from it (each value rounded to the nearest float) and
 * describing an mlpf_t (each value widened exactly). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_internal.h"

/* Half an ulp above FLT_MAX: a double at or beyond it rounds to infinity
 * (the tie goes to the even neighbour, 2^128), one below it to a finite
 * float. */
#define FLOAT_OVERFLOW 0x1.ffffffp127

/* The index of the first of n values that rounds beyond float's range,
 * or n. */
static size_t beyond_float(const double *v, size_t n)
{
    size_t i = 0;
    if (v)
        while (i < n && fabs(v[i]) < FLOAT_OVERFLOW)
            i++;
    return v ? i : n;
}

/* Names the first weight or bias of layer l (from 1) beyond float's
 * range; false when there is none. */
static bool layer_beyond(const struct mlp__onnx_layer *layer, size_t l,
                         struct mlp__onnx_why *why)
{
    size_t nw = layer->n_out * layer->n_in;
    size_t i = beyond_float(layer->W, nw), j = beyond_float(layer->b, layer->n_out);
    if (i < nw)
        mlp__onnx_why(why, "layer %zu has a weight of magnitude %g, beyond the "
                      "range of float", l, fabs(layer->W[i]));
    else if (j < layer->n_out)
        mlp__onnx_why(why, "layer %zu has a bias of magnitude %g, beyond the "
                      "range of float", l, fabs(layer->b[j]));
    return i < nw || j < layer->n_out;
}

/* Every value of the description rounds to a finite float. */
static mlp_status check_range(const struct mlp__onnx_net *d,
                              struct mlp__onnx_why *why)
{
    for (size_t l = 0; l < d->n_layers; l++)
        if (layer_beyond(&d->layers[l], l + 1, why))
            return MLP_ERR_FORMAT;
    size_t n0 = d->layers[0].n_in, nL = d->layers[d->n_layers - 1].n_out;
    if (beyond_float(d->in_mean, n0) < n0 || beyond_float(d->in_std, n0) < n0 ||
        beyond_float(d->out_mean, nL) < nL || beyond_float(d->out_std, nL) < nL) {
        mlp__onnx_why(why, "the scaling has a value beyond the range of float");
        return MLP_ERR_FORMAT;
    }
    return MLP_OK;
}

/* dst[i] = src[i] rounded to the nearest float (0 where src is NULL). */
static void narrow(float *dst, const double *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = src ? (float)src[i] : 0.0f;
}

/* A float copy of n values, or NULL when src is NULL. *failed is set when
 * the allocation fails. */
static float *narrowed(const double *src, size_t n, bool *failed)
{
    if (!src)
        return NULL;
    float *dst = malloc(n ? n * sizeof *dst : 1);
    if (dst)
        narrow(dst, src, n);
    else
        *failed = true;
    return dst;
}

static mlp_status set_scaling(mlpf_t *net, const struct mlp__onnx_net *d)
{
    if (!d->in_mean && !d->in_std && !d->out_mean && !d->out_std)
        return MLP_OK;
    size_t n0 = d->layers[0].n_in, nL = d->layers[d->n_layers - 1].n_out;
    bool failed = false;
    float *in_mean = narrowed(d->in_mean, n0, &failed);
    float *in_std = narrowed(d->in_std, n0, &failed);
    float *out_mean = narrowed(d->out_mean, nL, &failed);
    float *out_std = narrowed(d->out_std, nL, &failed);
    mlp_status s = failed ? MLP_ERR_NOMEM
                          : mlpf_set_scaling(net, in_mean, in_std, out_mean, out_std);
    free(in_mean);
    free(in_std);
    free(out_mean);
    free(out_std);
    return s;
}

static mlp_status create(mlpf_t **made, const struct mlp__onnx_net *d,
                         mlp_loss loss)
{
    size_t L = d->n_layers;
    size_t *sizes = malloc((L + 1) * sizeof *sizes);
    mlp_activation *acts = malloc(L * sizeof *acts);
    mlp_status s = MLP_ERR_NOMEM;
    if (sizes && acts) {
        sizes[0] = d->layers[0].n_in;
        for (size_t l = 0; l < L; l++) {
            sizes[l + 1] = d->layers[l].n_out;
            acts[l] = d->layers[l].act;
        }
        s = mlpf_create(made, L, sizes, acts, loss, 0);
    }
    free(sizes);
    free(acts);
    return s;
}

mlp_status mlp__onnxf_build(mlpf_t **net, const struct mlp__onnx_net *d,
                            mlp_loss loss, struct mlp__onnx_why *why)
{
    *net = NULL;
    mlp_status s = mlp__onnx_check_loss(d, loss, why);
    if (s == MLP_OK)
        s = check_range(d, why);
    if (s != MLP_OK)
        return s;
    mlpf_t *made = NULL;
    s = create(&made, d, loss);
    if (s == MLP_ERR_ARG) {
        mlp__onnx_why(why, "the layer sizes are beyond what libmlp accepts");
        return MLP_ERR_FORMAT;
    }
    if (s != MLP_OK)
        return s;
    for (size_t l = 0; l < d->n_layers; l++) {
        const struct mlp__onnx_layer *layer = &d->layers[l];
        narrow(mlpf_weights(made, l + 1), layer->W, layer->n_out * layer->n_in);
        narrow(mlpf_biases(made, l + 1), layer->b, layer->n_out);
    }
    s = set_scaling(made, d);
    if (s != MLP_OK) {
        mlpf_free(made);
        if (s != MLP_ERR_ARG)
            return s;
        mlp__onnx_why(why, "the scaling is not one libmlp accepts in float");
        return MLP_ERR_FORMAT;
    }
    *net = made;
    return MLP_OK;
}

/* A double copy of n floats, or NULL (which is also what n == 0 gives). */
static double *widened(const float *src, size_t n)
{
    double *dst = malloc(n * sizeof *dst);
    if (dst)
        for (size_t i = 0; i < n; i++)
            dst[i] = src[i];
    return dst;
}

/* The scaling of net, widened, or none where it is the identity. */
static mlp_status describe_scaling(const mlpf_t *net, struct mlp__onnx_net *d)
{
    size_t n0 = mlpf_layer_size(net, 0), nL = mlpf_layer_size(net, mlpf_n_layers(net));
    float *f = malloc(2 * (n0 + nL) * sizeof *f);
    mlp_status s = f ? mlpf_get_scaling(net, f, f + n0, f + 2 * n0, f + 2 * n0 + nL)
                     : MLP_ERR_NOMEM;
    if (s == MLP_OK) {
        d->in_mean = widened(f, n0);
        d->in_std = widened(f + n0, n0);
        d->out_mean = widened(f + 2 * n0, nL);
        d->out_std = widened(f + 2 * n0 + nL, nL);
        if (!d->in_mean || !d->in_std || !d->out_mean || !d->out_std)
            s = MLP_ERR_NOMEM;
        else
            mlp__onnx_prune_scaling(d, n0, nL);
    }
    free(f);
    return s;
}

mlp_status mlp__onnxf_describe(const mlpf_t *net, struct mlp__onnx_net *d)
{
    /* The accessors take a non-const network; they only read here. */
    mlpf_t *src = (mlpf_t *)net;
    memset(d, 0, sizeof *d);
    mlp_status s = MLP_OK;
    for (size_t l = 1; s == MLP_OK && l <= mlpf_n_layers(net); l++) {
        struct mlp__onnx_layer *layer = mlp__onnx_net_push(d);
        if (!layer) {
            s = MLP_ERR_NOMEM;
            break;
        }
        layer->n_in = mlpf_layer_size(net, l - 1);
        layer->n_out = mlpf_layer_size(net, l);
        layer->act = (mlp_activation)mlpf_layer_activation(net, l);
        layer->W = widened(mlpf_weights(src, l), layer->n_out * layer->n_in);
        layer->b = widened(mlpf_biases(src, l), layer->n_out);
        if (!layer->W || !layer->b)
            s = MLP_ERR_NOMEM;
    }
    if (s == MLP_OK)
        s = describe_scaling(net, d);
    if (s != MLP_OK)
        mlp__onnx_net_clear(d);
    return s;
}
