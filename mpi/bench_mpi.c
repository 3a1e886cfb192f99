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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double uniform(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, ranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);

    enum { MODE_MPI, MODE_SINGLE, MODE_FUSED } mode = MODE_MPI;
    long steps = 20;
    int a = 1;
    for (; a < argc && argv[a][0] == '-'; a++) {
        if (!strcmp(argv[a], "--single"))
            mode = MODE_SINGLE;
        else if (!strcmp(argv[a], "--fused"))
            mode = MODE_FUSED;
        else if (!strcmp(argv[a], "--steps") && a + 1 < argc)
            steps = atol(argv[++a]);
    }
    if (argc - a < 3 || steps < 1) {
        if (rank == 0)
            fprintf(stderr, "usage: %s [--single|--fused] [--steps N] "
                            "B n_0 n_1 ... n_L\n", argv[0]);
        MPI_Finalize();
        return 2;
    }
    size_t batch = strtoul(argv[a++], NULL, 10);
    size_t n_layers = (size_t)(argc - a) - 1;
    size_t *sizes = malloc((n_layers + 1) * sizeof *sizes);
    for (size_t l = 0; l <= n_layers; l++)
        sizes[l] = strtoul(argv[a + (int)l], NULL, 10);

    /* This rank's rows of an even split. */
    size_t rows = batch;
    if (mode == MODE_MPI)
        rows = batch / (size_t)ranks + ((size_t)rank < batch % (size_t)ranks);
    size_t n_in = sizes[0], n_out = sizes[n_layers];
    double *X = malloc(rows * n_in * sizeof *X);
    double *T = malloc(rows * n_out * sizeof *T);
    uint64_t s = 1 + (uint64_t)rank;
    for (size_t i = 0; i < rows * n_in; i++)
        X[i] = 2.0 * uniform(&s) - 1.0;
    for (size_t i = 0; i < rows * n_out; i++)
        T[i] = uniform(&s);

    mlp_t *net = NULL;
    mlp_status st = mlp_create(&net, n_layers, sizes, NULL, MLP_MSE, 7);
    if (st == MLP_OK)
        st = mlp_set_sgd(net, 0.01, 0.0);
    if (st == MLP_OK && mode == MODE_MPI)
        st = mlp_mpi_bcast_params(net, 0, MPI_COMM_WORLD);

    double elapsed = 0.0;
    for (long i = -2; st == MLP_OK && i < steps; i++) { /* 2 warm-up steps */
        if (i == 0) {
            MPI_Barrier(MPI_COMM_WORLD);
            elapsed = MPI_Wtime();
        }
        if (mode == MODE_MPI)
            st = mlp_mpi_train_batch(net, rows, X, T, NULL, MPI_COMM_WORLD);
        else if (mode == MODE_SINGLE)
            st = mlp_backprop(net, rows, X, T, NULL) == MLP_OK
                     ? mlp_step(net) : MLP_ERR_NONFINITE;
        else
            st = mlp_train_batch(net, rows, X, T, NULL);
    }
    elapsed = MPI_Wtime() - elapsed;
    MPI_Allreduce(MPI_IN_PLACE, &elapsed, 1, MPI_DOUBLE, MPI_MAX,
                  MPI_COMM_WORLD);

    /* The cost of the gradient's Allreduce alone, for the comparison. */
    double reduce_ms = 0.0;
    if (st == MLP_OK && mode == MODE_MPI && ranks > 1) {
        size_t n = mlp_n_params(net);
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        for (int i = 0; i < 5; i++)
            MPI_Allreduce(MPI_IN_PLACE, mlp_grads(net), (int)n, MPI_DOUBLE,
                          MPI_SUM, MPI_COMM_WORLD);
        reduce_ms = (MPI_Wtime() - t0) / 5 * 1e3;
    }

    if (rank == 0) {
        if (st != MLP_OK)
            fprintf(stderr, "bench_mpi: %s\n", mlp_strerror(st));
        else
            printf("%-7s ranks=%d B=%zu steps=%ld  %.2f steps/s  %.1f ms/step"
                   "  allreduce %.1f ms\n",
                   mode == MODE_MPI ? "mpi" : mode == MODE_SINGLE ? "single"
                                                                 : "fused",
                   ranks, batch, steps, (double)steps / elapsed,
                   elapsed / (double)steps * 1e3, reduce_ms);
    }
    mlp_free(net);
    free(sizes);
    free(X);
    free(T);
    MPI_Finalize();
    return st == MLP_OK ? 0 : 1;
}
