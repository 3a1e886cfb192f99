/* export.c - writing a network as an ONNX model.
 *
 * The model is built as protobuf-c structures pointing into a few blocks
 * sized up front (nodes, tensors, attributes, names, raw data), packed,
 * and written to a temporary file that is then renamed over the target
 * (lib/atomic_file.c). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "mlp_onnx.h"
#include "tensor.h"

enum { OPSET = 17, IR_VERSION = 8, NAME_LEN = 32 };
enum { ATTR_FLOAT = 1, ATTR_INT = 2 };

struct builder {
    int elem_type;
    size_t elem_size;
    Onnx__NodeProto *nodes;
    Onnx__NodeProto **node_list;
    size_t n_nodes;
    Onnx__TensorProto *tensors;
    Onnx__TensorProto **tensor_list;
    size_t n_tensors;
    Onnx__AttributeProto *attrs;
    Onnx__AttributeProto **attr_list;
    size_t n_attrs;
    char **strings;            /* 4 per node: inputs (up to 3), output */
    char (*names)[NAME_LEN];
    size_t n_names;
    int64_t *dims;             /* 2 per tensor */
    unsigned char *raw;
    size_t raw_used;
    const char *cur;           /* the value the data is in */
};

static char *name(struct builder *b, const char *prefix, size_t k)
{
    char *s = b->names[b->n_names++];
    if (k)
        snprintf(s, NAME_LEN, "%s%zu", prefix, k);
    else
        snprintf(s, NAME_LEN, "%s", prefix);
    return s;
}

/* Little-endian whatever the host. */
static void put(struct builder *b, double x)
{
    unsigned char *p = b->raw + b->raw_used;
    uint64_t u;
    if (b->elem_type == MLP__ONNX_FLOAT) {
        float f = (float)x;
        uint32_t v;
        memcpy(&v, &f, sizeof v);
        u = v;
    } else {
        memcpy(&u, &x, sizeof u);
    }
    for (size_t i = 0; i < b->elem_size; i++)
        p[i] = (unsigned char)(u >> (8 * i));
    b->raw_used += b->elem_size;
}

/* An initializer called tname of rows x cols values (rank 1 when rows is
 * 0) from v. */
static void tensor(struct builder *b, char *tname, size_t rows, size_t cols,
                   const double *v)
{
    Onnx__TensorProto *t = &b->tensors[b->n_tensors];
    b->tensor_list[b->n_tensors++] = t;
    onnx__tensor_proto__init(t);
    t->name = tname;
    t->has_data_type = 1;
    t->data_type = b->elem_type;
    t->n_dims = rows ? 2 : 1;
    t->dims = b->dims + 2 * (b->n_tensors - 1);
    t->dims[0] = (int64_t)(rows ? rows : cols);
    t->dims[1] = (int64_t)cols;
    t->has_raw_data = 1;
    t->raw_data.data = b->raw + b->raw_used;
    t->raw_data.len = (rows ? rows : 1) * cols * b->elem_size;
    for (size_t i = 0; i < (rows ? rows : 1) * cols; i++)
        put(b, v ? v[i] : 0.0);
}

static Onnx__AttributeProto *attr(struct builder *b, char *aname, int type)
{
    Onnx__AttributeProto *a = &b->attrs[b->n_attrs];
    b->attr_list[b->n_attrs++] = a;
    onnx__attribute_proto__init(a);
    a->name = aname;
    a->has_type = 1;
    a->type = type;
    return a;
}

/* A node op(data, c1, c2) called prefix<k>, whose output is called
 * out_prefix<k>; the data moves to its output. */
