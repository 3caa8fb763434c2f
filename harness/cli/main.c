/* attnbench: conformance checks and benchmarks for attention kernels. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "environment.h"
#include "plugin.h"
#include "version.h"
#include "worker.h"

static void usage(FILE *out) {
    fputs("usage: attnbench COMMAND [options]   (attnbench COMMAND --help for details)\n"
          "\n"
          "commands:\n"
          "  list     implementations, their capabilities, suites and distributions\n"
          "  check    run implementations on a suite and judge them against the reference\n"
          "  golden   write a suite's golden set (inputs, float64 outputs, tolerances)\n"
          "  run      run one implementation on tensors read from .npy files\n"
          "  bench    time implementations across a sweep and write a CSV report\n"
          "  version  the version, plugin interface and commit (also: attnbench --version)\n"
          "\n"
          "\n"
          "--plugin LIB.so (repeatable, with any command) adds the implementations of a\n"
          "plugin library built against impls/include/attnbench.h (README: Test your own kernel).\n"
          "\n"
          "exit status: 0 success, 1 a check failed, 2 bad usage or input, 3 internal error\n",
          out);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return ATTN_EXIT_BAD_INPUT;
    }
    const char *command = argv[1];
    if (strcmp(command, ATTN_WORKER_COMMAND) == 0) /* a worker attnbench started */
        return attn_worker_main(argc, argv);
    if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0 ||
        strcmp(command, "help") == 0) {
        usage(stdout);
        return ATTN_EXIT_OK;
    }
    if (strcmp(command, "--version") == 0 || strcmp(command, "version") == 0)
        return attn_cmd_version(argc - 1, argv + 1);
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } commands[] = {{"list", attn_cmd_list},
                    {"check", attn_cmd_check},
                    {"golden", attn_cmd_golden},
                    {"run", attn_cmd_run},
                    {"bench", attn_cmd_bench}};
    /* Timings on a generic OpenBLAS core would be a fifth of what the machine can do. */
    if (strcmp(command, "bench") == 0)
        attn_blas_core_fix_or_return(argv);
    for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++) {
        if (strcmp(command, commands[c].name) != 0)
            continue;
        attn_error err = {0};
        int command_argc = argc - 1;
        if (attn_plugin_load_from_args(&command_argc, argv + 1, &err)) {
            attn_plugin_unload_all();
            return attn_cli_report(&err);
        }
        int status = commands[c].run(command_argc, argv + 1);
        attn_plugin_unload_all();
        return status;
    }
    fprintf(stderr, "attnbench: unknown command '%s'\n", command);
    usage(stderr);
    return ATTN_EXIT_BAD_INPUT;
}
