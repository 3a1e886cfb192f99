/* digits.c - the main demo: classify the 1797 8x8 handwritten digits of
 * data/digits.csv.gz with libmlp, then train the same network with the
 * naive reference (tests/reference/naive.c: plain loops, one sample at a
 * time) to show what batched BLAS buys.
 *
 *   usage: digits [DATA.csv.gz] [--epochs N] [--naive-epochs N]
 *                 [--plot FILE.png] [--quiet]
 *
 * --epochs N: at most N epochs, 1 to 1000000 (default 100); --naive-epochs
 * N: the reference's epochs, 0 (skip it) to 1000000 (default: as many as
 * libmlp ran). A value that is not a whole number in its range, a missing
 * value or an unknown option is named on stderr with the usage, status 2.
 *
 * Split: every 5th row (rows 4, 9, 14, ...) is the test set, fixed, never
 * seen in training; 10% of the rest is held out for validation (early
 * stopping, and the learning curve). Inputs are pixel counts 0..16, scaled
 * to 0..1. */
#define _POSIX_C_SOURCE 199309L /* clock_gettime */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mlp.h"
#include "csv.h"
#include "naive.h"
#include "plot.h"

enum { N_IN = 64, N_HIDDEN = 128, N_OUT = 10, BATCH = 32, PATIENCE = 15 };
static const size_t sizes[] = { N_IN, N_HIDDEN, N_OUT };
static const mlp_activation acts[] = { MLP_RELU, MLP_SOFTMAX };
static const double LR = 3e-3, B1 = 0.9, B2 = 0.999, EPS = 1e-8, DECAY = 1e-4;

/* --naive-epochs not given: the naive reference trains as many epochs as
 * libmlp ran. */
static const size_t AS_MANY_AS_LIBMLP = (size_t)-1;

/* The most epochs --epochs and --naive-epochs take: the learning curve
 * keeps 24 bytes per epoch, and early stopping ends the run long before. */
enum { MAX_EPOCHS = 1000000 };

struct options {
    const char *data, *png;
    size_t epochs, naive_epochs;
    int quiet;
};

/* The fixed split, pixels scaled to 0..1 and one-hot targets (row-major,
 * N_IN and N_OUT columns), and room for the network's test outputs. */
struct digits {
    size_t n_train, n_test;
    double *X_train, *T_train, *X_test, *T_test, *Y_test;
};

/* The learning curve, filled in by on_epoch. */
struct curve {
    double *train, *val, *elapsed;
    size_t epochs;
    int quiet;
};

