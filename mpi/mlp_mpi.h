/*
 * mlp_mpi.h - libmlp_mpi, data-parallel training of one libmlp network
 * across the processes of an MPI communicator.
 *
 * This header is the whole public API of libmlp_mpi (pkg-config: mlp-mpi).
 * The core library, libmlp, has no MPI dependency; this companion library
 * adds it, and only uses libmlp's public API.
 *
 * The model
 * ---------
 * Every rank of the communicator holds its own mlp_t of the same shape and
 * the same parameters (mlp_mpi_bcast_params makes them so), and its own
 * shard of the data. A training step runs mlp_backprop on each rank's shard,
 * adds the gradients with one MPI_Allreduce over the flat mlp_grads buffer,
 * and applies the same mlp_step on every rank, so the parameters stay
 * identical everywhere. Each rank's gradient is weighted by its shard's
 * share of the whole batch, so shards of different sizes still give the
 * gradient (and cost) of the whole batch, up to the order of summation.
 *
 * Rules every function here keeps
 * -------------------------------
 * - Every function is collective: every rank of `comm` must call it, in the
 *   same order, with the same `root`/`batch_size`/`epochs`/`seed` where the
 *   description says so. Arguments that may differ per rank say so.
 * - Every rank returns the same status. An error seen by one rank (a bad
 *   argument, a failed allocation, a NaN in its shard) is shared with the
 *   others before anything is changed, so no rank is left waiting in a
 *   collective call and no rank's parameters move when another's fail.
 *   When several ranks fail differently, all return the lowest status code
 *   among them.
 * - MPI errors go to the communicator's error handler. With the default,
 *   MPI_ERRORS_ARE_FATAL, MPI ends the job. With MPI_ERRORS_RETURN, a
 *   failing MPI call makes the function return MLP_ERR_IO on the ranks that
 *   saw it; the network state is then unspecified and the job should end.
 * - The library never prints, never aborts and keeps no global state. It
 *   needs MPI_Init (any thread level: it calls MPI from the calling thread
 *   only) and calls no MPI function after returning.
 * - The parameters stay bitwise identical across ranks because every rank
 *   applies the same update to the same reduced gradient: this relies on
 *   MPI_Allreduce giving every rank the same bits, as Open MPI does for
 *   MPI_SUM on MPI_DOUBLE (the tests check it). With an MPI that did not,
 *   ranks could drift apart by rounding; mlp_mpi_bcast_params now and then
 *   would bring them back together.
 */
#ifndef MLP_MPI_H
#define MLP_MPI_H

#include <stddef.h>
#include <stdint.h>

#include <mpi.h>

#include "mlp.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(MLP_MPI_BUILDING) && defined(__GNUC__)
#define MLP_MPI_API __attribute__((visibility("default")))
#else
#define MLP_MPI_API
#endif

/* Copies the parameters of `root`'s network to the network of every other
 * rank, so that all ranks start identical. Call it once after mlp_create
 * (or mlp_load on the root) and before training. The optimizer and its
 * state are not copied: set the same optimizer on every rank.
 *
 * It first checks that every rank's network has the layer sizes, the
 * activations and the loss of root's. Returns on every rank
 *   MLP_OK;
 *   MLP_ERR_ARG  net is NULL on some rank, root is not a rank of comm, or
 *                some rank's network differs in shape, activations or loss
 *                (nothing is copied then);
 *   MLP_ERR_IO   an MPI call failed (see above).
 * It allocates nothing. */
MLP_MPI_API mlp_status mlp_mpi_bcast_params(mlp_t *net, int root,
                                            MPI_Comm comm);

