/*
 * test_precision.c - the float family against the double family, both
 * used side by side in one process through the shared library.
 *
 * - mlpf_create draws the double network's parameters and rounds them:
 *   every parameter of mlpf_create / mlpf_init equals (float) of its
 *   mlp_ twin's, bitwise.
 * - Gradients, cost, predictions and input derivatives of mlpf_ against
 *   an independent double-precision computation on the same
 *   float-rounded parameters and data (the double library, whose own
 *   error is ~1e-16 and negligible here), for every activation (ReLU
 *   included) and batch 1 and 16. Tolerance: a sum of n float terms is
 *   within n u of the exact sum relative to the sum of magnitudes
 *   (u = 2^-24 = 6e-8), and a gradient entry is reached through the
 *   forward sums of every layer, the backward sums of every layer and the
 *   sum over the batch, so its norm-wise error is at most
 *   K u with K = sum_l (n_(l-1) + 1) + sum_l n_l + B, amplified by the
 *   layers' weights (Glorot-sized here, |W| row sums of order 1). The
 *   test asserts |g_f - g_d| <= 4 K u max|g_d| entry by entry: for the
 *   largest shapes below (K ~ 220) that is 5e-5, and what is observed is
 *   ~1e-7 to 1e-6 relative (printed), so the bound is not tight but a
 *   wrong float pass (an error of one term, O(1) relative) fails it.
 * - Model files across precisions: a double file read by mlpf_load_buffer
 *   gives the rounded parameters exactly, a float file read by
 *   mlp_load_buffer the widened ones exactly; a double file with a value
 *   beyond float's range is MLP_ERR_FORMAT for mlpf_ and fine for mlp_;
 *   mlpf_ save, load, save gives the same bytes; float files are about
 *   half the size; hyper-parameters that break the setters' rules once
 *   rounded to float are refused by the float setters and loaders.
 * - mlpf_clone, mlpf_fit (the shared options and result), Adam's step
 *   in float against double from the same state, workspaces of both
 *   families at once, freed in crossed order.
 */
#define _POSIX_C_SOURCE 200809L /* mkstemp */

#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlp.h"

static uint64_t rng_state;

static double uniform(double lo, double hi)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    z ^= z >> 31;
    return lo + (hi - lo) * (double)(z >> 11) * 0x1.0p-53;
}

static void *zalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    ck_assert_ptr_nonnull(p);
    return p;
}

/* A float network and its double twin with the same, float-rounded,
 * parameters; data X, T in float and widened. */
struct pair {
    mlpf_t *f;
    mlp_t *d;
    size_t L, sizes[5], n0, nL, B, P;
    mlp_activation acts[4];
    float *Xf, *Tf;
    double *Xd, *Td;
};

static const mlp_activation hiddens[] = { MLP_SIGMOID, MLP_TANH, MLP_RELU,
                                          MLP_IDENTITY };
static const struct { mlp_activation out; mlp_loss loss; } outputs[] = {
    { MLP_SIGMOID, MLP_MSE }, { MLP_TANH, MLP_MSE }, { MLP_RELU, MLP_MSE },
    { MLP_IDENTITY, MLP_MSE }, { MLP_SOFTMAX, MLP_CROSS_ENTROPY },
    { MLP_SIGMOID, MLP_CROSS_ENTROPY },
};

static void fill_targets(struct pair *p, size_t o)
{
    for (size_t s = 0; s < p->B; s++) {
        float *t = p->Tf + s * p->nL;
        float sum = 0;
        for (size_t i = 0; i < p->nL; i++) {
            t[i] = (float)uniform(outputs[o].out == MLP_IDENTITY ||
                                  outputs[o].out == MLP_TANH ? -1 : 0, 1);
            sum += t[i];
        }
        if (outputs[o].out == MLP_SOFTMAX)
            for (size_t i = 0; i < p->nL; i++)
                t[i] /= sum;
    }
    for (size_t i = 0; i < p->B * p->nL; i++)
        p->Td[i] = p->Tf[i];
}

