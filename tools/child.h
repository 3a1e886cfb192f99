/* child.h - running gzip and gnuplot for the mlp command and the examples
 * without a shell: arguments are passed as they are, never pasted into a
 * command line. Not part of libmlp. */
#ifndef MLP_TOOLS_CHILD_H
#define MLP_TOOLS_CHILD_H

#include <stdio.h>
#include <sys/types.h>

/* Starts argv[0] (searched on PATH) with argv. The child's standard input
 * is in_fd, its standard output out_fd and its standard error err_fd; a
 * negative fd gives the child a pipe whose other end is returned in *pipe
 * ("w" for its input, "r" for its output: exactly one of in_fd and out_fd
 * may be negative). err_fd -1 means /dev/null. Returns the child's pid, or
 * -1 with errno set. */
pid_t child_start(char *const argv[], int in_fd, int out_fd, int err_fd, FILE **pipe);

/* Waits for the child; returns its exit status, or -1 when it could not be
 * waited for or did not exit normally. */
int child_wait(pid_t pid);

#endif
