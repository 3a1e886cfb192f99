/* onnx_internal.h - what the modules of libmlp_onnx share. Never installed.
 *
 * Import and export go through one precision-neutral description of a
 * perceptron (struct mlp__onnx_net, all numbers double): the importer
 * fills it from a graph, the exporter writes it as a graph. Only the two
 * ends touch a network: building an mlp_t from the description and
 * describing an mlp_t. A single-precision family (mlpf_onnx_*) needs its
 * own two ends (rounding to float on the way in, exact widening and FLOAT
 * tensors on the way out: the writer already takes the element type). */
#ifndef MLP_ONNX_INTERNAL_H
#define MLP_ONNX_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "mlp.h"

/* ONNX TensorProto.DataType values used here. */
enum { MLP__ONNX_FLOAT = 1, MLP__ONNX_DOUBLE = 11 };

struct mlp__onnx_layer {
    size_t n_in, n_out;
    double *W;              /* n_out x n_in, row-major (owned) */
    double *b;              /* n_out, or NULL for zeros (owned) */
    mlp_activation act;
};

struct mlp__onnx_net {
    size_t n_layers, capacity;
    struct mlp__onnx_layer *layers;
    /* NULL when absent (mean 0, std 1); n_0 or n_L entries (owned). */
    double *in_mean, *in_std, *out_mean, *out_std;
};

/* Frees what the description owns and zeroes it. */
void mlp__onnx_net_clear(struct mlp__onnx_net *d);

/* A new zeroed layer at the end; NULL when out of memory. */
struct mlp__onnx_layer *mlp__onnx_net_push(struct mlp__onnx_net *d);

/* A failure's reason: the first one written wins, later ones are dropped
 * (the first is the cause, the others its consequences). */
struct mlp__onnx_why {
    char *buf;
    size_t size;
    bool set;
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void mlp__onnx_why(struct mlp__onnx_why *w, const char *fmt, ...);

/* A name from the model made fit for a one-line message: at most 48
 * characters (then "..."), control and non-ASCII bytes as '?', "" for NULL.
 * Returns out, which has room for MLP__ONNX_NAME_MAX bytes. */
enum { MLP__ONNX_NAME_MAX = 56 };
const char *mlp__onnx_name(char *out, const char *name);

/* Builds a network from the description (which stays the caller's).
 * MLP_ERR_ARG (with a reason) when loss is unknown or does not pair with
 * the output activation; MLP_ERR_FORMAT when the sizes are beyond what
 * mlp_create accepts; MLP_ERR_NOMEM. */
mlp_status mlp__onnx_build(mlp_t **net, const struct mlp__onnx_net *d,
                           mlp_loss loss, struct mlp__onnx_why *why);

/* Describes net; the arrays are copies. MLP_ERR_NOMEM. */
mlp_status mlp__onnx_describe(const mlp_t *net, struct mlp__onnx_net *d);

/* Parses a serialized model into the description. MLP_ERR_FORMAT with a
 * reason, or MLP_ERR_NOMEM. */
mlp_status mlp__onnx_parse(const void *data, size_t size,
                           struct mlp__onnx_net *d, struct mlp__onnx_why *why);

/* Serializes the description as a model with tensors of elem_type
 * (MLP__ONNX_DOUBLE or MLP__ONNX_FLOAT; values are rounded to the type).
 * *out is malloc'ed. MLP_ERR_NOMEM. */
mlp_status mlp__onnx_write(const struct mlp__onnx_net *d, int elem_type,
                           unsigned char **out, size_t *out_size);

#endif /* MLP_ONNX_INTERNAL_H */
