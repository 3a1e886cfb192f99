/* test_optimizers.c - SGD, momentum, Adam and weight decay against update
 * rules written out by hand here, and the fused mlp_train_batch paths
 * against mlp_backprop followed by the same hand-written rule. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) && defined(__SSE2__)
#include <xmmintrin.h>
#define HAVE_MXCSR 1
#endif

#include "mlp.h"
#include "mlp_internal.h" /* the optimizer's moments, for the subnormal tests */
#include "test_util.h"

enum { L = 2 };
static const size_t sizes[L + 1] = { 3, 4, 2 };
static const mlp_activation acts[L] = { MLP_TANH, MLP_SIGMOID };

/* Which entries of the flat parameter array are weights (decayed). */
static int is_weight(size_t i)
{
    size_t off = 0;
    for (size_t l = 1; l <= L; l++) {
        size_t nw = sizes[l] * sizes[l - 1];
        if (i < off + nw)
            return 1;
        if (i < off + nw + sizes[l])
            return 0;
        off += nw + sizes[l];
    }
    return 0;
}

struct ref {
    int adam;
    real lr, mu, b1, b2, eps, lambda;
    real *m, *v;
    int t;
};

/* The textbook rules, one parameter at a time:
 *   SGD:  d = g + λθ;  v = μv + d (if μ);  θ -= lr·v
 *   Adam: d = g + λθ;  m = b1 m + (1-b1) d;  v = b2 v + (1-b2) d²;
 *         m̂ = m/(1-b1^t);  v̂ = v/(1-b2^t);  θ -= lr·m̂/(√v̂ + eps)   */
static void ref_step(struct ref *r, size_t n, real *theta, const real *g)
{
    r->t++;
    for (size_t i = 0; i < n; i++) {
        real lam = is_weight(i) ? r->lambda : 0.0;
        real d = g[i] + lam * theta[i];
        if (r->adam) {
            r->m[i] = r->b1 * r->m[i] + (1 - r->b1) * d;
            r->v[i] = r->b2 * r->v[i] + (1 - r->b2) * d * d;
            real mhat = r->m[i] / (1 - pow(r->b1, r->t));
            real vhat = r->v[i] / (1 - pow(r->b2, r->t));
            theta[i] -= r->lr * mhat / (sqrt(vhat) + r->eps);
        } else {
            if (r->mu != 0.0) {
                r->m[i] = r->mu * r->m[i] + d;
                d = r->m[i];
            }
            theta[i] -= r->lr * d;
        }
    }
}

static mlp_t *make(void)
{
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, L, sizes, acts, MLP_MSE, 7), MLP_OK);
    return net;
}

static void configure(mlp_t *net, const struct ref *r)
{
    if (r->adam)
        ck_assert_int_eq(mlp_set_adam(net, r->lr, r->b1, r->b2, r->eps), MLP_OK);
    else
        ck_assert_int_eq(mlp_set_sgd(net, r->lr, r->mu), MLP_OK);
    ck_assert_int_eq(mlp_set_weight_decay(net, r->lambda), MLP_OK);
}

static const struct ref cases[] = {
    { .adam = 0, .lr = 0.1 },
    { .adam = 0, .lr = 0.1, .lambda = 0.05 },
    { .adam = 0, .lr = 0.05, .mu = 0.9 },
    { .adam = 0, .lr = 0.05, .mu = 0.9, .lambda = 0.01 },
    { .adam = 1, .lr = 0.01, .b1 = 0.9, .b2 = 0.999, .eps = 1e-8 },
    { .adam = 1, .lr = 0.02, .b1 = 0.8, .b2 = 0.99, .eps = 1e-6, .lambda = 0.1 },
};
#define N_CASES (sizeof cases / sizeof cases[0])

/* mlp_step with gradients we choose, five steps, against ref_step.
 * Tolerance 1e-14 absolute on parameters of size ~1: the two compute the
 * same expressions in a slightly different arrangement (Adam's bias
 * correction is applied to the step size in the library, to m and v
 * here), which differs by a few ulps per step. */
START_TEST(test_step_matches_reference)
{
    struct ref r = cases[_i];
    mlp_t *net = make();
    configure(net, &r);
    size_t n = mlp_n_params(net);
    real *theta = malloc(n * sizeof *theta), *g = calloc(n, sizeof *g);
    r.m = calloc(n, sizeof *r.m);
    r.v = calloc(n, sizeof *r.v);
    memcpy(theta, mlp_params(net), n * sizeof *theta);
    for (int step = 0; step < 5; step++) {
        for (size_t i = 0; i < n; i++)
            g[i] = sin(1.0 + (real)i * 0.7 + step * 1.3) * (step + 1);
        memcpy(mlp_grads(net), g, n * sizeof *g);
        ck_assert_int_eq(mlp_step(net), MLP_OK);
        ref_step(&r, n, theta, g);
        for (size_t i = 0; i < n; i++)
            ck_assert_double_eq_tol(mlp_params(net)[i], theta[i], TEST_ULPS(1e-14));
    }
    free(theta); free(g); free(r.m); free(r.v);
    mlp_free(net);
}
END_TEST

