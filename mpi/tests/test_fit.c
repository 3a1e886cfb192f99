/* test_fit.c - mlp_mpi_fit over data split across the ranks, against a
 * single-process loop written here from the header's description of the
 * order (Fisher-Yates driven by SplitMix64), running mlp_backprop and
 * mlp_step on the whole data set's batches. */
#include "mlp_mpi.h"
#include "harness.h"

/* As in test_train.c: reordered sums, a few ulps per step, here
 * 4 epochs x 7 batches; 1e-12 relative to max(1, |x|). */
#define TOL 1e-12

#define ROWS 50
#define BATCH_SIZE 8 /* does not divide ROWS: the last batch is short */
#define EPOCHS 4
#define SEED 2026

static const size_t sizes[] = { 5, 8, 3 };
static const mlp_activation acts[] = { MLP_TANH, MLP_SOFTMAX };

static mlp_t *make(uint64_t seed)
{
    mlp_t *net = NULL;
    mlp_create(&net, 2, sizes, acts, MLP_CROSS_ENTROPY, seed);
    mlp_set_sgd(net, 0.2, 0.5);
    return net;
}

/* The order, from the header's words. */
static uint64_t next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static void reference(mlp_t *net, const double *X, const double *T,
                      double *epoch_costs)
{
    size_t order[ROWS];
    for (size_t i = 0; i < ROWS; i++)
        order[i] = i;
    uint64_t state = SEED;
    double bx[BATCH_SIZE * 5], bt[BATCH_SIZE * 3];
    for (int e = 0; e < EPOCHS; e++) {
        for (size_t i = ROWS - 1; i >= 1; i--) {
            uint64_t bound = i + 1, r;
            /* Outputs below 2^64 mod bound are skipped. */
            uint64_t skip = (UINT64_MAX - bound + 1) % bound;
            do
                r = next(&state);
            while (r < skip);
            size_t j = (size_t)(r % bound), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        double sum = 0.0;
        for (size_t start = 0; start < ROWS; start += BATCH_SIZE) {
            size_t len = ROWS - start < BATCH_SIZE ? ROWS - start : BATCH_SIZE;
            for (size_t k = 0; k < len; k++) {
                memcpy(bx + k * 5, X + order[start + k] * 5, 5 * sizeof *bx);
                memcpy(bt + k * 3, T + order[start + k] * 3, 3 * sizeof *bt);
            }
            double cost;
            CHECK(mlp_backprop(net, len, bx, bt, &cost) == MLP_OK, "ref");
            CHECK(mlp_step(net) == MLP_OK, "ref step");
            sum += cost * (double)len;
        }
        epoch_costs[e] = sum / ROWS;
    }
}

static double worst_seen;

static void equivalence(enum test_split split)
{
    double X[ROWS * 5], T[ROWS * 3];
    test_data(ROWS, 5, 3, 1, 77, X, T);
    size_t first, count;
    test_shard(split, ROWS, test_rank, test_ranks, &first, &count);

    mlp_t *ref = make(3);
    double ref_costs[EPOCHS];
    reference(ref, X, T, ref_costs);

    mlp_t *net = make(3);
    size_t n = mlp_n_params(net);
    double costs[EPOCHS];
    mlp_status st = mlp_mpi_fit(net, count, count ? X + first * 5 : NULL,
                                count ? T + first * 3 : NULL, BATCH_SIZE,
                                EPOCHS, SEED, costs, MPI_COMM_WORLD);
    CHECK(st == MLP_OK, "fit: %s", mlp_strerror(st));
    double dp = test_max_rel_diff(mlp_params(net), mlp_params(ref), n);
    double dc = test_max_rel_diff(costs, ref_costs, EPOCHS);
    CHECK(dp <= TOL, "%s: parameters differ by %g", test_split_names[split],
          dp);
    CHECK(dc <= TOL, "%s: epoch costs differ by %g", test_split_names[split],
          dc);
    CHECK(costs[EPOCHS - 1] < costs[0], "the cost did not fall: %g -> %g",
          costs[0], costs[EPOCHS - 1]);
    CHECK(test_same_as_rank0(mlp_params(net), n),
          "parameters not bitwise identical across ranks");
    if (dp > worst_seen) worst_seen = dp;
    if (dc > worst_seen) worst_seen = dc;

    /* Another seed gives another order, hence other parameters: the seed
     * is used, not ignored. */
    mlp_t *other = make(3);
    st = mlp_mpi_fit(other, count, count ? X + first * 5 : NULL,
                     count ? T + first * 3 : NULL, BATCH_SIZE, EPOCHS,
                     SEED + 1, NULL, MPI_COMM_WORLD);
    CHECK(st == MLP_OK, "fit: %s", mlp_strerror(st));
    CHECK(test_max_rel_diff(mlp_params(other), mlp_params(ref), n) > 1e-6,
          "the seed made no difference");
    mlp_free(other);
    mlp_free(net);
    mlp_free(ref);
}

static void errors(void)
{
    double X[ROWS * 5], T[ROWS * 3];
    test_data(ROWS, 5, 3, 1, 77, X, T);
    size_t first, count;
    test_shard(SPLIT_EVEN, ROWS, test_rank, test_ranks, &first, &count);
    double *Xs = X + first * 5, *Ts = T + first * 3;
    mlp_t *net = make(3);
    size_t n = mlp_n_params(net);
    double *start = malloc(n * sizeof *start);
    memcpy(start, mlp_params(net), n * sizeof *start);
    mlp_status st;

    st = mlp_mpi_fit(net, count, Xs, Ts, 0, EPOCHS, SEED, NULL,
                     MPI_COMM_WORLD);
    CHECK(st == MLP_ERR_ARG, "batch_size 0 gave %s", mlp_strerror(st));
    st = mlp_mpi_fit(net, count, test_rank == 0 ? NULL : Xs, Ts, BATCH_SIZE,
                     EPOCHS, SEED, NULL, MPI_COMM_WORLD);
    CHECK(st == MLP_ERR_ARG, "NULL X on rank 0 gave %s", mlp_strerror(st));
    /* Settings that differ on the last rank would make the ranks take
     * different numbers of steps: refused everywhere instead of a hang. */
    if (test_ranks > 1) {
        int last = test_rank == test_ranks - 1;
        st = mlp_mpi_fit(net, count, Xs, Ts, BATCH_SIZE + (size_t)last,
                         EPOCHS, SEED, NULL, MPI_COMM_WORLD);
        CHECK(st == MLP_ERR_ARG, "batch_size differing on one rank gave %s",
              mlp_strerror(st));
        st = mlp_mpi_fit(net, count, Xs, Ts, BATCH_SIZE, EPOCHS,
                         SEED + (uint64_t)last, NULL, MPI_COMM_WORLD);
        CHECK(st == MLP_ERR_ARG, "seed differing on one rank gave %s",
              mlp_strerror(st));
        st = mlp_mpi_fit(net, count, Xs, Ts, BATCH_SIZE,
                         EPOCHS + (size_t)last, SEED, NULL, MPI_COMM_WORLD);
        CHECK(st == MLP_ERR_ARG, "epochs differing on one rank gave %s",
              mlp_strerror(st));
    }
    st = mlp_mpi_fit(net, 0, NULL, NULL, BATCH_SIZE, EPOCHS, SEED, NULL,
                     MPI_COMM_WORLD);
    CHECK(st == MLP_ERR_ARG, "no rows at all gave %s", mlp_strerror(st));
    CHECK(memcmp(start, mlp_params(net), n * sizeof *start) == 0,
          "a refused fit changed the parameters");

    /* A NaN in the last rank's last row: the fit stops on every rank with
     * the same status, somewhere in the first epoch, and the ranks still
     * agree on the parameters (those before the failing batch). */
    if (test_rank == test_ranks - 1)
        Xs[(count - 1) * 5 + 2] = NAN;
    st = mlp_mpi_fit(net, count, Xs, Ts, BATCH_SIZE, EPOCHS, SEED, NULL,
                     MPI_COMM_WORLD);
    CHECK(st == MLP_ERR_NONFINITE, "NaN on the last rank gave %s",
          mlp_strerror(st));
    CHECK(test_same_as_rank0(mlp_params(net), n),
          "ranks disagree after a failed fit");
    free(start);
    mlp_free(net);
}

int main(int argc, char **argv)
{
    test_init(&argc, &argv);
    for (int split = SPLIT_EVEN; split <= SPLIT_ONE_EMPTY; split++)
        equivalence((enum test_split)split);
    errors();
    double worst = worst_seen;
    MPI_Allreduce(MPI_IN_PLACE, &worst, 1, MPI_DOUBLE, MPI_MAX,
                  MPI_COMM_WORLD);
    if (test_rank == 0)
        printf("largest relative difference from the single-process run: "
               "%.3g (tolerance %g)\n", worst, TOL);
    return test_finish("test_fit");
}
