/*
 * test_lifecycle.c - lib/lifecycle.c: what mlp_create builds and the
 * accessors report.
 *
 * - For random shapes: the shape accessors give back what was asked,
 *   mlp_n_params is sum n_l (n_(l-1) + 1) (counted here independently),
 *   and mlp_weights / mlp_biases / mlp_weight_grads / mlp_bias_grads
 *   point into mlp_params / mlp_grads at the documented layout W^(1),
 *   b^(1), W^(2), ... with no gap and no overlap.
 * - acts == NULL means sigmoid on every layer; the starting optimizer is
 *   SGD with learning rate 0.01 and no momentum: one mlp_step moves every
 *   parameter by exactly -0.01 g (one rounding each, so 1 ulp).
 * - Out-of-range layers and a NULL network give the documented 0, -1 or
 *   NULL; mlp_free(NULL) does nothing.
 * - The internal parameter count refuses zero layers, zero sizes, sizes
 *   beyond the BLAS index type and counts whose 2 n_params doubles would
 *   overflow size_t.
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "mlp.h"
#include "mlp_internal.h"
#include "test_util.h"

START_TEST(test_shape_and_layout)
{
    test_rng rng;
    test_rng_seed(&rng, 71);
    for (int trial = 0; trial < 20; trial++) {
        test_shape shape;
        size_t L = test_rng_range(&rng, 1, 5);
        test_random_shape(&rng, &shape, L, 9, -1, MLP_IDENTITY, MLP_MSE);
        mlp_t *net = test_create(&shape, 100 + (uint64_t)trial);
        ck_assert_uint_eq(mlp_n_layers(net), L);
        ck_assert_int_eq(mlp_loss_kind(net), MLP_MSE);
        size_t count = 0;
        for (size_t l = 0; l <= L; l++)
            ck_assert_uint_eq(mlp_layer_size(net, l), shape.sizes[l]);
        for (size_t l = 1; l <= L; l++) {
            ck_assert_int_eq(mlp_layer_activation(net, l),
                             (int)shape.acts[l - 1]);
            size_t n_w = shape.sizes[l] * shape.sizes[l - 1];
            ck_assert_ptr_eq(mlp_weights(net, l), mlp_params(net) + count);
            ck_assert_ptr_eq(mlp_biases(net, l),
                             mlp_params(net) + count + n_w);
            ck_assert_ptr_eq(mlp_weight_grads(net, l), mlp_grads(net) + count);
            ck_assert_ptr_eq(mlp_bias_grads(net, l),
                             mlp_grads(net) + count + n_w);
            count += n_w + shape.sizes[l];
        }
        ck_assert_uint_eq(mlp_n_params(net), count);
        /* Gradients are zero before any backprop, biases too. */
        for (size_t i = 0; i < count; i++)
            ck_assert(mlp_grads(net)[i] == 0.0);
        for (size_t l = 1; l <= L; l++)
            for (size_t i = 0; i < shape.sizes[l]; i++)
                ck_assert(mlp_biases(net, l)[i] == 0.0);
        mlp_free(net);
    }
}
END_TEST

START_TEST(test_defaults)
{
    const size_t sizes[] = { 3, 4, 2 };
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 2, sizes, NULL, MLP_MSE, 5), MLP_OK);
    ck_assert_int_eq(mlp_layer_activation(net, 1), MLP_SIGMOID);
    ck_assert_int_eq(mlp_layer_activation(net, 2), MLP_SIGMOID);

    const real X[] = { 0.5, -1, 2, 1, 0, -0.5 }, T[] = { 1, 0, 0, 1 };
    ck_assert_int_eq(mlp_backprop(net, 2, X, T, NULL), MLP_OK);
    size_t n = mlp_n_params(net);
    real *before = test_reals(n), *g = test_reals(n);
    for (size_t i = 0; i < n; i++) {
        before[i] = mlp_params(net)[i];
        g[i] = mlp_grads(net)[i];
    }
    ck_assert_int_eq(mlp_step(net), MLP_OK);
    for (size_t i = 0; i < n; i++) {
        double want = before[i] - 0.01 * g[i];
        ck_assert_msg(fabs(mlp_params(net)[i] - want) <=
                          REAL_EPSILON * fabs(want),
                      "parameter %zu: %.17g, want %.17g", i,
                      mlp_params(net)[i], want);
    }
    free(before);
    free(g);
    mlp_free(net);
}
END_TEST

START_TEST(test_out_of_range)
{
    const size_t sizes[] = { 2, 3, 1 };
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 2, sizes, NULL, MLP_MSE, 1), MLP_OK);
    ck_assert_uint_eq(mlp_layer_size(net, 3), 0);
    ck_assert_int_eq(mlp_layer_activation(net, 0), -1);
    ck_assert_int_eq(mlp_layer_activation(net, 3), -1);
    ck_assert_ptr_null(mlp_weights(net, 0));
    ck_assert_ptr_null(mlp_weights(net, 3));
    ck_assert_ptr_null(mlp_biases(net, 0));
    ck_assert_ptr_null(mlp_bias_grads(net, 3));
    ck_assert_ptr_null(mlp_weight_grads(net, 0));
    mlp_free(net);

    ck_assert_uint_eq(mlp_n_layers(NULL), 0);
    ck_assert_uint_eq(mlp_layer_size(NULL, 0), 0);
    ck_assert_int_eq(mlp_layer_activation(NULL, 1), -1);
    ck_assert_int_eq(mlp_loss_kind(NULL), -1);
    ck_assert_uint_eq(mlp_n_params(NULL), 0);
    ck_assert_ptr_null(mlp_params(NULL));
    ck_assert_ptr_null(mlp_grads(NULL));
    ck_assert_ptr_null(mlp_weights(NULL, 1));
    mlp_free(NULL);
}
END_TEST

START_TEST(test_count_params)
{
    size_t n = 0;
    const size_t ok[] = { 4, 3, 2 };
    ck_assert(mlp__count_params(2, ok, &n));
    ck_assert_uint_eq(n, 3 * 4 + 3 + 2 * 3 + 2);
    ck_assert(!mlp__count_params(0, ok, &n));
    const size_t zero[] = { 4, 0, 2 };
    ck_assert(!mlp__count_params(2, zero, &n));
    const size_t too_wide[] = { 4, (size_t)INT_MAX + 1, 2 };
    ck_assert(!mlp__count_params(2, too_wide, &n));
    /* Each size fits an int, but the products overflow 2 n_params doubles
     * (64-bit size_t: 2^31-1 squared is ~2^62, times 16 bytes is ~2^66). */
    const size_t huge[] = { INT_MAX, INT_MAX, INT_MAX, INT_MAX, INT_MAX };
    ck_assert(!mlp__count_params(4, huge, &n));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lifecycle");
    TCase *tc = tcase_create("lifecycle");
    tcase_add_test(tc, test_shape_and_layout);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_out_of_range);
    tcase_add_test(tc, test_count_params);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
