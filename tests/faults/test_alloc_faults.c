/*
 * test_alloc_faults.c - allocation failures through the real allocator.
 *
 * Runs with LD_PRELOAD=libfailalloc.so (failalloc.h), against the shared
 * libmlp as users get it, with whatever BLAS and LAPACK it was built on.
 * For each operation below and each BLAS thread count (1 and 2), the
 * allocating calls of the whole process during the operation are counted
 * (n), then for every N = 1..n+1 a child process makes the Nth of them fail.
 * Each child must either
 *   - return MLP_ERR_NOMEM with nothing leaked (live blocks back to where
 *     they were) and the network unchanged: parameters bit for bit those of
 *     an identical twin that never failed, and after one more training step
 *     on both (one BLAS thread), still the twin's bits, so the optimizer
 *     state did not change either; a failed load leaves *net NULL, a failed
 *     save leaves the old file's bytes and no other file;
 *   - or return MLP_OK when N > n, or when the failed call was the BLAS's
 *     and it worked around it (ATLAS's GEMM falls back to a slower path);
 *   - or, when the failed call came from inside the BLAS runtime and not
 *     from libmlp, end the way that backend is documented to end (the
 *     limits table below, docs/blas-threads.md): OpenBLAS with
 *     more than one thread prints "malloc failed in gemm_driver" and calls
 *     exit(1); OpenMP's runtime (BLIS) prints "Out of memory" and exits 1;
 *     ATLAS fails an assertion and exits 255. With one OpenBLAS thread or
 *     the reference BLAS no failure may end the process.
 * A second test checks the promise "nothing is allocated after growth":
 * with a grown workspace, mlp_predict and mlp_train_batch make no
 * allocation from libmlp, and with the backends that keep the promise
 * (reference BLAS, OpenBLAS with one thread) none at all.
 *
 * Everything is exact: bitwise comparisons, exact counts.
 */
#define _GNU_SOURCE
#include "failalloc.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mlp.h"

/* Large enough that OpenBLAS splits the GEMMs between threads (it keeps a
 * small product on one thread), small enough for a few hundred forks. */
#define N0 64
#define NL 10
#define ROWS 256
static const size_t sizes[] = { N0, 128, 128, NL };
static double X[ROWS * N0], T[ROWS * NL];

static const struct failalloc_control *fa;
static char dir[] = "/tmp/mlp-faults-XXXXXX";
static char model_path[300], save_path[300];

enum op { OP_LOAD, OP_FIT, OP_SET_ADAM, OP_INIT_ORTHO, OP_SAVE, OP_PREDICT,
          OP_TRAIN, N_OPS };
static const char *const op_names[N_OPS] = {
    "load", "fit with validation", "set_adam", "orthogonal init", "save",
    "predict", "train_batch",
};

/* What a child reports through its exit status. */
enum verdict { V_NOMEM_CLEAN = 40, V_OK, V_WRONG_STATUS, V_LEAK, V_CHANGED,
               V_NOT_NULL, V_FILE_CHANGED, V_SETUP };

static void make_data(void)
{
    uint64_t s = 0x9e3779b97f4a7c15u;
    for (size_t i = 0; i < ROWS * N0; i++) {
        s = s * 6364136223846793005u + 1442695040888963407u;
        X[i] = (double)(s >> 11) / 9007199254740992.0 * 2.0 - 1.0;
    }
    for (size_t r = 0; r < ROWS; r++)
        for (size_t c = 0; c < NL; c++)
            T[r * NL + c] = c == r % NL;
}

/* A network with momentum state and a workspace grown to ROWS rows. */
static mlp_t *make_net(void)
{
    mlp_t *net = NULL;
    double cost, Y[ROWS * NL];
    if (mlp_create(&net, 3, sizes, NULL, MLP_MSE, 7) != MLP_OK ||
        mlp_set_sgd(net, 0.05, 0.9) != MLP_OK ||
        mlp_train_batch(net, ROWS, X, T, &cost) != MLP_OK ||
        mlp_predict(net, ROWS, X, Y) != MLP_OK)
        _exit(V_SETUP);
    return net;
}