/* One data-parallel training step: the same update that mlp_backprop
 * followed by mlp_step would make on one process holding every rank's
 * shard, one after the other in rank order, as one batch.
 *
 * Each rank passes its own shard: `batch` rows of X (batch x n_0) and T
 * (batch x n_L), row-major; batch, X and T may differ from rank to rank,
 * and batch may be 0 on some ranks (X and T may then be NULL), but not on
 * all. Every rank's network must have the same shape, parameters and
 * optimizer settings (see mlp_mpi_bcast_params); this is not checked on
 * each step, and networks of different sizes make the MPI_Allreduce fail.
 *
 * On success every rank's gradients (mlp_grads) hold the gradient of the
 * whole batch's cost, its parameters have been updated by mlp_step, and
 * *cost (unless cost is NULL) is the whole batch's cost before the update.
 *
 * Cost: two MPI_Allreduce calls, one of a few doubles (sizes, costs and
 * statuses) and one of mlp_n_params doubles, in place. It allocates
 * nothing itself; mlp_backprop grows the workspace when a shard is larger
 * than any before on that rank, as it always does.
 *
 * Returns on every rank
 *   MLP_OK;
 *   MLP_ERR_ARG        net NULL, a rank with batch > 0 and X or T NULL, the
 *                      batch of every rank is 0, or a status mlp_backprop
 *                      gave for that reason on some rank;
 *   MLP_ERR_NONFINITE  a NaN or Inf in some rank's X or T, cost or
 *                      gradients, or in the reduced gradient or the updated
 *                      parameters;
 *   MLP_ERR_NOMEM      some rank's workspace could not grow;
 *   MLP_ERR_IO         an MPI call failed.
 * On every failure but MLP_ERR_IO the parameters and optimizer state of
 * every rank are as they were; the gradients are unspecified. */
MLP_MPI_API mlp_status mlp_mpi_train_batch(mlp_t *net, size_t batch,
                                           const double *X, const double *T,
                                           double *cost, MPI_Comm comm);

/* Data-parallel training for `epochs` passes over a data set that is split
 * across the ranks: each rank passes only the n_local rows (X: n_local x n_0,
 * T: n_local x n_L) it has read, and n_local may differ between ranks (and
 * be 0, with X and T NULL). The whole data set is the ranks' rows in rank
 * order, N = sum of n_local rows; no row is ever sent between ranks.
 *
 * Every epoch visits the N rows in an order that every rank computes alike
 * from `seed`: the order starts as 0 .. N-1 and, at the start of each
 * epoch, is shuffled in place by Fisher-Yates (for i = N-1 down to 1, swap
 * i with j = r mod (i+1)), where r is the next output of one SplitMix64
 * stream whose state starts at `seed`, outputs r < 2^64 mod (i+1) being
 * skipped so that j is unbiased. Consecutive runs of batch_size rows of
 * this order (the last one shorter when batch_size does not divide N) are
 * the batches; for each, every rank gathers the rows of it that it holds
 * and calls mlp_mpi_train_batch. The result is the one of a single process
 * running mlp_backprop and mlp_step over the same batches, to rounding.
 *
 * epoch_costs, unless NULL, receives `epochs` values: for each epoch, the
 * mean cost over its N rows, as measured by each batch before its update.
 * batch_size, epochs and seed must be the same on every rank; they are
 * compared with rank 0's before anything else, and a rank that differs
 * makes every rank return MLP_ERR_ARG.
 *
 * Memory: N indices (size_t) for the order, and up to batch_size rows of X
 * and T for the gathered shard, on every rank, allocated once per call.
 *
 * Returns on every rank
 *   MLP_OK;
 *   MLP_ERR_ARG        net NULL, batch_size or epochs 0, X or T NULL on a
 *                      rank with n_local > 0, batch_size, epochs or seed
 *                      not the same on every rank, N == 0, or N too large;
 *   MLP_ERR_NOMEM      some rank's buffers could not be allocated;
 *   MLP_ERR_NONFINITE  as mlp_mpi_train_batch: training stops at the
 *                      failing batch, whose update is not applied (earlier
 *                      batches' updates stay; parameters stay identical
 *                      across ranks);
 *   MLP_ERR_IO         an MPI call failed. */
MLP_MPI_API mlp_status mlp_mpi_fit(mlp_t *net, size_t n_local,
                                   const double *X, const double *T,
                                   size_t batch_size, size_t epochs,
                                   uint64_t seed, double *epoch_costs,
                                   MPI_Comm comm);

#ifdef __cplusplus
}
#endif

#endif /* MLP_MPI_H */
