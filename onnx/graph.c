/* graph.c - following a graph from its input to its output, mapping each
 * node onto the layers and scalings of a perceptron.
 *
 * Names are looked up in two sorted tables (where each value is defined,
 * and where it is used), so a graph of n nodes costs O(n log n) whatever
 * its shape. The data path must be a chain: every value on it feeds
 * exactly one node input, and every node of the graph is either on it or
 * computes a constant (a Transpose or Identity of an initializer). */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

enum def_kind { DEF_INPUT, DEF_INIT, DEF_NODE };
struct def {
    const char *name;
    enum def_kind kind;
    size_t index;
};
struct use {
    const char *name;
    size_t node;
};

/* Where the data is: before the first layer, among the layers, after the
 * output Mul, after the output Add. */
enum phase { PRE, LAYERS, POST_STD, POST_MEAN };

struct walk {
    const Onnx__GraphProto *g;
    long opset;
    struct mlp__onnx_why *why;
    struct mlp__onnx_net *d;
    struct def *defs;
    size_t n_defs;
    struct use *uses;
    size_t n_uses;
    bool *visited;
    const char *input, *output;
    const Onnx__NodeProto *node;  /* the node being mapped, for reasons */
    size_t node_index;
    const char *cur;              /* the value the data is in */
    size_t rank, width;           /* its rank, and features (0: unknown) */
    size_t flat_width;            /* the features after a Flatten (axis 1) */
    enum phase phase;
    bool bias_open;               /* the last layer may still get an Add bias */
    bool act_set;                 /* the last layer has its activation */
    size_t budget;                /* bytes the decoded constants may still take */
    size_t hops_left;             /* Identity/Transpose steps left to constants */
    /* Scalings as found (1 or `width` values), expanded at the end, when
     * the layers have fixed n_0 and n_L from data actually present. */
    struct mlp__onnx_mat in_mean, in_std, out_mean, out_std;
};

static mlp_status refuse(struct walk *w, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* A reason prefixed with the node being mapped, when there is one. */
static mlp_status refuse(struct walk *w, const char *fmt, ...)
{
    char text[256], name[MLP__ONNX_NAME_MAX], op[MLP__ONNX_NAME_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (!w->node) {
        mlp__onnx_why(w->why, "%s", text);
    } else if (w->node->name && w->node->name[0]) {
        mlp__onnx_why(w->why, "node '%s' (%s): %s", mlp__onnx_name(name, w->node->name),
                      mlp__onnx_name(op, w->node->op_type), text);
    } else {
        mlp__onnx_why(w->why, "node #%zu (%s): %s", w->node_index,
                      mlp__onnx_name(op, w->node->op_type), text);
    }
    return MLP_ERR_FORMAT;
}

static int cmp_def(const void *a, const void *b)
{
    return strcmp(((const struct def *)a)->name, ((const struct def *)b)->name);
}

static int cmp_use(const void *a, const void *b)
{
    const struct use *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->node > y->node) - (x->node < y->node);
}

/* First index in the sorted table whose name is >= name. */
#define LOWER_BOUND(table, n, key)                                            \
    do {                                                                      \
        size_t lo_ = 0, hi_ = (n);                                            \
        while (lo_ < hi_) {                                                   \
            size_t mid_ = lo_ + (hi_ - lo_) / 2;                              \
            if (strcmp((table)[mid_].name, (key)) < 0)                        \
                lo_ = mid_ + 1;                                               \
            else                                                              \
                hi_ = mid_;                                                   \
        }                                                                     \
        result_ = lo_;                                                        \
    } while (0)

/* The definition of name among the first n (sorted) entries. */
static const struct def *find_def_in(const struct walk *w, size_t n,
                                     const char *name)
{
    size_t result_;
    LOWER_BOUND(w->defs, n, name);
    if (result_ < n && strcmp(w->defs[result_].name, name) == 0)
        return &w->defs[result_];
    return NULL;
}

static const struct def *find_def(const struct walk *w, const char *name)
{
    return find_def_in(w, w->n_defs, name);
}

/* The uses of name: *first and the count. */
static size_t find_uses(const struct walk *w, const char *name, size_t *first)
{
    size_t result_, n = 0;
    LOWER_BOUND(w->uses, w->n_uses, name);
    *first = result_;
    while (result_ + n < w->n_uses && strcmp(w->uses[result_ + n].name, name) == 0)
        n++;
    return n;
}

static void add_def(struct walk *w, const char *name, enum def_kind kind,
                    size_t index)
{
    if (name && name[0])
        w->defs[w->n_defs++] = (struct def){name, kind, index};
}

/* Every value defined: initializers, graph inputs that are not also
 * initializers (IR < 4 lists initializers as inputs too), node outputs. */
static void add_defs(struct walk *w)
{
    const Onnx__GraphProto *g = w->g;
    for (size_t i = 0; i < g->n_initializer; i++)
        add_def(w, g->initializer[i]->name, DEF_INIT, i);
    qsort(w->defs, w->n_defs, sizeof *w->defs, cmp_def);
    size_t n_init = w->n_defs;
    for (size_t i = 0; i < g->n_input; i++)
        if (!find_def_in(w, n_init, g->input[i]->name ? g->input[i]->name : ""))
            add_def(w, g->input[i]->name, DEF_INPUT, i);
    for (size_t i = 0; i < g->n_node; i++)
        for (size_t j = 0; j < g->node[i]->n_output; j++)
            add_def(w, g->node[i]->output[j], DEF_NODE, i);
    qsort(w->defs, w->n_defs, sizeof *w->defs, cmp_def);
}

static void add_uses(struct walk *w)
{
    const Onnx__GraphProto *g = w->g;
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *n = g->node[i];
        for (size_t j = 0; j < n->n_input; j++)
            if (n->input[j][0])
                w->uses[w->n_uses++] = (struct use){n->input[j], i};
    }
    qsort(w->uses, w->n_uses, sizeof *w->uses, cmp_use);
}

