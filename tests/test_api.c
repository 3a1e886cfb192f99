/*
 * test_api.c - every public function with bad input returns the status
 * mlp.h documents, sets *net to NULL when create fails, and leaves the
 * parameters and gradients bit for bit as they were (compared with memcmp
 * against full copies of mlp_params and mlp_grads). Also the accessors'
 * shapes and layout, mlp_strerror, mlp_version and mlp_free(NULL).
 * No floating-point tolerance is involved: everything here is exact.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE */

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mlp.h"
#include "test_util.h"

/* A non-NULL value that mlp_create must overwrite with NULL on failure. */
static mlp_t *const poison = (mlp_t *)&poison;

static void expect_create_fails(mlp_status want, size_t n_layers,
                                const size_t *sizes,
                                const mlp_activation *acts, mlp_loss loss)
{
    mlp_t *net = poison;
    mlp_status st = mlp_create(&net, n_layers, sizes, acts, loss, 1);
    ck_assert_msg(st == want, "mlp_create returned %d (%s), want %d", st,
                  mlp_strerror(st), want);
    ck_assert_ptr_null(net);
}

START_TEST(test_create_bad_args)
{
    size_t sizes[] = { 3, 4, 2 };
    mlp_activation acts[] = { MLP_TANH, MLP_SIGMOID };

    ck_assert_int_eq(mlp_create(NULL, 2, sizes, acts, MLP_MSE, 1),
                     MLP_ERR_ARG);
    expect_create_fails(MLP_ERR_ARG, 2, NULL, acts, MLP_MSE);
    expect_create_fails(MLP_ERR_ARG, 0, sizes, acts, MLP_MSE);
    /* a zero size anywhere */
    for (size_t k = 0; k < 3; k++) {
        size_t bad[] = { 3, 4, 2 };
        bad[k] = 0;
        expect_create_fails(MLP_ERR_ARG, 2, bad, acts, MLP_MSE);
    }
    /* sizes that overflow or do not fit the BLAS int */
    const size_t huge[] = { SIZE_MAX, SIZE_MAX / 2, (size_t)INT_MAX + 1 };
    for (size_t h = 0; h < 3; h++) {
        for (size_t k = 0; k < 3; k++) {
            size_t bad[] = { 3, 4, 2 };
            bad[k] = huge[h];
            expect_create_fails(MLP_ERR_ARG, 2, bad, acts, MLP_MSE);
        }
    }
    /* unknown activations and losses */
    mlp_activation unknown[][2] = {
        { (mlp_activation)5, MLP_SIGMOID },
        { MLP_TANH, (mlp_activation)99 },
        { (mlp_activation)-1, MLP_SIGMOID },
    };
    for (size_t k = 0; k < 3; k++)
        expect_create_fails(MLP_ERR_ARG, 2, sizes, unknown[k], MLP_MSE);
    expect_create_fails(MLP_ERR_ARG, 2, sizes, acts, (mlp_loss)2);
    expect_create_fails(MLP_ERR_ARG, 2, sizes, acts, (mlp_loss)-1);
    expect_create_fails(MLP_ERR_ARG, 2, sizes, NULL, (mlp_loss)7);
}
END_TEST

