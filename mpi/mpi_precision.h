/* mpi_precision.h - lib/precision.h for libmlp_mpi, and for its tests,
 * which are compiled twice in the same way. Never installed. Include it
 * after mlp_mpi.h.
 *
 * Under MLP_SINGLE the double family's names of libmlp_mpi (and its
 * internal functions that depend on the element type) are renamed to their
 * float twins, as precision.h renames libmlp's; MLP__MPI_REAL is the MPI
 * datatype of `real`. */
#ifndef MLP_MPI_PRECISION_H
#define MLP_MPI_PRECISION_H

#include "precision.h"

#ifdef MLP_SINGLE

#define MLP__MPI_REAL MPI_FLOAT
#define mlp_mpi_bcast_params mlpf_mpi_bcast_params
#define mlp_mpi_train_batch mlpf_mpi_train_batch
#define mlp_mpi_fit mlpf_mpi_fit
#define mlp__mpi_shape_hash mlpf__mpi_shape_hash

#else

#define MLP__MPI_REAL MPI_DOUBLE

#endif

#endif
