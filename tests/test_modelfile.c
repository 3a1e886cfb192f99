/* test_modelfile.c - model files on disk (lib/modelfile.c): failed saves
 * keep the old file and leave no temporary, a read-only directory, saving
 * through symbolic links, the longest file name, the named-temporary
 * fallback, and saves terminated at random moments.
 *
 * Linked against the fault-injection build (mlp_test_dep), so every test
 * can count live allocations and make allocations or file-system calls
 * fail. */
#define _POSIX_C_SOURCE 200809L

#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "mlp.h"
#include "test_util.h"
#include "alloc.h"
#include "crc32c.h"
#include "model_files.h"
#include "serialize.h"


/* ------------------------------------------------------------------------ */
/* Failures                                                                  */

/* Saves net to path with the nth file-system call failing, for n = 1, 2,
 * ... until a save goes through: every failed save must report
 * MLP_ERR_IO and leave the file at path byte for byte `old`, no other
 * entry in dir and no allocation behind. Returns the number of failures. */
static unsigned long failing_io_saves(const mlp_t *net, const char *path,
                                      const char *dir,
                                      const unsigned char *old,
                                      size_t old_size)
{
    long live = mlp__live_allocations();
    unsigned long nth, failures = 0;
    for (nth = 1;; nth++) {
        mlp__io_fault_inject(nth);
        mlp_status s = mlp_save(net, path);
        mlp__io_fault_inject(0);
        if (s == MLP_OK)
            return failures;
        failures++;
        ck_assert_int_eq(s, MLP_ERR_IO);
        size_t size;
        unsigned char *now = read_all(path, &size);
        ck_assert_uint_eq(size, old_size);
        ck_assert_mem_eq(now, old, size);
        free(now);
        ck_assert_int_eq(count_entries(dir), 1);
        ck_assert_int_eq(mlp__live_allocations(), live);
    }
}

/* Every file-system call and allocation of a save, failed in turn: the old
 * file stays byte for byte, no temporary is left, nothing leaks. */
START_TEST(failed_save_keeps_old_file)
{
    char *dir = make_dir();
    char path[1024];
    snprintf(path, sizeof path, "%s/model.mlp", dir);
    mlp_t *old_net = make_net(&configs[0], 1), *new_net = make_net(&configs[3], 2);
    train(new_net, &configs[3], 1);
    ck_assert_int_eq(mlp_save(old_net, path), MLP_OK);
    size_t old_size;
    unsigned char *old = read_all(path, &old_size);

    long live = mlp__live_allocations(); /* the two networks */
    unsigned long io_failures = failing_io_saves(new_net, path, dir, old,
                                                 old_size);
    ck_assert_uint_ge(io_failures, 4); /* create, write, fsync, close, rename */
    for (unsigned long nth = 1;; nth++) {
        mlp__fault_inject(nth);
        mlp_status s = mlp_save(old_net, path);
        mlp__fault_inject(0);
        if (s == MLP_OK)
            break;
        ck_assert_int_eq(s, MLP_ERR_NOMEM);
        ck_assert_int_eq(count_entries(dir), 1);
        ck_assert_int_eq(mlp__live_allocations(), live);
    }
    /* The last save (old_net again) went through: the file is the old one;
     * one more save of new_net replaces it. */
    ck_assert_int_eq(mlp_save(new_net, path), MLP_OK);
    mlp_t *back;
    ck_assert_int_eq(mlp_load(&back, path), MLP_OK);
    assert_same_network(new_net, back);
    mlp_free(back);
    free(old);
    mlp_free(old_net);
    mlp_free(new_net);
    remove_dir(dir);
    ck_assert_int_eq(mlp__live_allocations(), 0);
}
END_TEST

/* A directory the process may not write to. Root may write anywhere, so
 * as root the check runs in a child that drops to user "nobody" (65534). */
