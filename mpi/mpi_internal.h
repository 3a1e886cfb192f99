/* mpi_internal.h - what the modules of libmlp_mpi share. Never installed.
 *
 * mlp_mpi.c and mpi_fit.c are compiled twice, the way lib/ builds its
 * modules (lib/precision.h): as written they define the double family
 * mlp_mpi_*, and with -DMLP_SINGLE the same text defines the float family
 * mlpf_mpi_* over MPI_FLOAT. They use `real` for the model's and the
 * data's numbers and MLP__MPI_REAL for its MPI datatype, and keep the
 * double names, which the table below renames under MLP_SINGLE.
 * mpi_share.c, with nothing of the element type, is compiled once. */
#ifndef MLP_MPI_INTERNAL_H
#define MLP_MPI_INTERNAL_H

/* mlp_mpi.h before precision.h: it declares both families by their own
 * names. */
#include "mlp_mpi.h"
#include "mpi_precision.h"

#include <stdbool.h>
#include <stdint.h>

/* What the ranks learn from one another in one small MPI_Allreduce: the
 * sums of two numbers, the lowest failing status of any rank, and whether
 * every rank passed the same 64-bit check word. */
struct mlp__tally {
    double rows;
    double value;
    mlp_status status;
    bool mismatch;
};

/* The collective behind every decision. Returns MPI's code. */
int mlp__mpi_share(MPI_Comm comm, mlp_status status, double rows,
                   double value, uint64_t check, struct mlp__tally *out);

/* A 64-bit FNV-1a hash over words, continued from h (start with
 * MLP__HASH_START). */
#define MLP__HASH_START 0xcbf29ce484222325u
uint64_t mlp__mpi_hash(uint64_t h, const uint64_t *words, size_t n);

/* The hash of net's shape: layer sizes, activations, loss, parameter
 * count and element width (so that a rank calling a float function where
 * the others call its double twin is refused, not met in a reduction of
 * another datatype); 0 for NULL. */
uint64_t mlp__mpi_shape_hash(const mlp_t *net);

#endif
