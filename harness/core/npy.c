/* Reading and writing NumPy .npy files without trusting anything the file says. */
#define _POSIX_C_SOURCE 200809L

#include "npy.h"

#include "output_file.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Payloads are copied straight between file and memory, which is only right on a
 * little-endian host. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "npy.c assumes a little-endian host");

#define MAGIC "\x93NUMPY"
#define MAGIC_LEN 6
#define MAX_HEADER_LEN (1u << 20)
/* numpy leaves this much room after the dict so the first extent can grow in place; we
 * copy it so that our files are byte-identical to numpy.save's. */
#define GROWTH_AXIS_MAX_DIGITS 21

static size_t dtype_size(attn_dtype dtype) {
    return dtype == ATTN_DTYPE_F64 ? 8 : dtype == ATTN_DTYPE_F32 ? 4 : 2;
}

static const char *dtype_descr(attn_dtype dtype) {
    switch (dtype) {
    case ATTN_DTYPE_F64:
        return "<f8";
    case ATTN_DTYPE_F16:
        return "<f2";
    case ATTN_DTYPE_U16:
        return "<u2";
    default:
        return "<f4";
    }
}

static const char *dtype_numpy_name(attn_dtype dtype) {
    switch (dtype) {
    case ATTN_DTYPE_F64:
        return "float64";
    case ATTN_DTYPE_F16:
        return "float16";
    case ATTN_DTYPE_U16:
        return "uint16";
    default:
        return "float32";
    }
}

/* Element count and byte size of a shape, or -1 with a message on overflow. */
static int shape_size(const char *path, attn_dtype dtype, int rank, const int64_t *shape,
                      size_t *count, size_t *bytes, attn_error *err) {
    size_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (shape[i] < 0)
            return attn_fail_input(err, "%s: negative extent %lld in dimension %d", path,
                                   (long long)shape[i], i);
        if ((uint64_t)shape[i] > SIZE_MAX || attn_size_mul(n, (size_t)shape[i], &n) != 0)
            return attn_fail_input(err, "%s: element count of the shape overflows size_t", path);
    }
    if (attn_size_mul(n, dtype_size(dtype), bytes) != 0)
        return attn_fail_input(err, "%s: byte size of %zu elements overflows size_t", path, n);
    *count = n;
    return 0;
}

/* ---- writing ---- */

/* Formats the header exactly as numpy 1.24's format.write_array_header_1_0 does and
 * returns its length, or 0 if it does not fit in cap. */
static size_t format_header(char *out, size_t cap, attn_dtype dtype, int rank,
                            const int64_t *shape) {
    char dict[512];
    int len = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                       dtype_descr(dtype));
    for (int i = 0; i < rank; i++)
        len += snprintf(dict + len, sizeof dict - (size_t)len, "%s%lld", i ? ", " : "",
                        (long long)shape[i]);
    len += snprintf(dict + len, sizeof dict - (size_t)len, "%s), }", rank == 1 ? "," : "");
    if (rank > 0) {
        char first[32];
        int digits = snprintf(first, sizeof first, "%lld", (long long)shape[0]);
        for (int i = digits; i < GROWTH_AXIS_MAX_DIGITS; i++)
            dict[len++] = ' ';
    }
    /* Like numpy, a header that is already aligned still gets a full 64 bytes of padding. */
    size_t hlen = (size_t)len + 1;
    size_t pad = 64 - (MAGIC_LEN + 2 + 2 + hlen) % 64;
    size_t total = MAGIC_LEN + 2 + 2 + hlen + pad;
    if (total > cap)
        return 0;
    memcpy(out, MAGIC, MAGIC_LEN);
    out[6] = 1;
    out[7] = 0;
    out[8] = (char)((hlen + pad) & 0xff);
    out[9] = (char)((hlen + pad) >> 8);
    memcpy(out + 10, dict, (size_t)len);
    memset(out + 10 + len, ' ', pad);
    out[total - 1] = '\n';
    return total;
}

