/* fit.c - the training loop: epochs of shuffled mini-batches, a held-out
 * validation part, early stopping and a progress callback.
 *
 * Everything the loop needs is allocated before the first batch, so the
 * loop itself never allocates (the network's workspace is reserved for
 * the batch size up front too). */
#define _POSIX_C_SOURCE 199309L /* clock_gettime */

#include "mlp_internal.h"
#include "alloc.h"
#include "losses.h"
#include "random.h"

#include <math.h>
#include <string.h>
#include <time.h>

void mlp_fit_defaults(mlp_fit_options *options)
{
    if (!options)
        return;
    memset(options, 0, sizeof *options);
    options->epochs = 10;
    options->batch_size = 32;
    options->restore_best = 1;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Fisher-Yates over idx[0..n). The multiply-shift maps 53 random bits to
 * 0..i without modulo bias worth speaking of at any n a network trains on. */
static void shuffle(mlp_rng *rng, size_t *idx, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(mlp__rng_uniform(rng) * (double)i);
        size_t tmp = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = tmp;
    }
}

/* Copies the rows idx[0..count) of src (rows of `width`) into dst. */
static void gather(double *dst, const double *src, size_t width,
                   const size_t *idx, size_t count)
{
    for (size_t r = 0; r < count; r++)
        memcpy(dst + r * width, src + idx[r] * width, width * sizeof *dst);
}

struct fit_buffers {
    size_t *idx;        /* validation indices first, then training */
    double *xb, *tb;    /* one batch */
    double *vx, *vt;    /* the validation rows */
    double *pred;       /* one batch of predictions */
    double *best;       /* parameters of the best epoch */
};

static void free_buffers(struct fit_buffers *b)
{
    mlp__free(b->idx);
    mlp__free(b->xb);
    mlp__free(b->tb);
    mlp__free(b->vx);
    mlp__free(b->vt);
    mlp__free(b->pred);
    mlp__free(b->best);
}

/* The validation cost, in chunks of `chunk` rows: the mean over samples of
 * the per-sample cost, which is how mlp_backprop defines a batch cost. */
static mlp_status validation_cost(struct mlp *net, size_t n_val, size_t chunk,
                                  const struct fit_buffers *b, double *cost)
{
    size_t n_in = net->sizes[0], n_out = net->sizes[net->n_layers];
    double sum = 0.0;
    for (size_t start = 0; start < n_val; start += chunk) {
        size_t rows = n_val - start < chunk ? n_val - start : chunk;
        mlp_status status = mlp_predict(net, rows, b->vx + start * n_in,
                                        b->pred);
        if (status != MLP_OK)
            return status;
        sum += (double)rows *
               mlp__loss_cost(net->loss, net->acts[net->n_layers - 1], rows,
                              n_out, b->pred, b->vt + start * n_out);
    }
    *cost = sum / (double)n_val;
    return isfinite(*cost) ? MLP_OK : MLP_ERR_NONFINITE;
}

static mlp_status check_options(const mlp_fit_options *o, size_t n,
                                size_t *n_val)
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

