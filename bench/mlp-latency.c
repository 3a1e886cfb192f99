/* mlp-latency.c - inference latency: microseconds per call of
 * mlp_predict_ws, mlp_jacobian and their references, against FANN's
 * fann_run and (when built) libtorch, each peer in its own process; and
 * the throughput of threads predicting with one shared network.
 *
 * Usage: mlp-latency [--budget MS] [--quick] [--no-peers]
 * (the libtorch peer is built with meson setup -Dbench_torch=enabled,
 * which needs Debian's libtorch-dev)
 *   --budget MS  time per measurement (default 200); each is repeated 5
 *                times and the median kept
 *   --quick      a short run (budget 5 ms, 3 repeats) for smoke tests
 *   --no-peers   skip the FANN and libtorch processes
 * Internal: --peer fann|torch SHAPE BATCH BUDGET runs one peer
 * measurement and prints its microseconds per call.
 *
 * Columns (one thread, sigmoid layers, float64):
 *   predict_ws   one mlp_predict_ws call on a batch
 *   backprop     one mlp_backprop (its forward pass included)
 *   jacobian     one mlp_jacobian on the batch
 *   nL vjps      n_L mlp_vjp calls (unit vectors) on the batch: the
 *                Jacobian row by row
 *   fann_run     FANN 2.2 (double): batch calls of fann_run
 *   torch f64/f32  libtorch forward (nn::Linear + sigmoid), its own process
 * then the ratios the targets are stated in, and the predict throughput
 * of 1 and 2 threads on one network (each with its own workspace).
 *
 * Before timing, the program checks what it times: mlp_jacobian equals
 * the n_L vjps to 1e-12, and the threads' outputs equal a serial run
 * bitwise. A failed check exits 1 (the smoke test asserts it). Timings
 * on a shared machine mean little: compare the ratios of one run. */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mlp.h"

#ifdef HAVE_FANN
#include <doublefann.h>
#endif

enum { REPEATS = 5, N_SHAPES = 2, N_BATCHES = 2, MAX_BATCH = 32 };

struct shape {
    const char *name;
    size_t sizes[3];
};

static const struct shape shapes[N_SHAPES] = {
    { "64-32-10", { 64, 32, 10 } },
    { "784-128-10", { 784, 128, 10 } },
};
static const size_t batches[N_BATCHES] = { 1, 32 };

static double budget = 0.2; /* seconds per measurement */
static int repeats = REPEATS;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Microseconds per call of fn(arg): calls in rounds of doubling size until
 * the budget is spent, median over the repeats. */
static double time_us(void (*fn)(void *), void *arg)
{
    double t[REPEATS];
    fn(arg); /* warm up: workspaces grown, caches filled */
    for (int r = 0; r < repeats; r++) {
        long calls = 0, n = 1;
        double start = now(), elapsed = 0;
        while (elapsed < budget) {
            for (long i = 0; i < n; i++)
                fn(arg);
            calls += n;
            n *= 2;
            elapsed = now() - start;
        }
        t[r] = elapsed / (double)calls * 1e6;
    }
    qsort(t, (size_t)repeats, sizeof *t, cmp_double);
    return t[repeats / 2];
}

static void fill(double *x, size_t n, unsigned seed)
{
    unsigned s = seed * 2654435761u + 1u;
    for (size_t i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        x[i] = (double)(s >> 8) / (double)(1u << 24) * 2.0 - 1.0;
    }
}

struct ctx {
    mlp_t *net;
    mlp_workspace_t *ws;
    size_t batch, n0, nL;
    double *X, *Y, *T, *J, *V, *G;
    int failed; /* a call returned an error */
};

static void run_predict(void *p)
{
    struct ctx *c = p;
    c->failed |= mlp_predict_ws(c->net, c->ws, c->batch, c->X, c->Y) != MLP_OK;
}

static void run_backprop(void *p)
{
    struct ctx *c = p;
    c->failed |= mlp_backprop(c->net, c->batch, c->X, c->T, NULL) != MLP_OK;
}

static void run_jacobian(void *p)
{
    struct ctx *c = p;
    c->failed |= mlp_jacobian(c->net, c->ws, c->batch, c->X, c->J) != MLP_OK;
}

/* V holds n_L blocks of batch x n_L, block i the unit vector e_i in every
 * row; G gets n_L blocks of batch x n_0. */
static void run_vjps(void *p)
{
    struct ctx *c = p;
    for (size_t i = 0; i < c->nL; i++)
        c->failed |= mlp_vjp(c->net, c->ws, c->batch, c->X,
                             c->V + i * c->batch * c->nL,
                             c->G + i * c->batch * c->n0) != MLP_OK;
}

