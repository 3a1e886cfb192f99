/* alloc.c - heap wrappers, with failure injection in test builds. */
#include "alloc.h"

#include <stdlib.h>
#include <string.h>

#ifdef MLP_FAULT_INJECTION
/* Test builds only: thread-local, never in the shipped library. */
static _Thread_local unsigned long fail_at;
static _Thread_local unsigned long calls;
static _Thread_local long live;
static _Thread_local size_t largest;

void mlp__fault_inject(unsigned long nth)
{
    fail_at = nth;
    calls = 0;
    largest = 0;
}
size_t mlp__alloc_largest(void) { return largest; }
unsigned long mlp__alloc_calls(void) { return calls; }
long mlp__live_allocations(void) { return live; }

static int should_fail(void)
{
    calls++;
    return fail_at != 0 && calls == fail_at;
}
#define COUNT_LIVE(p) do { if (p) live++; } while (0)
#define NOTE_SIZE(n) do { if ((n) > largest) largest = (n); } while (0)
#else
#define should_fail() 0
#define COUNT_LIVE(p) ((void)0)
#define NOTE_SIZE(n) ((void)0)
#endif

/* Every block starts on a 64-byte boundary (a cache line, and a whole
 * AVX-512 vector): the BLAS kernels and the vectorised passes then see
 * rows aligned the same way in every run, instead of wherever malloc's
 * 16-byte alignment happens to put them (one training step at 64-32-10,
 * batch 1, measured ~10% apart between two such placements). */
enum { ALIGNMENT = 64 };

void *mlp__malloc(size_t size)
{
    NOTE_SIZE(size);
    if (should_fail())
        return NULL;
    size_t rounded = size ? size : 1;
    if (rounded > (size_t)-1 - (ALIGNMENT - 1))
        return NULL;
    rounded = (rounded + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    void *p = aligned_alloc(ALIGNMENT, rounded);
    COUNT_LIVE(p);
    return p;
}

void *mlp__calloc(size_t count, size_t size)
{
    size_t bytes;
    if (!mlp__mul_ok(count ? count : 1, size ? size : 1, &bytes)) {
        NOTE_SIZE((size_t)-1);
        (void)should_fail(); /* still one allocation call */
        return NULL;
    }
    void *p = mlp__malloc(bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}

void mlp__free(void *ptr)
{
#ifdef MLP_FAULT_INJECTION
    if (ptr)
        live--;
#endif
    free(ptr);
}

int mlp__mul_ok(size_t n, size_t size, size_t *out)
{
    if (size != 0 && n > (size_t)-1 / size)
        return 0;
    *out = n * size;
    return 1;
}
