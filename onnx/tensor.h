/* tensor.h - the constant tensors of a model, as doubles. Never installed. */
#ifndef MLP_ONNX_TENSOR_H
#define MLP_ONNX_TENSOR_H

#include <stdbool.h>

#include "onnx_internal.h"
#include "onnx-mlp.pb-c.h"

/* A constant of rank 0, 1 or 2 as a rows x cols matrix (rank 0: 1 x 1,
 * rank 1: 1 x n). v is malloc'ed. */
struct mlp__onnx_mat {
    size_t rank, rows, cols;
    double *v;
};

/* Decodes t (transposed when `transpose`) after checking that its type is
 * FLOAT or DOUBLE, its rank at most 2, its data in the model (not
 * external), of exactly the size its dims say, and finite. The size is
 * checked against the data present before anything is allocated.
 * MLP_ERR_FORMAT with a reason naming the tensor, or MLP_ERR_NOMEM. */
mlp_status mlp__onnx_tensor(const Onnx__TensorProto *t, bool transpose,
                            struct mlp__onnx_mat *m, struct mlp__onnx_why *why);

#endif /* MLP_ONNX_TENSOR_H */
