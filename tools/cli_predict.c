/* cli_predict.c - `mlp eval` and `mlp predict`: a saved model on a CSV
 * file, read once (a pipe or standard input works). The model file gives
 * the class count (softmax outputs, or one sigmoid output for two classes)
 * and the scaling, so neither needs to be repeated on the command line. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static mlp_t *load_model(const struct config *c, struct task *task)
{
    require(c->model, "--model FILE");
    require(c->data, "--data FILE");
    mlp_t *net = cli_load_model(c->model, NULL);
    *task = model_task(net, c->classes);
    return net;
}

int cmd_eval(const struct config *c)
{
    struct task task;
    struct dataset d = { 0 };
    mlp_t *net = load_model(c, &task);
    load_dataset(c, c->data, &task, mlp_layer_size(net, 0), &d);
    evaluate(net, &d, c->data);
    free_dataset(&d);
    mlp_free(net);
    return 0;
}

static void print_row(const double *y, const struct task *task, int proba)
{
    size_t n = task->n_out;
    if (task->classes && !proba) {
        printf("%zu\n", n == 1 ? (size_t)(y[0] >= 0.5) : argmax(y, n));
    } else if (task->classes && n == 1) {
        printf("%.17g,%.17g\n", 1.0 - y[0], y[0]);
    } else {
        for (size_t j = 0; j < n; j++)
            printf("%.17g%c", y[j], j + 1 < n ? ',' : '\n');
    }
}

/* Files with only the input columns are accepted; otherwise --target
 * names the columns to leave out. */
int cmd_predict(const struct config *c)
{
    struct task task;
    struct dataset d = { 0 };
    csv_table t;
    mlp_t *net = load_model(c, &task);
    if (c->proba && !task.classes)
        die(EXIT_USAGE, "--proba: the model predicts values, not classes");
    read_table(c, c->data, &t);
    unsigned char *is_target = xcalloc(t.cols, 1);
    size_t n_in = mlp_layer_size(net, 0);
    if (t.cols != n_in)
        check_input_columns(&t, count_targets(c, &t, c->data, is_target), n_in,
                            c->data);
    make_dataset(&t, is_target, &task, c->data, &d);
    free(is_target);
    csv_free(&t);
    double *Y = predict_all(net, &d);
    for (size_t r = 0; r < d.n; r++)
        print_row(Y + r * task.n_out, &task, c->proba);
    free(Y);
    free_dataset(&d);
    mlp_free(net);
    return 0;
}
