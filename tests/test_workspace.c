/*
 * test_workspace.c - workspaces and mlp_predict_ws.
 *
 * - mlp_predict_ws gives bitwise what mlp_predict gives (the same code on
 *   another workspace), for every output activation and batch 1 and > 1,
 *   and leaves the network's bytes (parameters, gradients) untouched.
 * - One workspace serves every network of its sizes; a workspace made for
 *   other sizes is refused with MLP_ERR_ARG.
 * - The workspace grows for a larger batch and, once grown, allocates
 *   nothing (counted by the fault-injection build); a failed growth gives
 *   MLP_ERR_NOMEM and leaves the workspace usable; every allocation
 *   failure of mlp_workspace_create gives MLP_ERR_NOMEM and leaks nothing.
 * - Bad arguments: NULLs, batch 0, NaN and Inf inputs, an overflowing
 *   batch.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "mlp.h"
#include "test_util.h"

static mlp_t *random_net(uint64_t seed, mlp_activation out, mlp_loss loss,
                         test_shape *shape)
{
    test_rng rng;
    test_rng_seed(&rng, seed);
    test_random_shape(&rng, shape, 1 + seed % 3, 12, -1, out, loss);
    mlp_t *net = test_create(shape, seed);
    test_fill_uniform(&rng, mlp_params(net), mlp_n_params(net), -1, 1);
    return net;
}

START_TEST(test_equals_predict)
{
    const test_output *o = &test_outputs[_i];
    for (size_t b = 0; b < TEST_N_BATCHES; b++) {
        size_t B = test_batches[b];
        test_shape shape;
        mlp_t *net = random_net(40 + 10 * (uint64_t)_i + b, o->out, o->loss,
                                &shape);
        size_t n0 = shape.sizes[0], nL = shape.sizes[shape.n_layers];
        size_t np = mlp_n_params(net);
        real *X = test_reals(B * n0), *Y = test_reals(B * nL);
        real *Yws = test_reals(B * nL);
        real *before = test_reals(2 * np);
        test_rng rng;
        test_rng_seed(&rng, 7 + b);
        test_fill_uniform(&rng, X, B * n0, -2, 2);
        test_fill_uniform(&rng, mlp_grads(net), np, -1, 1);
        memcpy(before, mlp_params(net), np * sizeof *before);
        memcpy(before + np, mlp_grads(net), np * sizeof *before);

        mlp_workspace_t *ws = NULL;
        /* max_batch 1: a larger batch makes it grow */
        ck_assert_int_eq(mlp_workspace_create(&ws, net, 1), MLP_OK);
        ck_assert_int_eq(mlp_predict_ws(net, ws, B, X, Yws), MLP_OK);
        ck_assert_int_eq(mlp_predict(net, B, X, Y), MLP_OK);
        ck_assert_msg(memcmp(Y, Yws, B * nL * sizeof *Y) == 0,
                      "output %d B=%zu: predict_ws differs from predict",
                      (int)o->out, B);
        ck_assert(memcmp(before, mlp_params(net), np * sizeof *before) == 0);
        ck_assert(memcmp(before + np, mlp_grads(net), np * sizeof *before) == 0);
        mlp_workspace_free(ws);
        free(X);
        free(Y);
        free(Yws);
        free(before);
        mlp_free(net);
    }
}
END_TEST

START_TEST(test_shared_between_networks)
{
    size_t sizes[] = { 5, 7, 3 }, other[] = { 5, 8, 3 };
    mlp_t *a = NULL, *b = NULL, *c = NULL;
    ck_assert_int_eq(mlp_create(&a, 2, sizes, NULL, MLP_MSE, 1), MLP_OK);
    ck_assert_int_eq(mlp_create(&b, 2, sizes, NULL, MLP_MSE, 2), MLP_OK);
    ck_assert_int_eq(mlp_create(&c, 2, other, NULL, MLP_MSE, 3), MLP_OK);
    real X[2 * 5] = { 1, -1, 0.5, 0.25, 2, 0, 1, -2, 3, 0.5 };
    real Ya[6], Yb[6], want[6];
    mlp_workspace_t *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, a, 2), MLP_OK);
    ck_assert_int_eq(mlp_predict_ws(a, ws, 2, X, Ya), MLP_OK);
    ck_assert_int_eq(mlp_predict_ws(b, ws, 2, X, Yb), MLP_OK);
    ck_assert_int_eq(mlp_predict(a, 2, X, want), MLP_OK);
    ck_assert(memcmp(Ya, want, sizeof want) == 0);
    ck_assert_int_eq(mlp_predict(b, 2, X, want), MLP_OK);
    ck_assert(memcmp(Yb, want, sizeof want) == 0);
    ck_assert(memcmp(Ya, Yb, sizeof Ya) != 0); /* other weights */
    /* a hidden layer of another width: refused, Y untouched */
    real Yc[6] = { 42 };
    ck_assert_int_eq(mlp_predict_ws(c, ws, 2, X, Yc), MLP_ERR_ARG);
    ck_assert(Yc[0] == 42);
    mlp_workspace_free(ws);
    mlp_free(a);
    mlp_free(b);
    mlp_free(c);
}
END_TEST

