/* activations.h - activation functions and their derivatives, in place. */
#ifndef MLP_ACTIVATIONS_H
#define MLP_ACTIVATIONS_H

#include "mlp.h"
#include "precision.h"

#include <stddef.h>

/* Z (rows x cols) <- act(Z). Softmax works on each row. Returns a bound on
 * max |A| (1 for the bounded activations, max |Z| otherwise), or +Inf when
 * some Z was NaN or infinite. */
double mlp__activate(mlp_activation act, size_t rows, size_t cols, real *Z);

/* dA <- dA ⊙ act'(A) over n entries, the derivative written from the output
 * A (seed §3 and §7 for the sigmoid). Not for softmax, whose Jacobian is
 * folded into the loss (losses.c). Returns max |result|, or +Inf when some
 * result is NaN or infinite. */
double mlp__activation_backward(mlp_activation act, size_t n, const real *A,
                                real *dA);

#endif
