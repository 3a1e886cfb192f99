/* alloc.h - the library's only way to get heap memory.
 *
 * Every allocation goes through these wrappers so that a test build
 * (MLP_FAULT_INJECTION) can make the Nth allocation fail and count what is
 * still live. The shipped library compiles them to plain malloc/free. */
#ifndef MLP_ALLOC_H
#define MLP_ALLOC_H

#include <stddef.h>

void *mlp__malloc(size_t size);
void *mlp__calloc(size_t count, size_t size);
void mlp__free(void *ptr);

/* n * size in *out, or 0 (false) when it overflows size_t. */
int mlp__mul_ok(size_t n, size_t size, size_t *out);

#ifdef MLP_FAULT_INJECTION
/* The nth call to mlp__malloc/mlp__calloc from now fails (1 = the next one);
 * 0 disarms. The counters are thread-local, so tests in threads do not mix. */
void mlp__fault_inject(unsigned long nth);
/* Allocation calls since the last mlp__fault_inject. */
unsigned long mlp__alloc_calls(void);
/* Allocations made and not yet freed by this thread. */
long mlp__live_allocations(void);
/* The largest size asked of mlp__malloc/mlp__calloc (count * size) since
 * the last mlp__fault_inject, by this thread. */
size_t mlp__alloc_largest(void);
#endif

#endif
