/* serialize.h - model files: what the format codec (codec.c) and the
 * atomic file I/O (modelfile.c) share, and hooks for the tests. Never
 * installed. The format itself is specified in docs/format.md. */
#ifndef MLP_SERIALIZE_H
#define MLP_SERIALIZE_H

#include "mlp_internal.h"

#include <stddef.h>

/* Format version written by mlp_save; mlp_load accepts 1..this. */
#define MLP__FORMAT_VERSION 2u

/* Element types (docs/format.md): how the numbers of the model itself
 * (scaling, parameters, optimizer state) are stored from version 2 on. */
enum { MLP__ELEM_F64 = 0, MLP__ELEM_F32 = 1 };

/* Where the encoder's bytes go: emit receives them in order, in pieces of
 * any size. */
struct mlp__sink {
    void (*emit)(struct mlp__sink *sink, const unsigned char *bytes,
                 size_t size);
};

/* Encodes net as a model file of the current version into sink: exactly
 * mlp_saved_size(net) bytes. (codec.c) */
void mlp__encode(const struct mlp *net, struct mlp__sink *sink);

/* Where the bytes of a model file come from when it is judged before it
 * is read whole: read copies the next n (<= 8) bytes into buf, or returns
 * false when they cannot be had. */
struct mlp__source {
    bool (*read)(struct mlp__source *src, unsigned char *buf, size_t n);
};

/* Judges the header of a model file of `size` bytes (magic, version,
 * every field before the numbers of the model, as mlp_load_buffer does)
 * read from src from the first byte on, and that the sizes it declares
 * add up to exactly `size` bytes (docs/format.md); allocates nothing.
 * MLP_OK or MLP_ERR_FORMAT. The checksum and the numbers are not read:
 * mlp_load_buffer judges them. (codec.c) */
mlp_status mlp__check_header(struct mlp__source *src, size_t size);

#ifdef MLP_FAULT_INJECTION
/* Test builds only. The nth file-system call (open, write, fsync, close,
 * link, rename) made by mlp_save from now fails with ENOSPC (1 = the next
 * one); 0 disarms. Thread-local, like mlp__fault_inject. */
void mlp__io_fault_inject(unsigned long nth);
/* Test builds only: when set, mlp_save skips O_TMPFILE and takes the
 * fallback path through a named temporary file, as on a file system
 * without O_TMPFILE. Thread-local. */
void mlp__io_force_named_temp(int on);
#endif

#endif
