/*
 * failalloc.c - an allocator interposer for fault tests (LD_PRELOAD); see
 * failalloc.h. It forwards to glibc's own entry points (__libc_malloc and
 * friends), so it needs no dlsym and works from the first allocation on.
 */
#define _GNU_SOURCE
#include "failalloc.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *ptr);

struct state {
    atomic_int armed;
    atomic_int failed;
    atomic_ulong calls;
    unsigned long fail_at;
    atomic_long live;
    void *callers[FAILALLOC_MAX_CALLERS];
};

/* Shared with children forked later, so a parent sees what a child did. */
static struct state *st;

__attribute__((constructor)) static void setup(void)
{
    void *p = mmap(NULL, sizeof *st, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED)
        st = p;
}

/* Counts one allocating call from `from`; true when it must fail. */
static int fail_now(void *from)
{
    if (!st || !atomic_load(&st->armed))
        return 0;
    unsigned long k = atomic_fetch_add(&st->calls, 1) + 1;
    if (k <= FAILALLOC_MAX_CALLERS)
        st->callers[k - 1] = from;
    if (k != st->fail_at)
        return 0;
    atomic_store(&st->failed, 1);
    return 1;
}

static void *born(void *p)
{
    if (p && st)
        atomic_fetch_add(&st->live, 1);
    return p;
}

#define CALLER __builtin_extract_return_addr(__builtin_return_address(0))

void *malloc(size_t size)
{
    if (fail_now(CALLER)) {
        errno = ENOMEM;
        return NULL;
    }
    return born(__libc_malloc(size));
}

void *calloc(size_t count, size_t size)
{
    if (fail_now(CALLER)) {
        errno = ENOMEM;
        return NULL;
    }
    return born(__libc_calloc(count, size));
}

static void *resize(void *ptr, size_t size, void *from)
{
    if (fail_now(from)) {
        errno = ENOMEM;
        return NULL;
    }
    void *q = __libc_realloc(ptr, size);
    if (!ptr)
        return born(q);
    if (size == 0 && !q && st)      /* glibc frees and returns NULL */
        atomic_fetch_sub(&st->live, 1);
    return q;
}

void *realloc(void *ptr, size_t size) { return resize(ptr, size, CALLER); }

void *reallocarray(void *ptr, size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    return resize(ptr, count * size, CALLER);
}

static void *aligned(size_t align, size_t size, void *from)
{
    if (fail_now(from)) {
        errno = ENOMEM;
        return NULL;
    }
    return born(__libc_memalign(align, size));
}

int posix_memalign(void **out, size_t align, size_t size)
{
    if (align < sizeof(void *) || (align & (align - 1)) != 0)
        return EINVAL;
    void *p = aligned(align, size, CALLER);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

void *aligned_alloc(size_t align, size_t size)
{
    return aligned(align, size, CALLER);
}

void *memalign(size_t align, size_t size)
{
    return aligned(align, size, CALLER);
}

void *valloc(size_t size) { return aligned(4096, size, CALLER); }

void free(void *ptr)
{
    if (ptr && st)
        atomic_fetch_sub(&st->live, 1);
    __libc_free(ptr);
}

/* The control table that failalloc_control() looks up. */
static void arm(unsigned long nth)
{
    atomic_store(&st->armed, 0);
    st->fail_at = nth;
    atomic_store(&st->calls, 0);
    atomic_store(&st->failed, 0);
    atomic_store(&st->armed, 1);
}

static void disarm(void) { atomic_store(&st->armed, 0); }
static unsigned long calls(void) { return atomic_load(&st->calls); }
static long live(void) { return atomic_load(&st->live); }
static int failed(void) { return atomic_load(&st->failed); }

static void *caller(unsigned long k)
{
    return k >= 1 && k <= FAILALLOC_MAX_CALLERS && k <= calls()
               ? st->callers[k - 1] : NULL;
}

__attribute__((visibility("default")))
const struct failalloc_control failalloc_table = {
    arm, disarm, calls, live, caller, failed,
};
