/* mlp_mpi.c - data-parallel training over MPI on top of libmlp's public API.
 *
 * Every collective decision (go on or stop, and with which status) is taken
 * from values every rank has reduced together, never from a rank's own
 * state alone: that is what keeps ranks from parting ways and one of them
 * waiting forever in a collective call the others never make.
 *
 * The core's mlp__malloc is internal to libmlp, so this library uses
 * malloc/free directly, in mlp_mpi_fit only. */
#include "mlp_mpi.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* MPI counts are ints; longer buffers go in pieces of this many. */
#define CHUNK ((size_t)1 << 30)

/* Status codes a rank can report; anything beyond is counted as
 * MLP_ERR_ARG, the code for "used wrongly". */
#define STATUS_SLOTS 16

/* What the ranks learn from one another before a step: the total rows,
 * the sum of rows * cost, and the lowest failing status of any rank. */
struct tally {
    double rows;
    double cost_sum;
    mlp_status status;
};

/* One small MPI_Allreduce of [rows, rows*cost, count of each status].
 * Counts rather than codes because MPI_SUM must serve the sums too. */
static int share(MPI_Comm comm, mlp_status status, double rows,
                 double cost_sum, struct tally *out)
{
    double v[2 + STATUS_SLOTS] = { rows, cost_sum };
    int code = (int)status;
    if (code < 0 || code >= STATUS_SLOTS)
        code = MLP_ERR_ARG;
    v[2 + code] = 1.0;
    int rc = MPI_Allreduce(MPI_IN_PLACE, v, 2 + STATUS_SLOTS, MPI_DOUBLE,
                           MPI_SUM, comm);
    if (rc != MPI_SUCCESS)
        return rc;
    out->rows = v[0];
    out->cost_sum = v[1];
    out->status = MLP_OK;
    for (int c = 1; c < STATUS_SLOTS; c++) {
        if (v[2 + c] > 0.0) {
            out->status = (mlp_status)c;
            break;
        }
    }
    return MPI_SUCCESS;
}

/* Agrees on a status alone. */
static mlp_status agree(MPI_Comm comm, mlp_status status)
{
    struct tally t;
    if (share(comm, status, 0.0, 0.0, &t) != MPI_SUCCESS)
        return MLP_ERR_IO;
    return t.status;
}

static int allreduce_sum(double *x, size_t n, MPI_Comm comm)
{
    while (n > 0) {
        size_t k = n < CHUNK ? n : CHUNK;
        int rc = MPI_Allreduce(MPI_IN_PLACE, x, (int)k, MPI_DOUBLE, MPI_SUM,
                               comm);
        if (rc != MPI_SUCCESS)
            return rc;
        x += k;
        n -= k;
    }
    return MPI_SUCCESS;
}

static int bcast_doubles(double *x, size_t n, int root, MPI_Comm comm)
{
    while (n > 0) {
        size_t k = n < CHUNK ? n : CHUNK;
        int rc = MPI_Bcast(x, (int)k, MPI_DOUBLE, root, comm);
        if (rc != MPI_SUCCESS)
            return rc;
        x += k;
        n -= k;
    }
    return MPI_SUCCESS;
}

/* ------------------------------------------------------------------------ */
/* Broadcast                                                                */

/* Entry i of a network's description: n_0 .. n_L, then the L activations,
 * then the loss; 2L + 2 entries in all. */
static uint64_t describe(const mlp_t *net, size_t i)
{
    size_t L = mlp_n_layers(net);
    if (i <= L)
        return mlp_layer_size(net, i);
    if (i <= 2 * L)
        return (uint64_t)mlp_layer_activation(net, i - L);
    return (uint64_t)mlp_loss_kind(net);
}

