/* test_train.c - mlp_mpi_bcast_params and mlp_mpi_train_batch against the
 * single-process run on the whole batch (mlp_backprop + mlp_step on one
 * network holding every row), and the agreement of every rank on errors. */
#include "mlp_mpi.h"
#include "harness.h"

#include <float.h>

/* Tolerance on parameters, gradients and costs, relative to max(1, |x|).
 * The sharded gradient is the same sum taken in another order (each
 * shard's mean, scaled by its share, then the ranks' sum), so each entry
 * differs by a few ulps of the sum of its terms' magnitudes per step;
 * 30 steps of learning rate <= 0.5 keep that near 1e-15 for these O(1)
 * values (measured with Open MPI 4.1.4: at most 6.2e-16 on 2 and 3 ranks,
 * 0 on one). 1e-12 leaves room for other MPI reduction orders
 * while still catching any real mistake (a wrong weight, a missing shard
 * or a lost step changes values by 1e-3 or more).
 *
 * In float the same reasoning counts float ulps (FLT_EPSILON = 1.2e-7):
 * reordering a sum of B = 29 row terms into at most 3 partial sums moves
 * each entry by at most about 8 ulps of its magnitude per step in
 * practice, and 30 steps that do not amplify differences add up to about
 * 240, so 256 ulps = 3.1e-5 (measured with Open MPI 4.1.4: at most
 * 1.5e-7, about 1.3 ulps, on 2 and 3 ranks, 0 on one). That is still 30
 * times below what a wrong weight, a missing shard or a lost step does. */
#define TOL TEST_BY_PRECISION(1e-12, 256 * FLT_EPSILON)

#define STEPS 30
#define BATCH 29
#define BAD_STEP 12

struct net_case {
    const char *name;
    size_t n_layers;
    size_t sizes[4];
    const mlp_activation *acts;
    mlp_loss loss;
    double lr, momentum;
};

static const mlp_activation ce_acts[] = { MLP_TANH, MLP_RELU, MLP_SOFTMAX };

static const struct net_case cases[] = {
    { "sigmoid MSE, SGD", 3, { 6, 9, 7, 4 }, NULL, MLP_MSE, 0.5, 0.0 },
    { "tanh/relu/softmax CE, momentum", 3, { 6, 9, 7, 4 }, ce_acts,
      MLP_CROSS_ENTROPY, 0.1, 0.9 },
};

static double worst_seen;

static mlp_t *make(const struct net_case *c, uint64_t seed)
{
    mlp_t *net = NULL;
    if (mlp_create(&net, c->n_layers, c->sizes, c->acts, c->loss, seed) !=
        MLP_OK)
        return NULL;
    if (mlp_set_sgd(net, c->lr, c->momentum) != MLP_OK) {
        mlp_free(net);
        return NULL;
    }
    return net;
}

/* The reference: one process, the whole batch, STEPS steps; the cost of
 * each step in cost[]. */
static mlp_t *reference_run(const struct net_case *c, const real *X,
                            const real *T, real *cost)
{
    mlp_t *ref = make(c, 42);
    for (int s = 0; s < STEPS; s++) {
        CHECK(mlp_backprop(ref, BATCH, X, T, &cost[s]) == MLP_OK, "ref");
        CHECK(mlp_step(ref) == MLP_OK, "ref step");
    }
    return ref;
}

/* A NaN in the last rank's shard only: every rank must fail alike and
 * change nothing, not even the momentum. */
