/* codec.c - the model file format in memory: mlp_saved_size,
 * mlp_save_buffer, mlp_load_buffer, the encoder mlp_save streams, and
 * the check of a file's header that mlp_load makes before it reads the
 * file whole.
 *
 * The byte layout is specified in docs/format.md; this file follows it
 * field by field. Everything is little-endian and written byte by byte with
 * shifts, so the host's byte order and struct padding never leak into a
 * file. Decoding trusts nothing: every count is checked against the bytes
 * that remain, with overflow-safe arithmetic, before anything is
 * allocated, and every value is checked before the network is built. */
#include "serialize.h"
#include "alloc.h"
#include "blas.h"
#include "crc32c.h"

#include <math.h>
#include <string.h>

/* PNG's trick: a high byte catches 7-bit transfers, CR LF catches newline
 * translation, ^Z stops `type` on DOS. */
static const unsigned char magic[8] = { 0x89, 'M', 'L', 'P',
                                        0x0d, 0x0a, 0x1a, 0x0a };

enum {
    MAGIC_SIZE = 8,
    /* magic, version, L, sizes[0], one size, one activation, loss,
     * optimizer kind, 5 hyper-parameters, weight decay, t, state count,
     * checksum: no valid file of any version is shorter. */
    MIN_SIZE = 8 + 4 + 4 + 8 + 8 + 4 + 4 + 4 + 5 * 8 + 8 + 8 + 4 + 4,
    CRC_SIZE = 4,
    /* Everything between the version and the scaling in version 2, for
     * L = 0 sizes/activations excluded: element type, L, sizes[0], loss,
     * optimizer, 6 f64, t, S. */
    FIXED_V2 = 4 + 4 + 8 + 4 + 4 + 6 * 8 + 8 + 4,
};

/* How many parameter-sized state vectors the optimizer keeps. */
static uint32_t state_count(enum mlp_optimizer_kind kind, double momentum)
{
    if (kind == MLP_OPT_ADAM)
        return 2;
    return momentum != 0.0 ? 1 : 0;
}

/* ------------------------------------------------------------------------ */
/* Encoding                                                                  */

struct encoder {
    struct mlp__sink *sink;
    uint32_t crc; /* over every byte put so far */
};

static void put(struct encoder *e, const void *data, size_t size)
{
    e->crc = mlp__crc32c(e->crc, data, size);
    e->sink->emit(e->sink, data, size);
}

static void put_u32(struct encoder *e, uint32_t x)
{
    unsigned char b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(x >> (8 * i));
    put(e, b, 4);
}

static void put_u64(struct encoder *e, uint64_t x)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(x >> (8 * i));
    put(e, b, 8);
}

/* The element type this build writes: the network's own. */
#ifdef MLP_SINGLE
#define ELEM_WRITTEN MLP__ELEM_F32
#else
#define ELEM_WRITTEN MLP__ELEM_F64
#endif

/* IEEE-754 binary64, its bits as a little-endian u64. C11 does not promise
 * IEEE doubles; every platform libmlp builds on has them. */
static void put_f64(struct encoder *e, double x)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    put_u64(e, bits);
}

/* n numbers of the model in the network's element type (binary64, or
 * binary32 in the float family), or n zeros when x is NULL (a state
 * vector the optimizer has not allocated yet is all zeros). Staged in a
 * small block so that the sink sees few, large pieces. */
static void put_elems(struct encoder *e, const real *x, size_t n)
{
    enum { W = sizeof(real) };
    unsigned char block[512];
    while (n > 0) {
        size_t k = n < sizeof block / W ? n : sizeof block / W;
        for (size_t i = 0; i < k; i++) {
            real_ubits bits = 0;
            if (x)
                memcpy(&bits, &x[i], sizeof bits);
            for (int j = 0; j < W; j++)
                block[W * i + (size_t)j] = (unsigned char)(bits >> (8 * j));
        }
        put(e, block, W * k);
        x = x ? x + k : NULL;
        n -= k;
    }
}

static void put_optimizer(struct encoder *e, const struct mlp *net)
{
    const struct mlp_optimizer *opt = &net->opt;
    bool adam = opt->kind == MLP_OPT_ADAM;
    put_u32(e, (uint32_t)opt->kind);
    put_f64(e, opt->learning_rate);
    put_f64(e, adam ? 0.0 : opt->momentum);
    put_f64(e, adam ? opt->beta1 : 0.0);
    put_f64(e, adam ? opt->beta2 : 0.0);
    put_f64(e, adam ? opt->epsilon : 0.0);
    put_f64(e, net->weight_decay);
    put_u64(e, adam ? opt->t : 0);
    put_u32(e, state_count(opt->kind, opt->momentum));
}

