/*
 * mlp_onnx.h - libmlp_onnx: multilayer perceptrons in and out of ONNX.
 *
 * A companion library of libmlp (link with `pkg-config --libs mlp-onnx`),
 * so that libmlp itself never depends on protobuf. It imports what
 * torch.onnx.export writes for an nn.Sequential of nn.Linear layers and
 * activations, and exports a libmlp network as an ONNX model that any ONNX
 * runtime evaluates to mlp_predict's outputs. docs/onnx.md lists every
 * graph pattern that is imported and every one that is refused.
 *
 * Conventions: those of mlp.h. The functions keep no state between calls
 * and may be called from any number of threads at once on distinct
 * networks (mlp_onnx_export only reads its network: several threads may
 * export the same one at once, as long as none changes it meanwhile).
 * The mlpf_onnx_* twins do the same for the single-precision mlpf_t.
 */
#ifndef MLP_ONNX_H
#define MLP_ONNX_H

#include <stddef.h>

#include "mlp.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(MLP_ONNX_BUILDING) && defined(__GNUC__)
#define MLP_ONNX_API __attribute__((visibility("default")))
#else
#define MLP_ONNX_API
#endif

/* Reads an ONNX model of a multilayer perceptron from the file at path into
 * a new network; see mlp_onnx_import_buffer for what is read and every
 * status. In addition: MLP_ERR_ARG if path is NULL, MLP_ERR_IO if the file
 * cannot be opened or read. */
MLP_ONNX_API mlp_status mlp_onnx_import(mlp_t **net, const char *path,
                                        mlp_loss loss, char *why,
                                        size_t why_size);

/* Reads an ONNX model (size bytes at data, the serialized ModelProto) into
 * a new network.
 *
 * The graph must be a chain from its one input to its one output:
 * optional Flatten (axis 1) of an input of rank >= 2, optional input
 * scaling Sub then Div by constants, then for each layer a Gemm (data as
 * the first input, transA = 0, any alpha, beta, transB; bias C optional)
 * or a MatMul optionally followed by Add of a constant (the bias), each
 * optionally followed by one of Relu, Sigmoid, Tanh or (last layer only)
 * Softmax over the last axis; optional output scaling Mul then Add by
 * constants at the end; Identity nodes anywhere. Weights, biases and
 * scalings are initializers or Constant nodes (a `value` tensor), possibly
 * through Transpose and Identity nodes, FLOAT (widened exactly) or DOUBLE, in
 * raw_data (little-endian, on every host) or in the typed fields. A layer
 * without an activation node gets MLP_IDENTITY. Weights and biases are
 * alpha * B (transposed as needed) and beta * C. Input scaling becomes
 * the network's in_mean / in_std, output scaling its out_std / out_mean.
 * The default ONNX domain must be imported at an opset from 7 to 21.
 *
 * loss is the loss to train the network with afterwards (ONNX graphs carry
 * none); it must pair with the output activation as in mlp_create. The new
 * network's optimizer is mlp_create's default (SGD, learning rate 0.01).
 *
 * why, when not NULL and why_size > 0, receives on failure a one-line,
 * NUL-terminated reason, truncated to why_size bytes, naming the operator,
 * node or tensor that could not be mapped (names are shortened and their
 * control characters replaced); on success it receives "".
 *
 * Returns MLP_OK and sets *net, or sets *net to NULL (when net is not NULL)
 * and returns:
 *   MLP_ERR_ARG     net NULL, data NULL with size > 0, an unknown loss, or
 *                   a loss that does not pair with the output activation
 *                   (MLP_CROSS_ENTROPY needs a Softmax or Sigmoid output,
 *                   a Softmax output needs MLP_CROSS_ENTROPY);
 *   MLP_ERR_FORMAT  not a protobuf ModelProto, or a graph outside the
 *                   patterns above (another operator or domain, a branch,
 *                   two inputs or outputs, shapes that do not chain, a
 *                   non-finite weight, external data, a tensor whose data
 *                   does not match its dims), a model that needs more
 *                   than 16 times its size plus 1 MiB of memory to parse,
 *                   or as much again for its weights, biases and scalings
 *                   as doubles (each decoded once for every node that uses
 *                   it: a weight shared by very many layers), or whose
 *                   weights are reached through more Identity and
 *                   Transpose steps in all than twice its node count;
 *   MLP_ERR_NOMEM   an allocation failed.
 * The input is untrusted: every size is checked against it before memory
 * is allocated, so a hostile model cannot make the call allocate more
 * than a small multiple of its size, nor take more than O(n log n) time
 * for n nodes. */
