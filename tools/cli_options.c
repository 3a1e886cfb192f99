/* cli_options.c - the command line of `mlp`: one table of options, their
 * ranges, and the checks that need several options at once. Every value
 * is checked here, before any data is read or any network is created. */
#define _XOPEN_SOURCE 700 /* realpath */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

const char *cli_prog = "mlp";

const char *const act_names[5] = { "sigmoid", "tanh", "relu", "identity", "softmax" };
const char *const loss_names[2] = { "mse", "cross-entropy" };
const char *const init_names[6] = { "default", "glorot-uniform", "glorot-normal",
                                    "he-uniform", "he-normal", "orthogonal" };
const char *const optimizer_names[2] = { "sgd", "adam" };

void die(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", cli_prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(code);
}

void warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", cli_prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        die(EXIT_DATA, "out of memory");
    return p;
}

enum kind { STRING, FLAG, WHOLE, REAL };

#define PATIENCE_UNSET ((size_t)-1)

/* A number must lie between lo and hi; *_open excludes the bound. */
struct option {
    const char *name;
    enum kind kind;
    size_t offset;
    double lo, hi;
    int lo_open, hi_open;
    const char *hint;
};

#define STR(n, f) { n, STRING, offsetof(struct config, f), 0, 0, 0, 0, NULL }
#define FLG(n, f) { n, FLAG, offsetof(struct config, f), 0, 0, 0, 0, NULL }
#define NUM(n, k, f, lo, hi, lo_open, hi_open, hint) \
    { n, k, offsetof(struct config, f), lo, hi, lo_open, hi_open, hint }

static const struct option options[] = {
    STR("data", data), STR("test", test), STR("model", model),
    STR("save", save), STR("plot", plot), STR("target", target),
    STR("layers", layers), STR("act", act), STR("output", output),
    STR("loss", loss), STR("init", init), STR("optimizer", optimizer),
    FLG("quiet", quiet), FLG("proba", proba),
    FLG("no-standardize", no_standardize), FLG("float", single),
    NUM("classes", WHOLE, classes, 2, INFINITY, 0, 0,
        "; leave --classes out for regression"),
    NUM("epochs", WHOLE, epochs, 1, INFINITY, 0, 0, NULL),
    NUM("batch", WHOLE, batch, 1, INFINITY, 0, 0, NULL),
    NUM("patience", WHOLE, patience, 0, 1e15, 0, 0, NULL),
    NUM("seed", WHOLE, seed, 0, INFINITY, 0, 0, NULL),
    NUM("lr", REAL, lr, 0, INFINITY, 1, 0, NULL),
    NUM("momentum", REAL, momentum, 0, 1, 0, 1, NULL),
    NUM("weight-decay", REAL, weight_decay, 0, INFINITY, 0, 0, NULL),
    NUM("validation", REAL, validation, 0, 1, 0, 1,
        "; the fraction of the data held out"),
    NUM("scale", REAL, scale, 0, INFINITY, 1, 0, NULL),
};

static void range_text(const struct option *o, char *buf, size_t size)
{
    if (isinf(o->hi))
        snprintf(buf, size, "%s %g", o->lo_open ? "greater than" : "at least", o->lo);
    else
        snprintf(buf, size, "in %c%g, %g%c", o->lo_open ? '(' : '[', o->lo, o->hi,
                 o->hi_open ? ')' : ']');
}

static int in_range(const struct option *o, double v)
{
    return (o->lo_open ? v > o->lo : v >= o->lo) &&
           (o->hi_open ? v < o->hi : v <= o->hi);
}

/* Parses value into the field of option o, checking its range. */
static void set_number(const struct option *o, const char *value, struct config *c)
{
    char *end, range[64];
    void *field = (char *)c + o->offset;
    double v;
    errno = 0;
    if (o->kind == WHOLE) {
        unsigned long long u = strtoull(value, &end, 10);
        if (!isdigit((unsigned char)value[0]) || *end)
            die(EXIT_USAGE, "--%s: \"%s\" is not a whole number", o->name, value);
        if (errno == ERANGE || u > SIZE_MAX)
            die(EXIT_USAGE, "--%s: %s is too large (at most %llu)", o->name, value,
                (unsigned long long)(o->offset == offsetof(struct config, seed)
                                     ? UINT64_MAX : SIZE_MAX));
        v = (double)u;
        if (o->offset == offsetof(struct config, seed))
            *(uint64_t *)field = u;
        else
            *(size_t *)field = (size_t)u;
    } else {
        v = strtod(value, &end);
        if (*value == '\0' || *end || !isfinite(v))
            die(EXIT_USAGE, "--%s: \"%s\" is not a number", o->name, value);
        *(double *)field = v;
    }
    if (!in_range(o, v)) {
        range_text(o, range, sizeof range);
        die(EXIT_USAGE, "--%s: %s is out of range (must be %s%s)", o->name, value,
            range, o->hint ? o->hint : "");
    }
}