mlp_status mlp_mpi_bcast_params(mlp_t *net, int root, MPI_Comm comm)
{
    int n_ranks;
    if (MPI_Comm_size(comm, &n_ranks) != MPI_SUCCESS)
        return MLP_ERR_IO;
    mlp_status status = MLP_OK;
    if (!net || root < 0 || root >= n_ranks)
        status = MLP_ERR_ARG;
    status = agree(comm, status);
    if (status != MLP_OK)
        return status;

    /* Root's description, in pieces through a fixed buffer so that nothing
     * is allocated: an allocation failing on one rank would need one more
     * round of agreement before the broadcast could go on. */
    uint64_t head[2] = { mlp_n_layers(net), mlp_n_params(net) };
    uint64_t mine[2] = { head[0], head[1] };
    if (MPI_Bcast(head, 2, MPI_UINT64_T, root, comm) != MPI_SUCCESS)
        return MLP_ERR_IO;
    bool same = head[0] == mine[0] && head[1] == mine[1];
    uint64_t length = 2 * head[0] + 2;
    uint64_t piece[64];
    for (uint64_t start = 0; start < length; start += 64) {
        uint64_t k = length - start < 64 ? length - start : 64;
        for (uint64_t i = 0; i < k; i++)
            piece[i] = describe(net, start + i);
        if (MPI_Bcast(piece, (int)k, MPI_UINT64_T, root, comm) != MPI_SUCCESS)
            return MLP_ERR_IO;
        for (uint64_t i = 0; same && i < k; i++)
            same = piece[i] == describe(net, start + i);
    }
    status = agree(comm, same ? MLP_OK : MLP_ERR_ARG);
    if (status != MLP_OK)
        return status;

    if (bcast_doubles(mlp_params(net), mlp_n_params(net), root, comm) !=
        MPI_SUCCESS)
        return MLP_ERR_IO;
    return MLP_OK;
}

/* ------------------------------------------------------------------------ */
/* One step                                                                 */

mlp_status mlp_mpi_train_batch(mlp_t *net, size_t batch, const double *X,
                               const double *T, double *cost, MPI_Comm comm)
{
    mlp_status status = MLP_OK;
    double local_cost = 0.0;
    if (!net || (batch > 0 && (!X || !T)))
        status = MLP_ERR_ARG;
    else if (batch > 0)
        status = mlp_backprop(net, batch, X, T, &local_cost);

    /* Before any rank changes anything: the total batch, the total cost,
     * and whether every rank's backprop succeeded. */
    struct tally t;
    if (share(comm, status, (double)batch, (double)batch * local_cost, &t) !=
        MPI_SUCCESS)
        return MLP_ERR_IO;
    if (t.status != MLP_OK)
        return t.status;
    if (t.rows == 0.0)
        return MLP_ERR_ARG;

    /* Rank r's gradient is the mean over its b_r rows; weighted by b_r / B
     * the sum over ranks is the mean over all B rows. */
    double *g = mlp_grads(net);
    size_t n = mlp_n_params(net);
    if (batch == 0) {
        memset(g, 0, n * sizeof *g);
    } else if ((double)batch != t.rows) {
        double w = (double)batch / t.rows;
        for (size_t i = 0; i < n; i++)
            g[i] *= w;
    }
    if (allreduce_sum(g, n, comm) != MPI_SUCCESS)
        return MLP_ERR_IO;

    /* Every rank holds the same bits in g now, so every rank's mlp_step
     * makes the same update or finds the same non-finite value. */
    status = mlp_step(net);
    if (status == MLP_OK && cost)
        *cost = t.cost_sum / t.rows;
    return status;
}

/* ------------------------------------------------------------------------ */
/* The fit loop                                                             */

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* Uniform in [0, bound): outputs below 2^64 mod bound are skipped so that
 * every remainder is equally likely. */
static uint64_t draw_below(uint64_t *state, uint64_t bound)
{
    uint64_t skip = (0 - bound) % bound;
    uint64_t r;
    do
        r = splitmix64(state);
    while (r < skip);
    return r % bound;
}

static void shuffle(size_t *order, size_t n, uint64_t *state)
{
    for (size_t i = n - 1; i >= 1; i--) {
        size_t j = (size_t)draw_below(state, (uint64_t)i + 1);
        size_t tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }
}