/* mlp_train_batch (the fused GEMM path of plain SGD, the mlp_step path
 * of the others) against mlp_backprop on a twin network followed by
 * ref_step, over five batches. Tolerance 1e-13: the fused path forms
 * W + alpha*dZ^T A inside the GEMM rather than W - lr*g, a different
 * rounding order of O(1) values. */
START_TEST(test_train_batch_matches_reference)
{
    struct ref r = cases[_i];
    mlp_t *net = make(), *twin = make();
    configure(net, &r);
    size_t n = mlp_n_params(net);
    r.m = calloc(n, sizeof *r.m);
    r.v = calloc(n, sizeof *r.v);
    enum { B = 5 };
    real X[B * 3], T[B * 2];
    for (int step = 0; step < 5; step++) {
        /* batch 1 on odd steps: the GER/GEMV path */
        size_t batch = step % 2 ? 1 : B;
        for (size_t i = 0; i < B * 3; i++)
            X[i] = cos(0.3 * (real)i + step);
        for (size_t i = 0; i < B * 2; i++)
            T[i] = 0.5 + 0.4 * sin(0.9 * (real)i - step);
        real c1, c2;
        ck_assert_int_eq(mlp_train_batch(net, batch, X, T, &c1), MLP_OK);
        ck_assert_int_eq(mlp_backprop(twin, batch, X, T, &c2), MLP_OK);
        ck_assert_double_eq_tol(c1, c2, TEST_ULPS(1e-14));
        ref_step(&r, n, mlp_params(twin), mlp_grads(twin));
        for (size_t i = 0; i < n; i++)
            ck_assert_double_eq_tol(mlp_params(net)[i], mlp_params(twin)[i],
                                    TEST_ULPS(1e-13));
    }
    free(r.m); free(r.v);
    mlp_free(net);
    mlp_free(twin);
}
END_TEST

/* With zero gradients, SGD with decay only shrinks the weights by exactly
 * (1 - lr*lambda) and leaves the biases alone. */
START_TEST(test_decay_spares_biases)
{
    mlp_t *net = make();
    ck_assert_int_eq(mlp_set_sgd(net, 0.5, 0.0), MLP_OK);
    ck_assert_int_eq(mlp_set_weight_decay(net, 0.2), MLP_OK);
    size_t n = mlp_n_params(net);
    real *b1 = mlp_biases(net, 1);
    for (size_t i = 0; i < sizes[1]; i++)
        b1[i] = 1.0 + (real)i;
    real *before = malloc(n * sizeof *before);
    memcpy(before, mlp_params(net), n * sizeof *before);
    memset(mlp_grads(net), 0, n * sizeof(real));
    ck_assert_int_eq(mlp_step(net), MLP_OK);
    for (size_t i = 0; i < n; i++) {
        real want = is_weight(i) ? before[i] * (1.0 - 0.5 * 0.2) : before[i];
        ck_assert_double_eq_tol(mlp_params(net)[i], want, TEST_ULPS(1e-15));
    }
    free(before);
    mlp_free(net);
}
END_TEST

/* Adam's first step moves every parameter with a non-zero gradient by
 * almost exactly lr, against the gradient's sign (m̂ = g, v̂ = g²): an
 * independent closed form. */
START_TEST(test_adam_first_step_is_lr)
{
    mlp_t *net = make();
    ck_assert_int_eq(mlp_set_adam(net, 0.001, 0.9, 0.999, 1e-8), MLP_OK);
    size_t n = mlp_n_params(net);
    real *before = malloc(n * sizeof *before);
    memcpy(before, mlp_params(net), n * sizeof *before);
    for (size_t i = 0; i < n; i++)
        mlp_grads(net)[i] = (i % 2 ? 1.0 : -1.0) * (0.5 + (real)i);
    ck_assert_int_eq(mlp_step(net), MLP_OK);
    for (size_t i = 0; i < n; i++) {
        real moved = mlp_params(net)[i] - before[i];
        real g = mlp_grads(net)[i];
        /* |step| = lr * |g| / (|g| + eps) = lr (1 - eps/|g|) to first order */
        ck_assert_double_eq_tol(moved, -0.001 * g / (fabs(g) + 1e-8), TEST_ULPS(1e-15));
    }
    free(before);
    mlp_free(net);
}
END_TEST

