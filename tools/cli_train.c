/* cli_train.c - `mlp train`: every option is looked up and every output
 * path checked before the data is read; then the network is built, its
 * scaling fitted, trained with mlp_fit, evaluated, plotted and saved. */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "plot.h"

enum { MAX_HIDDEN = 64 };

/* The network and optimizer the options ask for. */
struct plan {
    size_t sizes[MAX_HIDDEN + 2];
    mlp_activation acts[MAX_HIDDEN + 1];
    size_t n_layers;             /* weight layers: hidden + 1 */
    int hidden_act, out_act, loss, init, adam;
    double lr;
};

static size_t parse_layers(const char *spec, size_t *hidden, size_t max)
{
    if (strcmp(spec, "0") == 0)
        return 0;
    size_t n = 0;
    char *end;
    /* A size before every comma and after it: "" and "8," are not lists. */
    for (const char *s = spec;; s = end + 1) {
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (!isdigit((unsigned char)*s) || v == 0 || errno || (*end && *end != ',') ||
            n == max)
            die(EXIT_USAGE, "--layers: \"%s\" is not a list of at most %zu sizes "
                "like 64,32", spec, max);
        hidden[n++] = v;
        if (!*end)
            return n;
    }
}

static void plan_network(const struct config *c, struct plan *p)
{
    size_t hidden[MAX_HIDDEN];
    size_t n_hidden = parse_layers(c->layers, hidden, COUNT(hidden));
    p->hidden_act = lookup("--act", c->act, act_names, COUNT(act_names) - 1);
    p->out_act = c->output ? lookup("--output", c->output, act_names, COUNT(act_names))
                           : c->classes ? MLP_SOFTMAX : MLP_IDENTITY;
    p->loss = c->loss ? lookup("--loss", c->loss, loss_names, COUNT(loss_names))
                      : c->classes ? MLP_CROSS_ENTROPY : MLP_MSE;
    p->init = lookup("--init", c->init, init_names, COUNT(init_names));
    p->adam = lookup("--optimizer", c->optimizer, optimizer_names,
                     COUNT(optimizer_names));
    p->lr = isnan(c->lr) ? (p->adam ? 0.001 : 0.01) : c->lr;
    if (p->out_act == MLP_SOFTMAX && p->loss != MLP_CROSS_ENTROPY)
        die(EXIT_USAGE, "--output softmax needs --loss cross-entropy");
    if (p->loss == MLP_CROSS_ENTROPY && p->out_act != MLP_SOFTMAX &&
        p->out_act != MLP_SIGMOID)
        die(EXIT_USAGE, "--loss cross-entropy needs --output softmax or sigmoid");
    p->n_layers = n_hidden + 1;
    for (size_t l = 0; l < n_hidden; l++) {
        p->sizes[l + 1] = hidden[l];
        p->acts[l] = (mlp_activation)p->hidden_act;
    }
    p->acts[n_hidden] = (mlp_activation)p->out_act;
}

/* Everything that can be checked before reading the data. */
static void check_outputs(const struct config *c)
{
    if (c->save) {
        cli_check_model_path(c->save);
        if (cli_is_onnx(c->save))
            check_writable("--save", c->save);
        else
            check_replaceable("--save", c->save);
    }
    if (c->plot && !plot_have_gnuplot())
        die(EXIT_DATA, "--plot %s: gnuplot is not installed (on Debian: apt-get "
            "install gnuplot-nox)", c->plot);
    if (c->plot)
        check_writable("--plot", c->plot);
}

/* Labels in 0..K-1 that never occur: legal, but worth a word. */
static void explain_unseen_classes(const struct config *c, const struct dataset *d)
{
    unsigned char *seen = xcalloc(c->classes, 1);
    size_t distinct = 0, max = 0;
    for (size_t r = 0; r < d->n; r++) {
        size_t k = (size_t)d->label[r];
        distinct += !seen[k];
        seen[k] = 1;
        max = k > max ? k : max;
    }
    free(seen);
    if (distinct < c->classes)
        warn("note: --classes %zu, but %s has %zu distinct labels (largest %zu): "
             "%zu output(s) are for classes never seen in training",
             c->classes, c->data, distinct, max, c->classes - distinct);
}

static void load_training_data(const struct config *c, struct plan *p,
                               struct dataset *d)
{
    csv_table t;
    read_table(c, c->data, &t);
    unsigned char *is_target = xcalloc(t.cols, 1);
    size_t n_targets = count_targets(c, &t, c->data, is_target);
    struct task task = { c->classes, n_targets };
    if (c->classes)
        task.n_out = c->classes == 2 && p->out_act == MLP_SIGMOID ? 1 : c->classes;
    make_dataset(&t, is_target, &task, c->data, d);
    free(is_target);
    csv_free(&t);
    if (c->classes)
        explain_unseen_classes(c, d);
    p->sizes[0] = d->n_in;
    p->sizes[p->n_layers] = d->n_out;
}

