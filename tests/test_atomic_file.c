/* test_atomic_file.c - replacing a file atomically (lib/atomic_file.c), the
 * one implementation behind mlp_save, libmlp_onnx's export and the mlp
 * command's plots: a regular file replaced, its mode kept, a link kept
 * and the file it names replaced, FIFOs, devices and directories refused
 * with nothing touched, and a write that fails (really, at the file size
 * limit, or injected at every file-system call in turn) leaving the old
 * file and no temporary file. Each case runs on both temporary-file paths:
 * the unnamed O_TMPFILE one and the named fallback.
 *
 * Linked against the fault-injection build (mlp_test_dep). */
#define _POSIX_C_SOURCE 200809L

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "model_files.h"
#include "test_util.h"

static const char old_text[] = "the old contents\n";

/* A new file dir/name holding old_text with the given mode. */
static void make_file(char *path, size_t size, const char *dir,
                      const char *name, mode_t mode)
{
    snprintf(path, size, "%s/%s", dir, name);
    write_all(path, old_text, sizeof old_text - 1);
    ck_assert_int_eq(chmod(path, mode), 0);
}

/* Asserts that path holds exactly the size bytes at data. */
static void assert_holds(const char *path, const void *data, size_t size)
{
    size_t got;
    unsigned char *now = read_all(path, &got);
    ck_assert_uint_eq(got, size);
    ck_assert_mem_eq(now, data, size);
    free(now);
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    return st.st_mode & 07777;
}