int attn_npy_write(const char *path, attn_dtype dtype, int rank, const int64_t *shape,
                   const void *data, attn_error *err) {
    if (dtype != ATTN_DTYPE_F32 && dtype != ATTN_DTYPE_F64 && dtype != ATTN_DTYPE_F16 &&
        dtype != ATTN_DTYPE_U16)
        return attn_fail_input(err, "%s: unknown dtype %d", path, (int)dtype);
    if (rank < 0 || rank > ATTN_NPY_MAX_RANK)
        return attn_fail_input(err, "%s: rank %d outside 0..%d", path, rank, ATTN_NPY_MAX_RANK);
    if (rank > 0 && !shape)
        return attn_fail_input(err, "%s: no shape for rank %d", path, rank);
    size_t count, bytes;
    if (shape_size(path, dtype, rank, shape, &count, &bytes, err) != 0)
        return -1;
    if (bytes > 0 && !data)
        return attn_fail_input(err, "%s: no data for %zu elements", path, count);

    char header[1024];
    size_t header_len = format_header(header, sizeof header, dtype, rank, shape);
    if (header_len == 0)
        return attn_fail_internal(err, "%s: header does not fit", path);

    /* a regular file (or new path) is replaced whole, a device written through */
    attn_output out;
    if (attn_output_open(&out, path, 0, err))
        return -1;
    if (attn_output_write(&out, header, header_len, err) ||
        (bytes > 0 && attn_output_write(&out, data, bytes, err)) || attn_output_commit(&out, err)) {
        attn_output_discard(&out);
        return -1;
    }
    return 0;
}

/* ---- reading ---- */

/* A cursor over the header dict; every access is bounded by end. */
typedef struct {
    const char *start;
    const char *p;
    const char *end;
    const char *path;
    attn_error *err;
} cursor;

