/* Files attnbench writes (reports, .npy outputs), opened so that what was at the path is
 * never lost by accident: a regular file, or a new path, is written under a temporary
 * name and renamed over the path only when published; a device, FIFO or terminal
 * (/dev/null, /dev/stdout) is written through, and its write errors are reported; a
 * symbolic link to a regular file is followed and its target replaced; a directory is
 * refused. */
#ifndef ATTN_OUTPUT_FILE_H
#define ATTN_OUTPUT_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

#define ATTN_OUTPUT_PATH_MAX 4096

/* Flags of attn_output_open. */
enum {
    /* Hold an exclusive flock(2) on the file at the path (and on the one replacing it)
     * until close, so a second attnbench writing the same path is refused (exit 2). */
    ATTN_OUTPUT_LOCK = 1u << 0,
};

typedef struct attn_output {
    char path[ATTN_OUTPUT_PATH_MAX];           /* as given, for messages */
    char target[ATTN_OUTPUT_PATH_MAX];         /* the path with symbolic links resolved */
    char temporary[ATTN_OUTPUT_PATH_MAX + 32]; /* written until published ("" if none) */
    bool active;                               /* opened and not yet closed */
    int fd;                                    /* where writes go, while active */
    int lock_fd;  /* the file that was at the path, locked (-1: none) */
    bool through; /* a device, FIFO or our own stdout/stderr: no temporary */
    bool existed; /* a regular file was at the path: replaced when published */
    bool locked;  /* ATTN_OUTPUT_LOCK was given */
    bool published;
    bool flush_stdout; /* fd shares stdout: flush stdio's buffer before each write */
    off_t length;      /* bytes written so far (regular files: undone on a failed write) */
} attn_output;

/* Checks a path before a long computation writes to it: not empty, not a directory, its
 * folder present. Mistakes are bad-input errors naming the path. Nothing is created. */
int attn_output_check_path(const char *path, attn_error *err);

/* Opens path for writing. Bad paths (empty, a directory, a missing or unwritable folder,
 * locked by another writer) are bad-input errors naming the path; on failure nothing is
 * left behind. */
int attn_output_open(attn_output *out, const char *path, unsigned flags, attn_error *err);

/* Writes all of data, or nothing: a failed write of a regular file is truncated away,
 * so the file holds exactly what earlier calls wrote. */
int attn_output_write(attn_output *out, const void *data, size_t size, attn_error *err);

/* Moves the temporary over the path (once; a no-op when writing through). Later writes
 * append to the published file in place. */
int attn_output_publish(attn_output *out, attn_error *err);

/* Publishes (unless already) and closes; reports a failed close. */
int attn_output_commit(attn_output *out, attn_error *err);

/* Closes without publishing: an unpublished temporary is removed and whatever was at the
 * path stays as it was. Safe on a zeroed or closed attn_output. */
void attn_output_discard(attn_output *out);

#endif
