/* csv.c - see csv.h. */
#define _POSIX_C_SOURCE 200809L /* getline, popen */

#include "csv.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
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

/* Splits `line` in place at commas; returns the number of fields, each
 * trimmed, in fields[0..] (grown as needed). */
static size_t split(char *line, char ***fields, size_t *cap)
{
    size_t n = 0;
    for (char *p = line;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (n == *cap) {
            size_t c = *cap ? 2 * *cap : 16;
            char **f = realloc(*fields, c * sizeof *f);
            if (!f)
                return (size_t)-1;
            *fields = f;
            *cap = c;
        }
        (*fields)[n++] = trim(p);
        if (!comma)
            return n;
        p = comma + 1;
    }
}

static int parse_number(const char *s, double *out)
{
    if (*s == '\0')
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end != '\0' || !isfinite(v))
        return -1;
    *out = v;
    return 0;
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

static FILE *open_input(const char *path, int *piped)
{
    size_t n = strlen(path);
    *piped = n > 3 && strcmp(path + n - 3, ".gz") == 0;
    if (!*piped)
        return fopen(path, "r");
    /* Check that it opens first, for a clear message; then decompress
     * through gzip with the path as one single-quoted shell word. */
    FILE *probe = fopen(path, "r");
    if (!probe)
        return NULL;
    fclose(probe);
    size_t cap = 64 + 4 * n; /* each quote becomes 4 bytes */
    char *cmd = malloc(cap), *q = cmd;
    if (!cmd)
        return NULL;
    q += sprintf(q, "exec 2>/dev/null; gzip -dc -- '");
    for (const char *p = path; *p; p++) {
        if (*p == '\'')
            q += sprintf(q, "'\\''");
        else
            *q++ = *p;
    }
    strcpy(q, "'");
    FILE *f = popen(cmd, "r");
    free(cmd);
    return f;
}

int csv_read(const char *path, csv_table *t, char *err, size_t size)
{
    memset(t, 0, sizeof *t);
    int piped;
    FILE *f = open_input(path, &piped);
    if (!f)
        return fail(err, size, "%s: cannot open: %s", path, strerror(errno));

    char *buf = NULL, **fields = NULL;
    size_t buf_cap = 0, fields_cap = 0, cap_rows = 0, lineno = 0;
    int rc = 0;
    size_t first_line = 0;
    ssize_t len;
    while ((len = getline(&buf, &buf_cap, f)) >= 0) {
        lineno++;
        if (strlen(buf) != (size_t)len) {
            rc = fail(err, size, "%s line %zu: contains a NUL byte (binary file?)",
                      path, lineno);
            break;
        }
        char *s = trim(buf);
        if (*s == '\0')
            continue;
        size_t n = split(s, &fields, &fields_cap);
        if (n == (size_t)-1) {
            rc = fail(err, size, "%s: out of memory", path);
            break;
        }
        if (t->cols == 0) {
            t->cols = n;
            first_line = lineno;
            int header = 0;
            double v;
            for (size_t c = 0; c < n; c++)
                if (parse_number(fields[c], &v) != 0)
                    header = 1;
            if (header) {
                t->names = calloc(n, sizeof *t->names);
                if (!t->names) {
                    rc = fail(err, size, "%s: out of memory", path);
                    break;
                }
                for (size_t c = 0; c < n; c++)
                    if (!(t->names[c] = strdup(fields[c]))) {
                        rc = fail(err, size, "%s: out of memory", path);
                        break;
                    }
                if (rc)
                    break;
                continue;
            }
        }
        if (n != t->cols) {
            rc = fail(err, size, "%s line %zu: %zu fields, but line %zu has %zu",
                      path, lineno, n, first_line, t->cols);
            break;
        }
        if (t->rows == cap_rows) {
            size_t c = cap_rows ? 2 * cap_rows : 256;
            double *v = realloc(t->values, c * t->cols * sizeof *v);
            if (v)
                t->values = v;
            size_t *l = realloc(t->line, c * sizeof *l);
            if (l)
                t->line = l;
            if (!v || !l) {
                rc = fail(err, size, "%s: out of memory", path);
                break;
            }
            cap_rows = c;
        }
        for (size_t c = 0; c < n && rc == 0; c++)
            if (parse_number(fields[c], &t->values[t->rows * t->cols + c]) != 0)
                rc = fail(err, size,
                          "%s line %zu, column %zu: \"%.40s\" is not a finite number",
                          path, lineno, c + 1, fields[c]);
        if (rc)
            break;
        t->line[t->rows++] = lineno;
    }
    if (rc == 0 && ferror(f))
        rc = fail(err, size, "%s: read error: %s", path, strerror(errno));
    int status = piped ? pclose(f) : fclose(f);
    if (rc == 0 && piped && status != 0)
        rc = fail(err, size, "%s: gzip could not decompress it", path);
    if (rc == 0 && t->rows == 0)
        rc = fail(err, size, "%s: no data rows (the file is empty%s)", path,
                  t->names ? " but for a header line" : " or blank");
    free(buf);
    free(fields);
    if (rc)
        csv_free(t);
    return rc;
}
