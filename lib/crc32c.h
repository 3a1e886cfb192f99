/* crc32c.h - CRC-32C (Castagnoli) for model files. Internal. */
#ifndef MLP_CRC32C_H
#define MLP_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* The CRC-32C of `size` bytes continued from `crc`: start with 0, and
 * feeding a message in pieces gives the same value as feeding it whole. */
uint32_t mlp__crc32c(uint32_t crc, const void *data, size_t size);

#endif