mlp_status mlp_fit(mlp_t *net, size_t n, const double *X, const double *T,
                   const mlp_fit_options *options, mlp_fit_result *result)
{
    mlp_fit_result res = { 0, 0, NAN, NAN, NAN, MLP_FIT_FAILED };
    if (result)
        *result = res;
    mlp_fit_options defaults;
    mlp_fit_defaults(&defaults);
    const mlp_fit_options *o = options ? options : &defaults;
    size_t n_val = 0;
    if (!net || !X || !T || n == 0 || check_options(o, n, &n_val) != MLP_OK)
        return MLP_ERR_ARG;

    size_t n_in = net->sizes[0], n_out = net->sizes[net->n_layers];
    size_t n_train = n - n_val;
    size_t bs = o->batch_size < n_train ? o->batch_size : n_train;
    size_t batches = (n_train + bs - 1) / bs;
    size_t sz_x, sz_t, sz_vx, sz_vt;
    if (!mlp__mul_ok(bs, n_in, &sz_x) || !mlp__mul_ok(bs, n_out, &sz_t) ||
        !mlp__mul_ok(n_val, n_in, &sz_vx) || !mlp__mul_ok(n_val, n_out, &sz_vt))
        return MLP_ERR_ARG;

    struct fit_buffers b = { 0 };
    bool keep_best = n_val > 0 && o->restore_best;
    b.idx = mlp__malloc(n * sizeof *b.idx);
    b.xb = mlp__malloc(sz_x * sizeof(double));
    b.tb = mlp__malloc(sz_t * sizeof(double));
    b.pred = mlp__malloc(sz_t * sizeof(double));
    if (n_val) {
        b.vx = mlp__malloc(sz_vx * sizeof(double));
        b.vt = mlp__malloc(sz_vt * sizeof(double));
    }
    if (keep_best)
        b.best = mlp__malloc(net->n_params * sizeof(double));
    mlp_status status = MLP_OK;
    if (!b.idx || !b.xb || !b.tb || !b.pred || (n_val && (!b.vx || !b.vt)) ||
        (keep_best && !b.best))
        status = MLP_ERR_NOMEM;
    if (status == MLP_OK)
        status = mlp__reserve(net, bs);
    if (status != MLP_OK) {
        free_buffers(&b);
        return status;
    }

    /* The split: a random n_val samples, fixed for the whole fit. */
    mlp_rng rng = { o->seed };
    for (size_t i = 0; i < n; i++)
        b.idx[i] = i;
    if (n_val) {
        shuffle(&rng, b.idx, n);
        gather(b.vx, X, n_in, b.idx, n_val);
        gather(b.vt, T, n_out, b.idx, n_val);
    }
    size_t *train = b.idx + n_val;

    double start = now_seconds();
    size_t since_best = 0;
    mlp_fit_progress p = { .epochs = o->epochs, .batches = batches };
    res.stop = MLP_FIT_COMPLETED;
    for (size_t epoch = 1; epoch <= o->epochs; epoch++) {
        shuffle(&rng, train, n_train);
        double sum = 0.0;
        p.epoch = epoch;
        p.val_cost = NAN;
        p.epoch_done = 0;
        for (size_t k = 0; k < batches; k++) {
            size_t first = k * bs;
            size_t rows = n_train - first < bs ? n_train - first : bs;
            gather(b.xb, X, n_in, train + first, rows);
            gather(b.tb, T, n_out, train + first, rows);
            double cost;
            status = mlp_train_batch(net, rows, b.xb, b.tb, &cost);
            if (status != MLP_OK)
                goto failed;
            sum += (double)rows * cost;
            p.batch = k + 1;
            p.train_cost = sum / (double)(first + rows);
            if (o->callback && o->report_every && p.batch < batches &&
                p.batch % o->report_every == 0) {
                p.elapsed = now_seconds() - start;
                if (o->callback(&p, o->user)) {
                    res.stop = MLP_FIT_STOPPED_BY_CALLBACK;
                    goto done;
                }
            }
        }
        res.epochs_run = epoch;
        res.train_cost = p.train_cost;
        if (n_val) {
            status = validation_cost(net, n_val, bs, &b, &p.val_cost);
            if (status != MLP_OK)
                goto failed;
            res.val_cost = p.val_cost;
            if (res.best_epoch == 0 ||
                p.val_cost < res.best_val_cost - o->min_delta) {
                res.best_val_cost = p.val_cost;
                res.best_epoch = epoch;
                since_best = 0;
                if (keep_best)
                    memcpy(b.best, net->params,
                           net->n_params * sizeof(double));
            } else {
                since_best++;
            }
        }
        p.epoch_done = 1;
        p.elapsed = now_seconds() - start;
        if (o->callback && o->callback(&p, o->user)) {
            res.stop = MLP_FIT_STOPPED_BY_CALLBACK;
            break;
        }
        if (n_val && o->patience && since_best >= o->patience) {
            res.stop = MLP_FIT_EARLY_STOPPED;
            break;
        }
    }
done:
    if (keep_best && res.best_epoch)
        memcpy(net->params, b.best, net->n_params * sizeof(double));
    free_buffers(&b);
    if (result)
        *result = res;
    return MLP_OK;

failed:
    /* mlp_train_batch and mlp_predict leave the parameters as they were,
     * so the network holds the last good step. */
    res.stop = MLP_FIT_FAILED;
    free_buffers(&b);
    if (result)
        *result = res;
    return status;
}
