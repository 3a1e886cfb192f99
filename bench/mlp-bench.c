/*
 * mlp-bench - times one training step (forward + backward + SGD update) of
 * a sigmoid/MSE network in float64, for libmlp and, in the same run and
 * interleaved sample by sample, for
 *   roofline  the bare BLAS calls such a step needs and nothing else:
 *             per layer the forward GEMM, the dW GEMM (the SGD update folded
 *             in with beta = 1) and the dA GEMM except for the first layer;
 *             for B = 1 the GEMV/GER form of the same. The floor for any
 *             BLAS-based implementation on the loaded backend.
 *   naive     tests/reference/naive.c (plain loops) plus a plain SGD loop.
 *   fann      FANN 2.2 (double), B per-sample fann_train calls, when built
 *             with FANN. Not the same math for B > 1 (B updates, not one).
 * Built twice from this source (bench/meson.build): mlp-bench times the
 * double family against the dgemm roofline, mlp-bench-float
 * (-DMLP_SINGLE) the float family (mlpf_) against the sgemm roofline and
 * the float naive reference; FANN (doublefann) only in double.
 * Each time is the median over many samples taken after warm-up; a sample
 * is k steps timed together, k chosen so a sample lasts >= ~0.5 ms.
 * GFLOP/s counts 6 * B * sum(n_in * n_out) per step (2 flops per
 * multiply-add, three products per layer), for every implementation.
 *
 * Usage: mlp-bench [options] [SHAPE:BATCH ...]    e.g. 784-128-10:32
 *   --preset NAME   targets (default), width, batch, smoke, all
 *   --threads N     BLAS threads, set through mlp_set_blas_threads; a list
 *                   (1,2) measures each count, interleaved, in one run
 *   --budget MS     time per implementation per case (default 1000)
 *   --no-naive      skip the naive reference
 *   --slow-max GF   skip naive and FANN on steps above GF GFLOP (default 10:
 *                   2048-2048-2048 at B=512, 26 GFLOP, takes them ~20 s a step)
 *   --no-fann       skip FANN
 *   --max-gflop GF  skip the cases whose step exceeds GF GFLOP (slow backends)
 *   --csv FILE      append one CSV row per case (header if the file is new)
 *   --label TEXT    backend label for the CSV (default: the loaded library)
 *   --memory        instead of timing: train on each case alone and report
 *                   peak RSS growth against the minimum live data
 *   --peak GFLOPS   the core's FMA peak in this program's element type
 *                   (fma-peak): the float64 peak for mlp-bench, the float32
 *                   peak ("fma-peak float32", about twice as high) for
 *                   mlp-bench-float; every rate is also printed as a
 *                   fraction of it
 *   --dgemm N       instead of training steps: time a square n x n dgemm
 *                   (sgemm in mlp-bench-float) on the loaded BLAS (the
 *                   backend's own rate)
 *   --digits        the digits demo's configuration instead: ReLU hidden
 *                   layers, softmax output, cross-entropy, Adam (lr 3e-3,
 *                   0.9, 0.999, 1e-8) with weight decay 1e-4, one-hot
 *                   targets; naive runs the same Adam as a plain loop, the
 *                   roofline is unchanged (the step's GEMMs only), FANN is
 *                   skipped (it has no softmax)
 */
#define _GNU_SOURCE
#include <cblas.h>
#include <dlfcn.h>
#include <link.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mlp.h"
#include "naive.h"
#include "precision.h" /* real, and under MLP_SINGLE the mlpf_ names */

/* The BLAS routine of the element type: cblas_dgemm or cblas_sgemm. */
#ifdef MLP_SINGLE
#define CBLAS(name) cblas_s##name
#define GEMM_NAME "sgemm"
#undef HAVE_FANN /* FANN's double library is not a float peer */
#else
#define CBLAS(name) cblas_d##name
#define GEMM_NAME "dgemm"
#endif
#ifdef HAVE_FANN
#include <doublefann.h>
#endif

#define MAX_LAYERS 8
#define LR 0.01

/* The digits demo's optimizer (examples/digits.c), for --digits. */
#define ADAM_LR 3e-3
#define ADAM_B1 0.9
#define ADAM_B2 0.999
#define ADAM_EPS 1e-8
#define DECAY 1e-4
static bool digits_config;

struct shape {
    size_t n_layers;
    size_t sizes[MAX_LAYERS + 1];
    size_t batch;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "mlp-bench: out of memory\n");
        exit(1);
    }
    return p;
}

