/* test_onnx.c - libmlp_onnx against PyTorch, onnx.checker and numpy.
 *
 * Usage: test_onnx PYTHON onnx_cases.py
 * Before the suite runs, `PYTHON onnx_cases.py make DIR` writes models
 * exported by torch.onnx.export (PyTorch's own outputs beside them) and
 * models that must be refused; the tests import them. The export tests
 * write models into DIR and have `onnx_cases.py check DIR` judge them with
 * onnx.checker and a numpy evaluator, independent of this library. The
 * mlpf_onnx_* twins are tested on the same models, with the float error
 * bounds onnx_cases.py derives for each (NAME.bf). */
#define _XOPEN_SOURCE 700
#include <check.h>
#include <errno.h>
#include <float.h>
#include <ftw.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mlp.h"
#include "mlp_onnx.h"

static const char *python, *script;
static char dir[] = "/tmp/mlp-onnx-test-XXXXXX";

/* Runs argv (argv[0] a path) and returns its exit status, -1 if killed. */
static int run(const char *const argv[])
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *path_of(const char *name, const char *ext)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s%s", dir, name, ext);
    return path;
}

/* The whole file; *size its length. Fails the test if it cannot be read. */
static unsigned char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *data = malloc(n > 0 ? (size_t)n : 1);
    ck_assert(data != NULL);
    ck_assert(fread(data, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return data;
}

/* A file of little-endian doubles (this test runs on little-endian hosts
 * only for these helper files; the library itself is endian-neutral). */
static double *doubles(const char *path, size_t *n)
{
    size_t size;
    double *v = (double *)slurp(path, &size);
    *n = size / sizeof(double);
    return v;
}

static void write_doubles(const char *path, const double *v, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert(f != NULL);
    ck_assert(fwrite(v, sizeof *v, n, f) == n);
    ck_assert(fclose(f) == 0);
}

static mlp_loss loss_of(const char *s)
{
    return strcmp(s, "ce") == 0 ? MLP_CROSS_ENTROPY : MLP_MSE;
}

/* |got - want| <= tol * max(|want|, 1), entry by entry: relative for
 * outputs of magnitude 1 or more, absolute below. */
static void assert_close(const char *what, const double *got, const double *want,
                         size_t n, double tol)
{
    for (size_t i = 0; i < n; i++) {
        double bound = tol * fmax(fabs(want[i]), 1.0);
        ck_assert_msg(fabs(got[i] - want[i]) <= bound,
                      "%s[%zu]: %.17g, expected %.17g (tolerance %g)", what, i,
                      got[i], want[i], tol);
    }
}

/* Predictions of net on NAME.x; *batch and the array are returned. */
static double *predict_file(mlp_t *net, const char *name, size_t *batch)
{
    size_t n_x, n_in = mlp_layer_size(net, 0), n_out = mlp_layer_size(net, mlp_n_layers(net));
    double *X = doubles(path_of(name, ".x"), &n_x);
    ck_assert_msg(n_x % n_in == 0, "%s: %zu inputs for width %zu", name, n_x, n_in);
    *batch = n_x / n_in;
    double *Y = malloc(*batch * n_out * sizeof *Y);
    ck_assert(Y != NULL);
    ck_assert_int_eq(mlp_predict(net, *batch, X, Y), MLP_OK);
    free(X);
    return Y;
}

/* One "ok" line of cases.txt. */
static void check_ok(const char *name, mlp_loss loss, double tol)
{
    char why[256];
    mlp_t *net = NULL;
    mlp_status s = mlp_onnx_import(&net, path_of(name, ".onnx"), loss, why, sizeof why);
    ck_assert_msg(s == MLP_OK, "%s: status %d: %s", name, (int)s, why);
    ck_assert_str_eq(why, "");
    size_t batch, n_y, n_y64, n_out = mlp_layer_size(net, mlp_n_layers(net));
    double *Y = predict_file(net, name, &batch);
    double *want = doubles(path_of(name, ".y"), &n_y);
    double *want64 = doubles(path_of(name, ".y64"), &n_y64);
    ck_assert_msg(n_y == batch * n_out && n_y64 == n_y, "%s: output sizes", name);
    assert_close(name, Y, want, n_y, tol);
    assert_close(name, Y, want64, n_y, 1e-12);
    free(Y);
    free(want);
    free(want64);
    mlp_free(net);
}

static void check_refused(const char *name, mlp_loss loss, const char *status,
                          const char *text)
{
    char why[256];
    mlp_t *net = (mlp_t *)&net;
    mlp_status want = strcmp(status, "ARG") == 0 ? MLP_ERR_ARG : MLP_ERR_FORMAT;
    mlp_status s = mlp_onnx_import(&net, path_of(name, ".onnx"), loss, why, sizeof why);
    ck_assert_msg(s == want, "%s: status %d, expected %d (%s)", name, (int)s,
                  (int)want, why);
    ck_assert(net == NULL);
    ck_assert_msg(strstr(why, text) != NULL, "%s: reason '%s' lacks '%s'", name,
                  why, text);
    ck_assert_msg(strchr(why, '\n') == NULL, "%s: reason spans lines", name);
    printf("refused %-28s %s\n", name, why);
}

/* Calls f on every line of cases.txt: kind, name, loss, rest of the line. */
static size_t each_case(void (*f)(char *kind, char *name, char *loss, char *rest))
{
    FILE *cases = fopen(path_of("cases", ".txt"), "r");
    ck_assert(cases != NULL);
    char line[1024];
    size_t n = 0;
    while (fgets(line, sizeof line, cases)) {
        line[strcspn(line, "\n")] = '\0';
        char *kind = strtok(line, " "), *name = strtok(NULL, " ");
        char *loss = strtok(NULL, " "), *rest = strtok(NULL, "");
        ck_assert(kind && name && loss && rest);
        f(kind, name, loss, rest);
        n++;
    }
    fclose(cases);
    return n;
}

static size_t n_ok, n_refused;

static void matrix_case(char *kind, char *name, char *loss, char *rest)
{
    if (strcmp(kind, "ok") == 0) {
        check_ok(name, loss_of(loss), strtod(rest, NULL));
        n_ok++;
    } else {
        char *status = strtok(rest, " "), *text = strtok(NULL, "");
        check_refused(name, loss_of(loss), status, text);
        n_refused++;
    }
}

START_TEST(test_import_matrix)
{
    size_t n = each_case(matrix_case);
    printf("%zu cases: %zu imported and matched PyTorch, %zu refused\n", n, n_ok,
           n_refused);
    ck_assert(n_ok >= 96 && n_refused >= 30);
}
END_TEST

/* Every prefix of a model is refused with MLP_ERR_FORMAT or imports as a
 * network that predicts finite values. */
static size_t n_prefixes, n_loaded;

static void truncate_case(char *kind, char *name, char *loss, char *rest)
{
    (void)rest;
    if (strcmp(kind, "ok") != 0)
        return;
    size_t size;
    unsigned char *data = slurp(path_of(name, ".onnx"), &size);
    for (size_t n = 0; n < size; n++) {
        /* An exact-size copy, so that a sanitizer sees a read past it. */
        unsigned char *prefix = malloc(n ? n : 1);
        ck_assert(prefix != NULL);
        memcpy(prefix, data, n);
        mlp_t *net = NULL;
        char why[128];
        mlp_status s = mlp_onnx_import_buffer(&net, prefix, n, loss_of(loss), why,
                                              sizeof why);
        ck_assert_msg(s == MLP_OK || s == MLP_ERR_FORMAT,
                      "%s cut at %zu: status %d", name, n, (int)s);
        if (s == MLP_OK) {
            size_t n_in = mlp_layer_size(net, 0);
            size_t n_out = mlp_layer_size(net, mlp_n_layers(net));
            double *X = calloc(n_in, sizeof *X), *Y = calloc(n_out, sizeof *Y);
            ck_assert(X && Y);
            ck_assert_int_eq(mlp_predict(net, 1, X, Y), MLP_OK);
            for (size_t i = 0; i < n_out; i++)
                ck_assert(isfinite(Y[i]));
            free(X);
            free(Y);
            n_loaded++;
        } else {
            ck_assert(net == NULL && why[0] != '\0');
        }
        mlp_free(net);
        free(prefix);
        n_prefixes++;
    }
    free(data);
}

START_TEST(test_truncations)
{
    each_case(truncate_case);
    printf("%zu truncated models: %zu refused, %zu loaded a valid network\n",
           n_prefixes, n_prefixes - n_loaded, n_loaded);
    ck_assert(n_prefixes > 10000);
}
END_TEST

/* ---- export ---- */

static uint64_t rng_state = 12345;

static double uniform(double lo, double hi)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    z ^= z >> 31;
    return lo + (hi - lo) * (double)(z >> 11) * 0x1.0p-53;
}

