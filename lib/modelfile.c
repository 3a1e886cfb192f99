/* modelfile.c - model files on disk: mlp_save (atomic replacement) and
 * mlp_load. The bytes come from and go to the codec (codec.c).
 *
 * mlp_save writes the new model into a temporary file in the target's
 * directory, flushes it, and renames it over the target (atomic_file.c,
 * shared with libmlp_onnx and the mlp command's plots). On Linux the
 * temporary file is unnamed (O_TMPFILE) until it is complete: it gets a
 * name (linkat) only just before the rename, so a crash while writing
 * leaves nothing behind. Where O_TMPFILE is missing (other systems, or
 * file systems without it) a named temporary file is created instead;
 * docs/format.md says how to find what a crash leaves then. */
#define _GNU_SOURCE /* O_TMPFILE, mkostemp */

#include "serialize.h"
#include "alloc.h"
#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The temporary file's name in the target's directory: short and fixed in
 * length, so that any legal target name works (a name derived from the
 * target's would exceed NAME_MAX for long ones). Hidden, and documented in
 * docs/format.md with the command that lists leftovers. */
#define TEMP_PREFIX ".mlp-save-"

/* ------------------------------------------------------------------------ */
/* Fault injection for the tests (test builds only): the file-system calls
 * are atomic_file.c's, which holds the hooks.                               */

#ifdef MLP_FAULT_INJECTION
void mlp__io_fault_inject(unsigned long nth) { mlp__atomic_fault_inject(nth); }
void mlp__io_force_named_temp(int on) { mlp__atomic_force_named_temp(on); }
#endif

/* ------------------------------------------------------------------------ */
/* Writing                                                                   */

struct file_sink {
    struct mlp__sink sink;
    struct mlp__atomic_file file;
    bool failed;
    size_t used;
    unsigned char buf[65536];
};

static void flush(struct file_sink *f)
{
    if (!f->failed && !mlp__atomic_write(&f->file, f->buf, f->used))
        f->failed = true;
    f->used = 0;
}

static void emit_to_file(struct mlp__sink *sink, const unsigned char *bytes,
                         size_t size)
{
    struct file_sink *f = (struct file_sink *)sink;
    while (size > 0 && !f->failed) {
        if (f->used == sizeof f->buf)
            flush(f);
        size_t n = sizeof f->buf - f->used;
        n = n < size ? n : size;
        memcpy(f->buf + f->used, bytes, n);
        f->used += n;
        bytes += n;
        size -= n;
    }
}

/* Writes the model into a file replacing path (atomic_file.h): a new file
 * gets 0644, a replaced one keeps its mode. */
static mlp_status replace(const mlp_t *net, const char *path,
                          struct file_sink *f)
{
    if (mlp__atomic_begin(&f->file, path, TEMP_PREFIX, 0644) != MLP__ATOMIC_OK)
        return MLP_ERR_IO;
    f->sink.emit = emit_to_file;
    f->failed = false;
    f->used = 0;
    mlp__encode(net, &f->sink);
    flush(f);
    if (f->failed) {
        mlp__atomic_abort(&f->file);
        return MLP_ERR_IO;
    }
    return mlp__atomic_commit(&f->file) == MLP__ATOMIC_OK ? MLP_OK
                                                           : MLP_ERR_IO;
}

mlp_status mlp_save(const mlp_t *net, const char *path)
{
    if (!net || !path || !path[0])
        return MLP_ERR_ARG;
    /* A NaN or Inf parameter (written through mlp_params) would make a
     * file mlp_load refuses: the old file stays. */
    if (isinf(mlp__max_abs(net->params, net->n_params)))
        return MLP_ERR_NONFINITE;
    /* Everything the save needs in memory first, so that running out of
     * it touches no file. */
    struct file_sink *f = mlp__malloc(sizeof *f);
    if (!f)
        return MLP_ERR_NOMEM;
    mlp_status status = replace(net, path, f);
    mlp__free(f);
    return status;
}

/* ------------------------------------------------------------------------ */
/* Reading                                                                   */

/* Reads up to size bytes of fd into data; *got is how many came (fewer
 * when the file shrank, judged as truncated by the decoder). */
static mlp_status read_all(int fd, unsigned char *data, size_t size,
                           size_t *got)
{
    *got = 0;
    while (*got < size) {
        ssize_t n = read(fd, data + *got, size - *got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return MLP_ERR_IO;
        if (n == 0)
            break;
        *got += (size_t)n;
    }
    return MLP_OK;
}

/* Opens path for reading and sets *size, when it is a regular file small
 * enough to hold in memory. */
static mlp_status open_model(const char *path, int *fd, size_t *size)
{
    /* O_NONBLOCK: a FIFO at `path` must not hang the open; it is refused
     * below as not a regular file. */
    *fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (*fd < 0)
        return MLP_ERR_IO;
    struct stat st;
    mlp_status status = MLP_OK;
    if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0)
        status = MLP_ERR_IO;
    /* A file larger than memory can address cannot be a model we could
     * hold anyway. */
    else if ((uintmax_t)st.st_size > SIZE_MAX / 2)
        status = MLP_ERR_FORMAT;
    if (status != MLP_OK)
        close(*fd);
    else
        *size = (size_t)st.st_size;
    return status;
}

/* The file being judged, read from its start in blocks. */
struct file_source {
    struct mlp__source source;
    int fd;
    bool failed; /* a read failed (not: the file ended) */
    off_t at;    /* where the next block starts */
    size_t used, filled;
    unsigned char block[4096];
};

static bool read_from_file(struct mlp__source *src, unsigned char *buf,
                           size_t n)
{
    struct file_source *f = (struct file_source *)src;
    for (size_t i = 0; i < n; i++) {
        if (f->used == f->filled) {
            ssize_t got;
            do
                got = pread(f->fd, f->block, sizeof f->block, f->at);
            while (got < 0 && errno == EINTR);
            if (got <= 0) {
                f->failed = got < 0;
                return false;
            }
            f->at += got;
            f->used = 0;
            f->filled = (size_t)got;
        }
        buf[i] = f->block[f->used++];
    }
    return true;
}

/* The file's header, judged before its size is allocated or read: a file
 * that does not begin with the magic (a data file given by mistake), or
 * whose header is invalid or declares sizes that do not add up to the
 * file's own size (a hostile header, a file cut short or padded) is
 * MLP_ERR_FORMAT however large it is. Allocates nothing. */
static mlp_status judge_header(int fd, size_t size)
{
    struct file_source f = { .source = { read_from_file }, .fd = fd };
    mlp_status status = mlp__check_header(&f.source, size);
    return f.failed ? MLP_ERR_IO : status;
}

mlp_status mlp_load(mlp_t **net, const char *path)
{
    if (net)
        *net = NULL;
    if (!net || !path)
        return MLP_ERR_ARG;
    int fd;
    size_t size, got = 0;
    mlp_status status = open_model(path, &fd, &size);
    if (status != MLP_OK)
        return status;
    status = judge_header(fd, size);
    if (status != MLP_OK) {
        close(fd);
        return status;
    }
    unsigned char *data = mlp__malloc(size ? size : 1);
    status = data ? read_all(fd, data, size, &got) : MLP_ERR_NOMEM;
    close(fd);
    if (status == MLP_OK)
        status = mlp_load_buffer(net, data, got);
    mlp__free(data);
    return status;
}