mlp_status mlp_mpi_fit(mlp_t *net, size_t n_local, const double *X,
                       const double *T, size_t batch_size, size_t epochs,
                       uint64_t seed, double *epoch_costs, MPI_Comm comm)
{
    mlp_status status = MLP_OK;
    if (!net || batch_size == 0 || epochs == 0 ||
        (n_local > 0 && (!X || !T)))
        status = MLP_ERR_ARG;
    /* Ranks that disagreed on these would take different numbers of steps
     * and wait for one another forever: compare them with rank 0's. */
    uint64_t settings[3] = { batch_size, epochs, seed };
    uint64_t mine[3] = { batch_size, epochs, seed };
    if (MPI_Bcast(settings, 3, MPI_UINT64_T, 0, comm) != MPI_SUCCESS)
        return MLP_ERR_IO;
    if (memcmp(settings, mine, sizeof mine) != 0)
        status = MLP_ERR_ARG;
    struct tally t;
    if (share(comm, status, (double)n_local, 0.0, &t) != MPI_SUCCESS)
        return MLP_ERR_IO;
    if (t.status != MLP_OK)
        return t.status;
    /* Row counts travel as doubles, exact below 2^53. */
    if (t.rows == 0.0 || t.rows > 9007199254740992.0 ||
        t.rows >= (double)(SIZE_MAX / sizeof(size_t)))
        return MLP_ERR_ARG;
    size_t n_total = (size_t)t.rows;

    /* This rank holds the global rows first .. first + n_local - 1. */
    uint64_t local = n_local, before = 0;
    if (MPI_Exscan(&local, &before, 1, MPI_UINT64_T, MPI_SUM, comm) !=
        MPI_SUCCESS)
        return MLP_ERR_IO;
    int rank;
    if (MPI_Comm_rank(comm, &rank) != MPI_SUCCESS)
        return MLP_ERR_IO;
    /* MPI_Exscan leaves rank 0's result undefined. */
    size_t first = rank == 0 ? 0 : (size_t)before;

    size_t n_in = mlp_layer_size(net, 0);
    size_t n_out = mlp_layer_size(net, mlp_n_layers(net));
    size_t cap = batch_size < n_local ? batch_size : n_local;
    size_t *order = malloc(n_total * sizeof *order);
    double *bx = NULL, *bt = NULL;
    status = order ? MLP_OK : MLP_ERR_NOMEM;
    if (status == MLP_OK && cap > 0) {
        if (cap > SIZE_MAX / sizeof(double) / n_in ||
            cap > SIZE_MAX / sizeof(double) / n_out)
            status = MLP_ERR_ARG;
        else if (!(bx = malloc(cap * n_in * sizeof *bx)) ||
                 !(bt = malloc(cap * n_out * sizeof *bt)))
            status = MLP_ERR_NOMEM;
    }
    status = agree(comm, status);
    if (status != MLP_OK)
        goto done;

    for (size_t i = 0; i < n_total; i++)
        order[i] = i;
    uint64_t rng = seed;
    for (size_t e = 0; e < epochs; e++) {
        shuffle(order, n_total, &rng);
        double epoch_cost = 0.0;
        for (size_t start = 0; start < n_total; start += batch_size) {
            size_t len = n_total - start < batch_size ? n_total - start
                                                      : batch_size;
            size_t k = 0;
            for (size_t i = start; i < start + len; i++) {
                size_t row = order[i];
                if (row < first || row - first >= n_local)
                    continue;
                row -= first;
                memcpy(bx + k * n_in, X + row * n_in, n_in * sizeof *bx);
                memcpy(bt + k * n_out, T + row * n_out, n_out * sizeof *bt);
                k++;
            }
            double cost;
            status = mlp_mpi_train_batch(net, k, bx, bt, &cost, comm);
            if (status != MLP_OK)
                goto done;
            epoch_cost += cost * (double)len;
        }
        if (epoch_costs)
            epoch_costs[e] = epoch_cost / (double)n_total;
    }

done:
    free(order);
    free(bx);
    free(bt);
    return status;
}