START_TEST(test_create_bad_combinations)
{
    size_t sizes[] = { 3, 4, 2 };
    /* softmax in a hidden layer */
    mlp_activation hidden_softmax[] = { MLP_SOFTMAX, MLP_SOFTMAX };
    expect_create_fails(MLP_ERR_ARG, 2, sizes, hidden_softmax,
                        MLP_CROSS_ENTROPY);
    mlp_activation hidden_softmax2[] = { MLP_SOFTMAX, MLP_SIGMOID };
    expect_create_fails(MLP_ERR_ARG, 2, sizes, hidden_softmax2, MLP_MSE);
    /* softmax with MSE */
    mlp_activation softmax_out[] = { MLP_TANH, MLP_SOFTMAX };
    expect_create_fails(MLP_ERR_ARG, 2, sizes, softmax_out, MLP_MSE);
    /* cross-entropy without a softmax or sigmoid output */
    const mlp_activation not_prob[] = { MLP_TANH, MLP_RELU, MLP_IDENTITY };
    for (size_t k = 0; k < 3; k++) {
        mlp_activation acts[] = { MLP_SIGMOID, not_prob[k] };
        expect_create_fails(MLP_ERR_ARG, 2, sizes, acts, MLP_CROSS_ENTROPY);
    }
    /* the valid ones, for contrast */
    mlp_t *net = poison;
    ck_assert_int_eq(mlp_create(&net, 2, sizes, softmax_out,
                                MLP_CROSS_ENTROPY, 1), MLP_OK);
    ck_assert_ptr_nonnull(net);
    ck_assert_ptr_ne(net, poison);
    mlp_free(net);
    mlp_activation sig_out[] = { MLP_RELU, MLP_SIGMOID };
    ck_assert_int_eq(mlp_create(&net, 2, sizes, sig_out, MLP_CROSS_ENTROPY,
                                1), MLP_OK);
    mlp_free(net);
    ck_assert_int_eq(mlp_create(&net, 2, sizes, NULL, MLP_CROSS_ENTROPY, 1),
                     MLP_OK);
    mlp_free(net);
    size_t one[] = { 1, 1 };
    ck_assert_int_eq(mlp_create(&net, 1, one, NULL, MLP_MSE, 0), MLP_OK);
    mlp_free(net);
}
END_TEST

/* Sizes that each fit in an int but whose parameter count, in bytes,
 * overflows size_t: refused, never allocated and written past. */
START_TEST(test_create_count_overflow)
{
    size_t sizes[] = { INT_MAX, INT_MAX, INT_MAX };
    mlp_t *net = poison;
    mlp_status st = mlp_create(&net, 2, sizes, NULL, MLP_MSE, 1);
    ck_assert_msg(st == MLP_ERR_ARG || st == MLP_ERR_NOMEM,
                  "mlp_create of INT_MAX-wide layers returned %d", st);
    ck_assert_ptr_null(net);
}
END_TEST

START_TEST(test_accessors)
{
    size_t sizes[] = { 3, 5, 4, 2 };
    mlp_activation acts[] = { MLP_RELU, MLP_TANH, MLP_SOFTMAX };
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 3, sizes, acts, MLP_CROSS_ENTROPY, 5),
                     MLP_OK);
    ck_assert_uint_eq(mlp_n_layers(net), 3);
    for (size_t l = 0; l <= 3; l++)
        ck_assert_uint_eq(mlp_layer_size(net, l), sizes[l]);
    ck_assert_uint_eq(mlp_layer_size(net, 4), 0);
    ck_assert_uint_eq(mlp_layer_size(net, SIZE_MAX), 0);
    for (size_t l = 1; l <= 3; l++)
        ck_assert_int_eq(mlp_layer_activation(net, l), acts[l - 1]);
    ck_assert_int_eq(mlp_layer_activation(net, 0), -1);
    ck_assert_int_eq(mlp_layer_activation(net, 4), -1);
    ck_assert_int_eq(mlp_layer_activation(net, SIZE_MAX), -1);
    ck_assert_int_eq(mlp_loss_kind(net), MLP_CROSS_ENTROPY);

    size_t n = 5 * 3 + 5 + 4 * 5 + 4 + 2 * 4 + 2;
    ck_assert_uint_eq(mlp_n_params(net), n);
    real *p = mlp_params(net), *g = mlp_grads(net);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(g);
    /* layout W1, b1, W2, b2, W3, b3 in both arrays */
    size_t off = 0;
    for (size_t l = 1; l <= 3; l++) {
        ck_assert_ptr_eq(mlp_weights(net, l), p + off);
        ck_assert_ptr_eq(mlp_weight_grads(net, l), g + off);
        off += sizes[l] * sizes[l - 1];
        ck_assert_ptr_eq(mlp_biases(net, l), p + off);
        ck_assert_ptr_eq(mlp_bias_grads(net, l), g + off);
        off += sizes[l];
    }
    ck_assert_uint_eq(off, n);
    /* gradients are zero before any backprop */
    for (size_t k = 0; k < n; k++)
        ck_assert(g[k] == 0);
    /* out-of-range layers */
    size_t bad[] = { 0, 4, SIZE_MAX };
    for (size_t k = 0; k < 3; k++) {
        ck_assert_ptr_null(mlp_weights(net, bad[k]));
        ck_assert_ptr_null(mlp_biases(net, bad[k]));
        ck_assert_ptr_null(mlp_weight_grads(net, bad[k]));
        ck_assert_ptr_null(mlp_bias_grads(net, bad[k]));
    }
    /* writing through mlp_weights sets the parameter */
    mlp_weights(net, 2)[3] = 0.25;
    ck_assert(p[5 * 3 + 5 + 3] == 0.25);
    mlp_free(net);
}
END_TEST

