/* plot.c - see plot.h. */
#define _POSIX_C_SOURCE 200809L /* popen */

#include "plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int plot_have_gnuplot(void)
{
    const char *path = getenv("PATH");
    if (!path)
        return 0;
    char dir[4096];
    while (*path) {
        size_t n = strcspn(path, ":");
        if (n > 0 && n < sizeof dir - 16) {
            memcpy(dir, path, n);
            strcpy(dir + n, "/gnuplot");
            if (access(dir, X_OK) == 0)
                return 1;
        }
        path += n;
        if (*path == ':')
            path++;
    }
    return 0;
}

/* A gnuplot single-quoted string: a quote inside is written twice. */
static void put_quoted(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        fputc(*s, f);
    }
    fputc('\'', f);
}

int plot_learning_curve(const char *png, const char *title,
                        const double *train, const double *val, size_t n,
                        char *err, size_t size)
{
    if (!plot_have_gnuplot()) {
        snprintf(err, size, "cannot write %s: gnuplot is not installed "
                 "(on Debian: apt-get install gnuplot-nox)", png);
        return -1;
    }
    FILE *g = popen("gnuplot", "w");
    if (!g) {
        snprintf(err, size, "cannot write %s: could not start gnuplot", png);
        return -1;
    }
    /* Remove a stale picture so that success means a new file. */
    remove(png);
    fputs("set terminal png size 900,560\nset output ", g);
    put_quoted(g, png);
    fputs("\nset title ", g);
    put_quoted(g, title);
    fputs("\nset xlabel 'epoch'\nset ylabel 'cost (log scale)'\n"
          "set logscale y\nset grid\nset key top right\n$curve << EOD\n", g);
    for (size_t i = 0; i < n; i++)
        fprintf(g, "%zu %.9g %.9g\n", i + 1, train[i],
                val && isfinite(val[i]) ? val[i] : NAN);
    fputs("EOD\nplot $curve using 1:2 with linespoints pt 7 ps 0.5 "
          "title 'training cost'", g);
    if (val)
        fputs(", $curve using 1:3 with linespoints pt 7 ps 0.5 "
              "title 'validation cost'", g);
    fputs("\n", g);
    int status = pclose(g);
    FILE *check = fopen(png, "rb");
    unsigned char sig[8] = { 0 };
    int ok = check && fread(sig, 1, 8, check) == 8 &&
             memcmp(sig, "\x89PNG\r\n\x1a\n", 8) == 0;
    if (check)
        fclose(check);
    if (status != 0 || !ok) {
        snprintf(err, size, "cannot write %s: gnuplot failed (exit status %d)",
                 png, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return -1;
    }
    return 0;
}