/* Fills and sorts the tables; refuses a value defined twice. */
static mlp_status index_graph(struct walk *w)
{
    const Onnx__GraphProto *g = w->g;
    size_t n_defs = g->n_input + g->n_initializer, n_uses = 0;
    for (size_t i = 0; i < g->n_node; i++) {
        n_defs += g->node[i]->n_output;
        n_uses += g->node[i]->n_input;
    }
    w->defs = calloc(n_defs ? n_defs : 1, sizeof *w->defs);
    w->uses = calloc(n_uses ? n_uses : 1, sizeof *w->uses);
    w->visited = calloc(g->n_node ? g->n_node : 1, sizeof *w->visited);
    if (!w->defs || !w->uses || !w->visited)
        return MLP_ERR_NOMEM;
    add_defs(w);
    add_uses(w);
    char name[MLP__ONNX_NAME_MAX];
    for (size_t i = 1; i < w->n_defs; i++)
        if (strcmp(w->defs[i - 1].name, w->defs[i].name) == 0)
            return refuse(w, "value '%s' is defined twice",
                          mlp__onnx_name(name, w->defs[i].name));
    return MLP_OK;
}

/* ---- attributes ---- */

enum { ATTR_FLOAT = 1, ATTR_INT = 2, ATTR_TENSOR = 4, ATTR_INTS = 7 };

static const Onnx__AttributeProto *find_attr(const Onnx__NodeProto *n,
                                             const char *name)
{
    for (size_t i = 0; i < n->n_attribute; i++)
        if (n->attribute[i]->name && strcmp(n->attribute[i]->name, name) == 0)
            return n->attribute[i];
    return NULL;
}

/* Refuses an attribute the operator does not have (or that the importer
 * would ignore): its meaning is unknown, so the model is not imported. */
static mlp_status known_attrs(struct walk *w, const char *const *names)
{
    char name[MLP__ONNX_NAME_MAX];
    for (size_t i = 0; i < w->node->n_attribute; i++) {
        const char *a = w->node->attribute[i]->name ? w->node->attribute[i]->name : "";
        size_t k = 0;
        while (names[k] && strcmp(names[k], a) != 0)
            k++;
        if (!names[k])
            return refuse(w, "attribute '%s' is not imported", mlp__onnx_name(name, a));
    }
    return MLP_OK;
}

static mlp_status attr_type(struct walk *w, const Onnx__AttributeProto *a, int type)
{
    char name[MLP__ONNX_NAME_MAX];
    if (a->has_type && a->type != type)
        return refuse(w, "attribute '%s' has type %d, expected %d",
                      mlp__onnx_name(name, a->name), (int)a->type, type);
    return MLP_OK;
}

static mlp_status attr_int(struct walk *w, const char *name, int64_t def, int64_t *v)
{
    const Onnx__AttributeProto *a = find_attr(w->node, name);
    *v = a ? a->i : def;
    return a ? attr_type(w, a, ATTR_INT) : MLP_OK;
}

static mlp_status attr_float(struct walk *w, const char *name, double def, double *v)
{
    const Onnx__AttributeProto *a = find_attr(w->node, name);
    *v = a ? a->f : def;
    return a ? attr_type(w, a, ATTR_FLOAT) : MLP_OK;
}

/* ---- constants ---- */

/* What a Transpose node n does: perm absent reverses the axes (a swap for
 * rank 2, nothing below); [1, 0] swaps; [0, 1], [0] and [] do nothing.
 * A perm also fixes the rank of the tensor: *rank is set to its length
 * (and must agree with any earlier one). */
