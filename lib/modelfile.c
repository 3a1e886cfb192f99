/* modelfile.c - model files on disk: mlp_save (atomic replacement) and
 * mlp_load. The bytes come from and go to the codec (codec.c).
 *
 * mlp_save writes the new model into a temporary file in the target's
 * directory, flushes it, and renames it over the target. On Linux the
 * temporary file is unnamed (O_TMPFILE) until it is complete: it gets a
 * name (linkat) only just before the rename, so a crash while writing
 * leaves nothing behind. Where O_TMPFILE is missing (other systems, or
 * file systems without it) a named temporary file is created instead;
 * docs/format.md says how to find what a crash leaves then. */
#define _GNU_SOURCE /* O_TMPFILE, mkostemp */

#include "serialize.h"
#include "alloc.h"

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
#define TEMP_TEMPLATE TEMP_PREFIX "XXXXXX"

/* Symbolic links followed before giving up (Linux's own limit). */
enum { MAX_LINKS = 40 };

/* ------------------------------------------------------------------------ */
/* Fault injection for the tests (test builds only)                          */

#ifdef MLP_FAULT_INJECTION
static _Thread_local unsigned long io_fail_at;
static _Thread_local unsigned long io_calls;
static _Thread_local int force_named;

void mlp__io_fault_inject(unsigned long nth) { io_fail_at = nth; io_calls = 0; }
void mlp__io_force_named_temp(int on) { force_named = on; }

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
/* Writing                                                                   */

struct file_sink {
    struct mlp__sink sink;
    int fd;
    bool failed;
    size_t used;
    unsigned char buf[65536];
};

static void flush(struct file_sink *f)
{
    size_t done = 0;
    while (!f->failed && done < f->used) {
        ssize_t n = io_should_fail() ? -1
                                     : write(f->fd, f->buf + done, f->used - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            f->failed = true;
        else
            done += (size_t)n;
    }
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

/* The file a save to `path` must replace: path itself, or, when path is a
 * symbolic link, the file it points to (followed link by link, relative
 * targets resolved against the link's directory), so that saving through
 * a link updates the file the link names and keeps the link, as editors
 * do. A dangling link's target is created. Sets *target (to free) or
 * returns MLP_ERR_NOMEM, or MLP_ERR_IO when a link cannot be read or
 * there are more than MAX_LINKS. */
static mlp_status resolve_target(const char *path, char **target)
{
    size_t len = strlen(path);
    char *cur = mlp__malloc(len + 1);
    if (!cur)
        return MLP_ERR_NOMEM;
    memcpy(cur, path, len + 1);
    for (int hops = 0;; hops++) {
        struct stat st;
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode)) {
            *target = cur; /* not a link, or nothing there yet */
            return MLP_OK;
        }
        char link[PATH_MAX];
        ssize_t n = hops < MAX_LINKS ? readlink(cur, link, sizeof link)
                                     : -1;
        if (n < 0 || (size_t)n >= sizeof link) { /* unreadable, or cut off */
            mlp__free(cur);
            return MLP_ERR_IO;
        }
        link[n] = '\0';
        /* A relative target is relative to the link's directory. */
        const char *slash = strrchr(cur, '/');
        size_t keep = link[0] == '/' || !slash ? 0 : (size_t)(slash - cur) + 1;
        char *next = mlp__malloc(keep + (size_t)n + 1);
        if (next) {
            memcpy(next, cur, keep);
            memcpy(next + keep, link, (size_t)n + 1);
        }
        mlp__free(cur);
        if (!next)
            return MLP_ERR_NOMEM;
        cur = next;
    }
}

/* The directory part of `path` ("." when there is none), where the
 * temporary file goes and which is fsynced after the rename. */
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

/* dir + "/" + name in a new string. */
static char *join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *s = mlp__malloc(a + b + 2);
    if (s) {
        memcpy(s, dir, a);
        s[a] = '/';
        memcpy(s + a + 1, name, b + 1);
    }
    return s;
}

struct temp {
    int fd;
    bool unnamed;  /* opened with O_TMPFILE */
    bool named;    /* has the name `name` (to unlink on failure) */
    char *name;    /* dir/.mlp-save-XXXXXX: the name it has or will get */
};

/* Opens the temporary file t->name (a template), close-on-exec: unnamed
 * where O_TMPFILE works, else named by mkostemp. */
static bool open_temp(const char *dir, struct temp *t)
{
#ifdef O_TMPFILE
    if (!named_temp_forced()) {
        t->fd = io_should_fail() ? -1
                                 : open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC,
                                        0600);
        if (t->fd >= 0) {
            t->unnamed = true;
            return true;
        }
        /* Kernels and file systems without O_TMPFILE say so with one of
         * these; any other error is real and would recur. */
        if (errno != EISDIR && errno != EOPNOTSUPP && errno != EINVAL)
            return false;
    }
#endif
    t->fd = io_should_fail() ? -1 : mkostemp(t->name, O_CLOEXEC);
    t->named = t->fd >= 0;
    return t->fd >= 0;
}

