/* csv.c - see csv.h. */
#define _POSIX_C_SOURCE 200809L /* getline, fileno */

#include "csv.h"
#include "child.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The state of one read. */
struct reader {
    const char *name;
    csv_table *t;
    char *err;
    size_t err_size;
    char **fields;
    size_t fields_cap, cap_rows, lineno;
    size_t first_line;               /* the line that fixed the column count */
    int progress, drawn;
    double total, done, start, last; /* bytes; seconds */
};

static int fail(struct reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, r->err_size, fmt, ap);
    va_end(ap);
    return -1;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
                     s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

static int grow_fields(struct reader *r)
{
    size_t c = r->fields_cap ? 2 * r->fields_cap : 16;
    char **f = realloc(r->fields, c * sizeof *f);
    if (!f)
        return fail(r, "%s: out of memory", r->name);
    r->fields = f;
    r->fields_cap = c;
    return 0;
}

static char *skip_blanks(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* Unquotes in place the field whose opening quote is at q: "" inside it
 * is one quote. Returns what follows the closing quote, or NULL when the
 * line ends first. */
static char *unquote(char *q)
{
    char *out = q;
    for (char *in = q + 1; *in; in++) {
        if (*in == '"' && in[1] != '"') {
            *out = '\0';
            return in + 1;
        }
        in += *in == '"';
        *out++ = *in;
    }
    return NULL;
}

/* The end of the field that starts at p: the comma or NUL after it. A
 * field that starts with a double quote is unquoted in place first
 * (RFC 4180: a comma inside the quotes is text). NULL after a message
 * naming column `col` when the quotes are not closed, or not at its end. */
static char *field_end(struct reader *r, char *p, size_t col)
{
    if (*p != '"')
        return p + strcspn(p, ",");
    char *after = unquote(p);
    if (!after) {
        fail(r, "%s line %zu, column %zu: a quoted field without its closing "
             "quote (a field cannot span lines)", r->name, r->lineno, col);
        return NULL;
    }
    char *end = skip_blanks(after);
    if (*end != ',' && *end != '\0') {
        fail(r, "%s line %zu, column %zu: text after the closing quote (a quote "
             "inside a quoted field is written \"\")", r->name, r->lineno, col);
        return NULL;
    }
    return end;
}

/* Splits `line` in place into r->fields (grown as needed) at the commas
 * outside double quotes; a field is trimmed, or unquoted when quoted (the
 * blanks inside the quotes kept). Sets *n to the number of fields; returns
 * 0, or -1 with the reason in r->err. */
static int split(struct reader *r, char *line, size_t *n)
{
    *n = 0;
    for (char *p = line;;) {
        if (*n == r->fields_cap && grow_fields(r) != 0)
            return -1;
        p = skip_blanks(p);
        int quoted = *p == '"';
        char *end = field_end(r, p, *n + 1);
        if (!end)
            return -1;
        char sep = *end;
        *end = '\0';
        r->fields[(*n)++] = quoted ? p : trim(p);
        if (sep == '\0')
            return 0;
        p = end + 1;
    }
}

/* A finite number and nothing else: not even the blanks that strtod skips
 * (a quoted field keeps the blanks inside its quotes). */
static int parse_number(const char *s, double *out)
{
    if (*s == '\0' || isspace((unsigned char)*s))
        return -1;
    char *end;
    double v = strtod(s, &end);
    if (*end != '\0' || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

/* 1 when s is a number, finite or not: a first line with "nan", "inf" or
 * "1e999" among numbers is a row of bad data, not a header. */
static int reads_as_number(const char *s)
{
    char *end;
    strtod(s, &end);
    return *s != '\0' && *end == '\0';
}

/* A hint for a line that has one field but looks like it has several. */
static const char *comma_hint(size_t n_fields, const char *field)
{
    return n_fields == 1 && strpbrk(field, "; \t|:")
        ? " (this line has one field: fields must be separated by commas)" : "";
}

void csv_free(csv_table *t)
{
    if (t->names)
        for (size_t c = 0; c < t->cols; c++)
            free(t->names[c]);
    free(t->names);
    free(t->values);
    free(t->line);
    memset(t, 0, sizeof *t);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* After half a second of reading, a line on stderr redrawn ten times a
 * second: how far, in percent when the size is known. */
static void show_progress(struct reader *r)
{
    double t = now();
    if (t - r->start < 0.5 || t - r->last < 0.1)
        return;
    r->last = t;
    r->drawn = 1;
    if (r->total > 0)
        fprintf(stderr, "\r\033[Kreading %s: %3.0f%% (%.1f of %.1f MB)", r->name,
                100.0 * r->done / r->total, r->done / 1e6, r->total / 1e6);
    else if (r->done < 1e6)
        fprintf(stderr, "\r\033[Kreading %s: %.0f kB", r->name, r->done / 1e3);
    else
        fprintf(stderr, "\r\033[Kreading %s: %.1f MB", r->name, r->done / 1e6);
    fflush(stderr);
}

static int take_header(struct reader *r, size_t n)
{
    csv_table *t = r->t;
    t->header_line = r->lineno;
    t->names = calloc(n, sizeof *t->names);
    if (!t->names)
        return fail(r, "%s: out of memory", r->name);
    for (size_t c = 0; c < n; c++)
        if (!(t->names[c] = strdup(r->fields[c])))
            return fail(r, "%s: out of memory", r->name);
    return 0;
}

static int grow_rows(struct reader *r)
{
    csv_table *t = r->t;
    size_t c = r->cap_rows ? 2 * r->cap_rows : 256;
    if (c > ((size_t)-1 / sizeof *t->values) / t->cols)
        return fail(r, "%s: too many values", r->name);
    double *v = realloc(t->values, c * t->cols * sizeof *v);
    if (v)
        t->values = v;
    size_t *l = realloc(t->line, c * sizeof *l);
    if (l)
        t->line = l;
    if (!v || !l)
        return fail(r, "%s: out of memory", r->name);
    r->cap_rows = c;
    return 0;
}

static int add_row(struct reader *r, size_t n)
{
    csv_table *t = r->t;
    if (n != t->cols)
        return fail(r, "%s line %zu: %zu field%s, but line %zu has %zu%s", r->name,
                    r->lineno, n, n == 1 ? "" : "s", r->first_line, t->cols,
                    comma_hint(n == 1 ? 1 : t->cols, n == 1 ? r->fields[0]
                               : t->names ? t->names[0] : ""));
    if (t->rows == r->cap_rows && grow_rows(r) != 0)
        return -1;
    for (size_t c = 0; c < n; c++)
        if (parse_number(r->fields[c], &t->values[t->rows * t->cols + c]) != 0)
            return fail(r, "%s line %zu, column %zu: \"%.40s\" is not a finite "
                        "number%s", r->name, r->lineno, c + 1, r->fields[c],
                        comma_hint(n, r->fields[c]));
    t->line[t->rows++] = r->lineno;
    return 0;
}

static int take_line(struct reader *r, char *buf, size_t len)
{
    r->lineno++;
    r->done += (double)len;
    if (r->progress && r->lineno % 4096 == 0)
        show_progress(r);
    if (strlen(buf) != len)
        return fail(r, "%s line %zu: contains a NUL byte (binary file?)",
                    r->name, r->lineno);
    /* A UTF-8 byte order mark (spreadsheets write one) is not data. */
    int bom = r->lineno == 1 && strncmp(buf, "\xEF\xBB\xBF", 3) == 0;
    char *s = trim(buf + (bom ? 3 : 0));
    if (*s == '\0')
        return 0;
    size_t n;
    if (split(r, s, &n) != 0)
        return -1;
    if (r->t->cols == 0) {
        r->t->cols = n;
        r->first_line = r->lineno;
        for (size_t c = 0; c < n; c++)
            if (!reads_as_number(r->fields[c]))
                return take_header(r, n);
    }
    return add_row(r, n);
}

/* After the last line read: why reading stopped, and whether rows came. */
static int check_end(struct reader *r, FILE *f)
{
    if (ferror(f))
        return fail(r, "%s: read error: %s", r->name, strerror(errno));
    if (!feof(f))   /* getline could not grow its buffer */
        return fail(r, "%s line %zu: out of memory reading this line", r->name,
                    r->lineno + 1);
    if (r->t->rows == 0)
        return fail(r, "%s: no data rows (the file is empty%s)", r->name,
                    r->t->names ? " but for a header line" : " or blank");
    return 0;
}

int csv_parse(FILE *f, const char *name, const csv_options *o, csv_table *t,
              char *err, size_t size)
{
    struct reader r = { .name = name, .t = t, .err = err, .err_size = size,
                        .progress = o && o->progress, .start = now() };
    struct stat st;
    if (r.progress && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode))
        r.total = (double)st.st_size;
    memset(t, 0, sizeof *t);
    char *buf = NULL;
    size_t buf_cap = 0;
    ssize_t len;
    int rc = 0;
    while (rc == 0 && (len = getline(&buf, &buf_cap, f)) >= 0)
        rc = take_line(&r, buf, (size_t)len);
    if (rc == 0)
        rc = check_end(&r, f);
    if (r.drawn)
        fputs("\r\033[K", stderr);
    free(buf);
    free(r.fields);
    if (rc)
        csv_free(t);
    return rc;
}

/* Opens path for reading: "-" is stdin, ".gz" goes through gzip. *gzip
 * is gzip's pid, -1 without gzip, or GZIP_NOT_STARTED when it could not
 * be run (not installed). */
enum { GZIP_NOT_STARTED = -2 };

static FILE *open_input(const char *path, pid_t *gzip)
{
    size_t n = strlen(path);
    *gzip = -1;
    if (strcmp(path, "-") == 0)
        return stdin;
    FILE *f = fopen(path, "r");
    struct stat st;
    if (f && fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        errno = EISDIR;
        return NULL;
    }
    if (!f || n <= 3 || strcmp(path + n - 3, ".gz") != 0)
        return f;
    char *argv[] = { "gzip", "-dc", NULL };
    FILE *out = NULL;
    *gzip = child_start(argv, fileno(f), -1, -1, &out);
    int saved = errno;
    fclose(f);
    errno = saved;
    if (*gzip < 0)
        *gzip = GZIP_NOT_STARTED;
    return *gzip < 0 ? NULL : out;
}

int csv_load(const char *path, const csv_options *o, csv_table *t,
             char *err, size_t size)
{
    pid_t gzip;
    FILE *f = open_input(path, &gzip);
    if (!f) {
        memset(t, 0, sizeof *t);
        snprintf(err, size, "%s: %s: %s", path, gzip == GZIP_NOT_STARTED
                 ? "cannot run gzip -dc to decompress it" : "cannot open",
                 strerror(errno));
        return -1;
    }
    int rc = csv_parse(f, f == stdin ? "standard input" : path, o, t, err, size);
    if (gzip >= 0) {
        char drain[4096];
        while (rc != 0 && fread(drain, 1, sizeof drain, f) > 0)
            continue;   /* so that gzip's status is about the data alone */
        fclose(f);
        if (child_wait(gzip) != 0) {
            csv_free(t);
            snprintf(err, size, "%s: gzip could not decompress it", path);
            rc = -1;
        }
    } else if (f != stdin) {
        fclose(f);
    }
    return rc;
}

int csv_read(const char *path, csv_table *t, char *err, size_t size)
{
    return csv_load(path, NULL, t, err, size);
}