static mlp_status transpose_perm(struct walk *w, const Onnx__NodeProto *n,
                                 bool *swap, long *rank)
{
    const Onnx__AttributeProto *a = find_attr(n, "perm");
    *swap = true;
    if (!a)
        return MLP_OK;
    if (attr_type(w, a, ATTR_INTS) != MLP_OK)
        return MLP_ERR_FORMAT;
    size_t r = a->n_ints;
    bool identity = r <= 2, reverse = r <= 2;
    for (size_t i = 0; i < r && identity + reverse; i++) {
        identity = identity && a->ints[i] == (int64_t)i;
        reverse = reverse && a->ints[i] == (int64_t)(r - 1 - i);
    }
    if ((!identity && !reverse) || (*rank >= 0 && *rank != (long)r))
        return refuse(w, "perm is not a permutation of the axes of a weight");
    *rank = (long)r;
    *swap = !identity;
    return MLP_OK;
}

static bool is_default_domain(const char *domain)
{
    return !domain || !domain[0] || strcmp(domain, "ai.onnx") == 0;
}

/* Whether node n's operator is called op (in any domain). */
static bool op_named(const Onnx__NodeProto *n, const char *op)
{
    return n->op_type && strcmp(n->op_type, op) == 0;
}

/* One step back from a constant computed by node `index`: Identity or
 * Transpose of one input, which becomes *name. */
static mlp_status constant_step(struct walk *w, size_t index, const char **name,
                                bool *transpose, long *rank)
{
    static const char *const transpose_attrs[] = {"perm", NULL}, *const none[] = {NULL};
    const Onnx__NodeProto *n = w->g->node[index];
    const Onnx__NodeProto *outer = w->node;
    size_t outer_index = w->node_index;
    w->node = n;
    w->node_index = index;
    bool is_t = op_named(n, "Transpose"), is_id = op_named(n, "Identity");
    mlp_status s = MLP_OK;
    if ((!is_t && !is_id) || !is_default_domain(n->domain))
        s = refuse(w, "computes a weight from the data or with an operator "
                   "other than Constant, Transpose or Identity");
    else if (n->n_input != 1 || n->n_output != 1)
        s = refuse(w, "has %zu inputs and %zu outputs, expected 1 and 1",
                   n->n_input, n->n_output);
    else
        s = known_attrs(w, is_t ? transpose_attrs : none);
    bool swap = false;
    if (s == MLP_OK && is_t)
        s = transpose_perm(w, n, &swap, rank);
    if (s == MLP_OK) {
        w->visited[index] = true;
        *transpose ^= swap;
        *name = n->input[0];
        w->node = outer;
        w->node_index = outer_index;
    }
    return s;
}

/* Decodes the initializer t, counting its doubles against the budget: a
 * weight shared by many layers is decoded once for each. */
static mlp_status decode(struct walk *w, const Onnx__TensorProto *t,
                         bool transpose, struct mlp__onnx_mat *m)
{
    mlp_status s = mlp__onnx_tensor(t, transpose, m, w->why);
    if (s != MLP_OK)
        return s;
    size_t bytes = m->rows * m->cols * sizeof *m->v;
    if (bytes > w->budget) {
        free(m->v);
        m->v = NULL;
        return refuse(w, "the weights take more memory as doubles than %d "
                      "times the model's size (a weight shared by many layers)",
                      MLP__ONNX_BUDGET_FACTOR);
    }
    w->budget -= bytes;
    return MLP_OK;
}

/* The `value` tensor of the Constant node `index`, decoded as an
 * initializer would be (what torch.onnx.export writes for a tensor that
 * is neither a parameter nor a buffer: a Python number, a plain tensor
 * attribute). Its reasons name the tensor after the node's output. */
static mlp_status constant_node(struct walk *w, size_t index, bool transpose,
                                long rank, struct mlp__onnx_mat *m)
{
    static const char *const attrs[] = {"value", NULL};
    const Onnx__NodeProto *n = w->g->node[index], *outer = w->node;
    size_t outer_index = w->node_index;
    w->node = n;
    w->node_index = index;
    const Onnx__AttributeProto *a = find_attr(n, "value");
    mlp_status s = known_attrs(w, attrs);
    if (s == MLP_OK && (n->n_input != 0 || n->n_output != 1))
        s = refuse(w, "has %zu inputs and %zu outputs, expected 0 and 1",
                   n->n_input, n->n_output);
    if (s == MLP_OK && a)
        s = attr_type(w, a, ATTR_TENSOR);
    if (s == MLP_OK && (!a || !a->t))
        s = refuse(w, "has no 'value' tensor");
    if (s == MLP_OK && rank >= 0 && (size_t)rank != a->t->n_dims)
        s = refuse(w, "a Transpose perm does not match the rank of its value");
    if (s != MLP_OK)
        return s;
    w->visited[index] = true;
    w->node = outer;
    w->node_index = outer_index;
    Onnx__TensorProto t = *a->t;
    t.name = n->output[0];
    return decode(w, &t, transpose, m);
}