START_TEST(test_accessors_null)
{
    ck_assert_uint_eq(mlp_n_layers(NULL), 0);
    ck_assert_uint_eq(mlp_layer_size(NULL, 0), 0);
    ck_assert_uint_eq(mlp_layer_size(NULL, 1), 0);
    ck_assert_int_eq(mlp_layer_activation(NULL, 1), -1);
    ck_assert_int_eq(mlp_loss_kind(NULL), -1);
    ck_assert_ptr_null(mlp_weights(NULL, 1));
    ck_assert_ptr_null(mlp_biases(NULL, 1));
    ck_assert_ptr_null(mlp_weight_grads(NULL, 1));
    ck_assert_ptr_null(mlp_bias_grads(NULL, 1));
    ck_assert_uint_eq(mlp_n_params(NULL), 0);
    ck_assert_ptr_null(mlp_params(NULL));
    ck_assert_ptr_null(mlp_grads(NULL));
    mlp_free(NULL);
}
END_TEST

/* ---- predict, backprop, train_batch, step with bad input --------------- */

#define N0 3
#define NL 2
#define BATCH 4

typedef struct fixture {
    mlp_t *net;
    size_t n;
    real X[BATCH * N0], T[BATCH * NL], Y[BATCH * NL];
    real *params, *grads; /* copies taken by snapshot() */
} fixture;

/* A 3-5-2 tanh/sigmoid MSE network that has seen one backprop (so that its
 * gradients are not all zero) and one momentum step (so that it has
 * optimizer state). */
static void setup(fixture *f)
{
    size_t sizes[] = { N0, 5, NL };
    mlp_activation acts[] = { MLP_TANH, MLP_SIGMOID };
    test_rng rng;
    test_rng_seed(&rng, 2718);
    ck_assert_int_eq(mlp_create(&f->net, 2, sizes, acts, MLP_MSE, 3), MLP_OK);
    f->n = mlp_n_params(f->net);
    test_fill_uniform(&rng, f->X, BATCH * N0, -1, 1);
    test_fill_uniform(&rng, f->T, BATCH * NL, 0, 1);
    ck_assert_int_eq(mlp_set_sgd(f->net, 0.1, 0.5), MLP_OK);
    ck_assert_int_eq(mlp_backprop(f->net, BATCH, f->X, f->T, NULL), MLP_OK);
    ck_assert_int_eq(mlp_step(f->net), MLP_OK);
    ck_assert_int_eq(mlp_backprop(f->net, BATCH, f->X, f->T, NULL), MLP_OK);
    f->params = test_reals(f->n);
    f->grads = test_reals(f->n);
}

static void snapshot(fixture *f)
{
    memcpy(f->params, mlp_params(f->net), f->n * sizeof(real));
    memcpy(f->grads, mlp_grads(f->net), f->n * sizeof(real));
}

