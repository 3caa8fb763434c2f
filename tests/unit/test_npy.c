/* Unit tests for the .npy reader and writer: round trips, numpy interop and hostile files. */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "npy.h"

/* numpy lives in the system interpreter, not in the pyenv python3 on PATH. */
#define PYTHON "/usr/bin/python3"

static char dir[64];

static void make_dir(void) {
    strcpy(dir, "/tmp/attn_npy_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void) {
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[512];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

TestSuite(npy, .init = make_dir, .fini = remove_dir);

static const char *path_of(const char *name) {
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

static void write_bytes(const char *path, const void *data, size_t size) {
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, size, f), size);
    cr_assert_eq(fclose(f), 0);
}

/* Builds magic + version + header length + dict (unpadded) into out; returns the length. */
static size_t build_header(unsigned char *out, int major, int minor, const char *dict) {
    size_t len = strlen(dict);
    memcpy(out, "\x93NUMPY", 6);
    out[6] = (unsigned char)major;
    out[7] = (unsigned char)minor;
    size_t at = 8;
    out[at++] = (unsigned char)(len & 0xff);
    out[at++] = (unsigned char)(len >> 8);
    if (major >= 2) {
        out[at++] = (unsigned char)(len >> 16);
        out[at++] = (unsigned char)(len >> 24);
    }
    memcpy(out + at, dict, len);
    return at + len;
}

/* Writes a file with the given header dict followed by payload_size bytes. */
static const char *write_npy(const char *name, int major, const char *dict, size_t payload_size) {
    unsigned char buf[4096];
    size_t n = build_header(buf, major, 0, dict);
    cr_assert(n + payload_size <= sizeof buf);
    for (size_t i = 0; i < payload_size; i++)
        buf[n + i] = (unsigned char)i;
    const char *path = path_of(name);
    write_bytes(path, buf, n + payload_size);
    return path;
}

/* Asserts that reading path fails with a bad-input error mentioning the path and want. */
static void expect_read_error(const char *path, const char *want) {
    attn_array a;
    attn_error err = {0};
    int rc = attn_npy_read(path, &a, &err);
    cr_assert_eq(rc, -1, "reading %s should fail", path);
    cr_assert_eq(err.kind, ATTN_EXIT_BAD_INPUT, "kind %d: %s", err.kind, err.message);
    cr_assert(strncmp(err.message, path, strlen(path)) == 0, "message lacks the path: %s",
              err.message);
    cr_assert(strstr(err.message, want) != NULL, "message lacks '%s': %s", want, err.message);
    cr_assert_null(a.data);
}

static void fill(attn_dtype dtype, void *data, size_t count) {
    for (size_t i = 0; i < count; i++) {
        double v = (double)i * 0.75 - 3.0 + (i % 7) * 1e-3;
        if (dtype == ATTN_DTYPE_F32)
            ((float *)data)[i] = (float)v;
        else
            ((double *)data)[i] = v;
    }
}

static void round_trip(attn_dtype dtype, int rank, const int64_t *shape) {
    size_t count = 1;
    for (int i = 0; i < rank; i++)
        count *= (size_t)shape[i];
    size_t bytes = count * (dtype == ATTN_DTYPE_F32 ? 4 : 8);
    void *data = malloc(bytes + 1);
    cr_assert_not_null(data);
    fill(dtype, data, count);
    const char *path = path_of("rt.npy");
    attn_error err = {0};
    cr_assert_eq(attn_npy_write(path, dtype, rank, shape, data, &err), 0, "%s", err.message);

    attn_array a;
    cr_assert_eq(attn_npy_read(path, &a, &err), 0, "%s", err.message);
    cr_assert_eq(a.dtype, dtype);
    cr_assert_eq(a.rank, rank);
    for (int i = 0; i < rank; i++)
        cr_assert_eq(a.shape[i], shape[i]);
    cr_assert_eq(a.count, count);
    cr_assert_not_null(a.data);
    cr_assert(memcmp(a.data, data, bytes) == 0, "payload differs");
    attn_array_free(&a);
    cr_assert_null(a.data);
    cr_assert_eq(a.rank, 0);
    free(data);

    /* The header must be 64-byte aligned and end in a newline, as numpy writes it. */
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    unsigned char prefix[10];
    cr_assert_eq(fread(prefix, 1, 10, f), 10);
    fclose(f);
    size_t header_len = prefix[8] | (size_t)prefix[9] << 8;
    cr_assert_eq((10 + header_len) % 64, 0);
}

Test(npy, round_trip_all_ranks) {
    static const int64_t shapes[][4] = {{0}, {7}, {3, 5}, {2, 3, 4}, {2, 1, 3, 5}};
    for (int rank = 0; rank <= 4; rank++) {
        round_trip(ATTN_DTYPE_F32, rank, shapes[rank]);
        round_trip(ATTN_DTYPE_F64, rank, shapes[rank]);
    }
}

Test(npy, round_trip_max_rank_and_empty) {
    const int64_t big[ATTN_NPY_MAX_RANK] = {2, 1, 2, 1, 3, 1, 2, 2};
    round_trip(ATTN_DTYPE_F32, ATTN_NPY_MAX_RANK, big);
    const int64_t empty[2] = {4, 0};
    round_trip(ATTN_DTYPE_F64, 2, empty);
}

Test(npy, header_text_matches_numpy) {
    const int64_t shape[2] = {2, 3};
    float data[6] = {0};
    const char *path = path_of("hdr.npy");
    attn_error err = {0};
    cr_assert_eq(attn_npy_write(path, ATTN_DTYPE_F32, 2, shape, data, &err), 0, "%s", err.message);
    char buf[256];
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    cr_assert(strncmp(buf + 10, dict, strlen(dict)) == 0, "header: %.60s", buf + 10);
    cr_assert_eq(buf[127], '\n');
}

Test(npy, write_leaves_no_temporary_and_fails_cleanly) {
    const int64_t shape[1] = {3};
    double data[3] = {1, 2, 3};
    attn_error err = {0};
    cr_assert_eq(attn_npy_write(path_of("ok.npy"), ATTN_DTYPE_F64, 1, shape, data, &err), 0);
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.') {
            files++;
            cr_assert_str_eq(e->d_name, "ok.npy");
        }
    closedir(d);
    cr_assert_eq(files, 1);

    const char *bad = path_of("no/such/dir/x.npy");
    cr_assert_eq(attn_npy_write(bad, ATTN_DTYPE_F64, 1, shape, data, &err), -1);
    cr_assert_eq(err.kind, ATTN_EXIT_BAD_INPUT); /* a missing folder is the user's to fix */
    cr_assert(strncmp(err.message, bad, strlen(bad)) == 0, "%s", err.message);
    cr_assert(strstr(err.message, "No such file") != NULL, "%s", err.message);

    /* A directory is refused (bad input), and no temporary is left beside it. */
    char target[512];
    snprintf(target, sizeof target, "%s", path_of("adir"));
    cr_assert_eq(mkdir(target, 0700), 0);
    cr_assert_eq(attn_npy_write(target, ATTN_DTYPE_F64, 1, shape, data, &err), -1);
    cr_assert_eq(err.kind, ATTN_EXIT_BAD_INPUT);
    cr_assert(strstr(err.message, "folder") != NULL, "%s", err.message);
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", target, (long)getpid());
    cr_assert_neq(access(tmp, F_OK), 0, "temporary %s left behind", tmp);
    rmdir(target);
}