START_TEST(test_bad_arguments)
{
    mlp_t *net = make();
    ck_assert_int_eq(mlp_set_adam(NULL, 0.1, 0.9, 0.999, 1e-8), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_set_adam(net, 0.0, 0.9, 0.999, 1e-8), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_set_adam(net, NAN, 0.9, 0.999, 1e-8), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_set_adam(net, 0.1, 1.0, 0.999, 1e-8), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_set_adam(net, 0.1, -0.1, 0.999, 1e-8), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_set_adam(net, 0.1, 0.9, 1.0, 1e-8), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_set_adam(net, 0.1, 0.9, 0.999, 0.0), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_set_adam(net, 0.1, 0.9, 0.999, INFINITY), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_set_weight_decay(NULL, 0.1), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_set_weight_decay(net, -0.1), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_set_weight_decay(net, NAN), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_set_weight_decay(net, 0.0), MLP_OK);
    /* A non-finite gradient changes nothing, for Adam too. */
    ck_assert_int_eq(mlp_set_adam(net, 0.1, 0.9, 0.999, 1e-8), MLP_OK);
    size_t n = mlp_n_params(net);
    real *before = malloc(n * sizeof *before);
    memcpy(before, mlp_params(net), n * sizeof *before);
    memset(mlp_grads(net), 0, n * sizeof(real));
    mlp_grads(net)[n - 1] = NAN;
    ck_assert_int_eq(mlp_step(net), MLP_ERR_NONFINITE);
    ck_assert_mem_eq(mlp_params(net), before, n * sizeof *before);
    free(before);
    mlp_free(net);
}
END_TEST

/* The bytes of net's model file: its optimizer, hyper-parameters, state
 * and weight decay, to see that a refused setting changed nothing. */
static unsigned char *saved(const mlp_t *net, size_t *size)
{
    *size = mlp_saved_size(net);
    unsigned char *data = malloc(*size);
    ck_assert_int_eq(mlp_save_buffer(net, data, *size), MLP_OK);
    return data;
}

/* One setting: 0 mlp_set_sgd(a, b), 1 mlp_set_adam(a, b, c, d), 2
 * mlp_set_weight_decay(a). */
struct setting {
    int which;
    double a, b, c, d;
};

static mlp_status apply(mlp_t *net, const struct setting *s)
{
    if (s->which == 0)
        return mlp_set_sgd(net, s->a, s->b);
    if (s->which == 1)
        return mlp_set_adam(net, s->a, s->b, s->c, s->d);
    return mlp_set_weight_decay(net, s->a);
}

/* Hyper-parameters are doubles in both families; the float family
 * computes with them rounded to float. Values that keep the setters'
 * rules in double but break them once rounded to float (a learning rate
 * or epsilon that rounds to 0 or to Inf, a momentum or beta that rounds
 * to 1, a weight decay that rounds to Inf) are refused by the float
 * setters with nothing changed, and accepted in double. Values at the
 * edge that stay valid in float (the smallest subnormal float, 1.4e-45;
 * 3e38 below FLT_MAX 3.4e38; 0.9999999, which rounds to 1 - 2^-23)
 * are accepted by both. The roundings are IEEE round-to-nearest. */
