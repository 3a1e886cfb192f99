/* mlp.c - the `mlp` command: train, evaluate and use a network from CSV
 * files. Run `mlp --help` for the usage. Not part of libmlp: it prints,
 * exits, and may allocate as it likes. */
#define _POSIX_C_SOURCE 200809L /* isatty, fileno */

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlp.h"
#include "csv.h"
#include "plot.h"

#define EXIT_DATA 1   /* bad data, files, training failure */
#define EXIT_USAGE 2  /* bad command line */

static const char usage[] =
"usage: mlp train --data FILE.csv [options]\n"
"       mlp eval --model FILE --data FILE.csv [--target COLS] [--classes K] [--scale X]\n"
"       mlp predict --model FILE --data FILE.csv [--target COLS] [--classes K] [--scale X]\n"
"\n"
"CSV files hold numbers separated by commas, one sample per line (a .gz file\n"
"is decompressed with gzip). A first line with a field that is not a number\n"
"is a header naming the columns. Every column that is not a target is an input.\n"
"\n"
"data:\n"
"  --data FILE         the training data\n"
"  --target COLS       target columns, comma-separated: header names, numbers\n"
"                      counted from 1, or 'last' (default: last)\n"
"  --classes K         the one target column holds class labels 0..K-1: the\n"
"                      network gets a softmax output and cross-entropy loss\n"
"  --scale X           multiply every input by X (e.g. 0.0625 for 0..16)\n"
"  --test FILE         after training, evaluate on this CSV (same columns)\n"
"network:\n"
"  --layers N,N,..     hidden layer sizes (default 32; 0 = no hidden layer)\n"
"  --act NAME          hidden activation: sigmoid, tanh, relu, identity (relu)\n"
"  --output NAME       output activation (softmax with --classes, else identity)\n"
"  --loss NAME         mse or cross-entropy (cross-entropy with --classes, else mse)\n"
"  --init NAME         default, glorot-uniform, glorot-normal, he-uniform,\n"
"                      he-normal, orthogonal (default: default)\n"
"training:\n"
"  --optimizer NAME    adam or sgd (adam)\n"
"  --lr X              learning rate (0.001 for adam, 0.01 for sgd)\n"
"  --momentum X        sgd momentum (0)\n"
"  --weight-decay X    L2 weight decay on the weights (0)\n"
"  --epochs N          (20)    --batch N   mini-batch size (32)\n"
"  --seed N            initial weights, shuffling and the split (1)\n"
"  --validation F      fraction held out for validation (0.1; 0 = none)\n"
"  --patience N        stop after N epochs without validation improvement (0 = off)\n"
"output:\n"
"  --plot FILE.png     write the learning curve with gnuplot\n"
"  --save FILE         write the model file (when this libmlp has model files)\n"
"  --quiet             no progress output\n";

static const char *prog_cmd = "mlp";

static void die(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog_cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(code);
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        die(EXIT_DATA, "out of memory");
    return p;
}

/* ---- options ----------------------------------------------------------- */

struct config {
    const char *data, *test, *model, *save, *plot;
    const char *target, *layers, *act, *output, *loss, *init, *optimizer;
    size_t classes, epochs, batch, patience;
    uint64_t seed;
    double lr, momentum, weight_decay, validation, scale;
    int quiet;
};

static size_t parse_size(const char *opt, const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!isdigit((unsigned char)*s) || *end || errno)
        die(EXIT_USAGE, "%s: \"%s\" is not a whole number", opt, s);
    return (size_t)v;
}

static double parse_double(const char *opt, const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (*s == '\0' || *end || !isfinite(v))
        die(EXIT_USAGE, "%s: \"%s\" is not a number", opt, s);
    return v;
}

