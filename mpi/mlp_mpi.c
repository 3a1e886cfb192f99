/* mlp_mpi.c - the collectives behind libmlp_mpi, mlp_mpi_bcast_params and
 * mlp_mpi_train_batch, on top of libmlp's public API; compiled twice, for
 * the double family and (MLP_SINGLE) the float one (mpi_internal.h).
 *
 * Every collective decision (go on or stop, and with which status) is taken
 * from values every rank has reduced together, never from a rank's own
 * state alone: that is what keeps ranks from parting ways and one of them
 * waiting forever in a collective call the others never make. */
#include "mpi_internal.h"

#include <stdlib.h>
#include <string.h>

/* MPI counts are ints; longer buffers go in pieces of this many. */
#define CHUNK ((size_t)1 << 30)

uint64_t mlp__mpi_shape_hash(const mlp_t *net)
{
    if (!net)
        return 0;
    size_t L = mlp_n_layers(net);
    uint64_t w[3] = { L, mlp_n_params(net), sizeof(real) };
    uint64_t h = mlp__mpi_hash(MLP__HASH_START, w, 3);
    for (size_t l = 0; l <= L; l++) {
        w[0] = mlp_layer_size(net, l);
        w[1] = l > 0 ? (uint64_t)mlp_layer_activation(net, l) : 0;
        h = mlp__mpi_hash(h, w, 2);
    }
    w[0] = (uint64_t)mlp_loss_kind(net);
    return mlp__mpi_hash(h, w, 1);
}

static int allreduce_sum(real *x, size_t n, MPI_Comm comm)
{
    while (n > 0) {
        size_t k = n < CHUNK ? n : CHUNK;
        int rc = MPI_Allreduce(MPI_IN_PLACE, x, (int)k, MLP__MPI_REAL,
                               MPI_SUM, comm);
        if (rc != MPI_SUCCESS)
            return rc;
        x += k;
        n -= k;
    }
    return MPI_SUCCESS;
}

static int bcast_reals(real *x, size_t n, int root, MPI_Comm comm)
{
    while (n > 0) {
        size_t k = n < CHUNK ? n : CHUNK;
        int rc = MPI_Bcast(x, (int)k, MLP__MPI_REAL, root, comm);
        if (rc != MPI_SUCCESS)
            return rc;
        x += k;
        n -= k;
    }
    return MPI_SUCCESS;
}

/* ------------------------------------------------------------------------ */
/* Broadcast                                                                */

/* The scaling in one block: in_mean, in_std (n_0 each), out_mean, out_std
 * (n_L each). */
struct scaling {
    real *block;
    size_t n0, nL;
};

static mlp_status scaling_alloc(const mlp_t *net, struct scaling *sc)
{
    sc->n0 = mlp_layer_size(net, 0);
    sc->nL = mlp_layer_size(net, mlp_n_layers(net));
    sc->block = malloc(2 * (sc->n0 + sc->nL) * sizeof *sc->block);
    return sc->block ? MLP_OK : MLP_ERR_NOMEM;
}

static mlp_status bcast_scaling(mlp_t *net, struct scaling *sc, int root,
                                MPI_Comm comm)
{
    real *in_mean = sc->block, *in_std = in_mean + sc->n0,
           *out_mean = in_std + sc->n0, *out_std = out_mean + sc->nL;
    int rank;
    if (MPI_Comm_rank(comm, &rank) != MPI_SUCCESS)
        return MLP_ERR_IO;
    if (rank == root)
        mlp_get_scaling(net, in_mean, in_std, out_mean, out_std);
    if (bcast_reals(sc->block, 2 * (sc->n0 + sc->nL), root, comm) !=
        MPI_SUCCESS)
        return MLP_ERR_IO;
    /* Root's values passed its own checks, so they pass here too. */
    return rank == root ? MLP_OK
                        : mlp_set_scaling(net, in_mean, in_std, out_mean,
                                          out_std);
}

