/*
 * digits-long - a long training run of the digits demo's network
 * (examples/digits.c: 64-128-10, ReLU/softmax, cross-entropy, Adam with
 * weight decay, batches of 32) to see whether the step slows down as the
 * run goes on. Weights and optimizer moments of inputs that are always
 * zero (the border pixels of the digits) shrink geometrically towards zero;
 * without care they become subnormal, and subnormal arithmetic is slow on
 * most x86 CPUs. libmlp's optimizers store such values as zero (see
 * mlp_step in mlp.h); this program shows the effect on the time per epoch.
 *
 * usage: digits-long [DATA.csv.gz] [--epochs N] [--every K] [--ftz]
 *   Prints, every K epochs (default 50), the median time per epoch of those
 *   K epochs and how many parameters are subnormal. --ftz sets the
 *   processor's flush-to-zero and denormals-are-zero modes for the whole
 *   process (x86 only): the speed a run reaches when no subnormal is ever
 *   seen, for comparison.
 */
#define _POSIX_C_SOURCE 199309L /* clock_gettime */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#define HAVE_MXCSR 1
#endif

#include "mlp.h"
#include "csv.h"
#include "args.h"

enum { N_IN = 64, N_HIDDEN = 128, N_OUT = 10, BATCH = 32 };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void die(const char *what)
{
    fprintf(stderr, "digits-long: %s\n", what);
    exit(1);
}

struct args {
    const char *data;
    size_t epochs, every;
    int ftz;
};

static void parse_args(int argc, char **argv, struct args *a)
{
    a->data = "data/digits.csv.gz";
    a->epochs = 400;
    a->every = 50;
    a->ftz = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--epochs") == 0 && i + 1 < argc)
            a->epochs = (size_t)bench_whole_arg("--epochs", argv[++i], 1,
                                                1000000);
        else if (strcmp(argv[i], "--every") == 0 && i + 1 < argc)
            a->every = (size_t)bench_whole_arg("--every", argv[++i], 1, 1000000);
        else if (strcmp(argv[i], "--ftz") == 0)
            a->ftz = 1;
        else if (argv[i][0] != '-')
            a->data = argv[i];
        else
            die("usage: digits-long [DATA.csv.gz] [--epochs N] [--every K] [--ftz]");
    }
    if (a->epochs == 0 || a->every == 0)
        die("--epochs and --every must be positive");
}

static void set_ftz(int ftz)
{
#ifdef HAVE_MXCSR
    if (ftz) /* flush-to-zero (bit 15) and denormals-are-zero (bit 6) */
        _mm_setcsr(_mm_getcsr() | 0x8040);
#else
    if (ftz)
        die("--ftz needs an x86 processor");
#endif
}

/* The demo's training rows (all but every 5th): pixels scaled to [0, 1]
 * into *X, one-hot labels into *T; returns their number. */
static size_t load_digits(const char *data, double **X, double **T)
{
    csv_table t;
    char err[512];
    if (csv_read(data, &t, err, sizeof err) != 0)
        die(err);
    if (t.cols != N_IN + 1)
        die("expected 65 columns (64 pixels and the label)");
    size_t n = t.rows - t.rows / 5, k = 0;
    *X = calloc(n * N_IN, sizeof **X);
    *T = calloc(n * N_OUT, sizeof **T);
    if (!*X || !*T)
        die("out of memory");
    for (size_t r = 0; r < t.rows && k < n; r++) {
        if (r % 5 == 4)
            continue;
        const double *row = t.values + r * t.cols;
        for (size_t j = 0; j < N_IN; j++)
            (*X)[k * N_IN + j] = row[j] / 16.0;
        (*T)[k * N_OUT + (size_t)row[N_IN] % N_OUT] = 1.0;
        k++;
    }
    csv_free(&t);
    return k;
}

/* The demo's network and optimizer. */
static mlp_t *create_net(void)
{
    const size_t sizes[] = { N_IN, N_HIDDEN, N_OUT };
    const mlp_activation acts[] = { MLP_RELU, MLP_SOFTMAX };
    mlp_t *net = NULL;
    if (mlp_create(&net, 2, sizes, acts, MLP_CROSS_ENTROPY, 2026) != MLP_OK ||
        mlp_set_adam(net, 3e-3, 0.9, 0.999, 1e-8) != MLP_OK ||
        mlp_set_weight_decay(net, 1e-4) != MLP_OK)
        die("cannot create the network");
    return net;
}

/* One epoch over the n rows in order, in batches; the sum over the
 * batches of cost x rows. */
static double train_epoch(mlp_t *net, const double *X, const double *T,
                          size_t n)
{
    double cost = 0.0, sum = 0.0;
    for (size_t first = 0; first < n; first += BATCH) {
        size_t rows = n - first < BATCH ? n - first : BATCH;
        mlp_status s = mlp_train_batch(net, rows, X + first * N_IN,
                                       T + first * N_OUT, &cost);
        if (s != MLP_OK)
            die(mlp_strerror(s));
        sum += cost * (double)rows;
    }
    return sum;
}

static size_t count_subnormal(mlp_t *net)
{
    size_t sub = 0, np = mlp_n_params(net);
    const double *p = mlp_params(net);
    for (size_t i = 0; i < np; i++)
        sub += fpclassify(p[i]) == FP_SUBNORMAL;
    return sub;
}

int main(int argc, char **argv)
{
    struct args a;
    parse_args(argc, argv, &a);
    set_ftz(a.ftz);
    double *X, *T;
    size_t n = load_digits(a.data, &X, &T);
    mlp_t *net = create_net();

    printf("# digits-long: %zu training rows, 64-128-10 ReLU/softmax, Adam "
           "3e-3 + weight decay 1e-4, batches of %d%s\n", n, BATCH,
           a.ftz ? ", FTZ/DAZ set for the process" : "");
    printf("%8s %14s %12s %10s\n", "epochs", "ms/epoch(med)", "subnormal", "cost");
    double *times = calloc(a.every, sizeof *times);
    if (!times)
        die("out of memory");
    for (size_t e = 0; e < a.epochs; e++) {
        double t0 = now();
        double sum = train_epoch(net, X, T, n);
        times[e % a.every] = now() - t0;
        if ((e + 1) % a.every == 0) {
            size_t sub = count_subnormal(net);
            qsort(times, a.every, sizeof *times, cmp_double);
            printf("%8zu %14.3f %12zu %10.4f\n", e + 1, 1e3 * times[a.every / 2],
                   sub, sum / (double)n);
            fflush(stdout);
        }
    }
    free(times);
    free(X);
    free(T);
    mlp_free(net);
    return 0;
}
