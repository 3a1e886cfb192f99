/* Built through mlp::mlp_mpi alone, which must bring mlp_mpi.h, mlp.h,
 * mpi.h and the libraries: broadcasts rank 0's parameters. */
#include <mlp_mpi.h>

#include <stdio.h>

int main(int argc, char **argv)
{
    const size_t sizes[] = { 2, 3, 1 };
    mlp_t *net = NULL;
    MPI_Init(&argc, &argv);
    mlp_status s = mlp_create(&net, 2, sizes, NULL, MLP_MSE, 1);
    if (s == MLP_OK)
        s = mlp_mpi_bcast_params(net, 0, MPI_COMM_WORLD);
    printf("%s: mlp_mpi_bcast_params: %s\n", s == MLP_OK ? "PASS" : "FAIL",
           mlp_strerror(s));
    mlp_free(net);
    MPI_Finalize();
    return s != MLP_OK;
}