static int parse_shape(const char *text, struct shape *s)
{
    memset(s, 0, sizeof *s);
    const char *p = text;
    char *end;
    size_t n = 0;
    for (;;) {
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p || v == 0 || n > MAX_LAYERS)
            return -1;
        s->sizes[n++] = (size_t)v;
        if (*end == '-') {
            p = end + 1;
            continue;
        }
        break;
    }
    if (n < 2 || *end != ':')
        return -1;
    unsigned long long b = strtoull(end + 1, &end, 10);
    if (b == 0 || *end != '\0')
        return -1;
    s->n_layers = n - 1;
    s->batch = (size_t)b;
    return 0;
}

static void shape_name(const struct shape *s, char *buf, size_t len)
{
    size_t used = 0;
    for (size_t l = 0; l <= s->n_layers && used < len; l++)
        used += (size_t)snprintf(buf + used, len - used, l ? "-%zu" : "%zu",
                                 s->sizes[l]);
}

static double step_flops(const struct shape *s)
{
    double macs = 0.0;
    for (size_t l = 1; l <= s->n_layers; l++)
        macs += (double)s->sizes[l] * (double)s->sizes[l - 1];
    return 6.0 * (double)s->batch * macs;
}

/* Deterministic data: inputs in [0, 1), targets in [0.1, 0.9). */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static double uniform(void)
{
    rng_state = rng_state * 6364136223846793005u + 1442695040888963407u;
    return (double)(rng_state >> 11) * 0x1.0p-53;
}
static void fill(real *x, size_t n, double lo, double hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = lo + (hi - lo) * uniform();
}

/* MSE targets in [0.1, 0.9), or one-hot rows for --digits. */
static void fill_targets(real *T, size_t rows, size_t n)
{
    if (!digits_config) {
        fill(T, rows * n, 0.1, 0.9);
        return;
    }
    memset(T, 0, rows * n * sizeof *T);
    for (size_t r = 0; r < rows; r++)
        T[r * n + (size_t)(uniform() * (double)n) % n] = 1.0;
}

/* ---------------------------------------------------------------------- */
/* The implementations. Each has setup, step and teardown.                */

enum { IMPL_MLP, IMPL_ROOF, IMPL_NAIVE, IMPL_FANN, N_IMPL };

struct ctx {
    const struct shape *s;
    const real *X, *T;
    /* libmlp */
    mlp_t *net;
    /* roofline: fixed inputs A[l-1], dZ[l]; outputs Z[l], dA[l-1]; W, dW */
    real *rA[MAX_LAYERS + 1], *rZ[MAX_LAYERS + 1], *rdZ[MAX_LAYERS + 1],
        *rdA[MAX_LAYERS + 1], *rW[MAX_LAYERS + 1];
    /* naive */
    real *params, *grads, *m, *v;
    long t;
    mlp_activation acts[MAX_LAYERS];
#ifdef HAVE_FANN
    struct fann *ann;
#endif
};

static void step_mlp(struct ctx *c)
{
    real cost;
    mlp_status st = mlp_train_batch(c->net, c->s->batch, c->X, c->T, &cost);
    if (st != MLP_OK) {
        fprintf(stderr, "mlp-bench: mlp_train_batch: %s\n", mlp_strerror(st));
        exit(1);
    }
}

/* The bare products, row-major, as libmlp writes them: Z = A W^T,
 * W -= lr dZ^T A, dA = dZ W. The inputs of each product are fixed buffers
 * (values never feed back, so nothing can overflow over many steps). */
static void step_roof(struct ctx *c)
{
    const struct shape *s = c->s;
    int B = (int)s->batch;
    for (size_t l = 1; l <= s->n_layers; l++) {
        int n = (int)s->sizes[l], m = (int)s->sizes[l - 1];
        if (B == 1)
            CBLAS(gemv)(CblasRowMajor, CblasNoTrans, n, m, 1.0, c->rW[l], m,
                        c->rA[l - 1], 1, 0.0, c->rZ[l], 1);
        else
            CBLAS(gemm)(CblasRowMajor, CblasNoTrans, CblasTrans, B, n, m, 1.0,
                        c->rA[l - 1], m, c->rW[l], m, 0.0, c->rZ[l], n);
    }
    for (size_t l = s->n_layers; l >= 1; l--) {
        int n = (int)s->sizes[l], m = (int)s->sizes[l - 1];
        if (l >= 2) {
            if (B == 1)
                CBLAS(gemv)(CblasRowMajor, CblasTrans, n, m, 1.0, c->rW[l], m,
                            c->rdZ[l], 1, 0.0, c->rdA[l - 1], 1);
            else
                CBLAS(gemm)(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, m, n,
                            1.0, c->rdZ[l], n, c->rW[l], m, 0.0, c->rdA[l - 1],
                            m);
        }
        if (B == 1)
            CBLAS(ger)(CblasRowMajor, n, m, -1e-9, c->rdZ[l], 1, c->rA[l - 1],
                       1, c->rW[l], m);
        else
            CBLAS(gemm)(CblasRowMajor, CblasTrans, CblasNoTrans, n, m, B,
                        -1e-9, c->rdZ[l], n, c->rA[l - 1], m, 1.0, c->rW[l],
                        m);
    }
}

