/*
 * test_fit_loop.c - lib/fit_loop.c, the loop shared by mlp_fit and
 * mlp_mpi_fit, driven here through its own operations table so that every
 * row it hands out can be seen.
 *
 * - mlp__fit_shuffle is the shuffle mlp.h documents: Fisher-Yates driven by
 *   SplitMix64 with rejection of the outputs below 2^64 mod (i+1). The test
 *   shuffles with its own implementation of that text (test_util's
 *   SplitMix64) and must get the same permutation and the same final state.
 * - The loop's order: with validation, 0..n-1 shuffled once, its first
 *   floor(validation n) entries held out (costed in chunks of batch_size,
 *   in that order, after every epoch), the rest shuffled again every epoch
 *   and cut into batches in order. Rows are numbered in the first input
 *   column, so the test sees exactly which rows each step and each
 *   validation chunk received, and compares with the documented order.
 * - A process holding only rows first .. first+n_local-1 of the same data
 *   (as one MPI rank does) receives, batch by batch, exactly its own rows
 *   of the whole run's batches, in the same order.
 * - mlp__fit_check refuses what mlp_fit refuses and computes the held-out
 *   count as floor(validation n).
 * Everything is exact.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fit_loop.h"
#include "mlp.h"
#include "test_util.h"

/* The documented shuffle, written from mlp.h's words. */
static void reference_shuffle(test_rng *rng, size_t *idx, size_t m)
{
    for (size_t i = m; i > 1; i--) {
        uint64_t bound = (uint64_t)i, skip = (0 - bound) % bound, r;
        do
            r = test_rng_next(rng);
        while (r < skip);
        size_t j = (size_t)(r % bound), tmp = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = tmp;
    }
}

START_TEST(test_shuffle_is_documented_one)
{
    static const size_t lengths[] = { 0, 1, 2, 3, 10, 97, 1000 };
    for (size_t t = 0; t < sizeof lengths / sizeof lengths[0]; t++) {
        size_t m = lengths[t];
        size_t *a = malloc((m + 1) * sizeof *a), *b = malloc((m + 1) * sizeof *b);
        ck_assert(a && b);
        for (size_t i = 0; i < m; i++)
            a[i] = b[i] = i;
        uint64_t state = 0x1234567 + t;
        test_rng rng = { state };
        mlp__fit_shuffle(&state, a, m);
        reference_shuffle(&rng, b, m);
        ck_assert(m == 0 || memcmp(a, b, m * sizeof *a) == 0);
        ck_assert_uint_eq(state, rng.state);
        free(a);
        free(b);
    }
}
END_TEST

/* What the operations saw: the row numbers, in order, with -1 between
 * calls. */
enum { MAX_LOG = 4096 };
struct log {
    double steps[MAX_LOG], chunks[MAX_LOG];
    size_t n_steps, n_chunks;
};

static void record(double *into, size_t *n, size_t rows, const real *X)
{
    for (size_t r = 0; r < rows; r++) {
        ck_assert_uint_lt(*n, MAX_LOG);
        into[(*n)++] = X[r];
    }
    ck_assert_uint_lt(*n, MAX_LOG);
    into[(*n)++] = -1.0;
}

static mlp_status step(void *ctx, mlp_t *net, size_t rows, const real *X,
                       const real *T, double *cost)
{
    (void)net;
    (void)T;
    struct log *log = ctx;
    record(log->steps, &log->n_steps, rows, X);
    *cost = 0.5;
    return MLP_OK;
}

static mlp_status chunk_cost(void *ctx, mlp_t *net, size_t rows,
                             const real *X, const real *T, double *cost)
{
    (void)net;
    (void)T;
    struct log *log = ctx;
    record(log->chunks, &log->n_chunks, rows, X);
    *cost = 1.0;
    return MLP_OK;
}

static mlp_status reduce(void *ctx, mlp_status status, double *sum)
{
    (void)ctx;
    (void)sum;
    return status;
}

enum { N = 23, EPOCHS = 3, BATCH = 5 };

static void run(mlp_t *net, size_t first, size_t n_local, double validation,
                struct log *log)
{
    static real X[N], T[N];
    for (size_t r = 0; r < N; r++) {
        X[r] = (real)r;
        T[r] = 0.0;
    }
    struct mlp__fit_data data = { N, first, n_local, X + first, T + first };
    struct mlp__fit_ops ops = { step, chunk_cost, reduce, NULL, log };
    mlp_fit_options o;
    mlp_fit_defaults(&o);
    o.epochs = EPOCHS;
    o.batch_size = BATCH;
    o.seed = 99;
    o.validation = validation;
    mlp_fit_result res;
    memset(log, 0, sizeof *log);
    ck_assert_int_eq(mlp__fit_run(net, &data, &o, &ops, &res), MLP_OK);
    ck_assert_uint_eq(res.epochs_run, EPOCHS);
}

