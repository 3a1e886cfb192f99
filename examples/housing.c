/* housing.c - regression on raw columns in mixed units: the Boston housing
 * data (data/housing.csv: 12 features, then MEDV, the median home value in
 * $1000s). The network standardises its inputs and its target itself
 * (mlp_fit_scaling), trains with Adam through mlp_fit with a validation
 * split and early stopping, and is judged on held-out tracts in the
 * original units. examples/housing.f90 makes the same calls from Fortran
 * and prints the same numbers.
 * Usage: build/examples/housing data/housing.csv */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "mlp.h"

/* Every fifth tract (rows 5, 10, ...) is held out for the test; the file
 * lists the tracts town by town, so a block at its end would not be like
 * the rest. */
enum { N_IN = 12, N_ROWS = 506, N_TEST = N_ROWS / 5, N_TRAIN = N_ROWS - N_TEST };

/* Reads the N_ROWS data lines after the header: X row-major N_ROWS x N_IN,
 * T the last column. Returns 0, or -1 with a message. */
static int read_housing(const char *path, double *X, double *T)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    int ok = fscanf(f, "%*[^\n]\n") == 0;   /* the header line */
    for (int i = 0; i < N_ROWS && ok; i++) {
        for (int j = 0; j < N_IN && ok; j++)
            ok = fscanf(f, "%lf,", &X[i * N_IN + j]) == 1;
        ok = ok && fscanf(f, "%lf", &T[i]) == 1;
    }
    fclose(f);
    if (!ok)
        fprintf(stderr, "%s: expected a header and %d rows of %d numbers\n", path,
                N_ROWS, N_IN + 1);
    return ok ? 0 : -1;
}

/* Every fifth row to the test arrays, the others to the training ones. */
static void split(const double *all_X, const double *all_T, double *X,
                  double *T, double *X_test, double *T_test)
{
    for (int i = 0, train = 0, test = 0; i < N_ROWS; i++) {
        int held_out = i % 5 == 4 && test < N_TEST;
        double *x = held_out ? &X_test[test * N_IN] : &X[train * N_IN];
        for (int j = 0; j < N_IN; j++)
            x[j] = all_X[i * N_IN + j];
        if (held_out)
            T_test[test++] = all_T[i];
        else
            T[train++] = all_T[i];
    }
}

/* How training ended; the test error in $1000s, and R^2 against
 * predicting the test mean; Y the predictions for the targets t. */
static void report(const mlp_fit_result *result, const double *Y,
                   const double *t)
{
    double mean = 0, ss_res = 0, ss_tot = 0;
    for (int i = 0; i < N_TEST; i++)
        mean += t[i];
    mean /= N_TEST;
    for (int i = 0; i < N_TEST; i++) {
        ss_res += (Y[i] - t[i]) * (Y[i] - t[i]);
        ss_tot += (t[i] - mean) * (t[i] - mean);
    }
    printf("epochs %zu, best %zu, validation cost %.6f (scaled units)\n",
           result->epochs_run, result->best_epoch, result->best_val_cost);
    printf("test RMSE %.4f ($1000s), R^2 %.4f\n", sqrt(ss_res / N_TEST),
           1 - ss_res / ss_tot);
    printf("first test tracts: predicted %.3f %.3f %.3f, true %.3f %.3f %.3f\n",
           Y[0], Y[1], Y[2], t[0], t[1], t[2]);
}

int main(int argc, char **argv)
{
    static double all_X[N_ROWS * N_IN], all_T[N_ROWS];
    static double X[N_TRAIN * N_IN], T[N_TRAIN], X_test[N_TEST * N_IN],
        T_test[N_TEST], Y[N_TEST];
    if (argc != 2) {
        fprintf(stderr, "usage: %s data/housing.csv\n", argv[0]);
        return 2;
    }
    if (read_housing(argv[1], all_X, all_T) != 0)
        return 1;
    split(all_X, all_T, X, T, X_test, T_test);

    /* 12 inputs, 16 tanh units, one linear output; a fifth of the
     * training rows validate, for early stopping. */
    const size_t sizes[] = { N_IN, 16, 1 };
    const mlp_activation acts[] = { MLP_TANH, MLP_IDENTITY };
    mlp_fit_options options;
    mlp_fit_result result;
    mlp_fit_defaults(&options);
    options.epochs = 300;
    options.batch_size = 32;
    options.seed = 3;
    options.validation = 0.2;
    options.patience = 30;
    mlp_t *net;
    mlp_status s = mlp_create(&net, 2, sizes, acts, MLP_MSE, 7);
    if (s == MLP_OK) s = mlp_fit_scaling(net, N_TRAIN, X, T);
    if (s == MLP_OK) s = mlp_set_adam(net, 0.01, 0.9, 0.999, 1e-8);
    if (s == MLP_OK) s = mlp_fit(net, N_TRAIN, X, T, &options, &result);
    if (s == MLP_OK) s = mlp_predict(net, N_TEST, X_test, Y);
    if (s != MLP_OK) {
        fprintf(stderr, "%s\n", mlp_strerror(s));
        mlp_free(net);
        return 1;
    }
    report(&result, Y, T_test);
    mlp_free(net);
    return 0;
}
