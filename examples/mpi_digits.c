/* mpi_digits.c - train a digit classifier on several processes at once.
 *
 *   mpirun -n 2 ./mpi_digits [path/to/digits.csv.gz]
 *
 * The data set (1797 8x8 images of handwritten digits, 64 pixel counts
 * 0..16 and a label per line) is split in two: every fifth row is kept for
 * testing, the rest is for training. Each rank reads only its own
 * contiguous share of the training rows, as a rank of a real job would
 * read its own file; mlp_mpi_fit then trains one network over all of them,
 * holding out a tenth for validation and early stopping, and every rank
 * ends with the same parameters. Rank 0 prints the costs every fifth epoch
 * and the accuracy on the test rows. */
#include "mlp_mpi.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#ifndef MLP_DIGITS_PATH
#define MLP_DIGITS_PATH "data/digits.csv.gz"
#endif

#define N_PIXELS 64
#define N_CLASSES 10
#define MAX_ROWS 1797
/* 1797 rows, every fifth for testing: 1437 training rows. */
#define N_TRAIN (MAX_ROWS - (MAX_ROWS + 4) / 5)

struct rows {
    size_t n;
    double *X; /* n x 64, pixels scaled to [0, 1] */
    double *T; /* n x 10, one-hot */
};

/* Parses a line of 64 pixel counts and a label 0..9 into v: finite
 * numbers separated by commas, the label a whole number, nothing after it
 * but the line's end. Returns 0, or -1 when the line is not that. */
static int parse_line(const char *line, double v[N_PIXELS + 1])
{
    const char *p = line;
    for (int k = 0; k < N_PIXELS + 1; k++) {
        char *end;
        v[k] = strtod(p, &end);
        if (end == p || !isfinite(v[k]))
            return -1;
        if (k < N_PIXELS ? *end != ',' : end[strspn(end, " \t\r\n")] != '\0')
            return -1;
        p = end + 1;
    }
    double label = v[N_PIXELS];
    return label == floor(label) && label >= 0 && label < N_CLASSES ? 0 : -1;
}

/* Appends the parsed line v to out: pixels scaled, the label one-hot. */
static void append_row(struct rows *out, const double v[N_PIXELS + 1])
{
    for (int j = 0; j < N_PIXELS; j++)
        out->X[out->n * N_PIXELS + (size_t)j] = v[j] / 16.0;
    out->T[out->n * N_CLASSES + (size_t)v[N_PIXELS]] = 1.0;
    out->n++;
}

/* Reads the rows i (0-based) for which keep(i) holds. Returns 0 on
 * success, or -1 with a message in err. */
static int load(const char *path, int (*keep)(size_t, void *), void *ctx,
                struct rows *out, char *err, size_t err_size)
{
    gzFile f = gzopen(path, "rb");
    if (!f) {
        snprintf(err, err_size, "cannot open %s (copy digits.csv.gz into "
                 "the project's data/ folder, or give its path)", path);
        return -1;
    }
    out->n = 0;
    out->X = malloc((size_t)MAX_ROWS * N_PIXELS * sizeof *out->X);
    out->T = calloc((size_t)MAX_ROWS * N_CLASSES, sizeof *out->T);
    int rc = out->X && out->T ? 0 : -1;
    if (rc != 0)
        snprintf(err, err_size, "out of memory");
    char line[1024];
    for (size_t row = 0; rc == 0 && gzgets(f, line, sizeof line); row++) {
        double v[N_PIXELS + 1];
        if (row >= MAX_ROWS) {
            snprintf(err, err_size, "%s: more than %d rows", path, MAX_ROWS);
            rc = -1;
        } else if (parse_line(line, v) != 0) {
            snprintf(err, err_size, "%s: line %zu is not 64 pixels and a "
                     "label", path, row + 1);
            rc = -1;
        } else if (keep(row, ctx)) {
            append_row(out, v);
        }
    }
    gzclose(f);
    return rc;
}

static int is_test(size_t i) { return i % 5 == 0; }

static int keep_test(size_t i, void *ctx)
{
    (void)ctx;
    return is_test(i);
}

struct share { size_t first, count, seen; };

/* Training rows are numbered in file order; this rank keeps its range. */
static int keep_share(size_t i, void *ctx)
{
    struct share *s = ctx;
    if (is_test(i))
        return 0;
    size_t k = s->seen++;
    return k >= s->first && k < s->first + s->count;
}

/* Rank r's contiguous range of the N_TRAIN training rows. */
static struct share share_of(int rank, int ranks)
{
    size_t r = (size_t)rank, per = N_TRAIN / (size_t)ranks,
           extra = N_TRAIN % (size_t)ranks; /* the first `extra` get one more */
    return (struct share){
        .first = per * r + (r < extra ? r : extra),
        .count = per + (r < extra),
    };
}

