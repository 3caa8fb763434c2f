/* SHA-256 (FIPS 180-4), used to checksum golden files in sha256sum(1) format. */
#ifndef ATTN_SHA256_H
#define ATTN_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct attn_sha256 {
    uint32_t state[8];
    uint64_t length; /* bytes hashed so far */
    uint8_t block[64];
    size_t used; /* bytes waiting in block */
} attn_sha256;

void attn_sha256_init(attn_sha256 *ctx);
void attn_sha256_update(attn_sha256 *ctx, const void *data, size_t size);
void attn_sha256_final(attn_sha256 *ctx, uint8_t digest[32]);
/* Lower-case hex of the digest of data: hex must hold 65 bytes. */
void attn_sha256_hex(const void *data, size_t size, char hex[65]);
/* Hex digest of the whole file at path. */
int attn_sha256_file(const char *path, char hex[65], attn_error *err);

#endif