START_TEST(test_bad_args)
{
    size_t sizes[] = { 3, 4, 2 };
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 2, sizes, NULL, MLP_MSE, 5), MLP_OK);
    mlp_workspace_t *ws = (mlp_workspace_t *)&sizes; /* must be reset */
    ck_assert_int_eq(mlp_workspace_create(&ws, NULL, 4), MLP_ERR_ARG);
    ck_assert_ptr_null(ws);
    ck_assert_int_eq(mlp_workspace_create(NULL, net, 4), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 0), MLP_ERR_ARG);
    ck_assert_ptr_null(ws);
    ck_assert_int_eq(mlp_workspace_create(&ws, net, SIZE_MAX), MLP_ERR_ARG);
    ck_assert_ptr_null(ws);
    mlp_workspace_free(NULL);

    ck_assert_int_eq(mlp_workspace_create(&ws, net, 4), MLP_OK);
    real X[6] = { 0.5, -1, 2, 1, 1, 1 }, Y[4];
    ck_assert_int_eq(mlp_predict_ws(NULL, ws, 1, X, Y), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_predict_ws(net, NULL, 1, X, Y), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_predict_ws(net, ws, 1, NULL, Y), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_predict_ws(net, ws, 1, X, NULL), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_predict_ws(net, ws, 0, X, Y), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_predict_ws(net, ws, SIZE_MAX / 2, X, Y), MLP_ERR_ARG);
    X[4] = NAN;
    ck_assert_int_eq(mlp_predict_ws(net, ws, 2, X, Y), MLP_ERR_NONFINITE);
    X[4] = -INFINITY;
    ck_assert_int_eq(mlp_predict_ws(net, ws, 2, X, Y), MLP_ERR_NONFINITE);
    /* the first row alone is fine, and the workspace still works */
    ck_assert_int_eq(mlp_predict_ws(net, ws, 1, X, Y), MLP_OK);
    mlp_workspace_free(ws);
    mlp_free(net);
}
END_TEST

/* Plan, then execute: no allocation once the workspace has grown; a
 * failed growth is MLP_ERR_NOMEM and leaves a usable workspace. */
START_TEST(test_growth_and_allocation_failures)
{
    size_t sizes[] = { 6, 9, 4 };
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 2, sizes, NULL, MLP_MSE, 9), MLP_OK);
    real X[16 * 6], Y[16 * 4], Y1[16 * 4];
    for (size_t i = 0; i < 16 * 6; i++)
        X[i] = sin((real)i);
    long base = mlp__live_allocations();

    /* every failure of create: NOMEM, *ws NULL, nothing leaked */
    mlp__fault_inject(0);
    mlp_workspace_t *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 8), MLP_OK);
    unsigned long n = mlp__alloc_calls();
    mlp_workspace_free(ws);
    ck_assert_int_eq(mlp__live_allocations(), base);
    for (unsigned long N = 1; N <= n; N++) {
        mlp__fault_inject(N);
        mlp_status st = mlp_workspace_create(&ws, net, 8);
        mlp__fault_inject(0);
        ck_assert_msg(st == MLP_ERR_NOMEM, "allocation %lu of %lu", N, n);
        ck_assert_ptr_null(ws);
        ck_assert_int_eq(mlp__live_allocations(), base);
    }

    ck_assert_int_eq(mlp_workspace_create(&ws, net, 8), MLP_OK);
    ck_assert_int_eq(mlp_predict_ws(net, ws, 8, X, Y1), MLP_OK);
    mlp__fault_inject(1); /* the next allocation would fail */
    ck_assert_int_eq(mlp_predict_ws(net, ws, 8, X, Y), MLP_OK);
    ck_assert_int_eq(mlp_predict_ws(net, ws, 3, X, Y), MLP_OK);
    ck_assert_uint_eq(mlp__alloc_calls(), 0);
    /* growing to 16 fails: NOMEM, and batches of 8 still work */
    ck_assert_int_eq(mlp_predict_ws(net, ws, 16, X, Y), MLP_ERR_NOMEM);
    mlp__fault_inject(0);
    ck_assert_int_eq(mlp_predict_ws(net, ws, 8, X, Y), MLP_OK);
    ck_assert(memcmp(Y, Y1, 8 * 4 * sizeof *Y) == 0);
    ck_assert_int_eq(mlp_predict_ws(net, ws, 16, X, Y), MLP_OK);
    mlp__fault_inject(1);
    ck_assert_int_eq(mlp_predict_ws(net, ws, 16, X, Y), MLP_OK);
    ck_assert_uint_eq(mlp__alloc_calls(), 0);
    mlp__fault_inject(0);
    mlp_workspace_free(ws);
    ck_assert_int_eq(mlp__live_allocations(), base);
    mlp_free(net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("workspace");
    TCase *tc = tcase_create("predict_ws");
    tcase_add_loop_test(tc, test_equals_predict, 0, TEST_N_OUTPUTS);
    tcase_add_test(tc, test_shared_between_networks);
    tcase_add_test(tc, test_bad_args);
    tcase_add_test(tc, test_growth_and_allocation_failures);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
