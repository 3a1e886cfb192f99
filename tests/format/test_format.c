/* test_format.c - model files: round trips, damaged files, failed saves.
 *
 * Linked against the fault-injection build (mlp_test_dep), so every test
 * can count live allocations and make allocations or file-system calls
 * fail. Extra arguments are model files written by fuzz/make_corpus.py,
 * an independent writer of the format: each must load, and save back to
 * the same bytes. */
#define _POSIX_C_SOURCE 200809L

#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "mlp.h"
#include "test_util.h"
#include "alloc.h"
#include "crc32c.h"
#include "serialize.h"

static int n_corpus;
static char **corpus;

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */

static unsigned char *read_all(const char *path, size_t *size)
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

static void write_all(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, size, f), size);
    ck_assert_int_eq(fclose(f), 0);
}

static char *make_dir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[512];
    snprintf(tmpl, sizeof tmpl, "%s/mlp-format-XXXXXX", base ? base : "/tmp");
    char *dir = mkdtemp(tmpl);
    ck_assert_ptr_nonnull(dir);
    return strdup(dir);
}

/* The number of entries in dir besides . and .. */
static int count_entries(const char *dir)
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

static void remove_dir(char *dir)
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

static void fill(real *x, size_t n, unsigned seed)
{
    /* Deterministic, in (-1, 1); no library code involved. */
    unsigned s = seed * 2654435761u + 12345u;
    for (size_t i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        x[i] = ((real)(s >> 8) / (real)(1u << 24)) * 2.0 - 1.0;
    }
}

/* A batch of targets that suit the loss: one-hot rows for cross-entropy. */
static void targets(real *T, size_t batch, size_t n_out, mlp_loss loss)
{
    fill(T, batch * n_out, 99);
    if (loss == MLP_CROSS_ENTROPY)
        for (size_t r = 0; r < batch; r++)
            for (size_t i = 0; i < n_out; i++)
                T[r * n_out + i] = i == r % n_out ? 1.0 : 0.0;
}

/* The bytes mlp_save writes for net (through a file, as users do). */
static unsigned char *save_bytes(const mlp_t *net, const char *dir, size_t *size)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/bytes.mlp", dir);
    ck_assert_int_eq(mlp_save(net, path), MLP_OK);
    unsigned char *data = read_all(path, size);
    unlink(path);
    return data;
}

/* Everything a caller can observe of a network that a file must keep. */
static void assert_same_network(mlp_t *a, mlp_t *b)
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
static void assert_usable(mlp_t *net)
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

static void put_u32(unsigned char *p, uint32_t x)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(x >> (8 * i));
}

/* Recomputes the trailing checksum, so that a damaged file reaches the
 * field checks behind it, as a forged file would. */
static void fix_crc(unsigned char *data, size_t size)
{
    put_u32(data + size - 4, mlp__crc32c(0, data, size - 4));
}

/* ------------------------------------------------------------------------ */
/* Round trips                                                               */

struct config {
    mlp_activation hidden, out;
    mlp_loss loss;
    real momentum;
    bool adam;
    real weight_decay;
};

/* Every activation as a hidden layer and every valid output/loss pairing;
 * each optimizer shape (SGD without state, with a velocity, Adam with its
 * moments and step count); with and without weight decay. */