START_TEST(test_hyper_parameters_rounded_to_float)
{
    static const struct setting broken_in_float[] = {
        { 0, 1e-50, 0.0, 0, 0 },          /* lr -> 0 */
        { 0, 1e-46, 0.0, 0, 0 },          /* lr below half of 1.4e-45 -> 0 */
        { 0, 1e39, 0.0, 0, 0 },           /* lr -> Inf */
        { 0, 0.1, 0.99999999999, 0, 0 },  /* momentum -> 1 */
        { 1, 1e-50, 0.9, 0.999, 1e-8 },   /* lr -> 0 */
        { 1, 1e39, 0.9, 0.999, 1e-8 },    /* lr -> Inf */
        { 1, 1e-3, 0.99999999999, 0.999, 1e-8 }, /* beta1 -> 1 */
        { 1, 1e-3, 0.9, 0.99999999999, 1e-8 },   /* beta2 -> 1 */
        { 1, 1e-3, 0.9, 0.999, 1e-300 },  /* epsilon -> 0 */
        { 1, 1e-3, 0.9, 0.999, 1e39 },    /* epsilon -> Inf */
        { 2, 1e39, 0, 0, 0 },             /* weight decay -> Inf */
    };
    static const struct setting valid_in_both[] = {
        { 0, 1e-45, 0.0, 0, 0 },
        { 0, 3e38, 0.9999999, 0, 0 },
        { 1, 1e-45, 0.9999999, 0.9999999, 1e-45 },
        { 1, 3e38, 0.0, 0.0, 3e38 },
        { 2, 3e38, 0, 0, 0 },
        { 2, 1e-50, 0, 0, 0 },            /* rounds to 0: decay off */
    };
    mlp_t *net = make();
    /* a state that is not all zeros, which a refused setting must keep */
    ck_assert_int_eq(mlp_set_adam(net, 1e-2, 0.9, 0.999, 1e-8), MLP_OK);
    ck_assert_int_eq(mlp_set_weight_decay(net, 0.01), MLP_OK);
    size_t n = mlp_n_params(net);
    for (size_t i = 0; i < n; i++)
        mlp_grads(net)[i] = (real)cos((double)i);
    ck_assert_int_eq(mlp_step(net), MLP_OK);
    for (size_t k = 0; k < sizeof broken_in_float / sizeof *broken_in_float;
         k++) {
        mlp_t *copy = NULL;
        ck_assert_int_eq(mlp_clone(&copy, net), MLP_OK);
        size_t before_size, after_size;
        unsigned char *before = saved(copy, &before_size);
        mlp_status st = apply(copy, &broken_in_float[k]);
        ck_assert_msg(st == TEST_BY_PRECISION(MLP_OK, MLP_ERR_ARG),
                      "setting %zu: status %d", k, (int)st);
        unsigned char *after = saved(copy, &after_size);
        if (st != MLP_OK) {
            ck_assert_uint_eq(after_size, before_size);
            ck_assert_mem_eq(after, before, before_size);
        }
        free(before);
        free(after);
        mlp_free(copy);
    }
    for (size_t k = 0; k < sizeof valid_in_both / sizeof *valid_in_both; k++)
        ck_assert_msg(apply(net, &valid_in_both[k]) == MLP_OK, "setting %zu",
                      k);
    mlp_free(net);
}
END_TEST

/* Adam's step has a cheap finiteness proof and an exact fallback: a
 * gradient whose square overflows must fail and change nothing; a tiny
 * epsilon defeats the cheap proof, yet the exact check must let the (finite)
 * step through, equal to the hand-written rule. */
START_TEST(test_adam_finiteness_paths)
{
    mlp_t *net = make();
    size_t n = mlp_n_params(net);
    real *before = malloc(n * sizeof *before);
    ck_assert_int_eq(mlp_set_adam(net, 1e-3, 0.9, 0.999, 1e-8), MLP_OK);
    memcpy(before, mlp_params(net), n * sizeof *before);
    for (size_t i = 0; i < n; i++)
        mlp_grads(net)[i] = (real)TEST_BY_PRECISION(1e200, 1e30); /* g^2 = Inf */
    ck_assert_int_eq(mlp_step(net), MLP_ERR_NONFINITE);
    ck_assert_mem_eq(mlp_params(net), before, n * sizeof *before);

    struct ref r = { .adam = 1, .lr = 1e-3, .b1 = 0.9, .b2 = 0.999,
                     .eps = TEST_BY_PRECISION(1e-300, 1e-40) };
    r.m = calloc(n, sizeof *r.m);
    r.v = calloc(n, sizeof *r.v);
    ck_assert_int_eq(mlp_set_adam(net, r.lr, r.b1, r.b2, r.eps), MLP_OK);
    for (int step = 0; step < 3; step++) {
        for (size_t i = 0; i < n; i++)
            mlp_grads(net)[i] = cos((real)(i + step));
        ck_assert_int_eq(mlp_step(net), MLP_OK);
        ref_step(&r, n, before, mlp_grads(net));
        for (size_t i = 0; i < n; i++)
            ck_assert_double_eq_tol(mlp_params(net)[i], before[i], TEST_ULPS(1e-14));
    }
    free(before); free(r.m); free(r.v);
    mlp_free(net);
}
END_TEST

/* ---- The state's recorded maxima ---------------------------------------
 * mlp_step's finiteness proof does not read m and v: it trusts the largest
 * magnitude of each as the last update stored them (net->opt.m_max, v_max,
 * valid when state_known). A stale value would let an overflowing step
 * through or write after a refusal, so every way the state can change is
 * checked against maxima recomputed here with fabs. */

/* The largest |x_i| as its bits, computed independently of the library. */
static real_bits largest_magnitude_bits(const real *x, size_t n)
{
    real mx = 0.0;
    for (size_t i = 0; x && i < n; i++)
        if (fabs(x[i]) > mx)
            mx = fabs(x[i]);
    real_bits b;
    memcpy(&b, &mx, sizeof b);
    return b;
}

