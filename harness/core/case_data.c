/* Case data: allocation, generation and the bridge to the reference. */
#include "case_data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reference.h"
#include "generate.h"

static void *alloc_array(size_t count, size_t element, attn_error *err) {
    size_t bytes;
    if (attn_size_mul(count ? count : 1, element, &bytes)) {
        attn_fail_input(err, "array of %zu elements overflows size_t", count);
        return NULL;
    }
    void *p = malloc(bytes);
    if (!p)
        attn_fail_internal(err, "out of memory allocating %zu bytes", bytes);
    return p;
}

int attn_case_data_alloc(const attn_case *c, attn_case_data *data, attn_error *err) {
    memset(data, 0, sizeof *data);
    data->c = *c;
    data->sample.full = true;
    if (attn_case_sizes_of(c, &data->sizes, err))
        return -1;
    const attn_case_sizes *s = &data->sizes;
    data->sample.rows = data->sample.total = s->rows;
    data->sample.pairs = (size_t)(c->problem.batch * c->problem.heads_q);
    if (c->problem.ragged && attn_serving_make(c, &data->serving, err))
        return -1;
    if (!(data->q = alloc_array(s->q, sizeof(float), err)) ||
        !(data->k = alloc_array(s->k, sizeof(float), err)) ||
        !(data->v = alloc_array(s->v, sizeof(float), err)) ||
        !(data->o = alloc_array(s->o, sizeof(double), err)) ||
        !(data->o_tol = alloc_array(s->o, sizeof(double), err)) ||
        !(data->o_plain = alloc_array(s->o, sizeof(float), err)) ||
        !(data->o_contract = alloc_array(s->o, sizeof(float), err)) ||
        !(data->lse = alloc_array(s->lse, sizeof(double), err)) ||
        !(data->lse_tol = alloc_array(s->lse, sizeof(double), err))) {
        attn_case_data_free(data);
        return -1;
    }
    return 0;
}

attn_ref_params attn_case_ref_params(const attn_problem *p, const attn_ref_contract *contract) {
    attn_ref_params params = {
        .batch = p->batch,
        .heads_q = p->heads_q,
        .heads_kv = p->heads_kv,
        .seq_q = p->seq_q,
        .seq_kv = p->seq_kv,
        .head_dim = p->head_dim,
        .head_dim_v = p->head_dim_v,
        .window_left = p->window_left,
        .window_right = p->window_right,
        .scale = p->scale,
    };
    if (contract)
        params.contract = *contract;
    return params;
}

static attn_ref_params params_of(const attn_case_data *data) {
    return attn_case_ref_params(&data->c.problem, &data->contract);
}

void attn_case_data_sequence(const attn_case_data *data, int64_t b, attn_case_data *view) {
    memset(view, 0, sizeof *view);
    attn_case_sequence(&data->c, b, &view->c);
    attn_sequence_offsets at;
    attn_serving_offsets(&data->serving, &data->c.problem, b, &at);
    const attn_problem *p = &view->c.problem;
    view->sizes.lse = view->sizes.rows = (size_t)(p->heads_q * p->seq_q);
    view->sizes.q = view->sizes.rows * (size_t)p->head_dim;
    view->sizes.o = view->sizes.rows * (size_t)p->head_dim_v;
    view->sizes.k = (size_t)(p->heads_kv * p->seq_kv * p->head_dim);
    view->sizes.v = (size_t)(p->heads_kv * p->seq_kv * p->head_dim_v);
    view->q = data->q + at.q;
    view->k = data->k + at.k;
    view->v = data->v + at.v;
    view->o = data->o + at.o;
    view->o_tol = data->o_tol + at.o;
    view->o_plain = data->o_plain + at.o;
    view->o_contract = data->o_contract + at.o;
    view->lse = data->lse + at.lse;
    view->lse_tol = data->lse_tol + at.lse;
    view->contract = data->contract;
    view->sample.full = data->sample.full;
    view->sample.verified = data->sample.full ? NULL : data->sample.verified + at.lse;
    view->sample.total = view->sizes.rows;
}

static int run_reference_uniform(attn_case_data *data, attn_error *err);
static int run_plain_rows(attn_case_data *data, bool of_contract, float *out, attn_error *err);

/* Runs step on every sequence of a ragged case (a view each), else on data itself. */
static int per_sequence(attn_case_data *data, int (*step)(attn_case_data *, attn_error *),
                        attn_error *err) {
    if (!data->c.problem.ragged)
        return step(data, err);
    for (int64_t b = 0; b < data->c.problem.batch; b++) {
        attn_case_data view;
        attn_case_data_sequence(data, b, &view);
        if (view.sizes.rows > 0 && step(&view, err))
            return -1;
    }
    return 0;
}

int attn_case_data_run_reference(attn_case_data *data, attn_error *err) {
    return per_sequence(data, run_reference_uniform, err);
}

