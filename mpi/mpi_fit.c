/* mpi_fit.c - mlp_mpi_fit: libmlp's own training loop (lib/fit_loop.c,
 * built into this library) with a data-parallel step, validation sums
 * added over the ranks, and the callback's decision taken on rank 0.
 * Compiled twice, for the double family and (MLP_SINGLE) the float one,
 * each with the loop of its own precision. */
#include "mpi_internal.h"
#include "fit_loop.h"

#include <math.h>
#include <string.h>

struct mpi_fit {
    MPI_Comm comm;
    int rank, n_ranks;
    const mlp_fit_options *o;
};

/* On one rank the step is mlp_train_batch itself, so that mlp_mpi_fit
 * gives mlp_fit's bits there (mlp_train_batch may fold the update into its
 * GEMMs, which rounds differently from mlp_backprop + mlp_step). */
static mlp_status mpi_step(void *ctx, mlp_t *net, size_t rows,
                           const real *X, const real *T, double *cost)
{
    const struct mpi_fit *mf = ctx;
    real c = 0;
    mlp_status status =
        mf->n_ranks == 1 ? mlp_train_batch(net, rows, X, T, &c)
                         : mlp_mpi_train_batch(net, rows, X, T, &c, mf->comm);
    *cost = c;
    return status;
}

/* The cost in scaled units through the public API: mlp_backprop computes
 * the same forward pass and loss as mlp_fit's validation (and gradients,
 * which mlp_fit leaves unspecified anyway). */
static mlp_status mpi_chunk_cost(void *ctx, mlp_t *net, size_t rows,
                                 const real *X, const real *T,
                                 double *cost)
{
    (void)ctx;
    real c = 0;
    mlp_status status = mlp_backprop(net, rows, X, T, &c);
    *cost = c;
    return status;
}

static mlp_status mpi_reduce(void *ctx, mlp_status status, double *sum)
{
    const struct mpi_fit *mf = ctx;
    if (mf->n_ranks == 1)
        return status;
    struct mlp__tally t;
    if (mlp__mpi_share(mf->comm, status, 0.0, *sum, 0, &t) != MPI_SUCCESS)
        return MLP_ERR_IO;
    *sum = t.value;
    return t.status;
}

/* Rank 0 calls its callback and every rank follows its answer. */
static mlp_status mpi_callback(void *ctx, const mlp_fit_progress *p,
                               int *stop)
{
    const struct mpi_fit *mf = ctx;
    int answer = 0;
    if (mf->rank == 0)
        answer = mf->o->callback(p, mf->o->user) != 0;
    if (mf->n_ranks > 1 &&
        MPI_Bcast(&answer, 1, MPI_INT, 0, mf->comm) != MPI_SUCCESS)
        return MLP_ERR_IO;
    *stop = answer;
    return MLP_OK;
}

static uint64_t bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

/* Everything that must be the same on every rank: the options that steer
 * the loop (not the callback, which only rank 0's counts) and the shape. */
static uint64_t settings_hash(const mlp_fit_options *o, const mlp_t *net)
{
    uint64_t w[9] = { o->epochs, o->batch_size, o->seed,
                      bits(o->validation), o->patience, bits(o->min_delta),
                      (uint64_t)(o->restore_best != 0), o->report_every,
                      mlp__mpi_shape_hash(net) };
    return mlp__mpi_hash(MLP__HASH_START, w, 9);
}

/* The first collective: every rank's arguments, the same options and
 * shape everywhere, whether rank 0 has a callback, and the total rows. */
static mlp_status agree_on_start(const struct mpi_fit *mf, const mlp_t *net,
                                 size_t n_local, const real *X,
                                 const real *T, size_t *n_total,
                                 int *callback)
{
    mlp_status status = MLP_OK;
    if (!net || (n_local > 0 && (!X || !T)))
        status = MLP_ERR_ARG;
    struct mlp__tally t;
    if (mlp__mpi_share(mf->comm, status, (double)n_local,
                       mf->rank == 0 && mf->o->callback ? 1.0 : 0.0,
                       settings_hash(mf->o, net), &t) != MPI_SUCCESS)
        return MLP_ERR_IO;
    if (t.status != MLP_OK)
        return t.status;
    /* Row counts travel as doubles, exact below 2^53. */
    if (t.mismatch || t.rows == 0.0 || !(t.rows < 0x1p53) ||
        t.rows > (double)SIZE_MAX)
        return MLP_ERR_ARG;
    *n_total = (size_t)t.rows;
    *callback = t.value > 0.0;
    return MLP_OK;
}

mlp_status mlp_mpi_fit(mlp_t *net, size_t n_local, const real *X,
                       const real *T, const mlp_fit_options *options,
                       mlp_fit_result *result, MPI_Comm comm)
{
    mlp_fit_result failed = { 0, 0, NAN, NAN, NAN, MLP_FIT_FAILED };
    if (result)
        *result = failed;
    mlp_fit_options defaults;
    mlp_fit_defaults(&defaults);
    struct mpi_fit mf = { comm, 0, 0, options ? options : &defaults };
    if (MPI_Comm_rank(comm, &mf.rank) != MPI_SUCCESS ||
        MPI_Comm_size(comm, &mf.n_ranks) != MPI_SUCCESS)
        return MLP_ERR_IO;
    size_t n_total = 0;
    int callback = 0;
    mlp_status status = agree_on_start(&mf, net, n_local, X, T, &n_total,
                                       &callback);
    if (status != MLP_OK)
        return status;

    /* This rank holds the global rows first .. first + n_local - 1;
     * MPI_Exscan leaves rank 0's result undefined. */
    uint64_t local = n_local, before = 0;
    if (MPI_Exscan(&local, &before, 1, MPI_UINT64_T, MPI_SUM, comm) !=
        MPI_SUCCESS)
        return MLP_ERR_IO;
    struct mlp__fit_data data = { n_total, mf.rank == 0 ? 0 : (size_t)before,
                                  n_local, X, T };
    struct mlp__fit_ops ops = { mpi_step, mpi_chunk_cost, mpi_reduce,
                                callback ? mpi_callback : NULL, &mf };
    return mlp__fit_run(net, &data, mf.o, &ops, result);
}
