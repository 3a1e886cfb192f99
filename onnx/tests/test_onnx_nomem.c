/* test_onnx_nomem.c - every allocation of libmlp_onnx failing in turn.
 *
 * This program links a copy of the library whose malloc, calloc, realloc
 * and free are renamed to the counting functions below (onnx/tests/
 * meson.build). For k = 1, 2, ... the k-th allocation fails: import and
 * export must return MLP_ERR_NOMEM, set no network, leave nothing
 * allocated, and succeed once k is past the last allocation. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlp.h"
#include "mlp_onnx.h"

static unsigned long fail_at, calls;
static long live;

static void *count(void *p)
{
    if (p)
        live++;
    return p;
}

static int should_fail(void)
{
    return fail_at && ++calls == fail_at;
}

void *mlp_onnx_test_malloc(size_t size);
void *mlp_onnx_test_calloc(size_t n, size_t size);
void *mlp_onnx_test_realloc(void *p, size_t size);
void mlp_onnx_test_free(void *p);

void *mlp_onnx_test_malloc(size_t size)
{
    return should_fail() ? NULL : count(malloc(size));
}

void *mlp_onnx_test_calloc(size_t n, size_t size)
{
    return should_fail() ? NULL : count(calloc(n, size));
}

void *mlp_onnx_test_realloc(void *p, size_t size)
{
    if (should_fail())
        return NULL;
    void *q = realloc(p, size);
    if (q && !p)
        live++;
    return q;
}

void mlp_onnx_test_free(void *p)
{
    if (p)
        live--;
    free(p);
}

static char path[] = "/tmp/mlp-onnx-nomem-XXXXXX";

/* A network with input and output scaling, exported to path. */
static mlp_t *make_net(void)
{
    const size_t sizes[] = {3, 5, 4, 2};
    const mlp_activation acts[] = {MLP_TANH, MLP_RELU, MLP_IDENTITY};
    const double in_mean[] = {1, 2, 3}, in_std[] = {2, 2, 2};
    const double out_mean[] = {-1, 1}, out_std[] = {3, 4};
    mlp_t *net = NULL;
    ck_assert_int_eq(mlp_create(&net, 3, sizes, acts, MLP_MSE, 5), MLP_OK);
    ck_assert_int_eq(mlp_set_scaling(net, in_mean, in_std, out_mean, out_std), MLP_OK);
    return net;
}

START_TEST(test_export_nomem)
{
    mlp_t *net = make_net();
    unsigned long k;
    for (k = 1;; k++) {
        fail_at = k, calls = 0, live = 0;
        unlink(path);
        mlp_status s = mlp_onnx_export(net, path);
        fail_at = 0;
        if (calls < k) {
            ck_assert_int_eq(s, MLP_OK);
            break;
        }
        ck_assert_msg(s == MLP_ERR_NOMEM, "allocation %lu failing: status %d", k, (int)s);
        ck_assert_msg(live == 0, "allocation %lu failing: %ld blocks leaked", k, live);
        ck_assert(access(path, F_OK) != 0);
    }
    printf("export: each of its %lu allocations failing gives MLP_ERR_NOMEM\n", k - 1);
    ck_assert_uint_ge(k, 5);
    mlp_free(net);
    unlink(path);
}
END_TEST

START_TEST(test_import_nomem)
{
    mlp_t *net = make_net();
    ck_assert_int_eq(mlp_onnx_export(net, path), MLP_OK);
    mlp_free(net);
    unsigned long k;
    for (k = 1;; k++) {
        char why[128];
        fail_at = k, calls = 0, live = 0;
        net = (mlp_t *)&net;
        mlp_status s = mlp_onnx_import(&net, path, MLP_MSE, why, sizeof why);
        fail_at = 0;
        if (calls < k) {
            ck_assert_int_eq(s, MLP_OK);
            mlp_free(net);
            break;
        }
        ck_assert_msg(s == MLP_ERR_NOMEM, "allocation %lu failing: status %d (%s)",
                      k, (int)s, why);
        ck_assert_str_eq(why, "out of memory");
        ck_assert(net == NULL);
        ck_assert_msg(live == 0, "allocation %lu failing: %ld blocks leaked", k, live);
    }
    printf("import: each of its %lu allocations failing gives MLP_ERR_NOMEM\n", k - 1);
    ck_assert_uint_ge(k, 20);
    unlink(path);
}
END_TEST

int main(void)
{
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("mkstemp");
        return 1;
    }
    close(fd);
    Suite *suite = suite_create("onnx-nomem");
    TCase *tc = tcase_create("nomem");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_export_nomem);
    tcase_add_test(tc, test_import_nomem);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    unlink(path);
    return failed > 64 ? 64 : failed;
}
