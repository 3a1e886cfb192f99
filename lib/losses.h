/* losses.h - the cost of a batch and its gradient at the output layer. */
#ifndef MLP_LOSSES_H
#define MLP_LOSSES_H

#include "mlp.h"
#include "precision.h"

#include <stddef.h>

/* Given the predictions A = A^(L) (batch x n) of an output layer with
 * activation `act`, and the targets T, writes dZ^(L) = dC/dZ^(L) into dZ
 * (the activation's derivative included) and returns the batch cost C,
 * and in *dz_bound the largest |dZ| (Inf if any entry is not finite). For
 * MLP_CROSS_ENTROPY, dZ holds the pre-activations Z^(L) on entry (as
 * mlp__forward leaves them in ws->delta[L]), from which the cost is
 * computed before dZ is written. The caller checks that the cost and dZ
 * are finite. The cost is summed and returned in double in both
 * precisions. */
double mlp__output_delta(mlp_loss loss, mlp_activation act, size_t batch,
                         size_t n, const real *A, const real *T,
                         real *dZ, double *dz_bound);

/* The batch cost alone (no gradient), as mlp.h's mlp_loss defines it for
 * an output layer with activation `act`, outputs A and, for
 * MLP_CROSS_ENTROPY, pre-activations Z (unused for MLP_MSE). */
double mlp__loss_cost(mlp_loss loss, mlp_activation act, size_t batch,
                      size_t n, const real *A, const real *Z, const real *T);

#endif
