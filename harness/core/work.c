/* FLOP and byte counts of a case. */
#include "work.h"

#include "element_type.h"

void attn_work_of(const attn_case *c, attn_work *work) {
    const attn_problem *p = &c->problem;
    int64_t per_head = attn_case_visible_pairs(p);
    double heads = (double)p->batch * (double)p->heads_q;
    work->visible_pairs = per_head * p->batch * p->heads_q;
    work->flops = 2.0 * (double)(p->head_dim + p->head_dim_v) * (double)per_head * heads;
    double q = heads * (double)p->seq_q * (double)p->head_dim;
    double kv_heads = (double)p->batch * (double)p->heads_kv;
    double k = kv_heads * (double)p->seq_kv * (double)p->head_dim;
    double v = kv_heads * (double)p->seq_kv * (double)p->head_dim_v;
    double o = heads * (double)p->seq_q * (double)p->head_dim_v;
    work->bytes = (double)attn_type_size(p->q_type) * q + (double)attn_type_size(p->k_type) * k +
                  (double)attn_type_size(p->v_type) * v + (double)attn_type_size(p->o_type) * o;
}