static int save_into_read_only_dir(const char *dir, const char *path,
                                   const unsigned char *old, size_t old_size)
{
    mlp_t *net;
    if (mlp_create(&net, 1, (size_t[]){ 2, 2 }, NULL, MLP_MSE, 9) != MLP_OK)
        return 10;
    int rc = 0;
    if (mlp_save(net, path) != MLP_ERR_IO)
        rc = 11;
    FILE *f = fopen(path, "rb");
    unsigned char buf[4096];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f)
        fclose(f);
    if (!f || n != old_size || memcmp(buf, old, n) != 0)
        rc = 12;
    if (count_entries(dir) != 1)
        rc = 13;
    mlp_free(net);
    return rc;
}

START_TEST(read_only_directory)
{
    char *dir = make_dir();
    char path[1024];
    snprintf(path, sizeof path, "%s/model.mlp", dir);
    mlp_t *net = make_net(&configs[0], 1);
    ck_assert_int_eq(mlp_save(net, path), MLP_OK);
    mlp_free(net);
    size_t old_size;
    unsigned char *old = read_all(path, &old_size);
    ck_assert_uint_le(old_size, 4096);
    ck_assert_int_eq(chmod(path, 0644), 0);
    ck_assert_int_eq(chmod(dir, 0555), 0);

    int rc;
    if (geteuid() != 0) {
        rc = save_into_read_only_dir(dir, path, old, old_size);
    } else {
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            int code = 20;
            if (setgid(65534) == 0 && setuid(65534) == 0)
                code = save_into_read_only_dir(dir, path, old, old_size);
            /* The child's copies of the parent's buffers, freed so that
             * valgrind finds no leak in the child either. */
            free(old);
            free(dir);
            _exit(code);
        }
        int st;
        ck_assert_int_eq(waitpid(pid, &st, 0), pid);
        ck_assert(WIFEXITED(st));
        rc = WEXITSTATUS(st);
    }
    ck_assert_int_eq(chmod(dir, 0755), 0);
    ck_assert_msg(rc == 0, "read-only directory check failed: code %d", rc);
    free(old);
    remove_dir(dir);
}
END_TEST

/* A network with a NaN or Inf parameter (written through mlp_params) is
 * not saved: mlp_load would refuse the file, and the old model at the
 * path, the last one that loads, must not be replaced by it. */
START_TEST(nonfinite_network_keeps_old_file)
{
    char *dir = make_dir();
    char path[1024];
    snprintf(path, sizeof path, "%s/model.mlp", dir);
    mlp_t *old_net = make_net(&configs[0], 1), *net = make_net(&configs[1], 2);
    ck_assert_int_eq(mlp_save(old_net, path), MLP_OK);
    size_t old_size;
    unsigned char *old = read_all(path, &old_size);
    const real bad[] = { NAN, INFINITY, -INFINITY };
    for (int j = 0; j < 3; j++) {
        mlp_weights(net, 2)[3] = bad[j];
        ck_assert_int_eq(mlp_save(net, path), MLP_ERR_NONFINITE);
        size_t size;
        unsigned char *now = read_all(path, &size);
        ck_assert_uint_eq(size, old_size);
        ck_assert_mem_eq(now, old, size);
        free(now);
        ck_assert_int_eq(count_entries(dir), 1);
    }
    free(old);
    mlp_free(old_net);
    mlp_free(net);
    remove_dir(dir);
    ck_assert_int_eq(mlp__live_allocations(), 0);
}
END_TEST

/* Only a regular file is replaced. Renaming over a FIFO (or a device:
 * for root, /dev/null or /dev/full) would put a regular file in its
 * place; a directory cannot be renamed over. Each gives MLP_ERR_IO,
 * leaves what was there as it was and no temporary file behind. */