static void nan_on_last_rank(mlp_t *net, enum test_split split,
                             const real *X, const real *Ts, size_t n_in,
                             size_t first, size_t count)
{
    size_t n = mlp_n_params(net);
    real *before = malloc(n * sizeof *before);
    real Xbad[BATCH * 6];
    memcpy(Xbad, X, sizeof Xbad);
    size_t f2, c2;
    test_shard(split, BATCH, test_ranks - 1, test_ranks, &f2, &c2);
    Xbad[(f2 + c2 - 1) * n_in] = NAN;
    memcpy(before, mlp_params(net), n * sizeof *before);
    real cost = -1;
    mlp_status st = mlp_mpi_train_batch(net, count,
        count ? Xbad + first * n_in : NULL, Ts, &cost,
        MPI_COMM_WORLD);
    CHECK(st == MLP_ERR_NONFINITE, "NaN on the last rank gave %s",
          mlp_strerror(st));
    CHECK(cost == -1.0, "cost written on failure");
    CHECK(memcmp(before, mlp_params(net), n * sizeof *before) == 0,
          "parameters changed by a failed step");
    free(before);
}

/* The sharded run against the reference: parameters, last gradients and
 * every step's cost within TOL, the same bits on every rank, and far from
 * where training started. */
static void compare_with_reference(const struct net_case *c,
                                   enum test_split split, mlp_t *net,
                                   mlp_t *ref, mlp_t *fresh,
                                   double worst_cost)
{
    size_t n = mlp_n_params(net);
    double dp = test_max_rel_diff(mlp_params(net), mlp_params(ref), n);
    double dg = test_max_rel_diff(mlp_grads(net), mlp_grads(ref), n);
    CHECK(dp <= TOL, "%s, %s: parameters differ by %g", c->name,
          test_split_names[split], dp);
    CHECK(dg <= TOL, "%s, %s: last gradients differ by %g", c->name,
          test_split_names[split], dg);
    CHECK(worst_cost <= TOL, "%s, %s: costs differ by %g", c->name,
          test_split_names[split], worst_cost);
    CHECK(test_same_as_rank0(mlp_params(net), n),
          "parameters not bitwise identical across ranks");
    /* A wrong result would be far off; make sure training moved at all. */
    CHECK(test_max_rel_diff(mlp_params(net), mlp_params(fresh), n) > 1e-3,
          "training did not move the parameters");
    if (dp > worst_seen) worst_seen = dp;
    if (dg > worst_seen) worst_seen = dg;
    if (worst_cost > worst_seen) worst_seen = worst_cost;
}

static void equivalence(const struct net_case *c, enum test_split split)
{
    size_t n_in = c->sizes[0], n_out = c->sizes[c->n_layers];
    real X[BATCH * 6], T[BATCH * 4];
    test_data(BATCH, n_in, n_out, c->loss == MLP_CROSS_ENTROPY, 1234, X, T);
    size_t first, count;
    test_shard(split, BATCH, test_rank, test_ranks, &first, &count);
    const real *Xs = count ? X + first * n_in : NULL;
    const real *Ts = count ? T + first * n_out : NULL;
    real ref_cost[STEPS];
    mlp_t *ref = reference_run(c, X, T, ref_cost);

    /* Every rank but the root starts from other parameters; the broadcast
     * must make them all the root's, which are those of seed 42. */
    int root = test_ranks - 1;
    mlp_t *net = make(c, test_rank == root ? 42 : 1000 + (uint64_t)test_rank);
    mlp_t *fresh = make(c, 42);
    size_t n = mlp_n_params(net);
    CHECK(mlp_mpi_bcast_params(net, root, MPI_COMM_WORLD) == MLP_OK, "bcast");
    CHECK(memcmp(mlp_params(net), mlp_params(fresh), n * sizeof(real)) == 0,
          "after the broadcast every rank holds the root's parameters");

    double worst_cost = 0.0;
    for (int s = 0; s < STEPS; s++) {
        if (s == BAD_STEP)
            nan_on_last_rank(net, split, X, Ts, n_in, first, count);
        real cost;
        mlp_status st = mlp_mpi_train_batch(net, count, Xs, Ts, &cost,
                                            MPI_COMM_WORLD);
        CHECK(st == MLP_OK, "step %d: %s", s, mlp_strerror(st));
        double d = test_max_rel_diff(&cost, &ref_cost[s], 1);
        if (d > worst_cost)
            worst_cost = d;
    }
    compare_with_reference(c, split, net, ref, fresh, worst_cost);
    mlp_free(fresh);
    mlp_free(net);
    mlp_free(ref);
}

