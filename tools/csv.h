/* csv.h - a strict reader of numeric CSV files for the mlp command and the
 * examples. Not part of libmlp. */
#ifndef MLP_TOOLS_CSV_H
#define MLP_TOOLS_CSV_H

#include <stddef.h>
#include <stdio.h>

typedef struct csv_table {
    size_t rows, cols;
    double *values;     /* rows x cols, row-major */
    size_t *line;       /* line[r]: the file line (1-based) of row r */
    char **names;       /* cols column names from a header line, or NULL */
    size_t header_line; /* the file line of the header; 0 without one */
} csv_table;

typedef struct csv_options {
    int progress;       /* 1: on a slow read, show progress on stderr (a
                           redrawn line: for terminals only) */
} csv_options;

/* Reads `path`: "-" is standard input; a name ending in ".gz" is
 * decompressed through `gzip -dc` (run directly, no shell). Pipes and FIFOs
 * work: the input is read once, from start to end. Fields are separated by
 * commas; spaces around a field are ignored, and so are blank lines and a
 * UTF-8 byte order mark at the start. A field may be enclosed in double
 * quotes, as RFC 4180 has it (R's write.csv quotes its header): the quotes
 * are removed, "" inside them is one quote, a comma inside them is text,
 * and nothing but blanks may follow the closing quote; a quoted field
 * cannot span lines. Each of these is an error naming the line and column.
 * When the first line holds a field that is not a number it is taken as
 * the header of column names (nan, inf and 1e999 are numbers here, so
 * such a first line is an error, not a header). Every other field must be
 * a finite number, quoted or not ("2.5" reads as 2.5; blanks inside the
 * quotes are not part of a number), and every row must have as many
 * fields as the first. options may be NULL.
 * Returns 0, or -1 with a message naming the file and line written into
 * err (err_size bytes); the table is then empty. */
int csv_load(const char *path, const csv_options *options, csv_table *table,
             char *err, size_t err_size);

/* csv_load(path, NULL, ...). */
int csv_read(const char *path, csv_table *table, char *err, size_t err_size);

/* Reads an open stream to its end, as csv_load does; `name` names it in
 * messages. The stream is not closed. */
int csv_parse(FILE *f, const char *name, const csv_options *options,
              csv_table *table, char *err, size_t err_size);

void csv_free(csv_table *table);

#endif