static Onnx__NodeProto *node(struct builder *b, const char *op, const char *prefix,
                             size_t k, char *c1, char *c2, const char *out_prefix)
{
    Onnx__NodeProto *n = &b->nodes[b->n_nodes];
    char **s = &b->strings[4 * b->n_nodes];
    b->node_list[b->n_nodes++] = n;
    onnx__node_proto__init(n);
    n->op_type = (char *)op;
    n->name = name(b, prefix, k);
    s[0] = (char *)b->cur;
    s[1] = c1;
    s[2] = c2;
    s[3] = name(b, out_prefix, k);
    n->n_input = 1 + (c1 != NULL) + (c2 != NULL);
    n->input = s;
    n->n_output = 1;
    n->output = s + 3;
    b->cur = s[3];
    return n;
}

static void builder_free(struct builder *b)
{
    free(b->nodes);
    free(b->node_list);
    free(b->tensors);
    free(b->tensor_list);
    free(b->attrs);
    free(b->attr_list);
    free(b->strings);
    free(b->names);
    free(b->dims);
    free(b->raw);
}

/* Room for everything the description needs: per layer a Gemm and an
 * activation (3 + 1 attributes), W and b; 4 scaling nodes and tensors. */
static mlp_status builder_alloc(struct builder *b, const struct mlp__onnx_net *d)
{
    size_t L = d->n_layers, values = 0;
    size_t n0 = d->layers[0].n_in, nL = d->layers[L - 1].n_out;
    for (size_t l = 0; l < L; l++)
        values += (d->layers[l].n_in + 1) * d->layers[l].n_out;
    values += 2 * (n0 + nL);
    size_t nodes = 4 + 2 * L, tensors = 4 + 2 * L, attrs = 4 * L;
    size_t names = 2 * nodes + tensors;
    if (values > SIZE_MAX / b->elem_size)
        return MLP_ERR_NOMEM;
    b->nodes = calloc(nodes, sizeof *b->nodes);
    b->node_list = calloc(nodes, sizeof *b->node_list);
    b->tensors = calloc(tensors, sizeof *b->tensors);
    b->tensor_list = calloc(tensors, sizeof *b->tensor_list);
    b->attrs = calloc(attrs, sizeof *b->attrs);
    b->attr_list = calloc(attrs, sizeof *b->attr_list);
    b->strings = calloc(4 * nodes, sizeof *b->strings);
    b->names = calloc(names, sizeof *b->names);
    b->dims = calloc(2 * tensors, sizeof *b->dims);
    b->raw = malloc(values * b->elem_size);
    if (!b->nodes || !b->node_list || !b->tensors || !b->tensor_list ||
        !b->attrs || !b->attr_list || !b->strings || !b->names || !b->dims ||
        !b->raw) {
        builder_free(b);
        return MLP_ERR_NOMEM;
    }
    return MLP_OK;
}

static void gemm_attrs(struct builder *b, Onnx__NodeProto *n)
{
    static char alpha[] = "alpha", beta[] = "beta", trans_b[] = "transB";
    n->attribute = &b->attr_list[b->n_attrs];
    n->n_attribute = 3;
    attr(b, alpha, ATTR_FLOAT)->f = 1.0f;
    attr(b, beta, ATTR_FLOAT)->f = 1.0f;
    Onnx__AttributeProto *t = attr(b, trans_b, ATTR_INT);
    t->has_i = 1;
    t->i = 1;
    n->attribute[0]->has_f = n->attribute[1]->has_f = 1;
}

static void layer(struct builder *b, const struct mlp__onnx_layer *layer, size_t l)
{
    static const char *const ops[] = {"Sigmoid", "Tanh", "Relu", NULL, "Softmax"};
    static const char *const prefixes[] = {"sigmoid", "tanh", "relu", NULL, "softmax"};
    static char axis[] = "axis";
    char *W = name(b, "W", l), *bias = name(b, "b", l);
    tensor(b, W, layer->n_out, layer->n_in, layer->W);
    tensor(b, bias, 0, layer->n_out, layer->b);
    gemm_attrs(b, node(b, "Gemm", "gemm", l, W, bias, "z"));
    if (layer->act == MLP_IDENTITY)
        return;
    Onnx__NodeProto *n = node(b, ops[layer->act], prefixes[layer->act], l, NULL,
                              NULL, "a");
    if (layer->act == MLP_SOFTMAX) {
        n->attribute = &b->attr_list[b->n_attrs];
        n->n_attribute = 1;
        Onnx__AttributeProto *a = attr(b, axis, ATTR_INT);
        a->has_i = 1;
        a->i = 1;
    }
}

