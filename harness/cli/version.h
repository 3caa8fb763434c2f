/* What this attnbench is: its release, the plugin interface it speaks and its commit. */
#ifndef ATTN_VERSION_H
#define ATTN_VERSION_H

#include <stdio.h>

/* Writes one line, e.g. "attnbench 0.1.0 (interface 2.0, commit 0123456789ab)": the
 * project version from CMake, ATTN_ABI_MAJOR.ATTN_ABI_MINOR of impls/include/attnbench.h and the
 * commit the build came from ("-dirty" when the tree had changes). */
void attn_version_print(FILE *out);

/* attnbench version (also attnbench --version): prints that line; takes no options. */
int attn_cmd_version(int argc, char **argv);

#endif