static void pair_make(struct pair *p, size_t L, size_t width, size_t h,
                      size_t o, size_t B, uint64_t seed)
{
    memset(p, 0, sizeof *p);
    rng_state = seed;
    p->L = L;
    p->B = B;
    for (size_t l = 0; l <= L; l++)
        p->sizes[l] = 1 + (size_t)uniform(0, (double)width);
    if (outputs[o].out == MLP_SOFTMAX && p->sizes[L] < 2)
        p->sizes[L] = 2;
    for (size_t l = 0; l + 1 < L; l++)
        p->acts[l] = hiddens[h];
    p->acts[L - 1] = outputs[o].out;
    p->n0 = p->sizes[0];
    p->nL = p->sizes[L];
    ck_assert_int_eq(mlpf_create(&p->f, L, p->sizes, p->acts,
                                 outputs[o].loss, seed), MLP_OK);
    ck_assert_int_eq(mlp_create(&p->d, L, p->sizes, p->acts, outputs[o].loss,
                                seed), MLP_OK);
    p->P = mlpf_n_params(p->f);
    float *pf = mlpf_params(p->f);
    for (size_t i = 0; i < p->P; i++) /* biases away from 0 too */
        pf[i] += (float)uniform(-0.1, 0.1);
    for (size_t i = 0; i < p->P; i++)
        mlp_params(p->d)[i] = pf[i];
    p->Xf = zalloc(B * p->n0, sizeof *p->Xf);
    p->Tf = zalloc(B * p->nL, sizeof *p->Tf);
    p->Xd = zalloc(B * p->n0, sizeof *p->Xd);
    p->Td = zalloc(B * p->nL, sizeof *p->Td);
    for (size_t i = 0; i < B * p->n0; i++)
        p->Xd[i] = p->Xf[i] = (float)uniform(-2, 2);
    fill_targets(p, o);
}

static void pair_free(struct pair *p)
{
    mlpf_free(p->f);
    mlp_free(p->d);
    free(p->Xf);
    free(p->Tf);
    free(p->Xd);
    free(p->Td);
}

/* K of the comment at the top, for this pair. */
static double rounding_count(const struct pair *p)
{
    double k = (double)p->B;
    for (size_t l = 1; l <= p->L; l++)
        k += (double)(p->sizes[l - 1] + 1) + (double)p->sizes[l];
    return k;
}

/* max |f - d| / max |d| over n entries; fails if any entry is off by more
 * than tol max |d|. */
static double compare(const char *what, const float *f, const double *d,
                      size_t n, double tol)
{
    double big = 0, worst = 0;
    for (size_t i = 0; i < n; i++)
        big = fabs(d[i]) > big ? fabs(d[i]) : big;
    if (big == 0)
        big = DBL_MIN;
    for (size_t i = 0; i < n; i++) {
        double err = fabs((double)f[i] - d[i]);
        ck_assert_msg(err <= tol * big, "%s[%zu]: float %.9g, double %.17g, "
                      "|err| %.3g > %.3g", what, i, (double)f[i], d[i], err,
                      tol * big);
        worst = err / big > worst ? err / big : worst;
    }
    return worst;
}

static double worst_gradient = 0, worst_jacobian = 0;

/* _i: output pair x hidden activation. */
START_TEST(test_gradients_against_double)
{
    size_t o = (size_t)_i / 4, h = (size_t)_i % 4;
    for (size_t L = 1; L <= 3; L++) {
        for (size_t B = 1; B <= 16; B += 15) {
            struct pair p;
            pair_make(&p, L, 32, h, o, B, 1000u + 10u * (uint64_t)_i + L + B);
            double tol = 4 * rounding_count(&p) * 0x1p-24;
            float cf;
            double cd;
            ck_assert_int_eq(mlpf_backprop(p.f, B, p.Xf, p.Tf, &cf), MLP_OK);
            ck_assert_int_eq(mlp_backprop(p.d, B, p.Xd, p.Td, &cd), MLP_OK);
            ck_assert_msg(fabs(cf - cd) <= tol * fabs(cd),
                          "cost: float %.9g, double %.17g", (double)cf, cd);
            double w = compare("gradient", mlpf_grads(p.f), mlp_grads(p.d),
                               p.P, tol);
            worst_gradient = w > worst_gradient ? w : worst_gradient;
            float *Yf = zalloc(B * p.nL, sizeof *Yf);
            double *Yd = zalloc(B * p.nL, sizeof *Yd);
            ck_assert_int_eq(mlpf_predict(p.f, B, p.Xf, Yf), MLP_OK);
            ck_assert_int_eq(mlp_predict(p.d, B, p.Xd, Yd), MLP_OK);
            compare("prediction", Yf, Yd, B * p.nL, tol);
            free(Yf);
            free(Yd);
            pair_free(&p);
        }
    }
}
END_TEST