static void assert_maxima_exact(const mlp_t *net)
{
    ck_assert(net->opt.state_known);
    size_t n = mlp_n_params(net);
    ck_assert(net->opt.m_max == largest_magnitude_bits(net->opt.m, n));
    ck_assert(net->opt.v_max == largest_magnitude_bits(net->opt.v, n));
}

/* Gradients of several magnitudes (1e-3 .. 1e2), changing with the step. */
static void set_gradients(mlp_t *net, int step)
{
    size_t n = mlp_n_params(net);
    for (size_t i = 0; i < n; i++)
        mlp_grads(net)[i] = sin(0.37 * (real)i + step) * pow(10.0, (real)((i + step) % 6) - 3);
}

/* Adam steps, a refused step (m and v bitwise unchanged too), a clone, a
 * save and load, a change to SGD with momentum and a re-initialisation. */
START_TEST(test_state_maxima_exact)
{
    mlp_t *net = make(), *copy = NULL, *loaded = NULL;
    size_t n = mlp_n_params(net);
    ck_assert_int_eq(mlp_set_adam(net, 0.01, 0.9, 0.999, 1e-8), MLP_OK);
    ck_assert_int_eq(mlp_set_weight_decay(net, 0.1), MLP_OK);
    for (int step = 0; step < 6; step++) {
        set_gradients(net, step);
        ck_assert_int_eq(mlp_step(net), MLP_OK);
        ck_assert(net->opt.state_known);
        ck_assert(net->opt.m_max != 0 && net->opt.v_max != 0);
        assert_maxima_exact(net);
    }
    real *m = malloc(n * sizeof *m), *v = malloc(n * sizeof *v);
    ck_assert_ptr_nonnull(m);
    ck_assert_ptr_nonnull(v);
    memcpy(m, net->opt.m, n * sizeof *m);
    memcpy(v, net->opt.v, n * sizeof *v);
    mlp_grads(net)[1] = INFINITY;
    ck_assert_int_eq(mlp_step(net), MLP_ERR_NONFINITE);
    ck_assert_mem_eq(net->opt.m, m, n * sizeof *m);
    ck_assert_mem_eq(net->opt.v, v, n * sizeof *v);
    assert_maxima_exact(net);

    ck_assert_int_eq(mlp_clone(&copy, net), MLP_OK);
    assert_maxima_exact(copy);
    size_t size = mlp_saved_size(net);
    void *buffer = malloc(size);
    ck_assert_ptr_nonnull(buffer);
    ck_assert_int_eq(mlp_save_buffer(net, buffer, size), MLP_OK);
    ck_assert_int_eq(mlp_load_buffer(&loaded, buffer, size), MLP_OK);
    /* A loaded state's maxima are not in the file: the first step
     * measures them (checked after the steps below). */
    ck_assert(!loaded->opt.state_known);
    for (int step = 0; step < 2; step++) {
        set_gradients(copy, 10 + step);
        set_gradients(loaded, 20 + step);
        ck_assert_int_eq(mlp_step(copy), MLP_OK);
        ck_assert_int_eq(mlp_step(loaded), MLP_OK);
        assert_maxima_exact(copy);
        assert_maxima_exact(loaded);
    }
    ck_assert(loaded->opt.state_known);

    ck_assert_int_eq(mlp_set_sgd(net, 0.05, 0.9), MLP_OK);
    assert_maxima_exact(net);
    set_gradients(net, 30);
    ck_assert_int_eq(mlp_step(net), MLP_OK);
    ck_assert(net->opt.state_known && net->opt.m_max != 0);
    assert_maxima_exact(net);
    ck_assert_int_eq(mlp_init(net, MLP_INIT_DEFAULT, 3), MLP_OK);
    ck_assert(net->opt.state_known && net->opt.m_max == 0);
    assert_maxima_exact(net);
    free(m); free(v); free(buffer);
    mlp_free(net);
    mlp_free(copy);
    mlp_free(loaded);
}
END_TEST

/* A first moment above the cheap proof's limit (1e150 for these settings
 * in double, 1e18 in float) defeats the proof on the state alone, while g
 * and θ are small: the exact check must then decide, let the finite step
 * through and give the hand-written rule's result. With b1 = 0 the moment
 * is the gradient, 1e152 (1e19 in float), whose square is still finite. */