/* mlp_mpi_train_batch's errors seen by one rank reach all, with the same
 * status, and change no parameter. */
static void train_batch_errors(mlp_t *net, const real *X, const real *T)
{
    size_t n = mlp_n_params(net);
    real *before = malloc(n * sizeof *before);
    memcpy(before, mlp_params(net), n * sizeof *before);
    mlp_status st;

    /* A NULL input on rank 0 only. */
    st = mlp_mpi_train_batch(net, 4, test_rank == 0 ? NULL : X, T, NULL,
                             MPI_COMM_WORLD);
    CHECK(st == MLP_ERR_ARG, "NULL X on rank 0 gave %s", mlp_strerror(st));

    /* An Inf target on rank 0 and a NaN input on the last rank: NONFINITE
     * everywhere (both are the same status; with one rank, both at once). */
    real Tbad[4 * 4], Xbad[4 * 6];
    memcpy(Tbad, T, sizeof Tbad);
    memcpy(Xbad, X, sizeof Xbad);
    if (test_rank == 0)
        Tbad[5] = INFINITY;
    if (test_rank == test_ranks - 1)
        Xbad[7] = NAN;
    st = mlp_mpi_train_batch(net, 4, Xbad, Tbad, NULL, MPI_COMM_WORLD);
    CHECK(st == MLP_ERR_NONFINITE, "Inf/NaN gave %s", mlp_strerror(st));

    /* NULL network on the last rank: ARG, and the others do not hang. */
    st = mlp_mpi_train_batch(test_rank == test_ranks - 1 ? NULL : net, 4, X,
                             T, NULL, MPI_COMM_WORLD);
    CHECK(st == MLP_ERR_ARG, "NULL net gave %s", mlp_strerror(st));

    /* Different failures: the lowest code wins, on every rank. */
    st = mlp_mpi_train_batch(net, 4, test_rank == 0 ? NULL : Xbad, T, NULL,
                             MPI_COMM_WORLD);
    CHECK(st == MLP_ERR_ARG, "ARG + NONFINITE gave %s", mlp_strerror(st));

    /* No rows anywhere. */
    st = mlp_mpi_train_batch(net, 0, NULL, NULL, NULL, MPI_COMM_WORLD);
    CHECK(st == MLP_ERR_ARG, "empty batch gave %s", mlp_strerror(st));

    CHECK(memcmp(before, mlp_params(net), n * sizeof *before) == 0,
          "a failed step changed the parameters");
    free(before);
}

/* A broadcast to networks whose shape differs on one rank (rank 1; run on
 * more than one rank): refused everywhere, nothing copied. */
static void bcast_mismatch(const struct net_case *c)
{
    mlp_t *other = NULL;
    size_t sizes[4] = { 6, 9, 8, 4 };
    mlp_create(&other, 3, sizes, NULL, MLP_MSE, 7);
    mlp_t *mine = test_rank == 1 ? other
                                 : make(c, 100 + (uint64_t)test_rank);
    real *keep = malloc(mlp_n_params(mine) * sizeof *keep);
    memcpy(keep, mlp_params(mine), mlp_n_params(mine) * sizeof *keep);
    mlp_status st = mlp_mpi_bcast_params(mine, 0, MPI_COMM_WORLD);
    CHECK(st == MLP_ERR_ARG, "shape mismatch gave %s", mlp_strerror(st));
    CHECK(memcmp(keep, mlp_params(mine),
                 mlp_n_params(mine) * sizeof *keep) == 0,
          "a refused broadcast copied parameters");
    /* Same sizes, another activation on one rank. */
    mlp_activation acts[3] = { MLP_SIGMOID, MLP_TANH, MLP_SIGMOID };
    mlp_t *act = NULL;
    mlp_create(&act, 3, c->sizes, test_rank == 1 ? acts : NULL, MLP_MSE,
               8);
    st = mlp_mpi_bcast_params(act, 0, MPI_COMM_WORLD);
    CHECK(st == MLP_ERR_ARG, "activation mismatch gave %s",
          mlp_strerror(st));
    mlp_free(act);
    if (mine != other)
        mlp_free(mine);
    mlp_free(other);
    free(keep);
}