static mlp_status run_op(enum op op, mlp_t *net, mlp_t **loaded)
{
    double cost, Y[ROWS * NL];
    mlp_fit_options o;
    mlp_fit_defaults(&o);
    o.epochs = 2;
    o.batch_size = 64;
    o.validation = 0.25;
    switch (op) {
    case OP_LOAD: return mlp_load(loaded, model_path);
    case OP_FIT: return mlp_fit(net, ROWS, X, T, &o, NULL);
    case OP_SET_ADAM: return mlp_set_adam(net, 1e-3, 0.9, 0.999, 1e-8);
    case OP_INIT_ORTHO: return mlp_init(net, MLP_INIT_ORTHOGONAL, 5);
    case OP_SAVE: return mlp_save(net, save_path);
    case OP_PREDICT: return mlp_predict(net, ROWS, X, Y);
    case OP_TRAIN: return mlp_train_batch(net, ROWS, X, T, &cost);
    default: return MLP_ERR_ARG;
    }
}

static int same_params(mlp_t *a, mlp_t *b)
{
    return memcmp(mlp_params(a), mlp_params(b),
                  mlp_n_params(a) * sizeof(double)) == 0;
}

static size_t read_all(const char *path, unsigned char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

/* The files in dir other than the two models, which must both be there. */
static int stray_files(void)
{
    DIR *d = opendir(dir);
    int stray = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
            strcmp(e->d_name, "model.mlp") && strcmp(e->d_name, "saved.mlp"))
            stray++;
    if (d)
        closedir(d);
    return stray;
}

/* After a failed operation: unchanged, and one more step agrees bitwise. */
static enum verdict judge_nomem(enum op op, mlp_t *net, mlp_t *twin,
                                mlp_t *loaded, const unsigned char *old,
                                size_t old_size)
{
    static unsigned char now[1 << 20];
    double c1, c2;
    if (op == OP_LOAD)
        return loaded == NULL ? V_NOMEM_CLEAN : V_NOT_NULL;
    if (op == OP_SAVE &&
        (read_all(save_path, now, sizeof now) != old_size ||
         memcmp(now, old, old_size) != 0 || stray_files() != 0))
        return V_FILE_CHANGED;
    if (!same_params(net, twin))
        return V_CHANGED;
    mlp_set_blas_threads(1);
    if (mlp_train_batch(net, ROWS, X, T, &c1) != MLP_OK ||
        mlp_train_batch(twin, ROWS, X, T, &c2) != MLP_OK ||
        !same_params(net, twin) || memcmp(&c1, &c2, sizeof c1) != 0)
        return V_CHANGED;
    return V_NOMEM_CLEAN;
}

/* The child: the Nth allocating call fails (nth 0: none, just count). */
static void child(enum op op, size_t threads, unsigned long nth)
{
    static unsigned char old[1 << 20];
    if (mlp_set_blas_threads(threads) != MLP_OK)
        _exit(V_SETUP);
    mlp_t *net = make_net(), *twin = make_net(), *loaded = NULL;
    size_t old_size = read_all(save_path, old, sizeof old);
    long live = fa->live();
    fa->arm(nth);
    mlp_status s = run_op(op, net, &loaded);
    fa->disarm();
    if (s == MLP_OK) {
        mlp_free(loaded);
        _exit(V_OK);
    }
    if (s != MLP_ERR_NOMEM)
        _exit(V_WRONG_STATUS);
    enum verdict v = judge_nomem(op, net, twin, loaded, old, old_size);
    if (v == V_NOMEM_CLEAN && fa->live() != live)
        v = V_LEAK;
    _exit(v);
}