static FILE *exported_list;

/* Exports net as NAME.onnx with inputs NAME.x and mlp_predict's outputs
 * NAME.y for the Python check; imports it back and compares bitwise. */
static void export_and_reimport(mlp_t *net, const char *name)
{
    size_t L = mlp_n_layers(net), n_in = mlp_layer_size(net, 0);
    size_t n_out = mlp_layer_size(net, L), batch = 9;
    ck_assert_int_eq(mlp_onnx_export(net, path_of(name, ".onnx")), MLP_OK);
    double *X = malloc(batch * n_in * sizeof *X), *Y = malloc(batch * n_out * sizeof *Y);
    ck_assert(X && Y);
    for (size_t i = 0; i < batch * n_in; i++)
        X[i] = uniform(-3, 3);
    ck_assert_int_eq(mlp_predict(net, batch, X, Y), MLP_OK);
    write_doubles(path_of(name, ".x"), X, batch * n_in);
    write_doubles(path_of(name, ".y"), Y, batch * n_out);
    fprintf(exported_list, "%s\n", name);

    char why[256];
    mlp_t *back = NULL;
    mlp_status s = mlp_onnx_import(&back, path_of(name, ".onnx"),
                                   (mlp_loss)mlp_loss_kind(net), why, sizeof why);
    ck_assert_msg(s == MLP_OK, "%s: %s", name, why);
    ck_assert_uint_eq(mlp_n_layers(back), L);
    for (size_t l = 0; l <= L; l++)
        ck_assert_uint_eq(mlp_layer_size(back, l), mlp_layer_size(net, l));
    for (size_t l = 1; l <= L; l++)
        ck_assert_int_eq(mlp_layer_activation(back, l), mlp_layer_activation(net, l));
    ck_assert_uint_eq(mlp_n_params(back), mlp_n_params(net));
    ck_assert_msg(memcmp(mlp_params(back), mlp_params(net),
                         mlp_n_params(net) * sizeof(double)) == 0,
                  "%s: parameters differ after export and import", name);
    double *scaling[2][4];
    for (int k = 0; k < 2; k++) {
        mlp_t *m = k ? back : net;
        for (int j = 0; j < 4; j++)
            scaling[k][j] = malloc((j < 2 ? n_in : n_out) * sizeof(double));
        ck_assert_int_eq(mlp_get_scaling(m, scaling[k][0], scaling[k][1],
                                         scaling[k][2], scaling[k][3]), MLP_OK);
    }
    for (int j = 0; j < 4; j++) {
        ck_assert_msg(memcmp(scaling[0][j], scaling[1][j],
                             (j < 2 ? n_in : n_out) * sizeof(double)) == 0,
                      "%s: scaling %d differs after export and import", name, j);
        free(scaling[0][j]);
        free(scaling[1][j]);
    }
    double *Y2 = malloc(batch * n_out * sizeof *Y2);
    ck_assert(Y2 != NULL);
    ck_assert_int_eq(mlp_predict(back, batch, X, Y2), MLP_OK);
    ck_assert_msg(memcmp(Y, Y2, batch * n_out * sizeof *Y) == 0,
                  "%s: predictions differ after export and import", name);
    free(X);
    free(Y);
    free(Y2);
    mlp_free(back);
}