MLP_ONNX_API mlp_status mlp_onnx_import_buffer(mlp_t **net, const void *data,
                                               size_t size, mlp_loss loss,
                                               char *why, size_t why_size);

/* Writes net as an ONNX model (IR version 8, default domain at opset 17)
 * to path, replacing any file there (through a symbolic link, the file it
 * points to, created when the link dangles) with mlp_save's own code: into
 * a temporary file in the same directory, flushed and renamed over it, so
 * that the old file stays whole until the new one is complete (the file
 * is unnamed while written where the system has O_TMPFILE; elsewhere a
 * crash may leave a .mlp-onnx-XXXXXX file); the mode of a file replaced
 * is kept, a new one gets 0644. The graph: one input "input" of shape
 * [batch, n_0], one output "output" of shape [batch, n_L], batch a
 * symbolic dimension, DOUBLE tensors; for each layer l a Gemm node
 * (transB = 1, alpha = beta = 1) with initializers "W<l>" (n_l x n_(l-1))
 * and "b<l>", followed by a Relu, Sigmoid, Tanh or Softmax (axis 1) node
 * unless the layer's activation is MLP_IDENTITY. Input scaling, when the
 * network has one (any mean not 0 or std not 1), becomes Sub "in_mean"
 * then Div "in_std" before the first Gemm; output scaling becomes Mul
 * "out_std" then Add "out_mean" after the last activation. onnx.checker
 * accepts the model, and it evaluates to mlp_predict's outputs;
 * mlp_onnx_import_buffer reads it back to bitwise the same parameters
 * and scaling.
 * Returns MLP_OK; MLP_ERR_ARG if net or path is NULL; MLP_ERR_NONFINITE
 * if a weight or bias is NaN or infinite (as only writing through
 * mlp_weights or mlp_biases makes one: mlp_save refuses it too, and the
 * import would), with no file touched; MLP_ERR_NOMEM;
 * MLP_ERR_IO if the file cannot be written (the temporary file is removed
 * and any file at path is left as it was), or if path names something
 * other than a regular file (a device, a FIFO, a directory), which is left
 * alone, as by mlp_save. */
MLP_ONNX_API mlp_status mlp_onnx_export(const mlp_t *net, const char *path);

/* Single precision: the twins of the three functions above for an mlpf_t
 * (see mlp.h), with the same arguments, statuses and thread-safety.
 *
 * mlpf_onnx_import and mlpf_onnx_import_buffer read the same graphs into
 * a new mlpf_t. Each weight, bias and scaling value is rounded to the
 * nearest float: exact for a FLOAT model, so that a float32 PyTorch model
 * keeps its parameters bit for bit. A DOUBLE value whose magnitude rounds
 * beyond float's range (at or above FLT_MAX plus half its ulp) is
 * MLP_ERR_FORMAT, with a reason naming its layer or the scaling; so is a
 * scaling whose std rounds to 0 in float.
 *
 * mlpf_onnx_export writes the graph mlp_onnx_export writes, with FLOAT
 * tensors (input, output and initializers) holding the network's float
 * parameters and scaling exactly. onnx.checker accepts it, it evaluates to
 * mlpf_predict's outputs within float rounding, mlpf_onnx_import_buffer
 * reads it back to bitwise the same parameters and scaling, and
 * mlp_onnx_import_buffer reads it to their exact double widenings. */
MLP_ONNX_API mlp_status mlpf_onnx_import(mlpf_t **net, const char *path,
                                         mlp_loss loss, char *why,
                                         size_t why_size);
MLP_ONNX_API mlp_status mlpf_onnx_import_buffer(mlpf_t **net,
                                                const void *data, size_t size,
                                                mlp_loss loss, char *why,
                                                size_t why_size);
MLP_ONNX_API mlp_status mlpf_onnx_export(const mlpf_t *net, const char *path);

#ifdef __cplusplus
}
#endif

#endif /* MLP_ONNX_H */
