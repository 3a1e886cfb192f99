/* cli_onnx.c - ONNX models in the `mlp` command: `mlp import`, `mlp
 * export`, and .onnx files wherever a model file is read or written.
 * They need libmlp_onnx (built when protobuf-c is found); without it the
 * command says that ONNX support was not built. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>

#include "cli.h"
#ifdef MLP_CLI_ONNX
#include "mlp_onnx.h"
#endif

int cli_is_onnx(const char *path)
{
    size_t n = strlen(path);
    return n >= 5 && strcmp(path + n - 5, ".onnx") == 0;
}

#ifdef MLP_CLI_ONNX
/* With --float, through libmlp's float family: each value rounded to
 * float32, the network then widened exactly. */
static mlp_status onnx_import(mlp_t **net, const char *path, mlp_loss loss,
                              char *why, size_t why_size)
{
    if (!cli_float)
        return mlp_onnx_import(net, path, loss, why, why_size);
    mlpf_t *f = NULL;
    mlp_status st = mlpf_onnx_import(&f, path, loss, why, why_size);
    if (st == MLP_OK) {
        *net = cli_to_double(f);
        mlpf_free(f);
    }
    return st;
}

/* Imports path with --loss, or by default cross-entropy for a softmax or
 * sigmoid output (the classifiers of this command) and MSE otherwise. */
static mlp_t *import_onnx(const char *path, const char *loss)
{
    char why[256];
    mlp_t *net = NULL;
    mlp_status st;
    if (loss) {
        int k = lookup("--loss", loss, loss_names, COUNT(loss_names));
        st = onnx_import(&net, path, (mlp_loss)k, why, sizeof why);
    } else {
        st = onnx_import(&net, path, MLP_CROSS_ENTROPY, why, sizeof why);
        if (st == MLP_ERR_ARG)
            st = onnx_import(&net, path, MLP_MSE, why, sizeof why);
    }
    /* A refused graph is a well-formed ONNX file: mlp_strerror's text
     * for MLP_ERR_FORMAT speaks of libmlp's own model files. */
    if (st != MLP_OK)
        die(EXIT_DATA, "%s: %s%s%s", path,
            st == MLP_ERR_FORMAT ? "cannot import" : mlp_strerror(st),
            why[0] ? ": " : "", why);
    return net;
}
#else
_Noreturn static void not_built(const char *path)
{
    die(EXIT_DATA, "%s: ONNX support was not built (libmlp_onnx needs "
        "protobuf-c: apt-get install libprotobuf-c-dev protobuf-c-compiler, "
        "then rebuild)", path);
}
#endif

mlp_t *cli_load_model(const char *path, const char *loss)
{
    if (cli_is_onnx(path)) {
#ifdef MLP_CLI_ONNX
        return import_onnx(path, loss);
#else
        (void)loss;
        not_built(path);
#endif
    }
    mlp_t *net = NULL;
    mlp_status st = mlp_load(&net, path);
    if (st != MLP_OK)
        die(EXIT_DATA, "%s: %s", path, mlp_strerror(st));
    return net;
}

void cli_check_model_path(const char *path)
{
#ifndef MLP_CLI_ONNX
    if (cli_is_onnx(path))
        not_built(path);
#else
    (void)path;
#endif
}

mlp_status cli_save_model(const mlp_t *net, const char *path)
{
    if (!cli_is_onnx(path))
        return mlp_save(net, path);
#ifdef MLP_CLI_ONNX
    return mlp_onnx_export(net, path);
#else
    not_built(path);
#endif
}

#ifdef MLP_CLI_ONNX
static void describe(const mlp_t *net, const char *path)
{
    size_t L = mlp_n_layers(net);
    printf("%s: %zu layer%s,", path, L, L == 1 ? "" : "s");
    for (size_t l = 0; l <= L; l++)
        printf(" %zu%s", mlp_layer_size(net, l), l < L ? " ->" : "");
    printf(" (%s output, %s loss)\n",
           act_names[mlp_layer_activation(net, L)], loss_names[mlp_loss_kind(net)]);
}
#endif

static void two_files(const struct config *c, const char *synopsis)
{
    if (c->n_files != 2)
        die(EXIT_USAGE, "expects two files: %s", synopsis);
}

/* mlp import MODEL.onnx MODEL [--loss NAME] [--float] */
int cmd_import(const struct config *c)
{
    two_files(c, "mlp import MODEL.onnx MODEL.mlp");
    if (cli_is_onnx(c->files[1]))
        check_writable(NULL, c->files[1]);
    else
        check_replaceable(NULL, c->files[1]);
#ifdef MLP_CLI_ONNX
    mlp_t *net = import_onnx(c->files[0], c->loss);
    if (!c->quiet)
        describe(net, c->files[0]);
    mlp_status st = c->single && !cli_is_onnx(c->files[1])
                        ? cli_save_float(net, c->files[1])
                        : cli_save_model(net, c->files[1]);
    mlp_free(net);
    if (st != MLP_OK)
        die(EXIT_DATA, "%s: %s", c->files[1], mlp_strerror(st));
    if (!c->quiet)
        printf("model written to %s\n", c->files[1]);
    return 0;
#else
    not_built(c->files[0]);
#endif
}

/* mlp export MODEL MODEL.onnx [--float] */
int cmd_export(const struct config *c)
{
    two_files(c, "mlp export MODEL.mlp MODEL.onnx");
    check_writable(NULL, c->files[1]);
#ifdef MLP_CLI_ONNX
    mlp_t *net = cli_load_model(c->files[0], NULL);
    if (!c->quiet)
        describe(net, c->files[0]);
    mlp_status st;
    if (c->single) {
        mlpf_t *f = cli_to_float(net);
        st = mlpf_onnx_export(f, c->files[1]);
        mlpf_free(f);
    } else {
        st = mlp_onnx_export(net, c->files[1]);
    }
    mlp_free(net);
    if (st != MLP_OK)
        die(EXIT_DATA, "%s: %s", c->files[1], mlp_strerror(st));
    if (!c->quiet)
        printf("ONNX model written to %s\n", c->files[1]);
    return 0;
#else
    not_built(c->files[1]);
#endif
}