/* How a backend ends the process when an allocation of its own fails. */
struct limit {
    const char *object;     /* the failing caller's file name contains this */
    int min_threads;        /* applies from this many BLAS threads on */
    int exit_status;
    const char *message;    /* printed on stderr */
};
static const struct limit limits[] = {
    { "libopenblas", 2, 1, "OpenBLAS: malloc failed in gemm_driver" },
    { "libgomp", 1, 1, "libgomp: Out of memory" },
    { "libatlas", 1, 255, "assertion" },
};

static const char *object_of(void *addr)
{
    Dl_info info;
    return addr && dladdr(addr, &info) && info.dli_fname ? info.dli_fname
                                                         : "(unknown)";
}

/* Counters of one sweep, for the log. */
struct tally {
    unsigned long points, clean, ok, limited;
};

/* Runs child(op, threads, nth) in a fork; its exit status and stderr. */
static int fork_child(enum op op, size_t threads, unsigned long nth,
                      char *err, size_t err_size)
{
    int pipefd[2];
    ck_assert_int_eq(pipe(pipefd), 0);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(pipefd[1], STDERR_FILENO);
        close(pipefd[0]);
        child(op, threads, nth);
    }
    close(pipefd[1]);
    size_t got = 0;
    ssize_t r;
    while ((r = read(pipefd[0], err + got, err_size - 1 - got)) > 0)
        got += (size_t)r;
    err[got] = '\0';
    close(pipefd[0]);
    int ws;
    ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : 1000 + WTERMSIG(ws);
}

/* A child that ended without reporting: allowed only as a backend limit. */
static void check_limit(enum op op, size_t threads, unsigned long N,
                        int status, const char *err, struct tally *t)
{
    const char *who = object_of(fa->caller(N));
    ck_assert_msg(fa->failed(), "%s, %zu threads, N = %lu: status %d "
                  "without a failed allocation; stderr: %s", op_names[op],
                  threads, N, status, err);
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        const struct limit *l = &limits[i];
        if (!strstr(who, l->object) || (int)threads < l->min_threads)
            continue;
        ck_assert_msg(status == l->exit_status && strstr(err, l->message),
                      "%s, %zu threads, N = %lu (in %s): exit %d, stderr %s",
                      op_names[op], threads, N, who, status, err);
        t->limited++;
        return;
    }
    ck_abort_msg("%s, %zu threads: allocation %lu (called from %s) failing "
                 "ended the process with status %d; stderr: %s", op_names[op],
                 threads, N, who, status, err);
}

static void sweep(enum op op, size_t threads)
{
    char err[4096];
    struct tally t = { 0, 0, 0, 0 };
    ck_assert_int_eq(fork_child(op, threads, 0, err, sizeof err), V_OK);
    unsigned long n = fa->calls();
    t.points = n;
    for (unsigned long N = 1; N <= n + 1; N++) {
        int status = fork_child(op, threads, N, err, sizeof err);
        if (status == V_NOMEM_CLEAN && N <= n)
            t.clean++;
        else if (status == V_OK && (N > n || !fa->failed() ||
                 !strstr(object_of(fa->caller(N)), "libmlp")))
            t.ok++;   /* past the end, or a failure the BLAS worked around */
        else if (status >= V_NOMEM_CLEAN && status <= V_SETUP)
            ck_abort_msg("%s, %zu threads: allocation %lu of %lu (called "
                         "from %s) failing gave verdict %d", op_names[op],
                         threads, N, n, object_of(fa->caller(N)), status);
        else
            check_limit(op, threads, N, status, err, &t);
    }
    printf("%-20s %zu BLAS thread%s: %3lu allocation points, %3lu clean "
           "MLP_ERR_NOMEM, %lu OK, %lu ended by the BLAS runtime\n",
           op_names[op], threads, threads > 1 ? "s" : " ", t.points, t.clean,
           t.ok, t.limited);
}

/* 2 threads where the backend has threads and the machine 2 processors
 * (libmlp caps a request at the processors online), else 1. */
