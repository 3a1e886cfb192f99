/*
 * test_seed_example.c - the seed's own network, worked by hand.
 *
 * A two-layer sigmoid network with the MSE cost, as in the seed document,
 * with N_in = 2 inputs, 3 hidden units and N_out = 2 outputs, one sample
 * (B = 1), and weights, biases, input and target all short binary
 * fractions (exact in real). Every intermediate below was computed with
 * Python's decimal module at 50 significant digits (the script is
 * tests/reference/seed_example.py; it uses neither libmlp nor naive.c) and
 * is written to 17 significant digits.
 *
 * The library's gradients and cost must match them to a relative 1e-13:
 * the exact values are rounded once to real (0.5 ulp), and the library's
 * exp and the dozen operations after it add a few ulps, far below 1e-13
 * (~450 ulps). The naive reference must match them too (it is checked
 * here against numbers it did not produce).
 *
 * The seed's literal §2 (dA summed over the outputs), §5 (db^(2) summed
 * over the outputs) and §9 (db^(1) summed over i = 1..N_in) give other
 * numbers, also written below; the library must not match them.
 */
#include <math.h>
#include <string.h>

#include "mlp.h"
#include "reference/naive.h"
#include "test_util.h"

#define TOL TEST_ULPS(1e-13)

static const size_t sizes[] = { 2, 3, 2 };

/* x = (0.75, -0.5), y = (1, 0) */
static const real x[2] = { 0.75, -0.5 };
static const real y[2] = { 1, 0 };
static const real W1[3 * 2] = {
    0.5, -0.25,
    0.75, 0.125,
    -0.5, 1,
};
static const real b1[3] = { 0.125, -0.375, 0.25 };
static const real W2[2 * 3] = {
    1, -0.5, 0.25,
    -0.75, 0.5, 1.5,
};
static const real b2[2] = { 0.0625, -0.125 };

/*
 * Forward:
 *   z1 = W1 x + b1 = (0.375 + 0.125 + 0.125, 0.5625 - 0.0625 - 0.375,
 *                     -0.375 - 0.5 + 0.25)     = (0.625, 0.125, -0.625)
 *   a1 = σ(z1)  = (0.65135486466605424, 0.53120937337375626,
 *                  0.34864513533394576)
 *   z2 = W2 a1 + b2 = (0.53541146181266255, 0.17505624118825608)
 *   a2 = σ(z2)  = (0.63074436269397837, 0.54365264039782951)
 *   C  = ((a2_1 - 1)² + (a2_2 - 0)²) / 2 = 0.21595395954690396
 *
 * Backward (docs/derivation.md, B = 1):
 *   §2 dA2 = 2/N_out (a2 - y)    = (-0.36925563730602163, 0.54365264039782951)
 *   §3 dZ2 = dA2 ⊙ a2 ⊙ (1 - a2) = (-0.086001820828966071, 0.13487720117214013)
 *   §4 dW2 = dZ2 ⊗ a1            (below)
 *   §5 db2 = dZ2
 *   §6 dA1 = W2ᵀ dZ2             = (-0.18715972170807117, 0.11043951100055310,
 *                                   0.18081534655096867)
 *   §7 dZ1 = dA1 ⊙ a1 ⊙ (1 - a1) = (-0.042502420299141232, 0.027502306906939868,
 *                                   0.041061665327923662)
 *   §8 dW1 = dZ1 ⊗ x             (below)
 *   §9 db1 = dZ1
 */
static const real want_a2[2] = { 0.63074436269397837, 0.54365264039782951 };
static const real want_cost = 0.21595395954690396;
static const real want_dW2[2 * 3] = {
    -0.056017704367085440, -0.045684973351557126, -0.029984116461880631,
    0.087852921116015504, 0.071648033517058619, 0.047024280056124621,
};
static const real want_db2[2] = {
    -0.086001820828966071, 0.13487720117214013
};
static const real want_dW1[3 * 2] = {
    -0.031876815224355924, 0.021251210149570616,
    0.020626730180204901, -0.013751153453469934,
    0.030796248995942747, -0.020530832663961831,
};
static const real want_db1[3] = {
    -0.042502420299141232, 0.027502306906939868, 0.041061665327923662
};

/*
 * The seed, literally:
 *   §2 dA2_i = 2/N_out Σ_k (a2_k - y_k) for every i
 *            = (0.17439700309180788, 0.17439700309180788)
 *   §3 dZ2 = (0.040618092989546666, 0.043266928038129741)
 *   §5 db2_i = Σ_k dZ2_k for every i = 0.083885021027676406
 *   §6, §7 dZ1 = (0.0018548616466519205, 0.00032981436531182153,
 *                 0.017044348680788797)
 *   §9 db1_i = Σ_{k=1}^{N_in} dZ1_k for every i = 0.0021846760119637420
 */
static const real seed_dW2[2 * 3] = {
    0.026456792462199375, 0.021576711724614046, 0.014161300527347291,
    0.028182124056791905, 0.022983797730942305, 0.015084803981337836,
};
static const real seed_db2[2] = {
    0.083885021027676406, 0.083885021027676406
};
static const real seed_dW1[3 * 2] = {
    0.0013911462349889403, -0.00092743082332596023,
    0.00024736077398386615, -0.00016490718265591077,
    0.012783261510591598, -0.0085221743403943987,
};
static const real seed_db1[3] = {
    0.0021846760119637420, 0.0021846760119637420, 0.0021846760119637420
};