Test(npy, write_rejects_bad_arguments) {
    attn_error err = {0};
    const int64_t negative[1] = {-1};
    float x = 0;
    cr_assert_eq(attn_npy_write(path_of("n.npy"), ATTN_DTYPE_F32, 1, negative, &x, &err), -1);
    cr_assert(strstr(err.message, "negative") != NULL, "%s", err.message);
    const int64_t shape[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    cr_assert_eq(attn_npy_write(path_of("r.npy"), ATTN_DTYPE_F32, 9, shape, &x, &err), -1);
    cr_assert(strstr(err.message, "rank 9") != NULL, "%s", err.message);
    const int64_t huge[2] = {INT64_C(1) << 62, INT64_C(1) << 62};
    cr_assert_eq(attn_npy_write(path_of("h.npy"), ATTN_DTYPE_F32, 2, huge, &x, &err), -1);
    cr_assert(strstr(err.message, "overflow") != NULL, "%s", err.message);
}

Test(npy, free_is_safe_on_zeroed_array) {
    attn_array a;
    memset(&a, 0, sizeof a);
    attn_array_free(&a);
    attn_array_free(&a);
    cr_assert_null(a.data);
}

Test(npy, parser_tolerates_layout) {
    /* Keys in another order, double quotes, odd whitespace, no trailing comma, no padding. */
    const char *dict = "{ \"shape\" :( 2 ,3 , ) ,'fortran_order':False,\t'descr' : '<f8'}\n  ";
    const char *path = write_npy("layout.npy", 1, dict, 6 * 8);
    attn_array a;
    attn_error err = {0};
    cr_assert_eq(attn_npy_read(path, &a, &err), 0, "%s", err.message);
    cr_assert_eq(a.dtype, ATTN_DTYPE_F64);
    cr_assert_eq(a.rank, 2);
    cr_assert_eq(a.shape[0], 2);
    cr_assert_eq(a.shape[1], 3);
    cr_assert_eq(a.count, 6);
    attn_array_free(&a);
}

Test(npy, versions_2_and_3) {
    const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n";
    for (int major = 2; major <= 3; major++) {
        const char *path = write_npy(major == 2 ? "v2.npy" : "v3.npy", major, dict, 12);
        attn_array a;
        attn_error err = {0};
        cr_assert_eq(attn_npy_read(path, &a, &err), 0, "%s", err.message);
        cr_assert_eq(a.rank, 1);
        cr_assert_eq(a.shape[0], 3);
        attn_array_free(&a);
    }
}

/* ---- hostile and malformed files ---- */

static const char *good_dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n";

Test(npy, truncated_payload) {
    expect_read_error(write_npy("t.npy", 1, good_dict, 23), "expected 24 bytes, found 23");
}

Test(npy, trailing_garbage) {
    expect_read_error(write_npy("g.npy", 1, good_dict, 25), "1 trailing bytes");
}

Test(npy, truncated_header) {
    unsigned char buf[256];
    size_t n = build_header(buf, 1, 0, good_dict);
    const char *path = path_of("th.npy");
    /* Every prefix of the header must be rejected without reading past the end. */
    for (size_t cut = 0; cut < n; cut++) {
        write_bytes(path, buf, cut);
        expect_read_error(path, "truncated header");
    }
}

Test(npy, header_cut_inside_the_dict) {
    unsigned char buf[256];
    size_t n = build_header(buf, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'sha");
    write_bytes(path_of("cut.npy"), buf, n);
    expect_read_error(path_of("cut.npy"), "malformed header");
}

Test(npy, wrong_magic) {
    unsigned char buf[256];
    size_t n = build_header(buf, 1, 0, good_dict);
    buf[1] = 'n';
    write_bytes(path_of("m.npy"), buf, n + 24);
    expect_read_error(path_of("m.npy"), "bad magic");
    write_bytes(path_of("text.npy"), "hello", 5);
    expect_read_error(path_of("text.npy"), "bad magic");
}

Test(npy, version_9) {
    expect_read_error(write_npy("v9.npy", 9, good_dict, 24), "version 9.0");
    unsigned char buf[256];
    size_t n = build_header(buf, 1, 1, good_dict);
    write_bytes(path_of("v11.npy"), buf, n + 24);
    expect_read_error(path_of("v11.npy"), "version 1.1");
}

Test(npy, big_endian) {
    const char *dict = "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }\n";
    expect_read_error(write_npy("be.npy", 1, dict, 24), "big-endian");
}

Test(npy, int_dtype) {
    const char *dict = "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }\n";
    expect_read_error(write_npy("i4.npy", 1, dict, 24), "unsupported dtype '<i4'");
    const char *f2 = "{'descr': '<f2', 'fortran_order': False, 'shape': (2, 3), }\n";
    /* float16 is an input type (attn_npy_read_input), not a reference one */
    expect_read_error(write_npy("f2.npy", 1, f2, 12), "dtype is float16 ('<f2')");
    const char *rec = "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }\n";
    expect_read_error(write_npy("rec.npy", 1, rec, 8), "structured");
}

/* Inputs of the reduced types: '<f2' (fp16) and '<u2' (bf16 bits) read as they are, and
 * written back byte for byte as numpy writes them. */
Test(npy, reduced_input_types) {
    const struct {
        const char *descr;
        attn_dtype dtype;
    } types[] = {{"<f2", ATTN_DTYPE_F16}, {"<u2", ATTN_DTYPE_U16}};
    for (size_t t = 0; t < 2; t++) {
        char dict[128];
        snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (2, 3), }\n",
                 types[t].descr);
        const char *path = write_npy(types[t].descr + 1, 1, dict, 12);
        attn_array a;
        attn_error err = {0};
        cr_assert_eq(attn_npy_read_input(path, &a, &err), 0, "%s", err.message);
        cr_assert_eq(a.dtype, types[t].dtype);
        cr_assert(a.rank == 2 && a.shape[0] == 2 && a.shape[1] == 3 && a.count == 6);
        const char *copy = path_of("copy.npy");
        cr_assert_eq(attn_npy_write(copy, a.dtype, a.rank, a.shape, a.data, &err), 0);
        attn_array b;
        cr_assert_eq(attn_npy_read_input(copy, &b, &err), 0);
        cr_assert_eq(memcmp(a.data, b.data, 12), 0);
        attn_array_free(&a);
        attn_array_free(&b);
        /* the float32 readers refuse them, saying what they are */
        expect_read_error(path, types[t].dtype == ATTN_DTYPE_F16 ? "float16" : "uint16");
    }
}

