/* test_threads.c - several threads at once: each training its own network,
 * and many predicting with one shared network.
 *
 * mlp.h promises no global mutable state: distinct networks may be used
 * from distinct threads at the same time. Each job below is first run
 * alone, on the main thread, for reference; then all jobs run at once,
 * released together by a barrier, twice each, and every thread's final
 * parameters, cost and saved model must equal the reference bitwise
 * (memcmp). With one BLAS thread (pinned in main, whatever the
 * environment) results are bitwise reproducible, so any difference is
 * interference.
 * The second test shares one network between N_THREADS threads, each with
 * its own workspace (mlp_predict_ws, mlp_jacobian): every output and
 * Jacobian must equal the serial run's bitwise, and the network's bytes
 * must be unchanged.
 * Built with -fsanitize=thread by .ci/tsan, the same tests let
 * ThreadSanitizer look for data races. */
#define _POSIX_C_SOURCE 200809L

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlp.h"
#include "precision.h" /* real, and the mlpf_ names under -DMLP_SINGLE */

enum { N_JOBS = 4, COPIES = 2, N_THREADS = N_JOBS * COPIES, STEPS = 60 };

struct job {
    size_t n_layers;
    size_t sizes[4];
    mlp_activation acts[3];
    mlp_loss loss;
    double momentum;
    size_t batch; /* the first steps use smaller batches: workspace growth */
};

static const struct job jobs[N_JOBS] = {
    { 2, { 4, 16, 3 }, { MLP_TANH, MLP_SOFTMAX }, MLP_CROSS_ENTROPY, 0.9, 32 },
    { 3, { 8, 32, 16, 2 }, { MLP_RELU, MLP_RELU, MLP_IDENTITY }, MLP_MSE, 0.0, 64 },
    { 1, { 5, 1 }, { MLP_SIGMOID }, MLP_CROSS_ENTROPY, 0.5, 7 },
    { 2, { 3, 64, 3 }, { MLP_SIGMOID, MLP_SIGMOID }, MLP_MSE, 0.0, 16 },
};

struct result {
    mlp_status status;
    real cost;
    size_t n_params;
    real *params;
    unsigned char *file;
    size_t file_size;
};

static char tmpdir[256];
static pthread_barrier_t start;

static void fill(real *x, size_t n, unsigned seed)
{
    unsigned s = seed * 2654435761u + 7u;
    for (size_t i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        x[i] = ((real)(s >> 8) / (real)(1u << 24)) * 2.0 - 1.0;
    }
}

static unsigned char *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *data = NULL;
    long n;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0) {
        rewind(f);
        data = malloc((size_t)n);
        if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
            free(data);
            data = NULL;
        }
        *size = (size_t)n;
    }
    fclose(f);
    return data;
}

/* Trains job j's network; everything it touches is its own. `slot` names
 * its model file, so that concurrent saves do not share a path. */
static struct result run_job(int j, int slot)
{
    const struct job *jb = &jobs[j];
    struct result r = { 0 };
    size_t n_in = jb->sizes[0], n_out = jb->sizes[jb->n_layers];
    real *X = malloc(jb->batch * n_in * sizeof *X);
    real *T = malloc(jb->batch * n_out * sizeof *T);
    mlp_t *net = NULL;
    if (!X || !T) {
        r.status = MLP_ERR_NOMEM;
        goto out;
    }
    r.status = mlp_create(&net, jb->n_layers, jb->sizes, jb->acts, jb->loss,
                          1000 + (uint64_t)j);
    if (r.status == MLP_OK)
        r.status = mlp_set_sgd(net, 0.05, jb->momentum);
    for (int step = 0; step < STEPS && r.status == MLP_OK; step++) {
        size_t batch = step < 5 ? (size_t)step + 1 : jb->batch;
        fill(X, batch * n_in, (unsigned)(step * 31 + j));
        fill(T, batch * n_out, (unsigned)(step * 17 + j + 5));
        if (jb->loss == MLP_CROSS_ENTROPY) /* probabilities as targets */
            for (size_t i = 0; i < batch * n_out; i++)
                T[i] = T[i] * 0.5 + 0.5;
        /* Alternate the fused update with backprop + step. */
        if (step % 3 == 2) {
            r.status = mlp_backprop(net, batch, X, T, &r.cost);
            if (r.status == MLP_OK)
                r.status = mlp_step(net);
        } else {
            r.status = mlp_train_batch(net, batch, X, T, &r.cost);
        }
    }
    if (r.status == MLP_OK) {
        r.n_params = mlp_n_params(net);
        r.params = malloc(r.n_params * sizeof *r.params);
        if (r.params)
            memcpy(r.params, mlp_params(net), r.n_params * sizeof *r.params);
        char path[512];
        snprintf(path, sizeof path, "%s/model-%d.mlp", tmpdir, slot);
        r.status = mlp_save(net, path);
        mlp_t *back = NULL;
        if (r.status == MLP_OK)
            r.status = mlp_load(&back, path);
        mlp_free(back);
        if (r.status == MLP_OK)
            r.file = read_all(path, &r.file_size);
        unlink(path);
    }
out:
    mlp_free(net);
    free(X);
    free(T);
    return r;
}