static void assert_unchanged(const fixture *f, const char *what)
{
    ck_assert_msg(memcmp(f->params, mlp_params(f->net),
                         f->n * sizeof(real)) == 0,
                  "%s changed the parameters", what);
    ck_assert_msg(memcmp(f->grads, mlp_grads(f->net),
                         f->n * sizeof(real)) == 0,
                  "%s changed the gradients", what);
}

static void teardown(fixture *f)
{
    mlp_free(f->net);
    free(f->params);
    free(f->grads);
}

/* Batches whose batch * n_l overflows size_t (n_0 = 3, n_L = 2, n_1 = 5). */
static const size_t overflow_batches[] = {
    SIZE_MAX, SIZE_MAX / 2, SIZE_MAX / 3 + 1, SIZE_MAX / 5 + 1
};
#define N_OVERFLOW (sizeof overflow_batches / sizeof overflow_batches[0])

#define EXPECT(call, want, what)                                            \
    do {                                                                    \
        mlp_status st_ = (call);                                            \
        ck_assert_msg(st_ == (want), "%s returned %d (%s), want %d", what,  \
                      st_, mlp_strerror(st_), (want));                      \
        assert_unchanged(&f, what);                                         \
    } while (0)

START_TEST(test_predict_bad_args)
{
    fixture f;
    setup(&f);
    snapshot(&f);
    EXPECT(mlp_predict(NULL, BATCH, f.X, f.Y), MLP_ERR_ARG, "predict(NULL)");
    EXPECT(mlp_predict(f.net, BATCH, NULL, f.Y), MLP_ERR_ARG, "predict X=NULL");
    EXPECT(mlp_predict(f.net, BATCH, f.X, NULL), MLP_ERR_ARG, "predict Y=NULL");
    EXPECT(mlp_predict(f.net, 0, f.X, f.Y), MLP_ERR_ARG, "predict batch 0");
    for (size_t k = 0; k < N_OVERFLOW; k++)
        EXPECT(mlp_predict(f.net, overflow_batches[k], f.X, f.Y),
               MLP_ERR_ARG, "predict batch*n overflow");
    teardown(&f);
}
END_TEST

START_TEST(test_predict_nonfinite)
{
    fixture f;
    setup(&f);
    snapshot(&f);
    const real bad[] = { NAN, INFINITY, -INFINITY };
    for (size_t b = 0; b < 3; b++) {
        for (size_t k = 0; k < BATCH * N0; k += 5) {
            real X[BATCH * N0];
            memcpy(X, f.X, sizeof X);
            X[k] = bad[b];
            EXPECT(mlp_predict(f.net, BATCH, X, f.Y), MLP_ERR_NONFINITE,
                   "predict non-finite X");
        }
    }
    teardown(&f);
}
END_TEST

START_TEST(test_backprop_bad_args)
{
    fixture f;
    setup(&f);
    snapshot(&f);
    real cost = 42;
    EXPECT(mlp_backprop(NULL, BATCH, f.X, f.T, &cost), MLP_ERR_ARG,
           "backprop(NULL)");
    EXPECT(mlp_backprop(f.net, BATCH, NULL, f.T, &cost), MLP_ERR_ARG,
           "backprop X=NULL");
    EXPECT(mlp_backprop(f.net, BATCH, f.X, NULL, &cost), MLP_ERR_ARG,
           "backprop T=NULL");
    EXPECT(mlp_backprop(f.net, 0, f.X, f.T, &cost), MLP_ERR_ARG,
           "backprop batch 0");
    for (size_t k = 0; k < N_OVERFLOW; k++)
        EXPECT(mlp_backprop(f.net, overflow_batches[k], f.X, f.T, &cost),
               MLP_ERR_ARG, "backprop batch*n overflow");
    ck_assert(cost == 42);
    teardown(&f);
}
END_TEST

