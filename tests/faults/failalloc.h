/*
 * failalloc.h - control of the allocator interposer (failalloc.c), for
 * tests that run with LD_PRELOAD=libfailalloc.so.
 *
 * The interposer replaces malloc, calloc, realloc, reallocarray,
 * posix_memalign, aligned_alloc, memalign, valloc and free for the whole
 * process: libmlp, the BLAS and LAPACK libraries, the OpenMP runtime and
 * the C library's own callers alike. While armed it counts every call of
 * the allocating functions from every thread, records the address each was
 * called from, and can make exactly one of them (the Nth) fail as the real
 * allocator would (NULL and errno ENOMEM; ENOMEM from posix_memalign).
 *
 * Its state lives in one shared anonymous mapping made when the interposer
 * loads, so a parent that forks a child per experiment reads the child's
 * counts after the child has exited, however it exited.
 *
 * A test finds these functions with failalloc_control(), which returns
 * NULL when the interposer is not preloaded.
 */
#ifndef FAILALLOC_H
#define FAILALLOC_H

#include <dlfcn.h>
#include <stddef.h>

/* The return addresses of the first FAILALLOC_MAX_CALLERS armed calls. */
#define FAILALLOC_MAX_CALLERS 4096

struct failalloc_control {
    /* Starts counting from zero; the nth call from now fails (1 = the next
     * one), or none when nth is 0. */
    void (*arm)(unsigned long nth);
    /* Stops counting and failing. */
    void (*disarm)(void);
    /* Allocating calls since the last arm. */
    unsigned long (*calls)(void);
    /* Blocks allocated and not yet freed, over the whole process since the
     * interposer loaded (only differences mean anything). */
    long (*live)(void);
    /* The address that called the kth (1-based) allocating call since the
     * last arm, or NULL beyond what was recorded. */
    void *(*caller)(unsigned long k);
    /* 1 once the armed failure has been delivered. */
    int (*failed)(void);
};

/* The interposer's control functions, or NULL when it is not loaded.
 * (RTLD_DEFAULT needs _GNU_SOURCE before the first system header.) */
static inline const struct failalloc_control *failalloc_control(void)
{
    return (const struct failalloc_control *)dlsym(RTLD_DEFAULT,
                                                   "failalloc_table");
}

#endif
