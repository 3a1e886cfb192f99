/* plot.h - learning-curve pictures through gnuplot, for the mlp command
 * and the examples. Not part of libmlp. */
#ifndef MLP_TOOLS_PLOT_H
#define MLP_TOOLS_PLOT_H

#include <stddef.h>

/* 1 when a gnuplot executable is on PATH. */
int plot_have_gnuplot(void);

/* Writes a PNG of the training cost (and the validation cost unless val is
 * NULL) over epochs 1..n to png_path with gnuplot. NaN entries are
 * skipped. png_path must be a regular file or not exist (a FIFO, a device
 * or a link to one is refused). The PNG is written to a temporary file in
 * the same directory and renamed over png_path (through a link, over the
 * file it names) only when whole: when the plot fails, a previous file is
 * left as it was.
 * Returns 0, or -1 with a message in err. */
int plot_learning_curve(const char *png_path, const char *title,
                        const double *train, const double *val, size_t n,
                        char *err, size_t err_size);

#endif