START_TEST(test_backprop_nonfinite)
{
    fixture f;
    setup(&f);
    snapshot(&f);
    real cost = 42;
    const real bad[] = { NAN, INFINITY, -INFINITY };
    for (size_t b = 0; b < 3; b++) {
        real X[BATCH * N0], T[BATCH * NL];
        memcpy(X, f.X, sizeof X);
        X[BATCH * N0 - 1] = bad[b];
        EXPECT(mlp_backprop(f.net, BATCH, X, f.T, &cost), MLP_ERR_NONFINITE,
               "backprop non-finite X");
        memcpy(T, f.T, sizeof T);
        T[b] = bad[b];
        EXPECT(mlp_backprop(f.net, BATCH, f.X, T, &cost), MLP_ERR_NONFINITE,
               "backprop non-finite T");
    }
    ck_assert(cost == 42);
    teardown(&f);
}
END_TEST

/* Finite inputs whose cost overflows: (1e200 - 0)² = Inf (in float
 * (1e25 - 0)² = Inf). */
START_TEST(test_backprop_cost_overflow)
{
    size_t sizes[] = { 1, 1 };
    mlp_activation acts[] = { MLP_IDENTITY };
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 1, sizes, acts, MLP_MSE, 1), MLP_OK);
    mlp_weights(net, 1)[0] = 1;
    real x = 1, t = 0, cost = 42, y;
    ck_assert_int_eq(mlp_backprop(net, 1, &x, &t, &cost), MLP_OK);
    ck_assert(cost == 1);
    real grads[2], params[2];
    memcpy(grads, mlp_grads(net), sizeof grads);
    memcpy(params, mlp_params(net), sizeof params);
    const real big = (real)TEST_BY_PRECISION(1e200, 1e25);
    x = big;
    ck_assert_int_eq(mlp_predict(net, 1, &x, &y), MLP_OK);
    cost = 42;
    ck_assert_int_eq(mlp_backprop(net, 1, &x, &t, &cost), MLP_ERR_NONFINITE);
    ck_assert(cost == 42);
    ck_assert_mem_eq(grads, mlp_grads(net), sizeof grads);
    ck_assert_mem_eq(params, mlp_params(net), sizeof params);
    ck_assert_int_eq(mlp_train_batch(net, 1, &x, &t, &cost),
                     MLP_ERR_NONFINITE);
    ck_assert_mem_eq(params, mlp_params(net), sizeof params);
    /* outputs that overflow: predict reports them */
    mlp_weights(net, 1)[0] = big;
    params[0] = big;
    ck_assert_int_eq(mlp_predict(net, 1, &x, &y), MLP_ERR_NONFINITE);
    ck_assert_mem_eq(params, mlp_params(net), sizeof params);
    mlp_free(net);
}
END_TEST

/* Finite inputs, targets, deltas and cost whose gradient overflows:
 * 1-1-1 identity network, x = 1e200, W1 = 1, W2 = 1e-50, y = 0, so
 * a1 = 1e200, ŷ = 1e150, C = 1e300 (finite), dz2 = 2e150 (finite) and
 * dW2 = dz2·a1 = 2e350 = Inf (dW1 = dz1·x = 2e100·1e200 = 2e300).
 * In float: x = 1e24, W2 = 1e-6, ŷ = 1e18, C = 1e36, dz2 = 2e18,
 * dW2 = 2e42 = Inf, dW1 = 2e12·1e24 = 2e36. */
