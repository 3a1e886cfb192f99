/*
 * test_jacobian.c - mlp_jacobian, mlp_vjp and mlp_jvp.
 *
 * - mlp_jacobian against central finite differences of mlp_predict, for
 *   every output activation (softmax's full Jacobian included) and every
 *   hidden activation, depth 1-3, batch 1 and 3, in both modes (n_L <= n_0
 *   takes reverse mode, n_L > n_0 forward mode). Step h = 1e-5: the
 *   truncation error h^2 f'''/6 and the rounding eps |f| / h are both
 *   near 1e-10, so a norm-wise tolerance of 1e-7 leaves a margin of 1000
 *   and still catches a wrong term (an error of one derivative is O(1)).
 * - The identities that tie the three together, to 1e-12 relative to the
 *   terms' magnitudes (a few roundings per product): V^T (J D) = (V^T J) D
 *   for random V and D; row i of J_b = the vjp of e_i; column j = the jvp
 *   of e_j.
 * - Input and output scaling included: J = diag(out_std) J_net
 *   diag(1 / in_std), against finite differences of the scaled predict.
 * - Bad inputs: NULLs, a workspace of other sizes, batch 0, overflow, NaN
 *   and Inf in X, V and D, an overflowing network; no allocation once the
 *   scratch has grown, and a failed growth leaves the workspace usable.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "mlp.h"
#include "test_util.h"

/* In float (the suite is built for both precisions) the predictions
 * carry a rounding of a few eps_f |f| ~ 3e-7 |f|, so the step is 1e-2
 * (truncation h^2 |f'''| / 6 ~ 2e-5, rounding 3e-7 / h ~ 3e-5) and the
 * tolerance 2e-3: a margin of ~50, and still far below the O(1) error of
 * a wrong term. */
#define FD_STEP TEST_BY_PRECISION(1e-5, 2e-3)
#define FD_TOL TEST_BY_PRECISION(1e-7, 2e-3)
/* The norm-wise floor of the comparison: the rounding eps |f| / h is
 * relative to the outputs, not to a small derivative (3e-5 |f| in
 * float, so 0.1 there: 2e-3 * 0.1 = 2e-4). */
#define FD_FLOOR TEST_BY_PRECISION(1e-3, 1e-1)
#define ID_TOL TEST_ULPS(1e-12)

struct setup {
    test_shape shape;
    mlp_t *net;
    mlp_workspace_t *ws;
    size_t n0, nL, batch;
    real *X;
};

/* A network with n0 inputs and nL outputs, random hidden sizes, the given
 * activations, random parameters, and a random batch. */
static void setup(struct setup *s, uint64_t seed, size_t depth, size_t n0,
                  size_t nL, int hidden, const test_output *o, size_t batch)
{
    test_rng rng;
    test_rng_seed(&rng, seed);
    test_random_shape(&rng, &s->shape, depth, 9, hidden, o->out, o->loss);
    s->shape.sizes[0] = n0;
    s->shape.sizes[depth] = nL;
    s->net = test_create(&s->shape, seed);
    test_fill_uniform(&rng, mlp_params(s->net), mlp_n_params(s->net), -1, 1);
    s->n0 = n0;
    s->nL = nL;
    s->batch = batch;
    s->X = test_reals(batch * n0);
    test_fill_uniform(&rng, s->X, batch * n0, -1.5, 1.5);
    ck_assert_int_eq(mlp_workspace_create(&s->ws, s->net, batch), MLP_OK);
}

static void teardown(struct setup *s)
{
    mlp_workspace_free(s->ws);
    mlp_free(s->net);
    free(s->X);
}

/* Central differences of mlp_predict, one input at a time, for every
 * sample at once (the samples are independent). */
static void finite_differences(struct setup *s, real *J)
{
    size_t B = s->batch, n0 = s->n0, nL = s->nL;
    real *Xp = test_reals(B * n0), *Yp = test_reals(B * nL);
    real *Ym = test_reals(B * nL);
    for (size_t j = 0; j < n0; j++) {
        memcpy(Xp, s->X, B * n0 * sizeof *Xp);
        for (size_t b = 0; b < B; b++)
            Xp[b * n0 + j] += FD_STEP;
        ck_assert_int_eq(mlp_predict(s->net, B, Xp, Yp), MLP_OK);
        for (size_t b = 0; b < B; b++)
            Xp[b * n0 + j] -= 2 * FD_STEP;
        ck_assert_int_eq(mlp_predict(s->net, B, Xp, Ym), MLP_OK);
        for (size_t b = 0; b < B; b++)
            for (size_t i = 0; i < nL; i++)
                J[(b * nL + i) * n0 + j] =
                    (Yp[b * nL + i] - Ym[b * nL + i]) / (2 * FD_STEP);
    }
    free(Xp);
    free(Yp);
    free(Ym);
}