static mlp_t *random_net(size_t L, const mlp_activation *acts, mlp_loss loss,
                         uint64_t seed)
{
    size_t sizes[8];
    for (size_t l = 0; l <= L; l++)
        sizes[l] = 1 + (size_t)uniform(0, 9);
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, L, sizes, acts, loss, seed), MLP_OK);
    /* Non-zero biases, so that they are exported and compared too. */
    for (size_t l = 1; l <= L; l++)
        for (size_t i = 0; i < sizes[l]; i++)
            mlp_biases(net, l)[i] = uniform(-1, 1);
    return net;
}

static void run_check(void)
{
    ck_assert(fclose(exported_list) == 0);
    exported_list = NULL;
    const char *argv[] = {python, script, "check", dir, NULL};
    ck_assert_msg(run(argv) == 0, "onnx_cases.py check failed (see above)");
}

/* The layers of export case k (1 to 4 layers, every activation in turn,
 * every output activation) into acts[0..*L-1], and its loss:
 * cross-entropy for softmax and sigmoid outputs, MSE otherwise. */
static mlp_loss export_case(size_t k, mlp_activation acts[4], size_t *L)
{
    static const mlp_activation outs[] = {MLP_SIGMOID, MLP_TANH, MLP_RELU,
                                          MLP_IDENTITY, MLP_SOFTMAX};
    *L = 1 + k % 4;
    for (size_t l = 0; l + 1 < *L; l++)
        acts[l] = outs[(k + l) % 4];
    acts[*L - 1] = outs[k % 5];
    return acts[*L - 1] == MLP_SOFTMAX || acts[*L - 1] == MLP_SIGMOID
               ? MLP_CROSS_ENTROPY : MLP_MSE;
}

START_TEST(test_export)
{
    exported_list = fopen(path_of("exported", ".txt"), "w");
    ck_assert(exported_list != NULL);
    char name[64];
    for (size_t k = 0; k < 20; k++) {
        mlp_activation acts[4];
        size_t L;
        mlp_loss loss = export_case(k, acts, &L);
        mlp_t *net = random_net(L, acts, loss, k);
        /* Scaling: none, input only, output only, both. */
        size_t n0 = mlp_layer_size(net, 0), nL = mlp_layer_size(net, L);
        double in_mean[16], in_std[16], out_mean[16], out_std[16];
        for (size_t i = 0; i < 16; i++) {
            in_mean[i] = uniform(-5, 5), in_std[i] = uniform(0.1, 10);
            out_mean[i] = uniform(-5, 5), out_std[i] = uniform(0.1, 10);
        }
        ck_assert(n0 <= 16 && nL <= 16);
        ck_assert_int_eq(mlp_set_scaling(net, k % 4 & 1 ? in_mean : NULL,
                                         k % 4 & 1 ? in_std : NULL,
                                         k % 4 & 2 ? out_mean : NULL,
                                         k % 4 & 2 ? out_std : NULL), MLP_OK);
        snprintf(name, sizeof name, "export_%02zu", k);
        export_and_reimport(net, name);
        mlp_free(net);
    }
    run_check();
}
END_TEST

/* A PyTorch model imported, exported and imported again: the same
 * parameters, and the exported model evaluates to PyTorch's outputs. */
static void reexport_case(char *kind, char *name, char *loss, char *rest)
{
    (void)rest;
    if (strcmp(kind, "ok") != 0 || strstr(name, "_f64_") == NULL)
        return;
    char why[256], out[128];
    mlp_t *net = NULL;
    mlp_status s = mlp_onnx_import(&net, path_of(name, ".onnx"), loss_of(loss), why,
                                   sizeof why);
    ck_assert_msg(s == MLP_OK, "%s: %s", name, why);
    snprintf(out, sizeof out, "re_%s", name);
    export_and_reimport(net, out);
    mlp_free(net);
}

START_TEST(test_reexport_torch)
{
    exported_list = fopen(path_of("exported", ".txt"), "w");
    ck_assert(exported_list != NULL);
    each_case(reexport_case);
    run_check();
}
END_TEST

/* ---- the contract's error cases ---- */

static char simple[128];

static void find_simple(char *kind, char *name, char *loss, char *rest)
{
    (void)kind, (void)loss, (void)rest;
    if (!simple[0] && strncmp(name, "single_bias_f64_dyn_2d", 22) == 0)
        snprintf(simple, sizeof simple, "%s", name);
}

static mlp_status export_either(const mlp_t *net, const mlpf_t *netf,
                                const char *path)
{
    return net ? mlp_onnx_export(net, path) : mlpf_onnx_export(netf, path);
}

/* Only a regular file is written, as by mlp_save: /dev/null and a FIFO
 * are refused with MLP_ERR_IO and left as they were. (Before, the FIFO
 * made the call wait for a reader, and a write that failed removed the
 * "partial file" even when it was a device node such as /dev/full.) */
static void assert_special_targets_refused(const mlp_t *net, const mlpf_t *netf)
{
    struct stat st;
    ck_assert_int_eq(export_either(net, netf, "/dev/null"), MLP_ERR_IO);
    ck_assert(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
    char fifo[4096];
    snprintf(fifo, sizeof fifo, "%s", path_of("export-fifo", ""));
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    ck_assert_int_eq(export_either(net, netf, fifo), MLP_ERR_IO);
    ck_assert(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));
    ck_assert_int_eq(remove(fifo), 0);
}

/* Whether the test directory holds a temporary file of an export. */
static bool export_leftovers(void)
{
    DIR *d = opendir(dir);
    ck_assert(d != NULL);
    bool found = false;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        found = found || strncmp(e->d_name, ".mlp-onnx-", 10) == 0;
    closedir(d);
    return found;
}