/* The documented order of the rows each step and chunk receives. */
static void expected(double validation, struct log *want)
{
    size_t idx[N], n_val = (size_t)(validation * N);
    for (size_t i = 0; i < N; i++)
        idx[i] = i;
    test_rng rng = { 99 };
    memset(want, 0, sizeof *want);
    if (n_val > 0)
        reference_shuffle(&rng, idx, N);
    size_t *train = idx + n_val, n_train = N - n_val;
    for (int e = 0; e < EPOCHS; e++) {
        reference_shuffle(&rng, train, n_train);
        for (size_t b = 0; b < n_train; b += BATCH) {
            for (size_t r = b; r < b + BATCH && r < n_train; r++)
                want->steps[want->n_steps++] = (double)train[r];
            want->steps[want->n_steps++] = -1.0;
        }
        for (size_t b = 0; b < n_val; b += BATCH) {
            for (size_t r = b; r < b + BATCH && r < n_val; r++)
                want->chunks[want->n_chunks++] = (double)idx[r];
            want->chunks[want->n_chunks++] = -1.0;
        }
    }
}

static void assert_same_log(const char *what, const double *got, size_t n_got,
                            const double *want, size_t n_want)
{
    ck_assert_msg(n_got == n_want, "%s: %zu entries, want %zu", what, n_got,
                  n_want);
    for (size_t i = 0; i < n_got; i++)
        ck_assert_msg(got[i] == want[i], "%s: entry %zu is row %g, want %g",
                      what, i, got[i], want[i]);
}

static mlp_t *small_net(void)
{
    const size_t sizes[] = { 1, 2, 1 };
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 2, sizes, NULL, MLP_MSE, 1), MLP_OK);
    return net;
}

START_TEST(test_documented_order)
{
    static struct log got, want;
    const double validation = _i ? 0.2 : 0.0;    /* 4 rows held out */
    mlp_t *net = small_net();
    run(net, 0, N, validation, &got);
    expected(validation, &want);
    assert_same_log("steps", got.steps, got.n_steps, want.steps, want.n_steps);
    assert_same_log("validation chunks", got.chunks, got.n_chunks,
                    want.chunks, want.n_chunks);
    mlp_free(net);
}
END_TEST

/* One process's rows: each call of the whole run filtered to rows
 * first .. first+n_local-1 (calls that keep none are still made). */
static void filter(const double *in, size_t n_in, size_t first,
                   size_t n_local, double *out, size_t *n_out)
{
    *n_out = 0;
    for (size_t i = 0; i < n_in; i++)
        if (in[i] < 0 || (in[i] >= (double)first &&
                          in[i] < (double)(first + n_local)))
            out[(*n_out)++] = in[i];
}

START_TEST(test_shard_sees_its_rows)
{
    static struct log whole, part;
    static double want[MAX_LOG];
    size_t n_want;
    mlp_t *net = small_net();
    run(net, 0, N, 0.2, &whole);
    run(net, 5, 8, 0.2, &part);
    filter(whole.steps, whole.n_steps, 5, 8, want, &n_want);
    assert_same_log("shard steps", part.steps, part.n_steps, want, n_want);
    /* Validation chunks holding none of this process's rows are skipped. */
    filter(whole.chunks, whole.n_chunks, 5, 8, want, &n_want);
    size_t k = 0;
    for (size_t i = 0; i < n_want; i++)
        if (!(want[i] < 0 && (k == 0 || want[k - 1] < 0)))
            want[k++] = want[i];
    assert_same_log("shard validation", part.chunks, part.n_chunks, want, k);
    mlp_free(net);
}
END_TEST

START_TEST(test_check)
{
    mlp_fit_options o;
    size_t n_val = 12345;
    mlp_fit_defaults(&o);
    ck_assert_int_eq(mlp__fit_check(&o, 10, &n_val), MLP_OK);
    ck_assert_uint_eq(n_val, 0);
    o.validation = 0.25;
    ck_assert_int_eq(mlp__fit_check(&o, 10, &n_val), MLP_OK);
    ck_assert_uint_eq(n_val, 2);                  /* floor(2.5) */
    ck_assert_int_eq(mlp__fit_check(&o, 3, &n_val), MLP_ERR_ARG); /* 0 held out */
    o.validation = 0.99;
    ck_assert_int_eq(mlp__fit_check(&o, 1000, &n_val), MLP_OK);
    ck_assert_uint_eq(n_val, 990);
    const double bad_validation[] = { -0.1, 1.0, NAN };
    for (int k = 0; k < 3; k++) {
        mlp_fit_defaults(&o);
        o.validation = bad_validation[k];
        ck_assert_int_eq(mlp__fit_check(&o, 100, &n_val), MLP_ERR_ARG);
    }
    mlp_fit_defaults(&o);
    o.epochs = 0;
    ck_assert_int_eq(mlp__fit_check(&o, 100, &n_val), MLP_ERR_ARG);
    mlp_fit_defaults(&o);
    o.batch_size = 0;
    ck_assert_int_eq(mlp__fit_check(&o, 100, &n_val), MLP_ERR_ARG);
    mlp_fit_defaults(&o);
    o.min_delta = -1e-9;
    ck_assert_int_eq(mlp__fit_check(&o, 100, &n_val), MLP_ERR_ARG);
    o.min_delta = NAN;
    ck_assert_int_eq(mlp__fit_check(&o, 100, &n_val), MLP_ERR_ARG);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fit_loop");
    TCase *tc = tcase_create("fit_loop");
    tcase_add_test(tc, test_shuffle_is_documented_one);
    tcase_add_loop_test(tc, test_documented_order, 0, 2);
    tcase_add_test(tc, test_shard_sees_its_rows);
    tcase_add_test(tc, test_check);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
