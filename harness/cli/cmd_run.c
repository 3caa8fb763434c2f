/* attnbench run: one implementation (or the reference) on tensors from .npy files. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reference.h"
#include "case_data.h"
#include "check.h"
#include "element_type.h"
#include "cli.h"
#include "plugin.h"
#include "npy.h"
#include "output_file.h"
#include "runner.h"
#include "stage.h"

static const char run_help[] =
    "usage: attnbench run --impl NAME --q Q.npy --k K.npy --v V.npy --out O.npy\n"
    "                     [--lse LSE.npy] [--scale S] [--causal | --window L:R] [--threads N]\n"
    "                     [--timeout S] [--isolate] [--plugin LIB.so] [--out-type T]\n"
    "\n"
    "Reads tensors Q [B][Hq][Nq][D], K [B][Hkv][Nkv][D], V [B][Hkv][Nkv][Dv]\n"
    "(leading axes of size 1 may be left out: [Nq][D] or [H][Nq][D]), runs the\n"
    "implementation and writes O [.., Nq, Dv] (and LSE [.., Nq], float32) as .npy.\n"
    "Each input is float32 ('<f4'), fp16 ('<f2') or bf16, which numpy cannot name, as\n"
    "its bits in '<u2' (x.view(np.uint16) of bf16 values); the implementation gets them in\n"
    "that type and must declare a precision contract for the combination.\n"
    "--impl reference writes the float64 reference instead.\n"
    "\n"
    "  --out-type T   element type of O: f32 (default), f16 ('<f2') or bf16 ('<u2' bits)\n"
    "  --scale S      score scale (default 1/sqrt(D))\n"
    "  --causal       causal mask, bottom-right aligned: query i sees keys\n"
    "                 j <= i + Nkv - Nq (PyTorch's is_causal is top-left aligned; the two\n"
    "                 agree only when Nq == Nkv)\n"
    "  --window L:R   local window: L keys left and R right of the diagonal (-1: unbounded)\n"
    "  --threads N    threads the implementation may use (default: all cores; at most 1024,\n"
    "                 or the number of online CPUs when larger)\n"
    "  --timeout S    plugin code (any code, with --isolate) that makes no progress for S\n"
    "                 seconds is killed: exit 3 (default 300; 0: none)\n"
    "  --isolate      run a built-in in a worker process too\n"
    "\n"
    "--out and --lse: a regular file there is replaced whole (a symbolic link's target is\n"
    "replaced); a device or FIFO (/dev/null, /dev/stdout) is written through; a folder is\n"
    "refused.\n"
    "Exit status: 0; 2 bad usage or input (also a bad output path); 3 the implementation\n"
    "failed, crashed, hung or left part of O or LSE unwritten, or a write failed.\n";

typedef struct run_options {
    const char *impl, *q, *k, *v, *out, *lse, *scale, *window, *out_type;
    bool causal, isolate;
    int threads;
    double timeout;
} run_options;

static void print_help(void) {
    fputs(run_help, stdout);
}

static int parse_options(int argc, char **argv, run_options *o, attn_error *err) {
    o->threads = attn_cli_cpu_count();
    o->timeout = ATTN_CLI_DEFAULT_TIMEOUT;
    const attn_option options[] = {
        ATTN_FLAG("--causal", &o->causal),
        ATTN_FLAG("--isolate", &o->isolate),
        ATTN_TEXT("--impl", &o->impl),
        ATTN_TEXT("--q", &o->q),
        ATTN_TEXT("--k", &o->k),
        ATTN_TEXT("--v", &o->v),
        ATTN_TEXT("--out", &o->out),
        ATTN_TEXT("--lse", &o->lse),
        ATTN_TEXT("--scale", &o->scale),
        ATTN_TEXT("--window", &o->window),
        ATTN_TEXT("--out-type", &o->out_type),
        ATTN_VALUE("--threads", &o->threads, attn_cli_parse_threads),
        ATTN_VALUE("--timeout", &o->timeout, attn_cli_parse_timeout),
    };
    if (attn_cli_parse(argc, argv, "run", options, sizeof options / sizeof options[0], print_help,
                       err))
        return -1;
    if (!o->impl || !o->q || !o->k || !o->v || !o->out)
        return attn_fail_input(err, "run: --impl, --q, --k, --v and --out are required");
    if (o->causal && o->window)
        return attn_fail_input(err, "run: give --causal or --window, not both");
    /* a folder, a missing folder or "" is refused now, not after the computation */
    if (attn_output_check_path(o->out, err)) {
        attn_error_prefix(err, "--out");
        return -1;
    }
    if (o->lse && attn_output_check_path(o->lse, err)) {
        attn_error_prefix(err, "--lse");
        return -1;
    }
    return 0;
}

