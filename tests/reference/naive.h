/*
 * naive.h - a naive reference implementation of the MLP forward and backward
 * passes, independent of lib/: plain loops over samples, units and inputs
 * that follow the seed's per-sample equations (../../../shared/seed, §2-§9)
 * with the corrections of docs/derivation.md. Used by the tests to check the
 * BLAS implementation and by bench/ as the baseline.
 *
 * Layouts are libmlp's (see mlp.h): row-major batches, and parameters and
 * gradients in one flat array W^(1) (n_1 x n_0), b^(1), W^(2), b^(2), ...
 * acts == NULL means MLP_SIGMOID on every layer. The arguments are assumed
 * valid (this is a reference, not an API): sizes > 0, softmax only as the
 * output of a cross-entropy network, softmax targets summing to 1.
 */
#ifndef MLP_TEST_NAIVE_H
#define MLP_TEST_NAIVE_H

#include <stddef.h>

#include "mlp.h"

/* The element type: naive_real, or float when compiled with -DMLP_SINGLE
 * (the reference is built once for each; a test links the one of its
 * own precision). */
#ifdef MLP_SINGLE
typedef float naive_real;
#else
typedef double naive_real;
#endif

/* Number of parameters: sum over l of n_l * n_(l-1) + n_l. */
size_t naive_n_params(size_t n_layers, const size_t *sizes);

/* Y (batch x n_L) = network output for X (batch x n_0).
 * Returns 0 on success, -1 on allocation failure. */
int naive_forward(size_t n_layers, const size_t *sizes,
                  const mlp_activation *acts, const naive_real *params,
                  size_t batch, const naive_real *X, naive_real *Y);

/* grads (naive_n_params entries) = dC/dθ of the batch cost C documented in
 * mlp.h, for inputs X (batch x n_0) and targets T (batch x n_L); *cost = C
 * unless cost is NULL. Returns 0 on success, -1 on allocation failure. */
int naive_backprop(size_t n_layers, const size_t *sizes,
                   const mlp_activation *acts, mlp_loss loss,
                   const naive_real *params, size_t batch, const naive_real *X,
                   const naive_real *T, naive_real *grads, naive_real *cost);

#endif /* MLP_TEST_NAIVE_H */