static const struct config configs[] = {
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
enum { N_CONFIGS = sizeof configs / sizeof configs[0] };

static mlp_t *make_net(const struct config *c, uint64_t seed)
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
static void assert_same_scaling(const mlp_t *a, const mlp_t *b)
{
    real sa[4][8], sb[4][8];
    ck_assert_int_eq(mlp_get_scaling(a, sa[0], sa[1], sa[2], sa[3]), MLP_OK);
    ck_assert_int_eq(mlp_get_scaling(b, sb[0], sb[1], sb[2], sb[3]), MLP_OK);
    size_t n0 = mlp_layer_size(a, 0), nL = mlp_layer_size(a, mlp_n_layers(a));
    for (int k = 0; k < 4; k++)
        ck_assert_mem_eq(sa[k], sb[k], (k < 2 ? n0 : nL) * sizeof(real));
}

enum { B = 4 };

static void train(mlp_t *net, const struct config *c, int steps)
{
    real X[B * 3], T[B * 3];
    fill(X, B * 3, 7);
    targets(T, B, 3, c->loss);
    for (int i = 0; i < steps; i++)
        ck_assert_int_eq(mlp_train_batch(net, B, X, T, NULL), MLP_OK);
}

START_TEST(round_trip)
{
    const struct config *c = &configs[_i];
    char *dir = make_dir();
    mlp_t *net = make_net(c, 1000 + (uint64_t)_i);
    train(net, c, 3); /* so that the velocity is not all zeros */

    char path[1024];
    snprintf(path, sizeof path, "%s/model.mlp", dir);
    ck_assert_int_eq(mlp_save(net, path), MLP_OK);
    ck_assert_int_eq(count_entries(dir), 1); /* no temporary left behind */
    mlp_t *loaded;
    ck_assert_int_eq(mlp_load(&loaded, path), MLP_OK);
    assert_same_network(net, loaded);
    assert_same_scaling(net, loaded);

    /* Predictions bitwise equal. */
    real X[B * 3], Ya[B * 3], Yb[B * 3];
    fill(X, B * 3, 11);
    ck_assert_int_eq(mlp_predict(net, B, X, Ya), MLP_OK);
    ck_assert_int_eq(mlp_predict(loaded, B, X, Yb), MLP_OK);
    ck_assert_mem_eq(Ya, Yb, sizeof Ya);

    /* Save -> load -> save gives the same bytes. */
    size_t size_a, size_b;
    unsigned char *a = read_all(path, &size_a);
    unsigned char *b = save_bytes(loaded, dir, &size_b);
    ck_assert_uint_eq(size_a, size_b);
    ck_assert_mem_eq(a, b, size_a);

    /* The optimizer and its state came along: training on gives bitwise
     * the same parameters. */
    train(net, c, 2);
    train(loaded, c, 2);
    ck_assert_mem_eq(mlp_params(net), mlp_params(loaded),
                     mlp_n_params(net) * sizeof(real));

    /* Saving over an existing file replaces it. */
    ck_assert_int_eq(mlp_save(loaded, path), MLP_OK);
    mlp_t *again;
    ck_assert_int_eq(mlp_load(&again, path), MLP_OK);
    assert_same_network(loaded, again);
    ck_assert_int_eq(count_entries(dir), 1);

    free(a);
    free(b);
    mlp_free(again);
    mlp_free(loaded);
    mlp_free(net);
    remove_dir(dir);
    ck_assert_int_eq(mlp__live_allocations(), 0);
}
END_TEST

/* The canonical twin of a corpus file: corpus-v1-NN.mlp (format version
 * 1) and corpus-f32-NN.mlp (float32 elements) hold the same model as
 * corpus-NN.mlp (version 2, float64), which is what saving them writes. */
static char *twin_of(const char *path)
{
    char *twin = strdup(path);
    ck_assert_ptr_nonnull(twin);
    const char *tags[] = { "corpus-v1-", "corpus-f32-" };
    for (int k = 0; k < 2; k++) {
        char *at = strstr(twin, tags[k]);
        if (at)
            memmove(at + 7, at + strlen(tags[k]),
                    strlen(at + strlen(tags[k])) + 1);
    }
    return twin;
}

#ifdef MLP_SINGLE
/* The float build writes float32 files: a corpus file's twin is then
 * corpus-f32-NN.mlp, when the corpus has one (its model is made of
 * float32 values, so every encoding of it rounds to exactly that file);
 * NULL otherwise. */
static char *float_twin_of(const char *path)
{
    char *twin = twin_of(path), *at = strstr(twin, "corpus-");
    char *f32 = malloc(strlen(twin) + 5);
    ck_assert_ptr_nonnull(at);
    ck_assert_ptr_nonnull(f32);
    size_t head = (size_t)(at - twin);
    memcpy(f32, twin, head);
    sprintf(f32 + head, "corpus-f32-%s", at + strlen("corpus-"));
    free(twin);
    for (int i = 0; i < n_corpus; i++)
        if (strcmp(corpus[i], f32) == 0)
            return f32;
    free(f32);
    return NULL;
}

/* A corpus file with a float32 twin loads into a float network and
 * re-saves as that twin. The others hold float64 values (the writer puts
 * DBL_MAX and 5e-324 among them): each either loads, rounding to nearest,
 * and re-saves as a float32 file that loads and saves again to the same
 * bytes, or holds a value beyond float's range and is MLP_ERR_FORMAT
 * (test_precision.c checks that case on a value placed on purpose). */
START_TEST(python_corpus)
{
    char *dir = make_dir();
    int twinned = 0;
    for (int i = 0; i < n_corpus; i++) {
        size_t size, size2, size3;
        unsigned char *data = read_all(corpus[i], &size);
        mlp_t *net, *back;
        char *twin_path = float_twin_of(corpus[i]);
        mlp_status st = mlp_load_buffer(&net, data, size);
        ck_assert_msg(st == MLP_OK || (!twin_path && st == MLP_ERR_FORMAT),
                      "%s: %s", corpus[i], mlp_strerror(st));
        if (st != MLP_OK) {
            ck_assert_ptr_null(net);
            free(data);
            continue;
        }
        unsigned char *again = save_bytes(net, dir, &size2);
        if (twin_path) {
            size_t twin_size;
            unsigned char *twin = read_all(twin_path, &twin_size);
            ck_assert_uint_eq(twin_size, size2);
            ck_assert_mem_eq(twin, again, size2);
            free(twin);
            twinned++;
        }
        ck_assert_int_eq(mlp_load_buffer(&back, again, size2), MLP_OK);
        unsigned char *third = save_bytes(back, dir, &size3);
        ck_assert_uint_eq(size3, size2);
        ck_assert_mem_eq(third, again, size2);
        mlp_free(back);
        mlp_free(net);
        free(third);
        free(again);
        free(data);
        free(twin_path);
    }
    ck_assert(n_corpus == 0 || twinned >= 3);
    remove_dir(dir);
}
END_TEST
#else
/* Files from the independent Python writer load and re-save as their
 * twins: unchanged for version 2 float64 files, and for version 1 and
 * float32 files the version 2 float64 encoding of the same model. */
START_TEST(python_corpus)
{
    char *dir = make_dir();
    int converted = 0;
    for (int i = 0; i < n_corpus; i++) {
        size_t size, size2, twin_size;
        unsigned char *data = read_all(corpus[i], &size);
        char *twin_path = twin_of(corpus[i]);
        unsigned char *twin = read_all(twin_path, &twin_size);
        converted += strcmp(twin_path, corpus[i]) != 0;
        mlp_t *net;
        ck_assert_msg(mlp_load_buffer(&net, data, size) == MLP_OK,
                      "%s does not load", corpus[i]);
        unsigned char *again = save_bytes(net, dir, &size2);
        ck_assert_uint_eq(mlp_saved_size(net), size2);
        ck_assert_uint_eq(twin_size, size2);
        ck_assert_mem_eq(twin, again, size2);
        mlp_free(net);
        free(again);
        free(data);
        free(twin);
        free(twin_path);
    }
    /* The build passes version 1 and float32 files (unless python3 is
     * missing, when there is no corpus at all). */
    ck_assert(n_corpus == 0 || converted >= 2);
    remove_dir(dir);
    ck_assert_int_eq(mlp__live_allocations(), 0);
}
END_TEST
#endif

/* ------------------------------------------------------------------------ */
/* Damaged files                                                             */

/* The files every damage test runs over: one saved here with optimizer
 * state, plus the Python corpus (which holds Adam files). */
static int n_files(void) { return 1 + n_corpus; }

static unsigned char *file_bytes(int k, const char *dir, size_t *size)
{
    if (k > 0)
        return read_all(corpus[k - 1], size);
    mlp_t *net = make_net(&configs[1], 5);
    train(net, &configs[1], 1);
    unsigned char *data = save_bytes(net, dir, size);
    mlp_free(net);
    return data;
}

START_TEST(every_truncation)
{
    char *dir = make_dir();
    long tested = 0;
    for (int k = 0; k < n_files(); k++) {
        size_t size;
        unsigned char *data = file_bytes(k, dir, &size);
        for (size_t n = 0; n < size; n++) {
            /* An exact-size copy, so that ASan/valgrind see any read past
             * the end. */
            unsigned char *copy = malloc(n ? n : 1);
            memcpy(copy, data, n);
            mlp_t *net = (mlp_t *)1;
            ck_assert_int_eq(mlp_load_buffer(&net, copy, n), MLP_ERR_FORMAT);
            ck_assert_ptr_null(net);
            free(copy);
            tested++;
        }
        /* One byte too many is as wrong as one too few. */
        unsigned char *longer = malloc(size + 1);
        memcpy(longer, data, size);
        longer[size] = 0;
        mlp_t *net;
        ck_assert_int_eq(mlp_load_buffer(&net, longer, size + 1), MLP_ERR_FORMAT);
        free(longer);
        free(data);
    }
    ck_assert_int_eq(mlp__live_allocations(), 0);
    printf("format: %ld truncations rejected\n", tested);
    remove_dir(dir);
}
END_TEST

/* Every single-bit flip: first as a storage error would make it (caught by
 * the checksum, or else must load a usable network), then with the
 * checksum recomputed, as a forger would, which must reach the field
 * checks and still never give an unusable network. */
START_TEST(every_bit_flip)
{
    char *dir = make_dir();
    long flips = 0, crc_caught = 0, forged_loaded = 0;
    /* Under valgrind (meson test --setup=valgrind) every flip of every file
     * would take many minutes on CI's two cores: there, flip only the file
     * saved here; the full set runs natively and under ASan. */
    bool quick = getenv("MLP_TEST_UNDER_VALGRIND") != NULL;
    for (int k = 0; k < n_files(); k++) {
        if (quick && k != 0)
            continue;
        size_t size;
        unsigned char *data = file_bytes(k, dir, &size);
        unsigned char *copy = malloc(size);
        for (size_t bit = 0; bit < 8 * size; bit++) {
            for (int forge = 0; forge < 2; forge++) {
                memcpy(copy, data, size);
                copy[bit / 8] ^= (unsigned char)(1u << (bit % 8));
                if (forge && bit / 8 < size - 4)
                    fix_crc(copy, size);
                mlp_t *net;
                mlp_status s = mlp_load_buffer(&net, copy, size);
                ck_assert_msg(s == MLP_OK || s == MLP_ERR_FORMAT,
                              "bit %zu: status %d", bit, (int)s);
                if (s == MLP_OK) {
                    assert_usable(net);
                    mlp_free(net);
                    forged_loaded += forge;
                } else {
                    ck_assert_ptr_null(net);
                    crc_caught += !forge;
                }
                flips++;
            }
        }
        free(copy);
        free(data);
    }
    ck_assert_int_eq(mlp__live_allocations(), 0);
    printf("format: %ld bit flips (%ld plain, all caught: %ld; %ld forged "
           "with a fixed checksum loaded as valid networks)\n",
           flips, flips / 2, crc_caught, forged_loaded);
    /* CRC-32C sees every single-bit error. */
    ck_assert_int_eq(crc_caught, flips / 2);
    remove_dir(dir);
}
END_TEST

START_TEST(newer_version_refused)
{
    char *dir = make_dir();
    size_t size;
    unsigned char *data = file_bytes(0, dir, &size);
    const uint32_t versions[] = { 0, MLP__FORMAT_VERSION + 1, 0xffffffffu };
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        put_u32(data + 8, versions[i]);
        fix_crc(data, size); /* refused for its version, not its checksum */
        mlp_t *net;
        ck_assert_int_eq(mlp_load_buffer(&net, data, size), MLP_ERR_FORMAT);
        ck_assert_ptr_null(net);
    }
    /* A newer version is refused even when the rest would not parse. */
    unsigned char head[12];
    memcpy(head, data, 8);
    put_u32(head + 8, MLP__FORMAT_VERSION + 1);
    mlp_t *net;
    ck_assert_int_eq(mlp_load_buffer(&net, head, sizeof head), MLP_ERR_FORMAT);
    ck_assert_str_eq(mlp_strerror(MLP_ERR_FORMAT),
                     "not a libmlp model file, or corrupt, truncated or of an unknown version");
    free(data);
    remove_dir(dir);
}
END_TEST

