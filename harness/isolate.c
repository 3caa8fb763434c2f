/* fork, pipe and waitpid around one call. */
#define _POSIX_C_SOURCE 200809L
#include "isolate.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "timer.h"

static void child(int fd, void (*work)(void *, void *), void *context, void *result, size_t size) {
    work(context, result);
    const char *p = result;
    while (size > 0) {
        ssize_t n = write(fd, p, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            _exit(3);
        p += n;
        size -= (size_t)n;
    }
    _exit(0);
}

/* Reads up to size bytes until EOF, the deadline (0: none) or an error. */
static size_t read_all(int fd, char *out, size_t size, double deadline, bool *timed_out) {
    size_t got = 0;
    *timed_out = false;
    for (;;) {
        int wait_ms = -1;
        if (deadline > 0) {
            double left = deadline - attn_now_seconds();
            if (left <= 0) {
                *timed_out = true;
                return got;
            }
            wait_ms = (int)(left * 1000) + 1;
        }
        struct pollfd p = {fd, POLLIN, 0};
        int ready = poll(&p, 1, wait_ms);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready == 0)
            continue; /* the deadline check above ends the wait */
        if (ready < 0)
            return got;
        char sink[256];
        char *target = got < size ? out + got : sink;
        size_t room = got < size ? size - got : sizeof sink;
        ssize_t n = read(fd, target, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return got;
        if (got < size)
            got += (size_t)n;
    }
}

int attn_run_isolated(void (*work)(void *context, void *result), void *context, void *result,
                      size_t result_size, double timeout_seconds, char *why, size_t why_size) {
    int fds[2];
    if (pipe(fds) != 0) {
        snprintf(why, why_size, "cannot create a pipe: %s", strerror(errno));
        return -1;
    }
    fflush(NULL); /* the child must not flush the parent's buffered output again */
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, why_size, "cannot fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        child(fds[1], work, context, result, result_size);
    }
    close(fds[1]);
    double deadline = timeout_seconds > 0 ? attn_now_seconds() + timeout_seconds : 0;
    bool timed_out = false;
    size_t got = read_all(fds[0], result, result_size, deadline, &timed_out);
    close(fds[0]);
    if (timed_out)
        kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (timed_out) {
        snprintf(why, why_size, "did not finish within %.0f s and was killed", timeout_seconds);
        return -1;
    }
    if (WIFSIGNALED(status)) {
        snprintf(why, why_size, "crashed: killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
        return -1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || got != result_size) {
        snprintf(why, why_size, "exited with status %d before reporting a result",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return -1;
    }
    return 0;
}