/* The constant called name (transposed when `transpose`): an initializer
 * or a Constant node, through any number of Transpose and Identity
 * nodes. */
static mlp_status constant(struct walk *w, const char *name, bool transpose,
                           struct mlp__onnx_mat *m)
{
    char shown[MLP__ONNX_NAME_MAX];
    long rank = -1;
    for (size_t hops = 0; hops <= w->g->n_node; hops++) {
        const struct def *def = find_def(w, name);
        if (!def)
            return refuse(w, "input '%s' is not defined in the graph",
                          mlp__onnx_name(shown, name));
        if (def->kind == DEF_INPUT)
            return refuse(w, "input '%s' is a graph input where a constant is "
                          "expected", mlp__onnx_name(shown, name));
        if (def->kind == DEF_INIT) {
            const Onnx__TensorProto *t = w->g->initializer[def->index];
            if (rank >= 0 && (size_t)rank != t->n_dims)
                return refuse(w, "a Transpose perm does not match the rank of '%s'",
                              mlp__onnx_name(shown, name));
            return decode(w, t, transpose, m);
        }
        const Onnx__NodeProto *d = w->g->node[def->index];
        if (op_named(d, "Constant") && is_default_domain(d->domain))
            return constant_node(w, def->index, transpose, rank, m);
        if (w->hops_left-- == 0)
            return refuse(w, "the weights are reached through more Identity and "
                          "Transpose steps in all than twice the node count (a "
                          "chain of them shared by many layers)");
        mlp_status s = constant_step(w, def->index, &name, &transpose, &rank);
        if (s != MLP_OK)
            return s;
    }
    return refuse(w, "the constant '%s' is defined by a cycle of nodes",
                  mlp__onnx_name(shown, name));
}

/* ---- the operators of the data path ---- */

/* The constant name as a per-feature row of `width` values or one value
 * for all (shapes [], [1], [n], [1, 1], [1, n]); width 0 is unknown. */
static mlp_status feature_row(struct walk *w, const char *name, size_t width,
                              struct mlp__onnx_mat *m)
{
    char shown[MLP__ONNX_NAME_MAX];
    mlp_status s = constant(w, name, false, m);
    if (s != MLP_OK)
        return s;
    if (m->rows != 1 || (m->cols != 1 && width && m->cols != width)) {
        s = refuse(w, "constant '%s' (%zu x %zu) does not broadcast over %zu "
                   "features", mlp__onnx_name(shown, name), m->rows, m->cols, width);
        free(m->v);
        m->v = NULL;
    }
    return s;
}

/* A row of n values from m (1 value broadcast, or n). m is consumed. */
static double *expand(struct mlp__onnx_mat *m, size_t n)
{
    double *v = malloc(n * sizeof *v);
    for (size_t i = 0; v && i < n; i++)
        v[i] = m->v[m->cols == 1 ? 0 : i];
    free(m->v);
    m->v = NULL;
    return v;
}

/* A new layer with weights W (n_out x n_in, taken) scaled by alpha. */
static mlp_status push_layer(struct walk *w, struct mlp__onnx_mat *W, double alpha)
{
    if (W->rank != 2) {
        free(W->v);
        return refuse(w, "the weight has rank %zu, expected 2", W->rank);
    }
    if (w->width && w->width != W->cols) {
        free(W->v);
        return refuse(w, "takes %zu features but receives %zu (the shapes do "
                      "not chain)", W->cols, w->width);
    }
    struct mlp__onnx_layer *prev = w->d->n_layers ? &w->d->layers[w->d->n_layers - 1] : NULL;
    if (prev && prev->act == MLP_SOFTMAX) {
        free(W->v);
        return refuse(w, "a layer after a Softmax: Softmax must end the network");
    }
    struct mlp__onnx_layer *layer = mlp__onnx_net_push(w->d);
    if (!layer) {
        free(W->v);
        return MLP_ERR_NOMEM;
    }
    layer->n_out = W->rows;
    layer->n_in = W->cols;
    layer->W = W->v;
    W->v = NULL;
    for (size_t i = 0; alpha != 1.0 && i < W->rows * W->cols; i++) {
        layer->W[i] *= alpha;
        if (!isfinite(layer->W[i]))
            return refuse(w, "alpha = %g times a weight is not finite", alpha);
    }
    w->width = layer->n_out;
    w->phase = LAYERS;
    w->act_set = false;
    return MLP_OK;
}

/* Sets the last layer's bias from the constant name, times beta. */
static mlp_status set_bias(struct walk *w, const char *name, double beta)
{
    struct mlp__onnx_layer *layer = &w->d->layers[w->d->n_layers - 1];
    struct mlp__onnx_mat m;
    mlp_status s = feature_row(w, name, layer->n_out, &m);
    if (s != MLP_OK)
        return s;
    layer->b = expand(&m, layer->n_out);
    if (!layer->b)
        return MLP_ERR_NOMEM;
    for (size_t i = 0; beta != 1.0 && i < layer->n_out; i++) {
        layer->b[i] *= beta;
        if (!isfinite(layer->b[i]))
            return refuse(w, "beta = %g times a bias is not finite", beta);
    }
    w->bias_open = false;
    return MLP_OK;
}

