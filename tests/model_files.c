/* model_files.c - see model_files.h. */
#define _POSIX_C_SOURCE 200809L

#include "model_files.h"

#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crc32c.h"

unsigned char *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    ck_assert_int_ge(n, 0);
    rewind(f);
    unsigned char *data = malloc(n > 0 ? (size_t)n : 1);
    ck_assert_ptr_nonnull(data);
    ck_assert_uint_eq(fread(data, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return data;
}

void write_all(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, size, f), size);
    ck_assert_int_eq(fclose(f), 0);
}

char *make_dir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[512];
    snprintf(tmpl, sizeof tmpl, "%s/mlp-format-XXXXXX", base ? base : "/tmp");
    char *dir = mkdtemp(tmpl);
    ck_assert_ptr_nonnull(dir);
    return strdup(dir);
}

/* The number of entries in dir besides . and .. */
int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

void remove_dir(char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    char path[1024];
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
    free(dir);
}

void fill(real *x, size_t n, unsigned seed)
{
    /* Deterministic, in (-1, 1); no library code involved. */
    unsigned s = seed * 2654435761u + 12345u;
    for (size_t i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        x[i] = ((real)(s >> 8) / (real)(1u << 24)) * 2.0 - 1.0;
    }
}

/* A batch of targets that suit the loss: one-hot rows for cross-entropy. */
void targets(real *T, size_t batch, size_t n_out, mlp_loss loss)
{
    fill(T, batch * n_out, 99);
    if (loss == MLP_CROSS_ENTROPY)
        for (size_t r = 0; r < batch; r++)
            for (size_t i = 0; i < n_out; i++)
                T[r * n_out + i] = i == r % n_out ? 1.0 : 0.0;
}

/* The bytes mlp_save writes for net (through a file, as users do). */
unsigned char *save_bytes(const mlp_t *net, const char *dir, size_t *size)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/bytes.mlp", dir);
    ck_assert_int_eq(mlp_save(net, path), MLP_OK);
    unsigned char *data = read_all(path, size);
    unlink(path);
    return data;
}

/* Everything a caller can observe of a network that a file must keep. */
void assert_same_network(mlp_t *a, mlp_t *b)
{
    ck_assert_uint_eq(mlp_n_layers(a), mlp_n_layers(b));
    for (size_t l = 0; l <= mlp_n_layers(a); l++)
        ck_assert_uint_eq(mlp_layer_size(a, l), mlp_layer_size(b, l));
    for (size_t l = 1; l <= mlp_n_layers(a); l++)
        ck_assert_int_eq(mlp_layer_activation(a, l), mlp_layer_activation(b, l));
    ck_assert_int_eq(mlp_loss_kind(a), mlp_loss_kind(b));
    ck_assert_uint_eq(mlp_n_params(a), mlp_n_params(b));
    ck_assert_mem_eq(mlp_params(a), mlp_params(b),
                     mlp_n_params(a) * sizeof(real));
}

/* A network that loaded from a damaged file must still be usable: finite
 * parameters and a working predict. (Saving it again is not checked here:
 * thousands of fsyncs would make the test slow; round_trip covers saving.) */
void assert_usable(mlp_t *net)
{
    ck_assert_uint_ge(mlp_n_layers(net), 1);
    const real *p = mlp_params(net);
    for (size_t i = 0; i < mlp_n_params(net); i++)
        ck_assert(isfinite(p[i]));
    size_t n_in = mlp_layer_size(net, 0), n_out = mlp_layer_size(net, mlp_n_layers(net));
    real *X = calloc(n_in, sizeof *X), *Y = calloc(n_out, sizeof *Y);
    ck_assert(X && Y);
    mlp_status s = mlp_predict(net, 1, X, Y);
    /* Finite but huge weights may overflow: that is reported, not hidden. */
    ck_assert(s == MLP_OK || s == MLP_ERR_NONFINITE);
    free(X);
    free(Y);
}

void put_u32(unsigned char *p, uint32_t x)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(x >> (8 * i));
}

