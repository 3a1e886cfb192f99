/* graph.h - following a graph from its input to its output. Never
 * installed. */
#ifndef MLP_ONNX_GRAPH_H
#define MLP_ONNX_GRAPH_H

#include "tensor.h"

/* The memory a model of `size` bytes may take: MLP__ONNX_BUDGET_FACTOR *
 * size + MLP__ONNX_BUDGET_EXTRA bytes to parse, and as much again for its
 * constants decoded as doubles. */
enum { MLP__ONNX_BUDGET_FACTOR = 16, MLP__ONNX_BUDGET_EXTRA = 1 << 20 };

/* Maps the graph g of a model whose default-domain opset is `opset` onto
 * the description d (empty on entry). The constants decoded (each weight,
 * bias and scaling once for every use) may take `budget` bytes in all, and
 * reaching them may take twice the node count of Identity and Transpose
 * steps in all, so that no graph costs more than a multiple of its size in
 * memory or more than O(n log n) in time. MLP_ERR_FORMAT with a reason, or
 * MLP_ERR_NOMEM; d is cleared on failure. */
mlp_status mlp__onnx_graph(const Onnx__GraphProto *g, long opset, size_t budget,
                           struct mlp__onnx_net *d, struct mlp__onnx_why *why);

#endif /* MLP_ONNX_GRAPH_H */
