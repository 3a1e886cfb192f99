/*
 * test_alloc.c - allocation failures, through the fault-injection hooks of
 * the test build (lib/alloc.h, MLP_FAULT_INJECTION).
 *
 * For mlp_create, and for mlp_predict, mlp_backprop and mlp_train_batch on a
 * batch larger than any seen before (so that the workspace must grow): the
 * number n of allocations the call makes is counted on an unarmed run; then
 * for every N = 1..n+1 the Nth allocation is made to fail. N <= n must give
 * MLP_ERR_NOMEM with *net NULL (create), or the parameters, gradients and
 * *cost bit for bit unchanged and the network still usable, giving on retry
 * the same bits as a twin that never failed; N = n+1 must succeed. After
 * mlp_free the count of live allocations is back to where it started (no
 * leak on any path). Calls on batches no larger than one already seen, and
 * mlp_set_sgd and mlp_step, must make no allocation at all.
 * Everything is exact: no tolerances.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "mlp.h"
#include "test_util.h"

#define N0 6
#define NL 4
#define BIG 64

static const size_t sizes[] = { N0, 9, 7, NL };
static const mlp_activation acts[] = { MLP_RELU, MLP_TANH, MLP_SOFTMAX };

static mlp_t *const poison = (mlp_t *)&poison;

static real X[BIG * N0], T[BIG * NL];

static void make_data(void)
{
    test_rng rng;
    test_rng_seed(&rng, 606);
    test_fill_uniform(&rng, X, BIG * N0, -1, 1);
    for (size_t r = 0; r < BIG; r++)
        for (size_t c = 0; c < NL; c++)
            T[r * NL + c] = c == r % NL;
}

static mlp_status create(mlp_t **net)
{
    return mlp_create(net, 3, sizes, acts, MLP_CROSS_ENTROPY, 12);
}

START_TEST(test_create_nomem)
{
    long base = mlp__live_allocations();
    mlp_t *net = NULL;
    mlp__fault_inject(0);
    ck_assert_int_eq(create(&net), MLP_OK);
    unsigned long n = mlp__alloc_calls();
    ck_assert_uint_gt(n, 0);
    ck_assert_int_gt(mlp__live_allocations(), base);
    mlp_free(net);
    ck_assert_int_eq(mlp__live_allocations(), base);

    for (unsigned long N = 1; N <= n + 1; N++) {
        net = poison;
        mlp__fault_inject(N);
        mlp_status st = create(&net);
        mlp__fault_inject(0);
        if (N <= n) {
            ck_assert_msg(st == MLP_ERR_NOMEM,
                          "allocation %lu of %lu failed: status %d", N, n, st);
            ck_assert_ptr_null(net);
        } else {
            ck_assert_int_eq(st, MLP_OK);
            ck_assert_ptr_nonnull(net);
            ck_assert_ptr_ne(net, poison);
            mlp_free(net);
        }
        ck_assert_msg(mlp__live_allocations() == base,
                      "allocation %lu of %lu failed: %ld blocks leaked", N, n,
                      mlp__live_allocations() - base);
    }
}
END_TEST

enum op { PREDICT, BACKPROP, TRAIN };
static const char *const op_name[] = { "predict", "backprop", "train_batch" };

static real Y[BIG * NL];

static mlp_status run(mlp_t *net, enum op op, size_t batch, real *cost)
{
    switch (op) {
    case PREDICT: return mlp_predict(net, batch, X, Y);
    case BACKPROP: return mlp_backprop(net, batch, X, T, cost);
    default: return mlp_train_batch(net, batch, X, T, cost);
    }
}

/* A network that has seen a batch of 1 (and, for TRAIN, has momentum so
 * that optimizer state matters). */
static mlp_t *fresh(enum op op)
{
    mlp_t *net = NULL;
    ck_assert_int_eq(create(&net), MLP_OK);
    ck_assert_int_eq(mlp_set_sgd(net, 0.05, op == TRAIN ? 0.9 : 0), MLP_OK);
    real cost;
    ck_assert_int_eq(run(net, op, 1, &cost), MLP_OK);
    if (op == TRAIN) /* one more, so that the velocity is not zero */
        ck_assert_int_eq(run(net, op, 1, &cost), MLP_OK);
    else
        ck_assert_int_eq(mlp_backprop(net, 1, X, T, NULL), MLP_OK);
    return net;
}

/* What a network that never failed gives after growing to BIG. */
struct twin {
    size_t n_params;
    real cost;
    real *params, *grads, *Y;
};

/* Grows a fresh network of op to BIG unarmed: returns the number of
 * allocations the growth made and keeps its results in *twin; then checks
 * that, once grown, no batch no larger allocates. */
