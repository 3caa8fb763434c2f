/* Golden sets: per case, the inputs, the float64 reference outputs with their tolerances
 * and the case string, as .npy files numpy can load, checksummed in sha256sum(1) format.
 *
 *   DIR/case-0001/case.txt     canonical case string
 *   DIR/case-0001/types.txt    element types: "q bf16", "k ..", "v ..", "o ..", and
 *                              "tolerance f32" (absent in sets of format 1: all f32)
 *   DIR/case-0001/q.npy ...    q, k, v at their types ('<f4', fp16 '<f2', bf16 bits '<u2');
 *                              o, o_tol, lse, lse_tol (float64; the float32 contract's bound)
 *   DIR/case-0001/SHA256SUMS   checksums of the files above (`sha256sum -c` verifies)
 *   DIR/ATTNBENCH_GOLDEN_SET   marker: a folder `attnbench golden` wrote and may replace
 */
#ifndef ATTN_GOLDEN_H
#define ATTN_GOLDEN_H

#include <signal.h>

#include "case_data.h"
#include "suite.h"

/* Writes the golden set of every case in suite under dir (a trailing slash is fine).
 * The set is built in a temporary folder beside dir (dir.partial-PID) and moved into place
 * only when complete, so a failure never leaves a half-written set. dir may be absent, an
 * empty folder or a golden set written by attnbench (it holds the marker file
 * ATTNBENCH_GOLDEN_SET, or, written before the marker, case-0001/SHA256SUMS, and nothing
 * else than case folders with golden files): such a set is replaced. Anything else (a
 * file, a link, a folder holding anything else, ".") is refused as bad input. Leftovers of
 * runs that were killed (dir.partial-PID, dir.old-PID of a process that no longer runs)
 * are removed. progress, when not NULL, is called after each case; when *stop (may be
 * NULL) becomes nonzero, as a signal handler sets it, the write stops at the next case,
 * removes its temporary folder and fails, leaving dir unchanged. */
int attn_golden_write_suite(const attn_suite *suite, const char *dir,
                            void (*progress)(size_t done, size_t total),
                            const volatile sig_atomic_t *stop, attn_error *err);

/* Loads case number index (0-based) of a golden set, verifying checksums, shapes, that
 * the stored case string equals expected's canonical string, and that every stored value
 * is one the reference can write (finite inputs, outputs and tolerances >= 0; LSE may be
 * -inf): anything else is a damaged set, a bad-input error naming the file and element. */
int attn_golden_load(const char *dir, size_t index, const attn_case *expected, attn_case_data *data,
                     attn_error *err);

/* True when dir exists and holds a golden set (its first case folder). */
bool attn_golden_exists(const char *dir);

#endif
