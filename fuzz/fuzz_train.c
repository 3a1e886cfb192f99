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

/* What the first bytes choose: the network's shape and the batch size. */
struct shape {
    size_t L, batch;
    size_t sizes[4];
    mlp_activation acts[3];
    mlp_loss loss;
    uint64_t seed;
    double lr, momentum;
};

/* The arrays of one run: inputs, targets, outputs, and the parameters and
 * gradients as they were before a call. */
struct arrays {
    size_t n, n_in, n_out;
    real *X, *T, *Y, *before, *grads;
};

static void take_shape(struct input *in, struct shape *sh)
{
    sh->L = 1 + take(in, 1) % 3;
    for (size_t l = 0; l <= sh->L; l++)
        sh->sizes[l] = 1 + take(in, 1) % 8;
    for (size_t l = 0; l < sh->L; l++)
        sh->acts[l] = (mlp_activation)(take(in, 1) % 6); /* 5 is invalid */
    sh->loss = (mlp_loss)(take(in, 1) % 3);              /* 2 is invalid */
    sh->seed = take(in, 8);
    sh->batch = 1 + take(in, 1) % 6;
    sh->lr = take_double(in);
    sh->momentum = take_double(in);
}

/* Allocates the arrays for net and a batch; false if any allocation
 * failed (the ones that did not are freed by free_arrays). */
static bool alloc_arrays(struct arrays *a, const mlp_t *net,
                         const struct shape *sh)
{
    a->n = mlp_n_params(net);
    a->n_in = sh->sizes[0] * sh->batch;
    a->n_out = sh->sizes[sh->L] * sh->batch;
    a->X = malloc(a->n_in * sizeof *a->X);
    a->T = malloc(a->n_out * sizeof *a->T);
    a->Y = malloc(a->n_out * sizeof *a->Y);
    a->before = malloc(a->n * sizeof *a->before);
    a->grads = malloc(a->n * sizeof *a->grads);
    return a->X && a->T && a->Y && a->before && a->grads;
}

static void free_arrays(struct arrays *a)
{
    free(a->X);
    free(a->T);
    free(a->Y);
    free(a->before);
    free(a->grads);
}

static void take_data(struct input *in, struct arrays *a)
{
    for (size_t i = 0; i < a->n_in; i++)
        a->X[i] = take_real(in);
    for (size_t i = 0; i < a->n_out; i++)
        a->T[i] = take_real(in);
}

/* A setter's rule on a hyper-parameter holds for the value and for the
 * value rounded to the element type (what the float family computes
 * with; in double the rounding changes nothing). */
static bool rate_ok(double x)
{
    return isfinite(x) && x > 0 && isfinite((real)x) && (real)x > 0;
}

static bool fraction_ok(double x)
{
    return x >= 0 && x < 1 && (real)x >= 0 && (real)x < 1;
}

/* The optimizer and weight decay, read last, so that shorter inputs (and
 * the regression inputs written before these existed) mean plain SGD
 * without decay, as they did. Each setter must accept exactly the
 * arguments its contract allows. */
static void take_optimizer(struct input *in, mlp_t *net, const struct shape *sh)
{
    unsigned optimizer = (unsigned)take(in, 1) % 2;  /* SGD or Adam */
    double beta2 = take_double(in), epsilon = take_double(in);
    double decay = take_double(in);

    /* Adam reuses the momentum bytes as beta1. */
    double lr = sh->lr, momentum = sh->momentum;
    bool ok_args = rate_ok(lr) && fraction_ok(momentum);
    mlp_status s;
    if (optimizer == 0) {
        s = mlp_set_sgd(net, lr, momentum);
    } else {
        s = mlp_set_adam(net, lr, momentum, beta2, epsilon);
        ok_args = ok_args && fraction_ok(beta2) && rate_ok(epsilon);
    }
    REQUIRE(s == MLP_OK || s == MLP_ERR_ARG);
    REQUIRE((s == MLP_OK) == ok_args);
    s = mlp_set_weight_decay(net, decay);
    REQUIRE((s == MLP_OK) == (isfinite(decay) && decay >= 0 &&
                              isfinite((real)decay)));
}

static void check_predict(mlp_t *net, const struct shape *sh, struct arrays *a)
{
    mlp_status s = mlp_predict(net, sh->batch, a->X, a->Y);
    REQUIRE(s == MLP_OK || s == MLP_ERR_NONFINITE);
    REQUIRE(s != MLP_OK || all_finite(a->Y, a->n_out));
    REQUIRE(s == MLP_ERR_NONFINITE || all_finite(a->X, a->n_in));
}

static bool params_as_before(mlp_t *net, const struct arrays *a)
{
    return memcmp(a->before, mlp_params(net), a->n * sizeof *a->before) == 0;
}

/* mlp_backprop, then mlp_step when it succeeded: a failed backprop leaves
 * the cost, the parameters and the gradients as they were; a failed step
 * the parameters. */
static void check_backprop_step(mlp_t *net, const struct shape *sh,
                                struct arrays *a)
{
    memcpy(a->before, mlp_params(net), a->n * sizeof *a->before);
    memcpy(a->grads, mlp_grads(net), a->n * sizeof *a->grads);
    real cost = -1;
    mlp_status s = mlp_backprop(net, sh->batch, a->X, a->T, &cost);
    REQUIRE(s == MLP_OK || s == MLP_ERR_NONFINITE);
    REQUIRE(params_as_before(net, a));
    if (s == MLP_OK) {
        REQUIRE(isfinite(cost) && all_finite(mlp_grads(net), a->n));
        s = mlp_step(net);
        REQUIRE(s == MLP_OK || s == MLP_ERR_NONFINITE);
        if (s != MLP_OK)
            REQUIRE(params_as_before(net, a));
    } else {
        REQUIRE(cost == -1);
        REQUIRE(memcmp(a->grads, mlp_grads(net), a->n * sizeof *a->grads) == 0);
    }
    REQUIRE(all_finite(mlp_params(net), a->n));
}

/* mlp_train_batch: on failure the parameters are as they were. */
static void check_train_batch(mlp_t *net, const struct shape *sh,
                              struct arrays *a)
{
    memcpy(a->before, mlp_params(net), a->n * sizeof *a->before);
    mlp_status s = mlp_train_batch(net, sh->batch, a->X, a->T, NULL);
    REQUIRE(s == MLP_OK || s == MLP_ERR_NONFINITE);
    if (s != MLP_OK)
        REQUIRE(params_as_before(net, a));
    REQUIRE(all_finite(mlp_params(net), a->n));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = { data, size };
    struct shape sh;
    take_shape(&in, &sh);

    mlp_t *net;
    mlp_status s = mlp_create(&net, sh.L, sh.sizes, sh.acts, sh.loss, sh.seed);
    if (s != MLP_OK) {
        REQUIRE(s == MLP_ERR_ARG && net == NULL);
        return 0;
    }
    struct arrays a;
    if (alloc_arrays(&a, net, &sh)) {
        take_data(&in, &a);
        take_optimizer(&in, net, &sh);
        check_predict(net, &sh, &a);
        for (int round = 0; round < 3; round++) {
            check_backprop_step(net, &sh, &a);
            check_train_batch(net, &sh, &a);
        }
    }
    free_arrays(&a);
    mlp_free(net);
    return 0;
}