START_TEST(non_regular_target_kept)
{
    char *dir = make_dir();
    char fifo[1024], sub[1024];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    snprintf(sub, sizeof sub, "%s/sub", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    mlp_t *net = make_net(&configs[0], 1);
    for (int named = 0; named < 2; named++) {
        mlp__io_force_named_temp(named);
        ck_assert_int_eq(mlp_save(net, fifo), MLP_ERR_IO);
        ck_assert_int_eq(mlp_save(net, sub), MLP_ERR_IO);
        mlp__io_force_named_temp(0);
        struct stat st;
        ck_assert_int_eq(lstat(fifo, &st), 0);
        ck_assert(S_ISFIFO(st.st_mode));
        ck_assert_int_eq(lstat(sub, &st), 0);
        ck_assert(S_ISDIR(st.st_mode));
        ck_assert_int_eq(count_entries(dir), 2);
        ck_assert_int_eq(count_entries(sub), 0);
    }
    mlp_free(net);
    rmdir(sub);
    remove_dir(dir);
    ck_assert_int_eq(mlp__live_allocations(), 0);
}
END_TEST

/* A file that is not a model is refused from its first bytes: a large
 * one (here a sparse file of 1 TiB, nothing on disk) gives
 * MLP_ERR_FORMAT at once instead of an allocation of its size (which
 * fails, MLP_ERR_NOMEM) or a read of all of it. */
START_TEST(large_foreign_file_refused_from_magic)
{
    char *dir = make_dir();
    char path[1024];
    snprintf(path, sizeof path, "%s/data.csv", dir);
    write_all(path, "x,y\n1,2\n", 8);
    ck_assert_int_eq(truncate(path, (off_t)1 << 40), 0);
    long live = mlp__live_allocations();
    mlp__fault_inject(1); /* the load must not allocate at all */
    mlp_t *net = (mlp_t *)1;
    ck_assert_int_eq(mlp_load(&net, path), MLP_ERR_FORMAT);
    mlp__fault_inject(0);
    ck_assert_ptr_null(net);
    ck_assert_int_eq(mlp__live_allocations(), live);
    remove_dir(dir);
}
END_TEST

/* mlp_load(path) is MLP_ERR_FORMAT, and allocates nothing on the way. */
static void assert_refused_unallocated(const char *path, const char *what)
{
    long live = mlp__live_allocations();
    mlp__fault_inject(1); /* the load must not allocate at all */
    mlp_t *net = (mlp_t *)1;
    mlp_status st = mlp_load(&net, path);
    mlp__fault_inject(0);
    ck_assert_msg(st == MLP_ERR_FORMAT, "%s: status %d", what, (int)st);
    ck_assert_ptr_null(net);
    ck_assert_int_eq(mlp__live_allocations(), live);
}

/* A file that begins with the magic is judged by its header before
 * anything of its size is allocated: the layer sizes it declares must add
 * up to the file's own length (docs/format.md). Each of these is
 * MLP_ERR_FORMAT with no allocation at all (a file of 1 TiB was allocated
 * whole and gave MLP_ERR_NOMEM): a good model file extended to a sparse
 * 1 TiB (nothing on disk); the same file one byte short; a header whose
 * four sizes are 2^31 - 1 (parameters of some 2^64 bytes), checksum
 * recomputed, in the small file and in a sparse file of 1 TiB; and one
 * declaring 2^31 - 1 layers (24 GiB of header) in a sparse 1 TiB file. */
START_TEST(forged_file_refused_from_header)
{
    char *dir = make_dir();
    char path[1024];
    snprintf(path, sizeof path, "%s/forged.mlp", dir);
    mlp_t *net = make_net(&configs[1], 3); /* sizes 3,5,4,3 */
    size_t size;
    unsigned char *data = save_bytes(net, dir, &size);
    mlp_free(net);
    const off_t tib = (off_t)1 << 40;
    write_all(path, data, size);
    ck_assert_int_eq(truncate(path, tib), 0);
    assert_refused_unallocated(path, "a model padded to 1 TiB");
    write_all(path, data, size - 1);
    assert_refused_unallocated(path, "a model one byte short");
    unsigned char *huge = malloc(size);
    memcpy(huge, data, size);
    for (size_t l = 0; l < 4; l++) { /* sizes at 20, 28, 36, 44 */
        put_u32(huge + 20 + 8 * l, 0x7fffffffu);
        put_u32(huge + 24 + 8 * l, 0);
    }
    fix_crc(huge, size);
    write_all(path, huge, size);
    assert_refused_unallocated(path, "sizes of 2^31 - 1");
    ck_assert_int_eq(truncate(path, tib), 0);
    assert_refused_unallocated(path, "sizes of 2^31 - 1 in 1 TiB");
    memcpy(huge, data, size);
    put_u32(huge + 16, 0x7fffffffu); /* L */
    write_all(path, huge, size);
    ck_assert_int_eq(truncate(path, tib), 0);
    assert_refused_unallocated(path, "2^31 - 1 layers in 1 TiB");
    /* the file as saved loads */
    write_all(path, data, size);
    ck_assert_int_eq(mlp_load(&net, path), MLP_OK);
    mlp_free(net);
    free(huge);
    free(data);
    remove_dir(dir);
    ck_assert_int_eq(mlp__live_allocations(), 0);
}
END_TEST

/* mlp_load of data[0 .. n-1] written to path gives mlp_load_buffer's
 * status. */
static void assert_agree(const char *path, const unsigned char *data,
                         size_t n)
{
    write_all(path, data, n);
    mlp_t *a = NULL, *b = NULL;
    mlp_status from_file = mlp_load(&a, path);
    mlp_status from_memory = mlp_load_buffer(&b, data, n);
    ck_assert_msg(from_file == from_memory,
                  "length %zu: %d from the file, %d from memory", n,
                  (int)from_file, (int)from_memory);
    mlp_free(a);
    mlp_free(b);
}

/* mlp_load judges the header from the file and mlp_load_buffer from
 * memory, with the same parser: they must agree. Every bit of the header
 * of an Adam file (everything before the scaling, 132 bytes) flipped in
 * turn, checksum recomputed so that the fields are judged, and every
 * length the file could be cut to, give the same status both ways. */
START_TEST(file_and_buffer_agree)
{
    char *dir = make_dir();
    char path[1024];
    snprintf(path, sizeof path, "%s/edited.mlp", dir);
    mlp_t *net = make_net(&configs[8], 3); /* Adam, sizes 3,5,4,3 */
    train(net, &configs[8], 2);
    size_t size;
    unsigned char *data = save_bytes(net, dir, &size);
    mlp_free(net);
    unsigned char *copy = malloc(size);
    for (size_t bit = 0; bit < 8 * 132; bit++) {
        memcpy(copy, data, size);
        copy[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        fix_crc(copy, size);
        assert_agree(path, copy, size);
    }
    for (size_t n = 0; n <= size; n++)
        assert_agree(path, data, n);
    free(copy);
    free(data);
    remove_dir(dir);
    ck_assert_int_eq(mlp__live_allocations(), 0);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Saving through links, long names, the named-temporary fallback            */

static void assert_file_is(const char *path, const mlp_t *net)
{
    mlp_t *back;
    ck_assert_msg(mlp_load(&back, path) == MLP_OK, "%s does not load", path);
    ck_assert_mem_eq(mlp_params(back), mlp_params((mlp_t *)net),
                     mlp_n_params(back) * sizeof(real));
    mlp_free(back);
}

static bool is_link(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

START_TEST(save_follows_symlinks)
{
    char *dir = make_dir();
    char sub[1024], target[1024], link1[1024], link2[1024], dangling[1024];
    snprintf(sub, sizeof sub, "%s/models", dir);
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    snprintf(target, sizeof target, "%s/models/real.mlp", dir);
    snprintf(link1, sizeof link1, "%s/current.mlp", dir);
    snprintf(link2, sizeof link2, "%s/chain.mlp", dir);
    mlp_t *a = make_net(&configs[0], 1), *b = make_net(&configs[0], 2);
    ck_assert_int_eq(mlp_save(a, target), MLP_OK);
    ck_assert_int_eq(chmod(target, 0600), 0);
    /* A relative link (resolved against its own directory) and a link to
     * that link. */
    ck_assert_int_eq(symlink("models/real.mlp", link1), 0);
    ck_assert_int_eq(symlink(link1, link2), 0);
    ck_assert_int_eq(mlp_save(b, link2), MLP_OK);
    ck_assert(is_link(link1) && is_link(link2)); /* the links stay */
    assert_file_is(target, b);                   /* the target changed */
    struct stat st;
    ck_assert_int_eq(stat(target, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0600); /* and kept its mode */
    ck_assert_int_eq(count_entries(sub), 1);     /* no temporary left */
    ck_assert_int_eq(mlp_save(a, link1), MLP_OK);
    assert_file_is(target, a);
    /* A dangling link: its target is created. */
    snprintf(dangling, sizeof dangling, "%s/new.mlp", dir);
    ck_assert_int_eq(symlink("models/created.mlp", dangling), 0);
    ck_assert_int_eq(mlp_save(b, dangling), MLP_OK);
    ck_assert(is_link(dangling));
    char created[1024];
    snprintf(created, sizeof created, "%s/models/created.mlp", dir);
    assert_file_is(created, b);
    /* A loop: MLP_ERR_IO, nothing written. */
    char loop_a[1024], loop_b[1024];
    snprintf(loop_a, sizeof loop_a, "%s/loop-a", dir);
    snprintf(loop_b, sizeof loop_b, "%s/loop-b", dir);
    ck_assert_int_eq(symlink(loop_b, loop_a), 0);
    ck_assert_int_eq(symlink(loop_a, loop_b), 0);
    int before = count_entries(dir);
    ck_assert_int_eq(mlp_save(a, loop_a), MLP_ERR_IO);
    ck_assert_int_eq(count_entries(dir), before);
    unlink(target);
    unlink(created);
    rmdir(sub);
    mlp_free(a);
    mlp_free(b);
    remove_dir(dir);
    ck_assert_int_eq(mlp__live_allocations(), 0);
}
END_TEST

/* A file name of 255 bytes, the longest most file systems allow, saves
 * and loads, on both temporary-file paths. */
START_TEST(longest_file_name)
{
    char *dir = make_dir();
    char path[1024];
    int n = snprintf(path, sizeof path, "%s/", dir);
    memset(path + n, 'm', 251);
    memcpy(path + n + 251, ".mlp", 5);
    mlp_t *net = make_net(&configs[2], 3);
    for (int named = 0; named < 2; named++) {
        mlp__io_force_named_temp(named);
        ck_assert_int_eq(mlp_save(net, path), MLP_OK);
        mlp__io_force_named_temp(0);
        assert_file_is(path, net);
        ck_assert_int_eq(count_entries(dir), 1);
    }
    mlp_free(net);
    remove_dir(dir);
}
END_TEST

/* The fallback through a named temporary file (no O_TMPFILE): every
 * file-system call failed in turn keeps the old file and leaves no
 * temporary behind, as on the O_TMPFILE path. */
START_TEST(named_temp_fallback)
{
    char *dir = make_dir();
    char path[1024];
    snprintf(path, sizeof path, "%s/model.mlp", dir);
    mlp_t *old_net = make_net(&configs[0], 1), *new_net = make_net(&configs[3], 2);
    ck_assert_int_eq(mlp_save(old_net, path), MLP_OK);
    size_t old_size;
    unsigned char *old = read_all(path, &old_size);
    mlp__io_force_named_temp(1);
    unsigned long failures = failing_io_saves(new_net, path, dir, old,
                                              old_size);
    mlp__io_force_named_temp(0);
    ck_assert_uint_ge(failures, 4); /* create, write, fsync, close, rename */
    assert_file_is(path, new_net);
    free(old);
    mlp_free(old_net);
    mlp_free(new_net);
    remove_dir(dir);
}
END_TEST

/* Saves killed by SIGTERM at random moments (40 times, a child saving two
 * networks in turn): the file always loads as one of the two, and nothing
 * else is left in the directory. While the model is written the temporary
 * file has no name (O_TMPFILE), and from naming it to the rename signals
 * wait, so no moment leaves a temporary behind. (SIGKILL cannot be made
 * to wait: a kill in the few microseconds between linkat and rename can
 * leave one; docs/format.md says so.) */
START_TEST(terminated_saves_leave_nothing)
{
    char *dir = make_dir();
    char path[1024];
    snprintf(path, sizeof path, "%s/model.mlp", dir);
    mlp_t *nets[2] = { make_net(&configs[0], 1), make_net(&configs[0], 2) };
    ck_assert_int_eq(mlp_save(nets[0], path), MLP_OK);
    unsigned seed = 12345;
    int which[2] = { 0, 0 };
    for (int k = 0; k < 40; k++) {
        /* Check's runner handles SIGTERM by ending its whole process
         * group; the child must just die, so it sets the default action
         * before it can receive one. */
        sigset_t term, old_mask;
        sigemptyset(&term);
        sigaddset(&term, SIGTERM);
        ck_assert_int_eq(sigprocmask(SIG_BLOCK, &term, &old_mask), 0);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            signal(SIGTERM, SIG_DFL);
            sigprocmask(SIG_SETMASK, &old_mask, NULL);
            for (unsigned i = (unsigned)k;; i++)
                mlp_save(nets[i % 2], path);
        }
        ck_assert_int_eq(sigprocmask(SIG_SETMASK, &old_mask, NULL), 0);
        seed = seed * 1103515245u + 12345u;
        struct timespec ts = { 0, 200000 + (long)(seed >> 8) % 20000000 };
        nanosleep(&ts, NULL);
        ck_assert_int_eq(kill(pid, SIGTERM), 0);
        int st;
        ck_assert_int_eq(waitpid(pid, &st, 0), pid);
        ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
        ck_assert_int_eq(count_entries(dir), 1);
        mlp_t *back;
        ck_assert_int_eq(mlp_load(&back, path), MLP_OK);
        bool is0 = memcmp(mlp_params(back), mlp_params(nets[0]),
                          mlp_n_params(back) * sizeof(double)) == 0;
        bool is1 = memcmp(mlp_params(back), mlp_params(nets[1]),
                          mlp_n_params(back) * sizeof(double)) == 0;
        ck_assert(is0 || is1);
        which[is1]++;
        mlp_free(back);
    }
    printf("format: 40 saves terminated, the file held the first model %d "
           "times, the second %d times, no temporary left\n", which[0],
           which[1]);
    mlp_free(nets[0]);
    mlp_free(nets[1]);
    remove_dir(dir);
}
END_TEST

static Suite *modelfile_suite(void)
{
    Suite *s = suite_create("modelfile");
    TCase *tc = tcase_create("saving");
    tcase_add_test(tc, save_follows_symlinks);
    tcase_add_test(tc, longest_file_name);
    tcase_add_test(tc, named_temp_fallback);
    tcase_add_test(tc, terminated_saves_leave_nothing);
    suite_add_tcase(s, tc);

    tc = tcase_create("failures");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, failed_save_keeps_old_file);
    tcase_add_test(tc, read_only_directory);
    tcase_add_test(tc, nonfinite_network_keeps_old_file);
    tcase_add_test(tc, non_regular_target_kept);
    tcase_add_test(tc, large_foreign_file_refused_from_magic);
    tcase_add_test(tc, forged_file_refused_from_header);
    tcase_add_test(tc, file_and_buffer_agree);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(modelfile_suite());
}