/* The element type of an array read by attn_npy_read_input. */
static int32_t element_type_of(const attn_array *a) {
    return a->dtype == ATTN_DTYPE_F16   ? ATTN_F16
           : a->dtype == ATTN_DTYPE_U16 ? ATTN_BF16
                                        : ATTN_F32;
}

/* Reads a tensor of rank 2..4 (float32, float16, or bf16 as '<u2' bits) and pads its shape
 * to rank 4 with leading 1s. */
static int read_tensor(const char *option, const char *path, attn_array *a, int64_t shape[4],
                       attn_error *err) {
    if (attn_npy_read_input(path, a, err))
        return -1;
    if (a->rank < 2 || a->rank > 4)
        return attn_fail_input(err, "%s %s: rank %d; expected [B][H][N][D], [H][N][D] or [N][D]",
                               option, path, a->rank);
    for (int r = 0; r < 4; r++)
        shape[r] = r < 4 - a->rank ? 1 : a->shape[r - (4 - a->rank)];
    for (int r = 0; r < 4; r++)
        if (shape[r] < 1)
            return attn_fail_input(err, "%s %s: empty axis %d", option, path, r);
    return 0;
}

static int output_type(const run_options *o, int32_t *type, attn_error *err) {
    int parsed = ATTN_F32;
    if (o->out_type && attn_type_parse(o->out_type, &parsed, err)) {
        attn_error_prefix(err, "--out-type");
        return -1;
    }
    *type = parsed;
    return 0;
}

/* The case of the inputs read: shapes, element types (O's from --out-type), mask, scale. */
static int build_case(const run_options *o, const attn_array *const inputs[3], const int64_t qs[4],
                      const int64_t ks[4], const int64_t vs[4], attn_case *c, attn_error *err) {
    attn_case_default(c);
    int32_t types[4];
    for (int t = 0; t < 3; t++)
        types[t] = element_type_of(inputs[t]);
    if (output_type(o, &types[3], err))
        return -1;
    attn_problem *p = &c->problem;
    if (ks[0] != qs[0] || vs[0] != qs[0])
        return attn_fail_input(err, "batch sizes differ: Q %lld, K %lld, V %lld", (long long)qs[0],
                               (long long)ks[0], (long long)vs[0]);
    if (ks[1] != vs[1] || ks[2] != vs[2])
        return attn_fail_input(err,
                               "K [%lld][%lld][..] and V [%lld][%lld][..] disagree on heads "
                               "or sequence length",
                               (long long)ks[1], (long long)ks[2], (long long)vs[1],
                               (long long)vs[2]);
    if (ks[3] != qs[3])
        return attn_fail_input(err, "Q has head dim %lld but K has %lld", (long long)qs[3],
                               (long long)ks[3]);
    p->batch = qs[0];
    p->heads_q = qs[1];
    p->heads_kv = ks[1];
    p->seq_q = qs[2];
    p->seq_kv = ks[2];
    p->head_dim = qs[3];
    p->head_dim_v = vs[3];
    p->q_type = types[0];
    p->k_type = types[1];
    p->v_type = types[2];
    p->o_type = types[3];
    if (o->causal && attn_case_set(c, "window", "causal", err))
        return -1;
    if (o->window && attn_case_set(c, "window", o->window, err))
        return -1;
    if (o->scale && attn_case_set(c, "scale", o->scale, err))
        return -1;
    attn_case_finish(c);
    return attn_case_validate(c, err);
}

