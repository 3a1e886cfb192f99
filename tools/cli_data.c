/* cli_data.c - from a CSV table to the arrays libmlp trains on: which
 * columns are targets (--target), class labels, and the messages that
 * help when the file is not what the user thinks it is. */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* "a, b, c" from the header, shortened to about size bytes. */
static void format_names(const csv_table *t, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < t->cols; k++) {
        size_t need = strlen(t->names[k]) + 2;
        if (used + need + 24 > size) {
            snprintf(buf + used, size - used, "... (%zu more)", t->cols - k);
            return;
        }
        used += (size_t)snprintf(buf + used, size - used, "%s%s", k ? ", " : "",
                                 t->names[k]);
    }
}

void read_table(const struct config *c, const char *path, csv_table *t)
{
    char err[512], names[400];
    csv_options o = { .progress = !c->quiet && isatty(STDERR_FILENO) };
    if (csv_load(path, &o, t, err, sizeof err) != 0)
        die(EXIT_DATA, "%s", err);
    /* R's write.csv and pandas' to_csv write row names by default, under an
     * empty name: read as data they would be one more input. */
    if (t->names && t->names[0][0] == '\0')
        die(EXIT_DATA, "%s line %zu: the first column has no name: row names? "
            "Write the file without them (R: write.csv(df, row.names = FALSE); "
            "pandas: df.to_csv(path, index=False))", path, t->header_line);
    if (t->names && !c->quiet) {
        format_names(t, names, sizeof names);
        warn("%s: line %zu taken as a header naming the %zu columns: %s",
             path, t->header_line, t->cols, names);
    }
}

/* The column (0-based) named `item` in the header, or t->cols when none
 * is. A name that two columns hold ends the command: columns are matched
 * by position, and the name cannot say which one is meant. */
static size_t find_name(const char *item, const csv_table *t, const char *path)
{
    size_t found = t->cols;
    for (size_t k = 0; t->names && k < t->cols; k++) {
        if (strcmp(item, t->names[k]) != 0)
            continue;
        if (found < t->cols)
            die(EXIT_USAGE, "--target: \"%s\" names more than one column of %s "
                "(columns %zu and %zu): give the column's number", item, path,
                found + 1, k + 1);
        found = k;
    }
    return found;
}

/* The column (0-based) that one item of --target names: 'last', a header
 * name, then a column number. */
static size_t resolve_column(const char *item, const csv_table *t, const char *path)
{
    char names[400];
    if (strcmp(item, "last") == 0)
        return t->cols - 1;
    size_t named = find_name(item, t, path);
    if (named < t->cols)
        return named;
    if (isdigit((unsigned char)item[0])) {
        char *end;
        unsigned long v = strtoul(item, &end, 10);
        if (*end == '\0' && v >= 1 && v <= t->cols)
            return v - 1;
        die(EXIT_USAGE, "--target: column %s does not exist (%s has %zu columns)",
            item, path, t->cols);
    }
    if (!t->names)
        die(EXIT_USAGE, "--target: no column named \"%s\" (%s has no header line; "
            "use numbers 1..%zu or 'last')", item, path, t->cols);
    format_names(t, names, sizeof names);
    die(EXIT_USAGE, "--target: no column named \"%s\"; the columns of %s are: %s",
        item, path, names);
}

/* Marks the --target columns in is_target (t->cols entries); returns how
 * many there are. */
