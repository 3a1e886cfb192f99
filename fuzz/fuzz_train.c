/* fuzz_train.c - libFuzzer target for create/predict/backprop/step/train.
 *
 * The input chooses the shape (1-3 layers of 1-8 units), activations,
 * loss, seed, batch size (1-6), optimizer (SGD with momentum or Adam) and
 * its settings, weight decay, and the raw bit
 * patterns of the inputs and targets, so NaN, Inf, subnormals and values
 * near DBL_MAX all arrive. Checked after every call: the status is one the
 * contract allows; on MLP_OK the outputs and parameters are finite; on a
 * failure the parameters (and for backprop the gradients) are bitwise as
 * before the call. Built twice, like the library: fuzz_train for the
 * double family and fuzz_train_float (-DMLP_SINGLE, precision.h) for the
 * float family, whose inputs and targets are raw float32 bit patterns
 * (hyper-parameters stay double in both). */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "precision.h"

#define REQUIRE(cond) do { if (!(cond)) __builtin_trap(); } while (0)

struct input {
    const uint8_t *p;
    size_t left;
};

/* The next n bytes as a little-endian integer; zeros past the end. */
static uint64_t take(struct input *in, int n)
{
    uint64_t x = 0;
    for (int i = 0; i < n && in->left > 0; i++, in->left--)
        x |= (uint64_t)*in->p++ << (8 * i);
    return x;
}

static double take_double(struct input *in)
{
    uint64_t bits = take(in, 8);
    double x;
    memcpy(&x, &bits, sizeof x);
    return x;
}

/* The raw bits of one number of the data, in the element type. */
static real take_real(struct input *in)
{
    real_ubits bits = (real_ubits)take(in, (int)sizeof(real));
    real x;
    memcpy(&x, &bits, sizeof x);
    return x;
}

static bool all_finite(const real *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = { data, size };
    size_t L = 1 + take(&in, 1) % 3;
    size_t sizes[4];
    mlp_activation acts[3];
    for (size_t l = 0; l <= L; l++)
        sizes[l] = 1 + take(&in, 1) % 8;
    for (size_t l = 0; l < L; l++)
        acts[l] = (mlp_activation)(take(&in, 1) % 6); /* 5 is invalid */
    mlp_loss loss = (mlp_loss)(take(&in, 1) % 3);      /* 2 is invalid */
    uint64_t seed = take(&in, 8);
    size_t batch = 1 + take(&in, 1) % 6;
    double lr = take_double(&in), momentum = take_double(&in);

    mlp_t *net;
    mlp_status s = mlp_create(&net, L, sizes, acts, loss, seed);
    if (s != MLP_OK) {
        REQUIRE(s == MLP_ERR_ARG && net == NULL);
        return 0;
    }
    size_t n = mlp_n_params(net), n_in = sizes[0] * batch, n_out = sizes[L] * batch;
    real *X = malloc(n_in * sizeof *X), *T = malloc(n_out * sizeof *T);
    real *Y = malloc(n_out * sizeof *Y);
    real *before = malloc(n * sizeof *before), *grads = malloc(n * sizeof *grads);
    if (!X || !T || !Y || !before || !grads)
        goto out;
    for (size_t i = 0; i < n_in; i++)
        X[i] = take_real(&in);
    for (size_t i = 0; i < n_out; i++)
        T[i] = take_real(&in);
    /* Read last, so that shorter inputs (and the regression inputs written
     * before these existed) mean plain SGD without decay, as they did. */
    unsigned optimizer = (unsigned)take(&in, 1) % 2;  /* SGD or Adam */
    double beta2 = take_double(&in), epsilon = take_double(&in);
    double decay = take_double(&in);

    /* Adam reuses the momentum bytes as beta1. */
    bool ok_args = isfinite(lr) && lr > 0 && momentum >= 0 && momentum < 1;
    if (optimizer == 0) {
        s = mlp_set_sgd(net, lr, momentum);
    } else {
        s = mlp_set_adam(net, lr, momentum, beta2, epsilon);
        ok_args = ok_args && beta2 >= 0 && beta2 < 1 && isfinite(epsilon) &&
                  epsilon > 0;
    }
    REQUIRE(s == MLP_OK || s == MLP_ERR_ARG);
    REQUIRE((s == MLP_OK) == ok_args);
    s = mlp_set_weight_decay(net, decay);
    REQUIRE((s == MLP_OK) == (isfinite(decay) && decay >= 0));

    s = mlp_predict(net, batch, X, Y);
    REQUIRE(s == MLP_OK || s == MLP_ERR_NONFINITE);
    REQUIRE(s != MLP_OK || all_finite(Y, n_out));
    REQUIRE(s == MLP_ERR_NONFINITE || all_finite(X, n_in));

    for (int round = 0; round < 3; round++) {
        memcpy(before, mlp_params(net), n * sizeof *before);
        memcpy(grads, mlp_grads(net), n * sizeof *grads);
        real cost = -1;
        s = mlp_backprop(net, batch, X, T, &cost);
        REQUIRE(s == MLP_OK || s == MLP_ERR_NONFINITE);
        REQUIRE(memcmp(before, mlp_params(net), n * sizeof *before) == 0);
        if (s == MLP_OK) {
            REQUIRE(isfinite(cost) && all_finite(mlp_grads(net), n));
            s = mlp_step(net);
            REQUIRE(s == MLP_OK || s == MLP_ERR_NONFINITE);
            if (s != MLP_OK)
                REQUIRE(memcmp(before, mlp_params(net), n * sizeof *before) == 0);
        } else {
            REQUIRE(cost == -1);
            REQUIRE(memcmp(grads, mlp_grads(net), n * sizeof *grads) == 0);
        }
        REQUIRE(all_finite(mlp_params(net), n));

        memcpy(before, mlp_params(net), n * sizeof *before);
        s = mlp_train_batch(net, batch, X, T, NULL);
        REQUIRE(s == MLP_OK || s == MLP_ERR_NONFINITE);
        if (s != MLP_OK)
            REQUIRE(memcmp(before, mlp_params(net), n * sizeof *before) == 0);
        REQUIRE(all_finite(mlp_params(net), n));
    }
out:
    free(X);
    free(T);
    free(Y);
    free(before);
    free(grads);
    mlp_free(net);
    return 0;
}