/* mlpf_jacobian, vjp and jvp against the double ones (ReLU included: the
 * float finite differences of test_jacobian cannot judge kinks). */
START_TEST(test_jacobian_against_double)
{
    size_t o = (size_t)_i / 4, h = (size_t)_i % 4;
    for (size_t L = 1; L <= 3; L++) {
        struct pair p;
        pair_make(&p, L, 12, h, o, 3, 2000u + 10u * (uint64_t)_i + L);
        double tol = 4 * rounding_count(&p) * 0x1p-24;
        size_t n = p.B * p.nL * p.n0;
        mlpf_workspace_t *wf = NULL;
        mlp_workspace_t *wd = NULL;
        ck_assert_int_eq(mlpf_workspace_create(&wf, p.f, p.B), MLP_OK);
        ck_assert_int_eq(mlp_workspace_create(&wd, p.d, p.B), MLP_OK);
        float *Jf = zalloc(n, sizeof *Jf), *Gf = zalloc(p.B * p.n0, 4);
        double *Jd = zalloc(n, sizeof *Jd), *Gd = zalloc(p.B * p.n0, 8);
        ck_assert_int_eq(mlpf_jacobian(p.f, wf, p.B, p.Xf, Jf), MLP_OK);
        ck_assert_int_eq(mlp_jacobian(p.d, wd, p.B, p.Xd, Jd), MLP_OK);
        double w = compare("jacobian", Jf, Jd, n, tol);
        worst_jacobian = w > worst_jacobian ? w : worst_jacobian;
        /* vjp of the targets as V */
        ck_assert_int_eq(mlpf_vjp(p.f, wf, p.B, p.Xf, p.Tf, Gf), MLP_OK);
        ck_assert_int_eq(mlp_vjp(p.d, wd, p.B, p.Xd, p.Td, Gd), MLP_OK);
        compare("vjp", Gf, Gd, p.B * p.n0, tol);
        /* workspaces of both families freed in crossed order */
        mlp_workspace_free(wd);
        pair_free(&p);
        mlpf_workspace_free(wf);
        free(Jf);
        free(Gf);
        free(Jd);
        free(Gd);
    }
}
END_TEST

/* The same seed gives the rounded parameters, for every initialiser. */
START_TEST(test_init_is_rounded_double)
{
    const size_t sizes[] = { 7, 13, 5, 3 };
    const mlp_activation acts[] = { MLP_RELU, MLP_TANH, MLP_SIGMOID };
    mlpf_t *f = NULL;
    mlp_t *d = NULL;
    ck_assert_int_eq(mlpf_create(&f, 3, sizes, acts, MLP_MSE, 42), MLP_OK);
    ck_assert_int_eq(mlp_create(&d, 3, sizes, acts, MLP_MSE, 42), MLP_OK);
    ck_assert_uint_eq(mlpf_n_params(f), mlp_n_params(d));
    for (int kind = MLP_INIT_DEFAULT; kind <= MLP_INIT_ORTHOGONAL; kind++) {
        if (kind != MLP_INIT_DEFAULT) {
            ck_assert_int_eq(mlpf_init(f, (mlp_init_kind)kind, 7), MLP_OK);
            ck_assert_int_eq(mlp_init(d, (mlp_init_kind)kind, 7), MLP_OK);
        }
        for (size_t i = 0; i < mlp_n_params(d); i++)
            ck_assert_msg(mlpf_params(f)[i] == (float)mlp_params(d)[i],
                          "init %d, parameter %zu", kind, i);
    }
    mlpf_free(f);
    mlp_free(d);
}
END_TEST

