/* atomic_file.h - replacing a file atomically: the new contents go into a
 * temporary file beside the target, which is renamed over it only when
 * whole and on disk. Never installed.
 *
 * The one implementation behind mlp_save (modelfile.c), libmlp_onnx's
 * export and the mlp command's plots:
 * - only a regular file is replaced: renaming over a FIFO or a device
 *   (/dev/null, for root) would put a regular file in its place, so any
 *   other existing target is refused and left as it was;
 * - a symbolic link is followed (link by link, relative targets against
 *   the link's directory, at most 40 hops) and the file it names is
 *   replaced, the link kept, as editors do; a dangling link's target is
 *   created;
 * - the file replaced keeps its permission bits; a new file gets the mode
 *   the caller gives;
 * - on any failure the temporary file is removed and the target is as it
 *   was.
 * On Linux the temporary file is unnamed (O_TMPFILE) while it is written
 * and gets its name (prefix + 6 random characters) only just before the
 * rename, with signals held from naming to renaming, so an interrupted
 * write leaves nothing behind. Where O_TMPFILE is missing a named
 * temporary file (mkostemp) is used instead.
 *
 * It allocates nothing: the paths live in the struct (MLP__ATOMIC_PATH
 * bytes each, Linux's PATH_MAX; a longer path fails with ENAMETOOLONG, as
 * the system calls would).
 *
 * libmlp compiles it as written (mlp__atomic_*). A library or program that
 * compiles the same source into itself (libmlp_onnx, the mlp command,
 * whose view of libmlp.so excludes its hidden symbols) defines
 * MLP_ATOMIC_FILE_TAG=<tag> and gets names of its own, mlp__<tag>_atomic_*,
 * so that static archives linked whole never define a symbol twice. */
#ifndef MLP_ATOMIC_FILE_H
#define MLP_ATOMIC_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#ifdef MLP_ATOMIC_FILE_TAG
#define MLP__ATOMIC_CAT2(tag, name) mlp__##tag##_##name
#define MLP__ATOMIC_CAT(tag, name) MLP__ATOMIC_CAT2(tag, name)
#define mlp__atomic_begin MLP__ATOMIC_CAT(MLP_ATOMIC_FILE_TAG, atomic_begin)
#define mlp__atomic_write MLP__ATOMIC_CAT(MLP_ATOMIC_FILE_TAG, atomic_write)
#define mlp__atomic_commit MLP__ATOMIC_CAT(MLP_ATOMIC_FILE_TAG, atomic_commit)
#define mlp__atomic_abort MLP__ATOMIC_CAT(MLP_ATOMIC_FILE_TAG, atomic_abort)
#endif

/* The longest path, with its terminating zero, that the module handles:
 * Linux's PATH_MAX, what system calls accept. */
enum { MLP__ATOMIC_PATH = 4096 };

enum mlp__atomic_result {
    MLP__ATOMIC_OK = 0,
    MLP__ATOMIC_NOT_REGULAR, /* the target exists and is no regular file */
    MLP__ATOMIC_FAILED       /* a system call failed; errno says why */
};

/* One replacement in progress. fd is the caller's to write (or to hand to
 * a child process); the rest belongs to the module. */
struct mlp__atomic_file {
    int fd;         /* the temporary file, open for reading and writing */
    mode_t mode;    /* the mode the new file gets */
    bool unnamed;   /* opened with O_TMPFILE, not yet named */
    bool named;     /* has the name `temp` (removed on failure) */
    char target[MLP__ATOMIC_PATH]; /* the file replaced: path or a link's */
    char dir[MLP__ATOMIC_PATH];    /* its directory */
    char temp[MLP__ATOMIC_PATH];   /* dir/<prefix>XXXXXX */
};

/* Starts replacing the file at path: resolves links, refuses a target
 * that is not a regular file (MLP__ATOMIC_NOT_REGULAR, nothing created),
 * and opens the temporary file in the target's directory, named
 * <prefix>XXXXXX when it has a name. new_mode is the mode of a file that
 * did not exist. On MLP__ATOMIC_OK f->fd is open and the caller ends with
 * mlp__atomic_commit or mlp__atomic_abort; on anything else there is
 * nothing to end. */
enum mlp__atomic_result mlp__atomic_begin(struct mlp__atomic_file *f,
                                          const char *path,
                                          const char *prefix, mode_t new_mode);

/* Writes size bytes to f->fd (retrying short writes and EINTR); false
 * with errno set when that fails. */
bool mlp__atomic_write(struct mlp__atomic_file *f, const void *data,
                       size_t size);

/* Gives the temporary file its mode, flushes it to disk, renames it over
 * the target and flushes the directory. f->fd is closed in any case; on
 * MLP__ATOMIC_FAILED (errno says why) the target is as it was and no
 * temporary file is left, except when only the directory's flush failed
 * (the new file is then in place). */
enum mlp__atomic_result mlp__atomic_commit(struct mlp__atomic_file *f);

/* Gives up: closes f->fd and removes the temporary file; the target is as
 * it was. errno is kept. */
void mlp__atomic_abort(struct mlp__atomic_file *f);

#ifdef MLP_FAULT_INJECTION
/* Test builds only. The nth file-system call (open, write, fsync, link,
 * close, rename) of the module from now fails with ENOSPC (1 = the next
 * one); 0 disarms. Thread-local, like mlp__fault_inject. */
void mlp__atomic_fault_inject(unsigned long nth);
/* Test builds only: when set, the module skips O_TMPFILE and takes the
 * named temporary file, as on a file system without O_TMPFILE.
 * Thread-local. */
void mlp__atomic_force_named_temp(int on);
#endif

#endif