static unsigned long grow_twin(enum op op, long base, struct twin *twin)
{
    mlp_t *net = fresh(op);
    size_t n_params = mlp_n_params(net);
    real twin_cost = 0;
    mlp__fault_inject(0);
    ck_assert_int_eq(run(net, op, BIG, &twin_cost), MLP_OK);
    unsigned long n = mlp__alloc_calls();
    twin->n_params = n_params;
    twin->cost = twin_cost;
    twin->params = test_reals(n_params);
    twin->grads = test_reals(n_params);
    twin->Y = test_reals(BIG * NL);
    memcpy(twin->params, mlp_params(net), n_params * sizeof(real));
    memcpy(twin->grads, mlp_grads(net), n_params * sizeof(real));
    memcpy(twin->Y, Y, sizeof Y);

    /* once grown, no allocation for a batch no larger */
    mlp__fault_inject(1);
    real cost;
    ck_assert_int_eq(run(net, op, BIG, &cost), MLP_OK);
    ck_assert_int_eq(run(net, op, 5, &cost), MLP_OK);
    ck_assert_int_eq(run(net, op, 1, &cost), MLP_OK);
    ck_assert_msg(mlp__alloc_calls() == 0, "%s allocated %lu times after "
                  "growth", op_name[op], mlp__alloc_calls());
    mlp__fault_inject(0);
    mlp_free(net);
    ck_assert_int_eq(mlp__live_allocations(), base);
    return n;
}

/* The growth of a fresh network with its Nth allocation failing (of n):
 * N <= n gives MLP_ERR_NOMEM and changes nothing, and the retry succeeds;
 * either way the results are the twin's bits and nothing leaks. params
 * and grads are scratch of n_params entries. */
static void grow_failing(enum op op, unsigned long N, unsigned long n,
                         long base, const struct twin *twin, real *params,
                         real *grads)
{
    size_t n_params = twin->n_params;
    mlp_t *net = fresh(op);
    memcpy(params, mlp_params(net), n_params * sizeof(real));
    memcpy(grads, mlp_grads(net), n_params * sizeof(real));
    real cost = 42;
    mlp__fault_inject(N);
    mlp_status st = run(net, op, BIG, &cost);
    mlp__fault_inject(0);
    if (N <= n) {
        ck_assert_msg(st == MLP_ERR_NOMEM, "%s: allocation %lu of %lu "
                      "failed: status %d", op_name[op], N, n, st);
        ck_assert_msg(memcmp(params, mlp_params(net),
                             n_params * sizeof(real)) == 0,
                      "%s: allocation %lu of %lu failed: parameters "
                      "changed", op_name[op], N, n);
        ck_assert_msg(memcmp(grads, mlp_grads(net),
                             n_params * sizeof(real)) == 0,
                      "%s: allocation %lu of %lu failed: gradients "
                      "changed", op_name[op], N, n);
        ck_assert(cost == 42);
        /* the network is intact: the retry gives the twin's bits */
        ck_assert_int_eq(run(net, op, BIG, &cost), MLP_OK);
    } else {
        ck_assert_int_eq(st, MLP_OK);
    }
    if (op != PREDICT)
        ck_assert_mem_eq(&cost, &twin->cost, sizeof cost);
    ck_assert_mem_eq(mlp_params(net), twin->params, n_params * sizeof(real));
    if (op == PREDICT)
        ck_assert_mem_eq(Y, twin->Y, sizeof Y);
    if (op == BACKPROP)
        ck_assert_mem_eq(mlp_grads(net), twin->grads, n_params * sizeof(real));
    mlp_free(net);
    ck_assert_msg(mlp__live_allocations() == base,
                  "%s: allocation %lu of %lu failed: %ld blocks leaked",
                  op_name[op], N, n, mlp__live_allocations() - base);
}

/* _i: the operation. */
START_TEST(test_growth_nomem)
{
    enum op op = (enum op)_i;
    make_data();
    long base = mlp__live_allocations();

    /* count the allocations of the growth, and the twin's results */
    struct twin twin;
    unsigned long n = grow_twin(op, base, &twin);

    real *params = test_reals(twin.n_params), *grads = test_reals(twin.n_params);
    for (unsigned long N = 1; N <= n + 1; N++)
        grow_failing(op, N, n, base, &twin, params, grads);
    free(params);
    free(grads);
    free(twin.params);
    free(twin.grads);
    free(twin.Y);
}
END_TEST

/* mlp.h: mlp_step never allocates (its statuses have no MLP_ERR_NOMEM),
 * nor do backprop and train_batch on a batch no larger than one seen. */
START_TEST(test_step_allocates_nothing)
{
    make_data();
    long base = mlp__live_allocations();
    mlp_t *net = NULL;
    ck_assert_int_eq(create(&net), MLP_OK);
    ck_assert_int_eq(mlp_backprop(net, 8, X, T, NULL), MLP_OK);
    for (int momentum = 0; momentum <= 1; momentum++) {
        ck_assert_int_eq(mlp_set_sgd(net, 0.1, momentum ? 0.9 : 0), MLP_OK);
        mlp__fault_inject(1);
        ck_assert_int_eq(mlp_step(net), MLP_OK);
        ck_assert_int_eq(mlp_step(net), MLP_OK);
        ck_assert_int_eq(mlp_backprop(net, 8, X, T, NULL), MLP_OK);
        ck_assert_int_eq(mlp_train_batch(net, 3, X, T, NULL), MLP_OK);
        ck_assert_uint_eq(mlp__alloc_calls(), 0);
        mlp__fault_inject(0);
    }
    mlp_free(net);
    ck_assert_int_eq(mlp__live_allocations(), base);
}
END_TEST

