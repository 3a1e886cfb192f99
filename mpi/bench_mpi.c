/* bench_mpi.c - steps per second of data-parallel training.
 *
 *   bench_mpi [--single|--fused] [--steps N] B n_0 n_1 ... n_L
 *
 * Default: under mpirun, the global batch of B rows is split evenly over
 * the ranks and each step is mlp_mpi_train_batch. --single runs
 * mlp_backprop + mlp_step on the whole batch in this one process (the
 * same arithmetic without MPI); --fused runs mlp_train_batch, the core's
 * fastest single-process step. Rank 0 prints one line. */
#include "mlp_mpi.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum mode { MODE_MPI, MODE_SINGLE, MODE_FUSED };
static const char *const mode_names[] = { "mpi", "single", "fused" };

struct bench {
    int rank, ranks;
    enum mode mode;
    long steps;
    size_t batch, rows; /* global batch, this rank's rows */
    size_t n_layers, *sizes;
    double *X, *T;
    mlp_t *net;
};

static double uniform(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

/* *out = text read as a whole number in [1, hi], written in decimal
 * digits only; false for anything else ("10x", "-1", "", overflow). */
static bool whole_number(const char *text, unsigned long long hi, size_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = 0;
    if (text[0] >= '0' && text[0] <= '9')
        v = strtoull(text, &end, 10);
    if (!end || *end != '\0' || errno == ERANGE || v < 1 || v > hi)
        return false;
    *out = (size_t)v;
    return true;
}

/* The options and the shape; 0 on success, -1 for an unknown option or a
 * count that is not a whole positive number. */
static int parse_args(struct bench *b, int argc, char **argv)
{
    int a = 1;
    size_t steps = 20;
    for (; a < argc && argv[a][0] == '-'; a++) {
        if (!strcmp(argv[a], "--single"))
            b->mode = MODE_SINGLE;
        else if (!strcmp(argv[a], "--fused"))
            b->mode = MODE_FUSED;
        else if (!strcmp(argv[a], "--steps") && a + 1 < argc) {
            if (!whole_number(argv[++a], 1000000000, &steps))
                return -1;
        } else
            return -1;
    }
    b->steps = (long)steps;
    if (argc - a < 3 || !whole_number(argv[a++], 1u << 24, &b->batch))
        return -1;
    b->n_layers = (size_t)(argc - a) - 1;
    b->sizes = malloc((b->n_layers + 1) * sizeof *b->sizes);
    if (!b->sizes)
        return -1;
    for (size_t l = 0; l <= b->n_layers; l++)
        if (!whole_number(argv[a + (int)l], 1u << 20, &b->sizes[l]))
            return -1;
    return 0;
}

/* This rank's rows of an even split, random inputs and targets, and the
 * network; returns a status. */
static mlp_status set_up(struct bench *b)
{
    b->rows = b->batch;
    if (b->mode == MODE_MPI)
        b->rows = b->batch / (size_t)b->ranks +
                  ((size_t)b->rank < b->batch % (size_t)b->ranks);
    size_t n_in = b->sizes[0], n_out = b->sizes[b->n_layers];
    b->X = malloc((b->rows * n_in + 1) * sizeof *b->X);
    b->T = malloc((b->rows * n_out + 1) * sizeof *b->T);
    if (!b->X || !b->T)
        return MLP_ERR_NOMEM;
    uint64_t s = 1 + (uint64_t)b->rank;
    for (size_t i = 0; i < b->rows * n_in; i++)
        b->X[i] = 2.0 * uniform(&s) - 1.0;
    for (size_t i = 0; i < b->rows * n_out; i++)
        b->T[i] = uniform(&s);
    mlp_status st = mlp_create(&b->net, b->n_layers, b->sizes, NULL, MLP_MSE,
                               7);
    if (st == MLP_OK)
        st = mlp_set_sgd(b->net, 0.01, 0.0);
    if (st == MLP_OK && b->mode == MODE_MPI)
        st = mlp_mpi_bcast_params(b->net, 0, MPI_COMM_WORLD);
    return st;
}

static mlp_status step(struct bench *b)
{
    if (b->mode == MODE_MPI)
        return mlp_mpi_train_batch(b->net, b->rows, b->X, b->T, NULL,
                                   MPI_COMM_WORLD);
    if (b->mode == MODE_SINGLE) {
        mlp_status st = mlp_backprop(b->net, b->rows, b->X, b->T, NULL);
        return st == MLP_OK ? mlp_step(b->net) : st;
    }
    return mlp_train_batch(b->net, b->rows, b->X, b->T, NULL);
}

/* Seconds for b->steps steps after 2 warm-up steps, the slowest rank's. */
static mlp_status time_steps(struct bench *b, double *elapsed)
{
    mlp_status st = MLP_OK;
    for (long i = -2; st == MLP_OK && i < b->steps; i++) {
        if (i == 0) {
            MPI_Barrier(MPI_COMM_WORLD);
            *elapsed = MPI_Wtime();
        }
        st = step(b);
    }
    *elapsed = MPI_Wtime() - *elapsed;
    MPI_Allreduce(MPI_IN_PLACE, elapsed, 1, MPI_DOUBLE, MPI_MAX,
                  MPI_COMM_WORLD);
    return st;
}

/* Milliseconds of the gradient's Allreduce alone, for the comparison. */
static double time_allreduce(struct bench *b)
{
    size_t n = mlp_n_params(b->net);
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    for (int i = 0; i < 5; i++)
        MPI_Allreduce(MPI_IN_PLACE, mlp_grads(b->net), (int)n, MPI_DOUBLE,
                      MPI_SUM, MPI_COMM_WORLD);
    return (MPI_Wtime() - t0) / 5 * 1e3;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    struct bench b = { .mode = MODE_MPI };
    MPI_Comm_rank(MPI_COMM_WORLD, &b.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &b.ranks);
    if (parse_args(&b, argc, argv) != 0) {
        if (b.rank == 0)
            fprintf(stderr, "usage: %s [--single|--fused] [--steps N] "
                            "B n_0 n_1 ... n_L\n", argv[0]);
        MPI_Finalize();
        return 2;
    }
    double elapsed = 0.0, reduce_ms = 0.0;
    mlp_status st = set_up(&b);
    if (st == MLP_OK)
        st = time_steps(&b, &elapsed);
    if (st == MLP_OK && b.mode == MODE_MPI && b.ranks > 1)
        reduce_ms = time_allreduce(&b);
    if (b.rank == 0 && st != MLP_OK)
        fprintf(stderr, "bench_mpi: %s\n", mlp_strerror(st));
    else if (b.rank == 0)
        printf("%-7s ranks=%d B=%zu steps=%ld  %.2f steps/s  %.1f ms/step"
               "  allreduce %.1f ms\n", mode_names[b.mode], b.ranks, b.batch,
               b.steps, (double)b.steps / elapsed,
               elapsed / (double)b.steps * 1e3, reduce_ms);
    mlp_free(b.net);
    free(b.sizes);
    free(b.X);
    free(b.T);
    MPI_Finalize();
    return st == MLP_OK ? 0 : 1;
}
