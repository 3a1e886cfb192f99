/* atomic_file.c - see atomic_file.h. */
#define _GNU_SOURCE /* O_TMPFILE, mkostemp */

#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Symbolic links followed before giving up (Linux's own limit). */
enum { MAX_LINKS = 40 };

/* ------------------------------------------------------------------------ */
/* Fault injection for the tests (test builds only)                          */

#ifdef MLP_FAULT_INJECTION
static _Thread_local unsigned long io_fail_at;
static _Thread_local unsigned long io_calls;
static _Thread_local int force_named;

void mlp__atomic_fault_inject(unsigned long nth)
{
    io_fail_at = nth;
    io_calls = 0;
}

void mlp__atomic_force_named_temp(int on) { force_named = on; }

static int io_should_fail(void)
{
    io_calls++;
    if (io_fail_at != 0 && io_calls == io_fail_at) {
        errno = ENOSPC;
        return 1;
    }
    return 0;
}
#define named_temp_forced() force_named
#else
#define io_should_fail() 0
#define named_temp_forced() 0
#endif

/* ------------------------------------------------------------------------ */
/* Paths                                                                     */

/* Copies a[0..a_len) and b into out (MLP__ATOMIC_PATH bytes); false
 * (ENAMETOOLONG) when they do not fit. */
static bool build(char *out, const char *a, size_t a_len, const char *b)
{
    size_t b_len = strlen(b);
    if (a_len + b_len >= MLP__ATOMIC_PATH) {
        errno = ENAMETOOLONG;
        return false;
    }
    memmove(out, a, a_len);
    memcpy(out + a_len, b, b_len + 1);
    return true;
}

/* The file a write to path replaces, into f->target: path itself, or,
 * when path is a symbolic link, the file it names (followed link by link,
 * relative targets resolved against the link's directory). */
static bool resolve_target(struct mlp__atomic_file *f, const char *path)
{
    if (!build(f->target, "", 0, path))
        return false;
    for (int hops = 0;; hops++) {
        struct stat st;
        if (lstat(f->target, &st) != 0 || !S_ISLNK(st.st_mode))
            return true; /* not a link, or nothing there yet */
        if (hops == MAX_LINKS) {
            errno = ELOOP;
            return false;
        }
        char link[MLP__ATOMIC_PATH];
        ssize_t n = readlink(f->target, link, sizeof link);
        if (n < 0)
            return false;
        if ((size_t)n >= sizeof link) { /* cut off */
            errno = ENAMETOOLONG;
            return false;
        }
        link[n] = '\0';
        /* A relative target is relative to the link's directory. */
        const char *slash = strrchr(f->target, '/');
        size_t keep = link[0] == '/' || !slash
                          ? 0 : (size_t)(slash - f->target) + 1;
        if (!build(f->target, f->target, keep, link))
            return false;
    }
}

/* f->dir: the directory part of f->target ("." when there is none), and
 * f->temp: the temporary file's template in it. */
static bool temp_names(struct mlp__atomic_file *f, const char *prefix)
{
    const char *slash = strrchr(f->target, '/');
    size_t len = !slash ? 1 : slash == f->target ? 1
                                                 : (size_t)(slash - f->target);
    if (!build(f->dir, slash ? f->target : ".", len, ""))
        return false;
    char name[64];
    int n = snprintf(name, sizeof name, "/%sXXXXXX", prefix);
    if (n < 0 || (size_t)n >= sizeof name) {
        errno = ENAMETOOLONG;
        return false;
    }
    return build(f->temp, f->dir, len, name);
}

/* ------------------------------------------------------------------------ */
/* The temporary file                                                        */

/* Opens the temporary file, close-on-exec: unnamed where O_TMPFILE works,
 * else named by mkostemp from the template f->temp. */