struct thread_arg {
    int job, slot;
    struct result result;
};

static void *thread_main(void *p)
{
    struct thread_arg *a = p;
    pthread_barrier_wait(&start); /* all threads start training together */
    a->result = run_job(a->job, a->slot);
    return NULL;
}

static void free_result(struct result *r)
{
    free(r->params);
    free(r->file);
}

START_TEST(threads_match_single_thread)
{
    snprintf(tmpdir, sizeof tmpdir, "%s/mlp-threads-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));

    struct result ref[N_JOBS];
    for (int j = 0; j < N_JOBS; j++) {
        ref[j] = run_job(j, 100 + j);
        ck_assert_int_eq(ref[j].status, MLP_OK);
        ck_assert_ptr_nonnull(ref[j].params);
        ck_assert_ptr_nonnull(ref[j].file);
    }

    pthread_t tid[N_THREADS];
    struct thread_arg args[N_THREADS];
    ck_assert_int_eq(pthread_barrier_init(&start, NULL, N_THREADS), 0);
    for (int t = 0; t < N_THREADS; t++) {
        args[t].job = t % N_JOBS;
        args[t].slot = t;
        ck_assert_int_eq(pthread_create(&tid[t], NULL, thread_main, &args[t]), 0);
    }
    for (int t = 0; t < N_THREADS; t++)
        ck_assert_int_eq(pthread_join(tid[t], NULL), 0);
    pthread_barrier_destroy(&start);

    for (int t = 0; t < N_THREADS; t++) {
        struct result *r = &args[t].result, *e = &ref[args[t].job];
        ck_assert_msg(r->status == MLP_OK, "thread %d: %s", t,
                      mlp_strerror(r->status));
        ck_assert_uint_eq(r->n_params, e->n_params);
        ck_assert_msg(memcmp(r->params, e->params,
                             e->n_params * sizeof *e->params) == 0,
                      "thread %d (job %d): parameters differ from the "
                      "single-threaded run", t, args[t].job);
        ck_assert_msg(memcmp(&r->cost, &e->cost, sizeof e->cost) == 0,
                      "thread %d: cost differs", t);
        ck_assert_uint_eq(r->file_size, e->file_size);
        ck_assert_msg(memcmp(r->file, e->file, e->file_size) == 0,
                      "thread %d: saved model differs", t);
        free_result(r);
    }
    for (int j = 0; j < N_JOBS; j++)
        free_result(&ref[j]);
    rmdir(tmpdir);
}
END_TEST

/* One network read by every thread at once. Batches of 1 to SHARED_MAX
 * rows, starting small so that each workspace grows while others read. */
enum { SHARED_ROUNDS = 40, SHARED_MAX = 24 };

struct shared {
    const mlp_t *net;
    size_t n_in, n_out;
    const real *X;    /* SHARED_MAX x n_in */
    const real *want; /* per round: the serial outputs */
    const real *want_J; /* per round: the serial Jacobians */
};

struct shared_arg {
    const struct shared *sh;
    int ok;
    mlp_status status;
};

static size_t round_batch(int round)
{
    return round < 8 ? (size_t)round + 1 : 1 + (size_t)(round * 7) % SHARED_MAX;
}

static void *shared_main(void *p)
{
    struct shared_arg *a = p;
    const struct shared *sh = a->sh;
    mlp_workspace_t *ws = NULL;
    size_t n_J = SHARED_MAX * sh->n_out * sh->n_in;
    real *Y = malloc(SHARED_MAX * sh->n_out * sizeof *Y);
    real *J = malloc(n_J * sizeof *J);
    pthread_barrier_wait(&start);
    a->status = Y && J ? mlp_workspace_create(&ws, sh->net, 1) : MLP_ERR_NOMEM;
    a->ok = 1;
    for (int r = 0; r < SHARED_ROUNDS && a->status == MLP_OK; r++) {
        size_t batch = round_batch(r);
        a->status = mlp_predict_ws(sh->net, ws, batch, sh->X, Y);
        const real *want = sh->want + (size_t)r * SHARED_MAX * sh->n_out;
        if (a->status == MLP_OK &&
            memcmp(Y, want, batch * sh->n_out * sizeof *Y) != 0)
            a->ok = 0;
        if (a->status == MLP_OK && r % 4 == 3) {
            a->status = mlp_jacobian(sh->net, ws, batch, sh->X, J);
            if (a->status == MLP_OK &&
                memcmp(J, sh->want_J + (size_t)r * n_J,
                       batch * sh->n_out * sh->n_in * sizeof *J) != 0)
                a->ok = 0;
        }
    }
    mlp_workspace_free(ws);
    free(Y);
    free(J);
    return NULL;
}

START_TEST(shared_network_predicts_as_serial)
{
    size_t sizes[] = { 12, 32, 16, 5 };
    mlp_activation acts[] = { MLP_TANH, MLP_RELU, MLP_SOFTMAX };
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 3, sizes, acts, MLP_CROSS_ENTROPY, 77),
                     MLP_OK);
    size_t n_in = sizes[0], n_out = sizes[3], np = mlp_n_params(net);
    real *X = malloc(SHARED_MAX * n_in * sizeof *X);
    real *want = malloc(SHARED_ROUNDS * SHARED_MAX * n_out * sizeof *want);
    real *before = malloc(2 * np * sizeof *before);
    size_t n_J = SHARED_MAX * n_out * n_in;
    real *want_J = malloc(SHARED_ROUNDS * n_J * sizeof *want_J);
    mlp_workspace_t *ws = NULL;
    ck_assert(X && want && before && want_J);
    ck_assert_int_eq(mlp_workspace_create(&ws, net, SHARED_MAX), MLP_OK);
    fill(X, SHARED_MAX * n_in, 3);
    /* the serial reference, on the network's own workspace */
    for (int r = 0; r < SHARED_ROUNDS; r++)
        ck_assert_int_eq(mlp_predict(net, round_batch(r), X,
                                     want + (size_t)r * SHARED_MAX * n_out),
                         MLP_OK);
    for (int r = 3; r < SHARED_ROUNDS; r += 4)
        ck_assert_int_eq(mlp_jacobian(net, ws, round_batch(r), X,
                                      want_J + (size_t)r * n_J), MLP_OK);
    mlp_workspace_free(ws);
    memcpy(before, mlp_params(net), np * sizeof *before);
    memcpy(before + np, mlp_grads(net), np * sizeof *before);

    struct shared sh = { net, n_in, n_out, X, want, want_J };
    pthread_t tid[N_THREADS];
    struct shared_arg args[N_THREADS];
    ck_assert_int_eq(pthread_barrier_init(&start, NULL, N_THREADS), 0);
    for (int t = 0; t < N_THREADS; t++) {
        args[t] = (struct shared_arg){ &sh, 0, MLP_OK };
        ck_assert_int_eq(pthread_create(&tid[t], NULL, shared_main, &args[t]), 0);
    }
    for (int t = 0; t < N_THREADS; t++)
        ck_assert_int_eq(pthread_join(tid[t], NULL), 0);
    pthread_barrier_destroy(&start);
    for (int t = 0; t < N_THREADS; t++) {
        ck_assert_msg(args[t].status == MLP_OK, "thread %d: %s", t,
                      mlp_strerror(args[t].status));
        ck_assert_msg(args[t].ok, "thread %d: outputs differ from the serial "
                      "run", t);
    }
    ck_assert(memcmp(before, mlp_params(net), np * sizeof *before) == 0);
    ck_assert(memcmp(before + np, mlp_grads(net), np * sizeof *before) == 0);
    free(X);
    free(want);
    free(before);
    free(want_J);
    mlp_free(net);
}
END_TEST

int main(void)
{
    if (mlp_set_blas_threads(1) != MLP_OK)
        return EXIT_FAILURE;
    Suite *s = suite_create("threads");
    TCase *tc = tcase_create("concurrent training");
    tcase_set_timeout(tc, 300); /* ThreadSanitizer and valgrind are slow */
    tcase_add_test(tc, threads_match_single_thread);
    tcase_add_test(tc, shared_network_predicts_as_serial);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
