/* test_exit.c - a program that, like a user's, ends on the first error.
 *
 * The last rank's data hold a NaN; mlp_mpi_fit must return
 * MLP_ERR_NONFINITE on every rank, so that every rank leaves through
 * MPI_Finalize with exit status MLP_ERR_NONFINITE (3), saying so, and none
 * hangs (run-ranks.sh checks all three). With the argument "crash" the
 * last rank instead dies of SIGSEGV after the fit, which run-ranks.sh must
 * report as a failure. */
#include "mlp_mpi.h"
#include "harness.h"

#include <signal.h>

int main(int argc, char **argv)
{
    test_init(&argc, &argv);
    int crash = argc > 1 && strcmp(argv[1], "crash") == 0;
    enum { ROWS = 12 };
    const size_t sizes[] = { 4, 6, 2 };
    real X[ROWS * 4], T[ROWS * 2];
    test_data(ROWS, 4, 2, 0, 9 + (uint64_t)test_rank, X, T);
    if (test_rank == test_ranks - 1)
        X[ROWS * 4 - 1] = NAN;

    mlp_fit_options options;
    mlp_fit_defaults(&options);
    options.epochs = 3;
    options.batch_size = 4;
    mlp_t *net = NULL;
    mlp_status st = mlp_create(&net, 2, sizes, NULL, MLP_MSE, 1);
    if (st == MLP_OK)
        st = mlp_mpi_bcast_params(net, 0, MPI_COMM_WORLD);
    if (st == MLP_OK)
        st = mlp_mpi_fit(net, ROWS, X, T, &options, NULL, MPI_COMM_WORLD);
    if (crash && test_rank == test_ranks - 1)
        raise(SIGSEGV);
    printf("rank %d of %d exits with status %d (%s)\n", test_rank,
           test_ranks, (int)st, mlp_strerror(st));
    fflush(stdout);
    mlp_free(net);
    MPI_Finalize();
    return (int)st;
}
