/* serialize.c - mlp_save, mlp_load and mlp_load_buffer.
 *
 * The byte layout is specified in docs/format.md; this file follows it
 * field by field. Everything is little-endian and written byte by byte with
 * shifts, so the host's byte order and struct padding never leak into a
 * file. Loading trusts nothing: every count is checked against the bytes
 * that remain, with overflow-safe arithmetic, before anything is allocated,
 * and every value is checked before the network is built. */
#define _POSIX_C_SOURCE 200809L

#include "mlp_internal.h"
#include "alloc.h"
#include "blas.h"
#include "crc32c.h"
#include "serialize.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* PNG's trick: a high byte catches 7-bit transfers, CR LF catches newline
 * translation, ^Z stops `type` on DOS. */
static const unsigned char magic[8] = { 0x89, 'M', 'L', 'P',
                                        0x0d, 0x0a, 0x1a, 0x0a };

enum {
    MAGIC_SIZE = 8,
    /* magic, version, L, sizes[0], one size, one activation, loss,
     * optimizer kind, 5 hyper-parameters, weight decay, t, state count,
     * checksum: the smallest file that could be valid, before its
     * parameters. */
    MIN_SIZE = 8 + 4 + 4 + 8 + 8 + 4 + 4 + 4 + 5 * 8 + 8 + 8 + 4 + 4,
    CRC_SIZE = 4,
};

/* How many parameter-sized state vectors the optimizer keeps. */
static uint32_t state_count(enum mlp_optimizer_kind kind, double momentum)
{
    if (kind == MLP_OPT_ADAM)
        return 2;
    return momentum != 0.0 ? 1 : 0;
}

/* ------------------------------------------------------------------------ */
/* Fault injection for the tests (test builds only)                          */

#ifdef MLP_FAULT_INJECTION
static _Thread_local unsigned long io_fail_at;
static _Thread_local unsigned long io_calls;

void mlp__io_fault_inject(unsigned long nth) { io_fail_at = nth; io_calls = 0; }

static int io_should_fail(void)
{
    io_calls++;
    if (io_fail_at != 0 && io_calls == io_fail_at) {
        errno = ENOSPC;
        return 1;
    }
    return 0;
}
#else
#define io_should_fail() 0
#endif

/* ------------------------------------------------------------------------ */
/* Writing                                                                   */

struct writer {
    int fd;
    bool failed;
    uint32_t crc;         /* over every byte put so far */
    size_t used;
    unsigned char buf[8192];
};

static void flush(struct writer *w)
{
    size_t done = 0;
    while (!w->failed && done < w->used) {
        ssize_t n = io_should_fail() ? -1
                                     : write(w->fd, w->buf + done, w->used - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            w->failed = true;
        else
            done += (size_t)n;
    }
    w->used = 0;
}

static void put(struct writer *w, const void *data, size_t size)
{
    const unsigned char *p = data;
    w->crc = mlp__crc32c(w->crc, p, size);
    while (size > 0 && !w->failed) {
        if (w->used == sizeof w->buf)
            flush(w);
        size_t n = sizeof w->buf - w->used;
        if (n > size)
            n = size;
        memcpy(w->buf + w->used, p, n);
        w->used += n;
        p += n;
        size -= n;
    }
}

static void put_u32(struct writer *w, uint32_t x)
{
    unsigned char b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(x >> (8 * i));
    put(w, b, 4);
}

static void put_u64(struct writer *w, uint64_t x)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(x >> (8 * i));
    put(w, b, 8);
}

/* IEEE-754 binary64, its bits as a little-endian u64. C11 does not promise
 * IEEE doubles; every platform libmlp builds on has them, and blas.h's
 * users assume them too. */
static void put_f64(struct writer *w, double x)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    put_u64(w, bits);
}

static void put_f64s(struct writer *w, const double *x, size_t n)
{
    for (size_t i = 0; i < n && !w->failed; i++)
        put_f64(w, x[i]);
}

