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
 *   same order, with the same `root` or options where the description
 *   says so. Arguments that may differ per rank say so.
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
 * - Mistakes that are cheap to see are refused on every rank with
 *   MLP_ERR_ARG instead of a hang or a crash: networks of different shapes
 *   (every function), different roots (mlp_mpi_bcast_params), different
 *   fit options (mlp_mpi_fit). Each is one more pair of numbers in a small
 *   MPI_Allreduce the function makes anyway (communicators of 2^18 ranks
 *   or more skip the comparison, whose sums would no longer be exact).
 *
 * What cannot be detected
 * -----------------------
 * - A rank that never calls, calls another function, or has died: the
 *   others wait in the collective call. MPI's error handler decides what
 *   happens; with Open MPI's default a process that ends abnormally ends
 *   the job, while under `mpirun --enable-recovery` (or with ULFM) the
 *   survivors are not told by libmlp_mpi and may wait forever. Put a
 *   time limit around the job (`timeout`, the batch system's).
 * - Networks of the same shape with different parameters or optimizer
 *   settings on different ranks (call mlp_mpi_bcast_params, and set the
 *   same optimizer everywhere), or a different comm on some rank. Their
 *   parameters drift apart; a step whose update fails on some ranks only
 *   (it overflows there) still returns the same status on every rank, so
 *   no rank goes on alone, but the ranks where it succeeded keep it.
 * - Two shapes whose 64-bit hashes collide (chance about 2^-64).
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

/* Copies the parameters and the scaling (mlp_set_scaling) of `root`'s
 * network to the network of every other rank, so that all ranks start
 * identical. Call it once after mlp_create (or mlp_load on the root) and
 * before training. The optimizer and its state are not copied: set the
 * same optimizer on every rank.
 *
 * It first checks, in one small MPI_Allreduce, that every rank passed the
 * same root and that every rank's network has the layer sizes, the
 * activations, the loss and the parameter count of the others (compared
 * as a 64-bit hash). Returns on every rank
 *   MLP_OK;
 *   MLP_ERR_ARG    net is NULL on some rank, root is not a rank of comm or
 *                  not the same on every rank, or some rank's network
 *                  differs in shape, activations or loss (nothing is
 *                  copied then);
 *   MLP_ERR_NOMEM  some rank could not allocate the 2 (n_0 + n_L) doubles
 *                  that carry the scaling (nothing is copied);
 *   MLP_ERR_IO     an MPI call failed (see above). */
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
 * optimizer settings (see mlp_mpi_bcast_params). The shape (layer sizes,
 * activations, loss, parameter count, as a 64-bit hash) is compared in
 * the small MPI_Allreduce every step makes anyway, before the gradients
 * are reduced, and a difference is MLP_ERR_ARG on every rank; parameters
 * and optimizer settings are not compared (see "What cannot be detected").
 *
 * On success every rank's gradients (mlp_grads) hold the gradient of the
 * whole batch's cost, its parameters have been updated by mlp_step, and
 * *cost (unless cost is NULL) is the whole batch's cost before the update.
 *
 * Cost: three MPI_Allreduce calls, two of a few doubles (sizes, costs and
 * statuses before the reduction, and the statuses of mlp_step after it)
 * and one of mlp_n_params doubles, in place. It allocates
 * nothing itself; mlp_backprop grows the workspace when a shard is larger
 * than any before on that rank, as it always does.
 *
 * Returns on every rank
 *   MLP_OK;
 *   MLP_ERR_ARG        net NULL, a rank with batch > 0 and X or T NULL, the
 *                      batch of every rank is 0, networks of different
 *                      shapes, or a status mlp_backprop gave for that
 *                      reason on some rank;
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

/* Data-parallel mlp_fit: the same options, result, loop and shuffle as
 * mlp_fit (mlp.h), over a data set that is split across the ranks. Each
 * rank passes only the n_local rows (X: n_local x n_0, T: n_local x n_L)
 * it holds; n_local may differ between ranks and be 0 (X and T may then
 * be NULL). The whole data set is the ranks' rows in rank order,
 * N = sum of n_local rows, and the fit is mlp_fit's on those N rows: the
 * validation split, the order of every epoch and the batches are drawn
 * over the N global row numbers from options->seed exactly as mlp_fit
 * draws them over its n rows. No row is ever sent between ranks: for each
 * batch every rank gathers the rows of it that it holds and the ranks
 * take one mlp_mpi_train_batch step; the validation cost is each rank's
 * sum over the validation rows it holds, added over the ranks.
 *
 * On one rank it gives bitwise the parameters and result of mlp_fit on
 * the same data (each step is then mlp_train_batch itself). On N ranks
 * it gives the same to rounding (the tests find 1e-12 relative): the
 * gradient and cost sums are added in another order, and plain SGD takes
 * mlp_backprop + mlp_step where mlp_train_batch may fold the update into
 * its GEMMs. The parameters stay bitwise identical across ranks, and every
 * rank gets the same *result.
 *
 * The options (NULL = mlp_fit_defaults) must be the same on every rank,
 * except callback and user: the callback is called on rank 0 only, with
 * progress that every rank shares (elapsed is rank 0's clock), and its
 * answer is broadcast, so that every rank stops where rank 0's callback
 * says; the other ranks' callbacks are never called. The options and every
 * rank's network shape are compared (as a 64-bit hash) in the first
 * collective call, and any difference makes every rank return
 * MLP_ERR_ARG before anything is allocated or trained.
 *
 * Memory, on every rank, allocated when the call starts and freed before
 * it returns: N indices (size_t), up to batch_size of its rows of X and T,
 * and with validation and restore_best a copy of the parameters. The
 * validation cost is computed by mlp_backprop in chunks of batch_size
 * rows, so a rank's workspace grows to its largest share of a batch.
 *
 * Cost per batch: as mlp_mpi_train_batch. Per epoch with validation: one
 * more small MPI_Allreduce; with a callback, one MPI_Bcast of an int per
 * call.
 *
 * Returns on every rank (and fills *result, unless NULL, as mlp_fit does)
 *   MLP_OK             training ended (all epochs, early stop, callback);
 *   MLP_ERR_ARG        net NULL, X or T NULL on a rank with n_local > 0,
 *                      N == 0, options mlp_fit refuses for N rows, options
 *                      or network shape not the same on every rank, or N
 *                      too large (2^53 rows, or N indices overflow size_t);
 *   MLP_ERR_NOMEM      some rank's buffers or workspace could not be
 *                      allocated;
 *   MLP_ERR_NONFINITE  as mlp_fit: training stops at the failing batch or
 *                      validation, whose update is not applied (earlier
 *                      updates stay; parameters stay identical across
 *                      ranks);
 *   MLP_ERR_IO         an MPI call failed. */
MLP_MPI_API mlp_status mlp_mpi_fit(mlp_t *net, size_t n_local,
                                   const double *X, const double *T,
                                   const mlp_fit_options *options,
                                   mlp_fit_result *result, MPI_Comm comm);

/* ------------------------------------------------------------------------ */
/* Single precision: the mlpf_mpi_ family                                   */

/* Each function above has a twin for libmlp's float family (mlp.h), named
 * mlpf_mpi_ instead of mlp_mpi_, taking an mlpf_t and float data and cost,
 * and carrying parameters, gradients and scaling as MPI_FLOAT. Each means
 * exactly what its double twin's contract above says: the same collective
 * rules, the same checks refused on every rank with the same statuses,
 * the scaling broadcast with the parameters, and the one training loop of
 * mlpf_fit, so that mlpf_mpi_fit on one rank gives bitwise the parameters
 * and result of mlpf_fit, and on N ranks the same to float rounding (the
 * sums are added in another order: the tests find a few float ulps per
 * step). mlpf_mpi_bcast_params allocates 2 (n_0 + n_L) floats for the
 * scaling. The element type is part of the shape every function compares:
 * a rank calling an mlpf_mpi_ function while another calls its mlp_mpi_
 * twin gets MLP_ERR_ARG on every rank. Parameters stay bitwise identical
 * across ranks as long as MPI_Allreduce gives every rank the same bits for
 * MPI_SUM on MPI_FLOAT, as Open MPI does (the tests check it). */
MLP_MPI_API mlp_status mlpf_mpi_bcast_params(mlpf_t *net, int root,
                                             MPI_Comm comm);
MLP_MPI_API mlp_status mlpf_mpi_train_batch(mlpf_t *net, size_t batch,
                                            const float *X, const float *T,
                                            float *cost, MPI_Comm comm);
MLP_MPI_API mlp_status mlpf_mpi_fit(mlpf_t *net, size_t n_local,
                                    const float *X, const float *T,
                                    const mlp_fit_options *options,
                                    mlp_fit_result *result, MPI_Comm comm);

#ifdef __cplusplus
}
#endif

#endif /* MLP_MPI_H */
