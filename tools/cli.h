/* cli.h - the parts of the `mlp` command (mlpcli.c) shared between its
 * files: options, data sets, reports. Not part of libmlp: the command
 * prints, exits, and may allocate as it likes. */
#ifndef MLP_TOOLS_CLI_H
#define MLP_TOOLS_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "mlp.h"
#include "csv.h"

#define EXIT_DATA 1   /* bad data, files, training failure */
#define EXIT_USAGE 2  /* bad command line */

#define COUNT(a) (sizeof (a) / sizeof (a)[0])

/* Everything the command line can set. Strings point into argv. */
struct config {
    const char *data, *test, *model, *save, *plot;
    const char *target, *layers, *act, *output, *loss, *init, *optimizer;
    size_t classes, epochs, batch, patience;  /* classes 0: not given */
    uint64_t seed;
    double lr, momentum, weight_decay, validation, scale;  /* NaN: not given */
    int quiet, proba, no_standardize, single;  /* single: --float */
    const char *files[2];   /* import, export: the two file names */
    size_t n_files;
};

/* One subcommand: its name, what runs it, the options it accepts (names
 * without "--", separated by spaces) and a one-line synopsis. */
struct command {
    const char *name;
    int (*run)(const struct config *c);
    const char *options;
    const char *synopsis;
};

/* cli_options.c */
extern const char *cli_prog;   /* "mlp train" etc., prefix of messages */
_Noreturn void die(int code, const char *fmt, ...);
void warn(const char *fmt, ...);
void *xcalloc(size_t n, size_t size);
void parse_args(int argc, char **argv, const struct command *cmd,
                struct config *c);
void require(const char *value, const char *option);
int lookup(const char *opt, const char *name, const char *const *names,
           size_t n);
void check_writable(const char *option, const char *path);
void check_replaceable(const char *option, const char *path);
extern const char *const act_names[5];
extern const char *const loss_names[2];
extern const char *const init_names[6];
extern const char *const optimizer_names[2];

/* What the targets are: classes K >= 2 with n_out = K outputs (one-hot,
 * softmax) or n_out = 1 (binary, sigmoid); classes 0 is regression with
 * n_out target columns. */
struct task {
    size_t classes, n_out;
};

struct dataset {
    size_t n, n_in, n_out;
    double *X, *T;
    int *label;          /* with classes: the label of each row */
};

/* cli_data.c */
void read_table(const struct config *c, const char *path, csv_table *t);
size_t count_targets(const struct config *c, const csv_table *t,
                     const char *path, unsigned char *is_target);
void make_dataset(const csv_table *t, const unsigned char *is_target,
                  const struct task *task, const char *path,
                  struct dataset *d);
/* Ends the command unless t has n_in input columns beside its n_targets
 * target columns (checked before any label is, so that a file of the
 * wrong width is named as such). */
void check_input_columns(const csv_table *t, size_t n_targets, size_t n_in,
                         const char *path);
/* A data set for a network of n_in inputs. */
void load_dataset(const struct config *c, const char *path,
                  const struct task *task, size_t n_in,
                  struct dataset *d);
void free_dataset(struct dataset *d);

/* cli_report.c */
double *predict_all(mlp_t *net, const struct dataset *d);
size_t argmax(const double *y, size_t n);
void evaluate(mlp_t *net, const struct dataset *d, const char *name);
struct task model_task(const mlp_t *net, size_t classes_given);

struct progress {
    int tty, quiet;
    double *train, *val;     /* per epoch, grown as epochs end */
    size_t epochs_seen, cap;
    double last_draw;
};
int on_progress(const mlp_fit_progress *p, void *user);

/* The subcommands: cli_train.c, cli_predict.c */
int cmd_train(const struct config *c);
int cmd_eval(const struct config *c);
int cmd_predict(const struct config *c);

/* cli_onnx.c: .onnx files where a model file is read or written (with
 * libmlp_onnx; without it they end the command with a message). loss is
 * --loss for an .onnx model, NULL for the default (cross-entropy for a
 * softmax or sigmoid output, else MSE). */
int cli_is_onnx(const char *path);
mlp_t *cli_load_model(const char *path, const char *loss);
mlp_status cli_save_model(const mlp_t *net, const char *path);
void cli_check_model_path(const char *path);  /* ends the command if .onnx
                                                  cannot be written */
int cmd_import(const struct config *c);

/* cli_float.c: --float, libmlp's float family. cli_float is set by
 * parse_args when --float is given; predict_all then predicts in float. */
extern int cli_float;
mlpf_t *cli_to_float(const mlp_t *net);
mlp_t *cli_to_double(const mlpf_t *f);
/* mlpf_fit on the data rounded to float; *net is replaced by the trained
 * network, widened (exactly) back to double. */
mlp_status cli_fit_float(mlp_t **net, const struct dataset *d,
                         const mlp_fit_options *o, mlp_fit_result *r);
/* A float32 model file. */
mlp_status cli_save_float(const mlp_t *net, const char *path);
double *cli_predict_float(const mlp_t *net, const struct dataset *d);
int cmd_export(const struct config *c);

#endif