Test(npy, fortran_order) {
    const char *dict = "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }\n";
    expect_read_error(write_npy("fo.npy", 1, dict, 24), "fortran_order True");
}

Test(npy, header_length_that_lies) {
    unsigned char buf[256];
    size_t n = build_header(buf, 1, 0, good_dict);
    /* Claims 60000 header bytes in a file of under 200. */
    buf[8] = 0x60;
    buf[9] = 0xea;
    write_bytes(path_of("lie.npy"), buf, n + 24);
    expect_read_error(path_of("lie.npy"), "header length 60000 exceeds");

    /* A 4 GiB header length in a version 2 file. */
    n = build_header(buf, 2, 0, good_dict);
    memset(buf + 8, 0xff, 4);
    write_bytes(path_of("lie2.npy"), buf, n + 24);
    expect_read_error(path_of("lie2.npy"), "exceeds the 1 MiB limit");

    /* A header length too short cuts the dict. */
    n = build_header(buf, 1, 0, good_dict);
    buf[8] = 20;
    write_bytes(path_of("short.npy"), buf, n + 24);
    expect_read_error(path_of("short.npy"), "malformed header");
}

Test(npy, rank_9) {
    const char *dict =
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1), }\n";
    expect_read_error(write_npy("r9.npy", 1, dict, 4), "rank 9 exceeds");
}

