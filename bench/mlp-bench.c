/*
 * mlp-bench - times one training step (forward + backward + SGD update) of
 * a sigmoid/MSE network in float64, for libmlp and, in the same run and
 * interleaved sample by sample, for
 *   roofline  the bare BLAS calls such a step needs and nothing else:
 *             per layer the forward GEMM, the dW GEMM (the SGD update folded
 *             in with beta = 1) and the dA GEMM except for the first layer;
 *             for B = 1 the GEMV/GER form of the same. The floor for any
 *             BLAS-based implementation on the loaded backend.
 *   floor     the roofline's calls, then one vectorised pass of the
 *             divider work that libmlp's arithmetic cannot avoid: one
 *             correctly rounded division per sigmoid output (B x (n_1 +
 *             ... + n_L) of q = 1 / (1 + e), as libmlp's sigmoid
 *             t / (1 + e^-|z|) divides once per element), or with --digits
 *             Adam's square root and division per parameter (n_params of
 *             t = m / (sqrt(v) * c + eps), torch.optim.Adam's rounding).
 *             The divider runs beside the FMA units, but a BLAS call cannot
 *             lend it to the elementwise work, so a BLAS-based step that
 *             keeps libmlp's arithmetic pays at least the GEMMs plus this
 *             pass: floor/roof is how far above the roofline such a step
 *             must stay. Inputs are fixed (no drift into subnormals or
 *             Inf) and the results are read after timing. Both columns,
 *             floor_ms and floor/roof, come last in the table (floor_ms
 *             last in the CSV), so parsers of the older columns still work.
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
#include "simd.h"      /* MLP_CLONES: the library's vectorised clones */
#include "args.h"      /* checked numeric options */

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
/* The floor's 1 / sqrt(1 - beta2^t): t = 100 here; any positive value
 * costs the divider the same. */
#define FLOOR_INV 3.24
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

enum { IMPL_MLP, IMPL_ROOF, IMPL_FLOOR, IMPL_NAIVE, IMPL_FANN, N_IMPL };

