/*
 * test_save_crash.c - crash consistency of mlp_save.
 *
 * A child process saves two different models in turn to one path, over and
 * over; the parent kills it with SIGKILL at a random moment, KILLS times
 * (50, or MLP_TEST_KILLS). The moment is uniform over three save times, so
 * kills land before, inside and between saves. After every kill:
 *   - the file at the path loads, and its parameters are bit for bit those
 *     of one of the two models (the old or the new one, never a mix);
 *   - the directory holds that file and nothing else: a killed save leaves
 *     no temporary file behind.
 * The kill moments come from a fixed seed, so a failure can be replayed.
 */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <dirent.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mlp.h"

/* About 0.7 MB per file: a save takes long enough to be hit inside. */
static const size_t sizes[] = { 64, 256, 256, 10 };

static char dir[] = "save-crash-XXXXXX";
static char path[64];
static mlp_t *models[2];

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void sleep_for(double seconds)
{
    struct timespec t = { (time_t)seconds,
                          (long)((seconds - (double)(time_t)seconds) * 1e9) };
    while (nanosleep(&t, &t) != 0)
        ;
}

/* Which of the two models the file holds: 0, 1, or -1 for neither. */
static int which_model(const char *file)
{
    mlp_t *net = NULL;
    mlp_status s = mlp_load(&net, file);
    ck_assert_msg(s == MLP_OK, "%s after a kill does not load: %s", file,
                  mlp_strerror(s));
    int found = -1;
    for (int m = 0; m < 2 && found < 0; m++)
        if (mlp_n_params(net) == mlp_n_params(models[m]) &&
            memcmp(mlp_params(net), mlp_params(models[m]),
                   mlp_n_params(net) * sizeof(double)) == 0)
            found = m;
    mlp_free(net);
    return found;
}

/* Checks what a kill left beside the model: nothing, or complete
 * `.mlp-save-XXXXXX` files (each one removed here); returns their count. */
static int check_leftovers(double delay)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int left = 0;
    struct dirent *e;
    char file[600];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
            !strcmp(e->d_name, "model.mlp"))
            continue;
        ck_assert_msg(fnmatch(".mlp-save-??????", e->d_name, 0) == 0,
                      "a kill %.6f s into saving left %s", delay, e->d_name);
        snprintf(file, sizeof file, "%s/%s", dir, e->d_name);
        ck_assert_msg(which_model(file) >= 0, "a kill %.6f s into saving "
                      "left %s, which is not a complete model", delay,
                      e->d_name);
        ck_assert_int_eq(unlink(file), 0);
        left++;
    }
    closedir(d);
    return left;
}

/* The child: tell the parent it is running, then save 0, 1, 0, 1, ... */
static void saver(int ready_fd)
{
    char go = 1;
    if (write(ready_fd, &go, 1) != 1)
        _exit(2);
    for (unsigned long k = 1;; k++)
        if (mlp_save(models[k % 2], path) != MLP_OK)
            _exit(3);
}

static void kill_one(double delay, int *seen, int *leftovers)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        saver(fds[1]);
    }
    close(fds[1]);
    char go;
    ck_assert_int_eq(read(fds[0], &go, 1), 1);
    close(fds[0]);
    sleep_for(delay);
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    int ws;
    ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
    ck_assert_msg(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL,
                  "the saving child ended on its own (status %d)", ws);
    int m = which_model(path);
    ck_assert_msg(m >= 0, "after a kill %.6f s in, the file is neither model",
                  delay);
    seen[m]++;
    int left = check_leftovers(delay);
    ck_assert_int_le(left, 1);
    *leftovers += left;
}

START_TEST(test_kills)
{
    const char *env = getenv("MLP_TEST_KILLS");
    long kills = env ? strtol(env, NULL, 10) : 50;
    ck_assert_int_gt(kills, 0);
    /* How long one save takes here, to spread the kills over a few. */
    double t0 = now();
    for (int k = 0; k < 4; k++)
        ck_assert_int_eq(mlp_save(models[k % 2], path), MLP_OK);
    double save_time = (now() - t0) / 4;
    uint64_t rng = 20261129;
    int seen[2] = { 0, 0 }, leftovers = 0;
    for (long k = 0; k < kills; k++) {
        rng = rng * 6364136223846793005u + 1442695040888963407u;
        double u = (double)(rng >> 11) / 9007199254740992.0;
        kill_one(u * 3 * save_time, seen, &leftovers);
    }
    printf("%ld kills (one save: %.3f ms): the file held the first model "
           "%d times, the second %d times, never anything else; %d complete "
           "temporary file(s) left by a kill between link and rename\n",
           kills, 1e3 * save_time, seen[0], seen[1], leftovers);
}
END_TEST

/* Removes everything in dir, then dir. */
static void remove_dir(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char file[600];
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(file, sizeof file, "%s/%s", dir, e->d_name);
            unlink(file);
        }
    if (d)
        closedir(d);
    rmdir(dir);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/model.mlp", dir);
    for (int m = 0; m < 2; m++)
        if (mlp_create(&models[m], 3, sizes, NULL, MLP_MSE,
                       100 + (uint64_t)m) != MLP_OK)
            return 1;
    Suite *s = suite_create("save_crash");
    TCase *tc = tcase_create("SIGKILL during saves");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_kills);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    remove_dir();
    mlp_free(models[0]);
    mlp_free(models[1]);
    return failed > 64 ? 64 : failed;
}