/* mlp.h documents MLP_ERR_ARG as mlp_set_sgd's only failure: it must not
 * depend on an allocation (e.g. of the momentum velocity) that can fail. */
/* mlp_set_sgd allocates only the momentum velocity. When that allocation
 * fails it returns MLP_ERR_NOMEM and the previous optimizer stays: the next
 * steps match those of a twin network that never saw the failed call. */
START_TEST(test_set_sgd_nomem_keeps_optimizer)
{
    make_data();
    long base = mlp__live_allocations();
    mlp_t *net = NULL, *twin = NULL;
    ck_assert_int_eq(create(&net), MLP_OK);
    ck_assert_int_eq(create(&twin), MLP_OK);
    ck_assert_int_eq(mlp_set_sgd(net, 0.1, 0.5), MLP_OK);
    ck_assert_int_eq(mlp_set_sgd(twin, 0.1, 0.5), MLP_OK);
    ck_assert_int_eq(mlp_train_batch(net, 8, X, T, NULL), MLP_OK);
    ck_assert_int_eq(mlp_train_batch(twin, 8, X, T, NULL), MLP_OK);

    /* Plain SGD needs no velocity: no allocation at all. */
    mlp__fault_inject(1);
    mlp_status st = mlp_set_sgd(net, 0.1, 0.0);
    unsigned long calls = mlp__alloc_calls();
    mlp__fault_inject(0);
    ck_assert_int_eq(st, MLP_OK);
    ck_assert_uint_eq(calls, 0);
    ck_assert_int_eq(mlp_set_sgd(net, 0.1, 0.5), MLP_OK);
    ck_assert_int_eq(mlp_set_sgd(twin, 0.1, 0.5), MLP_OK);

    /* Momentum with its one allocation failing. */
    mlp__fault_inject(1);
    st = mlp_set_sgd(net, 0.7, 0.9);
    calls = mlp__alloc_calls();
    mlp__fault_inject(0);
    ck_assert_int_eq(st, MLP_ERR_NOMEM);
    ck_assert_uint_eq(calls, 1);

    /* Still lr 0.1, momentum 0.5, with the same velocity as the twin. */
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(mlp_train_batch(net, 8, X, T, NULL), MLP_OK);
        ck_assert_int_eq(mlp_train_batch(twin, 8, X, T, NULL), MLP_OK);
    }
    ck_assert_mem_eq(mlp_params(net), mlp_params(twin),
                     mlp_n_params(net) * sizeof(real));
    mlp_free(net);
    mlp_free(twin);
    ck_assert_int_eq(mlp__live_allocations(), base);
}
END_TEST

/* Failed calls of every kind leak nothing either. */
START_TEST(test_errors_do_not_leak)
{
    make_data();
    long base = mlp__live_allocations();
    mlp_t *net = poison;
    size_t bad_sizes[] = { N0, 0, NL };
    ck_assert_int_eq(mlp_create(&net, 2, bad_sizes, NULL, MLP_MSE, 1),
                     MLP_ERR_ARG);
    ck_assert_ptr_null(net);
    mlp_activation bad_acts[] = { MLP_SOFTMAX, MLP_TANH, MLP_SOFTMAX };
    ck_assert_int_eq(mlp_create(&net, 3, sizes, bad_acts, MLP_CROSS_ENTROPY,
                                1), MLP_ERR_ARG);
    ck_assert_int_eq(mlp__live_allocations(), base);
    ck_assert_int_eq(create(&net), MLP_OK);
    real Xbad[BIG * N0];
    memcpy(Xbad, X, sizeof Xbad);
    Xbad[BIG * N0 - 1] = NAN; /* in the last row */
    ck_assert_int_eq(mlp_predict(net, BIG, Xbad, Y), MLP_ERR_NONFINITE);
    ck_assert_int_eq(mlp_backprop(net, BIG, Xbad, T, NULL),
                     MLP_ERR_NONFINITE);
    ck_assert_int_eq(mlp_train_batch(net, BIG, Xbad, T, NULL),
                     MLP_ERR_NONFINITE);
    mlp_free(net);
    ck_assert_int_eq(mlp__live_allocations(), base);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("alloc");
    TCase *tc = tcase_create("fault_injection");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_create_nomem);
    tcase_add_loop_test(tc, test_growth_nomem, PREDICT, TRAIN + 1);
    tcase_add_test(tc, test_step_allocates_nothing);
    tcase_add_test(tc, test_set_sgd_nomem_keeps_optimizer);
    tcase_add_test(tc, test_errors_do_not_leak);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