static bool open_temp(struct mlp__atomic_file *f)
{
#ifdef O_TMPFILE
    if (!named_temp_forced()) {
        f->fd = io_should_fail()
                    ? -1
                    : open(f->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (f->fd >= 0) {
            f->unnamed = true;
            return true;
        }
        /* Kernels and file systems without O_TMPFILE say so with one of
         * these; any other error is real and would recur. */
        if (errno != EISDIR && errno != EOPNOTSUPP && errno != EINVAL)
            return false;
    }
#endif
    f->fd = io_should_fail() ? -1 : mkostemp(f->temp, O_CLOEXEC);
    f->named = f->fd >= 0;
    return f->fd >= 0;
}

/* Gives an unnamed temporary file the name f->temp with random X's
 * (linkat through /proc/self/fd, which needs no privilege), retrying on
 * a name that exists. */
static bool link_temp(struct mlp__atomic_file *f)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", f->fd);
    char *x = f->temp + strlen(f->temp) - 6;
    static const char digits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t r = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
                 ((uint64_t)getpid() << 16) ^ (uint64_t)(uintptr_t)f;
    for (int attempt = 0; attempt < 100; attempt++) {
        for (int i = 0; i < 6; i++) {
            r = r * 6364136223846793005u + 1442695040888963407u;
            x[i] = digits[(r >> 33) % 36];
        }
        if (io_should_fail())
            return false;
        if (linkat(AT_FDCWD, proc, AT_FDCWD, f->temp, AT_SYMLINK_FOLLOW) == 0)
            return f->named = true;
        if (errno != EEXIST)
            return false;
    }
    return false;
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

/* Makes the rename durable. Some file systems cannot fsync a directory
 * (EINVAL); the file is already in place, so that is no error. */
static bool sync_dir(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return true;
    bool ok = fsync(dfd) == 0 || errno == EINVAL;
    int saved = errno;
    close(dfd);
    errno = saved;
    return ok;
}

/* ------------------------------------------------------------------------ */
/* The interface                                                             */

enum mlp__atomic_result mlp__atomic_begin(struct mlp__atomic_file *f,
                                          const char *path,
                                          const char *prefix, mode_t new_mode)
{
    f->fd = -1;
    f->unnamed = f->named = false;
    if (!resolve_target(f, path) || !temp_names(f, prefix))
        return MLP__ATOMIC_FAILED;
    struct stat old;
    bool exists = stat(f->target, &old) == 0;
    if (exists && !S_ISREG(old.st_mode))
        return MLP__ATOMIC_NOT_REGULAR;
    /* Keep the mode of the file being replaced, so a private file stays
     * private. */
    f->mode = exists ? (old.st_mode & 07777) : new_mode;
    return open_temp(f) ? MLP__ATOMIC_OK : MLP__ATOMIC_FAILED;
}

bool mlp__atomic_write(struct mlp__atomic_file *f, const void *data,
                       size_t size)
{
    const unsigned char *p = data;
    while (size > 0) {
        ssize_t n = io_should_fail() ? -1 : write(f->fd, p, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            errno = ENOSPC;
        if (n <= 0)
            return false;
        p += n;
        size -= (size_t)n;
    }
    return true;
}

enum mlp__atomic_result mlp__atomic_commit(struct mlp__atomic_file *f)
{
    /* The data must be on disk before a name can make it visible. */
    bool ok = fchmod(f->fd, f->mode) == 0 && !io_should_fail() &&
              fsync(f->fd) == 0;
    /* From naming the file to renaming it, a signal that ends the process
     * (SIGINT, SIGTERM, ...) would leave the named temporary behind: it
     * waits until the rename is done. Only SIGKILL and SIGSTOP cannot. */
    sigset_t all, old_mask;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old_mask);
    ok = ok && (!f->unnamed || link_temp(f));
    int err = ok ? 0 : errno; /* the first failure's reason is the one told */
    if (close_checked(f->fd) != 0 && ok) {
        ok = false;
        err = errno;
    }
    f->fd = -1;
    if (ok && (io_should_fail() || rename(f->temp, f->target) != 0)) {
        ok = false;
        err = errno;
    }
    if (!ok && f->named)
        unlink(f->temp);
    f->named = false;
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    if (!ok) {
        errno = err;
        return MLP__ATOMIC_FAILED;
    }
    return sync_dir(f->dir) ? MLP__ATOMIC_OK : MLP__ATOMIC_FAILED;
}

void mlp__atomic_abort(struct mlp__atomic_file *f)
{
    int saved = errno;
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    if (f->named)
        unlink(f->temp);
    f->named = false;
    errno = saved;
}