static mlp_t *seed_network(void)
{
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 2, sizes, NULL, MLP_MSE, 1), MLP_OK);
    memcpy(mlp_weights(net, 1), W1, sizeof W1);
    memcpy(mlp_biases(net, 1), b1, sizeof b1);
    memcpy(mlp_weights(net, 2), W2, sizeof W2);
    memcpy(mlp_biases(net, 2), b2, sizeof b2);
    return net;
}

START_TEST(test_forward_by_hand)
{
    mlp_t *net = seed_network();
    real a2[2];
    ck_assert_int_eq(mlp_predict(net, 1, x, a2), MLP_OK);
    test_assert_close("a2", a2, want_a2, 2, TOL, 0);
    mlp_free(net);
}
END_TEST

START_TEST(test_gradients_by_hand)
{
    mlp_t *net = seed_network();
    real cost = 0;
    ck_assert_int_eq(mlp_backprop(net, 1, x, y, &cost), MLP_OK);
    test_assert_close("C", &cost, &want_cost, 1, TOL, 0);
    test_assert_close("dW2", mlp_weight_grads(net, 2), want_dW2, 6, TOL, 0);
    test_assert_close("db2", mlp_bias_grads(net, 2), want_db2, 2, TOL, 0);
    test_assert_close("dW1", mlp_weight_grads(net, 1), want_dW1, 6, TOL, 0);
    test_assert_close("db1", mlp_bias_grads(net, 1), want_db1, 3, TOL, 0);
    mlp_free(net);
}
END_TEST

/* The reference is checked against the same hand-derived numbers. */
START_TEST(test_naive_by_hand)
{
    real params[6 + 3 + 6 + 2], grads[17], cost = 0;
    memcpy(params, W1, sizeof W1);
    memcpy(params + 6, b1, sizeof b1);
    memcpy(params + 9, W2, sizeof W2);
    memcpy(params + 15, b2, sizeof b2);
    ck_assert_uint_eq(naive_n_params(2, sizes), 17);
    ck_assert_int_eq(naive_backprop(2, sizes, NULL, MLP_MSE, params, 1, x, y,
                                    grads, &cost), 0);
    test_assert_close("naive C", &cost, &want_cost, 1, TOL, 0);
    test_assert_close("naive dW1", grads, want_dW1, 6, TOL, 0);
    test_assert_close("naive db1", grads + 6, want_db1, 3, TOL, 0);
    test_assert_close("naive dW2", grads + 9, want_dW2, 6, TOL, 0);
    test_assert_close("naive db2", grads + 15, want_db2, 2, TOL, 0);
}
END_TEST

/* max_k |got_k - seed_k| must be a large fraction of the values: the
 * library does not compute the seed's loose equations. */
static void assert_differs(const char *what, const real *got,
                           const real *seed, size_t n)
{
    real diff = 0;
    for (size_t k = 0; k < n; k++)
        diff = fmax(diff, fabs(got[k] - seed[k]));
    ck_assert_msg(diff > 0.1 * test_max_abs(seed, n),
                  "%s matches the seed's literal equations (diff %g)", what,
                  diff);
}

START_TEST(test_not_the_literal_seed)
{
    mlp_t *net = seed_network();
    ck_assert_int_eq(mlp_backprop(net, 1, x, y, NULL), MLP_OK);
    /* §2's sum over the outputs changes every gradient downstream */
    assert_differs("dW2", mlp_weight_grads(net, 2), seed_dW2, 6);
    assert_differs("dW1", mlp_weight_grads(net, 1), seed_dW1, 6);
    /* §5 and §9 give every bias the same value; the library does not */
    assert_differs("db2", mlp_bias_grads(net, 2), seed_db2, 2);
    assert_differs("db1", mlp_bias_grads(net, 1), seed_db1, 3);
    ck_assert(mlp_bias_grads(net, 2)[0] != mlp_bias_grads(net, 2)[1]);
    ck_assert(mlp_bias_grads(net, 1)[0] != mlp_bias_grads(net, 1)[1]);
    /* §4/§5 for B = 1: db2 = dZ2 and dW2 = dZ2 ⊗ a1 */
    static const real a1[3] = {
        0.65135486466605424, 0.53120937337375626, 0.34864513533394576
    };
    for (size_t i = 0; i < 2; i++)
        for (size_t j = 0; j < 3; j++) {
            real outer = mlp_bias_grads(net, 2)[i] * a1[j];
            test_assert_close("dW2 = db2 ⊗ a1",
                              &mlp_weight_grads(net, 2)[i * 3 + j], &outer,
                              1, TOL, 0);
        }
    mlp_free(net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("seed_example");
    TCase *tc = tcase_create("by_hand");
    tcase_add_test(tc, test_forward_by_hand);
    tcase_add_test(tc, test_gradients_by_hand);
    tcase_add_test(tc, test_naive_by_hand);
    tcase_add_test(tc, test_not_the_literal_seed);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
