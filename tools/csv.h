/* csv.h - a strict reader of numeric CSV files for the mlp command and the
 * examples. Not part of libmlp. */
#ifndef MLP_TOOLS_CSV_H
#define MLP_TOOLS_CSV_H

#include <stddef.h>

typedef struct csv_table {
    size_t rows, cols;
    double *values;     /* rows x cols, row-major */
    size_t *line;       /* line[r]: the file line (1-based) of row r */
    char **names;       /* cols column names from a header line, or NULL */
} csv_table;

/* Reads `path` (gzip-compressed when it ends in ".gz", through gzip -dc).
 * Fields are separated by commas; spaces around a field are ignored, and
 * so are blank lines. When the first line holds a field that is not a
 * number it is taken as the header of column names. Every other field must
 * be a finite number, and every row must have as many fields as the first.
 * Returns 0, or -1 with a message naming the file and line written into
 * err (err_size bytes); the table is then empty. */
int csv_read(const char *path, csv_table *table, char *err, size_t err_size);

void csv_free(csv_table *table);

#endif