void mlp__encode(const struct mlp *net, struct mlp__sink *sink)
{
    struct encoder e = { sink, 0 };
    size_t L = net->n_layers, n0 = net->sizes[0], nL = net->sizes[L];
    put(&e, magic, sizeof magic);
    put_u32(&e, MLP__FORMAT_VERSION);
    put_u32(&e, ELEM_WRITTEN);
    put_u32(&e, (uint32_t)L);
    for (size_t l = 0; l <= L; l++)
        put_u64(&e, net->sizes[l]);
    for (size_t l = 1; l <= L; l++)
        put_u32(&e, (uint32_t)net->acts[l - 1]);
    put_u32(&e, (uint32_t)net->loss);
    put_optimizer(&e, net);
    put_elems(&e, net->scaling, 2 * (n0 + nL));
    put_elems(&e, net->params, net->n_params);
    const real *state[2] = { net->opt.m, net->opt.v };
    uint32_t n_state = state_count(net->opt.kind, net->opt.momentum);
    for (uint32_t s = 0; s < n_state; s++)
        put_elems(&e, state[s], net->n_params);
    put_u32(&e, e.crc);
}

size_t mlp_saved_size(const mlp_t *net)
{
    if (!net)
        return 0;
    size_t L = net->n_layers, n0 = net->sizes[0], nL = net->sizes[L];
    size_t vectors = 1 + state_count(net->opt.kind, net->opt.momentum);
    /* The fixed part and the per-layer part are small (L <= INT_MAX);
     * only the parameter block can approach SIZE_MAX. */
    size_t head = MAGIC_SIZE + 4 + FIXED_V2 + 12 * L + CRC_SIZE;
    size_t count, bytes;
    if (!mlp__mul_ok(net->n_params, vectors, &count) ||
        (count += 2 * (n0 + nL)) < 2 * (n0 + nL) ||
        !mlp__mul_ok(count, sizeof(real), &bytes) || bytes + head < bytes)
        return SIZE_MAX;
    return bytes + head;
}

struct buffer_sink {
    struct mlp__sink sink;
    unsigned char *at;
};

static void emit_to_buffer(struct mlp__sink *sink, const unsigned char *bytes,
                           size_t size)
{
    struct buffer_sink *b = (struct buffer_sink *)sink;
    memcpy(b->at, bytes, size);
    b->at += size;
}

mlp_status mlp_save_buffer(const mlp_t *net, void *data, size_t capacity)
{
    if (!net || !data)
        return MLP_ERR_ARG;
    size_t size = mlp_saved_size(net);
    if (size == SIZE_MAX || capacity < size)
        return MLP_ERR_ARG;
    /* Only a caller writing through mlp_params can make a parameter NaN
     * or Inf; mlp_load_buffer would refuse the file. */
    if (isinf(mlp__max_abs(net->params, net->n_params)))
        return MLP_ERR_NONFINITE;
    struct buffer_sink b = { { emit_to_buffer }, data };
    mlp__encode(net, &b.sink);
    return MLP_OK;
}

/* ------------------------------------------------------------------------ */
/* Decoding                                                                  */

/* The input: the bytes at p, then, when the input is a file being judged
 * before it is read whole (mlp__check_header), `later` more that src
 * gives a field at a time. */
struct reader {
    const unsigned char *p;
    size_t left;             /* bytes at p */
    size_t later;            /* bytes after those, from src */
    struct mlp__source *src; /* NULL: every byte is at p */
    unsigned char field[8];  /* the field src gave last */
};

/* Whether the next n (<= 8) bytes are at r->p, fetching them from src
 * when they are not. */
static bool need(struct reader *r, size_t n)
{
    if (r->left >= n)
        return true;
    if (!r->src || r->left != 0 || r->later < n ||
        !r->src->read(r->src, r->field, n))
        return false;
    r->p = r->field;
    r->left = n;
    r->later -= n;
    return true;
}

static size_t remaining(const struct reader *r)
{
    return r->left + r->later;
}

static bool get_u32(struct reader *r, uint32_t *x)
{
    if (!need(r, 4))
        return false;
    *x = 0;
    for (int i = 0; i < 4; i++)
        *x |= (uint32_t)r->p[i] << (8 * i);
    r->p += 4;
    r->left -= 4;
    return true;
}