/* Each rank reads its share of the training rows, rank 0 the test rows
 * too. Returns 1 on every rank if any rank failed (that rank says why),
 * else 0. */
static int load_data(const char *path, int rank, int ranks, struct rows *train,
                     struct rows *test)
{
    struct share share = share_of(rank, ranks);
    char err[512] = "";
    int failed = load(path, keep_share, &share, train, err, sizeof err) != 0;
    if (!failed && rank == 0)
        failed = load(path, keep_test, NULL, test, err, sizeof err) != 0;

    /* Every rank must know whether any rank failed, or the others would
     * wait for it in mlp_mpi_fit forever. */
    int any_failed = failed;
    MPI_Allreduce(MPI_IN_PLACE, &any_failed, 1, MPI_INT, MPI_MAX,
                  MPI_COMM_WORLD);
    if (failed)
        fprintf(stderr, "mpi_digits: rank %d: %s\n", rank, err);
    return any_failed;
}

/* Every fifth epoch's costs, and the last. */
static int print_progress(const mlp_fit_progress *p, void *user)
{
    (void)user;
    if (p->epoch % 5 == 1 || p->epoch == p->epochs)
        printf("epoch %2zu  train cost %.4f  validation cost %.4f\n",
               p->epoch, p->train_cost, p->val_cost);
    return 0;
}

/* Every rank creates the network and calls mlp_mpi_fit with its own rows;
 * they all start from rank 0's parameters and end with the same ones. */
static mlp_status train_network(mlp_t **net, const struct rows *train,
                                mlp_fit_result *result)
{
    const size_t sizes[] = { N_PIXELS, 32, N_CLASSES };
    const mlp_activation acts[] = { MLP_TANH, MLP_SOFTMAX };
    /* A tenth of the training rows (of all ranks together) held out to
     * stop when the validation cost no longer falls, and the best epoch's
     * parameters kept. */
    mlp_fit_options options;
    mlp_fit_defaults(&options);
    options.epochs = 60;
    options.batch_size = 32;
    options.seed = 2026;
    options.validation = 0.1;
    options.patience = 8;
    options.callback = print_progress; /* called on rank 0 only */
    mlp_status st = mlp_create(net, 2, sizes, acts, MLP_CROSS_ENTROPY, 1);
    if (st == MLP_OK)
        st = mlp_set_sgd(*net, 0.05, 0.9);
    if (st == MLP_OK)
        st = mlp_mpi_bcast_params(*net, 0, MPI_COMM_WORLD);
    if (st == MLP_OK)
        st = mlp_mpi_fit(*net, train->n, train->X, train->T, &options, result,
                         MPI_COMM_WORLD);
    return st;
}

static size_t argmax(const double *y)
{
    size_t k = 0;
    for (size_t c = 1; c < N_CLASSES; c++)
        if (y[c] > y[k])
            k = c;
    return k;
}

/* On rank 0: how training ended, and the accuracy on the test rows. */
static mlp_status report(mlp_t *net, const mlp_fit_result *result,
                         const struct rows *test, int ranks)
{
    printf("%zu epochs, best validation cost %.4f at epoch %zu\n",
           result->epochs_run, result->best_val_cost, result->best_epoch);
    double *Y = malloc(test->n * N_CLASSES * sizeof *Y);
    mlp_status st = Y ? mlp_predict(net, test->n, test->X, Y) : MLP_ERR_NOMEM;
    if (st == MLP_OK) {
        size_t right = 0;
        for (size_t i = 0; i < test->n; i++)
            right += argmax(Y + i * N_CLASSES) == argmax(test->T + i * N_CLASSES);
        printf("%d rank(s), %d training rows; test accuracy %zu/%zu = "
               "%.1f%%\n", ranks, N_TRAIN, right, test->n,
               100.0 * (double)right / (double)test->n);
    }
    free(Y);
    return st;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, ranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    const char *path = argc > 1 ? argv[1] : MLP_DIGITS_PATH;

    struct rows train = { 0 }, test = { 0 };
    int any_failed = load_data(path, rank, ranks, &train, &test);
    mlp_status st = any_failed ? MLP_ERR_IO : MLP_OK;
    mlp_t *net = NULL;
    mlp_fit_result result;
    if (st == MLP_OK)
        st = train_network(&net, &train, &result);
    if (st == MLP_OK && rank == 0)
        st = report(net, &result, &test, ranks);
    /* A failed load was reported by the rank that saw it. */
    if (st != MLP_OK && rank == 0 && !any_failed)
        fprintf(stderr, "mpi_digits: %s\n", mlp_strerror(st));

    mlp_free(net);
    free(train.X);
    free(train.T);
    free(test.X);
    free(test.T);
    MPI_Finalize();
    return st == MLP_OK ? 0 : 1;
}
