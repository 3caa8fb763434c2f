/* Where attnbench finds its suites and writes its reports, decided at run time so that an
 * installed binary needs neither the source tree nor the build tree.
 *
 * In order: an environment variable (ATTNBENCH_SUITES_DIR, ATTNBENCH_RESULTS_DIR); then,
 * when this program runs as PREFIX/bin/attnbench and PREFIX/share/attnbench/suites exists
 * (the install layout, with the bin and share folders CMake's GNUInstallDirs chose), the
 * suites there and reports in the current directory; otherwise, running from the build
 * tree, the source tree's suites/ and results/. */
#ifndef ATTN_PATHS_H
#define ATTN_PATHS_H

/* Folder of the named suites and of their golden sets (golden/NAME). */
const char *attn_paths_suites_dir(void);

/* Folder that bench writes its default report into ("." when installed). */
const char *attn_paths_results_dir(void);

/* PREFIX/share/attnbench when this program runs installed, else NULL. */
const char *attn_paths_installed_data_dir(void);

#endif