static bool get_u64(struct reader *r, uint64_t *x)
{
    if (!need(r, 8))
        return false;
    *x = 0;
    for (int i = 0; i < 8; i++)
        *x |= (uint64_t)r->p[i] << (8 * i);
    r->p += 8;
    r->left -= 8;
    return true;
}

static bool get_f64(struct reader *r, double *x)
{
    uint64_t bits;
    if (!get_u64(r, &bits))
        return false;
    memcpy(x, &bits, sizeof *x);
    return true;
}

/* One number of the model in element type `elem`, widened to double
 * (exactly: every binary32 value is a binary64 value). */
static bool get_elem(struct reader *r, uint32_t elem, double *x)
{
    if (elem == MLP__ELEM_F64)
        return get_f64(r, x);
    uint32_t bits;
    float f;
    if (!get_u32(r, &bits))
        return false;
    memcpy(&f, &bits, sizeof f);
    *x = (double)f;
    return true;
}

/* Reads n finite numbers (and, if nonneg, none below zero) into x, in
 * the network's element type: a float file into a double network widens
 * exactly, a double file into a float network rounds to nearest, and a
 * value beyond float's range (rounding to Inf) is refused. */
static bool get_elems(struct reader *r, uint32_t elem, real *x, size_t n,
                      bool nonneg)
{
    for (size_t i = 0; i < n; i++) {
        double d;
        if (!get_elem(r, elem, &d) || !isfinite(d) || (nonneg && d < 0.0))
            return false;
        x[i] = (real)d;
        if (!isfinite(x[i]))
            return false;
    }
    return true;
}

struct header {
    bool keep; /* allocate and fill sizes and acts (else only judge) */
    uint32_t version, elem, n_layers;
    size_t *sizes;
    mlp_activation *acts;
    size_t n0, nL; /* the first and last size */
    mlp_loss loss;
    struct mlp_optimizer opt;
    double weight_decay;
    uint32_t n_state;
    size_t n_params, n_scaling;
};

/* An unused field is +0.0 exactly: -0.0 compares equal to 0.0 but is a
 * second encoding, which saving again would not reproduce. */
static bool unused(double x)
{
    return x == 0.0 && !signbit(x);
}

/* The optimizer's hyper-parameters, under the same rules as mlp_set_sgd
 * and mlp_set_adam (in a float network: also once rounded to float, as the
 * update uses them); fields the optimizer does not use must be +0.0, so
 * that every network has exactly one encoding. A step count of 2^64 - 1
 * could never be incremented (the next step would divide by zero in the
 * bias correction), so it is refused. */
static bool valid_sgd(const struct mlp_optimizer *o)
{
    return mlp__valid_sgd(o->learning_rate, o->momentum) &&
           unused(o->beta1) && unused(o->beta2) && unused(o->epsilon) &&
           o->t == 0;
}

static bool valid_adam(const struct mlp_optimizer *o)
{
    return mlp__valid_adam(o->learning_rate, o->beta1, o->beta2,
                           o->epsilon) &&
           unused(o->momentum) && o->t != UINT64_MAX;
}

static bool valid_optimizer(const struct mlp_optimizer *o)
{
    return o->kind == MLP_OPT_SGD ? valid_sgd(o) : valid_adam(o);
}

/* The L + 1 sizes, each 1..the BLAS index type's maximum, into h->sizes
 * when it is kept, and the number of parameters, counted layer by layer
 * as the sizes come (mlp__add_layer_params: no overflow of size_t). */
static bool get_sizes(struct reader *r, struct header *h)
{
    size_t total = 0, prev = 0;
    for (size_t l = 0; l <= h->n_layers; l++) {
        uint64_t x;
        if (!get_u64(r, &x) || x == 0 || x > mlp__blas_max_dim())
            return false;
        size_t n = (size_t)x;
        if (l > 0 && !mlp__add_layer_params(prev, n, &total))
            return false;
        if (h->sizes)
            h->sizes[l] = n;
        h->n0 = l == 0 ? n : h->n0;
        prev = n;
    }
    h->nL = prev;
    h->n_params = total;
    return h->n_layers <= mlp__blas_max_dim();
}