START_TEST(test_backprop_gradient_overflow)
{
    size_t sizes[] = { 1, 1, 1 };
    mlp_activation acts[] = { MLP_IDENTITY, MLP_IDENTITY };
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 2, sizes, acts, MLP_MSE, 1), MLP_OK);
    mlp_weights(net, 1)[0] = 1;
    mlp_weights(net, 2)[0] = (real)TEST_BY_PRECISION(1e-50, 1e-6);
    real x = 1, t = 0, cost = 42, y;
    ck_assert_int_eq(mlp_backprop(net, 1, &x, &t, &cost), MLP_OK);
    real params[4];
    memcpy(params, mlp_params(net), sizeof params);
    x = (real)TEST_BY_PRECISION(1e200, 1e24);
    ck_assert_int_eq(mlp_predict(net, 1, &x, &y), MLP_OK);
    ck_assert(y == (real)(x * mlp_weights(net, 2)[0]));
    cost = 42;
    mlp_status st = mlp_backprop(net, 1, &x, &t, &cost);
    ck_assert_msg(st == MLP_ERR_NONFINITE,
                  "backprop with overflowing gradients returned %d (%s); "
                  "dW = (%g, %g)", st, mlp_strerror(st),
                  mlp_weight_grads(net, 1)[0], mlp_weight_grads(net, 2)[0]);
    ck_assert(cost == 42);
    /* The gradients are unspecified after an overflow (mlp.h): only the
     * parameters are promised. */
    ck_assert_mem_eq(params, mlp_params(net), sizeof params);
    st = mlp_train_batch(net, 1, &x, &t, &cost);
    ck_assert_msg(st == MLP_ERR_NONFINITE,
                  "train_batch with overflowing gradients returned %d (%s); "
                  "W = (%g, %g)", st, mlp_strerror(st),
                  mlp_weights(net, 1)[0], mlp_weights(net, 2)[0]);
    ck_assert_mem_eq(params, mlp_params(net), sizeof params);
    mlp_free(net);
}
END_TEST

START_TEST(test_train_batch_bad_args)
{
    fixture f;
    setup(&f);
    snapshot(&f);
    real cost = 42;
    EXPECT(mlp_train_batch(NULL, BATCH, f.X, f.T, &cost), MLP_ERR_ARG,
           "train_batch(NULL)");
    EXPECT(mlp_train_batch(f.net, BATCH, NULL, f.T, &cost), MLP_ERR_ARG,
           "train_batch X=NULL");
    EXPECT(mlp_train_batch(f.net, BATCH, f.X, NULL, &cost), MLP_ERR_ARG,
           "train_batch T=NULL");
    EXPECT(mlp_train_batch(f.net, 0, f.X, f.T, &cost), MLP_ERR_ARG,
           "train_batch batch 0");
    for (size_t k = 0; k < N_OVERFLOW; k++)
        EXPECT(mlp_train_batch(f.net, overflow_batches[k], f.X, f.T, &cost),
               MLP_ERR_ARG, "train_batch batch*n overflow");
    real X[BATCH * N0], T[BATCH * NL];
    memcpy(X, f.X, sizeof X);
    X[1] = NAN;
    EXPECT(mlp_train_batch(f.net, BATCH, X, f.T, &cost), MLP_ERR_NONFINITE,
           "train_batch NaN X");
    memcpy(T, f.T, sizeof T);
    T[BATCH * NL - 1] = INFINITY;
    EXPECT(mlp_train_batch(f.net, BATCH, f.X, T, &cost), MLP_ERR_NONFINITE,
           "train_batch Inf T");
    teardown(&f);
}
END_TEST

START_TEST(test_set_sgd_bad_args)
{
    fixture f;
    setup(&f);
    snapshot(&f);
    EXPECT(mlp_set_sgd(NULL, 0.1, 0), MLP_ERR_ARG, "set_sgd(NULL)");
    const real bad_lr[] = { 0, -0.1, -0.0, NAN, INFINITY, -INFINITY };
    for (size_t k = 0; k < 6; k++)
        EXPECT(mlp_set_sgd(f.net, bad_lr[k], 0), MLP_ERR_ARG, "set_sgd lr");
    const real bad_mu[] = { -0.1, 1, 1.5, NAN, INFINITY, -INFINITY };
    for (size_t k = 0; k < 6; k++)
        EXPECT(mlp_set_sgd(f.net, 0.1, bad_mu[k]), MLP_ERR_ARG,
               "set_sgd momentum");
    /* valid edges: the smallest normal learning rate of the element type
     * (DBL_MIN is 0 once rounded to float, which mlpf_set_sgd refuses) */
    EXPECT(mlp_set_sgd(f.net, REAL_MIN, 0), MLP_OK, "set_sgd tiny lr");
    EXPECT(mlp_set_sgd(f.net, 1e3, 0.999), MLP_OK, "set_sgd momentum .999");
    teardown(&f);
}
END_TEST