START_TEST(test_large_state_exact_path)
{
    mlp_t *net = make();
    size_t n = mlp_n_params(net);
    struct ref r = { .adam = 1, .lr = 1e-3, .b1 = 0.0, .b2 = 0.999,
                     .eps = 1e-8 };
    r.m = calloc(n, sizeof *r.m);
    r.v = calloc(n, sizeof *r.v);
    real *theta = malloc(n * sizeof *theta);
    ck_assert_ptr_nonnull(theta);
    configure(net, &r);
    memcpy(theta, mlp_params(net), n * sizeof *theta);
    real big = (real)TEST_BY_PRECISION(1e152, 1e19);
    for (int step = 0; step < 4; step++) {
        for (size_t i = 0; i < n; i++)
            mlp_grads(net)[i] = step == 0 ? (i % 2 ? big : -big)
                                          : cos((real)(i + step));
        ck_assert_int_eq(mlp_step(net), MLP_OK);
        ref_step(&r, n, theta, mlp_grads(net));
        assert_maxima_exact(net);
        for (size_t i = 0; i < n; i++)
            ck_assert_double_eq_tol(mlp_params(net)[i], theta[i],
                                    TEST_ULPS(1e-14));
        if (step == 0) /* the state alone is above the limit */
            ck_assert(fabs(net->opt.m[0]) >= big);
    }
    free(theta); free(r.m); free(r.v);
    mlp_free(net);
}
END_TEST

/* mlp_train_batch with Adam takes the gradients' bound from the deltas
 * and reads only θ when that bound proves the step. Inputs of 1e100 (1e12
 * in float) through identity layers make gradients of ~1e200 (~1e24),
 * whose squares overflow: the bound proves nothing, the exact check must
 * refuse, and parameters, moments and step count stay as they were. An
 * ordinary batch after that trains normally. */
START_TEST(test_train_batch_adam_refusal)
{
    static const mlp_activation linear[L] = { MLP_IDENTITY, MLP_IDENTITY };
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, L, sizes, linear, MLP_MSE, 5), MLP_OK);
    ck_assert_int_eq(mlp_set_adam(net, 1e-3, 0.9, 0.999, 1e-8), MLP_OK);
    size_t n = mlp_n_params(net);
    real X[3] = { 0.5, -0.25, 1.0 }, T[2] = { 0.1, 0.2 }, cost;
    ck_assert_int_eq(mlp_train_batch(net, 1, X, T, &cost), MLP_OK);
    real *theta = malloc(n * sizeof *theta), *m = malloc(n * sizeof *m);
    real *v = malloc(n * sizeof *v);
    ck_assert(theta && m && v);
    memcpy(theta, mlp_params(net), n * sizeof *theta);
    memcpy(m, net->opt.m, n * sizeof *m);
    memcpy(v, net->opt.v, n * sizeof *v);
    real huge[3] = { 0.0, (real)TEST_BY_PRECISION(1e100, 1e12), 0.0 };
    mlp_t *twin = NULL; /* the gradients themselves are finite: */
    ck_assert_int_eq(mlp_clone(&twin, net), MLP_OK);
    ck_assert_int_eq(mlp_backprop(twin, 1, huge, T, &cost), MLP_OK);
    mlp_free(twin);
    ck_assert_int_eq(mlp_train_batch(net, 1, huge, T, &cost), MLP_ERR_NONFINITE);
    ck_assert_mem_eq(mlp_params(net), theta, n * sizeof *theta);
    ck_assert_mem_eq(net->opt.m, m, n * sizeof *m);
    ck_assert_mem_eq(net->opt.v, v, n * sizeof *v);
    ck_assert_uint_eq(net->opt.t, 1);
    assert_maxima_exact(net);
    ck_assert_int_eq(mlp_train_batch(net, 1, X, T, &cost), MLP_OK);
    ck_assert_uint_eq(net->opt.t, 2);
    assert_maxima_exact(net);
    free(theta); free(m); free(v);
    mlp_free(net);
}
END_TEST

/* ---- Subnormal numbers (the policy in lib/fpmode.h and mlp.h) -------- */

/* Far above the subnormal range, yet below every weight the long runs
 * start from: 2^-1000 in double, 2^-120 in float (whose smallest normal
 * is 2^-126). */
#define NEAR_SUBNORMAL TEST_BY_PRECISION(0x1p-1000, 0x1p-120)

#ifdef HAVE_MXCSR
/* Whether this processor (or emulator: valgrind ignores the mode) honours
 * flush-to-zero: the assertions that depend on it are made only then. */
static int flush_to_zero_honoured(void)
{
    unsigned saved = _mm_getcsr();
    _mm_setcsr(saved | 0x8000);
    volatile double x = DBL_MIN;
    volatile double y = x * 0.5;
    int honoured = y == 0.0 && (_mm_getcsr() & 0x8000) != 0;
    _mm_setcsr(saved);
    return honoured;
}
#endif

