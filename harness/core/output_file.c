/* Output files: atomically replaced when regular or new, written through otherwise. */
#define _DEFAULT_SOURCE /* flock */
#include "output_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* errno values that mean the path is the user's to fix, not attnbench's fault. */
static bool is_path_mistake(int e) {
    return e == ENOENT || e == ENOTDIR || e == EACCES || e == EPERM || e == EROFS || e == EISDIR ||
           e == ENAMETOOLONG || e == ELOOP || e == ENXIO || e == ETXTBSY;
}

static int fail_errno(attn_error *err, int e, const char *path, const char *doing) {
    if (is_path_mistake(e))
        return attn_fail_input(err, "%s: %s: %s", path, doing, strerror(e));
    return attn_fail_internal(err, "%s: %s: %s", path, doing, strerror(e));
}

/* The folder part of path ("." when there is none). */
static void folder_of(const char *path, char *out, size_t size) {
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, size, ".");
    else if (slash == path)
        snprintf(out, size, "/");
    else
        snprintf(out, size, "%.*s", (int)(slash - path), path);
}

/* Follows symbolic links at the end of path to the file they name (which may not exist
 * yet). Used only when stat(2) found a regular file or nothing, so never on /proc's
 * magic links to pipes and terminals. */
static int resolve_links(const char *path, char *out, size_t size, attn_error *err) {
    char current[ATTN_OUTPUT_PATH_MAX];
    snprintf(current, sizeof current, "%s", path);
    for (int hops = 0; hops < 40; hops++) {
        struct stat st;
        if (lstat(current, &st) != 0) {
            if (errno != ENOENT)
                return fail_errno(err, errno, path, "cannot look up");
            break;
        }
        if (!S_ISLNK(st.st_mode))
            break;
        char link[ATTN_OUTPUT_PATH_MAX];
        ssize_t n = readlink(current, link, sizeof link - 1);
        if (n < 0)
            return fail_errno(err, errno, path, "cannot read the symbolic link");
        link[n] = '\0';
        char next[2 * ATTN_OUTPUT_PATH_MAX];
        if (link[0] == '/') {
            snprintf(next, sizeof next, "%s", link);
        } else {
            char folder[ATTN_OUTPUT_PATH_MAX];
            folder_of(current, folder, sizeof folder);
            snprintf(next, sizeof next, "%s/%s", folder, link);
        }
        if (strlen(next) >= sizeof current)
            return attn_fail_input(err, "%s: the symbolic link leads to a path too long", path);
        snprintf(current, sizeof current, "%s", next);
        if (hops == 39)
            return attn_fail_input(err, "%s: too many levels of symbolic links", path);
    }
    if (strlen(current) >= size)
        return attn_fail_input(err, "%s: path too long", path);
    snprintf(out, size, "%s", current);
    return 0;
}

static bool same_file(const struct stat *st, int fd) {
    struct stat other;
    return fstat(fd, &other) == 0 && other.st_dev == st->st_dev && other.st_ino == st->st_ino;
}

static bool is_standard_output(const struct stat *st) {
    return same_file(st, STDOUT_FILENO) || same_file(st, STDERR_FILENO);
}

static int check_folder(const char *path, const char *target, attn_error *err) {
    char folder[ATTN_OUTPUT_PATH_MAX];
    folder_of(target, folder, sizeof folder);
    struct stat st;
    if (stat(folder, &st) != 0)
        return errno == ENOENT
                   ? attn_fail_input(err, "%s: the folder %s does not exist", path, folder)
                   : fail_errno(err, errno, path, "cannot look up its folder");
    if (!S_ISDIR(st.st_mode))
        return attn_fail_input(err, "%s: %s is not a folder", path, folder);
    if (access(folder, W_OK) != 0)
        return fail_errno(err, errno, path, "cannot create files in its folder");
    return 0;
}

