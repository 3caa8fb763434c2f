/* attnbench: conformance checks and benchmarks for attention kernels. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "environment.h"
#include "planted_slowdown.h"
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
          "--plugin LIB.so (repeatable, with any command, before or after it) adds the\n"
          "implementations of a plugin library built against impls/include/attnbench.h\n"
          "(README: Test your own kernel).\n"
          "\n"
          "exit status: 0 success, 1 a check failed, 2 bad usage or input, 3 internal error\n"
          "(also when standard output cannot be written, e.g. a full disk)\n",
          out);
}

/* Output lost on a full disk or a closed pipe must not end in success: at exit, a stdout
 * that failed turns the status into 3. _exit, as exit may not be called again here. */
static void check_stdout_at_exit(void) {
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fputs("attnbench: error writing to standard output\n", stderr);
        _exit(ATTN_EXIT_INTERNAL);
    }
}

static bool is_plugin_option(const char *arg) {
    return strcmp(arg, "--plugin") == 0 || strncmp(arg, "--plugin=", 9) == 0;
}

/* Moves --plugin options given before the command to after it, so that
 * `attnbench --plugin LIB.so check` reads as `attnbench check --plugin LIB.so`. */
static int move_leading_plugins(int argc, char **argv) {
    int first = 1;
    while (first < argc && is_plugin_option(argv[first])) {
        if (strcmp(argv[first], "--plugin") == 0 && first + 1 >= argc) {
            fputs("attnbench: --plugin needs a value\n", stderr);
            return -1;
        }
        first += strcmp(argv[first], "--plugin") == 0 ? 2 : 1;
    }
    if (first == 1)
        return 0;
    if (first >= argc) {
        fputs("attnbench: --plugin given but no command\n", stderr);
        return -1;
    }
    char *command = argv[first];
    memmove(argv + 2, argv + 1, (size_t)(first - 1) * sizeof *argv);
    argv[1] = command;
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], ATTN_WORKER_COMMAND) == 0) /* a worker attnbench started */
        return attn_worker_main(argc, argv);
    atexit(check_stdout_at_exit);
    if (argc >= 2 && move_leading_plugins(argc, argv) != 0) {
        usage(stderr);
        return ATTN_EXIT_BAD_INPUT;
    }
    if (argc < 2) {
        usage(stderr);
        return ATTN_EXIT_BAD_INPUT;
    }
    const char *command = argv[1];
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
        if (attn_planted_slowdown_init(true, &err))
            return attn_cli_report(&err);
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
