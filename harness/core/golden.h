/* Golden sets: per case, the inputs, the float64 reference outputs with their tolerances
 * and the case string, as .npy files numpy can load, checksummed in sha256sum(1) format.
 *
 *   DIR/case-0001/case.txt     canonical case string
 *   DIR/case-0001/q.npy ...    q, k, v (float32); o, o_tol, lse, lse_tol (float64)
 *   DIR/case-0001/SHA256SUMS   checksums of the files above (`sha256sum -c` verifies)
 */
#ifndef ATTN_GOLDEN_H
#define ATTN_GOLDEN_H

#include "case_data.h"
#include "suite.h"

/* Writes the golden set of every case in suite under dir. The set is built in a
 * temporary folder beside dir and moved into place only when complete, so a failure
 * never leaves a half-written set; an existing set is replaced. progress, when not
 * NULL, is called after each case. */
int attn_golden_write_suite(const attn_suite *suite, const char *dir,
                            void (*progress)(size_t done, size_t total), attn_error *err);

/* Loads case number index (0-based) of a golden set, verifying checksums, shapes and that
 * the stored case string equals expected's canonical string. */
int attn_golden_load(const char *dir, size_t index, const attn_case *expected, attn_case_data *data,
                     attn_error *err);

/* True when dir exists and holds a golden set (its first case folder). */
bool attn_golden_exists(const char *dir);

#endif
