/* fit_loop.h - the training loop shared by mlp_fit and mlp_mpi_fit.
 * Never installed.
 *
 * The loop sees the data set as n global rows of which this process holds
 * the rows first .. first + n_local - 1; mlp_fit is the case first = 0,
 * n_local = n. Everything that differs between one process and several
 * goes through mlp__fit_ops: how a batch is trained, how a chunk of
 * validation rows is costed, how a status and a sum are agreed between
 * processes, and how the callback's decision is taken.
 *
 * fit_loop.c uses only mlp.h, precision.h, alloc.h and random.h, so that libmlp_mpi can
 * build it into itself (a static helper, its symbols hidden, renamed
 * mlp__mpi_* by lib/meson.build) without reaching into struct mlp. */
#ifndef MLP_FIT_LOOP_H
#define MLP_FIT_LOOP_H

#include "mlp.h"
#include "precision.h"

#include <stddef.h>
#include <stdint.h>

struct mlp__fit_data {
    size_t n;            /* rows in the whole data set, on every process */
    size_t first;        /* this process's first row */
    size_t n_local;      /* rows this process holds */
    const real *X;       /* n_local x n_0 */
    const real *T;       /* n_local x n_L */
};

struct mlp__fit_ops {
    /* Trains one batch of which this process holds `rows` rows (maybe 0);
     * *cost receives the whole batch's cost. The status is the same on
     * every process. */
    mlp_status (*step)(void *ctx, mlp_t *net, size_t rows, const real *X,
                       const real *T, double *cost);
    /* The mean cost over `rows` (>= 1) validation rows, in scaled units. */
    mlp_status (*chunk_cost)(void *ctx, mlp_t *net, size_t rows,
                             const real *X, const real *T, double *cost);
    /* Agrees on a status (the lowest failing one of any process) and adds
     * *sum over the processes; returns the agreed status. */
    mlp_status (*reduce)(void *ctx, mlp_status status, double *sum);
    /* Reports progress; *stop receives the decision, the same on every
     * process. NULL when there is no callback. */
    mlp_status (*callback)(void *ctx, const mlp_fit_progress *progress,
                           int *stop);
    void *ctx;
};

/* The one shuffle of both fit loops (mlp.h describes it under mlp_fit):
 * Fisher-Yates over idx[0..n), driven by a SplitMix64 state. */
void mlp__fit_shuffle(uint64_t *state, size_t *idx, size_t n);

/* Checks the options against n; *n_val receives the validation rows.
 * MLP_ERR_ARG for options mlp_fit refuses. */
mlp_status mlp__fit_check(const mlp_fit_options *o, size_t n,
                          size_t *n_val);

/* The loop. The options must have passed mlp__fit_check. *result is
 * always written. */
mlp_status mlp__fit_run(mlp_t *net, const struct mlp__fit_data *data,
                        const mlp_fit_options *o,
                        const struct mlp__fit_ops *ops,
                        mlp_fit_result *result);

#endif