static void write_model(struct writer *w, const struct mlp *net)
{
    const struct mlp_optimizer *opt = &net->opt;
    put(w, magic, sizeof magic);
    put_u32(w, MLP__FORMAT_VERSION);
    put_u32(w, (uint32_t)net->n_layers);
    for (size_t l = 0; l <= net->n_layers; l++)
        put_u64(w, net->sizes[l]);
    for (size_t l = 1; l <= net->n_layers; l++)
        put_u32(w, (uint32_t)net->acts[l - 1]);
    put_u32(w, (uint32_t)net->loss);
    put_u32(w, (uint32_t)opt->kind);
    put_f64(w, opt->learning_rate);
    put_f64(w, opt->kind == MLP_OPT_SGD ? opt->momentum : 0.0);
    put_f64(w, opt->kind == MLP_OPT_ADAM ? opt->beta1 : 0.0);
    put_f64(w, opt->kind == MLP_OPT_ADAM ? opt->beta2 : 0.0);
    put_f64(w, opt->kind == MLP_OPT_ADAM ? opt->epsilon : 0.0);
    put_f64(w, net->weight_decay);
    put_u64(w, opt->kind == MLP_OPT_ADAM ? opt->t : 0);
    uint32_t n_state = state_count(opt->kind, opt->momentum);
    put_u32(w, n_state);
    put_f64s(w, net->params, net->n_params);
    /* A state vector the optimizer has not allocated yet is all zeros. */
    const double *state[2] = { opt->m, opt->v };
    for (uint32_t s = 0; s < n_state; s++) {
        if (state[s]) {
            put_f64s(w, state[s], net->n_params);
        } else {
            for (size_t i = 0; i < net->n_params && !w->failed; i++)
                put_f64(w, 0.0);
        }
    }
    uint32_t crc = w->crc;
    put_u32(w, crc);
    flush(w);
}

/* The directory part of `path` ("." when there is none), for the fsync
 * that makes the rename durable. NULL when out of memory. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t len = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);
    char *dir = mlp__malloc(len + 1);
    if (dir) {
        memcpy(dir, slash ? path : ".", len);
        dir[len] = '\0';
    }
    return dir;
}

static int close_checked(int fd)
{
    if (io_should_fail()) {
        close(fd);
        errno = ENOSPC;
        return -1;
    }
    /* On Linux the descriptor is gone even when close fails; never retry. */
    return close(fd);
}

mlp_status mlp_save(const mlp_t *net, const char *path)
{
    if (!net || !path || !path[0])
        return MLP_ERR_ARG;

    /* The temporary file sits next to the target so that rename() stays
     * within one file system and is atomic. */
    static const char suffix[] = ".tmp.XXXXXX";
    size_t len = strlen(path);
    char *tmp = mlp__malloc(len + sizeof suffix);
    char *dir = dir_of(path);
    struct writer *w = mlp__malloc(sizeof *w);
    if (!tmp || !dir || !w) {
        mlp__free(tmp);
        mlp__free(dir);
        mlp__free(w);
        return MLP_ERR_NOMEM;
    }
    memcpy(tmp, path, len);
    memcpy(tmp + len, suffix, sizeof suffix);

    mlp_status status = MLP_ERR_IO;
    int fd = io_should_fail() ? -1 : mkstemp(tmp);
    if (fd < 0)
        goto out;
    /* mkstemp makes the file 0600. Keep the mode of the file being
     * replaced, so a private model stays private; a new one gets 0644. */
    struct stat old;
    mode_t mode = stat(path, &old) == 0 ? (old.st_mode & 07777) : 0644;

    w->fd = fd;
    w->failed = false;
    w->crc = 0;
    w->used = 0;
    write_model(w, net);
    bool ok = !w->failed && fchmod(fd, mode) == 0;
    /* The data must be on disk before the rename can make it visible. */
    ok = ok && !io_should_fail() && fsync(fd) == 0;
    ok = close_checked(fd) == 0 && ok;
    ok = ok && !io_should_fail() && rename(tmp, path) == 0;
    if (!ok) {
        unlink(tmp);
        goto out;
    }
    /* Make the rename itself durable. Some file systems cannot fsync a
     * directory (EINVAL); the file is already in place, so that is no
     * error. */
    status = MLP_OK;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        if (fsync(dfd) != 0 && errno != EINVAL)
            status = MLP_ERR_IO;
        close(dfd);
    }
out:
    mlp__free(tmp);
    mlp__free(dir);
    mlp__free(w);
    return status;
}

/* ------------------------------------------------------------------------ */
/* Reading                                                                   */