static bool is_link(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

/* Replaces path with `size` bytes of data, the new file's mode new_mode;
 * the result of the first step that fails. */
static enum mlp__atomic_result replace(const char *path, const void *data,
                                       size_t size, mode_t new_mode)
{
    static struct mlp__atomic_file f;
    enum mlp__atomic_result r = mlp__atomic_begin(&f, path, ".t-", new_mode);
    if (r != MLP__ATOMIC_OK)
        return r;
    if (!mlp__atomic_write(&f, data, size)) {
        mlp__atomic_abort(&f);
        return MLP__ATOMIC_FAILED;
    }
    return mlp__atomic_commit(&f);
}

/* ------------------------------------------------------------------------ */

/* A regular file is replaced by the new bytes, keeping its mode; a new
 * file gets the mode asked for, exactly (not reduced by the umask), and
 * nothing else is left in the directory. */
START_TEST(regular_target_replaced_mode_kept)
{
    static const char text[] = "new, longer contents of the file\n";
    char *dir = make_dir();
    char path[1024], fresh[1024];
    for (int named = 0; named < 2; named++) {
        mlp__atomic_force_named_temp(named);
        make_file(path, sizeof path, dir, "file", 0604);
        ck_assert_int_eq(replace(path, text, sizeof text - 1, 0644),
                         MLP__ATOMIC_OK);
        assert_holds(path, text, sizeof text - 1);
        ck_assert_uint_eq(mode_of(path), 0604);
        snprintf(fresh, sizeof fresh, "%s/fresh", dir);
        mode_t mask = umask(077);
        enum mlp__atomic_result r = replace(fresh, text, 5, 0664);
        umask(mask);
        ck_assert_int_eq(r, MLP__ATOMIC_OK);
        assert_holds(fresh, text, 5);
        ck_assert_uint_eq(mode_of(fresh), 0664);
        ck_assert_int_eq(count_entries(dir), 2);
        ck_assert_int_eq(unlink(fresh), 0);
        mlp__atomic_force_named_temp(0);
    }
    remove_dir(dir);
}
END_TEST

/* Through a chain of links (relative, then absolute) the file at the end
 * is replaced and keeps its mode; the links stay links. A dangling link's
 * target is created. A loop of links fails with ELOOP, creating nothing. */
START_TEST(link_kept_target_replaced)
{
    static const char text[] = "through the links\n";
    char *dir = make_dir();
    char real[1024], link1[1024], link2[1024], dangling[1024], made[1024];
    char loop_a[1024], loop_b[1024];
    ck_assert_int_eq(mkdir(strcat(strcpy(real, dir), "/models"), 0755), 0);
    make_file(real, sizeof real, dir, "models/real", 0600);
    snprintf(link1, sizeof link1, "%s/link1", dir);
    snprintf(link2, sizeof link2, "%s/link2", dir);
    snprintf(dangling, sizeof dangling, "%s/dangling", dir);
    snprintf(made, sizeof made, "%s/models/made", dir);
    snprintf(loop_a, sizeof loop_a, "%s/loop_a", dir);
    snprintf(loop_b, sizeof loop_b, "%s/loop_b", dir);
    ck_assert_int_eq(symlink("models/real", link1), 0);
    ck_assert_int_eq(symlink(link1, link2), 0);
    ck_assert_int_eq(symlink("models/made", dangling), 0);
    ck_assert_int_eq(symlink(loop_b, loop_a), 0);
    ck_assert_int_eq(symlink(loop_a, loop_b), 0);
    for (int named = 0; named < 2; named++) {
        mlp__atomic_force_named_temp(named);
        ck_assert_int_eq(replace(link2, text, sizeof text - named - 1, 0644),
                         MLP__ATOMIC_OK);
        ck_assert(is_link(link1) && is_link(link2));
        assert_holds(real, text, sizeof text - named - 1);
        ck_assert_uint_eq(mode_of(real), 0600);
        ck_assert_int_eq(replace(dangling, text, 4, 0644), MLP__ATOMIC_OK);
        ck_assert(is_link(dangling));
        assert_holds(made, text, 4);
        errno = 0;
        ck_assert_int_eq(replace(loop_a, text, 4, 0644), MLP__ATOMIC_FAILED);
        ck_assert_int_eq(errno, ELOOP);
        ck_assert(is_link(loop_a) && is_link(loop_b));
        ck_assert_int_eq(count_entries(dir), 6);
        char models[1024];
        snprintf(models, sizeof models, "%s/models", dir);
        ck_assert_int_eq(count_entries(models), 2);
        mlp__atomic_force_named_temp(0);
    }
    ck_assert_int_eq(unlink(made), 0);
    ck_assert_int_eq(unlink(real), 0);
    ck_assert_int_eq(rmdir(strcat(strcpy(real, dir), "/models")), 0);
    remove_dir(dir);
}
END_TEST

/* A FIFO, a device (/dev/null) and a directory, named directly or
 * through a link, are refused before anything is created: the FIFO is
 * not opened (which would block), the device stays a device, the link
 * stays, and the directory holds nothing new. */
START_TEST(non_regular_refused_untouched)
{
    char *dir = make_dir();
    char fifo[1024], sub[1024], null_link[1024];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    snprintf(sub, sizeof sub, "%s/sub", dir);
    snprintf(null_link, sizeof null_link, "%s/null", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    ck_assert_int_eq(symlink("/dev/null", null_link), 0);
    const char *targets[] = { fifo, sub, null_link, "/dev/null" };
    for (int named = 0; named < 2; named++) {
        mlp__atomic_force_named_temp(named);
        for (size_t i = 0; i < sizeof targets / sizeof *targets; i++) {
            struct mlp__atomic_file f;
            ck_assert_int_eq(mlp__atomic_begin(&f, targets[i], ".t-", 0644),
                             MLP__ATOMIC_NOT_REGULAR);
            ck_assert_int_eq(f.fd, -1);
        }
        mlp__atomic_force_named_temp(0);
        struct stat st;
        ck_assert(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));
        ck_assert(lstat(sub, &st) == 0 && S_ISDIR(st.st_mode));
        ck_assert(is_link(null_link));
        ck_assert(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
        ck_assert_int_eq(count_entries(dir), 3);
        ck_assert_int_eq(count_entries(sub), 0);
    }
    ck_assert_int_eq(rmdir(sub), 0);
    remove_dir(dir);
}
END_TEST

/* A write that really fails part-way: past the file size limit (EFBIG,
 * standing for a full disk) after some bytes went in. The caller gives
 * up; the old file is whole and no temporary file is left. Giving up
 * after a partial write that worked does the same. */
START_TEST(failed_write_keeps_old_file)
{
    enum { SIZE = 256 * 1024 };
    char *dir = make_dir();
    char path[1024];
    unsigned char *big = malloc(SIZE);
    ck_assert_ptr_nonnull(big);
    memset(big, 0x5a, SIZE);
    make_file(path, sizeof path, dir, "file", 0644);
    struct rlimit saved, limit;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &saved), 0);
    limit = saved;
    limit.rlim_cur = SIZE / 4;
    void (*handler)(int) = signal(SIGXFSZ, SIG_IGN);
    for (int named = 0; named < 2; named++) {
        mlp__atomic_force_named_temp(named);
        struct mlp__atomic_file f;
        ck_assert_int_eq(mlp__atomic_begin(&f, path, ".t-", 0644),
                         MLP__ATOMIC_OK);
        ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &limit), 0);
        bool wrote = mlp__atomic_write(&f, big, SIZE);
        int err = errno;
        ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &saved), 0);
        ck_assert(!wrote);
        ck_assert_int_eq(err, EFBIG);
        mlp__atomic_abort(&f);
        assert_holds(path, old_text, sizeof old_text - 1);
        ck_assert_int_eq(count_entries(dir), 1);

        ck_assert_int_eq(mlp__atomic_begin(&f, path, ".t-", 0644),
                         MLP__ATOMIC_OK);
        ck_assert(mlp__atomic_write(&f, big, 1000));
        mlp__atomic_abort(&f);
        assert_holds(path, old_text, sizeof old_text - 1);
        ck_assert_int_eq(count_entries(dir), 1);
        mlp__atomic_force_named_temp(0);
    }
    signal(SIGXFSZ, handler);
    free(big);
    remove_dir(dir);
}
END_TEST

