/* Suites and results folders: environment, then the install layout, then the source tree. */
#define _POSIX_C_SOURCE 200809L
#include "paths.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The source tree's folders, for a binary that runs where it was built. */
#ifndef ATTN_DEFAULT_SUITES_DIR
#define ATTN_DEFAULT_SUITES_DIR "suites"
#endif
#ifndef ATTN_DEFAULT_RESULTS_DIR
#define ATTN_DEFAULT_RESULTS_DIR "results"
#endif
/* The install layout below the prefix (CMAKE_INSTALL_BINDIR, CMAKE_INSTALL_DATADIR). */
#ifndef ATTN_INSTALL_BINDIR
#define ATTN_INSTALL_BINDIR "bin"
#endif
#ifndef ATTN_INSTALL_DATADIR
#define ATTN_INSTALL_DATADIR "share"
#endif

#define PATH_SIZE 4096

static bool is_directory(const char *path) {
    struct stat info;
    return stat(path, &info) == 0 && S_ISDIR(info.st_mode);
}

/* Fills data_dir with PREFIX/share/attnbench when this program is PREFIX/bin/attnbench
 * (as /proc/self/exe names it, symbolic links resolved) and PREFIX/share/attnbench/suites
 * is a folder. The prefix is wherever the binary now is: an install tree can be moved. */
static bool find_installed(char *data_dir, size_t size) {
    char exe[PATH_SIZE];
    ssize_t length = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (length <= 0 || (size_t)length >= sizeof exe - 1)
        return false;
    exe[length] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return false;
    *slash = '\0'; /* exe is now the folder holding the binary */
    const char *bindir = ATTN_INSTALL_BINDIR, *datadir = ATTN_INSTALL_DATADIR;
    char prefix[PATH_SIZE] = "";
    if (bindir[0] == '/') {
        if (strcmp(exe, bindir) != 0)
            return false;
    } else {
        size_t folder_length = strlen(exe), bin_length = strlen(bindir);
        if (folder_length <= bin_length || exe[folder_length - bin_length - 1] != '/' ||
            strcmp(exe + folder_length - bin_length, bindir) != 0)
            return false;
        snprintf(prefix, sizeof prefix, "%.*s", (int)(folder_length - bin_length - 1), exe);
    }
    int written;
    if (datadir[0] == '/')
        written = snprintf(data_dir, size, "%s/attnbench", datadir);
    else if (bindir[0] != '/')
        written = snprintf(data_dir, size, "%s/%s/attnbench", prefix, datadir);
    else
        return false; /* an absolute bin folder says nothing about where a relative share is */
    if (written < 0 || (size_t)written >= size)
        return false;
    char suites[PATH_SIZE + 16];
    snprintf(suites, sizeof suites, "%s/suites", data_dir);
    return is_directory(suites);
}

/* Decided once: the binary does not move while it runs. */
static struct {
    bool decided, installed;
    char data_dir[PATH_SIZE];
    char suites_dir[PATH_SIZE + 16];
} layout;

static void decide(void) {
    if (layout.decided)
        return;
    layout.decided = true;
    layout.installed = find_installed(layout.data_dir, sizeof layout.data_dir);
    if (layout.installed)
        snprintf(layout.suites_dir, sizeof layout.suites_dir, "%s/suites", layout.data_dir);
    else
        snprintf(layout.suites_dir, sizeof layout.suites_dir, "%s", ATTN_DEFAULT_SUITES_DIR);
}

const char *attn_paths_suites_dir(void) {
    const char *env = getenv("ATTNBENCH_SUITES_DIR");
    if (env && env[0])
        return env;
    decide();
    return layout.suites_dir;
}

const char *attn_paths_results_dir(void) {
    const char *env = getenv("ATTNBENCH_RESULTS_DIR");
    if (env && env[0])
        return env;
    decide();
    return layout.installed ? "." : ATTN_DEFAULT_RESULTS_DIR;
}

const char *attn_paths_installed_data_dir(void) {
    decide();
    return layout.installed ? layout.data_dir : NULL;
}
