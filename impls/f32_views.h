/* For kernels that compute in float32 on inputs of any element type: the tensors widened
 * (exactly) to dense float32 BHSD copies in part of the workspace, a float32 output there,
 * and the result rounded into O afterwards. Internal to impls/. */
#ifndef ATTN_F32_VIEWS_H
#define ATTN_F32_VIEWS_H

#include <stdbool.h>
#include <stddef.h>

#include "attnbench.h"

/* True when any of Q, K, V and O is not float32 (copies are needed). */
bool attn_f32_views_needed(const attn_problem *p);

/* Bytes of workspace the copies take (0 when none are needed). */
size_t attn_f32_views_size(const attn_problem *p);

/* Fills *f32 with a's problem, threads, LSE and message, and dense float32 Q, K, V (the
 * inputs widened) and O (NaN until written) in memory (attn_f32_views_size bytes, 64-byte
 * aligned); the workspace is left for the caller to set. */
void attn_f32_views_make(const attn_args *a, void *memory, attn_args *f32);

/* Rounds f32's O into a's O. */
void attn_f32_views_finish(const attn_args *a, const attn_args *f32);

/* For a forward that needs kernel_bytes of workspace (what its workspace_size returned
 * before adding attn_f32_views_size): a itself when nothing needs converting, else *f32,
 * made with the copies placed after the kernel's part of the workspace. */
const attn_args *attn_f32_views_begin(const attn_args *a, size_t kernel_bytes, attn_args *f32);
/* Finishes what attn_f32_views_begin started (nothing when it returned a). */
void attn_f32_views_end(const attn_args *a, const attn_args *used);

/* For a kernel that reads K and V in their own type (attn_widen_rows) and needs only Q and O
 * as float32: the bytes of workspace dense float32 copies of whichever of Q and O are not
 * float32 take, and attn_f32_views_begin's counterpart for them. *f32 keeps a's K and V; O
 * is NaN until written. */
size_t attn_f32_qo_views_size(const attn_problem *p);
const attn_args *attn_f32_qo_views_begin(const attn_args *a, size_t kernel_bytes, attn_args *f32);

/* dst[r][c] = element c of the row at src + r * src_stride elements of type dtype, for r <
 * rows, c < width (dst dense, rows x width): exact widening, F16C where the CPU has it. */
void attn_widen_rows(int32_t dtype, const void *src, int64_t src_stride, int64_t rows,
                     int64_t width, float *dst);

/* The precision contract of such a kernel: any type for Q, K, V and O, every stage f32. */
extern const attn_precision attn_f32_compute_precision;

#endif