static int run_reference(const attn_case_data *d, const run_options *o, const int64_t qs[4],
                         int rank, attn_error *err) {
    const attn_problem *p = &d->c.problem;
    int64_t o_shape[4] = {qs[0], qs[1], qs[2], p->head_dim_v};
    if (attn_npy_write(o->out, ATTN_DTYPE_F64, rank, o_shape + 4 - rank, d->o, err))
        return -1;
    if (o->lse && attn_npy_write(o->lse, ATTN_DTYPE_F64, rank - 1, o_shape + 4 - rank, d->lse, err))
        return -1;
    return 0;
}

/* The first element of a dense [B][H][N][W] tensor still holding the poison that was
 * there before the call, or -1. */
static long long first_unwritten(const float *x, size_t count, uint32_t unwritten) {
    for (size_t i = 0; i < count; i++) {
        uint32_t bits;
        memcpy(&bits, &x[i], sizeof bits);
        if (bits == unwritten)
            return (long long)i;
    }
    return -1;
}

/* O in its element type: float32 '<f4', fp16 '<f2', bf16 as its bits, '<u2'. */
static int write_output(const char *path, int32_t type, int rank, const int64_t *shape,
                        const float *o, size_t count, attn_error *err) {
    if (type == ATTN_F32)
        return attn_npy_write(path, ATTN_DTYPE_F32, rank, shape, o, err);
    uint16_t *half = malloc((count ? count : 1) * sizeof *half);
    if (!half)
        return attn_fail_internal(err, "out of memory writing %s", path);
    attn_store_elements(type, o, half, (int64_t)count);
    const int rc = attn_npy_write(path, type == ATTN_F16 ? ATTN_DTYPE_F16 : ATTN_DTYPE_U16, rank,
                                  shape, half, err);
    free(half);
    return rc;
}

/* An implementation that returned OK but left part of O (or LSE) unwritten would have
 * its poison saved as if it were a result: that is its failure, exit 3. */
static int check_written(const attn_impl *impl, const attn_problem *p, const float *o,
                         const float *lse, uint32_t o_unwritten, attn_error *err) {
    int64_t h = p->heads_q, n = p->seq_q, dv = p->head_dim_v;
    size_t rows = (size_t)(p->batch * h * n);
    long long at = first_unwritten(o, rows * (size_t)dv, o_unwritten);
    if (at >= 0)
        return attn_fail_internal(err,
                                  "%s returned OK but never wrote O[%lld][%lld][%lld][%lld] "
                                  "(the first unwritten element; nothing saved)",
                                  impl->name, at / (dv * n * h), at / (dv * n) % h, at / dv % n,
                                  at % dv);
    at = lse ? first_unwritten(lse, rows, ATTN_UNWRITTEN_BITS) : -1;
    if (at >= 0)
        return attn_fail_internal(err,
                                  "%s returned OK but never wrote LSE[%lld][%lld][%lld] "
                                  "(the first unwritten element; nothing saved)",
                                  impl->name, at / (n * h), at / n % h, at % n);
    return 0;
}