struct ctx {
    const struct shape *s;
    const real *X, *T;
    /* libmlp */
    mlp_t *net;
    /* roofline: fixed inputs A[l-1], dZ[l]; outputs Z[l], dA[l-1]; W, dW */
    real *rA[MAX_LAYERS + 1], *rZ[MAX_LAYERS + 1], *rdZ[MAX_LAYERS + 1],
        *rdA[MAX_LAYERS + 1], *rW[MAX_LAYERS + 1];
    /* floor: n_floor fixed inputs fa (and fb), the results in fq */
    real *fa, *fb, *fq;
    size_t n_floor;
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

/* The floor's passes: the divider work of libmlp's elementwise arithmetic
 * and nothing else, cloned and vectorised as libmlp's passes are
 * (lib/simd.h). GCC's -O2 cost model vectorises only loops whose trip
 * count is a multiple of the vector length, so each pass runs in blocks of
 * FLOOR_BLOCK (a multiple of every width) and a short scalar tail; the rest
 * of this program keeps -O2's code. */
#define FLOOR_BLOCK 64

/* The sigmoid's one division per output: q = 1 / (1 + e), e in (0, 1]. */
static inline void sigmoid_divisions(size_t n, const real *restrict e,
                                     real *restrict q)
{
    for (size_t i = 0; i < n; i++)
        q[i] = (real)1 / ((real)1 + e[i]);
}

MLP_CLONES
static void sigmoid_floor(size_t n, const real *restrict e, real *restrict q)
{
    size_t i = 0;
    for (; i + FLOOR_BLOCK <= n; i += FLOOR_BLOCK)
        sigmoid_divisions(FLOOR_BLOCK, e + i, q + i);
    sigmoid_divisions(n - i, e + i, q + i);
}

/* Adam's square root and division per parameter, as torch.optim.Adam
 * rounds them: t = m / (sqrt(v) * inv + eps), v > 0. */
static inline void adam_divisions(size_t n, const real *restrict m,
                                  const real *restrict v, real inv,
                                  real *restrict t)
{
    for (size_t i = 0; i < n; i++)
        t[i] = m[i] / (real_sqrt(v[i]) * inv + (real)ADAM_EPS);
}

MLP_CLONES
static void adam_floor(size_t n, const real *restrict m,
                       const real *restrict v, real inv, real *restrict t)
{
    size_t i = 0;
    for (; i + FLOOR_BLOCK <= n; i += FLOOR_BLOCK)
        adam_divisions(FLOOR_BLOCK, m + i, v + i, inv, t + i);
    adam_divisions(n - i, m + i, v + i, inv, t + i);
}

/* The roofline's products, then the divider pass over fixed inputs. */
static void step_floor(struct ctx *c)
{
    step_roof(c);
    if (digits_config)
        adam_floor(c->n_floor, c->fa, c->fb, (real)FLOOR_INV, c->fq);
    else
        sigmoid_floor(c->n_floor, c->fa, c->fq);
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
    step_mlp, step_roof, step_floor, step_naive,
#ifdef HAVE_FANN
    step_fann,
#else
    NULL,
#endif
};

/* libmlp's network: the sigmoid/MSE/SGD one, or the digits demo's. */
static void setup_mlp(struct ctx *c)
{
    const struct shape *s = c->s;
    mlp_status st;
    if (digits_config) {
        st = mlp_create(&c->net, s->n_layers, s->sizes, c->acts,
                        MLP_CROSS_ENTROPY, 42);
        if (st == MLP_OK)
            st = mlp_set_adam(c->net, ADAM_LR, ADAM_B1, ADAM_B2, ADAM_EPS);
        if (st == MLP_OK)
            st = mlp_set_weight_decay(c->net, DECAY);
    } else {
        st = mlp_create(&c->net, s->n_layers, s->sizes, NULL, MLP_MSE, 42);
        if (st == MLP_OK)
            st = mlp_set_sgd(c->net, LR, 0.0);
    }
    if (st != MLP_OK) {
        fprintf(stderr, "mlp-bench: mlp_create: %s\n", mlp_strerror(st));
        exit(1);
    }
}

/* The roofline's fixed operands and its outputs, every layer. */
static void setup_roof(struct ctx *c)
{
    const struct shape *s = c->s;
    size_t B = s->batch;
    for (size_t l = 0; l <= s->n_layers; l++) {
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

/* The naive reference's flat parameters (libmlp's when it runs too, so
 * both start alike), gradients and Adam moments. */
static void setup_naive(struct ctx *c)
{
    size_t n = naive_n_params(c->s->n_layers, c->s->sizes);
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
static void setup_fann(struct ctx *c)
{
    const struct shape *s = c->s;
    unsigned int layers[MAX_LAYERS + 1];
    for (size_t l = 0; l <= s->n_layers; l++)
        layers[l] = (unsigned int)s->sizes[l];
    c->ann = fann_create_standard_array((unsigned int)s->n_layers + 1, layers);
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

/* The floor's fixed inputs: per sigmoid output e in (0, 1), or per
 * parameter an Adam moment m > 0 and a second moment v > 0, normal. */
static void setup_floor(struct ctx *c)
{
    const struct shape *s = c->s;
    size_t units = 0;
    for (size_t l = 1; l <= s->n_layers; l++)
        units += s->sizes[l];
    c->n_floor = digits_config ? naive_n_params(s->n_layers, s->sizes)
                               : s->batch * units;
    c->fa = xmalloc(c->n_floor * sizeof(real));
    c->fq = xmalloc(c->n_floor * sizeof(real));
    if (digits_config) {
        c->fb = xmalloc(c->n_floor * sizeof(real));
        fill(c->fa, c->n_floor, 1e-6, 1e-3);
        fill(c->fb, c->n_floor, 1e-8, 1e-6);
    } else
        fill(c->fa, c->n_floor, 1e-3, 1.0);
}

/* The floor's results are read, so that no pass can be left out, and
 * must be positive and finite, as its inputs are chosen to make them. */
static void check_floor(const struct ctx *c)
{
    for (size_t i = 0; i < c->n_floor; i++)
        if (!(c->fq[i] > 0 && c->fq[i] <= REAL_MAX)) {
            fprintf(stderr, "mlp-bench: the floor's pass gave %g\n",
                    (double)c->fq[i]);
            exit(1);
        }
}

/* The implementations switched on, in this order: the random fills of
 * one depend on those of the one before. */
static void ctx_setup(struct ctx *c, const struct shape *s, const bool *on)
{
    memset(c, 0, sizeof *c);
    c->s = s;
    size_t L = s->n_layers;
    for (size_t l = 0; l < L; l++)
        c->acts[l] = l + 1 < L ? MLP_RELU : MLP_SOFTMAX;
    if (on[IMPL_MLP])
        setup_mlp(c);
    if (on[IMPL_ROOF])
        setup_roof(c);
    if (on[IMPL_NAIVE])
        setup_naive(c);
#ifdef HAVE_FANN
    if (on[IMPL_FANN])
        setup_fann(c);
#endif
    if (on[IMPL_FLOOR])
        setup_floor(c);
}

static void ctx_teardown(struct ctx *c)
{
    mlp_free(c->net);
    if (c->fq)
        check_floor(c);
    free(c->fa);
    free(c->fb);
    free(c->fq);
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

/* Two warm-up steps (one if a step takes the whole budget), then the
 * steps per sample: enough for a sample to last >= ~0.5 ms. */
static void warm_up(struct ctx *c, int impl, double budget, struct series *s)
{
    /* Warm-up: the first step grows workspaces and pages memory in. */
    double t0 = now();
    step_fn[impl](c);
    double est = now() - t0;
    if (est < budget) { /* a second warm-up step unless slow */
        t0 = now();
        step_fn[impl](c);
        est = now() - t0;
    }
    s->k = est >= 5e-4 ? 1 : (size_t)(5e-4 / (est > 1e-8 ? est : 1e-8)) + 1;
    s->cap = MAX_SAMPLES;
    s->per_step = xmalloc(MAX_SAMPLES * sizeof *s->per_step);
}

/* Slot i * nt + j is implementation i at thread count threads[j] (set
 * before each of its samples when nt > 1, so thread counts interleave too;
 * naive and FANN use no BLAS and run at j = 0 only). */
static void start_series(struct ctx *c, const bool *on, double budget,
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
            warm_up(c, i, budget, s);
        }
}

/* One sample of k steps; true when the series has enough of them. */
static bool take_sample(struct ctx *c, int impl, double budget,
                        struct series *s)
{
    double t0 = now();
    for (size_t j = 0; j < s->k; j++)
        step_fn[impl](c);
    double dt = now() - t0;
    s->per_step[s->n++] = dt / (double)s->k;
    s->used += dt;
    /* Enough when the budget is spent and there are MIN_SAMPLES,
     * or when a slow implementation has used three budgets. */
    if (s->n >= s->cap ||
        (s->used >= budget && (s->n >= MIN_SAMPLES || s->used >= 3 * budget)))
        s->done = true;
    return s->done;
}

/* Round-robin over the slots, one sample each per turn, until all are
 * done. */
static void time_case(struct ctx *c, const bool *on, double budget,
                      struct series *t, const size_t *threads, size_t nt)
{
    start_series(c, on, budget, t, threads, nt);
    bool all_done;
    do {
        all_done = true;
        for (size_t slot = 0; slot < N_IMPL * nt; slot++) {
            if (t[slot].done)
                continue;
            if (nt > 1)
                mlp_set_blas_threads(threads[slot % nt]);
            all_done = take_sample(c, (int)(slot / nt), budget, &t[slot]) &&
                       all_done;
        }
    } while (!all_done);
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

/* The command line. */
struct options {
    struct shape cases[64];
    size_t n_cases;
    const char *preset, *csv, *label;
    double budget, slow_max, max_gflop, peak;
    size_t threads, thread_list[4], nt;
    bool naive, fann, memory;
    int dgemm_n;
};

/* --threads N or a list N,M,...: at most 4 counts, each positive. */
static void parse_threads(char *p, struct options *o)
{
    char *end;
    while (o->nt < 4) {
        size_t v = (size_t)strtoul(p, &end, 10);
        if (!isdigit((unsigned char)*p) || end == p || v == 0 || v > 4096)
            usage();
        o->thread_list[o->nt++] = v;
        if (*end != ',')
            break;
        p = end + 1;
    }
    o->threads = o->thread_list[0];
}

/* An option that takes the value v; false if a is none of them. */
static bool parse_valued(const char *a, char *v, struct options *o)
{
    if (strcmp(a, "--preset") == 0)
        o->preset = v;
    else if (strcmp(a, "--threads") == 0)
        parse_threads(v, o);
    else if (strcmp(a, "--budget") == 0)
        o->budget = bench_real_arg(a, v, 1e-3, 3.6e6) / 1000.0;
    else if (strcmp(a, "--slow-max") == 0)
        o->slow_max = bench_real_arg(a, v, 0, 1e9);
    else if (strcmp(a, "--max-gflop") == 0)
        o->max_gflop = bench_real_arg(a, v, 0, 1e9);
    else if (strcmp(a, "--csv") == 0)
        o->csv = v;
    else if (strcmp(a, "--label") == 0)
        o->label = v;
    else if (strcmp(a, "--peak") == 0)
        o->peak = bench_real_arg(a, v, 1e-3, 1e9);
    else if (strcmp(a, "--dgemm") == 0)
        o->dgemm_n = (int)bench_whole_arg(a, v, 1, 65536);
    else
        return false;
    return true;
}

/* An option without a value; false if a is none of them. */
static bool parse_switch(const char *a, struct options *o)
{
    if (strcmp(a, "--no-naive") == 0)
        o->naive = false;
    else if (strcmp(a, "--no-fann") == 0)
        o->fann = false;
    else if (strcmp(a, "--memory") == 0)
        o->memory = true;
    else if (strcmp(a, "--digits") == 0)
        digits_config = true;
    else
        return false;
    return true;
}

/* 0, or the exit status for a bad case (a bad option exits in usage). */
static int parse_options(int argc, char **argv, struct options *o)
{
    memset(o, 0, sizeof *o);
    o->budget = 1.0;
    o->slow_max = 10.0;
    o->naive = o->fann = true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 < argc && parse_valued(a, argv[i + 1], o))
            i++;
        else if (parse_switch(a, o))
            continue;
        else if (a[0] != '-' && o->n_cases < 32) {
            if (parse_shape(a, &o->cases[o->n_cases++]) != 0) {
                fprintf(stderr, "mlp-bench: bad case %s (want e.g. 784-128-10:32)\n", a);
                return 2;
            }
        } else
            usage();
    }
    if (o->preset || o->n_cases == 0)
        o->n_cases = add_preset(o->preset ? o->preset : "targets", o->cases,
                                o->n_cases);
    return 0;
}

/* What the table rows need beside the options. */
struct report {
    char blas[1024];     /* the loaded BLAS libraries */
    size_t used_threads; /* the BLAS thread count (one count given or none) */
    const char *how;     /* how it was set */
    const char *label;   /* the backend's name in the CSV */
    char guess[1024];    /* the label when none was given; as large as the
                            path it may copy */
    FILE *csv;
};

/* Sets the first thread count, having checked that the BLAS takes every
 * count given at run time; 0 or the exit status. BLIS loaded as the
 * libblas.so.3 alternative exports no thread control: its count then comes
 * from BLIS_NUM_THREADS, which the caller sets (compare-backends does). */
static int set_threads(struct options *o, struct report *r)
{
    r->how = "mlp_set_blas_threads";
    r->used_threads = 0;
    for (size_t j = o->nt; j-- > 1;)
        if (mlp_set_blas_threads(o->thread_list[j]) != MLP_OK) {
            fprintf(stderr, "mlp-bench: several thread counts need a BLAS "
                            "with run-time thread control\n");
            return 1;
        }
    if (o->threads && mlp_set_blas_threads(o->threads) != MLP_OK) {
        r->how = "environment (this BLAS has no run-time thread control)";
        r->used_threads = o->threads;
    }
    if (o->nt == 0)
        o->thread_list[o->nt++] = 0;
    if (!r->used_threads)
        r->used_threads = mlp_blas_threads();
    return 0;
}

/* The lines that say what runs: libmlp, the BLAS, its kernels, the peak. */
static void print_setup(const struct options *o, struct report *r)
{
    loaded_blas(r->blas);
    char kernels[512];
    blas_kernels(kernels, sizeof kernels);
    printf("# libmlp %s; BLAS loaded: %s; BLAS threads: %zu, set by %s\n",
           mlp_version(), r->blas, r->used_threads,
           o->threads ? r->how : "default");
    printf("# BLAS kernels: %s\n", kernels);
    /* The peak is the caller's number; it must be the one of this build's
     * element type (fma-peak prints both), as the header says. */
    if (o->peak > 0)
        printf("# FMA peak: %.1f GFLOP/s, given as the core's " REAL_NAME
               " peak (--peak); mlp/peak and roof/peak are fractions of it\n",
               o->peak);
}

/* --dgemm: the square GEMM's rate instead of training steps. */
static void run_dgemm(const struct options *o)
{
    double rate = time_dgemm(o->dgemm_n, o->budget);
    printf(GEMM_NAME " %d GFLOP/s %.2f", o->dgemm_n, rate);
    if (o->peak > 0)
        printf(" (%.3f of the " REAL_NAME " FMA peak %.1f)", rate / o->peak,
               o->peak);
    printf("\n");
}

static void print_table_head(void)
{
    printf("# ms per training step (%s, %s), median; "
           "GFLOP/s = 6*B*sum(n_in*n_out) / time\n",
           REAL_NAME, digits_config ? "ReLU/softmax, cross-entropy, Adam + weight decay"
                                    : "sigmoid, MSE, SGD");
    printf("%-22s %5s %3s %10s %10s %10s %10s %8s %8s %8s %8s %8s %8s %10s %10s\n",
           "shape", "B", "thr", "libmlp_ms", "roof_ms", "naive_ms", "fann_ms",
           "GFLOP/s", "mlp/roof", "naive/mlp", "mlp/fann", "mlp/peak", "roof/peak",
           "floor_ms", "floor/roof");
}

/* --csv: opened for appending, with the header if the file is new; 0 or
 * the exit status. */
static int open_csv(const char *path, struct report *r)
{
    r->csv = NULL;
    if (!path)
        return 0;
    r->csv = fopen(path, "a");
    if (!r->csv) {
        perror(path);
        return 1;
    }
    if (ftell(r->csv) == 0)
        fprintf(r->csv, "backend,threads,shape,batch,flops,libmlp_ms,roofline_ms,"
                        "naive_ms,fann_ms,libmlp_gflops,roofline_gflops,floor_ms\n");
    return 0;
}

/* The CSV's backend label: --label, or the directory of the loaded
 * library, which names the backend on Debian. */
static void choose_label(const struct options *o, struct report *r)
{
    r->label = o->label;
    if (r->label)
        return;
    const char *slash = strrchr(r->blas, '/');
    snprintf(r->guess, sizeof r->guess, "%s", r->blas);
    if (slash) {
        const char *start = slash;
        while (start > r->blas && start[-1] != '/')
            start--;
        size_t len = (size_t)(slash - start);
        snprintf(r->guess, sizeof r->guess, "%.*s",
                 (int)(len < sizeof r->guess ? len : sizeof r->guess - 1), start);
    }
    r->label = r->guess;
}

/* One table row and CSV row: the medians ms[] at thread count shown. */
static void print_row(const struct report *r, const struct shape *s,
                      size_t shown, const double *ms, double peak)
{
    char name[128];
    shape_name(s, name, sizeof name);
    double flops = step_flops(s);
    double p = peak > 0 ? peak : NAN;
    printf("%-22s %5zu %3zu %10.4f %10.4f %10.4f %10.4f %8.2f %8.3f %8.1f %8.3f %8.3f %8.3f %10.4f %10.3f\n",
           name, s->batch, shown, ms[IMPL_MLP], ms[IMPL_ROOF], ms[IMPL_NAIVE],
           ms[IMPL_FANN], flops / (ms[IMPL_MLP] * 1e6),
           ms[IMPL_MLP] / ms[IMPL_ROOF], ms[IMPL_NAIVE] / ms[IMPL_MLP],
           ms[IMPL_MLP] / ms[IMPL_FANN], flops / (ms[IMPL_MLP] * 1e6) / p,
           flops / (ms[IMPL_ROOF] * 1e6) / p, ms[IMPL_FLOOR],
           ms[IMPL_FLOOR] / ms[IMPL_ROOF]);
    if (r->csv)
        fprintf(r->csv, "%s,%zu,%s,%zu,%.0f,%.6g,%.6g,%.6g,%.6g,%.4g,%.4g,%.6g\n",
                r->label, shown, name, s->batch, flops, ms[IMPL_MLP],
                ms[IMPL_ROOF], ms[IMPL_NAIVE], ms[IMPL_FANN],
                flops / (ms[IMPL_MLP] * 1e6), flops / (ms[IMPL_ROOF] * 1e6),
                ms[IMPL_FLOOR]);
}

/* A case's rows, one per thread count, from its series (see time_case). */
static void print_rows(const struct options *o, const struct report *r,
                       const struct shape *s, struct series *t)
{
    size_t nt = o->nt;
    for (size_t j = 0; j < nt; j++) {
        double ms[N_IMPL];
        for (int i = 0; i < N_IMPL; i++) {
            /* naive and FANN are measured once, at j = 0 */
            size_t jj = i == IMPL_NAIVE || i == IMPL_FANN ? 0 : j;
            ms[i] = 1e3 * median(&t[(size_t)i * nt + jj]);
        }
        print_row(r, s, nt > 1 ? o->thread_list[j] : r->used_threads, ms,
                  o->peak);
    }
    fflush(stdout);
}

/* One case: its data, the implementations it runs, their timing, rows. */
static void run_case(const struct options *o, const struct report *r,
                     const struct shape *s)
{
    size_t n0 = s->sizes[0], nL = s->sizes[s->n_layers];
    real *X = xmalloc(s->batch * n0 * sizeof(real));
    real *T = xmalloc(s->batch * nL * sizeof(real));
    fill(X, s->batch * n0, 0.0, 1.0);
    fill_targets(T, s->batch, nL);
    bool slow_ok = step_flops(s) <= o->slow_max * 1e9;
    bool on[N_IMPL] = { [IMPL_MLP] = true, [IMPL_ROOF] = true,
                        [IMPL_FLOOR] = true, [IMPL_NAIVE] = o->naive && slow_ok,
                        [IMPL_FANN] = o->fann && slow_ok && !digits_config &&
                                      step_fn[IMPL_FANN] != NULL };
    struct ctx c;
    ctx_setup(&c, s, on);
    c.X = X;
    c.T = T;
    struct series t[N_IMPL * 4];
    time_case(&c, on, o->budget, t, o->thread_list, o->nt);
    print_rows(o, r, s, t);
    for (size_t i = 0; i < N_IMPL * o->nt; i++)
        free(t[i].per_step);
    ctx_teardown(&c);
    free(X);
    free(T);
}

/* Training steps: the table (and CSV rows) for every case. */
static int run_steps(const struct options *o, struct report *r)
{
    print_table_head();
    int status = open_csv(o->csv, r);
    if (status)
        return status;
    choose_label(o, r);
    for (size_t ci = 0; ci < o->n_cases; ci++) {
        const struct shape *s = &o->cases[ci];
        if (o->max_gflop > 0 && step_flops(s) > o->max_gflop * 1e9)
            continue;
        run_case(o, r, s);
    }
    if (r->csv)
        fclose(r->csv);
    return 0;
}

int main(int argc, char **argv)
{
    struct options o;
    struct report r;
    int status = parse_options(argc, argv, &o);
    if (status)
        return status;
    if (o.memory) {
        for (size_t i = 0; i < o.n_cases; i++)
            run_memory(&o.cases[i]);
        return 0;
    }
    status = set_threads(&o, &r);
    if (status)
        return status;
    print_setup(&o, &r);
    if (o.dgemm_n > 0) {
        run_dgemm(&o);
        return 0;
    }
    return run_steps(&o, &r);
}
