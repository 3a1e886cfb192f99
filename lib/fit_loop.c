/* fit_loop.c - epochs of shuffled mini-batches, a held-out validation
 * part, early stopping and a progress callback, for one process or many
 * (fit_loop.h says how the two differ).
 *
 * Everything the loop needs is allocated before the first batch, so the
 * loop itself never allocates. */
#define _POSIX_C_SOURCE 199309L /* clock_gettime */

#include "fit_loop.h"
#include "alloc.h"
#include "random.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Uniform in [0, bound): outputs below 2^64 mod bound are skipped, so that
 * every remainder is equally likely. */
static uint64_t draw_below(mlp_rng *rng, uint64_t bound)
{
    uint64_t skip = (0 - bound) % bound;
    uint64_t r;
    do
        r = mlp__rng_next(rng);
    while (r < skip);
    return r % bound;
}

void mlp__fit_shuffle(uint64_t *state, size_t *idx, size_t n)
{
    mlp_rng rng = { *state };
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)draw_below(&rng, (uint64_t)i);
        size_t tmp = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = tmp;
    }
    *state = rng.state;
}

mlp_status mlp__fit_check(const mlp_fit_options *o, size_t n, size_t *n_val)
{
    if (o->epochs == 0 || o->batch_size == 0 ||
        !(o->validation >= 0.0 && o->validation < 1.0) ||
        !(o->min_delta >= 0.0))
        return MLP_ERR_ARG;
    *n_val = (size_t)(o->validation * (double)n);
    if (o->validation > 0.0 && (*n_val == 0 || *n_val >= n))
        return MLP_ERR_ARG;
    return MLP_OK;
}

struct fit {
    mlp_t *net;
    const struct mlp__fit_data *d;
    const mlp_fit_options *o;
    const struct mlp__fit_ops *ops;
    size_t n_in, n_out, n_val, n_train, bs, batches;
    size_t *idx;        /* validation rows first, then training rows */
    real *xb, *tb;      /* this process's rows of one batch */
    real *best;         /* parameters of the best epoch, or NULL */
    uint64_t rng;
    double start;
    size_t since_best;
    mlp_fit_progress p;
    mlp_fit_result res;
};

/* The byte counts of the buffers; false when one overflows size_t, or
 * when this process's rows of X or T could not even be addressed. Every
 * product is checked, so that an n no array can have is refused rather
 * than wrapped around. */
static bool buffer_sizes(const struct fit *f, size_t sz[4])
{
    size_t cap = f->bs < f->d->n_local ? f->bs : f->d->n_local;
    size_t rows_x, rows_t;
    return mlp__mul_ok(f->d->n, sizeof *f->idx, &sz[0]) &&
           mlp__mul_ok(cap, f->n_in * sizeof(real), &sz[1]) &&
           mlp__mul_ok(cap, f->n_out * sizeof(real), &sz[2]) &&
           mlp__mul_ok(mlp_n_params(f->net), sizeof(real), &sz[3]) &&
           mlp__mul_ok(f->d->n_local, f->n_in * sizeof(real), &rows_x) &&
           mlp__mul_ok(f->d->n_local, f->n_out * sizeof(real), &rows_t);
}

static mlp_status allocate(struct fit *f)
{
    size_t sz[4];
    if (!buffer_sizes(f, sz))
        return MLP_ERR_ARG;
    bool keep_best = f->n_val && f->o->restore_best;
    f->idx = mlp__malloc(sz[0]);
    f->xb = mlp__malloc(sz[1]);
    f->tb = mlp__malloc(sz[2]);
    if (keep_best)
        f->best = mlp__malloc(sz[3]);
    if (!f->idx || !f->xb || !f->tb || (keep_best && !f->best))
        return MLP_ERR_NOMEM;
    return MLP_OK;
}

static void release(struct fit *f)
{
    mlp__free(f->idx);
    mlp__free(f->xb);
    mlp__free(f->tb);
    mlp__free(f->best);
}

/* Copies this process's rows among rows[0..count) into the batch buffers,
 * in that order; returns how many there were. */
static size_t gather(struct fit *f, const size_t *rows, size_t count)
{
    const struct mlp__fit_data *d = f->d;
    size_t k = 0;
    for (size_t r = 0; r < count; r++) {
        size_t row = rows[r] - d->first; /* wraps past n_local if below */
        if (row >= d->n_local)
            continue;
        memcpy(f->xb + k * f->n_in, d->X + row * f->n_in,
               f->n_in * sizeof(real));
        memcpy(f->tb + k * f->n_out, d->T + row * f->n_out,
               f->n_out * sizeof(real));
        k++;
    }
    return k;
}

static mlp_status report(struct fit *f, int *stop)
{
    f->p.elapsed = now_seconds() - f->start;
    mlp_status status = f->ops->callback(f->ops->ctx, &f->p, stop);
    if (status == MLP_OK && *stop)
        f->res.stop = MLP_FIT_STOPPED_BY_CALLBACK;
    return status;
}