/* Magic, a known version and the element type. */
static bool read_version(struct reader *r, struct header *h)
{
    if (!need(r, MAGIC_SIZE) || memcmp(r->p, magic, MAGIC_SIZE) != 0)
        return false;
    r->p += MAGIC_SIZE;
    r->left -= MAGIC_SIZE;
    if (!get_u32(r, &h->version) || h->version == 0 ||
        h->version > MLP__FORMAT_VERSION)
        return false;
    h->elem = MLP__ELEM_F64;
    return h->version < 2 ||
           (get_u32(r, &h->elem) && h->elem <= MLP__ELEM_F32);
}

/* Magic, version, element type, L and the sizes; allocates h->sizes and
 * h->acts when h->keep. Each layer needs at least a size (8 bytes) and an
 * activation (4): that bounds the allocations by the input's own size. */
static mlp_status read_shape(struct reader *r, struct header *h)
{
    if (!read_version(r, h) || !get_u32(r, &h->n_layers) ||
        h->n_layers == 0 || h->n_layers > remaining(r) / 12)
        return MLP_ERR_FORMAT;
    size_t L = h->n_layers;
    if (h->keep) {
        h->sizes = mlp__malloc((L + 1) * sizeof *h->sizes);
        h->acts = mlp__malloc(L * sizeof *h->acts);
        if (!h->sizes || !h->acts)
            return MLP_ERR_NOMEM;
    }
    if (!get_sizes(r, h))
        return MLP_ERR_FORMAT;
    h->n_scaling = h->version >= 2 ? 2 * (h->n0 + h->nL) : 0;
    return MLP_OK;
}

/* The optimizer, its hyper-parameters, weight decay and state count. */
static mlp_status read_optimizer(struct reader *r, struct header *h)
{
    struct mlp_optimizer *o = &h->opt;
    uint32_t u;
    if (!get_u32(r, &u) || u > MLP_OPT_ADAM)
        return MLP_ERR_FORMAT;
    o->kind = (enum mlp_optimizer_kind)u;
    if (!get_f64(r, &o->learning_rate) || !get_f64(r, &o->momentum) ||
        !get_f64(r, &o->beta1) || !get_f64(r, &o->beta2) ||
        !get_f64(r, &o->epsilon) || !get_f64(r, &h->weight_decay) ||
        !get_u64(r, &o->t) || !get_u32(r, &h->n_state))
        return MLP_ERR_FORMAT;
    if (!mlp__valid_weight_decay(h->weight_decay) || !valid_optimizer(o) ||
        h->n_state != state_count(o->kind, o->momentum))
        return MLP_ERR_FORMAT;
    return MLP_OK;
}

/* Activations and loss, then the optimizer. */
static mlp_status read_kinds(struct reader *r, struct header *h)
{
    uint32_t u;
    for (size_t l = 0; l < h->n_layers; l++) {
        if (!get_u32(r, &u) || u > MLP_SOFTMAX)
            return MLP_ERR_FORMAT;
        if (h->acts)
            h->acts[l] = (mlp_activation)u;
    }
    if (!get_u32(r, &u) || u > MLP_CROSS_ENTROPY)
        return MLP_ERR_FORMAT;
    h->loss = (mlp_loss)u;
    return read_optimizer(r, h);
}

/* Everything before the numbers of the model. On success the remaining
 * bytes (those at r->p and those still to come from a file) are exactly
 * the scaling, the parameters, the optimizer state and the checksum. */
static mlp_status read_header(struct reader *r, struct header *h)
{
    mlp_status status = read_shape(r, h);
    if (status == MLP_OK)
        status = read_kinds(r, h);
    if (status != MLP_OK)
        return status;
    size_t esize = h->elem == MLP__ELEM_F64 ? 8 : 4, count, bytes;
    if (!mlp__mul_ok(h->n_params, 1 + (size_t)h->n_state, &count) ||
        (count += h->n_scaling) < h->n_scaling ||
        !mlp__mul_ok(count, esize, &bytes) || bytes > remaining(r) ||
        remaining(r) - bytes != CRC_SIZE)
        return MLP_ERR_FORMAT;
    return MLP_OK;
}

/* The scaling into net, under mlp_set_scaling's rules (finite means,
 * stds > 0). */