/* The element width of this build's files, the other element type, and
 * where the parameters of the file below start (after 2 (3 + 3) scaling
 * entries). */
enum { W = sizeof(real), PARAMS_AT = 132 + W * 12 };
#ifdef MLP_SINGLE
#define OTHER_ELEM MLP__ELEM_F64
#else
#define OTHER_ELEM MLP__ELEM_F32
#endif

/* Forged files whose every field is checked one at a time. */
START_TEST(forged_fields)
{
    char *dir = make_dir();
    size_t size;
    unsigned char *data = file_bytes(0, dir, &size); /* sizes 3,5,4,3; momentum */
    unsigned char *copy = malloc(size);
    /* Version 2 layout of this file: element type at 12, L 16, sizes
     * 20..51, activations 52..63, loss 64, optimizer 68, lr 72, momentum
     * 80, betas 88/96, epsilon 104, weight decay 112, t 120, S 128,
     * scaling 132..227 (2 (3 + 3) doubles), parameters from 228 (P = 59),
     * the velocity from 228 + 8 * 59; in a float build the elements are
     * 4 bytes wide (element type 1), so the parameters start at 180. */
    struct { size_t offset; uint32_t value; } edits[] = {
        { 12, 2 },                 /* unknown element type */
        { 12, OTHER_ELEM },        /* the other width: the length disagrees */
        { 16, 0 },                 /* L = 0 */
        { 16, 4 },                 /* L disagrees with the rest */
        { 16, 0xffffffffu },       /* L absurd */
        { 20, 0 },                 /* n_0 = 0 */
        { 24, 1 },                 /* n_0 = 2^32 + 3: past the BLAS int */
        { 52, 5 },                 /* unknown activation */
        { 52, MLP_SOFTMAX },       /* softmax on a hidden layer */
        { 60, MLP_SOFTMAX },       /* softmax with MSE */
        { 64, 1 },                 /* cross-entropy with a tanh output */
        { 64, 2 },                 /* unknown loss */
        { 68, 2 },                 /* unknown optimizer */
        { 68, 1 },                 /* Adam with SGD's fields */
        { 128, 0 },                /* momentum but no state vector */
        { 128, 2 },                /* too many state vectors */
        { 120, 1 },                /* a step count t with SGD */
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        memcpy(copy, data, size);
        put_u32(copy + edits[i].offset, edits[i].value);
        fix_crc(copy, size);
        mlp_t *net;
        ck_assert_msg(mlp_load_buffer(&net, copy, size) == MLP_ERR_FORMAT,
                      "edit %zu accepted", i);
    }
    /* Non-finite or out-of-range numbers: hyper-parameters (always
     * float64) and elements (W bytes wide). */
    const double bad[] = { NAN, INFINITY, -INFINITY };
    const real bad_elem[] = { NAN, INFINITY, -INFINITY };
    /* lr, momentum, weight decay; an input mean, an input std, an output
     * std, a weight, a velocity entry (P = 59) */
    const size_t f64_at[] = { 72, 80, 112 };
    const size_t elem_at[] = { 132 + W, 132 + W * 4, 132 + W * 11,
                               PARAMS_AT + W * 7, PARAMS_AT + W * (59 + 3) };
    for (size_t i = 0; i < 3 + 5; i++) {
        for (size_t j = 0; j < 3; j++) {
            memcpy(copy, data, size);
            /* little-endian hosts */
            if (i < 3)
                memcpy(copy + f64_at[i], &bad[j], 8);
            else
                memcpy(copy + elem_at[i - 3], &bad_elem[j], W);
            fix_crc(copy, size);
            mlp_t *net;
            ck_assert_int_eq(mlp_load_buffer(&net, copy, size), MLP_ERR_FORMAT);
        }
    }
    const double lr_bad[] = { 0.0, -1.0 }, mom_bad[] = { 1.0, -0.5 };
    const real std_bad[] = { 0.0, -1.0 };
    for (size_t j = 0; j < 2; j++) {
        mlp_t *net;
        memcpy(copy, data, size);
        memcpy(copy + 112, &lr_bad[j], 8); /* weight decay 0 is fine, -1 not */
        fix_crc(copy, size);
        ck_assert_int_eq(mlp_load_buffer(&net, copy, size),
                         j == 0 ? MLP_OK : MLP_ERR_FORMAT);
        mlp_free(j == 0 ? net : NULL);
        memcpy(copy, data, size);
        memcpy(copy + 72, &lr_bad[j], 8);
        fix_crc(copy, size);
        ck_assert_int_eq(mlp_load_buffer(&net, copy, size), MLP_ERR_FORMAT);
        memcpy(copy, data, size);
        memcpy(copy + 80, &mom_bad[j], 8);
        fix_crc(copy, size);
        ck_assert_int_eq(mlp_load_buffer(&net, copy, size), MLP_ERR_FORMAT);
        /* An input std of 0 or -1 (a mean of 0 or -1 is fine). */
        memcpy(copy, data, size);
        memcpy(copy + 132 + W * 3, &std_bad[j], W);
        fix_crc(copy, size);
        ck_assert_int_eq(mlp_load_buffer(&net, copy, size), MLP_ERR_FORMAT);
        memcpy(copy, data, size);
        memcpy(copy + 132, &std_bad[j], W);
        fix_crc(copy, size);
        ck_assert_int_eq(mlp_load_buffer(&net, copy, size), MLP_OK);
        mlp_free(net);
    }
    /* The untouched file, and the same with its checksum recomputed, load. */
    mlp_t *net;
    memcpy(copy, data, size);
    fix_crc(copy, size);
    ck_assert_int_eq(mlp_load_buffer(&net, copy, size), MLP_OK);
    mlp_free(net);
    /* Not a model file at all. */
    ck_assert_int_eq(mlp_load_buffer(&net, "hello, world\n", 13), MLP_ERR_FORMAT);
    ck_assert_int_eq(mlp_load_buffer(&net, NULL, 0), MLP_ERR_FORMAT);
    free(copy);
    free(data);
    ck_assert_int_eq(mlp__live_allocations(), 0);
    remove_dir(dir);
}
END_TEST

