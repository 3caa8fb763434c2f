/* Unit tests for the SHA-256 implementation against the FIPS 180-4 example vectors. */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sha256.h"

static void digest_hex(attn_sha256 *ctx, char hex[65]) {
    uint8_t digest[32];
    attn_sha256_final(ctx, digest);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}

Test(sha256, empty_string) {
    char hex[65];
    attn_sha256_hex("", 0, hex);
    cr_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

Test(sha256, abc) {
    char hex[65];
    attn_sha256_hex("abc", 3, hex);
    cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

Test(sha256, two_block_message) {
    const char *msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    char hex[65];
    attn_sha256_hex(msg, strlen(msg), hex);
    cr_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* Chunk sizes chosen to straddle block boundaries in every way. */
Test(sha256, million_a_in_uneven_chunks) {
    static char a[1000];
    memset(a, 'a', sizeof a);
    static const size_t chunks[] = {1, 63, 64, 65, 127, 7, 1000, 0, 333, 55, 56, 57};
    attn_sha256 ctx;
    attn_sha256_init(&ctx);
    size_t left = 1000000, i = 0;
    while (left > 0) {
        size_t n = chunks[i++ % (sizeof chunks / sizeof chunks[0])];
        if (n > left)
            n = left;
        attn_sha256_update(&ctx, a, n);
        left -= n;
    }
    char hex[65];
    digest_hex(&ctx, hex);
    cr_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Messages of 55, 56 and 64 bytes exercise the padding edge cases; the expected digests
 * come from sha256sum. */
Test(sha256, padding_boundaries) {
    char buf[64];
    memset(buf, 'a', sizeof buf);
    char hex[65];
    attn_sha256_hex(buf, 55, hex);
    cr_assert_str_eq(hex, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    attn_sha256_hex(buf, 56, hex);
    cr_assert_str_eq(hex, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    attn_sha256_hex(buf, 64, hex);
    cr_assert_str_eq(hex, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

Test(sha256, file_matches_buffer) {
    char dir[] = "/tmp/attn_sha256_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/data.bin", dir);
    /* Larger than the file reader's chunk so that streaming is exercised. */
    size_t size = 200003;
    unsigned char *data = malloc(size);
    cr_assert_not_null(data);
    for (size_t i = 0; i < size; i++)
        data[i] = (unsigned char)(i * 131 + (i >> 9));
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, size, f), size);
    cr_assert_eq(fclose(f), 0);

    char expected[65], hex[65];
    attn_sha256_hex(data, size, expected);
    attn_error err = {0};
    int rc = attn_sha256_file(path, hex, &err);
    unlink(path);
    cr_assert_eq(rc, 0, "%s", err.message);
    cr_assert_str_eq(hex, expected);

    rc = attn_sha256_file(path, hex, &err);
    rmdir(dir);
    free(data);
    cr_assert_eq(rc, -1);
    cr_assert(strstr(err.message, path) == err.message, "message: %s", err.message);
    cr_assert(strstr(err.message, "No such file"), "message: %s", err.message);
}

Test(sha256, file_known_digest) {
    char dir[] = "/tmp/attn_sha256_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/abc.txt", dir);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert(fputs("abc", f) >= 0);
    cr_assert_eq(fclose(f), 0);
    char hex[65];
    attn_error err = {0};
    int rc = attn_sha256_file(path, hex, &err);
    unlink(path);
    rmdir(dir);
    cr_assert_eq(rc, 0, "%s", err.message);
    cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