/* A double file into a float network rounds; a float file into a double
 * network widens; both exactly as documented. */
START_TEST(test_model_files_across_precisions)
{
    struct pair p;
    pair_make(&p, 2, 9, 1, 4, 5, 77);
    ck_assert_int_eq(mlp_set_adam(p.d, 1e-3, 0.9, 0.999, 1e-8), MLP_OK);
    ck_assert_int_eq(mlp_train_batch(p.d, p.B, p.Xd, p.Td, NULL), MLP_OK);
    /* double parameters that are not floats */
    size_t sd = mlp_saved_size(p.d);
    unsigned char *bd = zalloc(sd, 1);
    ck_assert_int_eq(mlp_save_buffer(p.d, bd, sd), MLP_OK);
    mlpf_t *f = NULL;
    ck_assert_int_eq(mlpf_load_buffer(&f, bd, sd), MLP_OK);
    for (size_t i = 0; i < p.P; i++)
        ck_assert(mlpf_params(f)[i] == (float)mlp_params(p.d)[i]);
    /* float file: save, load, save gives the same bytes; the double
     * reader widens exactly */
    size_t sf = mlpf_saved_size(f);
    ck_assert_uint_lt(sf, sd);
    ck_assert_uint_gt(2 * sf, sd - 64);
    unsigned char *bf = zalloc(sf, 1), *bf2 = zalloc(sf, 1);
    ck_assert_int_eq(mlpf_save_buffer(f, bf, sf), MLP_OK);
    mlpf_t *f2 = NULL;
    ck_assert_int_eq(mlpf_load_buffer(&f2, bf, sf), MLP_OK);
    ck_assert_int_eq(mlpf_save_buffer(f2, bf2, sf), MLP_OK);
    ck_assert_mem_eq(bf, bf2, sf);
    mlp_t *d2 = NULL;
    ck_assert_int_eq(mlp_load_buffer(&d2, bf, sf), MLP_OK);
    for (size_t i = 0; i < p.P; i++)
        ck_assert(mlp_params(d2)[i] == (double)mlpf_params(f)[i]);
    /* a value beyond float's range: fine in double, a format error in
     * float */
    mlp_params(p.d)[0] = 1e300;
    ck_assert_int_eq(mlp_save_buffer(p.d, bd, sd), MLP_OK);
    mlpf_t *bad = (mlpf_t *)bd; /* must be overwritten with NULL */
    ck_assert_int_eq(mlpf_load_buffer(&bad, bd, sd), MLP_ERR_FORMAT);
    ck_assert_ptr_null(bad);
    mlp_t *fine = NULL;
    ck_assert_int_eq(mlp_load_buffer(&fine, bd, sd), MLP_OK);
    mlp_free(fine);
    mlp_free(d2);
    mlpf_free(f2);
    mlpf_free(f);
    free(bd);
    free(bf);
    free(bf2);
    pair_free(&p);
}
END_TEST

/* One Adam step in float from the same gradients and state as in double:
 * each new parameter is a handful of float operations on the old one,
 * so it is within a few ulps (8 u of the largest parameter here). */
START_TEST(test_adam_step_against_double)
{
    struct pair p;
    pair_make(&p, 2, 20, 0, 0, 8, 91);
    ck_assert_int_eq(mlpf_set_adam(p.f, 1e-2, 0.9, 0.999, 1e-8), MLP_OK);
    ck_assert_int_eq(mlp_set_adam(p.d, 1e-2, 0.9, 0.999, 1e-8), MLP_OK);
    ck_assert_int_eq(mlpf_set_weight_decay(p.f, 1e-3), MLP_OK);
    ck_assert_int_eq(mlp_set_weight_decay(p.d, 1e-3), MLP_OK);
    for (int step = 0; step < 3; step++) {
        ck_assert_int_eq(mlpf_backprop(p.f, p.B, p.Xf, p.Tf, NULL), MLP_OK);
        for (size_t i = 0; i < p.P; i++) {
            mlp_grads(p.d)[i] = mlpf_grads(p.f)[i];
            mlp_params(p.d)[i] = mlpf_params(p.f)[i];
        }
        ck_assert_int_eq(mlpf_step(p.f), MLP_OK);
        ck_assert_int_eq(mlp_step(p.d), MLP_OK);
        compare("Adam step", mlpf_params(p.f), mlp_params(p.d), p.P,
                8 * 0x1p-24);
    }
    pair_free(&p);
}
END_TEST