static void set_scaling(const struct config *c, mlp_t *net, const struct dataset *d)
{
    mlp_status st = MLP_OK;
    if (!c->no_standardize) {
        st = mlp_fit_scaling(net, d->n, d->X, d->T);
    } else if (!isnan(c->scale)) {
        double *in_std = xcalloc(d->n_in, sizeof *in_std);
        for (size_t j = 0; j < d->n_in; j++)
            in_std[j] = 1.0 / c->scale;
        st = mlp_set_scaling(net, NULL, in_std, NULL, NULL);
        free(in_std);
    }
    if (st != MLP_OK)
        die(st == MLP_ERR_ARG ? EXIT_USAGE : EXIT_DATA, "cannot set the scaling: %s",
            mlp_strerror(st));
}

static mlp_t *create_network(const struct config *c, const struct plan *p,
                             const struct dataset *d)
{
    mlp_t *net = NULL;
    mlp_status st = mlp_create(&net, p->n_layers, p->sizes, p->acts,
                               (mlp_loss)p->loss, c->seed);
    if (st != MLP_OK)
        die(st == MLP_ERR_ARG ? EXIT_USAGE : EXIT_DATA,
            "cannot create the network: %s", mlp_strerror(st));
    if (p->init != MLP_INIT_DEFAULT &&
        (st = mlp_init(net, (mlp_init_kind)p->init, c->seed)) != MLP_OK)
        die(EXIT_DATA, "--init: %s", mlp_strerror(st));
    st = p->adam ? mlp_set_adam(net, p->lr, 0.9, 0.999, 1e-8)
                 : mlp_set_sgd(net, p->lr, c->momentum);
    if (st == MLP_OK)
        st = mlp_set_weight_decay(net, c->weight_decay);
    if (st != MLP_OK)
        die(EXIT_USAGE, "bad optimizer settings: %s", mlp_strerror(st));
    set_scaling(c, net, d);
    printf("network %zu", p->sizes[0]);
    for (size_t l = 1; l <= p->n_layers; l++)
        printf("-%zu", p->sizes[l]);
    printf(" (%s%s, %s output, %s loss), %zu parameters; %s, lr %g; "
           "%zu samples; inputs %s\n", p->n_layers > 1 ? act_names[p->hidden_act]
           : "no", p->n_layers > 1 ? " hidden" : " hidden layer",
           act_names[p->out_act], loss_names[p->loss], mlp_n_params(net),
           optimizer_names[p->adam], p->lr, d->n,
           c->no_standardize ? "as given" : "standardised");
    fflush(stdout);
    return net;
}

static void fit(const struct config *c, mlp_t **netp, const struct dataset *d,
                struct progress *pr)
{
    mlp_fit_options o;
    mlp_fit_result r;
    mlp_fit_defaults(&o);
    o.epochs = c->epochs;
    o.batch_size = c->batch;
    o.seed = c->seed;
    o.validation = c->validation;
    o.patience = c->patience;
    o.callback = on_progress;
    o.user = pr;
    o.report_every = 1;
    mlp_status st = c->single ? cli_fit_float(netp, d, &o, &r)
                              : mlp_fit(*netp, d->n, d->X, d->T, &o, &r);
    const mlp_t *net = *netp;
    if (pr->tty && !c->quiet)
        fputc('\n', stderr);
    if (st == MLP_ERR_ARG)
        die(EXIT_USAGE, "cannot train: %s (--validation %g leaves no training or no "
            "validation sample of %zu)", mlp_strerror(st), c->validation, d->n);
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
    int scaled_targets = !c->no_standardize &&
        mlp_layer_activation(net, mlp_n_layers(net)) == MLP_IDENTITY;
    printf("%s\n", scaled_targets ? " (costs of standardised targets)" : "");
}

static int write_outputs(const struct config *c, mlp_t *net, const struct progress *pr)
{
    int rc = 0;
    char err[512];
    if (c->plot) {
        if (plot_learning_curve(c->plot, "mlp train: learning curve", pr->train,
                                c->validation > 0 ? pr->val : NULL,
                                pr->epochs_seen, err, sizeof err) == 0) {
            printf("learning curve written to %s\n", c->plot);
        } else {
            warn("%s", err);
            rc = EXIT_DATA;
        }
    }
    if (c->save) {
        mlp_status st = c->single && !cli_is_onnx(c->save)
                            ? cli_save_float(net, c->save)
                            : cli_save_model(net, c->save);
        if (st != MLP_OK) {
            warn("--save %s: %s", c->save, mlp_strerror(st));
            rc = EXIT_DATA;
        } else {
            printf("model written to %s\n", c->save);
        }
    }
    return rc;
}

int cmd_train(const struct config *c)
{
    struct plan p = { 0 };
    struct dataset d = { 0 };
    require(c->data, "--data FILE");
    plan_network(c, &p);
    check_outputs(c);
    load_training_data(c, &p, &d);
    mlp_t *net = create_network(c, &p, &d);
    struct progress pr = { .tty = isatty(STDERR_FILENO), .quiet = c->quiet };
    fit(c, &net, &d, &pr);
    if (c->test) {
        struct dataset td = { 0 };
        struct task task = { c->classes, d.n_out };
        load_dataset(c, c->test, &task, d.n_in, &td);
        evaluate(net, &td, "test");
        free_dataset(&td);
    }
    int rc = write_outputs(c, net, &pr);
    free(pr.train);
    free(pr.val);
    mlp_free(net);
    free_dataset(&d);
    return rc;
}