static void skip_space(cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static bool accept(cursor *c, char ch) {
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

static bool accept_word(cursor *c, const char *word) {
    size_t n = strlen(word);
    skip_space(c);
    if ((size_t)(c->end - c->p) >= n && memcmp(c->p, word, n) == 0) {
        c->p += n;
        return true;
    }
    return false;
}

static int syntax_error(cursor *c, const char *expected) {
    if (c->p >= c->end)
        return attn_fail_input(c->err, "%s: malformed header: expected %s, found end of header",
                               c->path, expected);
    size_t left = (size_t)(c->end - c->p);
    return attn_fail_input(c->err, "%s: malformed header: expected %s at offset %ld, found '%.*s'",
                           c->path, expected, (long)(c->p - c->start), left > 20 ? 20 : (int)left,
                           c->p);
}

/* Parses a quoted Python string literal without escapes into [*start, *start + *len). */
static int parse_string(cursor *c, const char **start, size_t *len) {
    skip_space(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return syntax_error(c, "a quoted string");
    char quote = *c->p++;
    const char *s = c->p;
    while (c->p < c->end && *c->p != quote) {
        if (*c->p == '\\')
            return syntax_error(c, "a string without escapes");
        c->p++;
    }
    if (c->p >= c->end)
        return syntax_error(c, "a closing quote");
    *start = s;
    *len = (size_t)(c->p - s);
    c->p++;
    return 0;
}

static bool is_digit(char ch) {
    return ch >= '0' && ch <= '9';
}

/* Parses the shape tuple; counts extents beyond ATTN_NPY_MAX_RANK (up to a cap) for the
 * error message but stores only the first ATTN_NPY_MAX_RANK. */
static int parse_shape(cursor *c, int64_t *shape, int *rank) {
    enum { COUNT_CAP = 1000 };
    if (!accept(c, '('))
        return syntax_error(c, "'(' starting the shape tuple");
    int n = 0;
    bool trailing_comma = false;
    for (;;) {
        if (accept(c, ')'))
            break;
        skip_space(c);
        if (c->p < c->end && *c->p == '-')
            return attn_fail_input(c->err, "%s: negative extent in dimension %d of the shape",
                                   c->path, n);
        if (c->p >= c->end || !is_digit(*c->p))
            return syntax_error(c, "an integer extent or ')' in the shape");
        uint64_t value = 0;
        while (c->p < c->end && is_digit(*c->p)) {
            unsigned digit = (unsigned)(*c->p - '0');
            if (value > ((uint64_t)INT64_MAX - digit) / 10)
                return attn_fail_input(c->err, "%s: extent in dimension %d is too large", c->path,
                                       n);
            value = value * 10 + digit;
            c->p++;
        }
        /* Files written under Python 2 may spell long integers "3L". */
        if (c->p < c->end && *c->p == 'L')
            c->p++;
        if (n < ATTN_NPY_MAX_RANK)
            shape[n] = (int64_t)value;
        if (n < COUNT_CAP)
            n++;
        trailing_comma = accept(c, ',');
        if (!trailing_comma) {
            if (!accept(c, ')'))
                return syntax_error(c, "',' or ')' in the shape");
            break;
        }
    }
    if (n == 1 && !trailing_comma)
        return attn_fail_input(c->err,
                               "%s: malformed header: shape (n) is not a tuple, "
                               "expected (n,)",
                               c->path);
    if (n > ATTN_NPY_MAX_RANK)
        return attn_fail_input(c->err, "%s: rank %d%s exceeds the maximum rank %d", c->path, n,
                               n >= COUNT_CAP ? " or more" : "", ATTN_NPY_MAX_RANK);
    *rank = n;
    return 0;
}

/* Bits of the dtypes a reader accepts. */
#define ACCEPT_F32 (1u << ATTN_DTYPE_F32)
#define ACCEPT_F64 (1u << ATTN_DTYPE_F64)
#define ACCEPT_F16 (1u << ATTN_DTYPE_F16)
#define ACCEPT_U16 (1u << ATTN_DTYPE_U16)

/* What the accepted dtypes are, for messages. */
static const char *accepted_text(unsigned accepted) {
    if (accepted == ACCEPT_F32)
        return "only '<f4' (float32)";
    if (accepted == ACCEPT_F64)
        return "only '<f8' (float64)";
    if (accepted == (ACCEPT_F32 | ACCEPT_F16 | ACCEPT_U16))
        return "only '<f4' (float32), '<f2' (float16) and '<u2' (bfloat16 bits)";
    return "only '<f4' (float32) and '<f8' (float64)";
}

static int parse_descr(cursor *c, unsigned accepted, attn_dtype *dtype) {
    skip_space(c);
    if (c->p < c->end && (*c->p == '[' || *c->p == '{'))
        return attn_fail_input(c->err, "%s: structured dtypes are unsupported (%s)", c->path,
                               accepted_text(accepted));
    const char *s;
    size_t len;
    if (parse_string(c, &s, &len) != 0)
        return -1;
    int shown = len > 32 ? 32 : (int)len;
    if (len == 3 && memcmp(s, "<f4", 3) == 0)
        *dtype = ATTN_DTYPE_F32;
    else if (len == 3 && memcmp(s, "<f8", 3) == 0)
        *dtype = ATTN_DTYPE_F64;
    else if (len == 3 && memcmp(s, "<f2", 3) == 0)
        *dtype = ATTN_DTYPE_F16;
    else if (len == 3 && (memcmp(s, "<u2", 3) == 0 || memcmp(s, "<i2", 3) == 0))
        *dtype = ATTN_DTYPE_U16;
    else if (len > 0 && s[0] == '>')
        return attn_fail_input(c->err, "%s: big-endian dtype '%.*s' is unsupported (%s)", c->path,
                               shown, s, accepted_text(accepted));
    else
        return attn_fail_input(c->err, "%s: unsupported dtype '%.*s' (%s)", c->path, shown, s,
                               accepted_text(accepted));
    if (!(accepted & (1u << *dtype)))
        return attn_fail_input(c->err,
                               "%s: dtype is %s ('%.*s'); expected %s (numpy: "
                               "x.astype(np.%s))",
                               c->path, dtype_numpy_name(*dtype), shown, s, accepted_text(accepted),
                               accepted & ACCEPT_F32 ? "float32" : "float64");
    return 0;
}

static int parse_header(const char *path, const char *text, size_t len, unsigned accepted,
                        attn_array *out, attn_error *err) {
    cursor c = {text, text, text + len, path, err};
    bool have_descr = false, have_order = false, have_shape = false;
    if (!accept(&c, '{'))
        return syntax_error(&c, "'{' starting the header dict");
    for (;;) {
        if (accept(&c, '}'))
            break;
        const char *key;
        size_t key_len;
        if (parse_string(&c, &key, &key_len) != 0)
            return -1;
        int shown = key_len > 32 ? 32 : (int)key_len;
        bool *seen;
        if (key_len == 5 && memcmp(key, "descr", 5) == 0)
            seen = &have_descr;
        else if (key_len == 13 && memcmp(key, "fortran_order", 13) == 0)
            seen = &have_order;
        else if (key_len == 5 && memcmp(key, "shape", 5) == 0)
            seen = &have_shape;
        else
            return attn_fail_input(err, "%s: unexpected key '%.*s' in the header", path, shown,
                                   key);
        if (*seen)
            return attn_fail_input(err, "%s: duplicate key '%.*s' in the header", path, shown, key);
        *seen = true;
        if (!accept(&c, ':'))
            return syntax_error(&c, "':' after a key");
        if (seen == &have_descr) {
            if (parse_descr(&c, accepted, &out->dtype) != 0)
                return -1;
        } else if (seen == &have_shape) {
            if (parse_shape(&c, out->shape, &out->rank) != 0)
                return -1;
        } else if (accept_word(&c, "True")) {
            return attn_fail_input(err, "%s: fortran_order True is unsupported (C order only)",
                                   path);
        } else if (!accept_word(&c, "False")) {
            return syntax_error(&c, "True or False for fortran_order");
        }
        if (!accept(&c, ',')) {
            if (!accept(&c, '}'))
                return syntax_error(&c, "',' or '}' after a value");
            break;
        }
    }
    skip_space(&c);
    if (c.p != c.end)
        return syntax_error(&c, "only padding after the header dict");
    if (!have_descr || !have_order || !have_shape)
        return attn_fail_input(err, "%s: header lacks the key '%s'", path,
                               !have_descr   ? "descr"
                               : !have_order ? "fortran_order"
                                             : "shape");
    return 0;
}

/* Reads the magic, version and header dict into out; leaves f at the start of the payload
 * and its offset in *data_offset. */
static int read_header(FILE *f, const char *path, unsigned accepted, attn_array *out,
                       size_t *data_offset, attn_error *err) {
    unsigned char prefix[12];
    size_t got = fread(prefix, 1, 8, f);
    if (ferror(f))
        return attn_fail_internal(err, "%s: read failed: %s", path, strerror(errno));
    if (memcmp(prefix, MAGIC, got < MAGIC_LEN ? got : MAGIC_LEN) != 0)
        return attn_fail_input(err, "%s: not an .npy file (bad magic string)", path);
    if (got == 0)
        return attn_fail_input(err, "%s: truncated header: the file is empty", path);
    if (got < 8)
        return attn_fail_input(err, "%s: truncated header: the file ends after %zu bytes", path,
                               got);
    unsigned major = prefix[6], minor = prefix[7];
    if (minor != 0 || major < 1 || major > 3)
        return attn_fail_input(err,
                               "%s: unsupported .npy format version %u.%u (known: 1.0, 2.0, 3.0)",
                               path, major, minor);
    size_t len_size = major == 1 ? 2 : 4;
    if (fread(prefix + 8, 1, len_size, f) != len_size)
        return attn_fail_input(err, "%s: truncated header: the file ends inside the header length",
                               path);
    size_t header_len = (size_t)prefix[8] | (size_t)prefix[9] << 8;
    if (len_size == 4)
        header_len |= (size_t)prefix[10] << 16 | (size_t)prefix[11] << 24;
    if (header_len > MAX_HEADER_LEN)
        return attn_fail_input(err, "%s: header length %zu exceeds the 1 MiB limit", path,
                               header_len);
    char *text = malloc(header_len + 1);
    if (!text)
        return attn_fail_internal(err, "%s: out of memory for a %zu-byte header", path, header_len);
    size_t have = fread(text, 1, header_len, f);
    if (have < header_len) {
        int failed = ferror(f);
        free(text);
        if (failed)
            return attn_fail_internal(err, "%s: read failed: %s", path, strerror(errno));
        return attn_fail_input(err,
                               "%s: truncated header: header length %zu exceeds the %zu bytes "
                               "left in the file",
                               path, header_len, have);
    }
    text[header_len] = '\0';
    int rc = parse_header(path, text, header_len, accepted, out, err);
    free(text);
    *data_offset = 8 + len_size + header_len;
    return rc;
}

static int read_npy(const char *path, unsigned accepted, attn_array *out, attn_error *err) {
    memset(out, 0, sizeof *out);
    if (!*path)
        return attn_fail_input(err, "empty .npy path");
    FILE *f = fopen(path, "rb");
    if (!f) {
        int saved = errno;
        /* missing, unreadable or misspelt: the user's to fix */
        if (saved == ENOENT || saved == ENOTDIR || saved == EACCES || saved == EPERM ||
            saved == ELOOP || saved == ENAMETOOLONG || saved == EISDIR || saved == ENXIO)
            return attn_fail_input(err, "%s: cannot open: %s", path, strerror(saved));
        return attn_fail_internal(err, "%s: cannot open: %s", path, strerror(saved));
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        int saved = errno;
        fclose(f);
        return attn_fail_internal(err, "%s: cannot stat: %s", path, strerror(saved));
    }
    if (S_ISDIR(st.st_mode)) {
        fclose(f);
        return attn_fail_input(err, "%s: is a directory, not an .npy file", path);
    }
    attn_array a;
    memset(&a, 0, sizeof a);
    size_t offset = 0, count = 0, bytes = 0;
    if (read_header(f, path, accepted, &a, &offset, err) != 0 ||
        shape_size(path, a.dtype, a.rank, a.shape, &count, &bytes, err) != 0)
        goto fail;

    /* Check the payload size against the file before allocating what the header asks for;
     * for pipes and the like the reads below still catch short or long payloads. */
    if (S_ISREG(st.st_mode)) {
        size_t available = (uint64_t)st.st_size > offset ? (size_t)st.st_size - offset : 0;
        if (available < bytes) {
            attn_fail_input(err, "%s: truncated payload: expected %zu bytes, found %zu", path,
                            bytes, available);
            goto fail;
        }
        if (available > bytes) {
            attn_fail_input(err, "%s: %zu trailing bytes after the %zu-byte payload", path,
                            available - bytes, bytes);
            goto fail;
        }
    }
    a.count = count;
    a.data = malloc(bytes > 0 ? bytes : 1);
    if (!a.data) {
        attn_fail_internal(err, "%s: out of memory for a %zu-byte payload", path, bytes);
        goto fail;
    }
    size_t got = fread(a.data, 1, bytes, f);
    if (got < bytes) {
        if (ferror(f))
            attn_fail_internal(err, "%s: read failed: %s", path, strerror(errno));
        else
            attn_fail_input(err, "%s: truncated payload: expected %zu bytes, found %zu", path,
                            bytes, got);
        goto fail;
    }
    if (fgetc(f) != EOF) {
        attn_fail_input(err, "%s: trailing bytes after the %zu-byte payload", path, bytes);
        goto fail;
    }
    if (ferror(f)) {
        attn_fail_internal(err, "%s: read failed: %s", path, strerror(errno));
        goto fail;
    }
    fclose(f);
    *out = a;
    return 0;
fail:
    fclose(f);
    free(a.data);
    return -1;
}

int attn_npy_read(const char *path, attn_array *out, attn_error *err) {
    return read_npy(path, ACCEPT_F32 | ACCEPT_F64, out, err);
}

int attn_npy_read_float32(const char *path, attn_array *out, attn_error *err) {
    return read_npy(path, ACCEPT_F32, out, err);
}

int attn_npy_read_input(const char *path, attn_array *out, attn_error *err) {
    return read_npy(path, ACCEPT_F32 | ACCEPT_F16 | ACCEPT_U16, out, err);
}

void attn_array_free(attn_array *array) {
    if (!array)
        return;
    free(array->data);
    memset(array, 0, sizeof *array);
}
