/* cli_report.c - what `mlp` prints about a network: predictions, the cost,
 * accuracy and confusion matrix, rmse and r2, and training progress. */
#define _POSIX_C_SOURCE 200809L

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

/* Predictions for every row (in the data's units: the model's scaling is
 * applied by mlp_predict), in chunks so the workspace stays modest. */
double *predict_all(mlp_t *net, const struct dataset *d)
{
    enum { CHUNK = 256 };
    if (cli_float)
        return cli_predict_float(net, d);
    size_t n_out = mlp_layer_size(net, mlp_n_layers(net));
    double *Y = xcalloc(d->n * n_out, sizeof *Y);
    for (size_t s = 0; s < d->n; s += CHUNK) {
        size_t rows = d->n - s < CHUNK ? d->n - s : CHUNK;
        mlp_status st = mlp_predict(net, rows, d->X + s * d->n_in, Y + s * n_out);
        if (st != MLP_OK)
            die(EXIT_DATA, "prediction failed: %s", mlp_strerror(st));
    }
    return Y;
}

size_t argmax(const double *y, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (y[i] > y[best])
            best = i;
    return best;
}

/* The class a row's outputs predict: argmax, or y >= 0.5 for one output. */
static size_t predicted_class(const double *y, size_t n_out)
{
    return n_out == 1 ? y[0] >= 0.5 : argmax(y, n_out);
}

/* The classes the model predicts, from its output layer: a softmax of K
 * units is K classes, one sigmoid unit is 2 (binary), anything else is
 * regression unless --classes says otherwise. */
struct task model_task(const mlp_t *net, size_t classes_given)
{
    size_t L = mlp_n_layers(net), n_out = mlp_layer_size(net, L);
    int act = mlp_layer_activation(net, L);
    struct task task = { 0, n_out };
    if (act == MLP_SOFTMAX)
        task.classes = n_out;
    else if (act == MLP_SIGMOID && n_out == 1 && mlp_loss_kind(net) == MLP_CROSS_ENTROPY)
        task.classes = 2;
    if (classes_given && !task.classes && n_out == classes_given)
        task.classes = classes_given;   /* one-hot targets without softmax */
    if (classes_given && classes_given != task.classes)
        die(EXIT_USAGE, "--classes %zu, but the model predicts %s%zu%s", classes_given,
            task.classes ? "" : "values (", task.classes ? task.classes : n_out,
            task.classes ? " classes" : " outputs)");
    return task;
}

/* The cost as mlp.h defines it, in the data's units. */
static double data_cost(mlp_t *net, const struct dataset *d, const double *Y)
{
    int ce = mlp_loss_kind(net) == MLP_CROSS_ENTROPY;
    int binary = mlp_layer_activation(net, mlp_n_layers(net)) == MLP_SIGMOID;
    double cost = 0.0;
    for (size_t i = 0; i < d->n * d->n_out; i++) {
        double y = Y[i], t = d->T[i];
        if (!ce)
            cost += (y - t) * (y - t) / (double)d->n_out;
        else if (t != 0.0)
            cost -= t * log(fmax(y, DBL_MIN));
        if (ce && binary && t != 1.0)
            cost -= (1.0 - t) * log(fmax(1.0 - y, DBL_MIN));
    }
    return cost / (double)d->n;
}

static void print_confusion(const struct dataset *d, const double *Y, size_t k,
                            const char *name)
{
    size_t right = 0;
    size_t *conf = xcalloc(k * k, sizeof *conf);
    for (size_t r = 0; r < d->n; r++) {
        size_t p = predicted_class(Y + r * d->n_out, d->n_out);
        conf[(size_t)d->label[r] * k + p]++;
        right += p == (size_t)d->label[r];
    }
    printf("%s: accuracy %.2f%% (%zu of %zu)\n", name,
           100.0 * (double)right / (double)d->n, right, d->n);
    printf("confusion matrix (rows: true class, columns: predicted)\n     ");
    for (size_t j = 0; j < k; j++)
        printf(" %5zu", j);
    putchar('\n');
    for (size_t i = 0; i < k; i++) {
        printf("%5zu", i);
        for (size_t j = 0; j < k; j++)
            printf(" %5zu", conf[i * k + j]);
        putchar('\n');
    }
    free(conf);
}

