/* fuzz_onnx.c - libFuzzer target for mlp_onnx_import_buffer.
 *
 * Each input is imported as an ONNX model (with the loss that pairs with
 * its output, so that a valid graph gets past the loss check). A failure
 * must give a documented status, a NULL network and a one-line reason
 * that fits its buffer. A network that imports must be usable (finite
 * parameters, a predict that returns a status) and must survive an
 * export and a second import with bitwise the same parameters. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "mlp_onnx.h"
#include "onnx_internal.h"

#define REQUIRE(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static void check_reason(const char *why, size_t size)
{
    size_t len = 0;
    while (len < size && why[len])
        len++;
    REQUIRE(len < size);
    REQUIRE(len > 0);
    REQUIRE(memchr(why, '\n', len) == NULL);
}

/* Export to memory and import again: the same parameters, bit for bit. */
static void round_trip(mlp_t *net)
{
    struct mlp__onnx_net d;
    unsigned char *data = NULL;
    size_t size = 0;
    if (mlp__onnx_describe(net, &d) != MLP_OK)
        return;
    mlp_status s = mlp__onnx_write(&d, MLP__ONNX_DOUBLE, &data, &size);
    mlp__onnx_net_clear(&d);
    if (s != MLP_OK)
        return;
    mlp_t *back = NULL;
    char why[160];
    s = mlp_onnx_import_buffer(&back, data, size, (mlp_loss)mlp_loss_kind(net),
                               why, sizeof why);
    REQUIRE(s == MLP_OK || s == MLP_ERR_NOMEM);
    if (s == MLP_OK) {
        REQUIRE(mlp_n_params(back) == mlp_n_params(net));
        REQUIRE(memcmp(mlp_params(back), mlp_params(net),
                       mlp_n_params(net) * sizeof(double)) == 0);
    }
    mlp_free(back);
    free(data);
}

static void use(mlp_t *net)
{
    size_t n = mlp_n_params(net);
    const double *p = mlp_params(net);
    for (size_t i = 0; i < n; i++)
        REQUIRE(isfinite(p[i]));
    size_t n_in = mlp_layer_size(net, 0);
    size_t n_out = mlp_layer_size(net, mlp_n_layers(net));
    if (n_in <= 4096 && n_out <= 4096 && n <= (1u << 20)) {
        double *X = calloc(n_in, sizeof *X), *Y = calloc(n_out, sizeof *Y);
        if (X && Y) {
            mlp_status s = mlp_predict(net, 1, X, Y);
            REQUIRE(s == MLP_OK || s == MLP_ERR_NONFINITE);
        }
        free(X);
        free(Y);
        round_trip(net);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const mlp_loss losses[] = {MLP_MSE, MLP_CROSS_ENTROPY};
    for (size_t k = 0; k < 2; k++) {
        mlp_t *net = (mlp_t *)&net; /* must become NULL on failure */
        char why[96];
        mlp_status s = mlp_onnx_import_buffer(&net, data, size, losses[k], why,
                                              sizeof why);
        if (s == MLP_OK) {
            check_reason("-", 2);
            REQUIRE(why[0] == '\0');
            use(net);
            mlp_free(net);
            return 0;
        }
        REQUIRE(s == MLP_ERR_FORMAT || s == MLP_ERR_NOMEM || s == MLP_ERR_ARG);
        REQUIRE(net == NULL);
        check_reason(why, sizeof why);
        if (s != MLP_ERR_ARG)
            return 0;
    }
    return 0;
}
