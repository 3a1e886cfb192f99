/* mpi_internal.h - what mlp_mpi.c and mpi_fit.c share. Never installed. */
#ifndef MLP_MPI_INTERNAL_H
#define MLP_MPI_INTERNAL_H

#include "mlp_mpi.h"

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

/* The hash of net's shape: layer sizes, activations, loss and parameter
 * count; 0 for NULL. */
uint64_t mlp__mpi_shape_hash(const mlp_t *net);

#endif
