/* attnbench golden: write a suite's golden set. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "golden.h"

static const char golden_help[] =
    "usage: attnbench golden --suite NAME|FILE --out DIR\n"
    "\n"
    "Runs the float64 reference on every case of the suite and writes, per case, the\n"
    "inputs (float32), the outputs and their tolerances (float64) and the case string as\n"
    ".npy files under DIR/case-NNNN/, with a SHA256SUMS file that `attnbench check` (and\n"
    "`sha256sum -c`) verifies. The set is built beside DIR and moved into place only when\n"
    "complete; an existing set at DIR is replaced.\n";

static void show_progress(size_t done, size_t total) {
    fprintf(stderr, "\rgolden: %zu/%zu cases", done, total);
    if (done == total)
        fputc('\n', stderr);
}

static void print_help(void) {
    fputs(golden_help, stdout);
}

int attn_cmd_golden(int argc, char **argv) {
    attn_error err = {0};
    const char *suite_name = NULL, *out = NULL;
    const attn_option options[] = {ATTN_TEXT("--suite", &suite_name), ATTN_TEXT("--out", &out)};
    if (attn_cli_parse(argc, argv, "golden", options, sizeof options / sizeof options[0],
                       print_help, &err))
        return attn_cli_report(&err);
    if (!suite_name || !out) {
        attn_fail_input(&err, "golden: --suite and --out are required");
        return attn_cli_report(&err);
    }
    char path[4096];
    attn_suite suite;
    if (attn_suite_resolve(suite_name, path, sizeof path, &err) ||
        attn_suite_load(path, &suite, &err))
        return attn_cli_report(&err);
    int rc =
        attn_golden_write_suite(&suite, out, isatty(STDERR_FILENO) ? show_progress : NULL, &err);
    if (rc == 0)
        printf("golden: wrote %zu cases of %s to %s\n", suite.count, path, out);
    attn_suite_free(&suite);
    return rc ? attn_cli_report(&err) : ATTN_EXIT_OK;
}