START_TEST(bad_arguments)
{
    mlp_t *net = (mlp_t *)1;
    ck_assert_int_eq(mlp_load_buffer(NULL, "x", 1), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_load_buffer(&net, NULL, 5), MLP_ERR_ARG);
    ck_assert_ptr_null(net);
    ck_assert_int_eq(mlp_load(NULL, "x"), MLP_ERR_ARG);
    net = (mlp_t *)1;
    ck_assert_int_eq(mlp_load(&net, NULL), MLP_ERR_ARG);
    ck_assert_ptr_null(net);
    ck_assert_int_eq(mlp_save(NULL, "x"), MLP_ERR_ARG);

    char *dir = make_dir();
    mlp_t *good = make_net(&configs[0], 1);
    ck_assert_int_eq(mlp_save(good, NULL), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_save(good, ""), MLP_ERR_ARG);
    char path[1024];
    snprintf(path, sizeof path, "%s/missing.mlp", dir);
    ck_assert_int_eq(mlp_load(&net, path), MLP_ERR_IO);
    ck_assert_int_eq(mlp_load(&net, dir), MLP_ERR_IO); /* a directory */
    snprintf(path, sizeof path, "%s/fifo", dir);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    ck_assert_int_eq(mlp_load(&net, path), MLP_ERR_IO); /* and it does not hang */
    unlink(path);
    snprintf(path, sizeof path, "%s/no/such/dir/model.mlp", dir);
    ck_assert_int_eq(mlp_save(good, path), MLP_ERR_IO);
    snprintf(path, sizeof path, "%s/empty.mlp", dir);
    write_all(path, "", 0);
    ck_assert_int_eq(mlp_load(&net, path), MLP_ERR_FORMAT);
    /* A bare file name saves in the working directory. */
    char cwd[1024];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(dir), 0);
    ck_assert_int_eq(mlp_save(good, "bare.mlp"), MLP_OK);
    ck_assert_int_eq(mlp_load(&net, "bare.mlp"), MLP_OK);
    ck_assert_int_eq(chdir(cwd), 0);
    mlp_free(net);
    mlp_free(good);
    remove_dir(dir);
    ck_assert_int_eq(mlp__live_allocations(), 0);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Failures                                                                  */

