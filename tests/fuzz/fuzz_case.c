/* libFuzzer target: arbitrary bytes as a case string for attn_case_parse (problem.h).
 * Accepted: the case validates and its canonical string round-trips exactly.
 * Rejected: the error carries a kind and a non-empty message. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../harness/core/problem.h"
#include "fuzz_case_check.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_strndup(data, size);
    attn_case c;
    attn_error err;
    fuzz_error_reset(&err);
    int rc = attn_case_parse(text, &c, &err);
    if (fuzz_verbose()) {
        char canonical[ATTN_CASE_STRING_MAX];
        if (rc == 0)
            attn_case_format(&c, canonical);
        fprintf(stderr, "attn_case_parse: %s%s\n",
                rc == 0 ? "accepted: " : "error: ", rc == 0 ? canonical : err.message);
    }
    if (rc == 0)
        fuzz_check_case(&c, "attn_case_parse");
    else
        fuzz_check_error(&err, "attn_case_parse");
    free(text);
    return 0;
}
