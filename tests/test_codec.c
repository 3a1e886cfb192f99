/* test_codec.c - the model file format (lib/codec.c), through files and
 * buffers: round trips of every optimizer shape and output/loss pairing,
 * the independent Python writer's files, damaged and forged files, failed
 * allocations while loading, mlp_save_buffer / mlp_saved_size / mlp_clone.
 *
 * Linked against the fault-injection build (mlp_test_dep), so every test
 * can count live allocations and make allocations fail. Extra arguments
 * are model files written by fuzz/make_corpus.py, an independent writer of
 * the format: each must load, and save back to the same bytes. */
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
#include "model_files.h"
#include "serialize.h"

static int n_corpus;
static char **corpus;

/* ------------------------------------------------------------------------ */
/* Round trips                                                               */

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

/* Forged 32-bit fields of the file of file_bytes(0), one at a time. */
static void forged_u32_fields(const unsigned char *data, unsigned char *copy,
                              size_t size)
{
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
        mlp_t *net;
        fix_crc(copy, size);
        ck_assert_msg(mlp_load_buffer(&net, copy, size) == MLP_ERR_FORMAT,
                      "edit %zu accepted", i);
    }
}

/* Non-finite numbers: hyper-parameters (always float64) and elements (W
 * bytes wide). */
static void forged_nonfinite(const unsigned char *data, unsigned char *copy,
                             size_t size)
{
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
            mlp_t *net;
            fix_crc(copy, size);
            ck_assert_int_eq(mlp_load_buffer(&net, copy, size), MLP_ERR_FORMAT);
        }
    }
}

/* Finite numbers out of their ranges (and the edge values that are
 * fine): a learning rate, momentum, weight decay, input std of 0 or -1. */
static void forged_ranges(const unsigned char *data, unsigned char *copy,
                          size_t size)
{
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
}

/* Hyper-parameters (always float64 in the file) that keep the setters'
 * rules in double but break them once rounded to float, as the float
 * family would compute with them: a learning rate of 1e-50 (0 in float)
 * or 1e39 (Inf), a momentum of 0.99999999999 (1), a weight decay of
 * 1e300 (Inf) in an SGD file; a beta1 or beta2 of 0.99999999999, an
 * epsilon of 1e-300 (0) or 1e39 (Inf) in an Adam file. A double network
 * loads each one; a float network refuses each with MLP_ERR_FORMAT, as it
 * refuses an element beyond float's range. Offsets as in
 * forged_u32_fields: lr 72, momentum 80, betas 88/96, epsilon 104, weight
 * decay 112. */
START_TEST(forged_hyper_parameters_rounded_to_float)
{
    static const struct { int adam; size_t offset; double value; } edits[] = {
        { 0, 72, 1e-50 }, { 0, 72, 1e39 }, { 0, 80, 0.99999999999 },
        { 0, 112, 1e300 }, { 1, 72, 1e-50 }, { 1, 88, 0.99999999999 },
        { 1, 96, 0.99999999999 }, { 1, 104, 1e-300 }, { 1, 104, 1e39 },
    };
    char *dir = make_dir();
    size_t size[2];
    unsigned char *data[2];
    for (int adam = 0; adam < 2; adam++) {
        const struct config *c = &configs[adam ? 8 : 1];
        mlp_t *net = make_net(c, 6);
        train(net, c, 2);
        data[adam] = save_bytes(net, dir, &size[adam]);
        mlp_free(net);
    }
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        int a = edits[i].adam;
        unsigned char *copy = malloc(size[a]);
        memcpy(copy, data[a], size[a]);
        memcpy(copy + edits[i].offset, &edits[i].value, 8); /* little-endian */
        fix_crc(copy, size[a]);
        mlp_t *net = (mlp_t *)1;
        mlp_status st = mlp_load_buffer(&net, copy, size[a]);
        ck_assert_msg(st == TEST_BY_PRECISION(MLP_OK, MLP_ERR_FORMAT),
                      "edit %zu: status %d", i, (int)st);
        if (st != MLP_OK)
            ck_assert_ptr_null(net);
        mlp_free(net);
        free(copy);
    }
    free(data[0]);
    free(data[1]);
    ck_assert_int_eq(mlp__live_allocations(), 0);
    remove_dir(dir);
}
END_TEST

/* A buffer whose header declares layers far larger than its bytes (four
 * sizes of 2^31 - 1: parameters of some 2^64 bytes), checksum right, is
 * MLP_ERR_FORMAT, and nothing larger than the buffer is allocated on the
 * way (mlp_load_buffer's contract: no allocation larger than a small
 * multiple of the input's size). */