/* The nodes and initializers; the last node's output becomes "output". */
static void nodes(struct builder *b, const struct mlp__onnx_net *d)
{
    size_t n0 = d->layers[0].n_in, nL = d->layers[d->n_layers - 1].n_out;
    b->cur = "input";
    if (d->in_mean || d->in_std) {
        char *mean = name(b, "in_mean", 0), *std = name(b, "in_std", 0);
        tensor(b, mean, 0, n0, d->in_mean);
        tensor(b, std, 0, n0, d->in_std);
        node(b, "Sub", "in_sub", 0, mean, NULL, "input_centred");
        node(b, "Div", "in_div", 0, std, NULL, "input_scaled");
    }
    for (size_t l = 0; l < d->n_layers; l++)
        layer(b, &d->layers[l], l + 1);
    if (d->out_mean || d->out_std) {
        char *mean = name(b, "out_mean", 0), *std = name(b, "out_std", 0);
        tensor(b, std, 0, nL, d->out_std);
        tensor(b, mean, 0, nL, d->out_mean);
        node(b, "Mul", "out_mul", 0, std, NULL, "output_scaled");
        node(b, "Add", "out_add", 0, mean, NULL, "output_shifted");
    }
    snprintf(b->node_list[b->n_nodes - 1]->output[0], NAME_LEN, "output");
}

/* A value [batch, width] of the builder's element type. */
struct io {
    Onnx__ValueInfoProto info;
    Onnx__ValueInfoProto *list[1];
    Onnx__TypeProto type;
    Onnx__TypeProto__Tensor tensor;
    Onnx__TensorShapeProto shape;
    Onnx__TensorShapeProto__Dimension dim[2];
    Onnx__TensorShapeProto__Dimension *dims[2];
};

static void io(struct io *v, const char *vname, size_t width, int elem_type)
{
    static char batch[] = "batch";
    onnx__value_info_proto__init(&v->info);
    onnx__type_proto__init(&v->type);
    onnx__type_proto__tensor__init(&v->tensor);
    onnx__tensor_shape_proto__init(&v->shape);
    for (int i = 0; i < 2; i++) {
        onnx__tensor_shape_proto__dimension__init(&v->dim[i]);
        v->dims[i] = &v->dim[i];
    }
    v->dim[0].dim_param = batch;
    v->dim[1].has_dim_value = 1;
    v->dim[1].dim_value = (int64_t)width;
    v->shape.n_dim = 2;
    v->shape.dim = v->dims;
    v->tensor.has_elem_type = 1;
    v->tensor.elem_type = elem_type;
    v->tensor.shape = &v->shape;
    v->type.tensor_type = &v->tensor;
    v->info.name = (char *)vname;
    v->info.type = &v->type;
    v->list[0] = &v->info;
}