/* An export that cannot be completed (here the file size limit, EFBIG,
 * standing for a full disk) leaves the model already at the path whole,
 * and nothing else behind; one that succeeds keeps the file's mode and
 * writes through a symbolic link to the file it points to. */
START_TEST(test_export_replaces_atomically)
{
    char model[4096], link_path[4096];
    snprintf(model, sizeof model, "%s", path_of("kept", ".onnx"));
    snprintf(link_path, sizeof link_path, "%s", path_of("kept-link", ".onnx"));
    const size_t small_sizes[] = { 2, 3, 1 }, big_sizes[] = { 200, 200, 1 };
    mlp_t *small = NULL, *big = NULL;
    ck_assert_int_eq(mlp_create(&small, 2, small_sizes, NULL, MLP_MSE, 1), MLP_OK);
    ck_assert_int_eq(mlp_create(&big, 2, big_sizes, NULL, MLP_MSE, 1), MLP_OK);
    ck_assert_int_eq(mlp_onnx_export(small, model), MLP_OK);
    ck_assert_int_eq(chmod(model, 0600), 0);
    size_t old_size, size;
    unsigned char *old = slurp(model, &old_size);

    struct rlimit saved, limit;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &saved), 0);
    limit = saved;
    limit.rlim_cur = 65536; /* the big model takes 320 KB */
    void (*handler)(int) = signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &limit), 0);
    mlp_status s = mlp_onnx_export(big, model);
    mlpf_t *bigf = NULL;
    ck_assert_int_eq(mlpf_create(&bigf, 2, big_sizes, NULL, MLP_MSE, 1), MLP_OK);
    mlp_status sf = mlpf_onnx_export(bigf, model);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &saved), 0);
    signal(SIGXFSZ, handler);
    ck_assert_int_eq(s, MLP_ERR_IO);
    ck_assert_int_eq(sf, MLP_ERR_IO);
    unsigned char *now = slurp(model, &size);
    ck_assert_msg(size == old_size && memcmp(now, old, size) == 0,
                  "a failed export changed the file already there");
    ck_assert(!export_leftovers());

    ck_assert_int_eq(symlink(model, link_path), 0);
    ck_assert_int_eq(mlp_onnx_export(big, link_path), MLP_OK);
    struct stat st;
    ck_assert(lstat(link_path, &st) == 0 && S_ISLNK(st.st_mode));
    ck_assert(stat(model, &st) == 0 && (st.st_mode & 07777) == 0600);
    ck_assert_uint_gt((size_t)st.st_size, 300000);
    ck_assert(!export_leftovers());
    ck_assert_int_eq(remove(link_path), 0);
    ck_assert_int_eq(remove(model), 0);
    free(old);
    free(now);
    mlp_free(small);
    mlp_free(big);
    mlpf_free(bigf);
}
END_TEST

/* A network with a NaN or infinite weight or bias (only writing through
 * mlp_weights or mlp_biases makes one) is not exported, as mlp_save does
 * not save it: the importer would refuse the model. MLP_ERR_NONFINITE,
 * with the file already at the path untouched and none created. */
START_TEST(test_export_nonfinite)
{
    char kept[4096], fresh[4096];
    snprintf(kept, sizeof kept, "%s", path_of("nonfinite-kept", ".onnx"));
    snprintf(fresh, sizeof fresh, "%s", path_of("nonfinite-new", ".onnx"));
    const size_t sizes[] = { 3, 4, 2 };
    const double bad[] = { NAN, INFINITY, -INFINITY };
    for (size_t k = 0; k < 6; k++) {
        mlp_t *net = NULL;
        mlpf_t *netf = NULL;
        ck_assert_int_eq(mlp_create(&net, 2, sizes, NULL, MLP_MSE, 1), MLP_OK);
        ck_assert_int_eq(mlpf_create(&netf, 2, sizes, NULL, MLP_MSE, 1), MLP_OK);
        ck_assert_int_eq(mlp_onnx_export(net, kept), MLP_OK);
        size_t old_size, size;
        unsigned char *old = slurp(kept, &old_size);
        /* a weight of layer 1, then a bias of layer 2 */
        double v = bad[k % 3];
        if (k < 3) {
            mlp_weights(net, 1)[5] = v;
            mlpf_weights(netf, 1)[5] = (float)v;
        } else {
            mlp_biases(net, 2)[1] = v;
            mlpf_biases(netf, 2)[1] = (float)v;
        }
        ck_assert_int_eq(mlp_save(net, fresh), MLP_ERR_NONFINITE);
        ck_assert_int_eq(mlp_onnx_export(net, kept), MLP_ERR_NONFINITE);
        ck_assert_int_eq(mlpf_onnx_export(netf, kept), MLP_ERR_NONFINITE);
        ck_assert_int_eq(mlp_onnx_export(net, fresh), MLP_ERR_NONFINITE);
        ck_assert_int_eq(mlpf_onnx_export(netf, fresh), MLP_ERR_NONFINITE);
        ck_assert_msg(access(fresh, F_OK) != 0, "a refused export created a file");
        unsigned char *now = slurp(kept, &size);
        ck_assert_msg(size == old_size && memcmp(now, old, size) == 0,
                      "a refused export changed the file already there");
        ck_assert(!export_leftovers());
        free(old);
        free(now);
        mlp_free(net);
        mlpf_free(netf);
    }
    ck_assert_int_eq(remove(kept), 0);
}
END_TEST

