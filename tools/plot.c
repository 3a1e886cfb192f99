/* plot.c - see plot.h. gnuplot writes the PNG to its standard output,
 * which is the file this process opened: the file name never reaches
 * gnuplot or a shell, so no name can run a command, and a path that cannot
 * be written fails here with the system's reason. */
#define _POSIX_C_SOURCE 200809L

#include "plot.h"
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* A gnuplot single-quoted string: a quote inside is written twice, and a
 * line break (which would end the command) becomes a space. */
static void put_quoted(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
    }
    fputc('\'', f);
}

static void write_script(FILE *g, const char *title, const double *train,
                         const double *val, size_t n)
{
    fputs("set terminal png size 900,560\nset title ", g);
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
}

static int is_png(int fd)
{
    unsigned char sig[8] = { 0 };
    return lseek(fd, 0, SEEK_SET) == 0 && read(fd, sig, 8) == 8 &&
           memcmp(sig, "\x89PNG\r\n\x1a\n", 8) == 0;
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
    struct stat st;
    if (stat(png, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* A FIFO would block, and a device or a link to one would be
         * removed when the check of the PNG fails. */
        snprintf(err, size, "cannot write %s: not a regular file", png);
        return -1;
    }
    int fd = open(png, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        snprintf(err, size, "cannot write %s: %s", png, strerror(errno));
        return -1;
    }
    char *argv[] = { "gnuplot", NULL };
    FILE *g = NULL;
    pid_t pid = child_start(argv, -1, fd, STDERR_FILENO, &g);
    if (pid < 0) {
        snprintf(err, size, "cannot write %s: could not start gnuplot: %s", png,
                 strerror(errno));
        close(fd);
        remove(png);
        return -1;
    }
    write_script(g, title, train, val, n);
    int closed = fclose(g), status = child_wait(pid), ok = is_png(fd);
    close(fd);
    if (closed != 0 || status != 0 || !ok) {
        if (closed == 0 && status == 0)
            snprintf(err, size, "cannot write %s: gnuplot wrote no PNG there "
                     "(is the disk full?)", png);
        else
            snprintf(err, size, "cannot write %s: gnuplot failed (exit status "
                     "%d)", png, status);
        remove(png);
        return -1;
    }
    return 0;
}
