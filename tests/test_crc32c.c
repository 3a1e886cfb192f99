/*
 * test_crc32c.c - CRC-32C (lib/crc32c.c), the model files' checksum,
 * against published check values: the catalogue value for "123456789"
 * and the four 32-byte vectors of RFC 3720, appendix B.4. Feeding a
 * message in pieces must give the value of feeding it whole. Exact.
 */
#include <stdint.h>
#include <string.h>

#include "crc32c.h"
#include "test_util.h"

START_TEST(test_check_values)
{
    unsigned char zeros[32], ones[32], up[32], down[32];
    memset(zeros, 0, sizeof zeros);
    memset(ones, 0xff, sizeof ones);
    for (int i = 0; i < 32; i++) {
        up[i] = (unsigned char)i;
        down[i] = (unsigned char)(31 - i);
    }
    ck_assert_uint_eq(mlp__crc32c(0, "123456789", 9), 0xE3069283u);
    ck_assert_uint_eq(mlp__crc32c(0, zeros, 32), 0x8A9136AAu);
    ck_assert_uint_eq(mlp__crc32c(0, ones, 32), 0x62A8AB43u);
    ck_assert_uint_eq(mlp__crc32c(0, up, 32), 0x46DD794Eu);
    ck_assert_uint_eq(mlp__crc32c(0, down, 32), 0x113FDB5Cu);
    ck_assert_uint_eq(mlp__crc32c(0, "", 0), 0u);
}
END_TEST

START_TEST(test_pieces)
{
    unsigned char msg[1000];
    test_rng rng;
    test_rng_seed(&rng, 41);
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (unsigned char)test_rng_next(&rng);
    uint32_t whole = mlp__crc32c(0, msg, sizeof msg);
    /* Every split point, including the empty first and last piece, and
     * odd ones that leave any word-at-a-time loop misaligned. */
    for (size_t cut = 0; cut <= sizeof msg; cut++) {
        uint32_t c = mlp__crc32c(0, msg, cut);
        ck_assert_uint_eq(mlp__crc32c(c, msg + cut, sizeof msg - cut), whole);
    }
    /* One flipped bit anywhere changes the value. */
    for (size_t i = 0; i < sizeof msg; i += 37) {
        msg[i] ^= 0x10;
        ck_assert_uint_ne(mlp__crc32c(0, msg, sizeof msg), whole);
        msg[i] ^= 0x10;
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("crc32c");
    TCase *tc = tcase_create("crc32c");
    tcase_add_test(tc, test_check_values);
    tcase_add_test(tc, test_pieces);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