/* net's model file loads in double, and is MLP_ERR_FORMAT for
 * mlpf_load_buffer and (saved at path) for mlpf_load. */
static void double_file_refused_in_float(const mlp_t *net, const char *path)
{
    size_t size = mlp_saved_size(net);
    unsigned char *file = zalloc(size, 1);
    ck_assert_int_eq(mlp_save_buffer(net, file, size), MLP_OK);
    mlp_t *d = NULL;
    ck_assert_int_eq(mlp_load_buffer(&d, file, size), MLP_OK);
    mlp_free(d);
    mlpf_t *f = (mlpf_t *)file; /* must be overwritten with NULL */
    ck_assert_int_eq(mlpf_load_buffer(&f, file, size), MLP_ERR_FORMAT);
    ck_assert_ptr_null(f);
    ck_assert_int_eq(mlp_save(net, path), MLP_OK);
    f = (mlpf_t *)file;
    ck_assert_int_eq(mlpf_load(&f, path), MLP_ERR_FORMAT);
    ck_assert_ptr_null(f);
    free(file);
}

/* Hyper-parameters valid in double that break the setters' rules once
 * rounded to float, as the float family computes with them: Adam with lr
 * 1e-300 and epsilon 1e-299 (both 0 in float, and the update 0 * 0 / 0),
 * SGD with lr 1e-50 (0: a step would train nothing), a beta2 of
 * 0.99999999999 (1 in float: the bias correction 1 - beta2^t is 0), a
 * weight decay of 1e300 (Inf). The double setters accept them; the float
 * setters refuse them with MLP_ERR_ARG and the float network keeps its
 * optimizer and state (its model file is the same bytes). A double model
 * file holding them loads as a double network and is MLP_ERR_FORMAT for
 * mlpf_load_buffer and mlpf_load, as a value beyond float's range is. */
START_TEST(test_hyper_parameters_rounding_to_zero)
{
    struct pair p;
    pair_make(&p, 2, 6, 1, 3, 2, 55);
    ck_assert_int_eq(mlpf_set_sgd(p.f, 0.1, 0.5), MLP_OK);
    size_t sf = mlpf_saved_size(p.f);
    unsigned char *before = zalloc(sf, 1), *after = zalloc(sf, 1);
    ck_assert_int_eq(mlpf_save_buffer(p.f, before, sf), MLP_OK);
    const char *tmp = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/test_precision-XXXXXX",
             tmp && tmp[0] ? tmp : "/tmp");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    for (int k = 0; k < 4; k++) {
        mlp_status sd, sfl;
        if (k == 0) {
            sd = mlp_set_adam(p.d, 1e-300, 0.9, 0.999, 1e-299);
            sfl = mlpf_set_adam(p.f, 1e-300, 0.9, 0.999, 1e-299);
        } else if (k == 1) {
            sd = mlp_set_sgd(p.d, 1e-50, 0.0);
            sfl = mlpf_set_sgd(p.f, 1e-50, 0.0);
        } else if (k == 2) {
            sd = mlp_set_adam(p.d, 1e-3, 0.9, 0.99999999999, 1e-8);
            sfl = mlpf_set_adam(p.f, 1e-3, 0.9, 0.99999999999, 1e-8);
        } else {
            ck_assert_int_eq(mlp_set_sgd(p.d, 0.1, 0.0), MLP_OK);
            sd = mlp_set_weight_decay(p.d, 1e300);
            sfl = mlpf_set_weight_decay(p.f, 1e300);
        }
        ck_assert_msg(sd == MLP_OK && sfl == MLP_ERR_ARG,
                      "case %d: double %d, float %d", k, (int)sd, (int)sfl);
        ck_assert_int_eq(mlpf_save_buffer(p.f, after, sf), MLP_OK);
        ck_assert_mem_eq(before, after, sf);
        double_file_refused_in_float(p.d, path);
    }
    unlink(path);
    free(before);
    free(after);
    pair_free(&p);
}
END_TEST