START_TEST(forged_huge_sizes)
{
    char *dir = make_dir();
    size_t size;
    unsigned char *data = file_bytes(0, dir, &size); /* sizes 3,5,4,3 */
    for (size_t l = 0; l < 4; l++) { /* sizes at 20, 28, 36, 44 */
        put_u32(data + 20 + 8 * l, 0x7fffffffu);
        put_u32(data + 24 + 8 * l, 0);
    }
    fix_crc(data, size);
    mlp__fault_inject(0);
    mlp_t *net = (mlp_t *)1;
    ck_assert_int_eq(mlp_load_buffer(&net, data, size), MLP_ERR_FORMAT);
    ck_assert_ptr_null(net);
    ck_assert_uint_le(mlp__alloc_largest(), size);
    free(data);
    ck_assert_int_eq(mlp__live_allocations(), 0);
    remove_dir(dir);
}
END_TEST

/* Forged files whose every field is checked one at a time. */
START_TEST(forged_fields)
{
    char *dir = make_dir();
    size_t size;
    unsigned char *data = file_bytes(0, dir, &size); /* sizes 3,5,4,3; momentum */
    unsigned char *copy = malloc(size);
    forged_u32_fields(data, copy, size);
    forged_nonfinite(data, copy, size);
    forged_ranges(data, copy, size);
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

/* A parameter made NaN or Inf through mlp_params (no library call makes
 * one) would give a file that mlp_load_buffer refuses: mlp_save_buffer
 * refuses to write it, with MLP_ERR_NONFINITE and the buffer untouched,
 * and once the parameter is finite again the network saves as before. */
START_TEST(save_buffer_refuses_nonfinite)
{
    const real bad[] = { NAN, INFINITY, -INFINITY };
    mlp_t *net = make_net(&configs[8], 6); /* Adam: state saved too */
    train(net, &configs[8], 2);
    size_t size = mlp_saved_size(net), n = mlp_n_params(net);
    unsigned char *before = malloc(size), *buf = malloc(size);
    ck_assert_int_eq(mlp_save_buffer(net, before, size), MLP_OK);
    real *p = mlp_params(net);
    /* the first weight, and the last bias of the last layer */
    const size_t at[] = { 0, n - 1 };
    for (size_t k = 0; k < 2; k++)
        for (size_t j = 0; j < 3; j++) {
            real keep = p[at[k]];
            p[at[k]] = bad[j];
            memset(buf, 0xa5, size);
            ck_assert_int_eq(mlp_save_buffer(net, buf, size),
                             MLP_ERR_NONFINITE);
            for (size_t i = 0; i < size; i++)
                ck_assert_uint_eq(buf[i], 0xa5);
            p[at[k]] = keep;
        }
    ck_assert_int_eq(mlp_save_buffer(net, buf, size), MLP_OK);
    ck_assert_mem_eq(buf, before, size);
    free(before);
    free(buf);
    mlp_free(net);
    ck_assert_int_eq(mlp__live_allocations(), 0);
}
END_TEST

/* A field the optimizer does not use has exactly one valid value, +0.0
 * (docs/format.md: every network has one encoding, so load -> save gives
 * the same bytes). -0.0 equals 0.0 as a number but is another encoding,
 * which re-saving would turn into +0.0: refused. SGD leaves beta1, beta2
 * and epsilon unused, Adam the momentum. */
START_TEST(unused_fields_only_positive_zero)
{
    const double negative_zero = -0.0;
    struct { int config; size_t offset; } unused[] = {
        { 0, 88 }, { 0, 96 }, { 0, 104 }, /* SGD: beta1, beta2, epsilon */
        { 8, 80 },                        /* Adam: momentum */
    };
    for (size_t i = 0; i < sizeof unused / sizeof unused[0]; i++) {
        const struct config *c = &configs[unused[i].config];
        mlp_t *net = make_net(c, 7), *back;
        train(net, c, 1);
        size_t size = mlp_saved_size(net);
        unsigned char *data = malloc(size), *again = malloc(size);
        ck_assert_int_eq(mlp_save_buffer(net, data, size), MLP_OK);
        /* +0.0 as written: loads and saves to the same bytes */
        ck_assert_int_eq(mlp_load_buffer(&back, data, size), MLP_OK);
        ck_assert_int_eq(mlp_save_buffer(back, again, size), MLP_OK);
        ck_assert_mem_eq(again, data, size);
        mlp_free(back);
        memcpy(data + unused[i].offset, &negative_zero, 8); /* little-endian */
        fix_crc(data, size);
        back = (mlp_t *)1;
        ck_assert_msg(mlp_load_buffer(&back, data, size) == MLP_ERR_FORMAT,
                      "-0.0 at offset %zu accepted", unused[i].offset);
        ck_assert_ptr_null(back);
        free(data);
        free(again);
        mlp_free(net);
    }
    ck_assert_int_eq(mlp__live_allocations(), 0);
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

/* data with Adam's step count (at offset 120, sizes 3,5,4,3) set to t,
 * checksum recomputed, loaded. */
static mlp_t *load_with_step_count(unsigned char *data, size_t size,
                                   uint64_t t)
{
    for (int i = 0; i < 8; i++)
        data[120 + (size_t)i] = (unsigned char)(t >> (8 * i));
    fix_crc(data, size);
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_load_buffer(&net, data, size), MLP_OK);
    return net;
}

/* Saving and loading agree at the last step count: a network loaded at
 * t = 2^64 - 2 (the largest count a file holds) trains on, its count
 * stays at 2^64 - 2, and what it saves loads again. Its updates are
 * those of the same network at t = 2^63, bitwise: from there on b^t is 0
 * in double for every b in [0, 1) ((1 - 2^-53)^(2^63) = e^-1024 is far
 * below the smallest subnormal), so both bias corrections are exactly 1. */
START_TEST(adam_step_count_saturates)
{
    mlp_t *net = make_net(&configs[8], 4); /* Adam */
    train(net, &configs[8], 1);
    size_t size = mlp_saved_size(net);
    unsigned char *data = malloc(size), *again = malloc(size);
    ck_assert_int_eq(mlp_save_buffer(net, data, size), MLP_OK);
    mlp_t *last = load_with_step_count(data, size, UINT64_MAX - 1);
    mlp_t *twin = load_with_step_count(data, size, (uint64_t)1 << 63);
    size_t n = mlp_n_params(last);
    for (int step = 0; step < 3; step++) {
        for (size_t i = 0; i < n; i++)
            mlp_grads(last)[i] = mlp_grads(twin)[i] =
                (real)sin(0.7 * (double)(i + 1) + step);
        ck_assert_int_eq(mlp_step(last), MLP_OK);
        ck_assert_int_eq(mlp_step(twin), MLP_OK);
        ck_assert_mem_eq(mlp_params(last), mlp_params(twin), n * sizeof(real));
        ck_assert_int_eq(mlp_save_buffer(last, again, size), MLP_OK);
        uint64_t t = 0;
        for (int i = 0; i < 8; i++)
            t |= (uint64_t)again[120 + (size_t)i] << (8 * i);
        ck_assert(t == UINT64_MAX - 1);
        mlp_t *back = (mlp_t *)1;
        ck_assert_int_eq(mlp_load_buffer(&back, again, size), MLP_OK);
        ck_assert_mem_eq(mlp_params(back), mlp_params(last), n * sizeof(real));
        mlp_free(back);
    }
    free(data);
    free(again);
    mlp_free(twin);
    mlp_free(last);
    mlp_free(net);
    ck_assert_int_eq(mlp__live_allocations(), 0);
}
END_TEST

static Suite *codec_suite(void)
{
    Suite *s = suite_create("codec");
    TCase *tc = tcase_create("round trip");
    tcase_add_loop_test(tc, round_trip, 0, N_CONFIGS);
    tcase_add_test(tc, python_corpus);
    tcase_add_loop_test(tc, save_buffer_same_bytes, 0, N_CONFIGS);
    tcase_add_loop_test(tc, clone_is_bitwise, 0, N_CONFIGS);
    tcase_add_test(tc, adam_step_count_limit);
    tcase_add_test(tc, adam_step_count_saturates);
    tcase_add_test(tc, save_buffer_refuses_nonfinite);
    suite_add_tcase(s, tc);

    tc = tcase_create("damaged files");
    tcase_set_timeout(tc, 300); /* every bit of several files, under valgrind */
    tcase_add_test(tc, every_truncation);
    tcase_add_test(tc, every_bit_flip);
    tcase_add_test(tc, newer_version_refused);
    tcase_add_test(tc, forged_fields);
    tcase_add_test(tc, forged_huge_sizes);
    tcase_add_test(tc, forged_hyper_parameters_rounded_to_float);
    tcase_add_test(tc, unused_fields_only_positive_zero);
    tcase_add_test(tc, bad_arguments);
    suite_add_tcase(s, tc);

    tc = tcase_create("failures");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, load_out_of_memory);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    n_corpus = argc - 1;
    corpus = argv + 1;
    return test_run_suite(codec_suite());
}