/* Gemm needs data of rank 2; MatMul takes every axis but the last as a
 * batch axis, as nn.Linear does. */
static mlp_status layer_ready(struct walk *w, size_t min_inputs, size_t max_inputs,
                              bool any_rank)
{
    const Onnx__NodeProto *n = w->node;
    if (w->phase > LAYERS)
        return refuse(w, "a layer after the output scaling");
    if (n->n_input < min_inputs || n->n_input > max_inputs)
        return refuse(w, "has %zu inputs", n->n_input);
    if (strcmp(n->input[0], w->cur) != 0)
        return refuse(w, "the data must be the first input");
    if (w->rank != 2 && !any_rank)
        return refuse(w, "the data has rank %zu, expected 2 (a Flatten missing?)",
                      w->rank);
    return MLP_OK;
}

static mlp_status op_gemm(struct walk *w)
{
    static const char *const attrs[] = {"alpha", "beta", "transA", "transB", NULL};
    const Onnx__NodeProto *n = w->node;
    double alpha, beta;
    int64_t trans_a, trans_b;
    mlp_status s = layer_ready(w, 2, 3, false);
    if (s == MLP_OK)
        s = known_attrs(w, attrs);
    if (s == MLP_OK)
        s = attr_float(w, "alpha", 1.0, &alpha);
    if (s == MLP_OK)
        s = attr_float(w, "beta", 1.0, &beta);
    if (s == MLP_OK)
        s = attr_int(w, "transA", 0, &trans_a);
    if (s == MLP_OK)
        s = attr_int(w, "transB", 0, &trans_b);
    if (s != MLP_OK)
        return s;
    if (trans_a != 0)
        return refuse(w, "transA = %lld transposes the data, turning the batch "
                      "into features", (long long)trans_a);
    /* Y = alpha A B' + beta C, B' = B or Bᵀ. The layer's W (n_out x n_in)
     * is B'ᵀ: B as stored when transB = 1, else its transpose. */
    struct mlp__onnx_mat W;
    s = constant(w, n->input[1], trans_b == 0, &W);
    if (s == MLP_OK)
        s = push_layer(w, &W, alpha);
    if (s != MLP_OK)
        return s;
    w->bias_open = n->n_input < 3 || !n->input[2][0];
    return w->bias_open ? MLP_OK : set_bias(w, n->input[2], beta);
}

/* MatMul(data, B) with B n_in x n_out: W = Bᵀ; an Add may follow as bias. */
static mlp_status op_matmul(struct walk *w)
{
    static const char *const attrs[] = {NULL};
    struct mlp__onnx_mat W;
    mlp_status s = layer_ready(w, 2, 2, true);
    if (s == MLP_OK)
        s = known_attrs(w, attrs);
    if (s == MLP_OK)
        s = constant(w, w->node->input[1], true, &W);
    if (s == MLP_OK)
        s = push_layer(w, &W, 1.0);
    w->bias_open = true;
    return s;
}

static mlp_status activation(struct walk *w, mlp_activation act)
{
    static const char *const none[] = {NULL}, *const axis[] = {"axis", NULL};
    if (w->phase == PRE)
        return refuse(w, "an activation before the first Gemm or MatMul");
    if (w->phase > LAYERS)
        return refuse(w, "an activation after the output scaling");
    if (w->act_set)
        return refuse(w, "a second activation on the same layer");
    if (w->node->n_input != 1)
        return refuse(w, "has %zu inputs", w->node->n_input);
    mlp_status s = known_attrs(w, act == MLP_SOFTMAX ? axis : none);
    int64_t a;
    if (s == MLP_OK && act == MLP_SOFTMAX)
        s = attr_int(w, "axis", w->opset >= 13 ? -1 : 1, &a);
    if (s == MLP_OK && act == MLP_SOFTMAX && a != -1 && a != (int64_t)w->rank - 1)
        s = refuse(w, "axis = %lld; only the feature axis (the last) is imported",
                   (long long)a);
    if (s != MLP_OK)
        return s;
    w->d->layers[w->d->n_layers - 1].act = act;
    w->act_set = true;
    w->bias_open = false;
    return MLP_OK;
}

static mlp_status op_relu(struct walk *w) { return activation(w, MLP_RELU); }
static mlp_status op_sigmoid(struct walk *w) { return activation(w, MLP_SIGMOID); }
static mlp_status op_tanh(struct walk *w) { return activation(w, MLP_TANH); }
static mlp_status op_softmax(struct walk *w) { return activation(w, MLP_SOFTMAX); }

