/* fuzz_csv.c - libFuzzer target for the CSV reader of the mlp command
 * (tools/csv.c).
 *
 * Each input is parsed as a file would be. A parse that succeeds must give
 * a table the command can trust: at least one row and one column, every
 * value finite, line numbers strictly increasing and past the header's,
 * a name for every column when there is a header. A parse that fails must
 * leave an empty table and a NUL-terminated message that names the input. */
#define _POSIX_C_SOURCE 200809L /* fmemopen */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

#define REQUIRE(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static void check_table(const csv_table *t)
{
    REQUIRE(t->rows > 0 && t->cols > 0 && t->values && t->line);
    for (size_t i = 0; i < t->rows * t->cols; i++)
        REQUIRE(isfinite(t->values[i]));
    for (size_t r = 0; r < t->rows; r++)
        REQUIRE(t->line[r] > (r ? t->line[r - 1] : t->header_line));
    REQUIRE((t->names == NULL) == (t->header_line == 0));
    for (size_t c = 0; t->names && c < t->cols; c++)
        REQUIRE(t->names[c] != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;   /* fmemopen needs at least one byte */
    char *copy = malloc(size);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    FILE *f = fmemopen(copy, size, "r");
    if (!f) {
        free(copy);
        return 0;
    }
    csv_table t;
    char err[256];
    memset(err, 'x', sizeof err);
    csv_options o = { .progress = 0 };
    if (csv_parse(f, "input", &o, &t, err, sizeof err) == 0) {
        check_table(&t);
    } else {
        REQUIRE(memchr(err, '\0', sizeof err) != NULL);
        REQUIRE(strncmp(err, "input", 5) == 0);
        REQUIRE(t.rows == 0 && t.cols == 0 && !t.values && !t.line && !t.names);
    }
    csv_free(&t);
    fclose(f);
    free(copy);
    return 0;
}