/* mlp_jacobian against the vjps of unit vectors, relative to max |J|. */
static int check_jacobian(struct ctx *c)
{
    run_jacobian(c);
    run_vjps(c);
    double big = 0, err = 0;
    for (size_t b = 0; b < c->batch; b++)
        for (size_t i = 0; i < c->nL; i++)
            for (size_t j = 0; j < c->n0; j++) {
                double J = c->J[(b * c->nL + i) * c->n0 + j];
                double G = c->G[(i * c->batch + b) * c->n0 + j];
                big = fmax(big, fabs(J));
                err = fmax(err, fabs(J - G));
            }
    return !c->failed && err <= 1e-12 * big;
}

static int setup(struct ctx *c, const struct shape *s, size_t batch)
{
    memset(c, 0, sizeof *c);
    c->batch = batch;
    c->n0 = s->sizes[0];
    c->nL = s->sizes[2];
    if (mlp_create(&c->net, 2, s->sizes, NULL, MLP_MSE, 1) != MLP_OK ||
        mlp_workspace_create(&c->ws, c->net, batch) != MLP_OK)
        return 0;
    c->X = calloc(batch * c->n0, sizeof *c->X);
    c->Y = calloc(batch * c->nL, sizeof *c->Y);
    c->T = calloc(batch * c->nL, sizeof *c->T);
    c->J = calloc(batch * c->nL * c->n0, sizeof *c->J);
    c->V = calloc(c->nL * batch * c->nL, sizeof *c->V);
    c->G = calloc(c->nL * batch * c->n0, sizeof *c->G);
    if (!c->X || !c->Y || !c->T || !c->J || !c->V || !c->G)
        return 0;
    fill(c->X, batch * c->n0, 1);
    fill(c->T, batch * c->nL, 2);
    for (size_t i = 0; i < c->nL; i++)
        for (size_t b = 0; b < batch; b++)
            c->V[(i * batch + b) * c->nL + i] = 1.0;
    return 1;
}

static void teardown(struct ctx *c)
{
    mlp_workspace_free(c->ws);
    mlp_free(c->net);
    free(c->X);
    free(c->Y);
    free(c->T);
    free(c->J);
    free(c->V);
    free(c->G);
}

/* ---- peers, each in a process of its own ---------------------------- */

#ifdef HAVE_FANN
struct fann_ctx {
    struct fann *ann;
    size_t batch, n0;
    double *X;
};

static void run_fann(void *p)
{
    struct fann_ctx *c = p;
    for (size_t b = 0; b < c->batch; b++)
        fann_run(c->ann, c->X + b * c->n0);
}

static double peer_fann(const struct shape *s, size_t batch)
{
    struct fann_ctx c = { 0 };
    c.ann = fann_create_standard(3, (unsigned)s->sizes[0],
                                 (unsigned)s->sizes[1], (unsigned)s->sizes[2]);
    if (!c.ann)
        return -1;
    fann_set_activation_function_hidden(c.ann, FANN_SIGMOID);
    fann_set_activation_function_output(c.ann, FANN_SIGMOID);
    fann_randomize_weights(c.ann, -0.1f, 0.1f);
    c.batch = batch;
    c.n0 = s->sizes[0];
    c.X = calloc(batch * c.n0, sizeof *c.X);
    if (!c.X)
        return -1;
    fill(c.X, batch * c.n0, 1);
    double us = time_us(run_fann, &c);
    fann_destroy(c.ann);
    free(c.X);
    return us;
}
#endif

/* Runs `path args` and reads the one number it prints; -1 on failure. */
static double run_process(const char *cmd)
{
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    double us = -1;
    if (fscanf(f, "%lf", &us) != 1)
        us = -1;
    if (pclose(f) != 0)
        us = -1;
    return us;
}

static double peer(const char *self, const char *which, const char *torch,
                   const struct shape *s, size_t batch)
{
    char cmd[1024];
    if (strcmp(which, "fann") == 0)
        snprintf(cmd, sizeof cmd, "'%s' --peer fann %s %zu %g", self, s->name,
                 batch, budget);
    else if (torch)
        snprintf(cmd, sizeof cmd, "'%s' %s %s %zu %g", torch, which, s->name,
                 batch, budget);
    else
        return -1;
    return run_process(cmd);
}

/* ---- threads on one network ------------------------------------------ */

struct thread_arg {
    const mlp_t *net;
    const double *X;
    const double *want; /* serial outputs for X */
    size_t n0, nL;
    double seconds;
    double cpu;         /* the thread's own CPU seconds */
    long calls;
    int ok;
    pthread_barrier_t *start;
};

