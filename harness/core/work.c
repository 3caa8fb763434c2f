/* FLOP and byte counts of a case. */
#include "work.h"

#include "element_type.h"

/* Rows of Q and O and of K and V a uniform problem has. */
static void add_uniform(const attn_problem *p, attn_work *work, double *q_rows, double *kv_rows) {
    const int64_t per_head = attn_case_visible_pairs(p);
    const double heads = (double)p->batch * (double)p->heads_q;
    work->visible_pairs += per_head * p->batch * p->heads_q;
    work->flops += 2.0 * (double)(p->head_dim + p->head_dim_v) * (double)per_head * heads;
    *q_rows += heads * (double)p->seq_q;
    *kv_rows += (double)p->batch * (double)p->heads_kv * (double)p->seq_kv;
}

void attn_work_of(const attn_case *c, attn_work *work) {
    const attn_problem *p = &c->problem;
    double q_rows = 0, kv_rows = 0;
    work->visible_pairs = 0;
    work->flops = 0;
    if (!p->ragged) {
        add_uniform(p, work, &q_rows, &kv_rows);
    } else {
        for (int64_t b = 0; b < p->batch; b++) {
            attn_case one;
            attn_case_sequence(c, b, &one);
            add_uniform(&one.problem, work, &q_rows, &kv_rows);
        }
    }
    work->tokens = q_rows / (double)p->heads_q;
    work->bytes = (double)attn_type_size(p->q_type) * q_rows * (double)p->head_dim +
                  (double)attn_type_size(p->k_type) * kv_rows * (double)p->head_dim +
                  (double)attn_type_size(p->v_type) * kv_rows * (double)p->head_dim_v +
                  (double)attn_type_size(p->o_type) * q_rows * (double)p->head_dim_v;
}
