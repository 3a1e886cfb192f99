/* cli_float.c - `--float`: training and predicting with libmlp's float
 * family (mlpf_). The rest of the command works on double networks; a
 * network crosses between the families through a model file in memory,
 * which carries everything (shape, optimizer and its state, scaling):
 * double to float rounds each number to nearest, float to double widens
 * exactly, so a trained float network evaluated after widening has the
 * very parameters that were trained. */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>

#include "cli.h"

int cli_float = 0;

mlpf_t *cli_to_float(const mlp_t *net)
{
    size_t size = mlp_saved_size(net);
    unsigned char *buf = xcalloc(size, 1);
    mlpf_t *f = NULL;
    mlp_status st = mlp_save_buffer(net, buf, size);
    if (st == MLP_OK)
        st = mlpf_load_buffer(&f, buf, size);
    free(buf);
    if (st != MLP_OK)
        die(EXIT_DATA, "--float: the network does not fit in float: %s",
            mlp_strerror(st));
    return f;
}

mlp_t *cli_to_double(const mlpf_t *f)
{
    size_t size = mlpf_saved_size(f);
    unsigned char *buf = xcalloc(size, 1);
    mlp_t *net = NULL;
    mlp_status st = mlpf_save_buffer(f, buf, size);
    if (st == MLP_OK)
        st = mlp_load_buffer(&net, buf, size);
    free(buf);
    if (st != MLP_OK)
        die(EXIT_DATA, "--float: %s", mlp_strerror(st));
    return net;
}

/* n doubles rounded to floats (data beyond float's range becomes Inf,
 * which libmlp then reports as not finite). */
static float *to_floats(const double *x, size_t n)
{
    float *f = xcalloc(n, sizeof *f);
    for (size_t i = 0; i < n; i++)
        f[i] = (float)x[i];
    return f;
}

mlp_status cli_fit_float(mlp_t **net, const struct dataset *d,
                         const mlp_fit_options *o, mlp_fit_result *r)
{
    mlpf_t *f = cli_to_float(*net);
    float *X = to_floats(d->X, d->n * d->n_in);
    float *T = to_floats(d->T, d->n * d->n_out);
    mlp_status st = mlpf_fit(f, d->n, X, T, o, r);
    free(X);
    free(T);
    mlp_free(*net);
    *net = cli_to_double(f);
    mlpf_free(f);
    return st;
}

mlp_status cli_save_float(const mlp_t *net, const char *path)
{
    mlpf_t *f = cli_to_float(net);
    mlp_status st = mlpf_save(f, path);
    mlpf_free(f);
    return st;
}

double *cli_predict_float(const mlp_t *net, const struct dataset *d)
{
    enum { CHUNK = 256 };
    mlpf_t *f = cli_to_float(net);
    size_t n_out = mlpf_layer_size(f, mlpf_n_layers(f));
    double *Y = xcalloc(d->n * n_out, sizeof *Y);
    float *X = xcalloc(CHUNK * d->n_in, sizeof *X);
    float *Yf = xcalloc(CHUNK * n_out, sizeof *Yf);
    for (size_t s = 0; s < d->n; s += CHUNK) {
        size_t rows = d->n - s < CHUNK ? d->n - s : CHUNK;
        for (size_t i = 0; i < rows * d->n_in; i++)
            X[i] = (float)d->X[s * d->n_in + i];
        mlp_status st = mlpf_predict(f, rows, X, Yf);
        if (st != MLP_OK)
            die(EXIT_DATA, "prediction failed: %s", mlp_strerror(st));
        for (size_t i = 0; i < rows * n_out; i++)
            Y[s * n_out + i] = Yf[i];
    }
    free(X);
    free(Yf);
    mlpf_free(f);
    return Y;
}
