/* attnbench version: the release, interface and commit this binary was built as. */
#include "version.h"

#include <string.h>

#include "attnbench.h"
#include "attn_git_commit.h"
#include "error.h"

#ifndef ATTN_VERSION
#define ATTN_VERSION "unknown"
#endif

void attn_version_print(FILE *out) {
    fprintf(out, "attnbench %s (interface %d.%d, commit %s)\n", ATTN_VERSION, (int)ATTN_ABI_MAJOR,
            (int)ATTN_ABI_MINOR, ATTN_GIT_COMMIT);
}

int attn_cmd_version(int argc, char **argv) {
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        puts("usage: attnbench version   (or attnbench --version)\n"
             "\n"
             "Prints the attnbench version, the plugin interface version (ATTN_ABI_MAJOR.\n"
             "ATTN_ABI_MINOR of attnbench.h) that plugins must be built against, and the commit\n"
             "it was built from.");
        return ATTN_EXIT_OK;
    }
    if (argc > 1) {
        fprintf(stderr, "attnbench: version takes no options (got '%s')\n", argv[1]);
        return ATTN_EXIT_BAD_INPUT;
    }
    attn_version_print(stdout);
    return ATTN_EXIT_OK;
}