static void parse_args(int argc, char **argv, struct config *c)
{
    memset(c, 0, sizeof *c);
    c->target = "last";
    c->layers = "32";
    c->act = "relu";
    c->init = "default";
    c->optimizer = "adam";
    c->lr = NAN;
    c->epochs = 20;
    c->batch = 32;
    c->seed = 1;
    c->validation = 0.1;
    c->scale = 1.0;
    static const struct { const char *name; size_t field; } strings[] = {
#define S(n, f) { n, offsetof(struct config, f) }
        S("--data", data), S("--test", test), S("--model", model),
        S("--save", save), S("--plot", plot), S("--target", target),
        S("--layers", layers), S("--act", act), S("--output", output),
        S("--loss", loss), S("--init", init), S("--optimizer", optimizer),
#undef S
    };
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--quiet") == 0) {
            c->quiet = 1;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            exit(0);
        }
        if (i + 1 >= argc || strncmp(a, "--", 2) != 0)
            die(EXIT_USAGE, "%s: unknown option or missing value (see mlp --help)", a);
        const char *v = argv[++i];
        int done = 0;
        for (size_t k = 0; k < sizeof strings / sizeof strings[0]; k++)
            if (strcmp(a, strings[k].name) == 0) {
                *(const char **)((char *)c + strings[k].field) = v;
                done = 1;
            }
        if (done)
            continue;
        if (strcmp(a, "--classes") == 0) c->classes = parse_size(a, v);
        else if (strcmp(a, "--epochs") == 0) c->epochs = parse_size(a, v);
        else if (strcmp(a, "--batch") == 0) c->batch = parse_size(a, v);
        else if (strcmp(a, "--patience") == 0) c->patience = parse_size(a, v);
        else if (strcmp(a, "--seed") == 0) c->seed = parse_size(a, v);
        else if (strcmp(a, "--lr") == 0) c->lr = parse_double(a, v);
        else if (strcmp(a, "--momentum") == 0) c->momentum = parse_double(a, v);
        else if (strcmp(a, "--weight-decay") == 0) c->weight_decay = parse_double(a, v);
        else if (strcmp(a, "--validation") == 0) c->validation = parse_double(a, v);
        else if (strcmp(a, "--scale") == 0) c->scale = parse_double(a, v);
        else die(EXIT_USAGE, "%s: unknown option (see mlp --help)", a);
    }
    if (!c->data)
        die(EXIT_USAGE, "--data FILE is required (see mlp --help)");
    if (c->classes == 1)
        die(EXIT_USAGE, "--classes: need at least 2 classes");
}

static int lookup(const char *opt, const char *name, const char *const *names,
                  size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (names[i] && strcmp(name, names[i]) == 0)
            return (int)i;
    fprintf(stderr, "%s: %s: unknown value \"%s\"; one of:", prog_cmd, opt, name);
    for (size_t i = 0; i < n; i++)
        if (names[i])
            fprintf(stderr, " %s", names[i]);
    fputc('\n', stderr);
    exit(EXIT_USAGE);
}

static const char *const act_names[] = { "sigmoid", "tanh", "relu", "identity", "softmax" };
static const char *const loss_names[] = { "mse", "cross-entropy" };
static const char *const init_names[] = { "default", "glorot-uniform", "glorot-normal",
                                          "he-uniform", "he-normal", "orthogonal" };

/* ---- data -------------------------------------------------------------- */

struct dataset {
    size_t n, n_in, n_out;
    double *X, *T;
    int *label;          /* with classes: the label of each row */
};

