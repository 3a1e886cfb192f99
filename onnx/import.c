/* import.c - reading an ONNX model into a network.
 *
 * The bytes are untrusted. protobuf-c allocates while it parses, in
 * proportion to what the message declares; every allocation goes through
 * an allocator with a budget tied to the input size, so that no input can
 * make the parser ask for more than a fixed multiple of its size. A real
 * model needs about its own size (raw weights are copied once) and at most
 * 8 times it (packed 1-byte varints unpacked to 8-byte integers). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "mlp_onnx.h"

struct budget {
    size_t left;
    bool exceeded;     /* a request went over the budget */
    bool failed;       /* malloc itself failed */
};

/* Each block carries its size in a header as large as max_align_t. */
typedef union {
    size_t size;
    max_align_t align;
} block_header;

static void *budget_alloc(void *data, size_t size)
{
    struct budget *b = data;
    if (size > b->left || b->left - size < sizeof(block_header)) {
        b->exceeded = true;
        return NULL;
    }
    block_header *h = malloc(sizeof *h + size);
    if (!h) {
        b->failed = true;
        return NULL;
    }
    h->size = sizeof *h + size;
    b->left -= h->size;
    return h + 1;
}

static void budget_free(void *data, void *ptr)
{
    struct budget *b = data;
    if (!ptr)
        return;
    block_header *h = (block_header *)ptr - 1;
    b->left += h->size;
    free(h);
}

/* The default-domain opset the model imports; refuses others. */
static mlp_status check_model(const Onnx__ModelProto *m, long *opset,
                              struct mlp__onnx_why *why)
{
    *opset = -1;
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const char *d = m->opset_import[i]->domain;
        if (!d || !d[0] || strcmp(d, "ai.onnx") == 0)
            *opset = m->opset_import[i]->version;
    }
    if (*opset == -1) {
        mlp__onnx_why(why, "the model imports no opset of the default ONNX "
                      "domain; opsets 7 to 21 are read");
        return MLP_ERR_FORMAT;
    }
    if (*opset < 7 || *opset > 21) {
        mlp__onnx_why(why, "the model imports the default ONNX domain at opset "
                      "%ld; opsets 7 to 21 are read", *opset);
        return MLP_ERR_FORMAT;
    }
    if (!m->graph) {
        mlp__onnx_why(why, "the model has no graph");
        return MLP_ERR_FORMAT;
    }
    return MLP_OK;
}

mlp_status mlp__onnx_parse(const void *data, size_t size,
                           struct mlp__onnx_net *d, struct mlp__onnx_why *why)
{
    enum { FACTOR = MLP__ONNX_BUDGET_FACTOR, EXTRA = MLP__ONNX_BUDGET_EXTRA };
    size_t limit = size > (SIZE_MAX - EXTRA) / FACTOR ? SIZE_MAX
                                                      : size * FACTOR + EXTRA;
    struct budget b = {.left = limit};
    ProtobufCAllocator allocator = {budget_alloc, budget_free, &b};
    Onnx__ModelProto *m = onnx__model_proto__unpack(&allocator, size, data);
    if (!m) {
        if (b.failed)
            return MLP_ERR_NOMEM;
        if (b.exceeded)
            mlp__onnx_why(why, "the model needs more memory to parse than %d "
                          "times its size: not a real model", FACTOR);
        else
            mlp__onnx_why(why, "not an ONNX model: the protobuf encoding is "
                          "invalid or truncated");
        return MLP_ERR_FORMAT;
    }
    long opset;
    mlp_status s = check_model(m, &opset, why);
    if (s == MLP_OK)
        s = mlp__onnx_graph(m->graph, opset, limit, d, why);
    onnx__model_proto__free_unpacked(m, &allocator);
    return s;
}

static void why_start(struct mlp__onnx_why *w, char *buf, size_t size)
{
    w->buf = buf;
    w->size = buf ? size : 0;
    w->set = false;
    if (w->size)
        buf[0] = '\0';
}

