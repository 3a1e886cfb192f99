/*
 * test_activations.c - lib/activations.c on its own: each activation
 * against its closed form computed with libm, each derivative against the
 * closed form in terms of the output and against a central difference of
 * the activation itself, and the bounds both functions return.
 *
 * Tolerances: sigmoid and softmax use the library's own exp, documented
 * within ~1 ulp of libm's; with the division (and for softmax the row sum
 * of cols terms) that allows 8 eps relative for sigmoid and (cols + 8) eps
 * for softmax. tanh, ReLU and identity are exact (tanh is libm's). The
 * derivatives from the output are one or two roundings: 4 eps. The
 * central difference with h = 1e-5 has truncation error h^2 |f'''| / 6
 * < 1e-10 and rounding eps / h ~ 2e-11 for these functions: 1e-8
 * absolute catches a wrong formula (errors of order 0.1) with room.
 *
 * Built for both precisions. In float eps is FLT_EPSILON (the float exp
 * of activations.c is its own code, documented within ~1 ulp of expf),
 * tanh is tanhf, within 2 ulps of the double closed form, and the softmax
 * reference rounds z - max to float as the library does. The central
 * difference takes h = 1e-2 (truncation ~3e-5, rounding eps_f |f| / h
 * ~2e-4 at |f| = 30): 1e-3 absolute, still far below a wrong formula's
 * error.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "activations.h"
#include "test_util.h"

#define COLS 7
#define ROWS 5
#define N (ROWS * COLS)

static const mlp_activation elementwise[] = { MLP_SIGMOID, MLP_TANH,
                                              MLP_RELU, MLP_IDENTITY };

static double closed_form(mlp_activation act, double z)
{
    switch (act) {
    case MLP_SIGMOID: return 1.0 / (1.0 + exp(-z));
    case MLP_TANH: return tanh(z);
    case MLP_RELU: return z > 0.0 ? z : 0.0;
    default: return z;
    }
}

/* In the element type, as the library computes it: 1 - a^2 cancels near
 * |a| = 1, so a double reference would differ from a float one by far
 * more than the float roundings being checked. */
static real derivative_from_output(mlp_activation act, real a)
{
    switch (act) {
    case MLP_SIGMOID: return a * (1 - a);
    case MLP_TANH: return 1 - a * a;
    case MLP_RELU: return a > 0 ? 1 : 0;
    default: return 1;
    }
}

/* Inputs from -30 to 30, with 0 and values near it. */
static void fill_inputs(real *z)
{
    test_rng rng;
    test_rng_seed(&rng, 61);
    test_fill_uniform(&rng, z, N, -30, 30);
    z[0] = 0.0;
    z[1] = -1e-3;
    z[2] = 2e-3;
}

START_TEST(test_forward_closed_form)
{
    mlp_activation act = elementwise[_i];
    real z[N], a[N];
    fill_inputs(z);
    memcpy(a, z, sizeof a);
    double bound = mlp__activate(act, ROWS, COLS, a);
    double tol = act == MLP_SIGMOID ? 8 * REAL_EPSILON
                 : act == MLP_TANH ? TEST_BY_PRECISION(0.0, 2 * FLT_EPSILON)
                                   : 0.0;
    for (size_t i = 0; i < N; i++) {
        double want = closed_form(act, z[i]);
        ck_assert_msg(fabs(a[i] - want) <= tol * fabs(want),
                      "activation %d at %.17g: %.17g, closed form %.17g",
                      (int)act, z[i], a[i], want);
        ck_assert(fabs(a[i]) <= bound);
    }
    ck_assert(isfinite(bound));
}
END_TEST

START_TEST(test_softmax_rows)
{
    real z[N], a[N];
    fill_inputs(z);
    memcpy(a, z, sizeof a);
    double bound = mlp__activate(MLP_SOFTMAX, ROWS, COLS, a);
    ck_assert(bound >= 1.0 && isfinite(bound));
    for (size_t r = 0; r < ROWS; r++) {
        const real *zr = z + r * COLS;
        double max = zr[0], sum = 0.0;
        for (size_t j = 1; j < COLS; j++)
            max = fmax(max, zr[j]);
        for (size_t j = 0; j < COLS; j++)
            sum += exp((real)(zr[j] - max));
        for (size_t j = 0; j < COLS; j++) {
            double want = exp((real)(zr[j] - max)) / sum;
            ck_assert_msg(fabs(a[r * COLS + j] - want) <=
                              (COLS + 8) * REAL_EPSILON * want,
                          "softmax row %zu col %zu: %.17g, libm %.17g", r, j,
                          a[r * COLS + j], want);
        }
    }
}
END_TEST

START_TEST(test_backward)
{
    mlp_activation act = elementwise[_i];
    const real h = (real)TEST_BY_PRECISION(1e-5, 1e-2);
    real z[N], a[N], d[N], up[N], down[N];
    fill_inputs(z);
    z[0] = 0.5;   /* ReLU has no derivative at 0 */
    memcpy(a, z, sizeof a);
    mlp__activate(act, ROWS, COLS, a);
    for (size_t i = 0; i < N; i++) {
        d[i] = 1.0 + 0.01 * (double)i;      /* the incoming dA */
        up[i] = z[i] + h;
        down[i] = z[i] - h;
    }
    mlp__activate(act, ROWS, COLS, up);
    mlp__activate(act, ROWS, COLS, down);
    double bound = mlp__activation_backward(act, N, a, d);
    for (size_t i = 0; i < N; i++) {
        real incoming = (real)(1.0 + 0.01 * (double)i);
        double want = (double)incoming * derivative_from_output(act, a[i]);
        ck_assert_msg(fabs(d[i] - want) <= 4 * REAL_EPSILON * fabs(want),
                      "activation %d: dA %.17g, closed form %.17g", (int)act,
                      d[i], want);
        if (fabs(z[i]) > 2 * h || act != MLP_RELU) {
            double fd = incoming * ((double)up[i] - down[i]) / (2.0 * h);
            ck_assert_msg(fabs(d[i] - fd) <=
                              TEST_BY_PRECISION(1e-8, 1e-3) * incoming,
                          "activation %d at %g: dA %.17g, central "
                          "difference %.17g", (int)act, z[i], d[i], fd);
        }
        ck_assert(fabs(d[i]) <= bound);
    }
}
END_TEST

/* A NaN or infinite pre-activation makes the bound +Inf, for every
 * activation, even those that map it to a finite value. */
START_TEST(test_nonfinite_bound)
{
    static const mlp_activation all[] = { MLP_SIGMOID, MLP_TANH, MLP_RELU,
                                          MLP_IDENTITY, MLP_SOFTMAX };
    const real bad[] = { NAN, INFINITY, -INFINITY };
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        for (size_t b = 0; b < 3; b++) {
            real z[N];
            fill_inputs(z);
            z[N / 2] = bad[b];
            ck_assert_msg(isinf(mlp__activate(all[k], ROWS, COLS, z)),
                          "activation %d with %g: finite bound", (int)all[k],
                          bad[b]);
        }
    real a[4] = { 0.5, 0.5, 0.5, 0.5 }, d[4] = { 1, NAN, 1, 1 };
    ck_assert(isinf(mlp__activation_backward(MLP_SIGMOID, 4, a, d)));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("activations");
    TCase *tc = tcase_create("activations");
    tcase_add_loop_test(tc, test_forward_closed_form, 0, 4);
    tcase_add_test(tc, test_softmax_rows);
    tcase_add_loop_test(tc, test_backward, 0, 4);
    tcase_add_test(tc, test_nonfinite_bound);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
