/* mlpcli.c - the `mlp` command: train, evaluate and use a network from CSV
 * files. Run `mlp --help` for the usage. The subcommands are the table
 * below; each lists the options it accepts (cli_options.c parses them).
 * Not part of libmlp: it prints, exits, and may allocate as it likes. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct command commands[] = {
    { "train", cmd_train,
      "data target classes test layers act output loss init optimizer lr "
      "momentum weight-decay epochs batch seed validation patience "
      "no-standardize scale plot save quiet float",
      "train --data FILE.csv [options]" },
    { "eval", cmd_eval, "model data target classes quiet float",
      "eval --model FILE --data FILE.csv [--target COLS]" },
    { "predict", cmd_predict, "model data target classes proba quiet float",
      "predict --model FILE --data FILE.csv [--target COLS] [--proba]" },
    { "import", cmd_import, "FILES loss quiet float",
      "import MODEL.onnx MODEL.mlp [--loss mse|cross-entropy] [--float]" },
    { "export", cmd_export, "FILES quiet float",
      "export MODEL.mlp MODEL.onnx [--float]" },
};

static const char options_help[] =
"\n"
"CSV files hold numbers separated by commas, one sample per line; '-' is\n"
"standard input; a .gz file is decompressed with gzip. A field may be in\n"
"double quotes (\"\" inside them is one quote). A first line with a field\n"
"that is not a number is a header naming the columns; its first column must\n"
"have a name (row names are refused). Every column that is not a target is\n"
"an input; columns are matched by position, not by name.\n"
"\n"
"data:\n"
"  --data FILE         the data ('-' for standard input)\n"
"  --target COLS       target columns, comma-separated: header names, numbers\n"
"                      counted from 1, or 'last' (default: last); a name is\n"
"                      looked up before a number; a name two columns hold,\n"
"                      or one holding a comma, must be given as a number\n"
"  --classes K         the one target column holds class labels 0..K-1 (K >= 2):\n"
"                      softmax output and cross-entropy loss (with --output\n"
"                      sigmoid and K = 2: one output, binary cross-entropy)\n"
"  --test FILE         after training, evaluate on this CSV (same columns)\n"
"  --no-standardize    do not standardise the inputs (and regression targets)\n"
"                      to mean 0, standard deviation 1; by default the model\n"
"                      file records the scaling and eval/predict apply it\n"
"  --scale X           with --no-standardize: multiply every input by X\n"
"                      (recorded in the model file)\n"
"network:\n"
"  --layers N,N,..     hidden layer sizes (default 32; 0 = no hidden layer)\n"
"  --act NAME          hidden activation: sigmoid, tanh, relu, identity (relu)\n"
"  --output NAME       output activation (softmax with --classes, else identity)\n"
"  --loss NAME         mse or cross-entropy (cross-entropy with --classes, else mse)\n"
"  --init NAME         default, glorot-uniform, glorot-normal, he-uniform,\n"
"                      he-normal, orthogonal (default: default)\n"
"training:\n"
"  --optimizer NAME    adam or sgd (adam)\n"
"  --lr X              learning rate > 0 (0.001 for adam, 0.01 for sgd)\n"
"  --momentum X        sgd momentum in [0, 1) (0)\n"
"  --weight-decay X    L2 weight decay on the weights, >= 0 (0)\n"
"  --epochs N          at most N passes over the data (100)\n"
"  --batch N           mini-batch size (32)\n"
"  --seed N            initial weights, shuffling and the split (1)\n"
"  --validation F      fraction in [0, 1) held out for validation (0.1); the\n"
"                      epoch of lowest validation cost is the one kept\n"
"  --patience N        stop after N epochs without validation improvement\n"
"                      (10 with validation; 0 = never; needs --validation > 0)\n"
"output:\n"
"  --plot FILE.png     write the learning curve with gnuplot\n"
"  --save FILE         write the trained model file (read by eval and predict)\n"
"  --proba             predict: print class probabilities, not labels\n"
"  --quiet             no progress output or notes\n"
"  --float             compute in single precision (libmlp's mlpf_ family):\n"
"                      train writes a float32 model file; eval and predict\n"
"                      round the model (and data) to float32; import writes\n"
"                      a float32 model file, export FLOAT tensors\n"
"\n"
"eval prints the cost, and the accuracy and confusion matrix for classes or\n"
"rmse and r2 for regression, in the data's own units. The class count and\n"
"the scaling come from the model file.\n"
"\n"
"ONNX (when libmlp_onnx was built): import reads a model written by\n"
"torch.onnx.export (an nn.Sequential of Linear layers and activations) into\n"
"a model file, with --loss (default: cross-entropy for softmax or sigmoid\n"
"outputs, else mse); export writes a model file as ONNX. --model and --save\n"
"also take FILE.onnx. See docs/onnx.md.\n";

static void print_usage(FILE *f)
{
    for (size_t i = 0; i < COUNT(commands); i++)
        fprintf(f, "%s mlp %s\n", i == 0 ? "usage:" : "      ",
                commands[i].synopsis);
    fputs(options_help, f);
}

/* Output that never reached its file (a full disk, a closed pipe) makes
 * the command fail: rc, or EXIT_DATA when rc was 0. */
static int finish_output(int rc)
{
    int flushed = fflush(stdout) == 0;
    if (flushed && !ferror(stdout))
        return rc;
    fprintf(stderr, "%s: cannot write standard output%s%s\n", cli_prog,
            flushed ? "" : ": ", flushed ? "" : strerror(errno));
    return rc ? rc : EXIT_DATA;
}

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < COUNT(commands); i++)
        if (strcmp(name, commands[i].name) == 0)
            return &commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    /* gnuplot or gzip may exit early: see it as a status, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_usage(argc < 2 ? stderr : stdout);
        return finish_output(argc < 2 ? EXIT_USAGE : 0);
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("mlp (libmlp %s)\n", mlp_version());
        return finish_output(0);
    }
    const struct command *cmd = find_command(argv[1]);
    if (!cmd) {
        fprintf(stderr, "mlp: unknown command \"%s\"; use", argv[1]);
        for (size_t i = 0; i < COUNT(commands); i++)
            fprintf(stderr, "%s %s", i == 0 ? "" : i + 1 < COUNT(commands)
                    ? "," : " or", commands[i].name);
        fputs(" (see mlp --help)\n", stderr);
        return EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            print_usage(stdout);
            return finish_output(0);
        }
    static char prog[64];
    snprintf(prog, sizeof prog, "mlp %s", cmd->name);
    cli_prog = prog;
    struct config c;
    parse_args(argc, argv, cmd, &c);
    return finish_output(cmd->run(&c));
}