static mlp_status op_identity(struct walk *w)
{
    static const char *const none[] = {NULL};
    if (w->node->n_input != 1)
        return refuse(w, "has %zu inputs", w->node->n_input);
    return known_attrs(w, none);
}

/* Flatten(axis) is [d0, d1 * ... ] when axis is 1 (or -1 on rank 2). */
static mlp_status op_flatten(struct walk *w)
{
    static const char *const attrs[] = {"axis", NULL};
    int64_t axis;
    if (w->node->n_input != 1)
        return refuse(w, "has %zu inputs", w->node->n_input);
    mlp_status s = known_attrs(w, attrs);
    if (s == MLP_OK)
        s = attr_int(w, "axis", 1, &axis);
    if (s != MLP_OK)
        return s;
    int64_t r = (int64_t)w->rank, a = axis < 0 ? axis + r : axis;
    if (a != 1)
        return refuse(w, "axis = %lld on data of rank %zu keeps the batch "
                      "from being the first axis", (long long)axis, w->rank);
    if (w->rank > 2 && w->phase != PRE)
        return refuse(w, "a Flatten after the first layer would mix samples "
                      "with features");
    if (w->rank > 2 && (w->in_mean.v || w->in_std.v))
        return refuse(w, "a Flatten after the input scaling changes the "
                      "features it scales");
    if (w->rank > 2)
        w->width = w->flat_width;
    w->rank = 2;
    return MLP_OK;
}

/* The constant operand of a binary node whose other operand is the data;
 * `commutes` lets the data be either. */
static mlp_status binary_operand(struct walk *w, bool commutes, const char **name)
{
    static const char *const none[] = {NULL};
    const Onnx__NodeProto *n = w->node;
    if (n->n_input != 2)
        return refuse(w, "has %zu inputs", n->n_input);
    if (strcmp(n->input[0], w->cur) == 0)
        *name = n->input[1];
    else if (commutes)
        *name = n->input[0];
    else
        return refuse(w, "the data must be the first input");
    return known_attrs(w, none);
}

/* A scaling from the constant name into *slot: not set before, and when
 * `positive`, every value finite and > 0 (a standard deviation). */
static mlp_status scaling(struct walk *w, const char *name, bool positive,
                          struct mlp__onnx_mat *slot)
{
    if (slot->v)
        return refuse(w, "a second scaling of the same kind");
    mlp_status s = feature_row(w, name, w->width, slot);
    for (size_t i = 0; s == MLP_OK && positive && i < slot->cols; i++)
        if (!(slot->v[i] > 0.0))
            s = refuse(w, "a scale of %g: a scaling divides or multiplies by "
                       "values > 0", slot->v[i]);
    if (s == MLP_OK && !w->width && slot->cols > 1)
        w->width = slot->cols;
    return s;
}

/* Sub then Div before the first layer: the input scaling. */
static mlp_status op_sub(struct walk *w)
{
    const char *name = NULL;
    mlp_status s = binary_operand(w, false, &name);
    if (s == MLP_OK && (w->phase != PRE || w->in_std.v))
        s = refuse(w, "a Sub is only imported before the first layer, before "
                   "the Div (the input scaling)");
    return s == MLP_OK ? scaling(w, name, false, &w->in_mean) : s;
}

static mlp_status op_div(struct walk *w)
{
    const char *name = NULL;
    mlp_status s = binary_operand(w, false, &name);
    if (s == MLP_OK && w->phase != PRE)
        s = refuse(w, "a Div is only imported before the first layer (the "
                   "input scaling)");
    return s == MLP_OK ? scaling(w, name, true, &w->in_std) : s;
}

/* Mul then Add after the last layer: the output scaling. */
static mlp_status op_mul(struct walk *w)
{
    const char *name = NULL;
    mlp_status s = binary_operand(w, true, &name);
    if (s == MLP_OK && w->phase != LAYERS)
        s = refuse(w, "a Mul is only imported after the last layer, before "
                   "the Add (the output scaling)");
    if (s == MLP_OK)
        s = scaling(w, name, true, &w->out_std);
    w->phase = POST_STD;
    return s;
}

/* Add: the bias of a MatMul (or of a Gemm without C) right after it, or
 * else the output scaling's mean. */
static mlp_status op_add(struct walk *w)
{
    const char *name = NULL;
    mlp_status s = binary_operand(w, true, &name);
    if (s != MLP_OK)
        return s;
    if (w->phase == LAYERS && w->bias_open)
        return set_bias(w, name, 1.0);
    if (w->phase != LAYERS && w->phase != POST_STD)
        return refuse(w, "an Add is only imported as a bias right after a "
                      "MatMul or as the output scaling after the last layer");
    s = scaling(w, name, false, &w->out_mean);
    w->phase = POST_MEAN;
    return s;
}

