/* init.c - initial weights drawn from the seed. */
#include "mlp_internal.h"
#include "random.h"

#include <math.h>
#include <string.h>

/* Glorot/Xavier uniform keeps the variance of activations and gradients
 * about constant through sigmoid/tanh layers; He uniform does the same for
 * ReLU, which zeroes half its inputs. Biases start at zero. */
static double uniform_bound(mlp_activation act, size_t fan_in, size_t fan_out)
{
    if (act == MLP_RELU)
        return sqrt(6.0 / (double)fan_in);
    return sqrt(6.0 / ((double)fan_in + (double)fan_out));
}

void mlp__init_params(struct mlp *net, uint64_t seed)
{
    mlp_rng rng = { seed };
    for (size_t l = 1; l <= net->n_layers; l++) {
        size_t fan_in = net->sizes[l - 1], fan_out = net->sizes[l];
        double a = uniform_bound(net->acts[l - 1], fan_in, fan_out);
        double *W = mlp__W(net, l);
        for (size_t i = 0; i < fan_in * fan_out; i++)
            W[i] = a * (2.0 * mlp__rng_uniform(&rng) - 1.0);
        memset(mlp__b(net, l), 0, fan_out * sizeof(double));
    }
}