START_TEST(test_arguments)
{
    each_case(find_simple);
    ck_assert(simple[0]);
    char model[4096];
    snprintf(model, sizeof model, "%s", path_of(simple, ".onnx"));
    char why[64];
    mlp_t *net = (mlp_t *)&net;
    size_t size;
    unsigned char *data = slurp(model, &size);

    ck_assert_int_eq(mlp_onnx_import(NULL, model, MLP_MSE, why, sizeof why), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_onnx_import(&net, NULL, MLP_MSE, why, sizeof why), MLP_ERR_ARG);
    ck_assert(net == NULL && strstr(why, "path") != NULL);
    net = (mlp_t *)&net;
    ck_assert_int_eq(mlp_onnx_import_buffer(&net, NULL, 10, MLP_MSE, NULL, 0), MLP_ERR_ARG);
    ck_assert(net == NULL);
    ck_assert_int_eq(mlp_onnx_import(&net, path_of("no-such-file", ".onnx"), MLP_MSE,
                                     why, sizeof why), MLP_ERR_IO);
    ck_assert_int_eq(mlp_onnx_import_buffer(&net, data, size, (mlp_loss)7, why,
                                            sizeof why), MLP_ERR_ARG);
    ck_assert_str_eq(why, "unknown loss 7");
    /* An empty buffer is a ModelProto with nothing in it. */
    ck_assert_int_eq(mlp_onnx_import_buffer(&net, NULL, 0, MLP_MSE, why, sizeof why),
                     MLP_ERR_FORMAT);
    ck_assert(strstr(why, "opset") != NULL);

    /* The reason is cut to why_size bytes, NUL included; 0 writes nothing. */
    char small[8] = "xxxxxxx";
    ck_assert_int_eq(mlp_onnx_import_buffer(&net, data, size, (mlp_loss)7, small, 6),
                     MLP_ERR_ARG);
    ck_assert_str_eq(small, "unkno");
    ck_assert_int_eq(small[6], 'x');
    ck_assert_int_eq(mlp_onnx_import_buffer(&net, data, size, (mlp_loss)7, small, 0),
                     MLP_ERR_ARG);
    ck_assert_str_eq(small, "unkno");

    ck_assert_int_eq(mlp_onnx_import_buffer(&net, data, size, MLP_MSE, NULL, 0), MLP_OK);
    ck_assert_int_eq(mlp_onnx_export(NULL, model), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_onnx_export(net, NULL), MLP_ERR_ARG);
    ck_assert_int_eq(mlp_onnx_export(net, "/nonexistent-dir/model.onnx"), MLP_ERR_IO);
    assert_special_targets_refused(net, NULL);
    mlp_free(net);
    free(data);
}
END_TEST

/* A model needing far more memory to parse than its size (many empty
 * nodes) is refused by the parser's budget, not allocated. */
START_TEST(test_budget)
{
    /* graph (field 7) holding n empty NodeProtos (field 1, length 0):
     * 2 bytes each in the file, a pointer and a struct each in memory. */
    size_t n = 1 << 16, size = 2 * n + 8;
    unsigned char *data = malloc(size), *p = data;
    ck_assert(data != NULL);
    *p++ = 0x3a; /* field 7, length-delimited */
    size_t len = 2 * n;
    do {
        *p++ = (unsigned char)((len & 0x7f) | (len > 0x7f ? 0x80 : 0));
        len >>= 7;
    } while (len);
    for (size_t i = 0; i < n; i++) {
        *p++ = 0x0a;
        *p++ = 0x00;
    }
    char why[256];
    mlp_t *net = NULL;
    mlp_status s = mlp_onnx_import_buffer(&net, data, (size_t)(p - data), MLP_MSE,
                                          why, sizeof why);
    ck_assert_int_eq(s, MLP_ERR_FORMAT);
    ck_assert_msg(strstr(why, "more memory to parse") != NULL, "%s", why);
    free(data);
}
END_TEST

/* ---- the single-precision twins ---- */

/* The float twin of predict_file: NAME.x rounded to float, predicted by
 * mlpf_predict, widened back. */
static double *predictf_file(mlpf_t *net, const char *name, size_t *batch)
{
    size_t n_x, n_in = mlpf_layer_size(net, 0);
    size_t n_out = mlpf_layer_size(net, mlpf_n_layers(net));
    double *X = doubles(path_of(name, ".x"), &n_x);
    ck_assert_msg(n_x % n_in == 0, "%s: %zu inputs for width %zu", name, n_x, n_in);
    *batch = n_x / n_in;
    float *Xf = malloc(n_x * sizeof *Xf), *Yf = malloc(*batch * n_out * sizeof *Yf);
    double *Y = malloc(*batch * n_out * sizeof *Y);
    ck_assert(Xf && Yf && Y);
    for (size_t i = 0; i < n_x; i++)
        Xf[i] = (float)X[i];
    ck_assert_int_eq(mlpf_predict(net, *batch, Xf, Yf), MLP_OK);
    for (size_t i = 0; i < *batch * n_out; i++)
        Y[i] = Yf[i];
    free(X);
    free(Xf);
    free(Yf);
    return Y;
}

static double worst_f64, worst_f32;

/* |got - want| <= scale * bound entry by entry; returns the largest
 * |got - want| / bound. */
static double assert_within(const char *what, const double *got, const double *want,
                            const double *bound, size_t n, double scale)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs(got[i] - want[i]);
        ck_assert_msg(d <= scale * bound[i], "%s[%zu]: %.9g, expected %.9g "
                      "(bound %.3g)", what, i, got[i], want[i], scale * bound[i]);
        worst = fmax(worst, d / bound[i]);
    }
    return worst;
}

/* mlpf_onnx_import's parameters are those of mlp_onnx_import, rounded to
 * the nearest float (exactly them for a float32 model). */
static void assert_rounded_params(const char *name, mlpf_t *netf, mlp_t *net,
                                  bool exact)
{
    ck_assert_uint_eq(mlpf_n_params(netf), mlp_n_params(net));
    const float *pf = mlpf_params(netf);
    const double *p = mlp_params(net);
    for (size_t i = 0; i < mlp_n_params(net); i++) {
        ck_assert_msg(pf[i] == (float)p[i], "%s: parameter %zu", name, i);
        ck_assert_msg(!exact || (double)pf[i] == p[i], "%s: parameter %zu is "
                      "not the model's float", name, i);
    }
}