/* Gives an unnamed temporary file the name t->name with random X's
 * (linkat through /proc/self/fd, which needs no privilege), retrying on
 * a name that exists. */
static bool link_temp(struct temp *t)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", t->fd);
    char *x = t->name + strlen(t->name) - 6;
    static const char digits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t r = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
                 ((uint64_t)getpid() << 16) ^ (uint64_t)(uintptr_t)t;
    for (int attempt = 0; attempt < 100; attempt++) {
        for (int i = 0; i < 6; i++) {
            r = r * 6364136223846793005u + 1442695040888963407u;
            x[i] = digits[(r >> 33) % 36];
        }
        if (io_should_fail())
            return false;
        if (linkat(AT_FDCWD, proc, AT_FDCWD, t->name, AT_SYMLINK_FOLLOW) == 0)
            return t->named = true;
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

/* Writes the model, sets the mode and flushes the temporary file; true
 * when all of that worked. */
static bool write_temp(const mlp_t *net, struct temp *t, mode_t mode,
                       struct file_sink *f)
{
    f->sink.emit = emit_to_file;
    f->fd = t->fd;
    f->failed = false;
    f->used = 0;
    mlp__encode(net, &f->sink);
    flush(f);
    bool ok = !f->failed && fchmod(t->fd, mode) == 0;
    /* The data must be on disk before a name can make it visible. */
    return ok && !io_should_fail() && fsync(t->fd) == 0;
}

/* Makes the rename durable. Some file systems cannot fsync a directory
 * (EINVAL); the file is already in place, so that is no error. */
static mlp_status sync_dir(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return MLP_OK;
    mlp_status status = MLP_OK;
    if (fsync(dfd) != 0 && errno != EINVAL)
        status = MLP_ERR_IO;
    close(dfd);
    return status;
}

/* Writes the temporary file in dir and renames it over target. */
static mlp_status replace(const mlp_t *net, const char *target,
                          const char *dir, struct temp *t,
                          struct file_sink *f)
{
    /* Only a regular file is replaced: renaming over a FIFO or a device
     * (/dev/null, for root) would put a regular file in its place. */
    struct stat old;
    bool exists = stat(target, &old) == 0;
    if (exists && !S_ISREG(old.st_mode))
        return MLP_ERR_IO;
    if (!open_temp(dir, t))
        return MLP_ERR_IO;
    /* Keep the mode of the file being replaced, so a private model stays
     * private; a new one gets 0644. */
    mode_t mode = exists ? (old.st_mode & 07777) : 0644;
    bool ok = write_temp(net, t, mode, f);
    /* From naming the file to renaming it, a signal that ends the process
     * (SIGINT, SIGTERM, ...) would leave the named temporary behind: it
     * waits until the rename is done. Only SIGKILL and SIGSTOP cannot. */
    sigset_t all, old_mask;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old_mask);
    ok = ok && (!t->unnamed || link_temp(t));
    ok = close_checked(t->fd) == 0 && ok;
    ok = ok && !io_should_fail() && rename(t->name, target) == 0;
    if (!ok && t->named)
        unlink(t->name);
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    return ok ? sync_dir(dir) : MLP_ERR_IO;
}

mlp_status mlp_save(const mlp_t *net, const char *path)
{
    if (!net || !path || !path[0])
        return MLP_ERR_ARG;
    /* A NaN or Inf parameter (written through mlp_params) would make a
     * file mlp_load refuses: the old file stays. */
    if (isinf(mlp__max_abs(net->params, net->n_params)))
        return MLP_ERR_NONFINITE;
    char *target;
    mlp_status status = resolve_target(path, &target);
    if (status != MLP_OK)
        return status;
    /* Everything the save needs in memory first, so that running out of
     * it touches no file. */
    char *dir = dir_of(target);
    struct temp t = { -1, false, false, dir ? join(dir, TEMP_TEMPLATE) : NULL };
    struct file_sink *f = mlp__malloc(sizeof *f);
    status = dir && t.name && f ? replace(net, target, dir, &t, f)
                                : MLP_ERR_NOMEM;
    mlp__free(f);
    mlp__free(t.name);
    mlp__free(dir);
    mlp__free(target);
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

/* Whether the file's first bytes are not the magic: such a file (a data
 * file given by mistake) is refused before its size is allocated or read. */
static bool foreign(int fd, size_t size)
{
    unsigned char head[8];
    return size >= sizeof head &&
           pread(fd, head, sizeof head, 0) == (ssize_t)sizeof head &&
           !mlp__has_magic(head, sizeof head);
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
    if (foreign(fd, size)) {
        close(fd);
        return MLP_ERR_FORMAT;
    }
    unsigned char *data = mlp__malloc(size ? size : 1);
    status = data ? read_all(fd, data, size, &got) : MLP_ERR_NOMEM;
    close(fd);
    if (status == MLP_OK)
        status = mlp_load_buffer(net, data, got);
    mlp__free(data);
    return status;
}