/* torch.optim.Adam with weight_decay as plain loops (examples/digits.c). */
static void naive_adam(struct ctx *c)
{
    const struct shape *s = c->s;
    c->t++;
    double bc1 = 1 - pow(ADAM_B1, (double)c->t);
    double bc2 = 1 - pow(ADAM_B2, (double)c->t);
    size_t i = 0;
    for (size_t l = 1; l <= s->n_layers; l++) {
        size_t n_w = s->sizes[l] * s->sizes[l - 1], end = i + n_w + s->sizes[l];
        for (; i < end; i++) {
            double d = c->grads[i] + (end - i > s->sizes[l] ? DECAY * c->params[i] : 0.0);
            c->m[i] = ADAM_B1 * c->m[i] + (1 - ADAM_B1) * d;
            c->v[i] = ADAM_B2 * c->v[i] + (1 - ADAM_B2) * d * d;
            c->params[i] -= ADAM_LR * (c->m[i] / bc1) / (sqrt(c->v[i] / bc2) + ADAM_EPS);
        }
    }
}

static void step_naive(struct ctx *c)
{
    const struct shape *s = c->s;
    real cost;
    if (naive_backprop(s->n_layers, s->sizes, digits_config ? c->acts : NULL,
                       digits_config ? MLP_CROSS_ENTROPY : MLP_MSE, c->params,
                       s->batch, c->X, c->T, c->grads, &cost) != 0) {
        fprintf(stderr, "mlp-bench: naive_backprop failed\n");
        exit(1);
    }
    if (digits_config) {
        naive_adam(c);
        return;
    }
    size_t n = naive_n_params(s->n_layers, s->sizes);
    for (size_t i = 0; i < n; i++)
        c->params[i] -= LR * c->grads[i];
}

#ifdef HAVE_FANN
static void step_fann(struct ctx *c)
{
    const struct shape *s = c->s;
    size_t n0 = s->sizes[0], nL = s->sizes[s->n_layers];
    for (size_t i = 0; i < s->batch; i++)
        fann_train(c->ann, (fann_type *)(c->X + i * n0),
                   (fann_type *)(c->T + i * nL));
}
#endif

static void (*const step_fn[N_IMPL])(struct ctx *) = {
    step_mlp, step_roof, step_naive,
#ifdef HAVE_FANN
    step_fann,
#else
    NULL,
#endif
};