Test(npy, overflowing_shape) {
    const char *dict = "{'descr': '<f4', 'fortran_order': False, "
                       "'shape': (4611686018427387904, 4611686018427387904), }\n";
    expect_read_error(write_npy("of.npy", 1, dict, 24), "overflows");
    const char *bytes = "{'descr': '<f8', 'fortran_order': False, "
                        "'shape': (4611686018427387904,), }\n";
    expect_read_error(write_npy("ob.npy", 1, bytes, 24), "byte size");
    const char *too_big = "{'descr': '<f8', 'fortran_order': False, "
                          "'shape': (99999999999999999999,), }\n";
    expect_read_error(write_npy("tb.npy", 1, too_big, 24), "too large");
    /* Large but representable: must be caught as truncated before any allocation. */
    const char *absurd = "{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776,), }\n";
    expect_read_error(write_npy("ab.npy", 1, absurd, 24), "truncated payload");
}

Test(npy, malformed_dicts) {
    struct {
        const char *dict;
        const char *want;
    } cases[] = {
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3), }", "negative"},
        {"{'descr': '<f4', 'fortran_order': False, }", "lacks the key 'shape'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'extra': 1}", "'extra'"},
        {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (6,)}", "duplicate"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (6), }", "not a tuple"},
        {"{'descr': '<f4', 'fortran_order': Maybe, 'shape': (6,), }", "True or False"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (6,), } junk", "padding"},
        {"{'descr': '<f4, 'fortran_order': False, 'shape': (6,), }", "dtype '<f4, '"},
        {"{'descr': '<f4", "closing quote"},
        {"['descr', '<f4']", "malformed header"},
        {"", "malformed header"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", "malformed header"},
        {"{'descr': '<f4' 'fortran_order': False, 'shape': (6,), }", "malformed header"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_read_error(write_npy("bad.npy", 1, cases[i].dict, 24), cases[i].want);
}

Test(npy, missing_file_and_directory) {
    expect_read_error(path_of("absent.npy"), "No such file");
    expect_read_error(dir, "directory");
}

/* ---- numpy interop ---- */

static void require_numpy(void) {
    if (system(PYTHON " -c 'import numpy' >/dev/null 2>&1") != 0)
        cr_skip_test("%s lacks numpy", PYTHON);
}

static int run_python(const char *script) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && " PYTHON " -c \"%s\"", dir, script);
    return system(cmd);
}

