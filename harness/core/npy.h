/* Reading and writing NumPy .npy files (float32, float64, float16, and bf16 as the raw
 * bits of '<u2', which numpy cannot name; C order, little-endian). */
#ifndef ATTN_NPY_H
#define ATTN_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define ATTN_NPY_MAX_RANK 8

typedef enum {
    ATTN_DTYPE_F32 = 0,
    ATTN_DTYPE_F64 = 1,
    ATTN_DTYPE_F16 = 2, /* '<f2' */
    ATTN_DTYPE_U16 = 3  /* '<u2' (or '<i2' on reading): bf16 bit patterns */
} attn_dtype;

/* A dense C-order array as read from or written to an .npy file. */
typedef struct attn_array {
    attn_dtype dtype;
    int rank;                         /* 0 .. ATTN_NPY_MAX_RANK */
    int64_t shape[ATTN_NPY_MAX_RANK]; /* extents, outermost first */
    size_t count;                     /* product of the extents */
    void *data;                       /* count elements, owned by the array */
} attn_array;

/* Writes data as an .npy (format 1.0) file at path. A regular file (or a new path) is
 * written to a temporary name and renamed, so a failed write never leaves a partial file
 * at path; a device or FIFO (/dev/null, /dev/stdout) is written through, a symbolic link
 * to a regular file replaces its target, a folder is refused (output_file.h). */
int attn_npy_write(const char *path, attn_dtype dtype, int rank, const int64_t *shape,
                   const void *data, attn_error *err);

/* Reads an .npy file (format 1.0, 2.0 or 3.0) holding '<f4' or '<f8' in C order.
 * Every malformed header, truncated payload or unsupported layout is a bad-input error
 * naming the path and what was wrong. On success the caller frees with attn_array_free. */
int attn_npy_read(const char *path, attn_array *out, attn_error *err);

/* attn_npy_read for inputs that must be float32: any other dtype is an error that says
 * float32 ('<f4') is what is expected. */
int attn_npy_read_float32(const char *path, attn_array *out, attn_error *err);

/* attn_npy_read for inputs of any element type: '<f4', '<f2' (fp16) or '<u2' (the bits of
 * bf16 values: x.view(np.uint16) of the upper halves of float32s). */
int attn_npy_read_input(const char *path, attn_array *out, attn_error *err);

void attn_array_free(attn_array *array);

#endif