/* The loop keeps its counters and status in locals and writes them into
 * *a once at the end: the two threads' arguments sit side by side in one
 * array, and a store into them per call would bounce their shared cache
 * line between the cores (false sharing), measuring that instead. */
static void *thread_main(void *p)
{
    struct thread_arg *a = p;
    mlp_workspace_t *ws = NULL;
    double Y[16];
    int ok = mlp_workspace_create(&ws, a->net, 1) == MLP_OK;
    long calls = 0;
    pthread_barrier_wait(a->start);
    struct timespec c0, c1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    double t0 = now();
    while (ok && now() - t0 < a->seconds) {
        for (int i = 0; i < 64; i++) {
            ok &= mlp_predict_ws(a->net, ws, 1, a->X, Y) == MLP_OK;
            ok &= memcmp(Y, a->want, a->nL * sizeof *Y) == 0;
        }
        calls += 64;
    }
    a->seconds = now() - t0;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    a->cpu = (double)(c1.tv_sec - c0.tv_sec) + 1e-9 * (double)(c1.tv_nsec - c0.tv_nsec);
    a->calls = calls;
    a->ok = ok;
    mlp_workspace_free(ws);
    return NULL;
}

/* Calls per second of n threads predicting batch 1 on one 64-32-10
 * network, and in *per_cpu the calls per CPU-second of each thread (the
 * mean): on a machine shared with other work the wall-clock rate shows
 * the cores it got, the per-CPU rate whether the threads slow each other
 * down. *ok cleared unless every output equals the serial one. */
static double throughput(int n, double *per_cpu, int *ok)
{
    const struct shape *s = &shapes[0];
    mlp_t *net = NULL;
    double X[64], want[16];
    fill(X, 64, 3);
    if (mlp_create(&net, 2, s->sizes, NULL, MLP_MSE, 1) != MLP_OK ||
        mlp_predict(net, 1, X, want) != MLP_OK) {
        *ok = 0;
        mlp_free(net);
        return 0;
    }
    pthread_t tid[2];
    struct thread_arg args[2];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)n);
    for (int t = 0; t < n; t++) {
        args[t] = (struct thread_arg){ net, X, want, 64, 10,
                                       budget * repeats, 0, 0, 0, &start };
        pthread_create(&tid[t], NULL, thread_main, &args[t]);
    }
    double rate = 0;
    *per_cpu = 0;
    for (int t = 0; t < n; t++) {
        pthread_join(tid[t], NULL);
        *ok &= args[t].ok;
        rate += (double)args[t].calls / args[t].seconds;
        *per_cpu += (double)args[t].calls / args[t].cpu / n;
    }
    pthread_barrier_destroy(&start);
    mlp_free(net);
    return rate;
}

static void print_us(double us)
{
    if (us < 0)
        printf(" %10s", "-");
    else
        printf(" %10.2f", us);
}

static const struct shape *find_shape(const char *name)
{
    for (int i = 0; i < N_SHAPES; i++)
        if (strcmp(shapes[i].name, name) == 0)
            return &shapes[i];
    return NULL;
}

static int peer_main(int argc, char **argv)
{
    if (argc < 6)
        return 2;
    const struct shape *s = find_shape(argv[3]);
    budget = atof(argv[5]);
    if (!s || budget <= 0)
        return 2;
#ifdef HAVE_FANN
    if (strcmp(argv[2], "fann") == 0) {
        double us = peer_fann(s, (size_t)atoi(argv[4]));
        printf("%.4f\n", us);
        return us < 0;
    }
#endif
    return 2;
}

static void target(const char *what, double value, const char *cmp,
                   double goal)
{
    int met = strcmp(cmp, "<=") == 0 ? value <= goal : value >= goal;
    if (value <= 0)
        printf("  %-46s %8s   (target %s %g)\n", what, "-", cmp, goal);
    else
        printf("  %-46s %8.2f   (target %s %g: %s)\n", what, value, cmp, goal,
               met ? "met" : "missed");
}

enum { COL_PREDICT, COL_BACKPROP, COL_JACOBIAN, COL_VJPS, COL_FANN,
       COL_TORCH64, COL_TORCH32, N_COLS };

/* One row of the table: every column for one shape and batch; 0 when a
 * check failed. */
