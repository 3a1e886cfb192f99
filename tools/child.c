/* child.c - see child.h. */
#define _POSIX_C_SOURCE 200809L

#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int cloexec_pipe(int fds[2])
{
    if (pipe(fds) != 0)
        return -1;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return 0;
}

static int add_fd(posix_spawn_file_actions_t *fa, int fd, int target)
{
    if (fd < 0)
        return posix_spawn_file_actions_addopen(fa, target, "/dev/null",
                                                O_WRONLY, 0);
    return posix_spawn_file_actions_adddup2(fa, fd, target);
}

static int spawn_with(char *const argv[], int in_fd, int out_fd, int err_fd,
                      pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    int rc = posix_spawn_file_actions_init(&fa);
    if (rc != 0)
        return rc;
    rc = posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    if (rc == 0)
        rc = add_fd(&fa, err_fd, 2);
    if (rc == 0)
        rc = posix_spawnp(pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

pid_t child_start(char *const argv[], int in_fd, int out_fd, int err_fd,
                  FILE **pipe_end)
{
    int fds[2], reading = out_fd < 0;
    pid_t pid = -1;
    if ((in_fd < 0) == (out_fd < 0)) {
        errno = EINVAL;
        return -1;
    }
    if (cloexec_pipe(fds) != 0)
        return -1;
    int rc = reading ? spawn_with(argv, in_fd, fds[1], err_fd, &pid)
                     : spawn_with(argv, fds[0], out_fd, err_fd, &pid);
    int mine = reading ? fds[0] : fds[1];
    close(reading ? fds[1] : fds[0]);
    if (rc == 0 && (*pipe_end = fdopen(mine, reading ? "r" : "w")) != NULL)
        return pid;
    close(mine);
    if (rc == 0)
        child_wait(pid);
    errno = rc ? rc : errno;
    return -1;
}

int child_wait(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
