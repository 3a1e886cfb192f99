/* fuzz_load.c - libFuzzer target for mlp_load_buffer.
 *
 * Each input is loaded twice: as it is, and with its last four bytes
 * replaced by the correct CRC-32C of the rest. The second form gets past
 * the checksum, so the fuzzer explores the field checks behind it, as a
 * deliberately forged file would. A network that loads must be usable:
 * finite parameters, and a predict that returns a status, not a crash.
 * Each form is also loaded by the float family (mlpf_load_buffer), which
 * reads both element types: what it loads the double family loads too,
 * with every parameter of the float network the double one's rounded to
 * nearest (a float file's values widen exactly, so then they are equal). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "crc32c.h"

#define REQUIRE(cond) do { if (!(cond)) __builtin_trap(); } while (0)

/* Whether data (a file that loaded, so longer than its fixed fields) is
 * of the current format version with elements of type elem (0 f64, 1
 * f32): docs/format.md gives every network one encoding, so such a file
 * must save back to its own bytes. */
static int current_file(const uint8_t *data, uint8_t elem)
{
    static const uint8_t head[8] = { 2, 0, 0, 0, 0, 0, 0, 0 };
    uint8_t want[8];
    memcpy(want, head, sizeof want);
    want[4] = elem;
    return memcmp(data + 8, want, sizeof want) == 0;
}

static void saves_back(const mlp_t *net, const uint8_t *data, size_t size)
{
    if (!current_file(data, 0))
        return;
    uint8_t *again = malloc(size);
    REQUIRE(mlp_saved_size(net) == size);
    if (again) {
        REQUIRE(mlp_save_buffer(net, again, size) == MLP_OK);
        REQUIRE(memcmp(again, data, size) == 0);
    }
    free(again);
}

static void saves_back_float(const mlpf_t *net, const uint8_t *data,
                             size_t size)
{
    if (!current_file(data, 1))
        return;
    uint8_t *again = malloc(size);
    REQUIRE(mlpf_saved_size(net) == size);
    if (again) {
        REQUIRE(mlpf_save_buffer(net, again, size) == MLP_OK);
        REQUIRE(memcmp(again, data, size) == 0);
    }
    free(again);
}

static void load(const uint8_t *data, size_t size)
{
    mlp_t *net = (mlp_t *)&net; /* must be overwritten with NULL on failure */
    mlp_status s = mlp_load_buffer(&net, data, size);
    if (s != MLP_OK) {
        REQUIRE(s == MLP_ERR_FORMAT || s == MLP_ERR_NOMEM);
        REQUIRE(net == NULL);
        return;
    }
    size_t n = mlp_n_params(net);
    const double *p = mlp_params(net);
    for (size_t i = 0; i < n; i++)
        REQUIRE(isfinite(p[i]));
    saves_back(net, data, size);
    size_t n_in = mlp_layer_size(net, 0);
    size_t n_out = mlp_layer_size(net, mlp_n_layers(net));
    /* Only predict on small networks: a forged file may describe a large
     * one legitimately, and the fuzzer should not spend its time there. */
    if (n_in <= 4096 && n_out <= 4096 && n <= (1u << 20)) {
        double *X = calloc(n_in, sizeof *X), *Y = calloc(n_out, sizeof *Y);
        if (X && Y) {
            s = mlp_predict(net, 1, X, Y);
            REQUIRE(s == MLP_OK || s == MLP_ERR_NONFINITE);
            for (size_t i = 0; s == MLP_OK && i < n_out; i++)
                REQUIRE(isfinite(Y[i]));
        }
        free(X);
        free(Y);
    }
    mlp_free(net);
}

/* The float family on the same bytes, against the double family. */
static void load_float(const uint8_t *data, size_t size)
{
    mlpf_t *f = (mlpf_t *)&f; /* must be overwritten with NULL on failure */
    mlp_status s = mlpf_load_buffer(&f, data, size);
    if (s != MLP_OK) {
        REQUIRE(s == MLP_ERR_FORMAT || s == MLP_ERR_NOMEM);
        REQUIRE(f == NULL);
        return;
    }
    mlp_t *d = NULL;
    s = mlp_load_buffer(&d, data, size);
    REQUIRE(s == MLP_OK || s == MLP_ERR_NOMEM);
    size_t n = mlpf_n_params(f);
    const float *pf = mlpf_params(f);
    for (size_t i = 0; i < n; i++)
        REQUIRE(isfinite(pf[i]));
    saves_back_float(f, data, size);
    if (d) {
        REQUIRE(mlp_n_params(d) == n);
        for (size_t i = 0; i < n; i++)
            REQUIRE(pf[i] == (float)mlp_params(d)[i]);
    }
    size_t n_in = mlpf_layer_size(f, 0);
    size_t n_out = mlpf_layer_size(f, mlpf_n_layers(f));
    if (n_in <= 4096 && n_out <= 4096 && n <= (1u << 20)) {
        float *X = calloc(n_in, sizeof *X), *Y = calloc(n_out, sizeof *Y);
        if (X && Y) {
            s = mlpf_predict(f, 1, X, Y);
            REQUIRE(s == MLP_OK || s == MLP_ERR_NONFINITE);
            for (size_t i = 0; s == MLP_OK && i < n_out; i++)
                REQUIRE(isfinite(Y[i]));
        }
        free(X);
        free(Y);
    }
    mlp_free(d);
    mlpf_free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    load(data, size);
    load_float(data, size);
    if (size >= 4) {
        /* An exact-size copy, so ASan sees any read past the end. */
        uint8_t *forged = malloc(size);
        if (!forged)
            return 0;
        memcpy(forged, data, size);
        uint32_t crc = mlp__crc32c(0, forged, size - 4);
        for (int i = 0; i < 4; i++)
            forged[size - 4 + i] = (uint8_t)(crc >> (8 * i));
        load(forged, size);
        load_float(forged, size);
        free(forged);
    }
    return 0;
}