int attn_output_check_path(const char *path, attn_error *err) {
    if (!path || !*path)
        return attn_fail_input(err, "empty output path");
    if (strlen(path) >= ATTN_OUTPUT_PATH_MAX)
        return attn_fail_input(err, "%.100s...: output path too long", path);
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return attn_fail_input(err, "%s: is a folder; give a file path", path);
        return 0;
    }
    if (errno != ENOENT)
        return fail_errno(err, errno, path, "cannot look up");
    char target[ATTN_OUTPUT_PATH_MAX];
    return resolve_links(path, target, sizeof target, err) || check_folder(path, target, err);
}

static void start(attn_output *out, int fd, bool through) {
    out->fd = fd;
    out->active = true;
    out->through = through;
    out->length = 0;
}

/* A device, FIFO, socket or terminal: written in place. */
static int open_through(attn_output *out, attn_error *err) {
    int fd = open(out->path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return fail_errno(err, errno, out->path, "cannot open for writing");
    struct stat st;
    out->flush_stdout = fstat(fd, &st) == 0 && is_standard_output(&st);
    snprintf(out->target, sizeof out->target, "%s", out->path);
    start(out, fd, true);
    return 0;
}

/* A regular file that is our own stdout or stderr (/dev/stdout > file): written through
 * the same open file, so its offset and what stdio printed stay in order. */
static int open_standard(attn_output *out, const struct stat *st, attn_error *err) {
    int fd =
        fcntl(same_file(st, STDOUT_FILENO) ? STDOUT_FILENO : STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
        return attn_fail_internal(err, "%s: cannot duplicate: %s", out->path, strerror(errno));
    out->flush_stdout = true;
    snprintf(out->target, sizeof out->target, "%s", out->path);
    start(out, fd, true);
    return 0;
}

/* Locks the regular file at the target; 1 when it was replaced meanwhile (try again). */
static int lock_existing(attn_output *out, attn_error *err) {
    int fd = open(out->target, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        fd = open(out->target, O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return errno == ENOENT ? 1 : 0; /* gone: retry; unreadable: replaced unlocked */
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK)
            return attn_fail_input(err,
                                   "%s: another attnbench is writing this file; wait for it "
                                   "to finish or choose another path",
                                   out->path);
        return 0; /* a file system without flock: go on unlocked */
    }
    struct stat held, now;
    if (fstat(fd, &held) != 0 || stat(out->target, &now) != 0 || held.st_dev != now.st_dev ||
        held.st_ino != now.st_ino) {
        close(fd);
        return 1;
    }
    out->lock_fd = fd;
    return 0;
}

/* A regular file or a new path: a temporary beside the target. 1: try again. */
static int open_replacement(attn_output *out, attn_error *err) {
    struct stat st;
    mode_t mode = 0;
    out->existed = false;
    if (stat(out->target, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return attn_fail_input(err, "%s: is a folder; give a file path", out->path);
        if (!S_ISREG(st.st_mode))
            return open_through(out, err);
        out->existed = true;
        mode = st.st_mode & 07777;
        if (out->locked) {
            int rc = lock_existing(out, err);
            if (rc)
                return rc;
        }
    } else if (errno != ENOENT) {
        return fail_errno(err, errno, out->path, "cannot look up");
    }
    int fd = -1;
    for (unsigned n = 0; n < 100 && fd < 0; n++) {
        char suffix[16] = "";
        if (n)
            snprintf(suffix, sizeof suffix, "-%u", n);
        snprintf(out->temporary, sizeof out->temporary, "%s.tmp-%ld%s", out->target, (long)getpid(),
                 suffix);
        fd = open(out->temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        int e = errno;
        out->temporary[0] = '\0';
        if (out->lock_fd >= 0)
            close(out->lock_fd);
        out->lock_fd = -1;
        if (e == ENOENT) {
            char folder[ATTN_OUTPUT_PATH_MAX];
            folder_of(out->target, folder, sizeof folder);
            return attn_fail_input(err, "%s: cannot create: %s (the folder %s does not exist)",
                                   out->path, strerror(e), folder);
        }
        return fail_errno(err, e, out->path, "cannot create");
    }
    if (out->existed)
        (void)fchmod(fd, mode); /* the replacement keeps the permissions of what it replaces */
    if (out->locked)
        (void)flock(fd, LOCK_EX | LOCK_NB); /* new and ours alone: cannot be contended */
    start(out, fd, false);
    return 0;
}

int attn_output_open(attn_output *out, const char *path, unsigned flags, attn_error *err) {
    memset(out, 0, sizeof *out);
    out->fd = out->lock_fd = -1;
    if (!path || !*path)
        return attn_fail_input(err, "empty output path");
    if (strlen(path) >= sizeof out->path)
        return attn_fail_input(err, "%.100s...: output path too long", path);
    snprintf(out->path, sizeof out->path, "%s", path);
    out->locked = (flags & ATTN_OUTPUT_LOCK) != 0;
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return attn_fail_input(err, "%s: is a folder; give a file path", path);
        if (!S_ISREG(st.st_mode))
            return open_through(out, err);
        if (is_standard_output(&st))
            return open_standard(out, &st, err);
    } else if (errno != ENOENT) {
        return fail_errno(err, errno, path, "cannot look up");
    }
    if (resolve_links(path, out->target, sizeof out->target, err))
        return -1;
    for (int attempt = 0; attempt < 10; attempt++) {
        int rc = open_replacement(out, err);
        if (rc <= 0)
            return rc;
    }
    return attn_fail_internal(err, "%s: kept being replaced while being opened", path);
}

int attn_output_write(attn_output *out, const void *data, size_t size, attn_error *err) {
    if (!out->active)
        return attn_fail_internal(err, "%s: write to a closed file", out->path);
    if (out->flush_stdout) {
        fflush(stdout);
        fflush(stderr);
    }
    const char *p = data;
    size_t left = size;
    while (left > 0) {
        ssize_t n = write(out->fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            if (!out->through && ftruncate(out->fd, out->length) == 0)
                (void)lseek(out->fd, out->length, SEEK_SET);
            return attn_fail_internal(err, "%s: write failed: %s", out->path, strerror(e));
        }
        p += n;
        left -= (size_t)n;
    }
    out->length += (off_t)size;
    return 0;
}

int attn_output_publish(attn_output *out, attn_error *err) {
    if (!out->active)
        return attn_fail_internal(err, "%s: publishing a closed file", out->path);
    if (out->through || out->published)
        return 0;
    if (!out->existed && out->locked) {
        /* link(2) never replaces: a file created at the path meanwhile is another
         * writer's, not ours to overwrite */
        if (link(out->temporary, out->target) == 0) {
            unlink(out->temporary);
            out->temporary[0] = '\0';
            out->published = true;
            return 0;
        }
        if (errno == EEXIST)
            return attn_fail_input(err,
                                   "%s: another program created this file meanwhile; choose "
                                   "another path",
                                   out->path);
        /* a file system without hard links: rename below */
    }
    if (rename(out->temporary, out->target) != 0)
        return fail_errno(err, errno, out->path, "rename failed");
    out->temporary[0] = '\0';
    out->published = true;
    return 0;
}

int attn_output_commit(attn_output *out, attn_error *err) {
    if (!out->active)
        return attn_fail_internal(err, "%s: committing a closed file", out->path);
    /* close first: some file systems report write errors only there */
    int closed = close(out->fd);
    int e = errno;
    out->fd = -1;
    if (closed != 0 && e != EINTR) {
        attn_fail_internal(err, "%s: write failed (at close): %s", out->path, strerror(e));
        attn_output_discard(out);
        return -1;
    }
    if (attn_output_publish(out, err)) {
        attn_output_discard(out);
        return -1;
    }
    attn_output_discard(out);
    return 0;
}

void attn_output_discard(attn_output *out) {
    if (!out->active)
        return;
    if (out->fd >= 0)
        close(out->fd);
    if (out->temporary[0])
        unlink(out->temporary);
    if (out->lock_fd >= 0)
        close(out->lock_fd);
    out->fd = out->lock_fd = -1;
    out->temporary[0] = '\0';
    out->active = false;
}
