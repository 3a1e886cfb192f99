/* digits.c - the main demo: classify the 1797 8x8 handwritten digits of
 * data/digits.csv.gz with libmlp, then train the same network with the
 * naive reference (tests/reference/naive.c: plain loops, one sample at a
 * time) to show what batched BLAS buys.
 *
 *   usage: digits [DATA.csv.gz] [--epochs N] [--naive-epochs N]
 *                 [--plot FILE.png] [--quiet]
 *
 * Split: every 5th row (rows 4, 9, 14, ...) is the test set, fixed, never
 * seen in training; 10% of the rest is held out for validation (early
 * stopping, and the learning curve). Inputs are pixel counts 0..16, scaled
 * to 0..1. */
#define _POSIX_C_SOURCE 199309L /* clock_gettime */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mlp.h"
#include "csv.h"
#include "naive.h"
#include "plot.h"

enum { N_IN = 64, N_HIDDEN = 128, N_OUT = 10, BATCH = 32 };
static const size_t sizes[] = { N_IN, N_HIDDEN, N_OUT };
static const mlp_activation acts[] = { MLP_RELU, MLP_SOFTMAX };
static const double LR = 3e-3, B1 = 0.9, B2 = 0.999, EPS = 1e-8, DECAY = 1e-4;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

struct curve {
    double *train, *val, *elapsed;
    size_t epochs;
    int quiet;
};

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
    /* Which parameters are weights (decayed): W^(1), then W^(2). */
    size_t w1 = N_HIDDEN * N_IN, b1 = w1 + N_HIDDEN, w2 = b1 + N_OUT * N_HIDDEN;
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
            t++;
            double bc1 = 1 - pow(B1, (double)t), bc2 = 1 - pow(B2, (double)t);
            for (size_t i = 0; i < np; i++) {
                int weight = i < w1 || (i >= b1 && i < w2);
                double d = g[i] + (weight ? DECAY * theta[i] : 0.0);
                m[i] = B1 * m[i] + (1 - B1) * d;
                v[i] = B2 * v[i] + (1 - B2) * d * d;
                theta[i] -= LR * (m[i] / bc1) / (sqrt(v[i] / bc2) + EPS);
            }
        }
    }
    double per_epoch = (now() - t0) / (double)epochs;
    free(g); free(m); free(v);
    return per_epoch;
}

