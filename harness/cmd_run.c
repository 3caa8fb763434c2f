/* attnbench run: one implementation (or the reference) on tensors from .npy files. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../reference/reference.h"
#include "case_data.h"
#include "check.h"
#include "cli.h"
#include "isolate.h"
#include "plugin.h"
#include "npy.h"

static const char run_help[] =
    "usage: attnbench run --impl NAME --q Q.npy --k K.npy --v V.npy --out O.npy\n"
    "                     [--lse LSE.npy] [--scale S] [--causal | --window L:R] [--threads N]\n"
    "                     [--plugin LIB.so]\n"
    "\n"
    "Reads float32 tensors Q [B][Hq][Nq][D], K [B][Hkv][Nkv][D], V [B][Hkv][Nkv][Dv]\n"
    "(leading axes of size 1 may be left out: [Nq][D] or [H][Nq][D]), runs the\n"
    "implementation and writes O [.., Nq, Dv] (and LSE [.., Nq]) as float32 .npy.\n"
    "--impl reference writes the float64 reference instead.\n"
    "\n"
    "  --scale S      score scale (default 1/sqrt(D))\n"
    "  --causal       causal mask, bottom-right aligned: query i sees keys\n"
    "                 j <= i + Nkv - Nq (PyTorch's is_causal is top-left aligned; the two\n"
    "                 agree only when Nq == Nkv)\n"
    "  --window L:R   local window: L keys left and R right of the diagonal (-1: unbounded)\n"
    "  --threads N    threads the implementation may use (default: all cores)\n";

typedef struct run_options {
    const char *impl, *q, *k, *v, *out, *lse, *scale, *window;
    bool causal;
    int threads;
} run_options;

static int parse_options(int argc, char **argv, run_options *o, attn_error *err) {
    o->threads = attn_cli_cpu_count();
    for (int i = 1; i < argc; i++) {
        const char *value = NULL;
        int m;
        if (attn_cli_flag(argv[i], "--help") || attn_cli_flag(argv[i], "-h")) {
            fputs(run_help, stdout);
            exit(ATTN_EXIT_OK);
        } else if (attn_cli_flag(argv[i], "--causal"))
            o->causal = true;
        else if ((m = attn_cli_value(argc, argv, &i, "--impl", &o->impl, err)) != 0 ||
                 (m = attn_cli_value(argc, argv, &i, "--q", &o->q, err)) != 0 ||
                 (m = attn_cli_value(argc, argv, &i, "--k", &o->k, err)) != 0 ||
                 (m = attn_cli_value(argc, argv, &i, "--v", &o->v, err)) != 0 ||
                 (m = attn_cli_value(argc, argv, &i, "--out", &o->out, err)) != 0 ||
                 (m = attn_cli_value(argc, argv, &i, "--lse", &o->lse, err)) != 0 ||
                 (m = attn_cli_value(argc, argv, &i, "--scale", &o->scale, err)) != 0 ||
                 (m = attn_cli_value(argc, argv, &i, "--window", &o->window, err)) != 0) {
            if (m < 0)
                return -1;
        } else if ((m = attn_cli_value(argc, argv, &i, "--threads", &value, err)) != 0) {
            if (m < 0 || attn_cli_positive("--threads", value, &o->threads, err))
                return -1;
        } else
            return attn_fail_input(err, "run: unknown option '%s' (see attnbench run --help)",
                                   argv[i]);
    }
    if (!o->impl || !o->q || !o->k || !o->v || !o->out)
        return attn_fail_input(err, "run: --impl, --q, --k, --v and --out are required");
    if (o->causal && o->window)
        return attn_fail_input(err, "run: give --causal or --window, not both");
    return 0;
}

/* Reads a float32 tensor of rank 2..4 and pads its shape to rank 4 with leading 1s. */
static int read_tensor(const char *option, const char *path, attn_array *a, int64_t shape[4],
                       attn_error *err) {
    if (attn_npy_read(path, a, err))
        return -1;
    if (a->dtype != ATTN_DTYPE_F32)
        return attn_fail_input(err,
                               "%s %s: dtype is float64; attention inputs are float32 "
                               "(numpy: x.astype(np.float32))",
                               option, path);
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

static int build_case(const run_options *o, const int64_t qs[4], const int64_t ks[4],
                      const int64_t vs[4], attn_case *c, attn_error *err) {
    attn_case_default(c);
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

/* What forward reported, followed in the same block by O and LSE. */
typedef struct forward_outcome {
    int rc;
    char message[512];
} forward_outcome;

#define OUTPUT_OFFSET ((sizeof(forward_outcome) + 63) / 64 * 64)

typedef struct forward_job {
    const attn_impl *impl;
    attn_args args; /* o and lse are set where the block lands */
    size_t o_count;
} forward_job;

static void run_forward(void *context, void *block) {
    forward_job *job = context;
    forward_outcome *outcome = block;
    attn_args args = job->args;
    args.o = (float *)((char *)block + OUTPUT_OFFSET);
    if (args.lse)
        args.lse = args.o + job->o_count;
    args.message = outcome->message;
    args.message_size = sizeof outcome->message;
    outcome->message[0] = '\0';
    outcome->rc = job->impl->forward(&args);
}

static int run_impl(const attn_impl *impl, const attn_case_data *d, const run_options *o,
                    const int64_t qs[4], int rank, attn_error *err) {
    const attn_problem *p = &d->c.problem;
    char reason[1024];
    if (attn_check_support(impl, &d->c, reason, sizeof reason) != ATTN_STATUS_PASSED)
        return attn_fail_input(err, "%s", reason);
    if (o->lse && !(impl->caps & ATTN_CAP_LSE))
        return attn_fail_input(err, "--lse: %s does not compute LSE", impl->name);
    size_t workspace_size = impl->workspace_size ? impl->workspace_size(p, o->threads) : 0;
    size_t block_size = OUTPUT_OFFSET + (d->sizes.o + d->sizes.lse) * sizeof(float);
    char *block = aligned_alloc(64, (block_size + 63) / 64 * 64);
    void *workspace = workspace_size ? aligned_alloc(64, (workspace_size + 63) / 64 * 64) : NULL;
    int rc = 0;
    if (!block || (workspace_size && !workspace)) {
        rc = attn_fail_internal(err, "out of memory");
        goto done;
    }
    forward_job job = {.impl = impl,
                       .args = {.problem = p,
                                .q = d->q,
                                .k = d->k,
                                .v = d->v,
                                .lse = o->lse ? (float *)block : NULL, /* placed by run_forward */
                                .workspace = workspace,
                                .workspace_size = workspace_size,
                                .threads = o->threads},
                       .o_count = d->sizes.o};
    forward_outcome *outcome = (forward_outcome *)block;
    char why[256];
    if (attn_impl_origin(impl)) { /* a plugin's crash is reported, not suffered */
        if (attn_run_isolated(run_forward, &job, block, block_size, 0, why, sizeof why)) {
            rc = attn_fail_internal(err, "%s (plugin %s) %s", impl->name, attn_impl_origin(impl),
                                    why);
            goto done;
        }
    } else
        run_forward(&job, block);
    const float *out = (const float *)(block + OUTPUT_OFFSET);
    int64_t o_shape[4] = {qs[0], qs[1], qs[2], p->head_dim_v};
    if (outcome->rc != ATTN_OK)
        rc = attn_fail_internal(err, "%s %s: %s", impl->name,
                                outcome->rc == ATTN_UNSUPPORTED ? "declined" : "failed",
                                outcome->message[0] ? outcome->message : "(no message)");
    else if (attn_npy_write(o->out, ATTN_DTYPE_F32, rank, o_shape + 4 - rank, out, err) ||
             (o->lse && attn_npy_write(o->lse, ATTN_DTYPE_F32, rank - 1, o_shape + 4 - rank,
                                       out + d->sizes.o, err)))
        rc = -1;
done:
    free(block);
    free(workspace);
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
    if (parse_options(argc, argv, &o, &err) ||
        (strcmp(o.impl, "reference") != 0 && attn_cli_select_impls(o.impl, &impls, &count, &err)) ||
        read_tensor("--q", o.q, &q, qs, &err) || read_tensor("--k", o.k, &k, ks, &err) ||
        read_tensor("--v", o.v, &v, vs, &err) || build_case(&o, qs, ks, vs, &c, &err) ||
        attn_case_data_alloc(&c, &data, &err)) {
        status = attn_cli_report(&err);
        goto done;
    }
    if (count > 1) {
        attn_fail_input(&err, "run: --impl takes one implementation");
        status = attn_cli_report(&err);
        goto done;
    }
    memcpy(data.q, q.data, data.sizes.q * sizeof(float));
    memcpy(data.k, k.data, data.sizes.k * sizeof(float));
    memcpy(data.v, v.data, data.sizes.v * sizeof(float));
    if (attn_check_inputs_finite(o.q, data.q, data.sizes.q, &err) ||
        attn_check_inputs_finite(o.k, data.k, data.sizes.k, &err) ||
        attn_check_inputs_finite(o.v, data.v, data.sizes.v, &err)) {
        status = attn_cli_report(&err);
        goto done;
    }
    int rc = impls ? run_impl(impls[0], &data, &o, qs, q.rank, &err)
                   : (attn_case_data_run_reference(&data, &err) ||
                      run_reference(&data, &o, qs, q.rank, &err));
    if (rc)
        status = attn_cli_report(&err);
done:
    attn_case_data_free(&data);
    attn_array_free(&q);
    attn_array_free(&k);
    attn_array_free(&v);
    free(impls);
    return status;
}