static size_t count_subnormal(const real *x, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += fpclassify(x[i]) == FP_SUBNORMAL;
    return k;
}

/* Adam with b1 = b2 = 1/2, one gradient of 1 and then zeros: m and v halve
 * exactly at every step, so IEEE arithmetic (the reference here, computed
 * in this thread's untouched mode) walks them through the subnormal range
 * after ~1020 steps. The library must store exactly the reference value
 * while it is normal and 0 from the step where the reference is
 * subnormal; no parameter may ever be subnormal. 1100 steps of a
 * 26-parameter network: a few milliseconds. */
START_TEST(test_adam_moments_never_subnormal)
{
    mlp_t *net = make();
    size_t n = mlp_n_params(net);
    ck_assert_int_eq(mlp_set_adam(net, 1e-3, 0.5, 0.5, 1e-8), MLP_OK);
    real m_ref = 0.0, v_ref = 0.0;
    int saw_subnormal_reference = 0;
    for (int step = 0; step < 1100; step++) {
        real g = step == 0 ? 1.0 : 0.0;
        for (size_t i = 0; i < n; i++)
            mlp_grads(net)[i] = g;
        ck_assert_int_eq(mlp_step(net), MLP_OK);
        m_ref = 0.5 * m_ref + 0.5 * g;
        v_ref = 0.5 * v_ref + 0.5 * g * g;
        real want_m = m_ref >= REAL_MIN ? m_ref : 0.0;
        real want_v = v_ref >= REAL_MIN ? v_ref : 0.0;
        saw_subnormal_reference |= fpclassify(m_ref) == FP_SUBNORMAL;
        for (size_t i = 0; i < n; i++) {
            ck_assert(net->opt.m[i] == want_m);
            ck_assert(net->opt.v[i] == want_v);
        }
        ck_assert_uint_eq(count_subnormal(mlp_params(net), n), 0);
    }
    ck_assert(saw_subnormal_reference); /* the test did reach the range */
    mlp_free(net);
}
END_TEST

/* Plain SGD with lr * lambda = 1/2 and zero gradients halves every weight
 * exactly (θ <- θ - (θ/2)); momentum likewise shrinks it geometrically
 * (mu = 1/4, lambda = 1, lr = 1/2: v <- v/4 + θ, θ <- θ - v/2, a factor
 * 1/2 in modulus per step). Through mlp_step the weights must equal the IEEE reference computed here while
 * it stays above 2^-1000 (no operation near the subnormal range yet), then
 * stay below 2^-1000, and never be subnormal. (Where exactly they end
 * depends on the platform: with flush-to-zero θ - tiny is θ, so a weight
 * may stop just above DBL_MIN; elsewhere the stored result is flushed.) */
START_TEST(test_sgd_never_subnormal)
{
    for (int momentum = 0; momentum < 2; momentum++) {
        mlp_t *net = make();
        size_t n = mlp_n_params(net);
        real lr = 0.5, mu = momentum ? 0.25 : 0.0;
        ck_assert_int_eq(mlp_set_sgd(net, lr, mu), MLP_OK);
        ck_assert_int_eq(mlp_set_weight_decay(net, 1.0), MLP_OK);
        real *theta = malloc(n * sizeof *theta), *vel = calloc(n, sizeof *vel);
        ck_assert_ptr_nonnull(theta);
        ck_assert_ptr_nonnull(vel);
        memcpy(theta, mlp_params(net), n * sizeof *theta);
        memset(mlp_grads(net), 0, n * sizeof(real));
        int reached = 0;
        for (int step = 0; step < 1200; step++) {
            ck_assert_int_eq(mlp_step(net), MLP_OK);
            for (size_t i = 0; i < n; i++) {
                if (!is_weight(i))
                    continue;
                real vi = momentum ? mu * vel[i] + theta[i] : theta[i];
                vel[i] = vi;
                theta[i] -= lr * vi;
                real got = mlp_params(net)[i];
                if (fabs(theta[i]) >= NEAR_SUBNORMAL)
                    ck_assert(got == theta[i]);
                else
                    ck_assert(fabs(got) < NEAR_SUBNORMAL);
                reached |= fpclassify(theta[i]) == FP_SUBNORMAL;
            }
            ck_assert_uint_eq(count_subnormal(mlp_params(net), n), 0);
        }
        ck_assert(reached); /* the reference did become subnormal */
        free(theta);
        free(vel);
        mlp_free(net);
    }
}
END_TEST