/* _i runs over outputs x hidden activations. */
START_TEST(test_matches_finite_differences)
{
    const test_output *o = &test_outputs[_i / TEST_N_HIDDENS];
    int hidden = (int)test_hiddens[_i % TEST_N_HIDDENS];
#ifdef MLP_SINGLE
    /* The float step (2e-3) crosses ReLU kinks, where a difference
     * quotient means nothing; test_precision.c checks the float ReLU
     * derivatives against the double library on the same parameters. */
    if (hidden == MLP_RELU || o->out == MLP_RELU)
        return;
#endif
    /* reverse mode (n_L <= n_0) and forward mode (n_L > n_0) */
    const size_t io[2][2] = { { 6, 3 }, { 2, 5 } };
    for (size_t depth = 1; depth <= 3; depth++)
        for (size_t m = 0; m < 2; m++)
            for (size_t B = 1; B <= 3; B += 2) {
                struct setup s;
                setup(&s, 500u + 100u * (uint64_t)_i + 10u * depth + m + B,
                      depth, io[m][0], io[m][1], hidden, o, B);
                size_t n = B * s.nL * s.n0;
                real *J = test_reals(n), *want = test_reals(n);
                ck_assert_int_eq(mlp_jacobian(s.net, s.ws, B, s.X, J), MLP_OK);
                finite_differences(&s, want);
                char what[120];
                snprintf(what, sizeof what,
                         "out=%d hidden=%d L=%zu n0=%zu nL=%zu B=%zu J",
                         (int)o->out, hidden, depth, s.n0, s.nL, B);
                test_assert_close(what, J, want, n, FD_TOL,
                                  test_max_abs(want, n) + FD_FLOOR);
                free(J);
                free(want);
                teardown(&s);
            }
}
END_TEST

/* Row i of every J_b is the vjp of e_i, column j the jvp of e_j. V, D, G
 * and U are scratch of the batch's sizes. */
static void check_rows_and_columns(const struct setup *s, const real *J,
                                   real *V, real *D, real *G, real *U)
{
    size_t B = s->batch, n0 = s->n0, nL = s->nL;
    /* rows: the vjp of e_i for every sample at once */
    double jmax = test_max_abs(J, B * nL * n0);
    for (size_t i = 0; i < nL; i++) {
        memset(V, 0, B * nL * sizeof *V);
        for (size_t b = 0; b < B; b++)
            V[b * nL + i] = 1.0;
        ck_assert_int_eq(mlp_vjp(s->net, s->ws, B, s->X, V, G), MLP_OK);
        for (size_t b = 0; b < B; b++)
            test_assert_close("J row = vjp(e_i)", G + b * n0,
                              J + (b * nL + i) * n0, n0, ID_TOL, jmax);
    }
    /* columns: the jvp of e_j */
    for (size_t j = 0; j < n0; j++) {
        memset(D, 0, B * n0 * sizeof *D);
        for (size_t b = 0; b < B; b++)
            D[b * n0 + j] = 1.0;
        ck_assert_int_eq(mlp_jvp(s->net, s->ws, B, s->X, D, U), MLP_OK);
        for (size_t b = 0; b < B; b++)
            for (size_t i = 0; i < nL; i++)
                ck_assert_msg(fabs(U[b * nL + i] -
                                   J[(b * nL + i) * n0 + j]) <=
                                  ID_TOL * jmax,
                              "J column %zu != jvp(e_j) at b=%zu i=%zu", j,
                              b, i);
    }
}

/* V^T (J D) = (V^T J) D, and J's rows and columns are the vjps and jvps
 * of unit vectors. */