static int measure_row(const char *self, int peers, const char *torch,
                       const struct shape *s, size_t B, double us[N_COLS])
{
    struct ctx c;
    int ok = 1;
    if (!setup(&c, s, B)) {
        fprintf(stderr, "mlp-latency: out of memory\n");
        teardown(&c);
        return 0;
    }
    if (!check_jacobian(&c)) {
        fprintf(stderr, "mlp-latency: %s B=%zu: mlp_jacobian differs from "
                        "the vjps\n", s->name, B);
        ok = 0;
    }
    us[COL_PREDICT] = time_us(run_predict, &c);
    us[COL_BACKPROP] = time_us(run_backprop, &c);
    us[COL_JACOBIAN] = time_us(run_jacobian, &c);
    us[COL_VJPS] = time_us(run_vjps, &c);
    us[COL_FANN] = peers ? peer(self, "fann", torch, s, B) : -1;
    us[COL_TORCH64] = peers ? peer(self, "f64", torch, s, B) : -1;
    us[COL_TORCH32] = peers ? peer(self, "f32", torch, s, B) : -1;
    ok &= !c.failed;
    teardown(&c);
    printf("%-11s %5zu", s->name, B);
    for (int k = 0; k < N_COLS; k++)
        print_us(us[k]);
    printf("\n");
    return ok;
}

/* The ratios the targets are stated in, for 64-32-10 at batch 1 (b1) and
 * 32 (b32), and the thread scaling. */
static void print_targets(const double b1[N_COLS], const double b32[N_COLS],
                          const double one[2], const double two[2])
{
    double p1 = b1[COL_PREDICT];
    printf("\n64-32-10 predict_ws at batch 1 on one shared network: "
           "%.3g calls/s on 1 thread, %.3g on 2;\nper CPU-second of each "
           "thread: %.3g on 1 thread, %.3g on 2 (%.2f)\n", one[0], two[0],
           one[1], two[1], two[1] / one[1]);
    printf("\ntargets (64-32-10):\n");
    target("predict_ws, batch 1 (us)", p1, "<=", 0.5);
    target("fann_run / predict_ws, batch 1",
           b1[COL_FANN] > 0 ? b1[COL_FANN] / p1 : -1, ">=", 3);
    target("torch f64 / predict_ws, batch 1",
           b1[COL_TORCH64] > 0 ? b1[COL_TORCH64] / p1 : -1, ">=", 20);
    target("jacobian / (predict_ws + backprop), batch 1",
           b1[COL_JACOBIAN] / (p1 + b1[COL_BACKPROP]), "<=", 3);
    target("jacobian / nL vjps, batch 32",
           b32[COL_JACOBIAN] / b32[COL_VJPS], "<=", 1.5);
    target("2 threads / 1 thread, predict throughput", two[0] / one[0], ">=",
           1.8);
}

/* The table, the ratios and the thread scaling; 0 when every check held. */
static int run_all(const char *self, int peers, const char *torch)
{
    int ok = 1;
    double us[N_SHAPES][N_BATCHES][N_COLS];
    printf("microseconds per call, one thread, sigmoid layers, float64 "
           "(torch f32 in float32)\n");
    printf("%-11s %5s %10s %10s %10s %10s %10s %10s %10s\n", "shape", "batch",
           "predict_ws", "backprop", "jacobian", "nL vjps", "fann_run",
           "torch f64", "torch f32");
    for (int si = 0; si < N_SHAPES; si++)
        for (int bi = 0; bi < N_BATCHES; bi++)
            ok &= measure_row(self, peers, torch, &shapes[si], batches[bi],
                              us[si][bi]);
    int threads_ok = 1;
    double one[2], two[2];
    one[0] = throughput(1, &one[1], &threads_ok);
    two[0] = throughput(2, &two[1], &threads_ok);
    if (!threads_ok) {
        fprintf(stderr, "mlp-latency: threaded outputs differ from the serial "
                        "ones\n");
        ok = 0;
    }
    print_targets(us[0][0], us[0][1], one, two);
    printf("mlp-latency: checks %s\n", ok ? "passed" : "FAILED");
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    int peers = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--peer") == 0)
            return peer_main(argc, argv);
        else if (strcmp(argv[i], "--quick") == 0) {
            budget = 0.005;
            repeats = 3;
        } else if (strcmp(argv[i], "--budget") == 0 && i + 1 < argc)
            budget = atof(argv[++i]) / 1000.0;
        else if (strcmp(argv[i], "--no-peers") == 0)
            peers = 0;
        else {
            fprintf(stderr, "usage: mlp-latency [--budget MS] [--quick] "
                            "[--no-peers]\n");
            return 2;
        }
    }
    mlp_set_blas_threads(1);
    const char *self = "/proc/self/exe";
    char exe[4096];
    ssize_t len = readlink(self, exe, sizeof exe - 1);
    exe[len > 0 ? len : 0] = '\0';
    /* Without the libtorch peer the torch columns are '-'. */
#ifdef MLP_TORCH_PEER
    const char *torch = access(MLP_TORCH_PEER, X_OK) == 0 ? MLP_TORCH_PEER
                                                         : NULL;
#else
    const char *torch = NULL;
#endif
    return run_all(exe, peers, torch);
}