static void ctx_setup(struct ctx *c, const struct shape *s, const bool *on)
{
    memset(c, 0, sizeof *c);
    c->s = s;
    size_t B = s->batch, L = s->n_layers;
    for (size_t l = 0; l < L; l++)
        c->acts[l] = l + 1 < L ? MLP_RELU : MLP_SOFTMAX;
    if (on[IMPL_MLP]) {
        mlp_status st;
        if (digits_config) {
            st = mlp_create(&c->net, L, s->sizes, c->acts, MLP_CROSS_ENTROPY, 42);
            if (st == MLP_OK)
                st = mlp_set_adam(c->net, ADAM_LR, ADAM_B1, ADAM_B2, ADAM_EPS);
            if (st == MLP_OK)
                st = mlp_set_weight_decay(c->net, DECAY);
        } else {
            st = mlp_create(&c->net, L, s->sizes, NULL, MLP_MSE, 42);
            if (st == MLP_OK)
                st = mlp_set_sgd(c->net, LR, 0.0);
        }
        if (st != MLP_OK) {
            fprintf(stderr, "mlp-bench: mlp_create: %s\n", mlp_strerror(st));
            exit(1);
        }
    }
    if (on[IMPL_ROOF]) {
        for (size_t l = 0; l <= L; l++) {
            size_t n = s->sizes[l];
            c->rA[l] = xmalloc(B * n * sizeof(real));
            c->rZ[l] = xmalloc(B * n * sizeof(real));
            c->rdZ[l] = xmalloc(B * n * sizeof(real));
            c->rdA[l] = xmalloc(B * n * sizeof(real));
            fill(c->rA[l], B * n, 0.0, 1.0);
            fill(c->rdZ[l], B * n, -1e-3, 1e-3);
            if (l >= 1) {
                c->rW[l] = xmalloc(n * s->sizes[l - 1] * sizeof(real));
                fill(c->rW[l], n * s->sizes[l - 1], -0.05, 0.05);
            }
        }
    }
    if (on[IMPL_NAIVE]) {
        size_t n = naive_n_params(L, s->sizes);
        c->params = xmalloc(n * sizeof(real));
        c->grads = xmalloc(n * sizeof(real));
        c->m = calloc(n, sizeof(real));
        c->v = calloc(n, sizeof(real));
        if (!c->m || !c->v) {
            fprintf(stderr, "mlp-bench: out of memory\n");
            exit(1);
        }
        if (c->net)
            memcpy(c->params, mlp_params(c->net), n * sizeof(real));
        else
            fill(c->params, n, -0.05, 0.05);
    }
#ifdef HAVE_FANN
    if (on[IMPL_FANN]) {
        unsigned int layers[MAX_LAYERS + 1];
        for (size_t l = 0; l <= L; l++)
            layers[l] = (unsigned int)s->sizes[l];
        c->ann = fann_create_standard_array((unsigned int)L + 1, layers);
        if (!c->ann) {
            fprintf(stderr, "mlp-bench: fann_create_standard_array failed\n");
            exit(1);
        }
        /* FANN's sigmoid is 1/(1+exp(-2 s x)); s = 0.5 is the usual one. */
        fann_set_activation_function_hidden(c->ann, FANN_SIGMOID);
        fann_set_activation_function_output(c->ann, FANN_SIGMOID);
        fann_set_activation_steepness_hidden(c->ann, 0.5);
        fann_set_activation_steepness_output(c->ann, 0.5);
        fann_set_learning_rate(c->ann, (float)LR);
        fann_randomize_weights(c->ann, -0.1f, 0.1f);
    }
#endif
}

static void ctx_teardown(struct ctx *c)
{
    mlp_free(c->net);
    for (size_t l = 0; l <= MAX_LAYERS; l++) {
        free(c->rA[l]);
        free(c->rZ[l]);
        free(c->rdZ[l]);
        free(c->rdA[l]);
        free(c->rW[l]);
    }
    free(c->params);
    free(c->grads);
    free(c->m);
    free(c->v);
#ifdef HAVE_FANN
    if (c->ann)
        fann_destroy(c->ann);
#endif
}

/* ---------------------------------------------------------------------- */
/* Timing: round-robin over the implementations, one sample each per turn, */
/* until each has used its budget.                                        */