struct op {
    const char *name;
    mlp_status (*map)(struct walk *w);
};

static const struct op ops[] = {
    {"Gemm", op_gemm},       {"MatMul", op_matmul},   {"Relu", op_relu},
    {"Sigmoid", op_sigmoid}, {"Tanh", op_tanh},       {"Softmax", op_softmax},
    {"Identity", op_identity}, {"Flatten", op_flatten}, {"Sub", op_sub},
    {"Div", op_div},         {"Mul", op_mul},         {"Add", op_add},
};

/* Maps node `index`, which uses the data, and moves the data to its
 * output. */
static mlp_status step(struct walk *w, size_t index)
{
    const Onnx__NodeProto *n = w->g->node[index];
    w->node = n;
    w->node_index = index;
    if (w->visited[index])
        return refuse(w, "reached twice: the graph has a cycle");
    w->visited[index] = true;
    if (!is_default_domain(n->domain))
        return refuse(w, "an operator of another domain than the default");
    /* The operator first: an unknown one is named as such whatever its
     * outputs (a training-mode Dropout has two). */
    size_t i = 0;
    while (i < sizeof ops / sizeof *ops &&
           !op_named(n, ops[i].name))
        i++;
    if (i == sizeof ops / sizeof *ops)
        return refuse(w, "this operator is not imported; an MLP is Gemm or "
                      "MatMul (+ Add) layers with Relu, Sigmoid, Tanh or Softmax");
    if (n->n_output != 1 || !n->output[0][0])
        return refuse(w, "has %zu outputs, expected 1", n->n_output);
    mlp_status s = ops[i].map(w);
    w->cur = n->output[0];
    return s;
}

/* ---- the graph ---- */

/* The one graph input that is not an initializer, and the one output. */
static mlp_status ends(struct walk *w, const Onnx__ValueInfoProto **in)
{
    const Onnx__GraphProto *g = w->g;
    size_t n_in = 0;
    char name[MLP__ONNX_NAME_MAX];
    for (size_t i = 0; i < w->n_defs; i++) {
        if (w->defs[i].kind == DEF_INPUT) {
            *in = g->input[w->defs[i].index];
            n_in++;
        }
    }
    if (n_in != 1)
        return refuse(w, "the graph has %zu inputs besides its initializers, "
                      "expected 1", n_in);
    if (g->n_output != 1 || !g->output[0]->name || !g->output[0]->name[0])
        return refuse(w, "the graph has %zu outputs, expected 1", g->n_output);
    w->input = (*in)->name;
    w->output = g->output[0]->name;
    const Onnx__TypeProto *t = (*in)->type;
    if (!t || !t->tensor_type || !t->tensor_type->shape)
        return refuse(w, "input '%s' is not a tensor of known rank",
                      mlp__onnx_name(name, w->input));
    int e = t->tensor_type->has_elem_type ? t->tensor_type->elem_type : 0;
    if (e != MLP__ONNX_FLOAT && e != MLP__ONNX_DOUBLE)
        return refuse(w, "input '%s' has element type %d; FLOAT (1) or DOUBLE "
                      "(11) is imported", mlp__onnx_name(name, w->input), e);
    return MLP_OK;
}

/* The rank of the input and its features: the last dimension, or after a
 * Flatten the product of all but the first (0 when one of them is not a
 * number). */
static mlp_status input_shape(struct walk *w, const Onnx__TensorShapeProto *shape)
{
    char name[MLP__ONNX_NAME_MAX];
    w->rank = shape->n_dim;
    if (w->rank < 2)
        return refuse(w, "input '%s' has rank %zu; [batch, features] is expected",
                      mlp__onnx_name(name, w->input), w->rank);
    size_t width = 1;
    for (size_t i = 1; i < shape->n_dim; i++) {
        const Onnx__TensorShapeProto__Dimension *dim = shape->dim[i];
        int64_t v = dim->has_dim_value ? dim->dim_value : 0;
        /* A declared size must be a positive count whose product with
         * the others fits: otherwise the check of the first layer's
         * width against it would be skipped. */
        if (dim->has_dim_value &&
            (v <= 0 || (uint64_t)v > SIZE_MAX / (width ? width : 1)))
            return refuse(w, "input '%s' declares a dimension of %lld (or "
                          "more features than a size_t counts)",
                          mlp__onnx_name(name, w->input), (long long)v);
        width *= (size_t)v;
        w->width = (size_t)v;
    }
    w->flat_width = width;
    return MLP_OK;
}

/* The declared output shape, if any, must have the data's rank and n_L
 * features. */