static int run_impl(const attn_impl *impl, const attn_case_data *d, const run_options *o,
                    const int64_t qs[4], int rank, attn_error *err) {
    const attn_problem *p = &d->c.problem;
    char reason[1024];
    attn_status support = attn_check_support(impl, &d->c, ATTN_LAYOUT_BHSD, reason, sizeof reason);
    if (support == ATTN_STATUS_SKIPPED)
        return attn_fail_input(err, "%s", reason);
    if (support != ATTN_STATUS_PASSED)
        return attn_fail_internal(err, "%s", reason);
    if (o->lse && !(impl->caps & ATTN_CAP_LSE))
        return attn_fail_input(err, "--lse: %s does not compute LSE", impl->name);
    size_t workspace = 0, allocated = 0;
    if (attn_run_sizes(impl, p, o->threads, &workspace, &allocated, reason, sizeof reason))
        return attn_fail_internal(err, "%s", reason);
    attn_stage stage;
    float *out = malloc((d->sizes.o + d->sizes.lse) * sizeof *out);
    if (!out || attn_stage_create(&stage, p, NULL, ATTN_LAYOUT_BHSD, workspace, err)) {
        free(out);
        return out ? -1 : attn_fail_internal(err, "out of memory");
    }
    attn_stage_set_inputs(&stage, 0, d->q, d->k, d->v);
    attn_stage_use(&stage, 0);
    attn_run_call call = {p, &stage.layout, o->threads, o->lse != NULL, 1, 0, false};
    attn_run_outcome outcome;
    attn_run_forward(impl, &stage.arena, &call, &outcome);
    int64_t o_shape[4] = {qs[0], qs[1], qs[2], p->head_dim_v};
    int rc = 0;
    if (outcome.died)
        rc = attn_fail_internal(err, "%s%s%s", outcome.message,
                                attn_impl_origin(impl) ? " (plugin " : "",
                                attn_impl_origin(impl) ? attn_impl_origin(impl) : "");
    else if (outcome.rc != ATTN_OK)
        rc = attn_fail_internal(err, "%s %s: %s", impl->name,
                                outcome.rc == ATTN_UNSUPPORTED ? "declined" : "failed",
                                outcome.message[0] ? outcome.message : "(no message)");
    else if (attn_stage_inspect(&stage, reason, sizeof reason))
        rc = attn_fail_internal(err, "%s: %s", impl->name, reason);
    if (rc == 0) {
        attn_stage_outputs(&stage, out, o->lse ? out + d->sizes.o : NULL);
        rc = check_written(impl, p, out, o->lse ? out + d->sizes.o : NULL,
                           attn_stage_unwritten_bits(&stage), err);
    }
    if (rc == 0) {
        if (write_output(o->out, p->o_type, rank, o_shape + 4 - rank, out, d->sizes.o, err) ||
            (o->lse && attn_npy_write(o->lse, ATTN_DTYPE_F32, rank - 1, o_shape + 4 - rank,
                                      out + d->sizes.o, err)))
            rc = -1;
    }
    attn_stage_destroy(&stage);
    free(out);
    return rc;
}

int attn_cmd_run(int argc, char **argv) {
    attn_error err = {0};
    run_options o = {0};
    attn_array q = {0}, k = {0}, v = {0};
    int64_t qs[4], ks[4], vs[4];
    attn_case c;
    attn_case_data data = {0};
    const attn_impl **impls = NULL;
    size_t count = 0;
    int status = ATTN_EXIT_OK;
    const attn_array *const inputs[3] = {&q, &k, &v};
    if (parse_options(argc, argv, &o, &err) ||
        (strcmp(o.impl, "reference") != 0 && attn_cli_select_impls(o.impl, &impls, &count, &err)) ||
        read_tensor("--q", o.q, &q, qs, &err) || read_tensor("--k", o.k, &k, ks, &err) ||
        read_tensor("--v", o.v, &v, vs, &err) || build_case(&o, inputs, qs, ks, vs, &c, &err) ||
        attn_cli_configure_runner(o.isolate, o.timeout, &err) ||
        attn_case_data_alloc(&c, &data, &err)) {
        status = attn_cli_report(&err);
        goto done;
    }
    if (count > 1) {
        attn_fail_input(&err, "run: --impl takes one implementation");
        status = attn_cli_report(&err);
        goto done;
    }
    attn_load_elements(c.problem.q_type, q.data, data.q, (int64_t)data.sizes.q);
    attn_load_elements(c.problem.k_type, k.data, data.k, (int64_t)data.sizes.k);
    attn_load_elements(c.problem.v_type, v.data, data.v, (int64_t)data.sizes.v);
    if (attn_check_inputs_finite(o.q, data.q, data.sizes.q, &err) ||
        attn_check_inputs_finite(o.k, data.k, data.sizes.k, &err) ||
        attn_check_inputs_finite(o.v, data.v, data.sizes.v, &err) ||
        attn_check_input_magnitudes(&c.problem, o.q, data.q, data.sizes.q, o.k, data.k,
                                    data.sizes.k, &err)) {
        status = attn_cli_report(&err);
        goto done;
    }
    int rc = impls ? run_impl(impls[0], &data, &o, qs, q.rank, &err)
                   : (attn_case_data_run_reference(&data, &err) ||
                      run_reference(&data, &o, qs, q.rank, &err));
    if (rc)
        status = attn_cli_report(&err);
done:
    attn_runner_shutdown();
    attn_case_data_free(&data);
    attn_array_free(&q);
    attn_array_free(&k);
    attn_array_free(&v);
    free(impls);
    return status;
}