int main(int argc, char **argv)
{
    const char *data = "data/digits.csv.gz", *png = "digits-learning-curve.png";
    size_t epochs = 100, naive_epochs = (size_t)-1;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--epochs") == 0 && i + 1 < argc)
            epochs = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--naive-epochs") == 0 && i + 1 < argc)
            naive_epochs = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--plot") == 0 && i + 1 < argc)
            png = argv[++i];
        else if (strcmp(argv[i], "--quiet") == 0)
            quiet = 1;
        else if (argv[i][0] != '-')
            data = argv[i];
        else {
            fprintf(stderr, "usage: digits [DATA.csv.gz] [--epochs N] "
                    "[--naive-epochs N] [--plot FILE.png] [--quiet]\n");
            return 2;
        }
    }
    if (epochs == 0)
        epochs = 1;

    csv_table t;
    char err[512];
    if (csv_read(data, &t, err, sizeof err) != 0) {
        fprintf(stderr, "digits: %s\n", err);
        return 1;
    }
    if (t.cols != N_IN + 1) {
        fprintf(stderr, "digits: %s: expected %d columns, found %zu\n", data,
                N_IN + 1, t.cols);
        return 1;
    }
    /* The fixed split, the scaling and one-hot targets. */
    size_t n = t.rows, n_test = n / 5, n_train = n - n_test;
    double *Xtr = calloc(n_train * N_IN, sizeof(double));
    double *Ttr = calloc(n_train * N_OUT, sizeof(double));
    double *Xte = calloc(n_test * N_IN, sizeof(double));
    double *Tte = calloc(n_test * N_OUT, sizeof(double));
    double *Y = calloc(n_test * N_OUT, sizeof(double));
    if (!Xtr || !Ttr || !Xte || !Tte || !Y) {
        fprintf(stderr, "digits: out of memory\n");
        return 1;
    }
    for (size_t r = 0, itr = 0, ite = 0; r < n; r++) {
        const double *row = t.values + r * t.cols;
        int test = r % 5 == 4 && ite < n_test;
        double *x = test ? Xte + ite * N_IN : Xtr + itr * N_IN;
        double *y = test ? Tte + ite * N_OUT : Ttr + itr * N_OUT;
        for (size_t j = 0; j < N_IN; j++)
            x[j] = row[j] / 16.0;
        double label = row[N_IN];
        if (label != floor(label) || label < 0 || label > 9) {
            fprintf(stderr, "digits: %s line %zu: label %g is not 0..9\n",
                    data, t.line[r], label);
            return 1;
        }
        y[(size_t)label] = 1.0;
        test ? ite++ : itr++;
    }
    csv_free(&t);

    mlp_t *net = NULL;
    if (mlp_create(&net, 2, sizes, acts, MLP_CROSS_ENTROPY, 2026) != MLP_OK ||
        mlp_set_adam(net, LR, B1, B2, EPS) != MLP_OK ||
        mlp_set_weight_decay(net, DECAY) != MLP_OK) {
        fprintf(stderr, "digits: cannot create the network\n");
        return 1;
    }
    size_t np = mlp_n_params(net);
    double *theta0 = malloc(np * sizeof *theta0);
    struct curve c = { calloc(epochs, sizeof(double)), calloc(epochs, sizeof(double)),
                       calloc(epochs, sizeof(double)), 0, quiet };
    if (!theta0 || !c.train || !c.val || !c.elapsed) {
        fprintf(stderr, "digits: out of memory\n");
        return 1;
    }
    memcpy(theta0, mlp_params(net), np * sizeof *theta0);

    printf("digits: %zu training rows (10%% of them held out for validation), "
           "%zu test rows (every 5th)\n", n_train, n_test);
    printf("network 64-128-10, ReLU then softmax, cross-entropy; Adam lr %g, "
           "weight decay %g, batches of %d, up to %zu epochs, early stopping "
           "after 15 without improvement\n", LR, DECAY, BATCH, epochs);
    fflush(stdout);

    mlp_fit_options o;
    mlp_fit_defaults(&o);
    o.epochs = epochs;
    o.batch_size = BATCH;
    o.seed = 7;
    o.validation = 0.1;
    o.patience = 15;
    o.callback = on_epoch;
    o.user = &c;
    mlp_fit_result r;
    mlp_status st = mlp_fit(net, n_train, Xtr, Ttr, &o, &r);
    if (st != MLP_OK) {
        fprintf(stderr, "digits: training failed: %s\n", mlp_strerror(st));
        return 1;
    }
    double lib_epoch = c.elapsed[c.epochs - 1] / (double)c.epochs;
    if (mlp_predict(net, n_test, Xte, Y) != MLP_OK)
        return 1;
    double acc = accuracy(Y, Tte, n_test);

    /* The naive reference: the same initial parameters, as many training
     * rows as libmlp trains on (the first 90% of the training part, in file
     * order rather than reshuffled), the same batch size, optimizer and
     * number of epochs. Its test accuracy shows it learns too. */
    size_t ne = naive_epochs == (size_t)-1 ? r.epochs_run : naive_epochs;
    double naive_epoch = 0.0, naive_acc = 0.0;
    if (ne > 0) {
        size_t n_fit = n_train - (size_t)(0.1 * (double)n_train);
        naive_epoch = naive_train(theta0, np, Xtr, Ttr, n_fit, ne);
        if (naive_forward(2, sizes, acts, theta0, n_test, Xte, Y) != 0)
            return 1;
        naive_acc = accuracy(Y, Tte, n_test);
    }

    printf("\nstopped after %zu epochs (%s); kept epoch %zu, validation cost %.4f\n",
           r.epochs_run, r.stop == MLP_FIT_EARLY_STOPPED ? "early stop" : "all epochs",
           r.best_epoch, r.best_val_cost);
    printf("test accuracy: %.2f%% (%zu test digits never seen in training)\n",
           acc, n_test);
    if (ne > 0) {
        printf("time per epoch: libmlp %.2f ms, naive reference %.2f ms "
               "(plain loops, %zu epochs, test accuracy %.2f%%): %.1fx faster\n",
               1e3 * lib_epoch, 1e3 * naive_epoch, ne, naive_acc,
               naive_epoch / lib_epoch);
    } else {
        printf("time per epoch: libmlp %.2f ms (naive reference skipped)\n",
               1e3 * lib_epoch);
    }
    if (plot_learning_curve(png, "digits: cross-entropy per epoch (libmlp)",
                            c.train, c.val, c.epochs, err, sizeof err) == 0)
        printf("learning curve (training and validation cost per epoch): %s\n", png);
    else
        printf("learning curve not drawn: %s\n", err);

    mlp_free(net);
    free(theta0); free(c.train); free(c.val); free(c.elapsed);
    free(Xtr); free(Ttr); free(Xte); free(Tte); free(Y);
    return 0;
}
