/* plot.c - see plot.h. gnuplot writes the PNG to its standard output,
 * which is a temporary file this process made beside the target: the file
 * name never reaches gnuplot or a shell, so no name can run a command, a
 * path that cannot be written fails here with the system's reason, and
 * the target is replaced by a rename only once the new PNG is whole
 * (lib/atomic_file.c, as mlp_save does), so a plot that fails (a full
 * disk) leaves the previous one as it was. */
#define _XOPEN_SOURCE 700 /* umask */

#include "plot.h"
#include "atomic_file.h"
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

/* The mode open(0666) would give a new file. */
static mode_t new_file_mode(void)
{
    mode_t mask = umask(0);
    umask(mask);
    return 0666 & ~mask;
}

/* Runs gnuplot with its standard output on fd; 0 when it exited 0 and fd
 * holds a PNG, else -1 with the reason in err. */
static int run_gnuplot(int fd, const char *png, const char *title,
                       const double *train, const double *val, size_t n,
                       char *err, size_t size)
{
    char *argv[] = { "gnuplot", NULL };
    FILE *g = NULL;
    pid_t pid = child_start(argv, -1, fd, STDERR_FILENO, &g);
    if (pid < 0) {
        snprintf(err, size, "cannot write %s: could not start gnuplot: %s", png,
                 strerror(errno));
        return -1;
    }
    write_script(g, title, train, val, n);
    int closed = fclose(g), status = child_wait(pid);
    if (closed == 0 && status == 0 && is_png(fd))
        return 0;
    if (closed == 0 && status == 0)
        snprintf(err, size, "cannot write %s: gnuplot wrote no PNG there "
                 "(is the disk full?)", png);
    else
        snprintf(err, size, "cannot write %s: gnuplot failed (exit status "
                 "%d)", png, status);
    return -1;
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
    /* The PNG replaces png as lib/atomic_file.h says: only a regular
     * file (a FIFO would block, a device would be replaced), through a
     * link the file it names, keeping its mode. */
    struct mlp__atomic_file *f = malloc(sizeof *f);
    enum mlp__atomic_result r = !f ? MLP__ATOMIC_FAILED
                                   : mlp__atomic_begin(f, png, ".mlp-plot-",
                                                       new_file_mode());
    if (!f)
        errno = ENOMEM;
    int rc = r == MLP__ATOMIC_OK
                 ? run_gnuplot(f->fd, png, title, train, val, n, err, size)
                 : -1;
    if (rc == 0)
        r = mlp__atomic_commit(f);
    else if (r == MLP__ATOMIC_OK)
        mlp__atomic_abort(f);
    if (r == MLP__ATOMIC_NOT_REGULAR)
        snprintf(err, size, "cannot write %s: not a regular file", png);
    else if (r != MLP__ATOMIC_OK)
        snprintf(err, size, "cannot write %s: %s", png, strerror(errno));
    free(f);
    return r == MLP__ATOMIC_OK && rc == 0 ? 0 : -1;
}