/* Every file-system call of a replacement failing in turn (open, each
 * write, fsync, link, close, rename): each failure is reported with the
 * injected ENOSPC, the old file stays byte for byte and no temporary file
 * is left; once past the last call the replacement goes through. The
 * data is written in three pieces so that a failure can fall between
 * writes. */
START_TEST(every_failing_call_keeps_old_file)
{
    static const char text[] = "the new contents, in three pieces\n";
    char *dir = make_dir();
    char path[1024];
    for (int named = 0; named < 2; named++) {
        make_file(path, sizeof path, dir, "file", 0644);
        mlp__atomic_force_named_temp(named);
        unsigned long nth, failures = 0;
        for (nth = 1;; nth++) {
            struct mlp__atomic_file f;
            mlp__atomic_fault_inject(nth);
            enum mlp__atomic_result r = mlp__atomic_begin(&f, path, ".t-", 0644);
            bool ok = r == MLP__ATOMIC_OK;
            for (int piece = 0; piece < 3 && ok; piece++)
                ok = mlp__atomic_write(&f, text + 10 * piece,
                                       piece < 2 ? 10 : sizeof text - 21);
            if (ok) {
                r = mlp__atomic_commit(&f);
            } else if (r == MLP__ATOMIC_OK) {
                mlp__atomic_abort(&f);
                r = MLP__ATOMIC_FAILED;
            }
            int err = errno;
            mlp__atomic_fault_inject(0);
            if (r == MLP__ATOMIC_OK)
                break;
            failures++;
            ck_assert_int_eq(r, MLP__ATOMIC_FAILED);
            ck_assert_int_eq(err, ENOSPC);
            assert_holds(path, old_text, sizeof old_text - 1);
            ck_assert_int_eq(count_entries(dir), 1);
        }
        mlp__atomic_force_named_temp(0);
        /* open, 3 writes, fsync, close, rename; and link when unnamed */
        ck_assert_uint_eq(failures, named ? 7u : 8u);
        assert_holds(path, text, sizeof text - 1);
        ck_assert_int_eq(count_entries(dir), 1);
    }
    remove_dir(dir);
}
END_TEST

/* A name that does not fit the module's buffers fails with ENAMETOOLONG,
 * as the system calls would, and creates nothing. */
START_TEST(too_long_path_refused)
{
    char *dir = make_dir();
    size_t size = MLP__ATOMIC_PATH + 16;
    char *path = malloc(size);
    ck_assert_ptr_nonnull(path);
    int n = snprintf(path, size, "%s/", dir);
    memset(path + n, 'a', size - (size_t)n - 1);
    path[size - 1] = '\0';
    struct mlp__atomic_file f;
    errno = 0;
    ck_assert_int_eq(mlp__atomic_begin(&f, path, ".t-", 0644),
                     MLP__ATOMIC_FAILED);
    ck_assert_int_eq(errno, ENAMETOOLONG);
    ck_assert_int_eq(count_entries(dir), 0);
    free(path);
    remove_dir(dir);
}
END_TEST

static Suite *atomic_file_suite(void)
{
    Suite *s = suite_create("atomic_file");
    TCase *tc = tcase_create("replace");
    tcase_add_test(tc, regular_target_replaced_mode_kept);
    tcase_add_test(tc, link_kept_target_replaced);
    tcase_add_test(tc, non_regular_refused_untouched);
    suite_add_tcase(s, tc);
    tc = tcase_create("failures");
    tcase_add_test(tc, failed_write_keeps_old_file);
    tcase_add_test(tc, every_failing_call_keeps_old_file);
    tcase_add_test(tc, too_long_path_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(atomic_file_suite());
}