static mlp_status read_scaling(struct reader *r, const struct header *h,
                               mlp_t *net)
{
    size_t n0 = net->sizes[0], nL = net->sizes[net->n_layers];
    real *s = mlp__malloc(h->n_scaling * sizeof *s);
    if (!s)
        return MLP_ERR_NOMEM;
    bool ok = get_elems(r, h->elem, s, h->n_scaling, false) &&
              mlp_set_scaling(net, s, s + n0, s + 2 * n0,
                              s + 2 * n0 + nL) == MLP_OK;
    mlp__free(s);
    return ok ? MLP_OK : MLP_ERR_FORMAT;
}

/* The scaling, parameters and state into a new network. */
static mlp_status read_numbers(struct reader *r, const struct header *h,
                               mlp_t *net, struct mlp_optimizer *o)
{
    size_t n = net->n_params;
    mlp_status status = h->n_scaling > 0 ? read_scaling(r, h, net) : MLP_OK;
    if (status != MLP_OK)
        return status;
    o->m = h->n_state >= 1 ? mlp__malloc(n * sizeof *o->m) : NULL;
    o->v = h->n_state >= 2 ? mlp__malloc(n * sizeof *o->v) : NULL;
    if ((h->n_state >= 1 && !o->m) || (h->n_state >= 2 && !o->v))
        return MLP_ERR_NOMEM;
    /* A model with a NaN or Inf in it is not one a caller can use. */
    if (!get_elems(r, h->elem, net->params, n, false) ||
        (o->m && !get_elems(r, h->elem, o->m, n, false)) ||
        (o->v && !get_elems(r, h->elem, o->v, n, true)))
        return MLP_ERR_FORMAT;
    return MLP_OK;
}

static mlp_status build(mlp_t **out, struct reader *r, const struct header *h)
{
    mlp_t *net;
    /* mlp_create checks the rules that tie activations to the loss; a file
     * that breaks them is malformed, not a bad argument. */
    mlp_status status = mlp_create(&net, h->n_layers, h->sizes, h->acts,
                                   h->loss, 0);
    if (status == MLP_ERR_ARG)
        return MLP_ERR_FORMAT;
    if (status != MLP_OK)
        return status;
    struct mlp_optimizer o = h->opt;
    o.m = o.v = NULL;
    status = read_numbers(r, h, net, &o);
    if (status != MLP_OK) {
        mlp__free(o.m);
        mlp__free(o.v);
        mlp_free(net);
        return status;
    }
    mlp__free(net->opt.m);
    mlp__free(net->opt.v);
    net->opt = o;
    net->weight_decay = h->weight_decay;
    *out = net;
    return MLP_OK;
}

static bool has_magic(const void *data, size_t size)
{
    return size >= MAGIC_SIZE && memcmp(data, magic, MAGIC_SIZE) == 0;
}

/* Magic, a known version, and the checksum over every byte before it.
 * The version comes first: a newer file may be laid out differently from
 * there on, so nothing after it is judged by this reader's rules. The
 * checksum is checked before any field is believed; the parser is still
 * written for hostile input, since a forged file can carry a correct
 * checksum. */
static mlp_status check_envelope(const unsigned char *bytes, size_t size)
{
    if (size < MAGIC_SIZE + 4 || !has_magic(bytes, size))
        return MLP_ERR_FORMAT;
    uint32_t version = 0, stored = 0;
    for (int i = 0; i < 4; i++)
        version |= (uint32_t)bytes[MAGIC_SIZE + i] << (8 * i);
    if (version == 0 || version > MLP__FORMAT_VERSION || size < MIN_SIZE)
        return MLP_ERR_FORMAT;
    for (int i = 0; i < 4; i++)
        stored |= (uint32_t)bytes[size - CRC_SIZE + i] << (8 * i);
    if (mlp__crc32c(0, bytes, size - CRC_SIZE) != stored)
        return MLP_ERR_FORMAT;
    return MLP_OK;
}

mlp_status mlp_load_buffer(mlp_t **net, const void *data, size_t size)
{
    if (net)
        *net = NULL;
    if (!net || (!data && size != 0))
        return MLP_ERR_ARG;
    mlp_status status = check_envelope(data, size);
    if (status != MLP_OK)
        return status;
    struct reader r = { .p = data, .left = size };
    struct header h = { .keep = true };
    status = read_header(&r, &h);
    if (status == MLP_OK)
        status = build(net, &r, &h);
    mlp__free(h.sizes);
    mlp__free(h.acts);
    return status;
}

mlp_status mlp__check_header(struct mlp__source *src, size_t size)
{
    struct reader r = { .later = size, .src = src };
    struct header h = { .keep = false }; /* nothing is allocated */
    return read_header(&r, &h);
}
