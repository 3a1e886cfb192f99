/* args.h - numeric command-line values of the benchmark programs.
 *
 * A value that is not wholly a number in its range stops the program with
 * a message naming the option and exit status 2, rather than running with
 * whatever atoi or strtod made of it ("10x" as 10, "abc" as 0). */
#ifndef BENCH_ARGS_H
#define BENCH_ARGS_H

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* A real number in [lo, hi] (NaN is never in range). */
static inline double bench_real_arg(const char *option, const char *text,
                                    double lo, double hi)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE ||
        !(v >= lo && v <= hi)) {
        fprintf(stderr, "%s: \"%s\" is not a number from %g to %g\n",
                option, text, lo, hi);
        exit(2);
    }
    return v;
}

/* A whole number in [lo, hi], written in decimal digits only (strtoull
 * alone would take "-1" as 2^64 - 1). */
static inline unsigned long long bench_whole_arg(const char *option,
                                                 const char *text,
                                                 unsigned long long lo,
                                                 unsigned long long hi)
{
    char *end = NULL;
    unsigned long long v = 0;
    errno = 0;
    if (isdigit((unsigned char)text[0]))
        v = strtoull(text, &end, 10);
    if (!end || *end != '\0' || errno == ERANGE || v < lo || v > hi) {
        fprintf(stderr, "%s: \"%s\" is not a whole number from %llu to %llu\n",
                option, text, lo, hi);
        exit(2);
    }
    return v;
}

#endif