/* A refused mlp_set_sgd keeps the optimizer state: the network goes on
 * exactly as a twin that never saw the bad call. */
START_TEST(test_set_sgd_failure_keeps_state)
{
    fixture a, b;
    setup(&a);
    setup(&b);
    ck_assert_int_eq(mlp_set_sgd(a.net, -1, 0), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_set_sgd(a.net, 0.1, 2), MLP_ERR_ARG);
    for (int k = 0; k < 3; k++) {
        ck_assert_int_eq(mlp_step(a.net), MLP_OK);
        ck_assert_int_eq(mlp_step(b.net), MLP_OK);
    }
    ck_assert_mem_eq(mlp_params(a.net), mlp_params(b.net),
                     a.n * sizeof(real));
    teardown(&a);
    teardown(&b);
}
END_TEST

START_TEST(test_step_bad)
{
    fixture f;
    setup(&f);
    ck_assert_int_eq(mlp_step(NULL), MLP_ERR_ARG);
    /* a non-finite gradient: nothing changes */
    real *g = mlp_grads(f.net);
    const real bad[] = { NAN, INFINITY, -INFINITY };
    for (size_t b = 0; b < 3; b++) {
        real saved = g[f.n - 1 - b];
        g[f.n - 1 - b] = bad[b];
        snapshot(&f);
        EXPECT(mlp_step(f.net), MLP_ERR_NONFINITE, "step non-finite grad");
        g[f.n - 1 - b] = saved;
    }
    /* an update that overflows: lr·g = 1e300 · 1e300 = Inf (in float
     * 1e30 · 1e30) for θ_0 while every other θ_k - lr·g_k is finite:
     * nothing may be written */
    ck_assert_int_eq(mlp_set_sgd(f.net, TEST_BY_PRECISION(1e300, 1e30), 0),
                     MLP_OK);
    g[0] = (real)TEST_BY_PRECISION(1e300, 1e30);
    snapshot(&f);
    EXPECT(mlp_step(f.net), MLP_ERR_NONFINITE, "step overflowing update");
    teardown(&f);
}
END_TEST

/* A batch of more rows than the BLAS index type (int) can count is
 * MLP_ERR_ARG even where batch * n_l fits in size_t, as mlp.h says. The
 * arrays are real: INT_MAX + 1 rows of one input and one output, mapped
 * without reserving memory (all zeros, so finite); the calls refuse the
 * batch before reading them. */
START_TEST(test_batch_past_blas_int)
{
    size_t rows = (size_t)INT_MAX + 1, bytes = rows * sizeof(real);
    real *X = mmap(NULL, bytes, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
                   MAP_NORESERVE, -1, 0);
    real *Y = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE |
                   MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    ck_assert(X != MAP_FAILED && Y != MAP_FAILED);
    mlp_t *net;
    mlp_activation id = MLP_IDENTITY;
    ck_assert_int_eq(mlp_create(&net, 1, (size_t[]){ 1, 1 }, &id, MLP_MSE, 1),
                     MLP_OK);
    mlp_workspace_t *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 1), MLP_OK);
    real before[2], grads[2];
    memcpy(before, mlp_params(net), sizeof before);
    memcpy(grads, mlp_grads(net), sizeof grads);
    ck_assert_int_eq(mlp_predict(net, rows, X, Y), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_backprop(net, rows, X, X, NULL), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_train_batch(net, rows, X, X, NULL), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_predict_ws(net, ws, rows, X, Y), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_jacobian(net, ws, rows, X, Y), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_vjp(net, ws, rows, X, X, Y), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_jvp(net, ws, rows, X, X, Y), MLP_ERR_ARG);
    mlp_workspace_t *big = (mlp_workspace_t *)&rows; /* must be reset */
    ck_assert_int_eq(mlp_workspace_create(&big, net, rows), MLP_ERR_ARG);
    ck_assert_ptr_null(big);
    /* mlp_fit: batches of the whole data set, INT_MAX + 1 rows */
    mlp_fit_options o;
    mlp_fit_defaults(&o);
    o.batch_size = SIZE_MAX;
    mlp_fit_result r;
    ck_assert_int_eq(mlp_fit(net, rows, X, X, &o, &r), MLP_ERR_ARG);
    ck_assert_int_eq(r.stop, MLP_FIT_FAILED);
    ck_assert_mem_eq(mlp_params(net), before, sizeof before);
    ck_assert_mem_eq(mlp_grads(net), grads, sizeof grads);
    mlp_workspace_free(ws);
    mlp_free(net);
    munmap(X, bytes);
    munmap(Y, bytes);
}
END_TEST