/* Long runs: the float family follows the double family's trajectory
 * from the same float parameters, over N = 4000 steps of mlpf_train_batch
 * (batches of 16, every fourth step a single sample: the GER path), with
 * plain SGD, with and without weight decay, and with momentum. Each step
 * rounds every parameter's update a few times at u = 2^-24 relative;
 * the rounding errors of successive steps are uncorrelated and add like
 * a random walk, ~sqrt(N) u max|θ| after N steps (observed ~1e-6 here),
 * while a rounding made the same way at every step (a factor such as
 * 1 - lr*lambda rounded to float) adds up to N times itself. Tolerance:
 * sqrt(N) u max|θ| = 3.8e-6 relative, which the random walk stays under
 * and a bias of a quarter ulp per step (N u / 4 = 6e-5) does not. */
static const struct { double lr, mu, lambda; } long_runs[] = {
    { 0.01, 0.0, 0.0 }, { 0.01, 0.0, 1e-4 }, { 0.01, 0.0, 1e-2 },
    { 0.1, 0.0, 1e-2 }, { 0.01, 0.5, 1e-4 },
};

START_TEST(test_long_run_tracks_double)
{
    enum { B = 16, N_STEPS = 4000 };
    const size_t sizes[] = { 3, 8, 2 };
    const mlp_activation acts[] = { MLP_TANH, MLP_IDENTITY };
    mlpf_t *f = NULL;
    mlp_t *d = NULL;
    ck_assert_int_eq(mlpf_create(&f, 2, sizes, acts, MLP_MSE, 3), MLP_OK);
    ck_assert_int_eq(mlp_create(&d, 2, sizes, acts, MLP_MSE, 3), MLP_OK);
    size_t P = mlpf_n_params(f);
    for (size_t i = 0; i < P; i++)
        mlp_params(d)[i] = mlpf_params(f)[i];
    ck_assert_int_eq(mlpf_set_sgd(f, long_runs[_i].lr, long_runs[_i].mu),
                     MLP_OK);
    ck_assert_int_eq(mlp_set_sgd(d, long_runs[_i].lr, long_runs[_i].mu),
                     MLP_OK);
    ck_assert_int_eq(mlpf_set_weight_decay(f, long_runs[_i].lambda), MLP_OK);
    ck_assert_int_eq(mlp_set_weight_decay(d, long_runs[_i].lambda), MLP_OK);
    float Xf[B * 3], Tf[B * 2];
    double Xd[B * 3], Td[B * 2];
    rng_state = 11;
    for (size_t i = 0; i < B * 3; i++)
        Xd[i] = Xf[i] = (float)uniform(-2, 2);
    for (size_t i = 0; i < B * 2; i++)
        Td[i] = Tf[i] = (float)uniform(-1, 1);
    for (int step = 0; step < N_STEPS; step++) {
        int single = step % 4 == 3;
        size_t batch = single ? 1 : B, first = single ? (size_t)step % B : 0;
        ck_assert_int_eq(mlpf_train_batch(f, batch, Xf + first * 3,
                                          Tf + first * 2, NULL), MLP_OK);
        ck_assert_int_eq(mlp_train_batch(d, batch, Xd + first * 3,
                                         Td + first * 2, NULL), MLP_OK);
    }
    double *pf = zalloc(P, sizeof *pf);
    for (size_t i = 0; i < P; i++)
        pf[i] = mlpf_params(f)[i];
    double worst = 0, big = 0;
    for (size_t i = 0; i < P; i++) {
        double a = fabs(mlp_params(d)[i]), e = fabs(pf[i] - mlp_params(d)[i]);
        big = a > big ? a : big;
        worst = e > worst ? e : worst;
    }
    ck_assert_msg(worst <= sqrt((double)N_STEPS) * 0x1p-24 * big,
                  "lr %g, momentum %g, decay %g: float is %.3g (relative) "
                  "from double after %d steps, over the tolerance %.3g",
                  long_runs[_i].lr, long_runs[_i].mu, long_runs[_i].lambda,
                  worst / big, N_STEPS, sqrt((double)N_STEPS) * 0x1p-24);
    free(pf);
    mlpf_free(f);
    mlp_free(d);
}
END_TEST

