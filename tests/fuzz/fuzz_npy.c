/* libFuzzer target: arbitrary bytes as an .npy file for attn_npy_read (harness/core/npy.h).
 *
 * Each input is written over one temporary file (made once per process with mkstemp in
 * $TMPDIR or /tmp) and read back.
 *
 * Properties:
 *   - success: dtype is f32 or f64, 0 <= rank <= ATTN_NPY_MAX_RANK, extents >= 0, count
 *     is the product of the shape (no overflow), and the payload read is exactly the last
 *     count * itemsize bytes of the input (the reader refuses trailing bytes);
 *     attn_npy_write of that array succeeds, reading the written file gives the same
 *     dtype, shape and identical data bytes, and writing that again gives a
 *     byte-identical file (the writer is deterministic);
 *   - failure: a kind and a non-empty message, and the output array left empty. */
#define _XOPEN_SOURCE 700
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../harness/core/npy.h"
#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char input_path[PATH_MAX];  /* the input, rewritten for every run */
static char output_path[PATH_MAX]; /* the array written back */
static char again_path[PATH_MAX];  /* the array written back a second time */

static void cleanup(void) {
    unlink(input_path);
    unlink(output_path);
    unlink(again_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR");
    snprintf(input_path, sizeof input_path, "%s/attnbench-fuzz-npy-XXXXXX",
             tmp && tmp[0] == '/' ? tmp : "/tmp");
    int fd = mkstemp(input_path);
    if (fd < 0) {
        perror("mkstemp");
        abort();
    }
    close(fd);
    snprintf(output_path, sizeof output_path, "%s.out.npy", input_path);
    snprintf(again_path, sizeof again_path, "%s.again.npy", input_path);
    atexit(cleanup);
    return 0;
}

static size_t item_size(attn_dtype dtype) {
    return dtype == ATTN_DTYPE_F64 ? 8 : 4;
}

static void check_empty(const attn_array *a, const char *what) {
    FUZZ_CHECK(a->data == NULL && a->count == 0 && a->rank == 0,
               "%s failed but left data %p, count %zu, rank %d", what, a->data, a->count, a->rank);
}

static void check_array(const attn_array *a, const char *what) {
    FUZZ_CHECK(a->dtype == ATTN_DTYPE_F32 || a->dtype == ATTN_DTYPE_F64, "%s: dtype %d", what,
               (int)a->dtype);
    FUZZ_CHECK(a->rank >= 0 && a->rank <= ATTN_NPY_MAX_RANK, "%s: rank %d", what, a->rank);
    FUZZ_CHECK(a->data != NULL, "%s: no data buffer", what);
    uint64_t product = 1;
    bool overflow = false;
    for (int i = 0; i < a->rank; i++) {
        FUZZ_CHECK(a->shape[i] >= 0, "%s: extent %lld in dimension %d", what,
                   (long long)a->shape[i], i);
        overflow |= __builtin_mul_overflow(product, (uint64_t)a->shape[i], &product);
    }
    FUZZ_CHECK(!overflow && product <= SIZE_MAX, "%s: the shape's product overflows", what);
    FUZZ_CHECK(a->count == product, "%s: count %zu, product of the shape %llu", what, a->count,
               (unsigned long long)product);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_write_file(input_path, data, size);
    attn_array a;
    attn_error err;
    memset(&a, 0xa5, sizeof a); /* the reader must set every field itself */
    fuzz_error_reset(&err);
    int rc = attn_npy_read(input_path, &a, &err);
    if (fuzz_verbose()) {
        if (rc == 0)
            fprintf(stderr, "attn_npy_read: %s rank %d count %zu\n",
                    a.dtype == ATTN_DTYPE_F64 ? "f64" : "f32", a.rank, a.count);
        else
            fprintf(stderr, "attn_npy_read: error: %s\n", err.message);
    }
    if (rc != 0) {
        fuzz_check_error(&err, "attn_npy_read");
        check_empty(&a, "attn_npy_read");
        return 0;
    }
    check_array(&a, "attn_npy_read");
    size_t bytes = a.count * item_size(a.dtype);
    FUZZ_CHECK(bytes / item_size(a.dtype) == a.count && bytes <= size,
               "payload of %zu elements does not fit in a %zu-byte input", a.count, size);
    FUZZ_CHECK(bytes == 0 || memcmp(a.data, data + size - bytes, bytes) == 0,
               "the data read are not the last %zu bytes of the input", bytes);

    fuzz_error_reset(&err);
    rc = attn_npy_write(output_path, a.dtype, a.rank, a.shape, a.data, &err);
    FUZZ_CHECK(rc == 0, "attn_npy_write of an array just read failed: %s", err.message);
    attn_array b;
    fuzz_error_reset(&err);
    rc = attn_npy_read(output_path, &b, &err);
    FUZZ_CHECK(rc == 0, "reading back what attn_npy_write wrote failed: %s", err.message);
    check_array(&b, "attn_npy_read (written back)");
    FUZZ_CHECK(b.dtype == a.dtype && b.rank == a.rank && b.count == a.count,
               "written back as dtype %d rank %d count %zu, read as dtype %d rank %d count %zu",
               (int)a.dtype, a.rank, a.count, (int)b.dtype, b.rank, b.count);
    for (int i = 0; i < a.rank; i++)
        FUZZ_CHECK(b.shape[i] == a.shape[i], "extent %d: %lld written, %lld read back", i,
                   (long long)a.shape[i], (long long)b.shape[i]);
    FUZZ_CHECK(bytes == 0 || memcmp(a.data, b.data, bytes) == 0,
               "data written back differ from the data read");

    fuzz_error_reset(&err);
    rc = attn_npy_write(again_path, b.dtype, b.rank, b.shape, b.data, &err);
    FUZZ_CHECK(rc == 0, "second attn_npy_write failed: %s", err.message);
    size_t first_size = 0, second_size = 0;
    uint8_t *first = fuzz_read_file(output_path, &first_size);
    uint8_t *second = fuzz_read_file(again_path, &second_size);
    FUZZ_CHECK(first_size == second_size && memcmp(first, second, first_size) == 0,
               "writing the same array twice gives different files (%zu and %zu bytes)", first_size,
               second_size);
    free(first);
    free(second);
    attn_array_free(&b);
    attn_array_free(&a);
    FUZZ_CHECK(a.data == NULL && a.count == 0, "attn_array_free left data %p", a.data);
    return 0;
}