struct series {
    double *per_step; /* seconds per step, one per sample */
    size_t n, cap;
    size_t k;         /* steps per sample */
    double used;
    bool done;
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(struct series *t)
{
    if (t->n == 0)
        return NAN;
    qsort(t->per_step, t->n, sizeof *t->per_step, cmp_double);
    return t->n % 2 ? t->per_step[t->n / 2]
                    : 0.5 * (t->per_step[t->n / 2 - 1] + t->per_step[t->n / 2]);
}

#define MIN_SAMPLES 5
#define MAX_SAMPLES 2000

/* Slot i * nt + j is implementation i at thread count threads[j] (set
 * before each of its samples when nt > 1, so thread counts interleave too;
 * naive and FANN use no BLAS and run at j = 0 only). */
static void time_case(struct ctx *c, const bool *on, double budget,
                      struct series *t, const size_t *threads, size_t nt)
{
    for (int i = 0; i < N_IMPL; i++)
        for (size_t j = 0; j < nt; j++) {
            struct series *s = &t[(size_t)i * nt + j];
            memset(s, 0, sizeof *s);
            s->done = !on[i] || (j > 0 && (i == IMPL_NAIVE || i == IMPL_FANN));
            if (s->done)
                continue;
            if (nt > 1)
                mlp_set_blas_threads(threads[j]);
            /* Warm-up: the first step grows workspaces and pages memory in. */
            double t0 = now();
            step_fn[i](c);
            double est = now() - t0;
            if (est < budget) { /* a second warm-up step unless slow */
                t0 = now();
                step_fn[i](c);
                est = now() - t0;
            }
            s->k = est >= 5e-4 ? 1 : (size_t)(5e-4 / (est > 1e-8 ? est : 1e-8)) + 1;
            s->cap = MAX_SAMPLES;
            s->per_step = xmalloc(MAX_SAMPLES * sizeof *s->per_step);
        }
    for (;;) {
        bool all_done = true;
        for (size_t slot = 0; slot < N_IMPL * nt; slot++) {
            struct series *s = &t[slot];
            if (s->done)
                continue;
            if (nt > 1)
                mlp_set_blas_threads(threads[slot % nt]);
            double t0 = now();
            for (size_t j = 0; j < s->k; j++)
                step_fn[slot / nt](c);
            double dt = now() - t0;
            s->per_step[s->n++] = dt / (double)s->k;
            s->used += dt;
            /* Enough when the budget is spent and there are MIN_SAMPLES,
             * or when a slow implementation has used three budgets. */
            if (s->n >= s->cap ||
                (s->used >= budget &&
                 (s->n >= MIN_SAMPLES || s->used >= 3 * budget)))
                s->done = true;
            all_done = all_done && s->done;
        }
        if (all_done)
            break;
    }
}

/* ---------------------------------------------------------------------- */
/* Which BLAS is really loaded, and memory.                               */

static int find_blas(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    const char *name = info->dlpi_name;
    char *out = data;
    if (name && (strstr(name, "blas") || strstr(name, "blis") ||
                 strstr(name, "atlas"))) {
        char real[4096];
        const char *shown = realpath(name, real) ? real : name;
        size_t used = strlen(out);
        snprintf(out + used, 1024 - used, "%s%s", used ? " " : "", shown);
    }
    return 0;
}

static void loaded_blas(char *out)
{
    out[0] = '\0';
    dl_iterate_phdr(find_blas, out);
    if (!out[0])
        strcpy(out, "(statically linked?)");
}

/* Which kernels the loaded BLAS runs, as far as it tells: OpenBLAS's core
 * name and build configuration, BLIS's configuration when its own symbols
 * are visible (as libblis.so; as the libblas.so.3 alternative it hides
 * them: run it with BLIS_ARCH_DEBUG=1, and it prints its choice). */
typedef char *(*name_fn)(void);
typedef int (*id_fn)(void);
typedef const char *(*arch_fn)(int);

/* dlsym's object pointer as a function pointer, the way POSIX allows. */
#define LOOKUP(fn, name)                                                    \
    do {                                                                    \
        void *p_ = dlsym(RTLD_DEFAULT, name);                               \
        memcpy(&(fn), &p_, sizeof(fn));                                     \
    } while (0)

static void blas_kernels(char *out, size_t len)
{
    name_fn corename, config;
    id_fn arch_id;
    arch_fn arch_name;
    LOOKUP(corename, "openblas_get_corename");
    LOOKUP(config, "openblas_get_config");
    LOOKUP(arch_id, "bli_arch_query_id");
    LOOKUP(arch_name, "bli_arch_string");
    /* Which library really provides cblas_dgemm: both can be loaded at
     * once (a BLIS libblas.so.3 beside the OpenBLAS that LAPACKE pulls in). */
    void (*gemm)(void) = (void (*)(void))cblas_dgemm;
    void *gemm_addr;
    memcpy(&gemm_addr, &gemm, sizeof gemm_addr);
    Dl_info info;
    const char *provider = dladdr(gemm_addr, &info) && info.dli_fname
                               ? info.dli_fname : "?";
    char real[4096];
    if (realpath(provider, real))
        provider = real;
    if (strstr(provider, "blis")) {
        if (arch_id && arch_name)
            snprintf(out, len, "BLIS configuration %s", arch_name(arch_id()));
        else
            snprintf(out, len, "BLIS (%.300s; its configuration: run with "
                     "BLIS_ARCH_DEBUG=1)", provider);
        return;
    }
    if (!strstr(provider, "openblas")) {
        snprintf(out, len, "%.300s (reports no kernels)", provider);
        return;
    }
    if (corename)
        snprintf(out, len, "OpenBLAS core %s (%s)", corename(),
                 config ? config() : "?");
    else
        snprintf(out, len, "OpenBLAS (%.300s)", provider);
}

/* --dgemm: the median GFLOP/s of square n x n dgemms, C = A B. */
static double time_dgemm(int n, double budget)
{
    size_t nn = (size_t)n * (size_t)n;
    real *A = xmalloc(nn * sizeof *A), *Bm = xmalloc(nn * sizeof *Bm);
    real *C = xmalloc(nn * sizeof *C);
    fill(A, nn, -1.0, 1.0);
    fill(Bm, nn, -1.0, 1.0);
    double rates[MAX_SAMPLES], used = 0.0;
    size_t k = 0;
    CBLAS(gemm)(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, A, n,
                Bm, n, 0.0, C, n); /* warm-up */
    while (k < MAX_SAMPLES && (used < budget || k < MIN_SAMPLES)) {
        double t0 = now();
        CBLAS(gemm)(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, A,
                    n, Bm, n, 0.0, C, n);
        double dt = now() - t0;
        used += dt;
        rates[k++] = 2.0 * (double)nn * (double)n / dt / 1e9;
    }
    qsort(rates, k, sizeof *rates, cmp_double);
    free(A);
    free(Bm);
    free(C);
    return k % 2 ? rates[k / 2] : 0.5 * (rates[k / 2 - 1] + rates[k / 2]);
}

static long status_kib(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long v = -1;
    size_t klen = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, klen) == 0) {
            v = strtol(line + klen + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

/* Parameters + gradients + optimizer state (none for plain SGD) +
 * activations and deltas for the batch, + the caller's X and T. */
static double minimum_live_mib(const struct shape *s)
{
    size_t n_params = naive_n_params(s->n_layers, s->sizes), units = 0;
    for (size_t l = 1; l <= s->n_layers; l++)
        units += s->sizes[l];
    double reals = 2.0 * (double)n_params + 2.0 * (double)s->batch * (double)units +
                   (double)s->batch * (double)(s->sizes[0] + s->sizes[s->n_layers]);
    return reals * (double)sizeof(real) / (1024.0 * 1024.0);
}

static int run_memory(const struct shape *s)
{
    char name[128];
    shape_name(s, name, sizeof name);
    long base = status_kib("VmRSS:");
    size_t n0 = s->sizes[0], nL = s->sizes[s->n_layers];
    real *X = xmalloc(s->batch * n0 * sizeof(real));
    real *T = xmalloc(s->batch * nL * sizeof(real));
    fill(X, s->batch * n0, 0.0, 1.0);
    fill(T, s->batch * nL, 0.1, 0.9);
    bool on[N_IMPL] = { [IMPL_MLP] = true };
    struct ctx c;
    ctx_setup(&c, s, on);
    c.X = X;
    c.T = T;
    for (int i = 0; i < 5; i++)
        step_mlp(&c);
    long peak = status_kib("VmHWM:");
    double grown = (double)(peak - base) / 1024.0, want = minimum_live_mib(s);
    printf("memory %s B=%zu: peak RSS %.1f MiB, %.1f MiB above the start; "
           "minimum live data (params + grads + optimizer state + activations "
           "+ deltas + X + T) %.1f MiB; ratio %.3f\n",
           name, s->batch, (double)peak / 1024.0, grown, want, grown / want);
    ctx_teardown(&c);
    free(X);
    free(T);
    return 0;
}

/* ---------------------------------------------------------------------- */

static const char *const preset_targets[] = {
    "64-32-10:1", "64-32-10:64", "784-128-10:32", "784-512-512-10:128",
    "1024-1024-1024:256", "2048-2048-2048:512", NULL
};
static const char *const preset_width[] = {
    "64-64-64:256", "128-128-128:256", "256-256-256:256", "512-512-512:256",
    "1024-1024-1024:256", "2048-2048-2048:256", NULL
};
static const char *const preset_batch[] = {
    "784-512-512-10:1", "784-512-512-10:4", "784-512-512-10:16",
    "784-512-512-10:64", "784-512-512-10:256", "784-512-512-10:1024", NULL
};
static const char *const preset_smoke[] = {
    "64-32-10:1", "64-32-10:64", "784-128-10:32", NULL
};

static size_t add_preset(const char *name, struct shape *out, size_t n)
{
    const char *const *lists[3] = { NULL, NULL, NULL };
    if (strcmp(name, "targets") == 0)
        lists[0] = preset_targets;
    else if (strcmp(name, "width") == 0)
        lists[0] = preset_width;
    else if (strcmp(name, "batch") == 0)
        lists[0] = preset_batch;
    else if (strcmp(name, "smoke") == 0)
        lists[0] = preset_smoke;
    else if (strcmp(name, "all") == 0) {
        lists[0] = preset_targets;
        lists[1] = preset_width;
        lists[2] = preset_batch;
    } else {
        fprintf(stderr, "mlp-bench: unknown preset %s\n", name);
        exit(2);
    }
    for (int j = 0; j < 3 && lists[j]; j++)
        for (size_t i = 0; lists[j][i]; i++)
            parse_shape(lists[j][i], &out[n++]);
    return n;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: mlp-bench [--preset targets|width|batch|smoke|all] "
            "[--threads N] [--budget MS] [--slow-max GF] [--max-gflop GF]\n"
            "                 [--no-naive] [--csv FILE] [--label TEXT] "
            "[--memory] [--digits] [--peak GFLOPS] [--dgemm N] [SHAPE:BATCH ...]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct shape cases[64];
    size_t n_cases = 0;
    const char *preset = NULL, *csv = NULL, *label = NULL;
    double budget = 1.0, slow_max = 10.0, max_gflop = 0.0;
    size_t threads = 0, thread_list[4], nt = 0;
    bool naive = true, fann = true, memory = false;
    double peak = 0.0;
    int dgemm_n = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--preset") == 0 && i + 1 < argc)
            preset = argv[++i];
        else if (strcmp(a, "--threads") == 0 && i + 1 < argc) {
            char *p = argv[++i], *end;
            while (nt < 4) {
                size_t v = (size_t)strtoul(p, &end, 10);
                if (end == p || v == 0)
                    usage();
                thread_list[nt++] = v;
                if (*end != ',')
                    break;
                p = end + 1;
            }
            threads = thread_list[0];
        }
        else if (strcmp(a, "--budget") == 0 && i + 1 < argc)
            budget = strtod(argv[++i], NULL) / 1000.0;
        else if (strcmp(a, "--slow-max") == 0 && i + 1 < argc)
            slow_max = strtod(argv[++i], NULL);
        else if (strcmp(a, "--max-gflop") == 0 && i + 1 < argc)
            max_gflop = strtod(argv[++i], NULL);
        else if (strcmp(a, "--csv") == 0 && i + 1 < argc)
            csv = argv[++i];
        else if (strcmp(a, "--label") == 0 && i + 1 < argc)
            label = argv[++i];
        else if (strcmp(a, "--no-naive") == 0)
            naive = false;
        else if (strcmp(a, "--no-fann") == 0)
            fann = false;
        else if (strcmp(a, "--memory") == 0)
            memory = true;
        else if (strcmp(a, "--digits") == 0)
            digits_config = true;
        else if (strcmp(a, "--peak") == 0 && i + 1 < argc)
            peak = strtod(argv[++i], NULL);
        else if (strcmp(a, "--dgemm") == 0 && i + 1 < argc)
            dgemm_n = atoi(argv[++i]);
        else if (a[0] != '-' && n_cases < 32) {
            if (parse_shape(a, &cases[n_cases++]) != 0) {
                fprintf(stderr, "mlp-bench: bad case %s (want e.g. 784-128-10:32)\n", a);
                return 2;
            }
        } else
            usage();
    }
    if (preset || n_cases == 0)
        n_cases = add_preset(preset ? preset : "targets", cases, n_cases);

    if (memory) {
        for (size_t i = 0; i < n_cases; i++)
            run_memory(&cases[i]);
        return 0;
    }

    /* BLIS loaded as the libblas.so.3 alternative exports no thread
     * control: its count then comes from BLIS_NUM_THREADS, which the
     * caller sets (compare-backends does). */
    const char *how = "mlp_set_blas_threads";
    size_t used_threads = 0;
    for (size_t j = nt; j-- > 1;)
        if (mlp_set_blas_threads(thread_list[j]) != MLP_OK) {
            fprintf(stderr, "mlp-bench: several thread counts need a BLAS "
                            "with run-time thread control\n");
            return 1;
        }
    if (threads && mlp_set_blas_threads(threads) != MLP_OK) {
        how = "environment (this BLAS has no run-time thread control)";
        used_threads = threads;
    }
    if (nt == 0)
        thread_list[nt++] = 0;
    if (!used_threads)
        used_threads = mlp_blas_threads();
    char blas[1024];
    loaded_blas(blas);
    char kernels[512];
    blas_kernels(kernels, sizeof kernels);
    printf("# libmlp %s; BLAS loaded: %s; BLAS threads: %zu, set by %s\n",
           mlp_version(), blas, used_threads, threads ? how : "default");
    printf("# BLAS kernels: %s\n", kernels);
    /* The peak is the caller's number; it must be the one of this build's
     * element type (fma-peak prints both), as the header says. */
    if (peak > 0)
        printf("# FMA peak: %.1f GFLOP/s, given as the core's " REAL_NAME
               " peak (--peak); mlp/peak and roof/peak are fractions of it\n",
               peak);
    if (dgemm_n > 0) {
        double rate = time_dgemm(dgemm_n, budget);
        printf(GEMM_NAME " %d GFLOP/s %.2f", dgemm_n, rate);
        if (peak > 0)
            printf(" (%.3f of the " REAL_NAME " FMA peak %.1f)", rate / peak,
                   peak);
        printf("\n");
        return 0;
    }
    printf("# ms per training step (%s, %s), median; "
           "GFLOP/s = 6*B*sum(n_in*n_out) / time\n",
           REAL_NAME, digits_config ? "ReLU/softmax, cross-entropy, Adam + weight decay"
                                    : "sigmoid, MSE, SGD");
    printf("%-22s %5s %3s %10s %10s %10s %10s %8s %8s %8s %8s %8s %8s\n", "shape", "B",
           "thr", "libmlp_ms", "roof_ms", "naive_ms", "fann_ms", "GFLOP/s", "mlp/roof",
           "naive/mlp", "mlp/fann", "mlp/peak", "roof/peak");

    FILE *out = NULL;
    if (csv) {
        out = fopen(csv, "a");
        if (!out) {
            perror(csv);
            return 1;
        }
        if (ftell(out) == 0)
            fprintf(out, "backend,threads,shape,batch,flops,libmlp_ms,roofline_ms,"
                         "naive_ms,fann_ms,libmlp_gflops,roofline_gflops\n");
    }
    const char *lib = blas, *slash = strrchr(blas, '/');
    char guess[1024]; /* as large as the path it may copy */
    if (!label) {
        /* The directory of the loaded library names the backend on Debian. */
        snprintf(guess, sizeof guess, "%s", lib);
        if (slash) {
            const char *start = slash;
            while (start > blas && start[-1] != '/')
                start--;
            size_t len = (size_t)(slash - start);
            snprintf(guess, sizeof guess, "%.*s",
                     (int)(len < sizeof guess ? len : sizeof guess - 1), start);
        }
        label = guess;
    }

    for (size_t ci = 0; ci < n_cases; ci++) {
        const struct shape *s = &cases[ci];
        if (max_gflop > 0 && step_flops(s) > max_gflop * 1e9)
            continue;
        size_t n0 = s->sizes[0], nL = s->sizes[s->n_layers];
        real *X = xmalloc(s->batch * n0 * sizeof(real));
        real *T = xmalloc(s->batch * nL * sizeof(real));
        fill(X, s->batch * n0, 0.0, 1.0);
        fill_targets(T, s->batch, nL);
        bool slow_ok = step_flops(s) <= slow_max * 1e9;
        bool on[N_IMPL] = { true, true, naive && slow_ok,
                            fann && slow_ok && !digits_config &&
                                step_fn[IMPL_FANN] != NULL };
        struct ctx c;
        ctx_setup(&c, s, on);
        c.X = X;
        c.T = T;
        struct series t[N_IMPL * 4];
        time_case(&c, on, budget, t, thread_list, nt);
        double flops = step_flops(s);
        char name[128];
        shape_name(s, name, sizeof name);
        for (size_t j = 0; j < nt; j++) {
            double ms[N_IMPL];
            for (int i = 0; i < N_IMPL; i++) {
                /* naive and FANN are measured once, at j = 0 */
                size_t jj = i == IMPL_NAIVE || i == IMPL_FANN ? 0 : j;
                ms[i] = 1e3 * median(&t[(size_t)i * nt + jj]);
            }
            size_t shown = nt > 1 ? thread_list[j] : used_threads;
            double p = peak > 0 ? peak : NAN;
            printf("%-22s %5zu %3zu %10.4f %10.4f %10.4f %10.4f %8.2f %8.3f %8.1f %8.3f %8.3f %8.3f\n",
                   name, s->batch, shown, ms[IMPL_MLP], ms[IMPL_ROOF], ms[IMPL_NAIVE],
                   ms[IMPL_FANN], flops / (ms[IMPL_MLP] * 1e6),
                   ms[IMPL_MLP] / ms[IMPL_ROOF], ms[IMPL_NAIVE] / ms[IMPL_MLP],
                   ms[IMPL_MLP] / ms[IMPL_FANN], flops / (ms[IMPL_MLP] * 1e6) / p,
                   flops / (ms[IMPL_ROOF] * 1e6) / p);
            if (out)
                fprintf(out, "%s,%zu,%s,%zu,%.0f,%.6g,%.6g,%.6g,%.6g,%.4g,%.4g\n",
                        label, shown, name, s->batch, flops, ms[IMPL_MLP],
                        ms[IMPL_ROOF], ms[IMPL_NAIVE], ms[IMPL_FANN],
                        flops / (ms[IMPL_MLP] * 1e6), flops / (ms[IMPL_ROOF] * 1e6));
        }
        fflush(stdout);
        for (size_t i = 0; i < N_IMPL * nt; i++)
            free(t[i].per_step);
        ctx_teardown(&c);
        free(X);
        free(T);
    }
    if (out)
        fclose(out);
    return 0;
}
