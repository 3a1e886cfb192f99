/*
 * test_status.c - lib/status.c: mlp_version against the header's version
 * macros, and mlp_strerror: a distinct, non-empty message for every status
 * code, and the documented fallback for values that are not one.
 */
#include <stdio.h>
#include <string.h>

#include "mlp.h"
#include "test_util.h"

START_TEST(test_version)
{
    char want[64];
    snprintf(want, sizeof want, "%d.%d.%d", MLP_VERSION_MAJOR,
             MLP_VERSION_MINOR, MLP_VERSION_PATCH);
    ck_assert_ptr_nonnull(mlp_version());
    ck_assert_str_eq(mlp_version(), want);
}
END_TEST

START_TEST(test_messages)
{
    static const mlp_status codes[] = { MLP_OK, MLP_ERR_ARG, MLP_ERR_NOMEM,
                                        MLP_ERR_NONFINITE, MLP_ERR_IO,
                                        MLP_ERR_FORMAT };
    const size_t n = sizeof codes / sizeof codes[0];
    const char *unknown = mlp_strerror((mlp_status)9999);
    ck_assert_ptr_nonnull(unknown);
    ck_assert_uint_gt(strlen(unknown), 0);
    ck_assert_str_eq(mlp_strerror((mlp_status)-1), unknown);
    for (size_t i = 0; i < n; i++) {
        const char *m = mlp_strerror(codes[i]);
        ck_assert_ptr_nonnull(m);
        ck_assert_uint_gt(strlen(m), 0);
        ck_assert_str_ne(m, unknown);
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(m, mlp_strerror(codes[j]));
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("status");
    TCase *tc = tcase_create("status");
    tcase_add_test(tc, test_version);
    tcase_add_test(tc, test_messages);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