struct reader {
    const unsigned char *p;
    size_t left;
};

static bool get_u32(struct reader *r, uint32_t *x)
{
    if (r->left < 4)
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
    if (r->left < 8)
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

/* Reads n finite doubles (and, if nonneg, none below zero) into x. */
static bool get_f64s(struct reader *r, double *x, size_t n, bool nonneg)
{
    for (size_t i = 0; i < n; i++)
        if (!get_f64(r, &x[i]) || !isfinite(x[i]) || (nonneg && x[i] < 0.0))
            return false;
    return true;
}

struct header {
    uint32_t n_layers;
    size_t *sizes;
    mlp_activation *acts;
    mlp_loss loss;
    struct mlp_optimizer opt;
    double weight_decay;
    uint32_t n_state;
    size_t n_params;
};

/* The optimizer's hyper-parameters, under the same rules as mlp_set_sgd
 * and mlp_set_adam; fields the optimizer does not use must be zero, so
 * that every network has exactly one encoding. */
static bool valid_optimizer(const struct mlp_optimizer *o)
{
    if (!isfinite(o->learning_rate) || !(o->learning_rate > 0.0))
        return false;
    if (o->kind == MLP_OPT_SGD)
        return o->momentum >= 0.0 && o->momentum < 1.0 && o->beta1 == 0.0 &&
               o->beta2 == 0.0 && o->epsilon == 0.0 && o->t == 0;
    return o->momentum == 0.0 && o->beta1 >= 0.0 && o->beta1 < 1.0 &&
           o->beta2 >= 0.0 && o->beta2 < 1.0 && isfinite(o->epsilon) &&
           o->epsilon > 0.0;
}

/* Everything before the parameters. On success h->sizes and h->acts are
 * allocated and the remaining bytes are exactly the parameters, the
 * optimizer state and the checksum. */
static mlp_status read_header(struct reader *r, struct header *h)
{
    uint32_t version, u;
    r->p += MAGIC_SIZE;
    r->left -= MAGIC_SIZE;
    if (!get_u32(r, &version) || !get_u32(r, &h->n_layers))
        return MLP_ERR_FORMAT;
    /* Each layer needs at least a size (8 bytes) and an activation (4):
     * this bounds the allocations below by the input's own size. */
    if (h->n_layers == 0 || h->n_layers > mlp__blas_max_dim() ||
        h->n_layers > r->left / 12)
        return MLP_ERR_FORMAT;
    size_t L = h->n_layers;
    h->sizes = mlp__malloc((L + 1) * sizeof *h->sizes);
    h->acts = mlp__malloc(L * sizeof *h->acts);
    if (!h->sizes || !h->acts)
        return MLP_ERR_NOMEM;

    size_t total = 0;
    for (size_t l = 0; l <= L; l++) {
        uint64_t n;
        if (!get_u64(r, &n) || n == 0 || n > mlp__blas_max_dim())
            return MLP_ERR_FORMAT;
        h->sizes[l] = (size_t)n;
        if (l == 0)
            continue;
        size_t w, layer;
        if (!mlp__mul_ok(h->sizes[l], h->sizes[l - 1], &w) ||
            (layer = w + h->sizes[l]) < w || total + layer < total)
            return MLP_ERR_FORMAT;
        total += layer;
    }
    h->n_params = total;
    for (size_t l = 0; l < L; l++) {
        if (!get_u32(r, &u) || u > MLP_SOFTMAX)
            return MLP_ERR_FORMAT;
        h->acts[l] = (mlp_activation)u;
    }
    if (!get_u32(r, &u) || u > MLP_CROSS_ENTROPY)
        return MLP_ERR_FORMAT;
    h->loss = (mlp_loss)u;

    struct mlp_optimizer *o = &h->opt;
    if (!get_u32(r, &u) || u > MLP_OPT_ADAM)
        return MLP_ERR_FORMAT;
    o->kind = (enum mlp_optimizer_kind)u;
    if (!get_f64(r, &o->learning_rate) || !get_f64(r, &o->momentum) ||
        !get_f64(r, &o->beta1) || !get_f64(r, &o->beta2) ||
        !get_f64(r, &o->epsilon) || !get_f64(r, &h->weight_decay) ||
        !isfinite(h->weight_decay) || !(h->weight_decay >= 0.0) ||
        !get_u64(r, &o->t) ||
        !get_u32(r, &h->n_state) || !valid_optimizer(o) ||
        h->n_state != state_count(o->kind, o->momentum))
        return MLP_ERR_FORMAT;

    /* What remains must be exactly (1 + n_state) * n_params doubles and
     * the checksum. */
    size_t count, bytes;
    if (!mlp__mul_ok(total, 1 + (size_t)h->n_state, &count) ||
        !mlp__mul_ok(count, sizeof(double), &bytes) ||
        bytes > r->left || r->left - bytes != CRC_SIZE)
        return MLP_ERR_FORMAT;
    return MLP_OK;
}

static mlp_status build(mlp_t **out, struct reader *r, struct header *h)
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
    size_t n = net->n_params;
    o.m = h->n_state >= 1 ? mlp__malloc(n * sizeof *o.m) : NULL;
    o.v = h->n_state >= 2 ? mlp__malloc(n * sizeof *o.v) : NULL;
    if ((h->n_state >= 1 && !o.m) || (h->n_state >= 2 && !o.v)) {
        status = MLP_ERR_NOMEM;
    } else if (!get_f64s(r, net->params, n, false) ||
               (o.m && !get_f64s(r, o.m, n, false)) ||
               (o.v && !get_f64s(r, o.v, n, true))) {
        /* A model with a NaN or Inf in it is not one a caller can use. */
        status = MLP_ERR_FORMAT;
    }
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

mlp_status mlp_load_buffer(mlp_t **net, const void *data, size_t size)
{
    if (net)
        *net = NULL;
    if (!net || (!data && size != 0))
        return MLP_ERR_ARG;
    const unsigned char *bytes = data;
    if (size < MAGIC_SIZE + 4 || memcmp(bytes, magic, MAGIC_SIZE) != 0)
        return MLP_ERR_FORMAT;
    /* Version first: a newer file may be laid out differently from here
     * on, so nothing after the version is judged by this reader's rules. */
    uint32_t version = 0;
    for (int i = 0; i < 4; i++)
        version |= (uint32_t)bytes[MAGIC_SIZE + i] << (8 * i);
    if (version == 0 || version > MLP__FORMAT_VERSION)
        return MLP_ERR_FORMAT;

    /* The checksum covers every byte before it. Checked before any field
     * is believed; the parser below is still written for hostile input,
     * since a forged file can carry a correct checksum. */
    if (size < MIN_SIZE)
        return MLP_ERR_FORMAT;
    uint32_t stored = 0;
    for (int i = 0; i < 4; i++)
        stored |= (uint32_t)bytes[size - CRC_SIZE + i] << (8 * i);
    if (mlp__crc32c(0, bytes, size - CRC_SIZE) != stored)
        return MLP_ERR_FORMAT;

    struct reader r = { bytes, size };
    struct header h = { 0 };
    mlp_status status = read_header(&r, &h);
    if (status == MLP_OK)
        status = build(net, &r, &h);
    mlp__free(h.sizes);
    mlp__free(h.acts);
    return status;
}

mlp_status mlp_load(mlp_t **net, const char *path)
{
    if (net)
        *net = NULL;
    if (!net || !path)
        return MLP_ERR_ARG;
    /* O_NONBLOCK: a FIFO at `path` must not hang the open; it is refused
     * below as not a regular file. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return MLP_ERR_IO;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0) {
        close(fd);
        return MLP_ERR_IO;
    }
    /* A file larger than memory can address cannot be a model we could
     * hold anyway. */
    if ((uintmax_t)st.st_size > (size_t)-1 / 2) {
        close(fd);
        return MLP_ERR_FORMAT;
    }
    size_t size = (size_t)st.st_size;
    unsigned char *data = mlp__malloc(size);
    if (!data) {
        close(fd);
        return MLP_ERR_NOMEM;
    }
    size_t got = 0;
    mlp_status status = MLP_OK;
    while (got < size) {
        ssize_t n = read(fd, data + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            status = MLP_ERR_IO;
            break;
        }
        if (n == 0)
            break; /* the file shrank: judged as truncated below */
        got += (size_t)n;
    }
    close(fd);
    if (status == MLP_OK)
        status = mlp_load_buffer(net, data, got);
    mlp__free(data);
    return status;
}