mlp_status mlp__onnx_write(const struct mlp__onnx_net *d, int elem_type,
                           unsigned char **out, size_t *out_size)
{
    static char producer[] = "libmlp", graph_name[] = "mlp", domain[] = "";
    struct builder b = {.elem_type = elem_type,
                        .elem_size = elem_type == MLP__ONNX_FLOAT ? 4 : 8};
    mlp_status s = builder_alloc(&b, d);
    if (s != MLP_OK)
        return s;
    nodes(&b, d);
    size_t n0 = d->layers[0].n_in, nL = d->layers[d->n_layers - 1].n_out;
    struct io in, output;
    io(&in, "input", n0, elem_type);
    io(&output, "output", nL, elem_type);

    Onnx__GraphProto graph;
    onnx__graph_proto__init(&graph);
    graph.name = graph_name;
    graph.n_node = b.n_nodes;
    graph.node = b.node_list;
    graph.n_initializer = b.n_tensors;
    graph.initializer = b.tensor_list;
    graph.n_input = graph.n_output = 1;
    graph.input = in.list;
    graph.output = output.list;

    Onnx__OperatorSetIdProto opset, *opsets[1] = {&opset};
    onnx__operator_set_id_proto__init(&opset);
    opset.domain = domain;
    opset.has_version = 1;
    opset.version = OPSET;

    Onnx__ModelProto model;
    onnx__model_proto__init(&model);
    model.has_ir_version = 1;
    model.ir_version = IR_VERSION;
    model.producer_name = producer;
    model.producer_version = (char *)mlp_version();
    model.graph = &graph;
    model.n_opset_import = 1;
    model.opset_import = opsets;

    *out_size = onnx__model_proto__get_packed_size(&model);
    *out = malloc(*out_size ? *out_size : 1);
    if (*out)
        onnx__model_proto__pack(&model, *out);
    builder_free(&b);
    return *out ? MLP_OK : MLP_ERR_NOMEM;
}

/* Writes data to a file replacing path (lib/atomic_file.h, as mlp_save):
 * the old file stays whole until the new one is complete and on disk;
 * only a regular file is replaced (renaming over a device or a FIFO would
 * put a regular file in its place); a link is kept and the file it names
 * replaced; the mode of the file replaced is kept, and a new file gets
 * 0644. A crash may leave a .mlp-onnx-XXXXXX file behind where the
 * system has no O_TMPFILE. */
static mlp_status write_file(const char *path, const unsigned char *data, size_t size)
{
    struct mlp__atomic_file *f = malloc(sizeof *f);
    if (!f)
        return MLP_ERR_NOMEM;
    mlp_status s = MLP_ERR_IO;
    if (mlp__atomic_begin(f, path, ".mlp-onnx-", 0644) == MLP__ATOMIC_OK) {
        if (mlp__atomic_write(f, data, size))
            s = mlp__atomic_commit(f) == MLP__ATOMIC_OK ? MLP_OK : MLP_ERR_IO;
        else
            mlp__atomic_abort(f);
    }
    free(f);
    return s;
}

/* Whether every weight and bias is finite (a scaling always is): the
 * importer refuses a model with a NaN or an infinity, as mlp_load does. */
static bool all_finite(const struct mlp__onnx_net *d)
{
    for (size_t l = 0; l < d->n_layers; l++) {
        const struct mlp__onnx_layer *layer = &d->layers[l];
        for (size_t i = 0; i < layer->n_out * layer->n_in; i++)
            if (!isfinite(layer->W[i]))
                return false;
        for (size_t i = 0; layer->b && i < layer->n_out; i++)
            if (!isfinite(layer->b[i]))
                return false;
    }
    return true;
}

/* Writes the description (then clears it) with tensors of elem_type. */
static mlp_status export_described(struct mlp__onnx_net *d, int elem_type,
                                   const char *path)
{
    unsigned char *data = NULL;
    size_t size = 0;
    mlp_status s = all_finite(d) ? mlp__onnx_write(d, elem_type, &data, &size)
                                 : MLP_ERR_NONFINITE;
    mlp__onnx_net_clear(d);
    if (s == MLP_OK)
        s = write_file(path, data, size);
    free(data);
    return s;
}

mlp_status mlp_onnx_export(const mlp_t *net, const char *path)
{
    if (!net || !path)
        return MLP_ERR_ARG;
    struct mlp__onnx_net d;
    mlp_status s = mlp__onnx_describe(net, &d);
    return s == MLP_OK ? export_described(&d, MLP__ONNX_DOUBLE, path) : s;
}

mlp_status mlpf_onnx_export(const mlpf_t *net, const char *path)
{
    if (!net || !path)
        return MLP_ERR_ARG;
    struct mlp__onnx_net d;
    mlp_status s = mlp__onnxf_describe(net, &d);
    return s == MLP_OK ? export_described(&d, MLP__ONNX_FLOAT, path) : s;
}