START_TEST(test_identities)
{
    const test_output *o = &test_outputs[_i / TEST_N_HIDDENS];
    int hidden = (int)test_hiddens[_i % TEST_N_HIDDENS];
    const size_t io[2][2] = { { 7, 4 }, { 3, 8 } };
    for (size_t m = 0; m < 2; m++) {
        size_t B = 4;
        struct setup s;
        setup(&s, 900u + 10u * (uint64_t)_i + m, 2 + m, io[m][0], io[m][1],
              hidden, o, B);
        size_t n0 = s.n0, nL = s.nL;
        real *V = test_reals(B * nL), *D = test_reals(B * n0);
        real *G = test_reals(B * n0), *U = test_reals(B * nL);
        real *J = test_reals(B * nL * n0);
        test_rng rng;
        test_rng_seed(&rng, 31u + (uint64_t)_i);
        test_fill_uniform(&rng, V, B * nL, -1, 1);
        test_fill_uniform(&rng, D, B * n0, -1, 1);
        ck_assert_int_eq(mlp_vjp(s.net, s.ws, B, s.X, V, G), MLP_OK);
        ck_assert_int_eq(mlp_jvp(s.net, s.ws, B, s.X, D, U), MLP_OK);
        ck_assert_int_eq(mlp_jacobian(s.net, s.ws, B, s.X, J), MLP_OK);
        for (size_t b = 0; b < B; b++) {
            real vu = 0, gd = 0, mag = 0;
            for (size_t i = 0; i < nL; i++) {
                vu += V[b * nL + i] * U[b * nL + i];
                mag += fabs(V[b * nL + i] * U[b * nL + i]);
            }
            for (size_t j = 0; j < n0; j++) {
                gd += G[b * n0 + j] * D[b * n0 + j];
                mag += fabs(G[b * n0 + j] * D[b * n0 + j]);
            }
            ck_assert_msg(fabs(vu - gd) <= ID_TOL * (mag + 1e-300),
                          "sample %zu: V^T(JD) = %.17g, (V^T J)D = %.17g", b,
                          vu, gd);
        }
        check_rows_and_columns(&s, J, V, D, G, U);
        free(V);
        free(D);
        free(G);
        free(U);
        free(J);
        teardown(&s);
    }
}
END_TEST

/* With input and output scaling, Y = net((X - m_in) / s_in) s_out + m_out,
 * so J = diag(s_out) J_net diag(1 / s_in): against finite differences of
 * mlp_predict (which scales), both modes, and the vjp/jvp identity. */
START_TEST(test_scaling_included)
{
    const test_output *o = &test_outputs[_i];
    const size_t io[2][2] = { { 5, 3 }, { 2, 4 } };
    for (size_t m = 0; m < 2; m++) {
        size_t B = 3;
        struct setup s;
        setup(&s, 1300u + 10u * (uint64_t)_i + m, 2, io[m][0], io[m][1],
              MLP_TANH, o, B);
        size_t n0 = s.n0, nL = s.nL, n = B * nL * n0;
        real in_mean[5], in_std[5], out_mean[4], out_std[4];
        test_rng rng;
        test_rng_seed(&rng, 77u + (uint64_t)_i + m);
        test_fill_uniform(&rng, in_mean, n0, -2, 2);
        test_fill_uniform(&rng, in_std, n0, 0.3, 3);
        test_fill_uniform(&rng, out_mean, nL, -2, 2);
        test_fill_uniform(&rng, out_std, nL, 0.5, 4);
        ck_assert_int_eq(mlp_set_scaling(s.net, in_mean, in_std, out_mean,
                                         out_std), MLP_OK);
        for (size_t i = 0; i < B * n0; i++)
            s.X[i] = s.X[i] * in_std[i % n0] + in_mean[i % n0];
        real *J = test_reals(n), *want = test_reals(n);
        ck_assert_int_eq(mlp_jacobian(s.net, s.ws, B, s.X, J), MLP_OK);
        finite_differences(&s, want);
        test_assert_close("scaled J", J, want, n, FD_TOL,
                          test_max_abs(want, n) + FD_FLOOR);
        /* V^T (J D) = (V^T J) D, with G and U against J itself */
        real V[3 * 4], D[3 * 5], G[3 * 5], U[3 * 4];
        test_fill_uniform(&rng, V, B * nL, -1, 1);
        test_fill_uniform(&rng, D, B * n0, -1, 1);
        ck_assert_int_eq(mlp_vjp(s.net, s.ws, B, s.X, V, G), MLP_OK);
        ck_assert_int_eq(mlp_jvp(s.net, s.ws, B, s.X, D, U), MLP_OK);
        real jmax = test_max_abs(J, n);
        for (size_t b = 0; b < B; b++)
            for (size_t j = 0; j < n0; j++) {
                real g = 0;
                for (size_t i = 0; i < nL; i++)
                    g += V[b * nL + i] * J[(b * nL + i) * n0 + j];
                ck_assert_msg(fabs(g - G[b * n0 + j]) <= ID_TOL * 10 * jmax,
                              "scaled vjp: %g vs V^T J %g", G[b * n0 + j], g);
            }
        for (size_t b = 0; b < B; b++)
            for (size_t i = 0; i < nL; i++) {
                real u = 0;
                for (size_t j = 0; j < n0; j++)
                    u += J[(b * nL + i) * n0 + j] * D[b * n0 + j];
                ck_assert_msg(fabs(u - U[b * nL + i]) <= ID_TOL * 10 * jmax,
                              "scaled jvp: %g vs J D %g", U[b * nL + i], u);
            }
        free(J);
        free(want);
        teardown(&s);
    }
}
END_TEST

