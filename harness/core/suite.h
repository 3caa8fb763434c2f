/* Suite files: a small line grammar, in the spirit of oneDNN benchdnn's batch files,
 * that expands into a list of cases.
 *
 *   # comment                  to the end of the line
 *   --key=v1,v2,...            sets a persistent list for key (until --reset)
 *   --reset                    restores every key to its default
 *   --include=FILE             reads FILE (relative to this file's folder) in place
 *   key=v1,v2 key2=w1 ...      emits the cross product of the persistent lists, with the
 *                              keys on this line replacing theirs for this line only
 *
 * Keys are those of a case (problem.h). The cross product runs over them in the order
 * b, h, hq, hkv, n, nq, nkv, d, dv, causal, window, scale, seed, dist, types, the last key
 * fastest. Setting n (h) replaces nq and nkv (hq and hkv), both among the persistent
 * settings and for a line; causal and window replace each other the same way. The case
 * keys of one line set each field once: "n=3 n=5", "h=2 hq=4" or "causal=1 window=2:2"
 * on one line is an error naming both (among --keys, where a specific key refines its
 * alias, only the same key twice on one line is). Files are ASCII; a UTF-8 byte-order
 * mark at the start is skipped. */
#ifndef ATTN_SUITE_H
#define ATTN_SUITE_H

#include <stddef.h>

#include "problem.h"

typedef struct attn_suite {
    attn_case *cases;
    size_t count;
    char path[4096]; /* the file it was read from ("" for an embedded suite) */
} attn_suite;

/* Folder holding the named suites: $ATTNBENCH_SUITES_DIR, else the build's default. */
const char *attn_suites_dir(void);

/* Resolves NAME (a file in the suites folder, ".suite" appended) or a path to a file. */
int attn_suite_resolve(const char *name_or_path, char *path, size_t path_size, attn_error *err);

/* Reads a suite file; errors name file:line and the bad token. */
int attn_suite_load(const char *path, attn_suite *suite, attn_error *err);

/* Parses suite text held in memory; origin names it in messages. */
int attn_suite_parse_text(const char *text, const char *origin, attn_suite *suite, attn_error *err);

/* Gives every case of the suite the element types text names (a case's "types" value:
 * "bf16", "f32/f16/f16/f32"); an error names the case that cannot take them. */
int attn_suite_set_types(attn_suite *suite, const char *types, attn_error *err);

/* The folder of a named suite's committed golden set at a case's element types:
 * suites/golden/NAME for f32, suites/golden/NAME-bf16, NAME-f32-f16-f16-f32 ("/" as "-").
 * -1 when it does not fit. */
int attn_suite_golden_dir(const char *name, const attn_problem *types, char *dir, size_t size);

void attn_suite_free(attn_suite *suite);

#endif