/* A long mlp_train_batch run where two inputs are always zero: with plain
 * SGD and lr * lambda = 1/2 (a factor 1 - lr*lambda that is exact in both
 * precisions, so the decay rides in the update GEMM) their weights halve
 * at every step (W <- W/2 - lr dZ^T A, and that column of dZ^T A is 0),
 * so in IEEE arithmetic they become subnormal after ~1020 steps (~125 in
 * float). On x86-64 the training calls run with flush-to-zero
 * (fpmode.h): they must be exactly 0 by the end and never subnormal on
 * the way (where the mode is honoured: not under valgrind, which ignores
 * it). Everywhere, the caller's floating-point mode must be as it was:
 * subnormal arithmetic in this thread still gives subnormal results. 1200
 * steps of a 3-4-2 network: well under a second. */
START_TEST(test_long_run_policy)
{
    mlp_t *net = make();
    size_t n = mlp_n_params(net);
    ck_assert_int_eq(mlp_set_sgd(net, 0.5, 0.0), MLP_OK);
    ck_assert_int_eq(mlp_set_weight_decay(net, 1.0), MLP_OK);
    enum { B = 4 };
    real X[B * 3], T[B * 2];
    for (size_t r = 0; r < B; r++) {
        X[r * 3] = 0.25 * (real)r + 0.1; /* input 0 varies */
        X[r * 3 + 1] = X[r * 3 + 2] = 0.0; /* inputs 1, 2 are always 0 */
        T[r * 2] = 0.3;
        T[r * 2 + 1] = 0.7;
    }
#ifdef HAVE_MXCSR
    unsigned mode = _mm_getcsr() & 0xffc0; /* the mode bits, not the flags */
    int ftz = flush_to_zero_honoured();
#endif
    for (int step = 0; step < 1200; step++) {
        real cost;
        ck_assert_int_eq(mlp_train_batch(net, B, X, T, &cost), MLP_OK);
#ifdef HAVE_MXCSR
        if (ftz)
            ck_assert_uint_eq(count_subnormal(mlp_params(net), n), 0);
        ck_assert_uint_eq(_mm_getcsr() & 0xffc0, mode);
#endif
    }
#ifdef HAVE_MXCSR
    const real *W1 = mlp_weights(net, 1);
    for (size_t unit = 0; ftz && unit < sizes[1]; unit++) {
        ck_assert(W1[unit * 3 + 1] == 0.0);
        ck_assert(W1[unit * 3 + 2] == 0.0);
    }
#endif
    volatile real tiny = REAL_MIN, quarter = tiny / 4;
    ck_assert(quarter != 0); /* IEEE gradual underflow, untouched */
    mlp_free(net);
}
END_TEST

#ifdef HAVE_MXCSR
/* A caller that runs with flush-to-zero itself keeps it (where the mode
 * can be set at all). */
START_TEST(test_callers_flush_to_zero_kept)
{
    mlp_t *net = make();
    ck_assert_int_eq(mlp_set_adam(net, 1e-3, 0.9, 0.999, 1e-8), MLP_OK);
    real X[3] = { 0.1, 0.2, 0.3 }, T[2] = { 0.4, 0.6 }, cost;
    unsigned saved = _mm_getcsr();
    _mm_setcsr(saved | 0x8000);
    mlp_status s = mlp_train_batch(net, 1, X, T, &cost);
    unsigned after = _mm_getcsr();
    _mm_setcsr(saved);
    ck_assert_int_eq(s, MLP_OK);
    if (flush_to_zero_honoured())
        ck_assert_uint_eq(after & 0x8000, 0x8000);
    mlp_free(net);
}
END_TEST
#endif

int main(void)
{
    Suite *s = suite_create("optimizers");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_step_matches_reference, 0, N_CASES);
    tcase_add_loop_test(tc, test_train_batch_matches_reference, 0, N_CASES);
    tcase_add_test(tc, test_decay_spares_biases);
    tcase_add_test(tc, test_adam_first_step_is_lr);
    tcase_add_test(tc, test_bad_arguments);
    tcase_add_test(tc, test_hyper_parameters_rounded_to_float);
    tcase_add_test(tc, test_adam_finiteness_paths);
    tcase_add_test(tc, test_state_maxima_exact);
    tcase_add_test(tc, test_large_state_exact_path);
    tcase_add_test(tc, test_train_batch_adam_refusal);
    tcase_add_test(tc, test_adam_moments_never_subnormal);
    tcase_add_test(tc, test_sgd_never_subnormal);
    tcase_add_test(tc, test_long_run_policy);
#ifdef HAVE_MXCSR
    tcase_add_test(tc, test_callers_flush_to_zero_kept);
#endif
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