/* What the demo reports; naive_epochs 0 when the reference was skipped. */
struct outcome {
    mlp_fit_result fit;
    double accuracy, seconds_per_epoch;
    size_t naive_epochs;
    double naive_accuracy, naive_seconds_per_epoch;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A count for option `name` in [min, max]: digits only ("10x", "-1" and
 * " 5" are not counts). Returns 0, or -1 after saying what is wrong. */
static int parse_count(const char *name, const char *s, size_t min, size_t max,
                       size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end) {
        fprintf(stderr, "digits: %s: \"%s\" is not a whole number\n", name, s);
        return -1;
    }
    if (errno == ERANGE || v > max) {
        fprintf(stderr, "digits: %s: %s is too large (at most %zu)\n", name, s, max);
        return -1;
    }
    if (v < min) {
        fprintf(stderr, "digits: %s: %s is out of range (must be at least %zu)\n",
                name, s, min);
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

static int takes_value(const char *arg)
{
    return strcmp(arg, "--epochs") == 0 || strcmp(arg, "--naive-epochs") == 0 ||
           strcmp(arg, "--plot") == 0;
}

/* Returns 0, or -1 after saying what is wrong and printing the usage. */
static int parse_args(int argc, char **argv, struct options *o)
{
    *o = (struct options){ "data/digits.csv.gz", "digits-learning-curve.png",
                           100, AS_MANY_AS_LIBMLP, 0 };
    int bad = 0;
    for (int i = 1; i < argc && !bad; i++) {
        const char *arg = argv[i];
        if (takes_value(arg) && i + 1 == argc) {
            fprintf(stderr, "digits: %s: missing value\n", arg);
            bad = 1;
        } else if (strcmp(arg, "--epochs") == 0) {
            bad = parse_count(arg, argv[++i], 1, MAX_EPOCHS, &o->epochs) != 0;
        } else if (strcmp(arg, "--naive-epochs") == 0) {
            bad = parse_count(arg, argv[++i], 0, MAX_EPOCHS, &o->naive_epochs) != 0;
        } else if (strcmp(arg, "--plot") == 0) {
            o->png = argv[++i];
        } else if (strcmp(arg, "--quiet") == 0) {
            o->quiet = 1;
        } else if (arg[0] != '-') {
            o->data = arg;
        } else {
            fprintf(stderr, "digits: %s: unknown option\n", arg);
            bad = 1;
        }
    }
    if (bad)
        fprintf(stderr, "usage: digits [DATA.csv.gz] [--epochs N] "
                "[--naive-epochs N] [--plot FILE.png] [--quiet]\n");
    return bad ? -1 : 0;
}

static void free_digits(struct digits *d)
{
    free(d->X_train); free(d->T_train);
    free(d->X_test); free(d->T_test); free(d->Y_test);
}

/* Allocates d's arrays (zeroed: the one-hot targets rely on it) for n rows,
 * one in five of them for the test. */
static int alloc_digits(struct digits *d, size_t n)
{
    d->n_test = n / 5;
    d->n_train = n - d->n_test;
    d->X_train = calloc(d->n_train * N_IN, sizeof(double));
    d->T_train = calloc(d->n_train * N_OUT, sizeof(double));
    d->X_test = calloc(d->n_test * N_IN, sizeof(double));
    d->T_test = calloc(d->n_test * N_OUT, sizeof(double));
    d->Y_test = calloc(d->n_test * N_OUT, sizeof(double));
    if (d->X_train && d->T_train && d->X_test && d->T_test && d->Y_test)
        return 0;
    fprintf(stderr, "digits: out of memory\n");
    return -1;
}

/* Sends every 5th row of the table to the test set and the others to
 * training, scaling the pixels and making the label a one-hot row. */
static int split_rows(const csv_table *t, const char *path, struct digits *d)
{
    size_t i_train = 0, i_test = 0;
    for (size_t r = 0; r < t->rows; r++) {
        const double *row = t->values + r * t->cols;
        double label = row[N_IN];
        if (label != floor(label) || label < 0 || label > 9) {
            fprintf(stderr, "digits: %s line %zu: label %g is not 0..9\n",
                    path, t->line[r], label);
            return -1;
        }
        int test = r % 5 == 4 && i_test < d->n_test;
        size_t i = test ? i_test++ : i_train++;
        double *x = (test ? d->X_test : d->X_train) + i * N_IN;
        double *y = (test ? d->T_test : d->T_train) + i * N_OUT;
        for (size_t j = 0; j < N_IN; j++)
            x[j] = row[j] / 16.0;
        y[(size_t)label] = 1.0;
    }
    return 0;
}

/* Reads the CSV file (64 pixel counts and a label per row) into d. Returns
 * 0, or -1 after saying why. */
static int load_digits(const char *path, struct digits *d)
{
    csv_table t;
    char err[512];
    if (csv_read(path, &t, err, sizeof err) != 0) {
        fprintf(stderr, "digits: %s\n", err);
        return -1;
    }
    int rc = -1;
    if (t.cols != N_IN + 1)
        fprintf(stderr, "digits: %s: expected %d columns, found %zu\n", path,
                N_IN + 1, t.cols);
    else if (alloc_digits(d, t.rows) == 0)
        rc = split_rows(&t, path, d);
    csv_free(&t);
    return rc;
}

/* 64-128-10, ReLU then softmax, cross-entropy; Adam with weight decay;
 * initial weights from a fixed seed. */
static mlp_t *create_network(void)
{
    mlp_t *net = NULL;
    if (mlp_create(&net, 2, sizes, acts, MLP_CROSS_ENTROPY, 2026) != MLP_OK ||
        mlp_set_adam(net, LR, B1, B2, EPS) != MLP_OK ||
        mlp_set_weight_decay(net, DECAY) != MLP_OK) {
        fprintf(stderr, "digits: cannot create the network\n");
        mlp_free(net);
        return NULL;
    }
    return net;
}

static void free_curve(struct curve *c)
{
    free(c->train); free(c->val); free(c->elapsed);
}

/* Room for the costs and times of up to `epochs` epochs. */
static int alloc_curve(struct curve *c, size_t epochs, int quiet)
{
    *c = (struct curve){ calloc(epochs, sizeof(double)),
                         calloc(epochs, sizeof(double)),
                         calloc(epochs, sizeof(double)), 0, quiet };
    return c->train && c->val && c->elapsed ? 0 : -1;
}

/* A copy of the network's parameters, or NULL when out of memory. */
static double *copy_params(mlp_t *net)
{
    size_t np = mlp_n_params(net);
    double *theta = malloc(np * sizeof *theta);
    if (theta)
        memcpy(theta, mlp_params(net), np * sizeof *theta);
    return theta;
}

static void print_plan(const struct digits *d, size_t epochs)
{
    printf("digits: %zu training rows (10%% of them held out for validation), "
           "%zu test rows (every 5th)\n", d->n_train, d->n_test);
    printf("network 64-128-10, ReLU then softmax, cross-entropy; Adam lr %g, "
           "weight decay %g, batches of %d, up to %zu epochs, early stopping "
           "after %d without improvement\n", LR, DECAY, BATCH, epochs, PATIENCE);
    /* The plan shows before training starts, even when stdout is a pipe. */
    fflush(stdout);
}

/* mlp_fit's progress callback: records each finished epoch's costs and
 * time, and prints them unless --quiet. */
static int on_epoch(const mlp_fit_progress *p, void *user)
{
    struct curve *c = user;
    if (!p->epoch_done)
        return 0;
    c->train[p->epoch - 1] = p->train_cost;
    c->val[p->epoch - 1] = p->val_cost;
    c->elapsed[p->epoch - 1] = p->elapsed;
    c->epochs = p->epoch;
    if (!c->quiet)
        printf("  epoch %3zu  train cost %.4f  validation cost %.4f\n",
               p->epoch, p->train_cost, p->val_cost);
    return 0;
}

/* mlp_fit on the training rows: shuffled mini-batches, 10% held out for
 * validation, stopping after PATIENCE epochs without a better validation
 * cost and keeping the best epoch's parameters. Also gives libmlp's time
 * per epoch. */
static int train(mlp_t *net, const struct digits *d, size_t epochs,
                 struct curve *c, struct outcome *out)
{
    mlp_fit_options o;
    mlp_fit_defaults(&o);
    o.epochs = epochs;
    o.batch_size = BATCH;
    o.seed = 7;
    o.validation = 0.1;
    o.patience = PATIENCE;
    o.callback = on_epoch;
    o.user = c;
    mlp_status st = mlp_fit(net, d->n_train, d->X_train, d->T_train, &o,
                            &out->fit);
    if (st != MLP_OK) {
        fprintf(stderr, "digits: training failed: %s\n", mlp_strerror(st));
        return -1;
    }
    out->seconds_per_epoch = c->elapsed[c->epochs - 1] / (double)c->epochs;
    return 0;
}

static size_t argmax(const double *y, size_t n)
{
    size_t k = 0;
    for (size_t i = 1; i < n; i++)
        if (y[i] > y[k])
            k = i;
    return k;
}

/* Percentage of rows of Y (n x 10) whose largest output is the target's. */
static double accuracy(const double *Y, const double *T, size_t n)
{
    size_t right = 0;
    for (size_t r = 0; r < n; r++)
        right += argmax(Y + r * N_OUT, N_OUT) == argmax(T + r * N_OUT, N_OUT);
    return 100.0 * (double)right / (double)n;
}

/* The trained network's accuracy on the test rows. */
static int evaluate(mlp_t *net, struct digits *d, struct outcome *out)
{
    mlp_status st = mlp_predict(net, d->n_test, d->X_test, d->Y_test);
    if (st != MLP_OK) {
        fprintf(stderr, "digits: mlp_predict: %s\n", mlp_strerror(st));
        return -1;
    }
    out->accuracy = accuracy(d->Y_test, d->T_test, d->n_test);
    return 0;
}

/* One Adam step with L2 weight decay on the weights (not the biases), as
 * mlp_set_adam and mlp_set_weight_decay define it; t counts the steps. */
static void naive_adam_step(double *theta, const double *g, double *m,
                            double *v, size_t np, long t)
{
    /* Which parameters are weights (decayed): W^(1), then W^(2). */
    size_t w1 = N_HIDDEN * N_IN, b1 = w1 + N_HIDDEN, w2 = b1 + N_OUT * N_HIDDEN;
    double bc1 = 1 - pow(B1, (double)t), bc2 = 1 - pow(B2, (double)t);
    for (size_t i = 0; i < np; i++) {
        int weight = i < w1 || (i >= b1 && i < w2);
        double d = g[i] + (weight ? DECAY * theta[i] : 0.0);
        m[i] = B1 * m[i] + (1 - B1) * d;
        v[i] = B2 * v[i] + (1 - B2) * d * d;
        theta[i] -= LR * (m[i] / bc1) / (sqrt(v[i] / bc2) + EPS);
    }
}

/* The naive reference's training: the same network from the same initial
 * parameters, the same mini-batch size, Adam with the same settings and
 * weight decay, written as plain loops. Returns seconds per epoch. */
static double naive_train(double *theta, size_t np, const double *X,
                          const double *T, size_t n, size_t epochs)
{
    double *g = calloc(np, sizeof *g), *m = calloc(np, sizeof *m);
    double *v = calloc(np, sizeof *v);
    if (!g || !m || !v) {
        fprintf(stderr, "digits: out of memory\n");
        exit(1);
    }
    double t0 = now();
    long t = 0;
    for (size_t e = 0; e < epochs; e++) {
        for (size_t first = 0; first < n; first += BATCH) {
            size_t rows = n - first < BATCH ? n - first : BATCH;
            if (naive_backprop(2, sizes, acts, MLP_CROSS_ENTROPY, theta, rows,
                               X + first * N_IN, T + first * N_OUT, g, NULL) != 0) {
                fprintf(stderr, "digits: naive reference failed\n");
                exit(1);
            }
            naive_adam_step(theta, g, m, v, np, ++t);
        }
    }
    double per_epoch = (now() - t0) / (double)epochs;
    free(g); free(m); free(v);
    return per_epoch;
}

/* The naive reference: the same initial parameters, as many training
 * rows as libmlp trains on (the first 90% of the training part, in file
 * order rather than reshuffled), the same batch size, optimizer and
 * number of epochs. Its test accuracy shows it learns too. */
static int compare_with_naive(double *theta0, size_t np, struct digits *d,
                              size_t naive_epochs, struct outcome *out)
{
    size_t ne = naive_epochs == AS_MANY_AS_LIBMLP ? out->fit.epochs_run
                                                  : naive_epochs;
    out->naive_epochs = ne;
    if (ne == 0)
        return 0;
    size_t n_fit = d->n_train - (size_t)(0.1 * (double)d->n_train);
    out->naive_seconds_per_epoch = naive_train(theta0, np, d->X_train,
                                               d->T_train, n_fit, ne);
    if (naive_forward(2, sizes, acts, theta0, d->n_test, d->X_test,
                      d->Y_test) != 0) {
        fprintf(stderr, "digits: naive reference failed\n");
        return -1;
    }
    out->naive_accuracy = accuracy(d->Y_test, d->T_test, d->n_test);
    return 0;
}

static void print_outcome(const struct outcome *out, size_t n_test)
{
    const mlp_fit_result *r = &out->fit;
    printf("\nstopped after %zu epochs (%s); kept epoch %zu, validation cost %.4f\n",
           r->epochs_run, r->stop == MLP_FIT_EARLY_STOPPED ? "early stop" : "all epochs",
           r->best_epoch, r->best_val_cost);
    printf("test accuracy: %.2f%% (%zu test digits never seen in training)\n",
           out->accuracy, n_test);
    double lib = out->seconds_per_epoch, naive = out->naive_seconds_per_epoch;
    if (out->naive_epochs > 0) {
        printf("time per epoch: libmlp %.2f ms, naive reference %.2f ms "
               "(plain loops, %zu epochs, test accuracy %.2f%%): %.1fx faster\n",
               1e3 * lib, 1e3 * naive, out->naive_epochs, out->naive_accuracy,
               naive / lib);
    } else {
        printf("time per epoch: libmlp %.2f ms (naive reference skipped)\n",
               1e3 * lib);
    }
}

/* The learning curve as a PNG drawn by gnuplot; without gnuplot the demo
 * says so and still succeeds. */
static void draw_curve(const char *png, const struct curve *c)
{
    char err[512];
    if (plot_learning_curve(png, "digits: cross-entropy per epoch (libmlp)",
                            c->train, c->val, c->epochs, err, sizeof err) == 0)
        printf("learning curve (training and validation cost per epoch): %s\n", png);
    else
        printf("learning curve not drawn: %s\n", err);
}

/* Exit status 0; 2 for a bad command line; 1 when a step fails (the early
 * returns leave the memory to the system). */
int main(int argc, char **argv)
{
    struct options opt;
    if (parse_args(argc, argv, &opt) != 0)
        return 2;
    struct digits d = { 0 };
    if (load_digits(opt.data, &d) != 0)
        return 1;
    mlp_t *net = create_network();
    if (!net)
        return 1;
    /* The naive reference will start from the same initial parameters. */
    double *theta0 = copy_params(net);
    struct curve c;
    if (!theta0 || alloc_curve(&c, opt.epochs, opt.quiet) != 0) {
        fprintf(stderr, "digits: out of memory\n");
        return 1;
    }

    print_plan(&d, opt.epochs);
    struct outcome out = { 0 };
    if (train(net, &d, opt.epochs, &c, &out) != 0 ||
        evaluate(net, &d, &out) != 0 ||
        compare_with_naive(theta0, mlp_n_params(net), &d, opt.naive_epochs,
                           &out) != 0)
        return 1;
    print_outcome(&out, d.n_test);
    draw_curve(opt.png, &c);

    mlp_free(net);
    free(theta0);
    free_curve(&c);
    free_digits(&d);
    return 0;
}