static mlp_status run_epoch(struct fit *f, size_t epoch, int *stop)
{
    size_t *train = f->idx + f->n_val;
    mlp__fit_shuffle(&f->rng, train, f->n_train);
    double sum = 0.0;
    f->p.epoch = epoch;
    f->p.val_cost = NAN;
    f->p.epoch_done = 0;
    size_t every = f->ops->callback ? f->o->report_every : 0;
    for (size_t k = 0; k < f->batches; k++) {
        size_t first = k * f->bs;
        size_t rows = f->n_train - first < f->bs ? f->n_train - first : f->bs;
        size_t mine = gather(f, train + first, rows);
        double cost;
        mlp_status status = f->ops->step(f->ops->ctx, f->net, mine, f->xb,
                                         f->tb, &cost);
        if (status != MLP_OK)
            return status;
        sum += (double)rows * cost;
        f->p.batch = k + 1;
        f->p.train_cost = sum / (double)(first + rows);
        if (every && f->p.batch < f->batches && f->p.batch % every == 0) {
            status = report(f, stop);
            if (status != MLP_OK || *stop)
                return status;
        }
    }
    return MLP_OK;
}

/* The validation cost: the validation rows in chunks of bs, each chunk's
 * mean cost weighted by its rows, over all rows (a per-sample mean, as
 * mlp_backprop defines a batch cost). */
static mlp_status validate(struct fit *f, double *cost)
{
    mlp_status status = MLP_OK;
    double sum = 0.0;
    for (size_t start = 0; start < f->n_val && status == MLP_OK;
         start += f->bs) {
        size_t rows = f->n_val - start < f->bs ? f->n_val - start : f->bs;
        size_t mine = gather(f, f->idx + start, rows);
        double c = 0.0;
        if (mine > 0)
            status = f->ops->chunk_cost(f->ops->ctx, f->net, mine, f->xb,
                                        f->tb, &c);
        sum += (double)mine * c;
    }
    status = f->ops->reduce(f->ops->ctx, status, &sum);
    if (status != MLP_OK)
        return status;
    *cost = sum / (double)f->n_val;
    return isfinite(*cost) ? MLP_OK : MLP_ERR_NONFINITE;
}

static void track_best(struct fit *f, size_t epoch)
{
    mlp_fit_result *res = &f->res;
    if (res->best_epoch == 0 ||
        f->p.val_cost < res->best_val_cost - f->o->min_delta) {
        res->best_val_cost = f->p.val_cost;
        res->best_epoch = epoch;
        f->since_best = 0;
        if (f->best)
            memcpy(f->best, mlp_params(f->net),
                   mlp_n_params(f->net) * sizeof(real));
    } else {
        f->since_best++;
    }
}

static mlp_status end_epoch(struct fit *f, size_t epoch, int *stop)
{
    f->res.epochs_run = epoch;
    f->res.train_cost = f->p.train_cost;
    if (f->n_val) {
        mlp_status status = validate(f, &f->p.val_cost);
        if (status != MLP_OK)
            return status;
        f->res.val_cost = f->p.val_cost;
        track_best(f, epoch);
    }
    f->p.epoch_done = 1;
    if (f->ops->callback) {
        mlp_status status = report(f, stop);
        if (status != MLP_OK || *stop)
            return status;
    }
    if (f->n_val && f->o->patience && f->since_best >= f->o->patience) {
        f->res.stop = MLP_FIT_EARLY_STOPPED;
        *stop = 1;
    }
    return MLP_OK;
}

static mlp_status train(struct fit *f)
{
    /* The split: a random n_val rows, fixed for the whole fit. */
    for (size_t i = 0; i < f->d->n; i++)
        f->idx[i] = i;
    if (f->n_val)
        mlp__fit_shuffle(&f->rng, f->idx, f->d->n);
    f->start = now_seconds();
    f->p.epochs = f->o->epochs;
    f->p.batches = f->batches;
    f->res.stop = MLP_FIT_COMPLETED;
    for (size_t epoch = 1; epoch <= f->o->epochs; epoch++) {
        int stop = 0;
        mlp_status status = run_epoch(f, epoch, &stop);
        if (status == MLP_OK && !stop)
            status = end_epoch(f, epoch, &stop);
        if (status != MLP_OK || stop)
            return status;
    }
    return MLP_OK;
}

mlp_status mlp__fit_run(mlp_t *net, const struct mlp__fit_data *data,
                        const mlp_fit_options *o,
                        const struct mlp__fit_ops *ops,
                        mlp_fit_result *result)
{
    struct fit f = { .net = net, .d = data, .o = o, .ops = ops,
                     .rng = o->seed };
    f.res = (mlp_fit_result){ 0, 0, NAN, NAN, NAN, MLP_FIT_FAILED };
    f.n_in = mlp_layer_size(net, 0);
    f.n_out = mlp_layer_size(net, mlp_n_layers(net));
    mlp_status status = mlp__fit_check(o, data->n, &f.n_val);
    if (status == MLP_OK) {
        f.n_train = data->n - f.n_val;
        f.bs = o->batch_size < f.n_train ? o->batch_size : f.n_train;
        f.batches = (f.n_train + f.bs - 1) / f.bs;
        status = allocate(&f);
    }
    double unused = 0.0;
    status = ops->reduce(ops->ctx, status, &unused);
    if (status == MLP_OK)
        status = train(&f);
    if (status == MLP_OK && f.best && f.res.best_epoch)
        memcpy(mlp_params(net), f.best, mlp_n_params(net) * sizeof(real));
    /* On failure the steps and predictions that failed changed nothing,
     * so the network holds the last good step. */
    if (status != MLP_OK)
        f.res.stop = MLP_FIT_FAILED;
    release(&f);
    if (result)
        *result = f.res;
    return status;
}
