/* harness.h - a few helpers shared by the MPI tests.
 *
 * Check forks a process per test, which MPI forbids after MPI_Init, so
 * these tests count failures themselves: every rank checks its own
 * results, and at the end the counts are summed so that every rank exits
 * with the same code (mpirun then reports failure if any rank failed), and
 * every rank says so on a line of its own (run-ranks.sh counts them). */
#ifndef MLP_MPI_TEST_HARNESS_H
#define MLP_MPI_TEST_HARNESS_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

/* Every test is compiled twice (meson.build): as written for the double
 * family mlp_mpi_*, and with -DMLP_SINGLE, where mpi_precision.h renames
 * each name to its float twin (mlpf_mpi_*, mlpf_t, ...) and `real` is
 * float, so that one text checks both families. */
#include "mlp_mpi.h"
#include "mpi_precision.h"

/* A tolerance by precision: (d) in the double build, (f) in the float
 * build; each use says how it was derived. */
#ifdef MLP_SINGLE
#define TEST_BY_PRECISION(d, f) (f)
#define TEST_PRECISION_NAME "float"
#else
#define TEST_BY_PRECISION(d, f) (d)
#define TEST_PRECISION_NAME "double"
#endif

static int test_rank, test_ranks;
static long test_failures, test_checks;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        test_checks++;                                                     \
        if (!(cond)) {                                                     \
            test_failures++;                                               \
            fprintf(stderr, "rank %d: %s:%d: check failed: %s: ",          \
                    test_rank, __FILE__, __LINE__, #cond);                 \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
        }                                                                  \
    } while (0)

static inline void test_init(int *argc, char ***argv)
{
    MPI_Init(argc, argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &test_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &test_ranks);
    if (test_ranks > 64) { /* test_shard's table */
        if (test_rank == 0)
            fprintf(stderr, "these tests run on at most 64 ranks\n");
        MPI_Finalize();
        exit(1);
    }
}

/* Sums the failures over every rank, prints one line on rank 0, and ends
 * MPI; returns the exit code every rank should use. */
static inline int test_finish(const char *name)
{
    long counts[2] = { test_failures, test_checks };
    MPI_Allreduce(MPI_IN_PLACE, counts, 2, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
    if (test_rank == 0)
        printf("%s (%s) on %d rank(s): %ld checks, %ld failed\n", name,
               TEST_PRECISION_NAME, test_ranks, counts[1], counts[0]);
    int code = counts[0] == 0 ? 0 : 1;
    printf("rank %d of %d exits with status %d\n", test_rank, test_ranks,
           code);
    fflush(stdout);
    MPI_Finalize();
    return code;
}

/* The tests' own generator (not the library's), for data. */
static inline double test_uniform(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}

/* Rows X (n x n_in) uniform in [-1, 1]; targets T (n x n_out) one-hot when
 * one_hot, else uniform in [0, 1]. The same on every rank. */
static inline void test_data(size_t n, size_t n_in, size_t n_out,
                             int one_hot, uint64_t seed, real *X,
                             real *T)
{
    uint64_t s = seed;
    for (size_t i = 0; i < n * n_in; i++)
        X[i] = (real)(2.0 * test_uniform(&s) - 1.0);
    for (size_t i = 0; i < n; i++) {
        if (one_hot) {
            size_t c = (size_t)(test_uniform(&s) * (double)n_out);
            for (size_t j = 0; j < n_out; j++)
                T[i * n_out + j] = j == c;
        } else {
            for (size_t j = 0; j < n_out; j++)
                T[i * n_out + j] = (real)test_uniform(&s);
        }
    }
}

/* How `total` rows are split over the ranks: this rank gets *count rows
 * starting at row *first. */
enum test_split { SPLIT_EVEN, SPLIT_UNEVEN, SPLIT_ONE_EMPTY };
static const char *const test_split_names[] = { "even", "uneven",
                                                "one empty" };

static inline void test_shard(enum test_split split, size_t total,
                              int rank, int ranks, size_t *first,
                              size_t *count)
{
    size_t sizes[64] = { 0 };
    size_t P = (size_t)ranks, rest = total;
    if (split == SPLIT_EVEN) {
        for (size_t r = 0; r < P; r++)
            sizes[r] = total / P + (r < total % P);
    } else if (split == SPLIT_UNEVEN) {
        /* Shares growing as (r + 1)^2, the remainder to the last rank. */
        size_t weight = 0;
        for (size_t r = 0; r < P; r++)
            weight += (r + 1) * (r + 1);
        for (size_t r = 0; r + 1 < P; r++) {
            sizes[r] = total * (r + 1) * (r + 1) / weight;
            rest -= sizes[r];
        }
        sizes[P - 1] = rest;
    } else {
        /* Rank 0 holds nothing when there is anyone else. */
        size_t others = P > 1 ? P - 1 : 1;
        for (size_t r = P - others; r < P; r++)
            sizes[r] = total / others + (r - (P - others) < total % others);
    }
    *first = 0;
    for (int r = 0; r < rank; r++)
        *first += sizes[r];
    *count = sizes[rank];
}

/* max_i |a_i - b_i| / max(1, |b_i|), computed in double; for reals and
 * for doubles (the fit results' costs). */
static inline double test_rel_diff_one(double a, double b, double worst)
{
    double scale = fabs(b) > 1.0 ? fabs(b) : 1.0;
    double d = fabs(a - b) / scale;
    return d <= worst ? worst : d;
}

static inline double test_max_rel_diff(const real *a, const real *b,
                                       size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++)
        worst = test_rel_diff_one(a[i], b[i], worst);
    return worst;
}

static inline double test_max_rel_diff_d(const double *a, const double *b,
                                         size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++)
        worst = test_rel_diff_one(a[i], b[i], worst);
    return worst;
}

/* Whether this rank's n values (of `size` bytes, MPI type `type`) are
 * bitwise the same as rank 0's. */
static inline int test_same_bits_as_rank0(const void *x, size_t n,
                                          size_t size, MPI_Datatype type)
{
    void *copy = malloc(n * size);
    if (!copy)
        return 0;
    memcpy(copy, x, n * size);
    MPI_Bcast(copy, (int)n, type, 0, MPI_COMM_WORLD);
    int same = memcmp(copy, x, n * size) == 0;
    free(copy);
    return same;
}

static inline int test_same_as_rank0(const real *x, size_t n)
{
    return test_same_bits_as_rank0(x, n, sizeof *x, MLP__MPI_REAL);
}

static inline int test_same_as_rank0_d(const double *x, size_t n)
{
    return test_same_bits_as_rank0(x, n, sizeof *x, MPI_DOUBLE);
}

#endif
