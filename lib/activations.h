/* activations.h - activation functions and their derivatives, in place. */
#ifndef MLP_ACTIVATIONS_H
#define MLP_ACTIVATIONS_H

#include "mlp.h"

#include <stdbool.h>
#include <stddef.h>

/* Z (rows x cols) <- act(Z). Softmax works on each row. Returns true when
 * every result is finite. */
bool mlp__activate(mlp_activation act, size_t rows, size_t cols, double *Z);

/* dA <- dA ⊙ act'(A) over n entries, the derivative written from the output
 * A (seed §3 and §7 for the sigmoid). Not for softmax, whose Jacobian is
 * folded into the loss (losses.c). Returns true when every result is
 * finite. */
bool mlp__activation_backward(mlp_activation act, size_t n, const double *A,
                              double *dA);

#endif