START_TEST(test_strerror)
{
    const mlp_status all[] = { MLP_OK, MLP_ERR_ARG, MLP_ERR_NOMEM,
                               MLP_ERR_NONFINITE, MLP_ERR_IO,
                               MLP_ERR_FORMAT };
    const size_t n = sizeof all / sizeof all[0];
    for (size_t i = 0; i < n; i++) {
        const char *msg = mlp_strerror(all[i]);
        ck_assert_ptr_nonnull(msg);
        ck_assert_uint_gt(strlen(msg), 0);
        ck_assert_str_ne(msg, "unknown status");
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(msg, mlp_strerror(all[j]));
    }
    const int unknown[] = { -1, 6, 99, INT_MAX, INT_MIN };
    for (size_t k = 0; k < 5; k++) {
        const char *msg = mlp_strerror((mlp_status)unknown[k]);
        ck_assert_ptr_nonnull(msg);
        ck_assert_str_eq(msg, "unknown status");
    }
    /* the released values */
    ck_assert_int_eq(MLP_OK, 0);
    ck_assert_int_eq(MLP_ERR_ARG, 1);
    ck_assert_int_eq(MLP_ERR_NOMEM, 2);
    ck_assert_int_eq(MLP_ERR_NONFINITE, 3);
    ck_assert_int_eq(MLP_ERR_IO, 4);
    ck_assert_int_eq(MLP_ERR_FORMAT, 5);
}
END_TEST

START_TEST(test_version)
{
    char want[64];
    snprintf(want, sizeof want, "%d.%d.%d", MLP_VERSION_MAJOR,
             MLP_VERSION_MINOR, MLP_VERSION_PATCH);
    ck_assert_ptr_nonnull(mlp_version());
    ck_assert_str_eq(mlp_version(), want);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("api");
    TCase *create = tcase_create("create");
    tcase_add_test(create, test_create_bad_args);
    tcase_add_test(create, test_create_bad_combinations);
    tcase_add_test(create, test_create_count_overflow);
    suite_add_tcase(s, create);

    TCase *access = tcase_create("accessors");
    tcase_add_test(access, test_accessors);
    tcase_add_test(access, test_accessors_null);
    suite_add_tcase(s, access);

    TCase *calls = tcase_create("calls");
    tcase_add_test(calls, test_predict_bad_args);
    tcase_add_test(calls, test_predict_nonfinite);
    tcase_add_test(calls, test_backprop_bad_args);
    tcase_add_test(calls, test_backprop_nonfinite);
    tcase_add_test(calls, test_backprop_cost_overflow);
    tcase_add_test(calls, test_backprop_gradient_overflow);
    tcase_add_test(calls, test_train_batch_bad_args);
    tcase_add_test(calls, test_set_sgd_bad_args);
    tcase_add_test(calls, test_set_sgd_failure_keeps_state);
    tcase_add_test(calls, test_step_bad);
    tcase_add_test(calls, test_batch_past_blas_int);
    suite_add_tcase(s, calls);

    TCase *misc = tcase_create("info");
    tcase_add_test(misc, test_strerror);
    tcase_add_test(misc, test_version);
    suite_add_tcase(s, misc);
    return test_run_suite(s);
}