size_t count_targets(const struct config *c, const csv_table *t, const char *path,
                     unsigned char *is_target)
{
    char *spec = strdup(c->target), *save = NULL;
    size_t count = 0;
    if (!spec)
        die(EXIT_DATA, "out of memory");
    memset(is_target, 0, t->cols);
    for (char *item = strtok_r(spec, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        size_t col = resolve_column(item, t, path);
        count += !is_target[col];
        is_target[col] = 1;
    }
    free(spec);
    if (count == 0)
        die(EXIT_USAGE, "--target: no column given");
    if (count == t->cols)
        die(EXIT_USAGE, "--target: every column of %s is a target; no inputs "
            "remain%s", path, t->cols == 1 ? " (it has one column: are its "
            "fields separated by commas?)" : "");
    if (c->classes && count != 1)
        die(EXIT_USAGE, "--classes needs exactly one target column, not %zu", count);
    return count;
}

static void set_label(const struct task *task, double v, const char *path,
                      size_t line, size_t col, struct dataset *d, size_t r)
{
    if (v != floor(v) || v < 0 || v >= (double)task->classes)
        die(EXIT_DATA, "%s line %zu, column %zu: label %g is not a class 0..%zu "
            "(see --classes)", path, line, col + 1, v, task->classes - 1);
    d->label[r] = (int)v;
    if (task->n_out == 1)
        d->T[r] = v;                          /* binary: one sigmoid output */
    else
        d->T[r * d->n_out + (size_t)v] = 1.0; /* one-hot */
}

/* The number of target columns, checked against what the task expects. */
static size_t check_targets(const csv_table *t, const unsigned char *is_target,
                            const struct task *task, const char *path)
{
    size_t n_targets = 0;
    for (size_t col = 0; col < t->cols; col++)
        n_targets += is_target[col] != 0;
    if (task->classes && n_targets > 1)
        die(EXIT_USAGE, "%s: %zu target columns, but class labels are one column "
            "(see --target)", path, n_targets);
    if (!task->classes && n_targets && n_targets != task->n_out)
        die(EXIT_DATA, "%s: %zu target columns, but the model has %zu outputs "
            "(see --target)", path, n_targets, task->n_out);
    return n_targets;
}

void make_dataset(const csv_table *t, const unsigned char *is_target,
                  const struct task *task, const char *path, struct dataset *d)
{
    size_t n_targets = check_targets(t, is_target, task, path);
    d->n = t->rows;
    d->n_in = t->cols - n_targets;
    d->n_out = n_targets ? task->n_out : 0;
    d->X = xcalloc(d->n * d->n_in, sizeof *d->X);
    if (d->n_out && d->n > (size_t)-1 / sizeof *d->T / d->n_out)
        die(EXIT_DATA, "%s: %zu samples of %zu outputs do not fit in memory",
            path, d->n, d->n_out);
    d->T = xcalloc(d->n * d->n_out, sizeof *d->T);
    d->label = task->classes && n_targets ? xcalloc(d->n, sizeof *d->label) : NULL;
    for (size_t r = 0; r < t->rows; r++) {
        const double *row = t->values + r * t->cols;
        size_t i = 0, o = 0;
        for (size_t col = 0; col < t->cols; col++) {
            if (!is_target[col])
                d->X[r * d->n_in + i++] = row[col];
            else if (d->label)
                set_label(task, row[col], path, t->line[r], col, d, r);
            else
                d->T[r * d->n_out + o++] = row[col];
        }
    }
}

void check_input_columns(const csv_table *t, size_t n_targets, size_t n_in,
                         const char *path)
{
    if (t->cols == n_in && n_targets > 0)
        die(EXIT_DATA, "%s: %zu columns, the model's inputs alone: no target "
            "column to evaluate against (see --target)", path, t->cols);
    if (t->cols - n_targets != n_in)
        die(EXIT_DATA, "%s: %zu input columns, but the model takes %zu", path,
            t->cols - n_targets, n_in);
}

void load_dataset(const struct config *c, const char *path, const struct task *task,
                  size_t n_in, struct dataset *d)
{
    csv_table t;
    read_table(c, path, &t);
    unsigned char *is_target = xcalloc(t.cols, 1);
    count_targets(c, &t, path, is_target);
    /* As many targets as the model has outputs, then as many inputs. */
    check_input_columns(&t, check_targets(&t, is_target, task, path), n_in, path);
    make_dataset(&t, is_target, task, path, d);
    free(is_target);
    csv_free(&t);
}

void free_dataset(struct dataset *d)
{
    free(d->X);
    free(d->T);
    free(d->label);
    memset(d, 0, sizeof *d);
}