START_TEST(test_bad_args)
{
    size_t sizes[] = { 3, 4, 2 }, other[] = { 3, 5, 2 };
    mlp_t *net = NULL, *net2 = NULL;
    ck_assert_int_eq(mlp_create(&net, 2, sizes, NULL, MLP_MSE, 5), MLP_OK);
    ck_assert_int_eq(mlp_create(&net2, 2, other, NULL, MLP_MSE, 5), MLP_OK);
    mlp_workspace_t *ws = NULL, *ws2 = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 2), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create(&ws2, net2, 2), MLP_OK);
    real X[6] = { 0.5, -1, 2, 1, 1, 1 }, V[4] = { 1, 2, 3, 4 };
    real D[6] = { 1, 0, 0, 0, 1, 0 }, G[6], U[4], J[12];

    ck_assert_int_eq(mlp_jacobian(NULL, ws, 1, X, J), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_jacobian(net, NULL, 1, X, J), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_jacobian(net, ws, 1, NULL, J), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_jacobian(net, ws, 1, X, NULL), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_jacobian(net, ws, 0, X, J), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_jacobian(net, ws2, 1, X, J), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_jacobian(net, ws, SIZE_MAX / 2, X, J), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_vjp(NULL, ws, 1, X, V, G), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_vjp(net, NULL, 1, X, V, G), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_vjp(net, ws, 1, NULL, V, G), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_vjp(net, ws, 1, X, NULL, G), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_vjp(net, ws, 1, X, V, NULL), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_vjp(net, ws, 0, X, V, G), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_vjp(net, ws2, 1, X, V, G), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_jvp(NULL, ws, 1, X, D, U), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_jvp(net, NULL, 1, X, D, U), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_jvp(net, ws, 1, NULL, D, U), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_jvp(net, ws, 1, X, NULL, U), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_jvp(net, ws, 1, X, D, NULL), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_jvp(net, ws, 0, X, D, U), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_jvp(net, ws2, 1, X, D, U), MLP_ERR_ARG);

    /* NaN and Inf in X (second sample), V and D */
    X[4] = NAN;
    ck_assert_int_eq(mlp_jacobian(net, ws, 2, X, J), MLP_ERR_NONFINITE);
    ck_assert_int_eq(mlp_vjp(net, ws, 2, X, V, G), MLP_ERR_NONFINITE);
    ck_assert_int_eq(mlp_jvp(net, ws, 2, X, D, U), MLP_ERR_NONFINITE);
    X[4] = INFINITY;
    ck_assert_int_eq(mlp_jacobian(net, ws, 2, X, J), MLP_ERR_NONFINITE);
    X[4] = 1;
    V[3] = NAN;
    ck_assert_int_eq(mlp_vjp(net, ws, 2, X, V, G), MLP_ERR_NONFINITE);
    V[3] = -INFINITY;
    ck_assert_int_eq(mlp_vjp(net, ws, 2, X, V, G), MLP_ERR_NONFINITE);
    D[5] = NAN;
    ck_assert_int_eq(mlp_jvp(net, ws, 2, X, D, U), MLP_ERR_NONFINITE);
    /* the first sample alone is fine */
    ck_assert_int_eq(mlp_vjp(net, ws, 1, X, V, G), MLP_OK);
    ck_assert_int_eq(mlp_jvp(net, ws, 1, X, D, U), MLP_OK);
    ck_assert_int_eq(mlp_jacobian(net, ws, 1, X, J), MLP_OK);
    mlp_workspace_free(ws);
    mlp_workspace_free(ws2);
    mlp_free(net);
    mlp_free(net2);
}
END_TEST

