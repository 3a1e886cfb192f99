/* graph.h - following a graph from its input to its output. Never
 * installed. */
#ifndef MLP_ONNX_GRAPH_H
#define MLP_ONNX_GRAPH_H

#include "tensor.h"

/* Maps the graph g of a model whose default-domain opset is `opset` onto
 * the description d (empty on entry). MLP_ERR_FORMAT with a reason, or
 * MLP_ERR_NOMEM; d is cleared on failure. */
mlp_status mlp__onnx_graph(const Onnx__GraphProto *g, long opset,
                           struct mlp__onnx_net *d, struct mlp__onnx_why *why);

#endif /* MLP_ONNX_GRAPH_H */