/* One "ok" case imported into an mlpf_t: within the float bound NAME.bf of
 * the exact evaluation (NAME.y64), and for a float32 model within twice
 * it of PyTorch's own float32 outputs (NAME.y), two float evaluations. */
static void check_ok_float(const char *name, mlp_loss loss)
{
    char why[256];
    mlpf_t *netf = NULL;
    mlp_t *net = NULL;
    mlp_status s = mlpf_onnx_import(&netf, path_of(name, ".onnx"), loss, why, sizeof why);
    ck_assert_msg(s == MLP_OK, "%s: status %d: %s", name, (int)s, why);
    ck_assert_str_eq(why, "");
    ck_assert_int_eq(mlp_onnx_import(&net, path_of(name, ".onnx"), loss, NULL, 0), MLP_OK);
    bool f32 = strstr(name, "_f32_") || strstr(name, "float32");
    assert_rounded_params(name, netf, net, f32);
    size_t batch, n_y, n_y64, n_b;
    double *Y = predictf_file(netf, name, &batch);
    double *want = doubles(path_of(name, ".y"), &n_y);
    double *want64 = doubles(path_of(name, ".y64"), &n_y64);
    double *bound = doubles(path_of(name, ".bf"), &n_b);
    ck_assert_msg(n_y == n_y64 && n_b == n_y &&
                  n_y == batch * mlpf_layer_size(netf, mlpf_n_layers(netf)),
                  "%s: output sizes", name);
    worst_f64 = fmax(worst_f64, assert_within(name, Y, want64, bound, n_y, 1));
    if (f32)
        worst_f32 = fmax(worst_f32, assert_within(name, Y, want, bound, n_y, 2));
    free(Y);
    free(want);
    free(want64);
    free(bound);
    mlp_free(net);
    mlpf_free(netf);
}

/* A refused case is refused by the float import too, for the same reason. */
static void check_refused_float(const char *name, mlp_loss loss)
{
    char why[256], whyf[256];
    mlp_t *net = NULL;
    mlpf_t *netf = (mlpf_t *)&netf;
    mlp_status s = mlp_onnx_import(&net, path_of(name, ".onnx"), loss, why, sizeof why);
    mlp_status sf = mlpf_onnx_import(&netf, path_of(name, ".onnx"), loss, whyf,
                                     sizeof whyf);
    ck_assert_msg(sf == s && netf == NULL, "%s: status %d, double import %d", name,
                  (int)sf, (int)s);
    ck_assert_str_eq(whyf, why);
}

static size_t n_ok_float, n_refused_float;

static void matrix_case_float(char *kind, char *name, char *loss, char *rest)
{
    (void)rest;
    if (strcmp(kind, "ok") == 0) {
        check_ok_float(name, loss_of(loss));
        n_ok_float++;
    } else {
        check_refused_float(name, loss_of(loss));
        n_refused_float++;
    }
}

START_TEST(test_import_matrix_float)
{
    each_case(matrix_case_float);
    printf("mlpf_onnx_import: %zu cases imported, %zu refused; largest difference "
           "%.3g of the float bound from the exact outputs, %.3g from PyTorch's "
           "float32 ones\n", n_ok_float, n_refused_float, worst_f64, worst_f32);
    ck_assert(n_ok_float >= 96 && n_refused_float >= 30);
}
END_TEST

static float *float_scaling(const mlpf_t *net, int which)
{
    size_t n0 = mlpf_layer_size(net, 0), nL = mlpf_layer_size(net, mlpf_n_layers(net));
    float *v[4] = {NULL, NULL, NULL, NULL};
    v[which] = malloc((which < 2 ? n0 : nL) * sizeof(float));
    ck_assert(v[which] != NULL);
    ck_assert_int_eq(mlpf_get_scaling(net, v[0], v[1], v[2], v[3]), MLP_OK);
    return v[which];
}

/* The exported float model read by mlp_onnx_import: the exact widenings
 * of the parameters and of the scaling. */
static void assert_widened(const char *name, mlpf_t *netf)
{
    char why[256];
    mlp_t *net = NULL;
    mlp_status s = mlp_onnx_import(&net, path_of(name, ".onnx"),
                                   (mlp_loss)mlpf_loss_kind(netf), why, sizeof why);
    ck_assert_msg(s == MLP_OK, "%s: %s", name, why);
    ck_assert_uint_eq(mlp_n_params(net), mlpf_n_params(netf));
    for (size_t i = 0; i < mlp_n_params(net); i++)
        ck_assert_msg(mlp_params(net)[i] == (double)mlpf_params(netf)[i],
                      "%s: parameter %zu not widened exactly", name, i);
    size_t n0 = mlp_layer_size(net, 0), nL = mlp_layer_size(net, mlp_n_layers(net));
    for (int j = 0; j < 4; j++) {
        size_t n = j < 2 ? n0 : nL;
        double *d = malloc(n * sizeof *d), *v[4] = {NULL, NULL, NULL, NULL};
        float *f = float_scaling(netf, j);
        v[j] = d;
        ck_assert_int_eq(mlp_get_scaling(net, v[0], v[1], v[2], v[3]), MLP_OK);
        for (size_t i = 0; i < n; i++)
            ck_assert_msg(d[i] == (double)f[i], "%s: scaling %d[%zu]", name, j, i);
        free(d);
        free(f);
    }
    mlp_free(net);
}

/* mlpf_onnx_import of the exported model: bitwise the same parameters,
 * scaling and predictions. */