/* Errors seen by one rank reach all, with the same status. */
static void errors(void)
{
    const struct net_case *c = &cases[0];
    mlp_t *net = make(c, 42);
    real X[4 * 6], T[4 * 4];
    test_data(4, 6, 4, 0, 5, X, T);
    train_batch_errors(net, X, T);

    /* Broadcast: a root that is no rank, a NULL network, a shape that
     * differs on one rank (nothing copied then). */
    CHECK(mlp_mpi_bcast_params(net, test_ranks, MPI_COMM_WORLD) ==
              MLP_ERR_ARG, "root out of range");
    CHECK(mlp_mpi_bcast_params(test_rank == 0 ? NULL : net, 0,
                               MPI_COMM_WORLD) == MLP_ERR_ARG, "NULL net");
    if (test_ranks > 1)
        bcast_mismatch(c);
    mlp_free(net);
}

/* Open MPI picks its Allreduce algorithm by message size; a network of
 * 2.4 MB of gradients takes the large-message path (segmented, pipelined),
 * which must also leave every rank the same bits. */
static void large(void)
{
    enum { B = 40, N_IN = 300, N_OUT = 200, STEPS_LARGE = 3 };
    const size_t sizes[] = { N_IN, 600, N_OUT };
    real *X = malloc(sizeof(real) * B * N_IN);
    real *T = malloc(sizeof(real) * B * N_OUT);
    test_data(B, N_IN, N_OUT, 0, 31, X, T);
    size_t first, count;
    test_shard(SPLIT_UNEVEN, B, test_rank, test_ranks, &first, &count);
    mlp_t *ref = NULL, *net = NULL;
    mlp_create(&ref, 2, sizes, NULL, MLP_MSE, 5);
    mlp_create(&net, 2, sizes, NULL, MLP_MSE, 5);
    for (int s = 0; s < STEPS_LARGE; s++) {
        CHECK(mlp_backprop(ref, B, X, T, NULL) == MLP_OK, "ref");
        CHECK(mlp_step(ref) == MLP_OK, "ref step");
        mlp_status st = mlp_mpi_train_batch(net, count,
            count ? X + first * N_IN : NULL, count ? T + first * N_OUT : NULL,
            NULL, MPI_COMM_WORLD);
        CHECK(st == MLP_OK, "large step: %s", mlp_strerror(st));
    }
    size_t n = mlp_n_params(net);
    double d = test_max_rel_diff(mlp_params(net), mlp_params(ref), n);
    CHECK(d <= TOL, "large network: parameters differ by %g", d);
    CHECK(test_same_as_rank0(mlp_grads(net), n),
          "large network: reduced gradients differ between ranks");
    CHECK(test_same_as_rank0(mlp_params(net), n),
          "large network: parameters differ between ranks");
    if (d > worst_seen)
        worst_seen = d;
    mlp_free(net);
    mlp_free(ref);
    free(X);
    free(T);
}

int main(int argc, char **argv)
{
    test_init(&argc, &argv);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int split = SPLIT_EVEN; split <= SPLIT_ONE_EMPTY; split++)
            equivalence(&cases[i], (enum test_split)split);
    errors();
    large();
    double worst = worst_seen;
    MPI_Allreduce(MPI_IN_PLACE, &worst, 1, MPI_DOUBLE, MPI_MAX,
                  MPI_COMM_WORLD);
    if (test_rank == 0)
        printf("largest relative difference from the single-process run: "
               "%.3g (tolerance %g)\n", worst, TOL);
    return test_finish("test_train");
}