/* Every allocation of a load, failed in turn: MLP_ERR_NOMEM, nothing
 * leaked, and the next attempt works. */
START_TEST(load_out_of_memory)
{
    char *dir = make_dir();
    size_t size;
    unsigned char *data = file_bytes(0, dir, &size);
    unsigned long nth;
    for (nth = 1;; nth++) {
        mlp_t *net;
        mlp__fault_inject(nth);
        mlp_status s = mlp_load_buffer(&net, data, size);
        mlp__fault_inject(0);
        if (s == MLP_OK) {
            mlp_free(net);
            break;
        }
        ck_assert_int_eq(s, MLP_ERR_NOMEM);
        ck_assert_ptr_null(net);
        ck_assert_int_eq(mlp__live_allocations(), 0);
    }
    ck_assert_uint_gt(nth, 3); /* the failures did reach the allocations */
    free(data);
    remove_dir(dir);
}
END_TEST

/* Every file-system call and allocation of a save, failed in turn: the old
 * file stays byte for byte, no temporary is left, nothing leaks. */
START_TEST(failed_save_keeps_old_file)
{
    char *dir = make_dir();
    char path[1024];
    snprintf(path, sizeof path, "%s/model.mlp", dir);
    mlp_t *old_net = make_net(&configs[0], 1), *new_net = make_net(&configs[3], 2);
    train(new_net, &configs[3], 1);
    ck_assert_int_eq(mlp_save(old_net, path), MLP_OK);
    size_t old_size;
    unsigned char *old = read_all(path, &old_size);

    long live = mlp__live_allocations(); /* the two networks */
    unsigned long nth, io_failures = 0;
    for (nth = 1;; nth++) {
        mlp__io_fault_inject(nth);
        mlp_status s = mlp_save(new_net, path);
        mlp__io_fault_inject(0);
        if (s == MLP_OK)
            break;
        io_failures++;
        ck_assert_int_eq(s, MLP_ERR_IO);
        size_t size;
        unsigned char *now = read_all(path, &size);
        ck_assert_uint_eq(size, old_size);
        ck_assert_mem_eq(now, old, size);
        free(now);
        ck_assert_int_eq(count_entries(dir), 1);
        ck_assert_int_eq(mlp__live_allocations(), live);
    }
    ck_assert_uint_ge(io_failures, 4); /* create, write, fsync, close, rename */
    for (nth = 1;; nth++) {
        mlp__fault_inject(nth);
        mlp_status s = mlp_save(old_net, path);
        mlp__fault_inject(0);
        if (s == MLP_OK)
            break;
        ck_assert_int_eq(s, MLP_ERR_NOMEM);
        ck_assert_int_eq(count_entries(dir), 1);
        ck_assert_int_eq(mlp__live_allocations(), live);
    }
    /* The last save (old_net again) went through: the file is the old one;
     * one more save of new_net replaces it. */
    ck_assert_int_eq(mlp_save(new_net, path), MLP_OK);
    mlp_t *back;
    ck_assert_int_eq(mlp_load(&back, path), MLP_OK);
    assert_same_network(new_net, back);
    mlp_free(back);
    free(old);
    mlp_free(old_net);
    mlp_free(new_net);
    remove_dir(dir);
    ck_assert_int_eq(mlp__live_allocations(), 0);
}
END_TEST

/* A directory the process may not write to. Root may write anywhere, so
 * as root the check runs in a child that drops to user "nobody" (65534). */