static void assert_same_float(const char *name, mlpf_t *netf, size_t batch,
                              const float *X, const float *Y)
{
    char why[256];
    mlpf_t *back = NULL;
    mlp_status s = mlpf_onnx_import(&back, path_of(name, ".onnx"),
                                    (mlp_loss)mlpf_loss_kind(netf), why, sizeof why);
    ck_assert_msg(s == MLP_OK, "%s: %s", name, why);
    size_t L = mlpf_n_layers(netf), n_out = mlpf_layer_size(netf, L);
    ck_assert_uint_eq(mlpf_n_layers(back), L);
    for (size_t l = 1; l <= L; l++)
        ck_assert_int_eq(mlpf_layer_activation(back, l), mlpf_layer_activation(netf, l));
    ck_assert_uint_eq(mlpf_n_params(back), mlpf_n_params(netf));
    ck_assert_msg(memcmp(mlpf_params(back), mlpf_params(netf),
                         mlpf_n_params(netf) * sizeof(float)) == 0,
                  "%s: parameters differ after export and import", name);
    for (int j = 0; j < 4; j++) {
        float *a = float_scaling(netf, j), *b = float_scaling(back, j);
        size_t n = j < 2 ? mlpf_layer_size(netf, 0) : n_out;
        ck_assert_msg(memcmp(a, b, n * sizeof *a) == 0, "%s: scaling %d", name, j);
        free(a);
        free(b);
    }
    float *Y2 = malloc(batch * n_out * sizeof *Y2);
    ck_assert(Y2 != NULL);
    ck_assert_int_eq(mlpf_predict(back, batch, X, Y2), MLP_OK);
    ck_assert_msg(memcmp(Y, Y2, batch * n_out * sizeof *Y) == 0,
                  "%s: predictions differ after export and import", name);
    free(Y2);
    mlpf_free(back);
}

/* Exports netf as NAME.onnx with NAME.x and mlpf_predict's NAME.y (widened)
 * for the Python check, then reads it back both ways. */
static void exportf_and_reimport(mlpf_t *netf, const char *name)
{
    size_t n_in = mlpf_layer_size(netf, 0);
    size_t n_out = mlpf_layer_size(netf, mlpf_n_layers(netf)), batch = 9;
    ck_assert_int_eq(mlpf_onnx_export(netf, path_of(name, ".onnx")), MLP_OK);
    float *X = malloc(batch * n_in * sizeof *X), *Y = malloc(batch * n_out * sizeof *Y);
    double *Xd = malloc(batch * n_in * sizeof *Xd), *Yd = malloc(batch * n_out * sizeof *Yd);
    ck_assert(X && Y && Xd && Yd);
    for (size_t i = 0; i < batch * n_in; i++)
        Xd[i] = X[i] = (float)uniform(-3, 3);
    ck_assert_int_eq(mlpf_predict(netf, batch, X, Y), MLP_OK);
    for (size_t i = 0; i < batch * n_out; i++)
        Yd[i] = Y[i];
    write_doubles(path_of(name, ".x"), Xd, batch * n_in);
    write_doubles(path_of(name, ".y"), Yd, batch * n_out);
    fprintf(exported_list, "%s float\n", name);
    assert_same_float(name, netf, batch, X, Y);
    assert_widened(name, netf);
    free(X);
    free(Y);
    free(Xd);
    free(Yd);
}

static mlpf_t *random_netf(size_t L, const mlp_activation *acts, mlp_loss loss,
                           uint64_t seed)
{
    size_t sizes[8];
    for (size_t l = 0; l <= L; l++)
        sizes[l] = 1 + (size_t)uniform(0, 9);
    mlpf_t *net = NULL;
    ck_assert_int_eq(mlpf_create(&net, L, sizes, acts, loss, seed), MLP_OK);
    for (size_t l = 1; l <= L; l++)
        for (size_t i = 0; i < sizes[l]; i++)
            mlpf_biases(net, l)[i] = (float)uniform(-1, 1);
    float v[4][16];
    for (size_t i = 0; i < 16; i++) {
        v[0][i] = (float)uniform(-5, 5), v[1][i] = (float)uniform(0.1, 10);
        v[2][i] = (float)uniform(-5, 5), v[3][i] = (float)uniform(0.1, 10);
    }
    ck_assert(sizes[0] <= 16 && sizes[L] <= 16);
    /* Scaling: none, input only, output only, both. */
    ck_assert_int_eq(mlpf_set_scaling(net, seed % 4 & 1 ? v[0] : NULL,
                                      seed % 4 & 1 ? v[1] : NULL,
                                      seed % 4 & 2 ? v[2] : NULL,
                                      seed % 4 & 2 ? v[3] : NULL), MLP_OK);
    return net;
}

START_TEST(test_export_float)
{
    exported_list = fopen(path_of("exported", ".txt"), "w");
    ck_assert(exported_list != NULL);
    char name[64];
    for (size_t k = 0; k < 20; k++) {
        mlp_activation acts[4];
        size_t L;
        mlp_loss loss = export_case(k, acts, &L);
        mlpf_t *net = random_netf(L, acts, loss, k);
        snprintf(name, sizeof name, "exportf_%02zu", k);
        exportf_and_reimport(net, name);
        mlpf_free(net);
    }
    run_check();
}
END_TEST

/* A DOUBLE model (written by mlp_onnx_export) whose first weight, first
 * bias or first output std is v, read by mlpf_onnx_import_buffer. */
static mlp_status import_with(int which, double v, mlpf_t **netf, char *why,
                              size_t why_size)
{
    static const size_t sizes[] = {2, 3};
    static const mlp_activation acts[] = {MLP_IDENTITY};
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 1, sizes, acts, MLP_MSE, 1), MLP_OK);
    double std[3] = {1, 1, 1};
    if (which == 0)
        mlp_weights(net, 1)[0] = v;
    else if (which == 1)
        mlp_biases(net, 1)[0] = v;
    else
        std[0] = v;
    ck_assert_int_eq(mlp_set_scaling(net, NULL, NULL, NULL, std), MLP_OK);
    ck_assert_int_eq(mlp_onnx_export(net, path_of("range", ".onnx")), MLP_OK);
    mlp_free(net);
    size_t size;
    unsigned char *data = slurp(path_of("range", ".onnx"), &size);
    mlp_t *back = NULL;
    /* The double import takes any finite value. */
    ck_assert_int_eq(mlp_onnx_import_buffer(&back, data, size, MLP_MSE, NULL, 0), MLP_OK);
    mlp_free(back);
    *netf = (mlpf_t *)netf;
    mlp_status s = mlpf_onnx_import_buffer(netf, data, size, MLP_MSE, why, why_size);
    free(data);
    return s;
}