static size_t two_threads(void)
{
    mlp_status s = mlp_set_blas_threads(2);
    if (s == MLP_OK) {
        size_t cpus = (size_t)sysconf(_SC_NPROCESSORS_ONLN);
        ck_assert_uint_eq(mlp_blas_threads(), cpus < 2 ? cpus : 2);
        return mlp_blas_threads();
    }
    ck_assert_int_eq(s, MLP_ERR_ARG);     /* a serial backend */
    ck_assert_uint_eq(mlp_blas_threads(), 1);
    return 1;
}

START_TEST(test_sweep)
{
    enum op op = (enum op)_i;
    sweep(op, 1);
    size_t threads = two_threads();
    if (threads == 2)
        sweep(op, 2);
}
END_TEST

static int loaded(const char *soname)
{
    void *h = dlopen(soname, RTLD_NOW | RTLD_NOLOAD);
    if (h)
        dlclose(h);
    return h != NULL;
}

/* Does the loaded backend promise no allocation per call at this many
 * threads? The reference BLAS does; OpenBLAS with one thread does; BLIS
 * (through the OpenMP runtime) and ATLAS do not. */
static int backend_keeps_promise(size_t threads)
{
    if (loaded("libgomp.so.1") || loaded("libblis.so.4") ||
        loaded("libatlas.so.3"))
        return 0;
    if (loaded("libopenblas.so.0"))
        return threads == 1;
    return 1;
}

static void count_per_call(size_t threads)
{
    mlp_t *net = make_net();
    double Y[ROWS * NL], cost;
    unsigned long from_mlp = 0, from_blas = 0;
    /* No assertion while armed: Check's own bookkeeping allocates. */
    fa->arm(0);
    mlp_status s1 = mlp_predict(net, ROWS, X, Y);
    mlp_status s2 = mlp_train_batch(net, ROWS, X, T, &cost);
    mlp_status s3 = mlp_predict(net, 7, X, Y);
    fa->disarm();
    ck_assert(s1 == MLP_OK && s2 == MLP_OK && s3 == MLP_OK);
    for (unsigned long k = 1; k <= fa->calls(); k++)
        if (strstr(object_of(fa->caller(k)), "libmlp"))
            from_mlp++;
        else
            from_blas++;
    printf("predict + train_batch + predict, %zu BLAS thread%s: %lu "
           "allocations by libmlp, %lu by the BLAS runtime\n", threads,
           threads > 1 ? "s" : "", from_mlp, from_blas);
    fflush(stdout);
    ck_assert_uint_eq(from_mlp, 0);
    if (backend_keeps_promise(threads))
        ck_assert_uint_eq(from_blas, 0);
    mlp_free(net);
}

START_TEST(test_no_allocation_after_growth)
{
    ck_assert_int_eq(mlp_set_blas_threads(1), MLP_OK);
    count_per_call(1);
    size_t threads = two_threads();
    if (threads == 2)
        count_per_call(2);
}
END_TEST

static void save_models(void)
{
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 3, sizes, NULL, MLP_MSE, 3), MLP_OK);
    ck_assert_int_eq(mlp_save(net, model_path), MLP_OK);
    ck_assert_int_eq(mlp_save(net, save_path), MLP_OK);
    mlp_free(net);
}

int main(void)
{
    fa = failalloc_control();
    if (!fa) {
        fprintf(stderr, "test_alloc_faults: run with "
                "LD_PRELOAD=libfailalloc.so (see tests/faults/meson.build)\n");
        return 1;
    }
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(model_path, sizeof model_path, "%s/model.mlp", dir);
    snprintf(save_path, sizeof save_path, "%s/saved.mlp", dir);
    make_data();

    Suite *s = suite_create("alloc_faults");
    TCase *tc = tcase_create("real allocator");
    tcase_set_timeout(tc, 600);
    tcase_add_unchecked_fixture(tc, save_models, NULL);
    tcase_add_loop_test(tc, test_sweep, 0, N_OPS);
    tcase_add_test(tc, test_no_allocation_after_growth);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    unlink(model_path);
    unlink(save_path);
    rmdir(dir);
    return failed > 64 ? 64 : failed;
}
