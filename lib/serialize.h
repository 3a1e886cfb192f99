/* serialize.h - model files: internals shared with the tests. Never
 * installed. The format itself is specified in docs/format.md. */
#ifndef MLP_SERIALIZE_H
#define MLP_SERIALIZE_H

/* Format version written by mlp_save; mlp_load accepts 1..this. */
#define MLP__FORMAT_VERSION 1u

#ifdef MLP_FAULT_INJECTION
/* Test builds only. The nth file-system call (open, write, fsync, close,
 * rename) made by mlp_save from now fails with ENOSPC (1 = the next one);
 * 0 disarms. Thread-local, like mlp__fault_inject. */
void mlp__io_fault_inject(unsigned long nth);
#endif

#endif