static int run_reference_uniform(attn_case_data *data, attn_error *err) {
    const attn_ref_params params = params_of(data);
    if (attn_reference_forward_rows(&params, data->q, data->k, data->v, data->sample.verified,
                                    data->o, data->o_tol, data->lse, data->lse_tol))
        return attn_fail_internal(err, "out of memory in the reference");
    return 0;
}

/* A ragged case's sequence b as a ragged case of one sequence, in the same storage. */
static void ragged_slice_case(const attn_case *c, int64_t b, attn_case *one) {
    *one = *c;
    one->problem.batch = 1;
    one->lengths_tied = false;
    for (int w = 0; w < 2; w++) {
        attn_lengths *l = &one->lengths[w];
        const int64_t n = attn_case_seq_len(c, w, b);
        memset(l, 0, sizeof *l);
        l->kind = ATTN_LENGTHS_LIST;
        l->count = 1;
        l->list[0] = (int32_t)n;
    }
    attn_case_finish(one);
}

int attn_case_data_slice_batch(const attn_case_data *src, int64_t b, attn_case_data *dst,
                               attn_error *err) {
    attn_case one = src->c;
    one.problem.batch = 1;
    attn_sequence_offsets at = {0};
    if (src->c.problem.ragged) {
        ragged_slice_case(&src->c, b, &one);
        attn_serving_offsets(&src->serving, &src->c.problem, b, &at);
    }
    if (attn_case_data_alloc(&one, dst, err))
        return -1;
    const attn_case_sizes *s = &dst->sizes;
    if (!src->c.problem.ragged) {
        const size_t n = (size_t)b;
        at = (attn_sequence_offsets){n * s->q, n * s->k, n * s->v, n * s->o, n * s->lse};
    }
    memcpy(dst->q, src->q + at.q, s->q * sizeof *dst->q);
    memcpy(dst->k, src->k + at.k, s->k * sizeof *dst->k);
    memcpy(dst->v, src->v + at.v, s->v * sizeof *dst->v);
    memcpy(dst->o, src->o + at.o, s->o * sizeof *dst->o);
    memcpy(dst->o_tol, src->o_tol + at.o, s->o * sizeof *dst->o_tol);
    memcpy(dst->o_plain, src->o_plain + at.o, s->o * sizeof *dst->o_plain);
    memcpy(dst->o_contract, src->o_contract + at.o, s->o * sizeof *dst->o_contract);
    dst->contract = src->contract;
    memcpy(dst->lse, src->lse + at.lse, s->lse * sizeof *dst->lse);
    memcpy(dst->lse_tol, src->lse_tol + at.lse, s->lse * sizeof *dst->lse_tol);
    if (!src->sample.full) {
        dst->sample.full = false;
        dst->sample.verified = malloc(s->rows ? s->rows : 1);
        if (!dst->sample.verified) {
            attn_case_data_free(dst);
            return attn_fail_internal(err, "out of memory slicing a batch");
        }
        memcpy(dst->sample.verified, src->sample.verified + at.lse, s->rows);
        dst->sample.rows = 0;
        for (size_t r = 0; r < s->rows; r++)
            dst->sample.rows += dst->sample.verified[r];
    }
    return 0;
}

static bool contract_is_float32(const attn_ref_contract *c) {
    const attn_ref_contract zero = {0};
    attn_ref_contract f32 = zero;
    f32.score = f32.prob = f32.accum = f32.out = attn_ref_float32;
    return memcmp(c, &zero, sizeof *c) == 0 || memcmp(c, &f32, sizeof *c) == 0;
}

/* Fills out ([rows][Dv]) with the plain computation of the verified rows: float32, or the
 * data's contract. */
static int run_plain_rows(attn_case_data *data, bool of_contract, float *out, attn_error *err) {
    const attn_problem *p = &data->c.problem;
    const attn_ref_params params = params_of(data);
    const unsigned char *verified = data->sample.verified;
    const int64_t rows = (int64_t)data->sizes.rows;
    const size_t scratch_bytes = (size_t)(p->seq_kv > 0 ? p->seq_kv : 1) *
                                 (of_contract ? 2 * sizeof(double) : sizeof(float));
    int failed = 0;
#pragma omp parallel reduction(| : failed)
    {
        void *scratch = malloc(scratch_bytes);
        failed = scratch == NULL;
#pragma omp for schedule(dynamic, 8)
        for (int64_t row = 0; row < rows; row++) {
            float *o = out + row * p->head_dim_v;
            if (!scratch || (verified && !verified[row])) {
                for (int64_t c = 0; c < p->head_dim_v; c++)
                    o[c] = NAN;
                continue;
            }
            const int64_t i = row % p->seq_q, bh = row / p->seq_q;
            if (of_contract)
                attn_reference_plain_contract_row(&params, data->q, data->k, data->v,
                                                  bh / p->heads_q, bh % p->heads_q, i, scratch, o);
            else
                attn_reference_plain_fp32_row(&params, data->q, data->k, data->v, bh / p->heads_q,
                                              bh % p->heads_q, i, scratch, o);
        }
        free(scratch);
    }
    if (failed)
        return attn_fail_internal(err, "out of memory in the plain computation");
    return 0;
}