static int save_into_read_only_dir(const char *dir, const char *path,
                                   const unsigned char *old, size_t old_size)
{
    mlp_t *net;
    if (mlp_create(&net, 1, (size_t[]){ 2, 2 }, NULL, MLP_MSE, 9) != MLP_OK)
        return 10;
    int rc = 0;
    if (mlp_save(net, path) != MLP_ERR_IO)
        rc = 11;
    FILE *f = fopen(path, "rb");
    unsigned char buf[4096];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f)
        fclose(f);
    if (!f || n != old_size || memcmp(buf, old, n) != 0)
        rc = 12;
    if (count_entries(dir) != 1)
        rc = 13;
    mlp_free(net);
    return rc;
}

START_TEST(read_only_directory)
{
    char *dir = make_dir();
    char path[1024];
    snprintf(path, sizeof path, "%s/model.mlp", dir);
    mlp_t *net = make_net(&configs[0], 1);
    ck_assert_int_eq(mlp_save(net, path), MLP_OK);
    mlp_free(net);
    size_t old_size;
    unsigned char *old = read_all(path, &old_size);
    ck_assert_uint_le(old_size, 4096);
    ck_assert_int_eq(chmod(path, 0644), 0);
    ck_assert_int_eq(chmod(dir, 0555), 0);

    int rc;
    if (geteuid() != 0) {
        rc = save_into_read_only_dir(dir, path, old, old_size);
    } else {
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            int code = 20;
            if (setgid(65534) == 0 && setuid(65534) == 0)
                code = save_into_read_only_dir(dir, path, old, old_size);
            /* The child's copies of the parent's buffers, freed so that
             * valgrind finds no leak in the child either. */
            free(old);
            free(dir);
            _exit(code);
        }
        int st;
        ck_assert_int_eq(waitpid(pid, &st, 0), pid);
        ck_assert(WIFEXITED(st));
        rc = WEXITSTATUS(st);
    }
    ck_assert_int_eq(chmod(dir, 0755), 0);
    ck_assert_msg(rc == 0, "read-only directory check failed: code %d", rc);
    free(old);
    remove_dir(dir);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* In memory: mlp_saved_size, mlp_save_buffer, mlp_clone                     */

/* mlp_save_buffer writes exactly the bytes of the file, in exactly
 * mlp_saved_size bytes; a smaller buffer is refused untouched. */
START_TEST(save_buffer_same_bytes)
{
    const struct config *c = &configs[_i];
    char *dir = make_dir();
    mlp_t *net = make_net(c, 300 + (uint64_t)_i);
    train(net, c, 2);
    size_t size;
    unsigned char *file = save_bytes(net, dir, &size);
    ck_assert_uint_eq(mlp_saved_size(net), size);
    unsigned char *buf = malloc(size + 8);
    ck_assert_ptr_nonnull(buf);
    memset(buf, 0xa5, size + 8);
    ck_assert_int_eq(mlp_save_buffer(net, buf, size - 1), MLP_ERR_ARG);
    for (size_t i = 0; i < size + 8; i++)
        ck_assert_uint_eq(buf[i], 0xa5);
    ck_assert_int_eq(mlp_save_buffer(net, buf, size + 8), MLP_OK);
    ck_assert_mem_eq(buf, file, size);
    ck_assert_uint_eq(buf[size], 0xa5); /* nothing past the model */
    mlp_t *back;
    ck_assert_int_eq(mlp_load_buffer(&back, buf, size), MLP_OK);
    assert_same_network(net, back);
    assert_same_scaling(net, back);
    ck_assert_uint_eq(mlp_saved_size(NULL), 0);
    ck_assert_int_eq(mlp_save_buffer(NULL, buf, size), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_save_buffer(net, NULL, size), MLP_ERR_ARG);
    mlp_free(back);
    mlp_free(net);
    free(buf);
    free(file);
    remove_dir(dir);
    ck_assert_int_eq(mlp__live_allocations(), 0);
}
END_TEST

/* A clone predicts and trains bitwise as the original, with the original
 * freed first; every allocation of the clone failed in turn gives
 * MLP_ERR_NOMEM and leaks nothing. */