static const struct option *find_option(const char *arg, const struct command *cmd)
{
    const char *name = strncmp(arg, "--", 2) == 0 ? arg + 2 : NULL;
    size_t len = name ? strlen(name) : 0;
    for (const char *p = name ? cmd->options : ""; *p;) {
        size_t n = strcspn(p, " ");
        if (n == len && strncmp(p, name, n) == 0)
            for (size_t k = 0; k < COUNT(options); k++)
                if (strcmp(options[k].name, name) == 0)
                    return &options[k];
        p += n + (p[n] == ' ');
    }
    for (size_t k = 0; name && k < COUNT(options); k++)
        if (strcmp(options[k].name, name) == 0)
            die(EXIT_USAGE, "%s: not an option of %s (see mlp --help)", arg, cli_prog);
    die(EXIT_USAGE, "%s: unknown option (see mlp --help)", arg);
}

static void set_defaults(struct config *c)
{
    memset(c, 0, sizeof *c);
    c->target = "last";
    c->layers = "32";
    c->act = "relu";
    c->init = "default";
    c->optimizer = "adam";
    c->lr = NAN;
    c->epochs = 100;
    c->patience = PATIENCE_UNSET;
    c->batch = 32;
    c->seed = 1;
    c->validation = 0.1;
    c->scale = NAN;
}

/* Checks and defaults that need more than one option. */
static void check_combinations(struct config *c)
{
    if (c->patience == PATIENCE_UNSET)
        c->patience = c->validation > 0 ? 10 : 0;
    else if (c->patience > 0 && c->validation == 0)
        die(EXIT_USAGE, "--patience %zu needs a validation split to watch "
            "(--validation F with F > 0)", c->patience);
    if (!isnan(c->scale) && !c->no_standardize)
        die(EXIT_USAGE, "--scale: only with --no-standardize (standardising "
            "already scales every input)");
    if (!isnan(c->scale) && !isfinite(1.0 / c->scale))
        die(EXIT_USAGE, "--scale: %.3g is too small (the model records 1/X as the "
            "inputs' standard deviation, and 1/%.3g is not finite)", c->scale,
            c->scale);
    if (c->momentum != 0 && c->optimizer && strcmp(c->optimizer, "sgd") != 0)
        die(EXIT_USAGE, "--momentum: only with --optimizer sgd");
}

static int takes_files(const struct command *cmd)
{
    const char *p = strstr(cmd->options, "FILES");
    return p && (p == cmd->options || p[-1] == ' ') && (p[5] == ' ' || !p[5]);
}

void parse_args(int argc, char **argv, const struct command *cmd, struct config *c)
{
    set_defaults(c);
    for (int i = 2; i < argc; i++) {
        /* import and export take two file names (FILES in their options). */
        if (strncmp(argv[i], "--", 2) != 0 && takes_files(cmd) && c->n_files < 2) {
            c->files[c->n_files++] = argv[i];
            continue;
        }
        const struct option *o = find_option(argv[i], cmd);
        if (o->kind == FLAG) {
            *(int *)((char *)c + o->offset) = 1;
            continue;
        }
        if (i + 1 >= argc)
            die(EXIT_USAGE, "%s: missing value (see mlp --help)", argv[i]);
        const char *value = argv[++i];
        if (o->kind == STRING)
            *(const char **)((char *)c + o->offset) = value;
        else
            set_number(o, value, c);
    }
    check_combinations(c);
    cli_float = c->single;
}

void require(const char *value, const char *option)
{
    if (!value)
        die(EXIT_USAGE, "%s is required (see mlp --help)", option);
}

int lookup(const char *opt, const char *name, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(name, names[i]) == 0)
            return (int)i;
    fprintf(stderr, "%s: %s: unknown value \"%s\"; one of:", cli_prog, opt, name);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " %s", names[i]);
    fputc('\n', stderr);
    exit(EXIT_USAGE);
}

/* Fails now, with the system's reason, when path cannot be written later:
 * an existing file is opened for writing (not truncated); otherwise the
 * file is created and removed again. Models and plots are regular files:
 * anything else (a directory, a FIFO, a device, or a link to one) is
 * refused, as saving would replace or remove it. option may be NULL. */
void check_writable(const char *option, const char *path)
{
    struct stat st;
    int fd;
    const char *sep = option ? " " : "";
    option = option ? option : "";
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        die(EXIT_DATA, "%s%s%s: %s", option, sep, path, strerror(EISDIR));
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        die(EXIT_DATA, "%s%s%s: not a regular file", option, sep, path);
    if (stat(path, &st) == 0) {
        fd = open(path, O_WRONLY | O_CLOEXEC);
    } else {
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0)
            unlink(path);
    }
    if (fd < 0)
        die(EXIT_DATA, "%s%s%s: cannot write there: %s", option, sep, path,
            strerror(errno));
    close(fd);
}

/* check_writable, and for a file that exists, its directory (through
 * links) too: mlp_save renames a new file over the old one there. */
void check_replaceable(const char *option, const char *path)
{
    check_writable(option, path);
    char *dir = realpath(path, NULL);
    if (!dir)
        return;   /* a new file: check_writable created one in its place */
    char *slash = strrchr(dir, '/');
    slash[slash == dir] = '\0';
    if (access(dir, W_OK | X_OK) != 0)
        die(EXIT_DATA, "%s%s%s: cannot write there: %s: %s", option ? option : "",
            option ? " " : "", path, dir, strerror(errno));
    free(dir);
}