static int plain_fp32(attn_case_data *data, attn_error *err) {
    return run_plain_rows(data, false, data->o_plain, err);
}

static int plain_contract(attn_case_data *data, attn_error *err) {
    return run_plain_rows(data, true, data->o_contract, err);
}

int attn_case_data_run_plain(attn_case_data *data, attn_error *err) {
    if (per_sequence(data, plain_fp32, err))
        return -1;
    if (contract_is_float32(&data->contract)) {
        memcpy(data->o_contract, data->o_plain, data->sizes.o * sizeof *data->o_plain);
        return 0;
    }
    return per_sequence(data, plain_contract, err);
}

int attn_case_data_use_contract(attn_case_data *data, const attn_ref_contract *contract,
                                attn_error *err) {
    const bool same = memcmp(&data->contract, contract, sizeof *contract) == 0 ||
                      (contract_is_float32(&data->contract) && contract_is_float32(contract));
    if (same)
        return 0;
    data->contract = *contract;
    if (attn_case_data_run_reference(data, err))
        return -1;
    if (contract_is_float32(contract)) {
        memcpy(data->o_contract, data->o_plain, data->sizes.o * sizeof *data->o_plain);
        return 0;
    }
    return per_sequence(data, plain_contract, err);
}

int attn_case_data_compute(const attn_case *c, attn_case_data *data, attn_error *err) {
    return attn_case_data_compute_under(c, NULL, data, err);
}

int attn_case_data_compute_under(const attn_case *c, const attn_ref_contract *contract,
                                 attn_case_data *data, attn_error *err) {
    if (attn_case_data_alloc(c, data, err))
        return -1;
    if (contract)
        data->contract = *contract;
    attn_generate_inputs(c, data->q, data->k, data->v);
    if (attn_row_sample_choose(c, &data->sample, err) ||
        attn_check_inputs_finite("Q", data->q, data->sizes.q, err) ||
        attn_check_inputs_finite("K", data->k, data->sizes.k, err) ||
        attn_check_inputs_finite("V", data->v, data->sizes.v, err) ||
        attn_case_data_run_reference(data, err) || attn_case_data_run_plain(data, err)) {
        attn_case_data_free(data);
        return -1;
    }
    return 0;
}

int attn_check_inputs_finite(const char *what, const float *x, size_t count, attn_error *err) {
    for (size_t i = 0; i < count; i++)
        if (!isfinite(x[i]))
            return attn_fail_input(err, "%s holds %s at flat index %zu: inputs must be finite",
                                   what, isnan(x[i]) ? "NaN" : "Inf", i);
    return 0;
}

void attn_case_data_free(attn_case_data *data) {
    free(data->q);
    free(data->k);
    free(data->v);
    free(data->o);
    free(data->o_tol);
    free(data->o_plain);
    free(data->o_contract);
    free(data->lse);
    free(data->lse_tol);
    attn_row_sample_free(&data->sample);
    attn_serving_free(&data->serving);
    memset(data, 0, sizeof *data);
}

double attn_default_memory_cap(void) {
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? 0.5 * (double)pages * (double)page : 4.0 * (1 << 30);
}

int attn_case_check_affordable(const attn_case *c, double memory_cap_bytes, attn_error *err) {
    attn_case_sizes s;
    if (attn_case_sizes_of(c, &s, err))
        return -1;
    /* inputs twice (reference data and the checker's copies), o and o_tol in double,
     * the guarded float output, lse likewise */
    double bytes = 8.0 * (double)(s.q + s.k + s.v) + 20.0 * (double)s.o + 20.0 * (double)s.lse;
    attn_row_sample sample;
    if (attn_row_sample_choose(c, &sample, err))
        return -1;
    const double case_work = attn_case_reference_work(c);
    const double work = sample.total ? (double)sample.rows / (double)sample.total * case_work : 0.0;
    attn_row_sample_free(&sample);
    char text[ATTN_CASE_STRING_MAX];
    attn_case_format(c, text);
    if (bytes > memory_cap_bytes)
        return attn_fail_input(err, "case '%s' needs %.1f GiB to check, over the cap of %.1f GiB",
                               text, bytes / (1 << 30), memory_cap_bytes / (1 << 30));
    if (case_work > ATTN_CHECK_MAX_CASE_WORK)
        return attn_fail_input(err,
                               "case '%s' needs %.2g multiply-adds (over %.2g): check runs every "
                               "implementation on all of it; time it with bench, which verifies "
                               "sampled rows",
                               text, case_work, ATTN_CHECK_MAX_CASE_WORK);
    if (work > ATTN_CHECK_MAX_REFERENCE_WORK)
        return attn_fail_input(err,
                               "case '%s': the float64 reference would need %.2g multiply-adds "
                               "on the rows it verifies (over %.2g); check smaller cases",
                               text, work, ATTN_CHECK_MAX_REFERENCE_WORK);
    return 0;
}