START_TEST(clone_is_bitwise)
{
    const struct config *c = &configs[_i];
    mlp_t *net = make_net(c, 500 + (uint64_t)_i), *twin = make_net(c, 500 + (uint64_t)_i);
    train(net, c, 2);
    train(twin, c, 2);
    long live = mlp__live_allocations();
    unsigned long nth;
    mlp_t *copy = NULL;
    for (nth = 1;; nth++) {
        mlp__fault_inject(nth);
        mlp_status s = mlp_clone(&copy, net);
        mlp__fault_inject(0);
        if (s == MLP_OK)
            break;
        ck_assert_int_eq(s, MLP_ERR_NOMEM);
        ck_assert_ptr_null(copy);
        ck_assert_int_eq(mlp__live_allocations(), live);
    }
    ck_assert_uint_gt(nth, 3);
    mlp_free(net); /* the copy shares nothing with it */
    assert_same_network(twin, copy);
    assert_same_scaling(twin, copy);
    ck_assert_mem_eq(mlp_grads(twin), mlp_grads(copy),
                     mlp_n_params(twin) * sizeof(real));
    train(twin, c, 3);
    train(copy, c, 3);
    ck_assert_mem_eq(mlp_params(twin), mlp_params(copy),
                     mlp_n_params(twin) * sizeof(real));
    size_t n = mlp_saved_size(twin);
    unsigned char *a = malloc(n), *b = malloc(n);
    ck_assert(a && b && mlp_saved_size(copy) == n);
    ck_assert_int_eq(mlp_save_buffer(twin, a, n), MLP_OK);
    ck_assert_int_eq(mlp_save_buffer(copy, b, n), MLP_OK);
    ck_assert_mem_eq(a, b, n); /* optimizer state and settings included */
    ck_assert_int_eq(mlp_clone(NULL, twin), MLP_ERR_ARG);
    mlp_t *stale = (mlp_t *)1;
    ck_assert_int_eq(mlp_clone(&stale, NULL), MLP_ERR_ARG);
    ck_assert_ptr_null(stale);
    free(a);
    free(b);
    mlp_free(twin);
    mlp_free(copy);
    ck_assert_int_eq(mlp__live_allocations(), 0);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Saving through links, long names, the named-temporary fallback            */

static void assert_file_is(const char *path, const mlp_t *net)
{
    mlp_t *back;
    ck_assert_msg(mlp_load(&back, path) == MLP_OK, "%s does not load", path);
    ck_assert_mem_eq(mlp_params(back), mlp_params((mlp_t *)net),
                     mlp_n_params(back) * sizeof(real));
    mlp_free(back);
}

static bool is_link(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

START_TEST(save_follows_symlinks)
{
    char *dir = make_dir();
    char sub[1024], target[1024], link1[1024], link2[1024], dangling[1024];
    snprintf(sub, sizeof sub, "%s/models", dir);
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    snprintf(target, sizeof target, "%s/models/real.mlp", dir);
    snprintf(link1, sizeof link1, "%s/current.mlp", dir);
    snprintf(link2, sizeof link2, "%s/chain.mlp", dir);
    mlp_t *a = make_net(&configs[0], 1), *b = make_net(&configs[0], 2);
    ck_assert_int_eq(mlp_save(a, target), MLP_OK);
    ck_assert_int_eq(chmod(target, 0600), 0);
    /* A relative link (resolved against its own directory) and a link to
     * that link. */
    ck_assert_int_eq(symlink("models/real.mlp", link1), 0);
    ck_assert_int_eq(symlink(link1, link2), 0);
    ck_assert_int_eq(mlp_save(b, link2), MLP_OK);
    ck_assert(is_link(link1) && is_link(link2)); /* the links stay */
    assert_file_is(target, b);                   /* the target changed */
    struct stat st;
    ck_assert_int_eq(stat(target, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0600); /* and kept its mode */
    ck_assert_int_eq(count_entries(sub), 1);     /* no temporary left */
    ck_assert_int_eq(mlp_save(a, link1), MLP_OK);
    assert_file_is(target, a);
    /* A dangling link: its target is created. */
    snprintf(dangling, sizeof dangling, "%s/new.mlp", dir);
    ck_assert_int_eq(symlink("models/created.mlp", dangling), 0);
    ck_assert_int_eq(mlp_save(b, dangling), MLP_OK);
    ck_assert(is_link(dangling));
    char created[1024];
    snprintf(created, sizeof created, "%s/models/created.mlp", dir);
    assert_file_is(created, b);
    /* A loop: MLP_ERR_IO, nothing written. */
    char loop_a[1024], loop_b[1024];
    snprintf(loop_a, sizeof loop_a, "%s/loop-a", dir);
    snprintf(loop_b, sizeof loop_b, "%s/loop-b", dir);
    ck_assert_int_eq(symlink(loop_b, loop_a), 0);
    ck_assert_int_eq(symlink(loop_a, loop_b), 0);
    int before = count_entries(dir);
    ck_assert_int_eq(mlp_save(a, loop_a), MLP_ERR_IO);
    ck_assert_int_eq(count_entries(dir), before);
    unlink(target);
    unlink(created);
    rmdir(sub);
    mlp_free(a);
    mlp_free(b);
    remove_dir(dir);
    ck_assert_int_eq(mlp__live_allocations(), 0);
}
END_TEST

/* A file name of 255 bytes, the longest most file systems allow, saves
 * and loads, on both temporary-file paths. */
START_TEST(longest_file_name)
{
    char *dir = make_dir();
    char path[1024];
    int n = snprintf(path, sizeof path, "%s/", dir);
    memset(path + n, 'm', 251);
    memcpy(path + n + 251, ".mlp", 5);
    mlp_t *net = make_net(&configs[2], 3);
    for (int named = 0; named < 2; named++) {
        mlp__io_force_named_temp(named);
        ck_assert_int_eq(mlp_save(net, path), MLP_OK);
        mlp__io_force_named_temp(0);
        assert_file_is(path, net);
        ck_assert_int_eq(count_entries(dir), 1);
    }
    mlp_free(net);
    remove_dir(dir);
}
END_TEST

/* The fallback through a named temporary file (no O_TMPFILE): every
 * file-system call failed in turn keeps the old file and leaves no
 * temporary behind, as on the O_TMPFILE path. */
START_TEST(named_temp_fallback)
{
    char *dir = make_dir();
    char path[1024];
    snprintf(path, sizeof path, "%s/model.mlp", dir);
    mlp_t *old_net = make_net(&configs[0], 1), *new_net = make_net(&configs[3], 2);
    ck_assert_int_eq(mlp_save(old_net, path), MLP_OK);
    size_t old_size;
    unsigned char *old = read_all(path, &old_size);
    mlp__io_force_named_temp(1);
    unsigned long nth, failures = 0;
    for (nth = 1;; nth++) {
        mlp__io_fault_inject(nth);
        mlp_status s = mlp_save(new_net, path);
        mlp__io_fault_inject(0);
        if (s == MLP_OK)
            break;
        failures++;
        ck_assert_int_eq(s, MLP_ERR_IO);
        size_t size;
        unsigned char *now = read_all(path, &size);
        ck_assert_uint_eq(size, old_size);
        ck_assert_mem_eq(now, old, size);
        free(now);
        ck_assert_int_eq(count_entries(dir), 1);
    }
    mlp__io_force_named_temp(0);
    ck_assert_uint_ge(failures, 4); /* create, write, fsync, close, rename */
    assert_file_is(path, new_net);
    free(old);
    mlp_free(old_net);
    mlp_free(new_net);
    remove_dir(dir);
}
END_TEST

/* Adam's step count: 2^64 - 1 could never be incremented (the bias
 * correction would divide by zero), so such a file is refused; 2^64 - 2
 * loads and trains one more step to finite parameters. */
START_TEST(adam_step_count_limit)
{
    mlp_t *net = make_net(&configs[8], 4); /* Adam */
    train(net, &configs[8], 1);
    size_t size = mlp_saved_size(net);
    unsigned char *data = malloc(size);
    ck_assert_int_eq(mlp_save_buffer(net, data, size), MLP_OK);
    const size_t t_at = 120; /* sizes 3,5,4,3: as in forged_fields */
    for (int k = 0; k < 2; k++) {
        uint64_t t = UINT64_MAX - (uint64_t)k;
        for (int i = 0; i < 8; i++)
            data[t_at + (size_t)i] = (unsigned char)(t >> (8 * i));
        fix_crc(data, size);
        mlp_t *back;
        ck_assert_int_eq(mlp_load_buffer(&back, data, size),
                         k == 0 ? MLP_ERR_FORMAT : MLP_OK);
        if (k == 1) {
            train(back, &configs[8], 1);
            for (size_t i = 0; i < mlp_n_params(back); i++)
                ck_assert(isfinite(mlp_params(back)[i]));
            mlp_free(back);
        }
    }
    free(data);
    mlp_free(net);
}
END_TEST

/* Saves killed by SIGTERM at random moments (40 times, a child saving two
 * networks in turn): the file always loads as one of the two, and nothing
 * else is left in the directory. While the model is written the temporary
 * file has no name (O_TMPFILE), and from naming it to the rename signals
 * wait, so no moment leaves a temporary behind. (SIGKILL cannot be made
 * to wait: a kill in the few microseconds between linkat and rename can
 * leave one; docs/format.md says so.) */
START_TEST(terminated_saves_leave_nothing)
{
    char *dir = make_dir();
    char path[1024];
    snprintf(path, sizeof path, "%s/model.mlp", dir);
    mlp_t *nets[2] = { make_net(&configs[0], 1), make_net(&configs[0], 2) };
    ck_assert_int_eq(mlp_save(nets[0], path), MLP_OK);
    unsigned seed = 12345;
    int which[2] = { 0, 0 };
    for (int k = 0; k < 40; k++) {
        /* Check's runner handles SIGTERM by ending its whole process
         * group; the child must just die, so it sets the default action
         * before it can receive one. */
        sigset_t term, old_mask;
        sigemptyset(&term);
        sigaddset(&term, SIGTERM);
        ck_assert_int_eq(sigprocmask(SIG_BLOCK, &term, &old_mask), 0);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            signal(SIGTERM, SIG_DFL);
            sigprocmask(SIG_SETMASK, &old_mask, NULL);
            for (unsigned i = (unsigned)k;; i++)
                mlp_save(nets[i % 2], path);
        }
        ck_assert_int_eq(sigprocmask(SIG_SETMASK, &old_mask, NULL), 0);
        seed = seed * 1103515245u + 12345u;
        struct timespec ts = { 0, 200000 + (long)(seed >> 8) % 20000000 };
        nanosleep(&ts, NULL);
        ck_assert_int_eq(kill(pid, SIGTERM), 0);
        int st;
        ck_assert_int_eq(waitpid(pid, &st, 0), pid);
        ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
        ck_assert_int_eq(count_entries(dir), 1);
        mlp_t *back;
        ck_assert_int_eq(mlp_load(&back, path), MLP_OK);
        bool is0 = memcmp(mlp_params(back), mlp_params(nets[0]),
                          mlp_n_params(back) * sizeof(double)) == 0;
        bool is1 = memcmp(mlp_params(back), mlp_params(nets[1]),
                          mlp_n_params(back) * sizeof(double)) == 0;
        ck_assert(is0 || is1);
        which[is1]++;
        mlp_free(back);
    }
    printf("format: 40 saves terminated, the file held the first model %d "
           "times, the second %d times, no temporary left\n", which[0],
           which[1]);
    mlp_free(nets[0]);
    mlp_free(nets[1]);
    remove_dir(dir);
}
END_TEST

static Suite *format_suite(void)
{
    Suite *s = suite_create("format");
    TCase *tc = tcase_create("round trip");
    tcase_add_loop_test(tc, round_trip, 0, N_CONFIGS);
    tcase_add_test(tc, python_corpus);
    tcase_add_loop_test(tc, save_buffer_same_bytes, 0, N_CONFIGS);
    tcase_add_loop_test(tc, clone_is_bitwise, 0, N_CONFIGS);
    tcase_add_test(tc, adam_step_count_limit);
    suite_add_tcase(s, tc);

    tc = tcase_create("saving");
    tcase_add_test(tc, save_follows_symlinks);
    tcase_add_test(tc, longest_file_name);
    tcase_add_test(tc, named_temp_fallback);
    tcase_add_test(tc, terminated_saves_leave_nothing);
    suite_add_tcase(s, tc);

    tc = tcase_create("damaged files");
    tcase_set_timeout(tc, 300); /* every bit of several files, under valgrind */
    tcase_add_test(tc, every_truncation);
    tcase_add_test(tc, every_bit_flip);
    tcase_add_test(tc, newer_version_refused);
    tcase_add_test(tc, forged_fields);
    tcase_add_test(tc, bad_arguments);
    suite_add_tcase(s, tc);

    tc = tcase_create("failures");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, load_out_of_memory);
    tcase_add_test(tc, failed_save_keeps_old_file);
    tcase_add_test(tc, read_only_directory);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    n_corpus = argc - 1;
    corpus = argv + 1;
    return test_run_suite(format_suite());
}