/* Rounding to nearest up to half an ulp above FLT_MAX, refused from there;
 * underflow rounds to 0 or a subnormal. */
START_TEST(test_float_range)
{
    static const char *const what[] = {"layer 1 has a weight", "layer 1 has a bias",
                                       "the scaling has a value"};
    const double below = 0x1.fffffefffffffp127, at = 0x1.ffffffp127;
    char why[256];
    mlpf_t *netf = NULL;
    for (int which = 0; which < 3; which++) {
        for (int sign = -1; sign <= 1; sign += 2) {
            double v = which == 2 ? below : sign * below;
            ck_assert_int_eq(import_with(which, v, &netf, why, sizeof why), MLP_OK);
            float *std = float_scaling(netf, 3);
            float got = which == 0 ? mlpf_weights(netf, 1)[0]
                      : which == 1 ? mlpf_biases(netf, 1)[0] : std[0];
            free(std);
            ck_assert_float_eq(got, (float)(which == 2 ? 1 : sign) * FLT_MAX);
            mlpf_free(netf);
            v = which == 2 ? at : sign * at;
            ck_assert_int_eq(import_with(which, v, &netf, why, sizeof why),
                             MLP_ERR_FORMAT);
            ck_assert(netf == NULL);
            ck_assert_msg(strstr(why, what[which]) && strstr(why, "beyond the range "
                          "of float"), "reason: %s", why);
        }
    }
    /* A weight below float's smallest subnormal rounds to 0; an std that
     * rounds to 0 is not a scaling. */
    ck_assert_int_eq(import_with(0, 0x1p-160, &netf, why, sizeof why), MLP_OK);
    ck_assert(mlpf_weights(netf, 1)[0] == 0.0f);
    mlpf_free(netf);
    ck_assert_int_eq(import_with(2, 0x1p-160, &netf, why, sizeof why), MLP_ERR_FORMAT);
    ck_assert(netf == NULL && strstr(why, "scaling") != NULL);
}
END_TEST

START_TEST(test_arguments_float)
{
    each_case(find_simple);
    ck_assert(simple[0]);
    char model[4096], why[64];
    snprintf(model, sizeof model, "%s", path_of(simple, ".onnx"));
    mlpf_t *net = (mlpf_t *)&net;
    ck_assert_int_eq(mlpf_onnx_import(NULL, model, MLP_MSE, why, sizeof why), MLP_ERR_ARG);
    ck_assert_str_eq(why, "net is NULL");
    ck_assert_int_eq(mlpf_onnx_import(&net, NULL, MLP_MSE, why, sizeof why), MLP_ERR_ARG);
    ck_assert(net == NULL && strstr(why, "path") != NULL);
    net = (mlpf_t *)&net;
    ck_assert_int_eq(mlpf_onnx_import_buffer(&net, NULL, 10, MLP_MSE, NULL, 0),
                     MLP_ERR_ARG);
    ck_assert(net == NULL);
    ck_assert_int_eq(mlpf_onnx_import_buffer(NULL, "", 0, MLP_MSE, why, sizeof why),
                     MLP_ERR_ARG);
    ck_assert_int_eq(mlpf_onnx_import(&net, path_of("no-such-file", ".onnx"), MLP_MSE,
                                      why, sizeof why), MLP_ERR_IO);
    ck_assert_int_eq(mlpf_onnx_import(&net, model, (mlp_loss)7, why, sizeof why),
                     MLP_ERR_ARG);
    ck_assert_str_eq(why, "unknown loss 7");
    ck_assert_int_eq(mlpf_onnx_import(&net, model, MLP_MSE, NULL, 0), MLP_OK);
    ck_assert_int_eq(mlpf_onnx_export(NULL, model), MLP_ERR_ARG);
    ck_assert_int_eq(mlpf_onnx_export(net, NULL), MLP_ERR_ARG);
    ck_assert_int_eq(mlpf_onnx_export(net, "/nonexistent-dir/model.onnx"), MLP_ERR_IO);
    assert_special_targets_refused(NULL, net);
    mlpf_free(net);
}
END_TEST

static int remove_entry(const char *path, const struct stat *sb, int flag,
                        struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s PYTHON onnx_cases.py\n", argv[0]);
        return 2;
    }
    python = argv[1];
    script = argv[2];
    const char *tmp = getenv("TMPDIR");
    (void)tmp;
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    const char *make[] = {python, script, "make", dir, NULL};
    int status = run(make);
    if (status != 0) {
        fprintf(stderr, "onnx_cases.py make failed with status %d\n", status);
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        return 1;
    }
    Suite *suite = suite_create("onnx");
    TCase *tc = tcase_create("onnx");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_import_matrix);
    tcase_add_test(tc, test_truncations);
    tcase_add_test(tc, test_export);
    tcase_add_test(tc, test_reexport_torch);
    tcase_add_test(tc, test_arguments);
    tcase_add_test(tc, test_export_replaces_atomically);
    tcase_add_test(tc, test_export_nonfinite);
    tcase_add_test(tc, test_budget);
    tcase_add_test(tc, test_import_matrix_float);
    tcase_add_test(tc, test_export_float);
    tcase_add_test(tc, test_float_range);
    tcase_add_test(tc, test_arguments_float);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return failed > 64 ? 64 : failed;
}