/* Finite inputs, but derivatives beyond the largest value: an identity
 * network whose weights are 1e200 (1e20 in float) per layer has
 * dy/dx = 1e400 (1e40). */
START_TEST(test_overflowing_derivatives)
{
    size_t sizes[] = { 2, 2, 2 };
    mlp_activation acts[] = { MLP_IDENTITY, MLP_IDENTITY };
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 2, sizes, acts, MLP_MSE, 5), MLP_OK);
    real *p = mlp_params(net);
    for (size_t i = 0; i < mlp_n_params(net); i++)
        p[i] = 0.0;
    mlp_weights(net, 1)[0] = (real)TEST_BY_PRECISION(1e200, 1e20);
    mlp_weights(net, 2)[0] = (real)TEST_BY_PRECISION(1e200, 1e20);
    mlp_workspace_t *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 1), MLP_OK);
    real X[2] = { 0, 0 }, V[2] = { 1, 0 }, D[2] = { 1, 0 }, G[2], U[2];
    real J[4], Y[2];
    /* the outputs are finite (x = 0) */
    ck_assert_int_eq(mlp_predict_ws(net, ws, 1, X, Y), MLP_OK);
    ck_assert_int_eq(mlp_jacobian(net, ws, 1, X, J), MLP_ERR_NONFINITE);
    ck_assert_int_eq(mlp_vjp(net, ws, 1, X, V, G), MLP_ERR_NONFINITE);
    ck_assert_int_eq(mlp_jvp(net, ws, 1, X, D, U), MLP_ERR_NONFINITE);
    mlp_workspace_free(ws);
    mlp_free(net);
}
END_TEST

/* Plan, then execute: once the Jacobian scratch has grown, no call
 * allocates; a failed growth is MLP_ERR_NOMEM and the workspace still
 * works. */
START_TEST(test_no_allocation_once_grown)
{
    size_t sizes[] = { 5, 6, 3 };
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 2, sizes, NULL, MLP_MSE, 3), MLP_OK);
    mlp_workspace_t *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 4), MLP_OK);
    real X[4 * 5], V[4 * 3] = { 1 }, D[4 * 5] = { 1 }, G[4 * 5], U[4 * 3];
    real J[4 * 15], J1[4 * 15];
    for (size_t i = 0; i < 20; i++)
        X[i] = cos((real)i);
    mlp__fault_inject(1);
    ck_assert_int_eq(mlp_jacobian(net, ws, 4, X, J), MLP_ERR_NOMEM);
    ck_assert_int_eq(mlp_vjp(net, ws, 4, X, V, G), MLP_OK);
    ck_assert_int_eq(mlp_jvp(net, ws, 4, X, D, U), MLP_OK);
    ck_assert_uint_eq(mlp__alloc_calls(), 1); /* only the failed one */
    mlp__fault_inject(0);
    ck_assert_int_eq(mlp_jacobian(net, ws, 4, X, J1), MLP_OK);
    mlp__fault_inject(1);
    ck_assert_int_eq(mlp_jacobian(net, ws, 4, X, J), MLP_OK);
    ck_assert(memcmp(J, J1, sizeof J) == 0); /* the same call, the same bits */
    ck_assert_int_eq(mlp_jacobian(net, ws, 2, X, J), MLP_OK);
    ck_assert_int_eq(mlp_vjp(net, ws, 4, X, V, G), MLP_OK);
    ck_assert_uint_eq(mlp__alloc_calls(), 0);
    mlp__fault_inject(0);
    mlp_workspace_free(ws);
    mlp_free(net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jacobian");
    TCase *fd = tcase_create("finite differences");
    tcase_add_loop_test(fd, test_matches_finite_differences, 0,
                        TEST_N_OUTPUTS * TEST_N_HIDDENS);
    tcase_set_timeout(fd, 60);
    suite_add_tcase(s, fd);
    TCase *id = tcase_create("identities");
    tcase_add_loop_test(id, test_identities, 0,
                        TEST_N_OUTPUTS * TEST_N_HIDDENS);
    tcase_add_loop_test(id, test_scaling_included, 0, TEST_N_OUTPUTS);
    suite_add_tcase(s, id);
    TCase *bad = tcase_create("bad inputs");
    tcase_add_test(bad, test_bad_args);
    tcase_add_test(bad, test_overflowing_derivatives);
    tcase_add_test(bad, test_no_allocation_once_grown);
    suite_add_tcase(s, bad);
    return test_run_suite(s);
}