/* The network an import makes: at most one of the two is set (neither when
 * the caller passed a NULL network). */
struct target {
    mlp_t **net;
    mlpf_t **netf;
};

static bool target_start(struct target t)
{
    if (t.net)
        *t.net = NULL;
    if (t.netf)
        *t.netf = NULL;
    return t.net || t.netf;
}

static mlp_status import_buffer(struct target t, const void *data, size_t size,
                                mlp_loss loss, char *why, size_t why_size)
{
    struct mlp__onnx_why w;
    why_start(&w, why, why_size);
    bool have_net = target_start(t);
    if (!have_net || (!data && size > 0)) {
        mlp__onnx_why(&w, "%s is NULL", have_net ? "data" : "net");
        return MLP_ERR_ARG;
    }
    struct mlp__onnx_net d = {0};
    mlp_status s = mlp__onnx_parse(size ? data : "", size, &d, &w);
    if (s == MLP_OK && t.net)
        s = mlp__onnx_build(t.net, &d, loss, &w);
    else if (s == MLP_OK)
        s = mlp__onnxf_build(t.netf, &d, loss, &w);
    mlp__onnx_net_clear(&d);
    if (s == MLP_ERR_NOMEM)
        mlp__onnx_why(&w, "out of memory");
    return s;
}

mlp_status mlp_onnx_import_buffer(mlp_t **net, const void *data, size_t size,
                                  mlp_loss loss, char *why, size_t why_size)
{
    return import_buffer((struct target){net, NULL}, data, size, loss, why,
                         why_size);
}

mlp_status mlpf_onnx_import_buffer(mlpf_t **net, const void *data, size_t size,
                                   mlp_loss loss, char *why, size_t why_size)
{
    return import_buffer((struct target){NULL, net}, data, size, loss, why,
                         why_size);
}

/* The whole file in a malloc'ed buffer. */
static mlp_status read_file(const char *path, unsigned char **out, size_t *size,
                            struct mlp__onnx_why *w)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        mlp__onnx_why(w, "cannot open the file");
        return MLP_ERR_IO;
    }
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    mlp_status s = buf ? MLP_OK : MLP_ERR_NOMEM;
    while (s == MLP_OK) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        unsigned char *grown = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
        if (!grown)
            s = MLP_ERR_NOMEM;
        else
            buf = grown, cap *= 2;
    }
    if (s == MLP_OK && ferror(f)) {
        mlp__onnx_why(w, "cannot read the file");
        s = MLP_ERR_IO;
    }
    fclose(f);
    if (s != MLP_OK)
        free(buf);
    else
        *out = buf, *size = n;
    return s;
}

static mlp_status import_file(struct target t, const char *path, mlp_loss loss,
                              char *why, size_t why_size)
{
    struct mlp__onnx_why w;
    why_start(&w, why, why_size);
    bool have_net = target_start(t);
    if (!have_net || !path) {
        mlp__onnx_why(&w, "%s is NULL", have_net ? "path" : "net");
        return MLP_ERR_ARG;
    }
    unsigned char *data = NULL;
    size_t size = 0;
    mlp_status s = read_file(path, &data, &size, &w);
    if (s == MLP_OK) {
        s = import_buffer(t, data, size, loss, why, why_size);
        free(data);
    } else if (s == MLP_ERR_NOMEM) {
        mlp__onnx_why(&w, "out of memory");
    }
    return s;
}

mlp_status mlp_onnx_import(mlp_t **net, const char *path, mlp_loss loss,
                           char *why, size_t why_size)
{
    return import_file((struct target){net, NULL}, path, loss, why, why_size);
}

mlp_status mlpf_onnx_import(mlpf_t **net, const char *path, mlp_loss loss,
                            char *why, size_t why_size)
{
    return import_file((struct target){NULL, net}, path, loss, why, why_size);
}