Test(npy, reads_what_numpy_writes) {
    require_numpy();
    cr_assert_eq(run_python("import numpy as np\n"
                            "from numpy.lib import format as f\n"
                            "a = (np.arange(24) * 0.5 - 3).reshape(2, 3, 4)\n"
                            "np.save('a32.npy', a.astype('<f4'))\n"
                            "np.save('a64.npy', a.astype('<f8')[1])\n"
                            "np.save('s.npy', np.float32(2.5))\n"
                            "np.save('e.npy', np.zeros((0, 5), '<f8'))\n"
                            "for v in (2, 3):\n"
                            "    with open('v%d.npy' % v, 'wb') as o:\n"
                            "        f.write_array(o, a.astype('<f8'), version=(v, 0))\n"
                            "np.save('be.npy', a.astype('>f4'))\n"
                            "np.save('fo.npy', np.asfortranarray(a.astype('<f4')))\n"
                            "np.save('i.npy', np.arange(3, dtype='<i8'))\n"),
                 0);
    attn_array a;
    attn_error err = {0};
    cr_assert_eq(attn_npy_read(path_of("a32.npy"), &a, &err), 0, "%s", err.message);
    cr_assert_eq(a.dtype, ATTN_DTYPE_F32);
    cr_assert_eq(a.rank, 3);
    cr_assert_eq(a.shape[0], 2);
    cr_assert_eq(a.shape[1], 3);
    cr_assert_eq(a.shape[2], 4);
    for (size_t i = 0; i < 24; i++)
        cr_assert_eq(((float *)a.data)[i], (float)i * 0.5f - 3.0f);
    attn_array_free(&a);

    cr_assert_eq(attn_npy_read(path_of("a64.npy"), &a, &err), 0, "%s", err.message);
    cr_assert_eq(a.dtype, ATTN_DTYPE_F64);
    cr_assert_eq(a.rank, 2);
    cr_assert_eq(a.count, 12);
    for (size_t i = 0; i < 12; i++)
        cr_assert_eq(((double *)a.data)[i], (double)(i + 12) * 0.5 - 3.0);
    attn_array_free(&a);

    cr_assert_eq(attn_npy_read(path_of("s.npy"), &a, &err), 0, "%s", err.message);
    cr_assert_eq(a.rank, 0);
    cr_assert_eq(a.count, 1);
    cr_assert_eq(((float *)a.data)[0], 2.5f);
    attn_array_free(&a);

    cr_assert_eq(attn_npy_read(path_of("e.npy"), &a, &err), 0, "%s", err.message);
    cr_assert_eq(a.rank, 2);
    cr_assert_eq(a.count, 0);
    cr_assert_eq(a.shape[1], 5);
    attn_array_free(&a);

    for (int v = 2; v <= 3; v++) {
        char name[32];
        snprintf(name, sizeof name, "v%d.npy", v);
        cr_assert_eq(attn_npy_read(path_of(name), &a, &err), 0, "%s", err.message);
        cr_assert_eq(a.count, 24);
        cr_assert_eq(((double *)a.data)[23], 8.5);
        attn_array_free(&a);
    }

    expect_read_error(path_of("be.npy"), "big-endian");
    expect_read_error(path_of("fo.npy"), "fortran_order True");
    expect_read_error(path_of("i.npy"), "'<i8'");
}

Test(npy, numpy_reads_what_we_write) {
    require_numpy();
    attn_error err = {0};
    float f32[24];
    for (int i = 0; i < 24; i++)
        f32[i] = (float)i * 0.5f - 3.0f;
    const int64_t s3[3] = {2, 3, 4};
    cr_assert_eq(attn_npy_write(path_of("c32.npy"), ATTN_DTYPE_F32, 3, s3, f32, &err), 0, "%s",
                 err.message);
    double f64[5] = {1.0 / 3.0, -2.0, 1e300, -0.0, 5e-324};
    const int64_t s1[1] = {5};
    cr_assert_eq(attn_npy_write(path_of("c64.npy"), ATTN_DTYPE_F64, 1, s1, f64, &err), 0, "%s",
                 err.message);
    double scalar = 7.25;
    cr_assert_eq(attn_npy_write(path_of("c0.npy"), ATTN_DTYPE_F64, 0, NULL, &scalar, &err), 0, "%s",
                 err.message);
    cr_assert_eq(run_python("import numpy as np\n"
                            "a = np.load('c32.npy')\n"
                            "assert a.dtype == np.dtype('<f4') and a.shape == (2, 3, 4)\n"
                            "assert (a == (np.arange(24) * 0.5 - 3).reshape(2, 3, 4)).all()\n"
                            "b = np.load('c64.npy')\n"
                            "assert b.dtype == np.dtype('<f8') and b.shape == (5,)\n"
                            "assert b.tolist() == [1 / 3, -2.0, 1e300, -0.0, 5e-324]\n"
                            "c = np.load('c0.npy')\n"
                            "assert c.shape == () and c == 7.25\n"
                            "for n, x in (('c32', a), ('c64', b), ('c0', c)):\n"
                            "    np.save(n + '_np.npy', x)\n"
                            "    assert open(n + '.npy', 'rb').read() == "
                            "open(n + '_np.npy', 'rb').read(), n\n"),
                 0, "numpy rejected or disagreed with our files");
}