static mlp_status output_shape(struct walk *w)
{
    const Onnx__TypeProto *t = w->g->output[0]->type;
    const Onnx__TensorShapeProto *shape =
        t && t->tensor_type ? t->tensor_type->shape : NULL;
    size_t n_L = w->d->layers[w->d->n_layers - 1].n_out;
    if (!shape)
        return MLP_OK;
    const Onnx__TensorShapeProto__Dimension *last =
        shape->n_dim == w->rank ? shape->dim[shape->n_dim - 1] : NULL;
    if (!last ||
        (last->has_dim_value && (last->dim_value < 0 || (uint64_t)last->dim_value != n_L)))
        return refuse(w, "the output is declared with a shape other than "
                      "[batch, %zu]", n_L);
    return MLP_OK;
}

/* A branch of the data: its value feeds the graph output and a node, or
 * n >= 2 nodes. The reason names the operators of the first two (an
 * activation PyTorch writes as several nodes, such as GELU or SiLU, shows
 * as a branch into them). */
static mlp_status refuse_branch(struct walk *w, size_t first, size_t n)
{
    char name[MLP__ONNX_NAME_MAX], a[MLP__ONNX_NAME_MAX], b[MLP__ONNX_NAME_MAX];
    const Onnx__GraphProto *g = w->g;
    mlp__onnx_name(a, g->node[w->uses[first].node]->op_type);
    if (n == 1)
        snprintf(b, sizeof b, "the graph output");
    else
        mlp__onnx_name(b, g->node[w->uses[first + 1].node]->op_type);
    return refuse(w, "value '%s' feeds more than one place (a branch, into %s "
                  "and %s%s); only a chain of nodes is imported",
                  mlp__onnx_name(name, w->cur), a, b, n > 2 ? " and more" : "");
}

/* Follows the data from the input to the output. */
static mlp_status follow(struct walk *w)
{
    char name[MLP__ONNX_NAME_MAX];
    w->cur = w->input;
    for (;;) {
        size_t first, n = find_uses(w, w->cur, &first);
        if (strcmp(w->cur, w->output) == 0 && n == 0)
            return MLP_OK;
        w->node = NULL;
        if (n > 1 || (n == 1 && strcmp(w->cur, w->output) == 0))
            return refuse_branch(w, first, n);
        if (n == 0)
            return refuse(w, "value '%s' leads nowhere: no node uses it and it "
                          "is not the output", mlp__onnx_name(name, w->cur));
        mlp_status s = step(w, w->uses[first].node);
        if (s != MLP_OK)
            return s;
    }
}

/* After the walk: every node used, at least one layer, and the scalings
 * expanded to n_0 and n_L values. */
static mlp_status finish(struct walk *w)
{
    w->node = NULL;
    if (w->d->n_layers == 0)
        return refuse(w, "no Gemm or MatMul between the input and the output");
    for (size_t i = 0; i < w->g->n_node; i++) {
        if (!w->visited[i]) {
            w->node = w->g->node[i];
            w->node_index = i;
            return refuse(w, "not on the path from the input to the output");
        }
    }
    mlp_status s = output_shape(w);
    if (s != MLP_OK)
        return s;
    size_t n0 = w->d->layers[0].n_in, nL = w->d->layers[w->d->n_layers - 1].n_out;
    struct mlp__onnx_mat *mats[] = {&w->in_mean, &w->in_std, &w->out_mean, &w->out_std};
    double **slots[] = {&w->d->in_mean, &w->d->in_std, &w->d->out_mean, &w->d->out_std};
    for (size_t i = 0; i < 4; i++) {
        size_t n = i < 2 ? n0 : nL;
        if (mats[i]->v && mats[i]->cols != 1 && mats[i]->cols != n)
            return refuse(w, "a scaling of %zu values for %zu features",
                          mats[i]->cols, n);
        if (mats[i]->v && !(*slots[i] = expand(mats[i], n)))
            return MLP_ERR_NOMEM;
    }
    return MLP_OK;
}

mlp_status mlp__onnx_graph(const Onnx__GraphProto *g, long opset, size_t budget,
                           struct mlp__onnx_net *d, struct mlp__onnx_why *why)
{
    size_t hops = g->n_node <= (SIZE_MAX - 2) / 2 ? 2 * g->n_node + 2 : SIZE_MAX;
    struct walk w = {.g = g, .opset = opset, .why = why, .d = d, .phase = PRE,
                     .budget = budget, .hops_left = hops};
    const Onnx__ValueInfoProto *in = NULL;
    mlp_status s = index_graph(&w);
    if (s == MLP_OK)
        s = ends(&w, &in);
    if (s == MLP_OK)
        s = input_shape(&w, in->type->tensor_type->shape);
    if (s == MLP_OK)
        s = follow(&w);
    if (s == MLP_OK)
        s = finish(&w);
    free(w.defs);
    free(w.uses);
    free(w.visited);
    free(w.in_mean.v);
    free(w.in_std.v);
    free(w.out_mean.v);
    free(w.out_std.v);
    if (s != MLP_OK)
        mlp__onnx_net_clear(d);
    return s;
}