/* rmse over every target, and r2 = 1 - SSE/SST with SST taken around each
 * target column's mean in this data (summed over columns). */
static void print_regression(const struct dataset *d, const double *Y)
{
    double sse = 0.0, sst = 0.0;
    for (size_t j = 0; j < d->n_out; j++) {
        double mean = 0.0;
        for (size_t r = 0; r < d->n; r++)
            mean += d->T[r * d->n_out + j] / (double)d->n;
        for (size_t r = 0; r < d->n; r++) {
            double t = d->T[r * d->n_out + j], e = Y[r * d->n_out + j] - t;
            sse += e * e;
            sst += (t - mean) * (t - mean);
        }
    }
    printf("rmse: %.6g\n", sqrt(sse / (double)(d->n * d->n_out)));
    if (sst > 0)
        printf("r2: %.6g\n", 1.0 - sse / sst);
    else
        printf("r2: undefined (the targets are constant)\n");
}

void evaluate(mlp_t *net, const struct dataset *d, const char *name)
{
    double *Y = predict_all(net, d);
    int ce = mlp_loss_kind(net) == MLP_CROSS_ENTROPY;
    printf("%s: %zu samples, cost %.6g (%s)\n", name, d->n, data_cost(net, d, Y),
           ce ? "cross-entropy" : "mean squared error");
    if (d->label)
        print_confusion(d, Y, d->n_out == 1 ? 2 : d->n_out, name);
    else
        print_regression(d, Y);
    free(Y);
}

static void fmt_time(char *buf, size_t size, double s)
{
    if (!isfinite(s) || s < 0)
        s = 0;
    unsigned long t = (unsigned long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, size, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, size, "%lu:%02lu", t / 60, t % 60);
}

/* A terminal: one line redrawn at most ten times a second. */
static void draw_bar(const mlp_fit_progress *p, struct progress *pr)
{
    enum { WIDTH = 24 };
    char bar[WIDTH + 1], eta[32];
    if (!p->epoch_done && p->elapsed - pr->last_draw < 0.1)
        return;
    pr->last_draw = p->elapsed;
    double total = (double)p->epochs * (double)p->batches;
    double done = (double)(p->epoch - 1) * (double)p->batches + (double)p->batch;
    size_t fill = (size_t)(WIDTH * done / total);
    for (size_t i = 0; i < WIDTH; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[WIDTH] = '\0';
    fmt_time(eta, sizeof eta, p->elapsed * (total - done) / done);
    fprintf(stderr, "\r\033[Kepoch %zu/%zu [%s] %3.0f%%  cost %.5g", p->epoch,
            p->epochs, bar, 100.0 * done / total, p->train_cost);
    if (!isnan(p->val_cost))
        fprintf(stderr, "  val %.5g", p->val_cost);
    fprintf(stderr, "  ETA %s", eta);
    fflush(stderr);
}

/* Room for the costs of epoch n: --epochs may be far more than will run. */
static void grow_curve(struct progress *pr, size_t n)
{
    if (n <= pr->cap)
        return;
    size_t cap = n > 2 * pr->cap ? n + 64 : 2 * pr->cap;
    double *train = realloc(pr->train, cap * sizeof *train);
    if (train)
        pr->train = train;
    double *val = realloc(pr->val, cap * sizeof *val);
    if (val)
        pr->val = val;
    if (!train || !val)
        die(EXIT_DATA, "out of memory");
    pr->cap = cap;
}

int on_progress(const mlp_fit_progress *p, void *user)
{
    struct progress *pr = user;
    if (p->epoch_done) {
        grow_curve(pr, p->epoch);
        pr->train[p->epoch - 1] = p->train_cost;
        pr->val[p->epoch - 1] = p->val_cost;
        pr->epochs_seen = p->epoch;
    }
    if (pr->quiet)
        return 0;
    if (pr->tty) {
        draw_bar(p, pr);
    } else if (p->epoch_done) {
        fprintf(stderr, "epoch %zu/%zu: train cost %.6g", p->epoch, p->epochs,
                p->train_cost);
        if (!isnan(p->val_cost))
            fprintf(stderr, ", validation cost %.6g", p->val_cost);
        fprintf(stderr, ", %.2f s\n", p->elapsed);
    }
    return 0;
}