mlp_status mlp_mpi_bcast_params(mlp_t *net, int root, MPI_Comm comm)
{
    int n_ranks;
    if (MPI_Comm_size(comm, &n_ranks) != MPI_SUCCESS)
        return MLP_ERR_IO;
    mlp_status status = MLP_OK;
    struct scaling sc = { NULL, 0, 0 };
    if (!net || root < 0 || root >= n_ranks)
        status = MLP_ERR_ARG;
    else
        status = scaling_alloc(net, &sc);
    /* One round settles it all: every rank's status, the same root
     * everywhere, and the same shape as every other rank. */
    uint64_t word[2] = { mlp__mpi_shape_hash(net), (uint64_t)root };
    struct mlp__tally t;
    if (mlp__mpi_share(comm, status, 0.0, 0.0,
                       mlp__mpi_hash(MLP__HASH_START, word, 2),
                       &t) != MPI_SUCCESS)
        status = MLP_ERR_IO;
    else if (t.status != MLP_OK)
        status = t.status;
    else if (t.mismatch)
        status = MLP_ERR_ARG;
    else if (bcast_reals(mlp_params(net), mlp_n_params(net), root, comm) !=
             MPI_SUCCESS)
        status = MLP_ERR_IO;
    else
        status = bcast_scaling(net, &sc, root, comm);
    free(sc.block);
    return status;
}

/* ------------------------------------------------------------------------ */
/* One step                                                                 */

/* Rank r's gradient is the mean over its b_r rows; weighted by b_r / B
 * the sum over ranks is the mean over all B rows. */
static int reduce_gradient(mlp_t *net, size_t batch, double total,
                           MPI_Comm comm)
{
    real *g = mlp_grads(net);
    size_t n = mlp_n_params(net);
    if (batch == 0) {
        memset(g, 0, n * sizeof *g);
    } else if ((double)batch != total) {
        double w = (double)batch / total;
        for (size_t i = 0; i < n; i++)
            g[i] *= w;
    }
    return allreduce_sum(g, n, comm);
}

mlp_status mlp_mpi_train_batch(mlp_t *net, size_t batch, const real *X,
                               const real *T, real *cost, MPI_Comm comm)
{
    mlp_status status = MLP_OK;
    real local_cost = 0;
    if (!net || (batch > 0 && (!X || !T)))
        status = MLP_ERR_ARG;
    else if (batch > 0)
        status = mlp_backprop(net, batch, X, T, &local_cost);

    /* Before any rank changes anything: the total batch, the total cost,
     * whether every rank's backprop succeeded, and whether every rank's
     * network has the same shape (networks of different sizes would
     * otherwise meet in an MPI_Allreduce of different lengths). */
    struct mlp__tally t;
    if (mlp__mpi_share(comm, status, (double)batch,
                       (double)batch * local_cost, mlp__mpi_shape_hash(net),
                       &t) != MPI_SUCCESS)
        return MLP_ERR_IO;
    if (t.mismatch)
        return MLP_ERR_ARG;
    if (t.status != MLP_OK)
        return t.status;
    if (t.rows == 0.0)
        return MLP_ERR_ARG;

    if (reduce_gradient(net, batch, t.rows, comm) != MPI_SUCCESS)
        return MLP_ERR_IO;

    /* Every rank holds the same bits in g now, so ranks with the same
     * parameters and optimizer make the same update or find the same
     * non-finite value. Ranks that differ there (which no check sees) may
     * not: one more round of statuses keeps a rank whose update alone was
     * refused from returning another status than the others, and then
     * leaving them waiting (in mlp_mpi_fit's next step, say). */
    struct mlp__tally after;
    status = mlp_step(net);
    if (mlp__mpi_share(comm, status, 0.0, 0.0, 0, &after) != MPI_SUCCESS)
        return MLP_ERR_IO;
    if (after.status == MLP_OK && cost)
        *cost = (real)(t.value / t.rows);
    return after.status;
}