/* Resolves --target into a mask over the table's columns. */
static void target_columns(const struct config *c, const csv_table *t,
                           unsigned char *is_target, size_t *count)
{
    char *spec = strdup(c->target), *save = NULL;
    if (!spec)
        die(EXIT_DATA, "out of memory");
    *count = 0;
    memset(is_target, 0, t->cols);
    for (char *item = strtok_r(spec, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        size_t col = (size_t)-1;
        if (strcmp(item, "last") == 0)
            col = t->cols - 1;
        for (size_t k = 0; t->names && col == (size_t)-1 && k < t->cols; k++)
            if (strcmp(item, t->names[k]) == 0)
                col = k;
        if (col == (size_t)-1 && isdigit((unsigned char)item[0])) {
            char *end;
            unsigned long v = strtoul(item, &end, 10);
            if (*end == '\0' && v >= 1 && v <= t->cols)
                col = v - 1;
            else
                die(EXIT_USAGE, "--target: column %s does not exist (the data has %zu columns)",
                    item, t->cols);
        }
        if (col == (size_t)-1)
            die(EXIT_USAGE, "--target: no column named \"%s\"%s", item,
                t->names ? "" : " (the data has no header line; use numbers)");
        if (!is_target[col])
            (*count)++;
        is_target[col] = 1;
    }
    free(spec);
    if (*count == 0)
        die(EXIT_USAGE, "--target: no column given");
    if (*count == t->cols)
        die(EXIT_USAGE, "--target: every column is a target; no inputs remain");
    if (c->classes && *count != 1)
        die(EXIT_USAGE, "--classes needs exactly one target column, not %zu", *count);
}

static void load(const struct config *c, const char *path, struct dataset *d,
                 size_t expect_cols)
{
    csv_table t;
    char err[512];
    if (csv_read(path, &t, err, sizeof err) != 0)
        die(EXIT_DATA, "%s", err);
    if (expect_cols && t.cols != expect_cols)
        die(EXIT_DATA, "%s: %zu columns, but the training data has %zu",
            path, t.cols, expect_cols);
    unsigned char *is_target = xcalloc(t.cols, 1);
    size_t n_targets;
    target_columns(c, &t, is_target, &n_targets);
    d->n = t.rows;
    d->n_in = t.cols - n_targets;
    d->n_out = c->classes ? c->classes : n_targets;
    d->X = xcalloc(d->n * d->n_in, sizeof *d->X);
    d->T = xcalloc(d->n * d->n_out, sizeof *d->T);
    d->label = c->classes ? xcalloc(d->n, sizeof *d->label) : NULL;
    for (size_t r = 0; r < t.rows; r++) {
        const double *row = t.values + r * t.cols;
        size_t i = 0, o = 0;
        for (size_t col = 0; col < t.cols; col++) {
            if (!is_target[col]) {
                d->X[r * d->n_in + i++] = c->scale * row[col];
            } else if (!c->classes) {
                d->T[r * d->n_out + o++] = row[col];
            } else {
                double v = row[col];
                if (v != floor(v) || v < 0 || v >= (double)c->classes)
                    die(EXIT_DATA, "%s line %zu, column %zu: label %g is not a class "
                        "0..%zu (see --classes)", path, t.line[r], col + 1, v,
                        c->classes - 1);
                d->label[r] = (int)v;
                d->T[r * d->n_out + (size_t)v] = 1.0;
            }
        }
    }
    free(is_target);
    csv_free(&t);
}

static void free_dataset(struct dataset *d)
{
    free(d->X);
    free(d->T);
    free(d->label);
}

/* ---- evaluation -------------------------------------------------------- */

/* Predictions for every row, in chunks so the workspace stays modest. */
static double *predict_all(mlp_t *net, const struct dataset *d)
{
    double *Y = xcalloc(d->n * d->n_out, sizeof *Y);
    for (size_t s = 0; s < d->n; s += 256) {
        size_t rows = d->n - s < 256 ? d->n - s : 256;
        mlp_status st = mlp_predict(net, rows, d->X + s * d->n_in,
                                    Y + s * d->n_out);
        if (st != MLP_OK)
            die(EXIT_DATA, "prediction failed: %s", mlp_strerror(st));
    }
    return Y;
}

static size_t argmax(const double *y, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (y[i] > y[best])
            best = i;
    return best;
}

/* The cost as mlp.h defines it, the accuracy and the confusion matrix. */
static void evaluate(mlp_t *net, const struct dataset *d, const char *name)
{
    double *Y = predict_all(net, d);
    int ce = mlp_loss_kind(net) == MLP_CROSS_ENTROPY;
    double cost = 0.0;
    for (size_t i = 0; i < d->n * d->n_out; i++) {
        double y = Y[i], t = d->T[i];
        if (ce)
            cost -= t == 0.0 ? 0.0 : t * log(y > DBL_MIN ? y : DBL_MIN);
        else
            cost += (y - t) * (y - t) / (double)d->n_out;
    }
    cost /= (double)d->n;
    printf("%s: %zu samples, cost %.6g (%s)\n", name, d->n, cost,
           ce ? "cross-entropy" : "mean squared error");
    if (d->label) {
        size_t k = d->n_out, right = 0;
        size_t *conf = xcalloc(k * k, sizeof *conf);
        for (size_t r = 0; r < d->n; r++) {
            size_t p = argmax(Y + r * k, k);
            conf[(size_t)d->label[r] * k + p]++;
            right += p == (size_t)d->label[r];
        }
        printf("%s: accuracy %.2f%% (%zu of %zu)\n", name,
               100.0 * (double)right / (double)d->n, right, d->n);
        printf("confusion matrix (rows: true class, columns: predicted)\n     ");
        for (size_t j = 0; j < k; j++)
            printf(" %5zu", j);
        putchar('\n');
        for (size_t i = 0; i < k; i++) {
            printf("%5zu", i);
            for (size_t j = 0; j < k; j++)
                printf(" %5zu", conf[i * k + j]);
            putchar('\n');
        }
        free(conf);
    }
    free(Y);
}

/* ---- progress ---------------------------------------------------------- */

struct progress {
    int tty, quiet;
    double *train, *val;     /* per epoch */
    size_t epochs_seen;
    double last_draw;
};

static void fmt_time(char *buf, size_t size, double s)
{
    if (!isfinite(s) || s < 0)
        s = 0;
    unsigned long t = (unsigned long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, size, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, size, "%lu:%02lu", t / 60, t % 60);
}

static int on_progress(const mlp_fit_progress *p, void *user)
{
    struct progress *pr = user;
    if (p->epoch_done) {
        pr->train[p->epoch - 1] = p->train_cost;
        pr->val[p->epoch - 1] = p->val_cost;
        pr->epochs_seen = p->epoch;
    }
    if (pr->quiet)
        return 0;
    if (!pr->tty) {
        if (p->epoch_done) {
            fprintf(stderr, "epoch %zu/%zu: train cost %.6g", p->epoch,
                    p->epochs, p->train_cost);
            if (!isnan(p->val_cost))
                fprintf(stderr, ", validation cost %.6g", p->val_cost);
            fprintf(stderr, ", %.2f s\n", p->elapsed);
        }
        return 0;
    }
    /* A terminal: redraw one line at most ten times a second. */
    if (!p->epoch_done && p->elapsed - pr->last_draw < 0.1)
        return 0;
    pr->last_draw = p->elapsed;
    double total = (double)p->epochs * (double)p->batches;
    double done = (double)(p->epoch - 1) * (double)p->batches + (double)p->batch;
    enum { WIDTH = 24 };
    char bar[WIDTH + 1], eta[32];
    size_t fill = (size_t)(WIDTH * done / total);
    for (size_t i = 0; i < WIDTH; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[WIDTH] = '\0';
    fmt_time(eta, sizeof eta, p->elapsed * (total - done) / done);
    fprintf(stderr, "\r\033[Kepoch %zu/%zu [%s] %3.0f%%  cost %.5g", p->epoch,
            p->epochs, bar, 100.0 * done / total, p->train_cost);
    if (!isnan(p->val_cost))
        fprintf(stderr, "  val %.5g", p->val_cost);
    fprintf(stderr, "  ETA %s", eta);
    fflush(stderr);
    return 0;
}

/* ---- commands ---------------------------------------------------------- */

static size_t parse_layers(const char *spec, size_t *hidden, size_t max)
{
    if (strcmp(spec, "0") == 0)
        return 0;
    size_t n = 0;
    const char *s = spec;
    while (*s) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (!isdigit((unsigned char)*s) || v == 0 || errno || (*end && *end != ',') ||
            n == max)
            die(EXIT_USAGE, "--layers: \"%s\" is not a list of sizes like 64,32", spec);
        hidden[n++] = v;
        s = *end ? end + 1 : end;
    }
    return n;
}

static int cmd_train(const struct config *c)
{
    struct dataset d = { 0 };
    load(c, c->data, &d, 0);

    enum { MAX_HIDDEN = 64 };
    size_t hidden[MAX_HIDDEN];
    size_t n_hidden = parse_layers(c->layers, hidden, MAX_HIDDEN);
    size_t sizes[MAX_HIDDEN + 2];
    mlp_activation acts[MAX_HIDDEN + 1];
    int hidden_act = lookup("--act", c->act, act_names, 4);
    int out_act = c->output ? lookup("--output", c->output, act_names, 5)
                            : c->classes ? MLP_SOFTMAX : MLP_IDENTITY;
    int loss = c->loss ? lookup("--loss", c->loss, loss_names, 2)
                       : c->classes ? MLP_CROSS_ENTROPY : MLP_MSE;
    int init = lookup("--init", c->init, init_names, 6);
    sizes[0] = d.n_in;
    for (size_t l = 0; l < n_hidden; l++) {
        sizes[l + 1] = hidden[l];
        acts[l] = (mlp_activation)hidden_act;
    }
    sizes[n_hidden + 1] = d.n_out;
    acts[n_hidden] = (mlp_activation)out_act;

    mlp_t *net = NULL;
    mlp_status st = mlp_create(&net, n_hidden + 1, sizes, acts, (mlp_loss)loss, c->seed);
    if (st == MLP_ERR_ARG)
        die(EXIT_USAGE, "this network is not valid: %s (softmax only as the output "
            "with cross-entropy; cross-entropy needs a softmax or sigmoid output)",
            mlp_strerror(st));
    if (st != MLP_OK)
        die(EXIT_DATA, "cannot create the network: %s", mlp_strerror(st));
    if (init != MLP_INIT_DEFAULT &&
        (st = mlp_init(net, (mlp_init_kind)init, c->seed)) != MLP_OK)
        die(EXIT_DATA, "--init: %s", mlp_strerror(st));
    int adam = lookup("--optimizer", c->optimizer, (const char *const[]){ "sgd", "adam" }, 2);
    double lr = isnan(c->lr) ? (adam ? 0.001 : 0.01) : c->lr;
    st = adam ? mlp_set_adam(net, lr, 0.9, 0.999, 1e-8)
              : mlp_set_sgd(net, lr, c->momentum);
    if (st != MLP_OK)
        die(EXIT_USAGE, "--lr/--momentum: bad optimizer settings (%s)", mlp_strerror(st));
    if (mlp_set_weight_decay(net, c->weight_decay) != MLP_OK)
        die(EXIT_USAGE, "--weight-decay: must be >= 0");

    struct progress pr = { .tty = isatty(fileno(stderr)), .quiet = c->quiet };
    pr.train = xcalloc(c->epochs, sizeof *pr.train);
    pr.val = xcalloc(c->epochs, sizeof *pr.val);
    mlp_fit_options o;
    mlp_fit_defaults(&o);
    o.epochs = c->epochs;
    o.batch_size = c->batch;
    o.seed = c->seed;
    o.validation = c->validation;
    o.patience = c->patience;
    o.callback = on_progress;
    o.user = &pr;
    o.report_every = 1;
    printf("network %zu", sizes[0]);
    for (size_t l = 1; l <= n_hidden + 1; l++)
        printf("-%zu", sizes[l]);
    printf(" (%s hidden, %s output, %s loss), %zu parameters; %s, lr %g; "
           "%zu samples\n", act_names[hidden_act], act_names[out_act],
           loss_names[loss], mlp_n_params(net), adam ? "adam" : "sgd", lr, d.n);
    fflush(stdout);
    mlp_fit_result r;
    st = mlp_fit(net, d.n, d.X, d.T, &o, &r);
    if (pr.tty && !c->quiet)
        fputc('\n', stderr);
    if (st == MLP_ERR_ARG)
        die(EXIT_USAGE, "cannot train: %s (check --epochs, --batch, --validation: "
            "%zu samples)", mlp_strerror(st), d.n);
    if (st != MLP_OK)
        die(EXIT_DATA, "training stopped after %zu epochs: %s%s", r.epochs_run,
            mlp_strerror(st), st == MLP_ERR_NONFINITE ? " (try a smaller --lr)" : "");
    static const char *const why[] = { "all epochs done", "early stop",
                                       "stopped", "failed" };
    printf("trained %zu epochs (%s): train cost %.6g", r.epochs_run,
           why[r.stop], r.train_cost);
    if (!isnan(r.val_cost))
        printf(", validation cost %.6g (best %.6g at epoch %zu, kept)",
               r.val_cost, r.best_val_cost, r.best_epoch);
    putchar('\n');

    if (c->test) {
        struct dataset td = { 0 };
        load(c, c->test, &td, d.n_in + (c->classes ? 1 : d.n_out));
        evaluate(net, &td, "test");
        free_dataset(&td);
    }
    int rc = 0;
    if (c->plot) {
        char err[512];
        if (plot_learning_curve(c->plot, "mlp train: learning curve", pr.train,
                                c->validation > 0 ? pr.val : NULL,
                                pr.epochs_seen, err, sizeof err) == 0) {
            printf("learning curve written to %s\n", c->plot);
        } else {
            fprintf(stderr, "%s: %s\n", prog_cmd, err);
            rc = EXIT_DATA;
        }
    }
    if (c->save) {
        st = mlp_save(net, c->save);
        if (st != MLP_OK) {
            fprintf(stderr, "%s: --save %s: %s\n", prog_cmd, c->save, mlp_strerror(st));
            rc = EXIT_DATA;
        } else {
            printf("model written to %s\n", c->save);
        }
    }
    free(pr.train);
    free(pr.val);
    mlp_free(net);
    free_dataset(&d);
    return rc;
}

static int cmd_use(const struct config *c, int predict)
{
    if (!c->model)
        die(EXIT_USAGE, "--model FILE is required");
    mlp_t *net = NULL;
    mlp_status st = mlp_load(&net, c->model);
    if (st != MLP_OK)
        die(EXIT_DATA, "%s: %s", c->model, mlp_strerror(st));
    size_t n_in = mlp_layer_size(net, 0), n_out = mlp_layer_size(net, mlp_n_layers(net));
    struct config cc = *c;
    csv_table t;
    char err[512];
    if (csv_read(c->data, &t, err, sizeof err) != 0)
        die(EXIT_DATA, "%s", err);
    size_t cols = t.cols;
    csv_free(&t);
    /* predict accepts files with only the input columns. */
    int inputs_only = predict && cols == n_in;
    struct dataset d = { 0 };
    if (inputs_only) {
        cc.target = NULL;
        csv_read(c->data, &t, err, sizeof err);
        d.n = t.rows;
        d.n_in = n_in;
        d.n_out = n_out;
        d.X = xcalloc(d.n * n_in, sizeof *d.X);
        for (size_t i = 0; i < d.n * n_in; i++)
            d.X[i] = c->scale * t.values[i];
        csv_free(&t);
    } else {
        load(&cc, c->data, &d, 0);
    }
    if (d.n_in != n_in || d.n_out != n_out)
        die(EXIT_DATA, "%s: %zu inputs and %zu outputs, but the model has %zu and %zu",
            c->data, d.n_in, d.n_out, n_in, n_out);
    if (predict) {
        double *Y = predict_all(net, &d);
        for (size_t r = 0; r < d.n; r++) {
            if (c->classes)
                printf("%zu\n", argmax(Y + r * n_out, n_out));
            else
                for (size_t j = 0; j < n_out; j++)
                    printf("%.17g%c", Y[r * n_out + j], j + 1 < n_out ? ',' : '\n');
        }
        free(Y);
    } else {
        evaluate(net, &d, c->data);
    }
    free_dataset(&d);
    mlp_free(net);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("mlp (libmlp %s)\n", mlp_version());
        return 0;
    }
    int which = strcmp(argv[1], "train") == 0 ? 0 : strcmp(argv[1], "eval") == 0 ? 1
              : strcmp(argv[1], "predict") == 0 ? 2 : -1;
    if (which < 0)
        die(EXIT_USAGE, "unknown command \"%s\"; use train, eval or predict "
            "(see mlp --help)", argv[1]);
    static char name[32];
    snprintf(name, sizeof name, "mlp %s", argv[1]);
    prog_cmd = name;
    struct config c;
    parse_args(argc, argv, &c);
    return which == 0 ? cmd_train(&c) : cmd_use(&c, which == 2);
}
