/* attnbench golden: write a suite's golden set. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "golden.h"
#include "interrupt.h"

static const char golden_help[] =
    "usage: attnbench golden --suite NAME|FILE [--types T] --out DIR\n"
    "\n"
    "Runs the float64 reference on every case of the suite and writes, per case, the\n"
    "inputs at their element types (q.npy, k.npy, v.npy: float32 '<f4', fp16 '<f2', or bf16\n"
    "as its raw bits in '<u2', which numpy cannot name), the outputs and their float32-\n"
    "contract tolerances (float64), the case string (case.txt) and the element types\n"
    "(types.txt) under DIR/case-NNNN/, with a SHA256SUMS file that `attnbench check` (and\n"
    "`sha256sum -c`) verifies, and the marker file DIR/ATTNBENCH_GOLDEN_SET. The set is\n"
    "built beside DIR (DIR.partial-PID) and moved into place only when complete.\n"
    "\n"
    "  --types T   give every case these element types first (as `check --types`: bf16,\n"
    "              f16, or Q/K/V/O such as f32/f16/f16/f32); `check --types T` on suite\n"
    "              NAME uses the set at suites/golden/NAME-T ('/' as '-')\n"
    "\n"
    "DIR may be new, an empty folder, or a golden set written by attnbench (with the\n"
    "marker, or case-0001/SHA256SUMS, and nothing else than its case folders): that set\n"
    "is replaced. Anything else (a file, a symbolic link, '.', a folder holding other\n"
    "files) is refused with exit status 2 and left untouched.\n"
    "\n"
    "Ctrl-C or SIGTERM stops at the next case, removes DIR.partial-PID and leaves DIR\n"
    "unchanged; a DIR.partial-PID whose process no longer runs (killed) is removed by the\n"
    "next golden run for DIR.\n"
    "\n"
    "Exit status: 0 written; 2 bad usage or a DIR that may not be replaced; 3 internal\n"
    "error; 128 + signal number when interrupted.\n";

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
    const char *suite_name = NULL, *out = NULL, *types = NULL;
    const attn_option options[] = {ATTN_TEXT("--suite", &suite_name), ATTN_TEXT("--out", &out),
                                   ATTN_TEXT("--types", &types)};
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
    if (types && attn_suite_set_types(&suite, types, &err)) {
        attn_error_prefix(&err, "--types %s", types);
        attn_suite_free(&suite);
        return attn_cli_report(&err);
    }
    attn_interrupt_install();
    int rc = attn_golden_write_suite(&suite, out, isatty(STDERR_FILENO) ? show_progress : NULL,
                                     &attn_interrupted, &err);
    if (rc == 0)
        printf("golden: wrote %zu cases of %s%s%s to %s\n", suite.count, path,
               types ? " at types " : "", types ? types : "", out);
    attn_suite_free(&suite);
    if (rc && attn_interrupted) {
        if (isatty(STDERR_FILENO))
            fputc('\n', stderr);
        attn_cli_report(&err);
        return 128 + (int)attn_interrupted;
    }
    return rc ? attn_cli_report(&err) : ATTN_EXIT_OK;
}