/* Recomputes the trailing checksum, so that a damaged file reaches the
 * field checks behind it, as a forged file would. */
void fix_crc(unsigned char *data, size_t size)
{
    put_u32(data + size - 4, mlp__crc32c(0, data, size - 4));
}

/* Every activation as a hidden layer and every valid output/loss pairing;
 * each optimizer shape (SGD without state, with a velocity, Adam with its
 * moments and step count); with and without weight decay. */
const struct config configs[N_CONFIGS] = {
    { MLP_SIGMOID, MLP_SIGMOID, MLP_MSE, 0.0, false, 0.0 },
    { MLP_TANH, MLP_TANH, MLP_MSE, 0.9, false, 0.0 },
    { MLP_RELU, MLP_RELU, MLP_MSE, 0.0, false, 1e-3 },
    { MLP_IDENTITY, MLP_IDENTITY, MLP_MSE, 0.5, false, 0.0 },
    { MLP_RELU, MLP_SOFTMAX, MLP_CROSS_ENTROPY, 0.0, true, 0.0 },
    { MLP_TANH, MLP_SOFTMAX, MLP_CROSS_ENTROPY, 0.9, false, 0.01 },
    { MLP_SIGMOID, MLP_SIGMOID, MLP_CROSS_ENTROPY, 0.3, false, 0.0 },
    { MLP_IDENTITY, MLP_SIGMOID, MLP_CROSS_ENTROPY, 0.0, true, 1e-4 },
    { MLP_TANH, MLP_IDENTITY, MLP_MSE, 0.0, true, 0.0 },
};

mlp_t *make_net(const struct config *c, uint64_t seed)
{
    size_t sizes[] = { 3, 5, 4, 3 };
    mlp_activation acts[] = { c->hidden, c->hidden, c->out };
    mlp_t *net;
    ck_assert_int_eq(mlp_create(&net, 3, sizes, acts, c->loss, seed), MLP_OK);
    if (c->adam)
        ck_assert_int_eq(mlp_set_adam(net, 0.01, 0.9, 0.999, 1e-8), MLP_OK);
    else
        ck_assert_int_eq(mlp_set_sgd(net, 0.05, c->momentum), MLP_OK);
    ck_assert_int_eq(mlp_set_weight_decay(net, c->weight_decay), MLP_OK);
    /* Input scaling always, output scaling for regression outputs: the
     * file must carry both. */
    const real in_mean[] = { 0.5, -0.25, 2.0 }, in_std[] = { 2.0, 0.5, 4.0 };
    const real out_mean[] = { 10.0, -1.0, 0.25 }, out_std[] = { 7.0, 0.5, 3.0 };
    bool reg = c->out == MLP_IDENTITY;
    ck_assert_int_eq(mlp_set_scaling(net, in_mean, in_std,
                                     reg ? out_mean : NULL,
                                     reg ? out_std : NULL), MLP_OK);
    return net;
}

/* The scaling of a and b, bit for bit. */
void assert_same_scaling(const mlp_t *a, const mlp_t *b)
{
    real sa[4][8], sb[4][8];
    ck_assert_int_eq(mlp_get_scaling(a, sa[0], sa[1], sa[2], sa[3]), MLP_OK);
    ck_assert_int_eq(mlp_get_scaling(b, sb[0], sb[1], sb[2], sb[3]), MLP_OK);
    size_t n0 = mlp_layer_size(a, 0), nL = mlp_layer_size(a, mlp_n_layers(a));
    for (int k = 0; k < 4; k++)
        ck_assert_mem_eq(sa[k], sb[k], (k < 2 ? n0 : nL) * sizeof(real));
}

void train(mlp_t *net, const struct config *c, int steps)
{
    real X[B * 3], T[B * 3];
    fill(X, B * 3, 7);
    targets(T, B, 3, c->loss);
    for (int i = 0; i < steps; i++)
        ck_assert_int_eq(mlp_train_batch(net, B, X, T, NULL), MLP_OK);
}