/* mlpf_fit with the shared options and result learns a smooth function
 * as mlp_fit does; mlpf_clone copies a float network bitwise. */
START_TEST(test_fit_and_clone)
{
    enum { N = 256 };
    const size_t sizes[] = { 1, 16, 1 };
    const mlp_activation acts[] = { MLP_TANH, MLP_IDENTITY };
    float X[N], T[N];
    for (size_t i = 0; i < N; i++) {
        X[i] = (float)(-2 + 4 * (double)i / N);
        T[i] = (float)sin(1.5 * X[i]);
    }
    mlpf_t *f = NULL;
    ck_assert_int_eq(mlpf_create(&f, 2, sizes, acts, MLP_MSE, 3), MLP_OK);
    ck_assert_int_eq(mlpf_set_adam(f, 1e-2, 0.9, 0.999, 1e-8), MLP_OK);
    mlp_fit_options o;
    mlp_fit_defaults(&o);
    o.epochs = 200;
    o.validation = 0.25;
    mlp_fit_result r, rd;
    ck_assert_int_eq(mlpf_fit(f, N, X, T, &o, &r), MLP_OK);
    ck_assert_int_eq(r.stop, MLP_FIT_COMPLETED);
    /* the same fit in double, from the same data widened: the float
     * trajectory drifts from it, but ends as good (the targets' variance,
     * the cost of a constant prediction, is ~0.5) */
    double Xd[N], Td[N];
    for (size_t i = 0; i < N; i++) {
        Xd[i] = X[i];
        Td[i] = T[i];
    }
    mlp_t *d = NULL;
    ck_assert_int_eq(mlp_create(&d, 2, sizes, acts, MLP_MSE, 3), MLP_OK);
    ck_assert_int_eq(mlp_set_adam(d, 1e-2, 0.9, 0.999, 1e-8), MLP_OK);
    ck_assert_int_eq(mlp_fit(d, N, Xd, Td, &o, &rd), MLP_OK);
    mlp_free(d);
    ck_assert_msg(r.best_val_cost < 1e-2 &&
                      fabs(r.best_val_cost - rd.best_val_cost) <=
                          0.5 * rd.best_val_cost,
                  "validation cost %g in float, %g in double",
                  r.best_val_cost, rd.best_val_cost);
    mlpf_t *c = NULL;
    ck_assert_int_eq(mlpf_clone(&c, f), MLP_OK);
    float yf[N], yc[N];
    ck_assert_int_eq(mlpf_predict(f, N, X, yf), MLP_OK);
    ck_assert_int_eq(mlpf_predict(c, N, X, yc), MLP_OK);
    ck_assert_mem_eq(yf, yc, sizeof yf);
    mlpf_free(f);
    ck_assert_int_eq(mlpf_train_batch(c, N, X, T, NULL), MLP_OK);
    mlpf_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("precision");
    TCase *tc = tcase_create("float against double");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_gradients_against_double, 0, 24);
    tcase_add_loop_test(tc, test_jacobian_against_double, 0, 24);
    tcase_add_test(tc, test_init_is_rounded_double);
    tcase_add_test(tc, test_model_files_across_precisions);
    tcase_add_test(tc, test_adam_step_against_double);
    tcase_add_test(tc, test_hyper_parameters_rounding_to_zero);
    tcase_add_test(tc, test_fit_and_clone);
    tcase_add_loop_test(tc, test_long_run_tracks_double, 0,
                        sizeof long_runs / sizeof long_runs[0]);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    /* The observed errors, for the record (CK_FORK=no runs them here). */
    if (worst_gradient > 0)
        printf("worst relative error: gradients %.3g, jacobians %.3g\n",
               worst_gradient, worst_jacobian);
    return failed < 64 ? failed : 64;
}
