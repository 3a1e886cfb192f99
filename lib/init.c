/* init.c - initial weights drawn from the seed. */
#include "mlp_internal.h"
#include "alloc.h"
#include "random.h"

#include <math.h>
#include <string.h>

/* Every draw is made in double, whatever the network's precision, and
 * rounded once when stored: a float network gets the float-rounded
 * parameters of the double network of the same seed. */

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
        real *W = mlp__W(net, l);
        for (size_t i = 0; i < fan_in * fan_out; i++)
            W[i] = (real)(a * (2.0 * mlp__rng_uniform(&rng) - 1.0));
        memset(mlp__b(net, l), 0, fan_out * sizeof(real));
    }
}

/* A standard normal deviate by Box-Muller (the cosine half only, so that
 * each deviate costs exactly two draws and the stream is easy to follow). */
static double gaussian(mlp_rng *rng)
{
    double u1 = 1.0 - mlp__rng_uniform(rng); /* (0, 1]: log(u1) is finite */
    double u2 = mlp__rng_uniform(rng);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* Fills the n_out x n_in matrix W with orthonormal rows (n_out <= n_in) or
 * columns (n_out >= n_in), from a Gaussian matrix's Q factor. scratch has
 * room for n_out * n_in doubles. */
static mlp_status orthogonal(mlp_rng *rng, size_t n_out, size_t n_in,
                             double *W, double *scratch)
{
    size_t m = n_out > n_in ? n_out : n_in, k = n_out > n_in ? n_in : n_out;
    for (size_t i = 0; i < m * k; i++)
        scratch[i] = gaussian(rng);
    mlp_status status = mlp__orthonormalize(m, k, scratch);
    if (status != MLP_OK)
        return status;
    if (n_out < n_in) {
        /* W = Q^T, and Q column-major (n_in x n_out) is exactly Q^T
         * row-major. */
        memcpy(W, scratch, m * k * sizeof *W);
    } else {
        for (size_t i = 0; i < n_out; i++)
            for (size_t j = 0; j < n_in; j++)
                W[i * n_in + j] = scratch[i + j * m];   /* W = Q */
    }
    return MLP_OK;
}

/* Draws layer l's weights W (n_out x n_in) with `kind` (not DEFAULT).
 * scratch: room for n_out * n_in doubles, for the orthogonal kind. */
static mlp_status draw_layer(mlp_init_kind kind, mlp_rng *rng, size_t fan_in,
                             size_t fan_out, double *W, double *scratch)
{
    size_t n = fan_in * fan_out;
    double glorot = 2.0 / ((double)fan_in + (double)fan_out);
    double he = 2.0 / (double)fan_in;
    switch (kind) {
    case MLP_INIT_GLOROT_UNIFORM:
    case MLP_INIT_HE_UNIFORM: {
        /* U(-a, a) has variance a^2 / 3. */
        double a = sqrt(3.0 * (kind == MLP_INIT_HE_UNIFORM ? he : glorot));
        for (size_t i = 0; i < n; i++)
            W[i] = a * (2.0 * mlp__rng_uniform(rng) - 1.0);
        return MLP_OK;
    }
    case MLP_INIT_GLOROT_NORMAL:
    case MLP_INIT_HE_NORMAL: {
        double sd = sqrt(kind == MLP_INIT_HE_NORMAL ? he : glorot);
        for (size_t i = 0; i < n; i++)
            W[i] = sd * gaussian(rng);
        return MLP_OK;
    }
    default:
        return orthogonal(rng, fan_out, fan_in, W, scratch);
    }
}

/* The largest n_l * n_(l-1): the orthogonal kind's scratch. It fits, and
 * so does n_params + it, since 2 n_params doubles do. */
static size_t largest_layer(const struct mlp *net)
{
    size_t largest = 0;
    for (size_t l = 1; l <= net->n_layers; l++)
        if (net->sizes[l] * net->sizes[l - 1] > largest)
            largest = net->sizes[l] * net->sizes[l - 1];
    return largest;
}

mlp_status mlp_init(mlp_t *net, mlp_init_kind kind, uint64_t seed)
{
    if (!net || kind < MLP_INIT_DEFAULT || kind > MLP_INIT_ORTHOGONAL)
        return MLP_ERR_ARG;
    if (kind == MLP_INIT_DEFAULT) {
        mlp__init_params(net, seed);
        mlp__reset_optimizer(net);
        return MLP_OK;
    }
    /* Everything is drawn into a new block first, so that a failure leaves
     * the parameters as they were; orthogonal needs a second block as
     * scratch for the largest layer. */
    size_t scratch_size = kind == MLP_INIT_ORTHOGONAL ? largest_layer(net) : 0;
    double *next = mlp__calloc(net->n_params + scratch_size, sizeof *next);
    if (!next)
        return MLP_ERR_NOMEM;
    mlp_rng rng = { seed };
    mlp_status status = MLP_OK;
    for (size_t l = 1; l <= net->n_layers && status == MLP_OK; l++)
        status = draw_layer(kind, &rng, net->sizes[l - 1], net->sizes[l],
                            next + net->offsets[l - 1], /* biases stay 0 */
                            next + net->n_params);
    if (status == MLP_OK) {
        /* Drawn in double in both precisions: a float network starts from
         * the double one's parameters, rounded. */
        for (size_t i = 0; i < net->n_params; i++)
            net->params[i] = (real)next[i];
        mlp__reset_optimizer(net);
    }
    mlp__free(next);
    return status;
}
