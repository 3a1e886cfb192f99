/*
 * mlp-gradcheck - libmlp's gradients and training step against the naive
 * reference (tests/reference/naive.c) on the benchmark's shapes, the check
 * to run after every performance change. Exits 1 on any mismatch.
 *
 * For each shape, batch and activation/loss combination it compares
 *   - mlp_backprop's cost and gradients with naive_backprop's;
 *   - mlp_train_batch (plain SGD, fused into the GEMMs; and with momentum)
 *     with params - lr * naive gradients.
 * Tolerance: both sum the same products in different orders, so each entry
 * differs by at most about K * eps * sum|terms| (K <= a few thousand terms,
 * eps = 1.1e-16), i.e. ~1e-12 relative to the largest entry for these
 * sizes; we allow 1e-9 of the largest |gradient| (or |update|), which a
 * wrong index or a missed term exceeds by orders of magnitude.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "naive.h"

#define TOL 1e-9

static uint64_t rng_state = 12345;
static double uniform(void)
{
    rng_state = rng_state * 6364136223846793005u + 1442695040888963407u;
    return (double)(rng_state >> 11) * 0x1.0p-53;
}

static double max_abs(const double *x, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(x[i]));
    return m;
}

static double max_diff(const double *x, const double *y, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(x[i] - y[i]));
    return m;
}

static int failures;

static void check(const char *what, const char *name, size_t batch,
                  double diff, double scale)
{
    bool ok = diff <= TOL * (scale > 0 ? scale : 1.0);
    if (!ok)
        failures++;
    printf("%-4s %-22s B=%-4zu %-28s max|diff| %.3g (scale %.3g)\n",
           ok ? "ok" : "FAIL", name, batch, what, diff, scale);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

static void die(const char *what, const char *name)
{
    fprintf(stderr, "%s failed for %s\n", what, name);
    exit(1);
}

/* Inputs in [-1, 1); targets one-hot (cross-entropy) or in [0, 1). */
static void make_data(size_t n0, size_t nL, mlp_loss loss, size_t batch,
                      double *X, double *T)
{
    for (size_t i = 0; i < batch * n0; i++)
        X[i] = 2.0 * uniform() - 1.0;
    for (size_t r = 0; r < batch; r++)
        for (size_t j = 0; j < nL; j++)
            T[r * nL + j] = loss == MLP_CROSS_ENTROPY
                                ? (j == r % nL ? 1.0 : 0.0) /* one-hot */
                                : uniform();
}

/* One training step from p0 must move the parameters by want - p0. */
static void check_step(mlp_t *net, const double *p0, const double *want,
                       const double *g, double lr, double momentum,
                       size_t batch, const double *X, const double *T,
                       const char *name)
{
    size_t n = mlp_n_params(net);
    memcpy(mlp_params(net), p0, n * sizeof(double));
    mlp_set_sgd(net, lr, momentum);
    if (mlp_train_batch(net, batch, X, T, NULL) != MLP_OK)
        die(momentum > 0 ? "mlp_train_batch (momentum)" : "mlp_train_batch",
            name);
    /* Compare the update (p - p0), not p, so the scale is the step's. */
    double d = 0.0;
    for (size_t i = 0; i < n; i++)
        d = fmax(d, fabs((mlp_params(net)[i] - p0[i]) - (want[i] - p0[i])));
    check(momentum > 0 ? "train_batch momentum" : "train_batch sgd", name,
          batch, d, lr * max_abs(g, n));
}

static void run(size_t L, const size_t *sizes, const mlp_activation *acts,
                mlp_loss loss, size_t batch, const char *name)
{
    size_t n0 = sizes[0], nL = sizes[L];
    double *X = xmalloc(batch * n0 * sizeof(double));
    double *T = xmalloc(batch * nL * sizeof(double));
    make_data(n0, nL, loss, batch, X, T);

    mlp_t *net;
    if (mlp_create(&net, L, sizes, acts, loss, 7) != MLP_OK)
        die("mlp_create", name);
    size_t n = mlp_n_params(net);
    double *p0 = xmalloc(n * sizeof(double));
    double *g = xmalloc(n * sizeof(double));
    double *want = xmalloc(n * sizeof(double));
    /* Non-zero biases, so that the bias path is exercised. */
    for (size_t l = 1; l <= L; l++)
        for (size_t i = 0; i < sizes[l]; i++)
            mlp_biases(net, l)[i] = 0.2 * uniform() - 0.1;
    memcpy(p0, mlp_params(net), n * sizeof(double));

    double cost_naive, cost_mlp;
    if (naive_backprop(L, sizes, acts, loss, p0, batch, X, T, g, &cost_naive)) {
        fprintf(stderr, "naive_backprop failed\n");
        exit(1);
    }
    if (mlp_backprop(net, batch, X, T, &cost_mlp) != MLP_OK)
        die("mlp_backprop", name);
    check("cost", name, batch, fabs(cost_mlp - cost_naive), fabs(cost_naive));
    check("gradients", name, batch, max_diff(mlp_grads(net), g, n),
          max_abs(g, n));

    /* Plain SGD: one fused step must equal p0 - lr g; so must the first
     * step of momentum, from a fresh state. */
    double lr = 0.05;
    for (size_t i = 0; i < n; i++)
        want[i] = p0[i] - lr * g[i];
    check_step(net, p0, want, g, lr, 0.0, batch, X, T, name);
    check_step(net, p0, want, g, lr, 0.9, batch, X, T, name);

    mlp_free(net);
    free(X);
    free(T);
    free(p0);
    free(g);
    free(want);
}

int main(void)
{
    static const struct {
        size_t L, sizes[5], batch;
    } shapes[] = {
        { 2, { 64, 32, 10 }, 1 },
        { 2, { 64, 32, 10 }, 64 },
        { 2, { 784, 128, 10 }, 32 },
        { 3, { 784, 512, 512, 10 }, 16 },
        { 2, { 1024, 1024, 1024 }, 4 },
        { 2, { 2048, 2048, 2048 }, 2 },
        { 2, { 3, 5, 1 }, 7 },
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        size_t L = shapes[i].L;
        const size_t *sizes = shapes[i].sizes;
        char name[96];
        size_t used = 0;
        for (size_t l = 0; l <= L; l++)
            used += (size_t)snprintf(name + used, sizeof name - used,
                                     l ? "-%zu" : "%zu", sizes[l]);
        mlp_activation sig[4] = { MLP_SIGMOID, MLP_SIGMOID, MLP_SIGMOID, MLP_SIGMOID };
        mlp_activation soft[4] = { MLP_TANH, MLP_RELU, MLP_RELU, MLP_RELU };
        mlp_activation lin[4] = { MLP_RELU, MLP_TANH, MLP_TANH, MLP_TANH };
        soft[L - 1] = MLP_SOFTMAX;
        lin[L - 1] = MLP_IDENTITY;
        size_t batches[2] = { shapes[i].batch, 1 };
        for (size_t b = 0; b < (shapes[i].batch == 1 ? 1u : 2u); b++) {
            run(L, sizes, sig, MLP_MSE, batches[b], name);
            run(L, sizes, soft, MLP_CROSS_ENTROPY, batches[b], name);
            run(L, sizes, lin, MLP_MSE, batches[b], name);
            run(L, sizes, sig, MLP_CROSS_ENTROPY, batches[b], name);
        }
    }
    printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
    return failures ? 1 : 0;
}
