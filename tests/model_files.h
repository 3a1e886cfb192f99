/*
 * model_files.h - helpers shared by test_codec.c and test_modelfile.c:
 * reading and writing whole files, scratch directories, the networks the
 * two suites save (one per optimizer shape and output/loss pairing), and
 * comparisons of what a file must keep. Each fails the running test on
 * any error. Built in the precision of the suite that uses it.
 */
#ifndef MLP_TEST_MODEL_FILES_H
#define MLP_TEST_MODEL_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "test_util.h"

struct config {
    mlp_activation hidden, out;
    mlp_loss loss;
    real momentum;
    bool adam;
    real weight_decay;
};

enum { N_CONFIGS = 9 };
/* The rows of the batches these networks train and predict on. */
enum { B = 4 };
/* Every activation as a hidden layer and every valid output/loss pairing;
 * each optimizer shape (SGD without state, with a velocity, Adam with its
 * moments and step count); with and without weight decay. */
extern const struct config configs[N_CONFIGS];

/* The whole file at path, malloc-ed; its length in *size. */
unsigned char *read_all(const char *path, size_t *size);
/* Writes data to path, replacing it. */
void write_all(const char *path, const void *data, size_t size);
/* A new scratch directory under $TMPDIR or /tmp; free with remove_dir. */
char *make_dir(void);
/* The number of entries in dir besides . and .. */
int count_entries(const char *dir);
/* Removes dir, the files in it, and frees the name. */
void remove_dir(char *dir);
/* Deterministic values in (-1, 1), computed without the library. */
void fill(real *x, size_t n, unsigned seed);
/* A batch of targets that suit the loss: one-hot rows for cross-entropy. */
void targets(real *T, size_t batch, size_t n_out, mlp_loss loss);
/* The bytes mlp_save writes for net (through a file, as users do). */
unsigned char *save_bytes(const mlp_t *net, const char *dir, size_t *size);
/* Everything a caller can observe of a network that a file must keep. */
void assert_same_network(mlp_t *a, mlp_t *b);
/* A network that loaded from a damaged file must still be usable: finite
 * parameters and a working predict. (Saving it again is not checked here:
 * thousands of fsyncs would make the test slow; round_trip covers saving.) */
void assert_usable(mlp_t *net);
/* x little-endian at p. */
void put_u32(unsigned char *p, uint32_t x);
/* Recomputes the trailing checksum, so that a damaged file reaches the
 * field checks behind it, as a forged file would. */
void fix_crc(unsigned char *data, size_t size);
/* A 3-5-4-3 network of configuration c, with its optimizer, weight decay
 * and scaling set. */
mlp_t *make_net(const struct config *c, uint64_t seed);
/* The scaling of a and b, bit for bit. */
void assert_same_scaling(const mlp_t *a, const mlp_t *b);
/* `steps` training steps on a fixed batch of B rows. */
void train(mlp_t *net, const struct config *c, int steps);

#endif
