/* attnbench's side of a worker: starting it clean (fork, then exec of this binary at
 * once), requests with a deadline that moves while forward calls keep finishing,
 * reporting a death against the call, and starting a fresh worker after one. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "interrupt.h"
#include "timer.h"
#include "worker.h"

struct attn_worker {
    pid_t pid; /* 0 when no process runs */
    int socket_fd;
    attn_worker_status *status;
    char library[4096]; /* "" for the built-ins */
    double timeout_seconds;
    uint64_t arena_id; /* the arena the running process has mapped */
    size_t impl_count;
    attn_wire_impl *impls;
};

size_t attn_worker_impl_count(const attn_worker *w) {
    return w->impl_count;
}

const attn_wire_impl *attn_worker_impl(const attn_worker *w, size_t index) {
    return &w->impls[index];
}

static void reap(attn_worker *w, int *wait_status) {
    if (w->socket_fd >= 0)
        close(w->socket_fd);
    w->socket_fd = -1;
    if (w->pid > 0)
        while (waitpid(w->pid, wait_status, 0) < 0 && errno == EINTR)
            ;
    w->pid = 0;
    w->arena_id = 0;
}

static int spawn(attn_worker *w, char *why, size_t why_size) {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
        snprintf(why, why_size, "cannot create a socket pair: %s", strerror(errno));
        return -1;
    }
    int status_fd = memfd_create("attnbench-worker-status", 0);
    if (status_fd < 0 || ftruncate(status_fd, sizeof *w->status) != 0) {
        snprintf(why, why_size, "cannot create the worker's status page: %s", strerror(errno));
        close(pair[0]);
        close(pair[1]);
        if (status_fd >= 0)
            close(status_fd);
        return -1;
    }
    if (!w->status) {
        void *page =
            mmap(NULL, sizeof *w->status, PROT_READ | PROT_WRITE, MAP_SHARED, status_fd, 0);
        if (page == MAP_FAILED) {
            snprintf(why, why_size, "cannot map the worker's status page: %s", strerror(errno));
            close(pair[0]);
            close(pair[1]);
            close(status_fd);
            return -1;
        }
        w->status = page;
    } else {
        /* a new page for the new process, mapped where the old one was */
        void *page = mmap(w->status, sizeof *w->status, PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_FIXED, status_fd, 0);
        if (page == MAP_FAILED) {
            snprintf(why, why_size, "cannot map the worker's status page: %s", strerror(errno));
            close(pair[0]);
            close(pair[1]);
            close(status_fd);
            return -1;
        }
    }
    memset(w->status, 0, sizeof *w->status);
    snprintf(w->status->phase, sizeof w->status->phase, "starting");
    /* Everything exec needs is made before fork: between the two, a child of a
     * multi-threaded process may only make async-signal-safe calls. */
    char socket_text[16], status_text[16];
    snprintf(socket_text, sizeof socket_text, "%d", pair[1]);
    snprintf(status_text, sizeof status_text, "%d", status_fd);
    char *const args[] = {"attnbench", ATTN_WORKER_COMMAND, socket_text, status_text, NULL};
    /* The path, not /proc/self/exe itself: under valgrind that would name the tool. */
    char exe[4096];
    ssize_t exe_length = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (exe_length <= 0)
        snprintf(exe, sizeof exe, "/proc/self/exe");
    else
        exe[exe_length] = '\0';
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, why_size, "cannot fork: %s", strerror(errno));
        close(pair[0]);
        close(pair[1]);
        close(status_fd);
        return -1;
    }
    if (pid == 0) {
        setpgid(0, 0); /* Ctrl-C at the terminal reaches attnbench, which ends the worker */
        fcntl(pair[1], F_SETFD, 0);
        execv(exe, args);
        _exit(127);
    }
    close(pair[1]);
    close(status_fd);
    w->pid = pid;
    w->socket_fd = pair[0];
    w->arena_id = 0;
    return 0;
}

/* What became of a worker that stopped answering, as "crashed in forward: ...". */
static void describe_death(attn_worker *w, int wait_status, char *why, size_t why_size) {
    const char *phase = w->status->phase[0] ? w->status->phase : "the worker";
    if (WIFSIGNALED(wait_status))
        snprintf(why, why_size, "crashed in %s: killed by signal %d (%s)%s%s", phase,
                 WTERMSIG(wait_status), strsignal(WTERMSIG(wait_status)),
                 w->status->fault[0] ? ": " : "", w->status->fault);
    else if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 127 &&
             strcmp(phase, "starting") == 0)
        snprintf(why, why_size,
                 "the worker process could not be started (exec of this "
                 "program failed)");
    else
        snprintf(why, why_size, "exited with status %d in %s",
                 WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1, phase);
}

static int kill_and_reap(attn_worker *w) {
    int wait_status = 0;
    if (w->pid > 0)
        kill(w->pid, SIGKILL);
    reap(w, &wait_status);
    return wait_status;
}

/* Waits for one message of size bytes. Returns 0, or -1 with why (death, timeout,
 * interruption). The deadline moves on whenever a forward call finishes. */
static int receive(attn_worker *w, void *message, size_t size, char *why, size_t why_size) {
    double deadline = attn_now_seconds() + w->timeout_seconds;
    long long calls_seen = w->status->call;
    for (;;) {
        if (attn_interrupted) {
            kill_and_reap(w);
            snprintf(why, why_size, "interrupted by signal %d", (int)attn_interrupted);
            return -1;
        }
        const double now = attn_now_seconds();
        if (w->status->call != calls_seen) {
            calls_seen = w->status->call;
            deadline = now + w->timeout_seconds;
        }
        if (w->timeout_seconds > 0 && now >= deadline) {
            char phase[64];
            snprintf(phase, sizeof phase, "%s", w->status->phase);
            kill_and_reap(w);
            snprintf(why, why_size, "did not finish within %g s (in %s) and was killed",
                     w->timeout_seconds, phase);
            return -1;
        }
        struct pollfd p = {w->socket_fd, POLLIN, 0};
        int ready = poll(&p, 1, 100);
        if (ready < 0 && errno != EINTR) {
            snprintf(why, why_size, "poll: %s", strerror(errno));
            kill_and_reap(w);
            return -1;
        }
        if (ready <= 0)
            continue;
        ssize_t n = recv(w->socket_fd, message, size, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == (ssize_t)size)
            return 0;
        /* end of stream: the worker died; the socket closes before waitpid can tell */
        int wait_status = kill_and_reap(w);
        describe_death(w, wait_status, why, why_size);
        return -1;
    }
}

static int send_request(attn_worker *w, const attn_wire_request *request, int fd, char *why,
                        size_t why_size) {
    struct iovec io = {(void *)request, sizeof *request};
    char control[CMSG_SPACE(sizeof(int))];
    struct msghdr message = {.msg_iov = &io, .msg_iovlen = 1};
    if (fd >= 0) {
        memset(control, 0, sizeof control);
        message.msg_control = control;
        message.msg_controllen = sizeof control;
        struct cmsghdr *c = CMSG_FIRSTHDR(&message);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    ssize_t n;
    while ((n = sendmsg(w->socket_fd, &message, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        ;
    if (n == (ssize_t)sizeof *request)
        return 0;
    int wait_status = kill_and_reap(w);
    describe_death(w, wait_status, why, why_size);
    return -1;
}

/* Starts the process and loads the library; fills the implementation table the first
 * time, and checks that a restarted worker found the same implementations. */
static int start_and_load(attn_worker *w, attn_wire_reply *reply, char *why, size_t why_size) {
    if (spawn(w, why, why_size))
        return -1;
    attn_wire_request request;
    memset(&request, 0, sizeof request);
    request.type = ATTN_WIRE_LOAD;
    snprintf(request.path, sizeof request.path, "%s", w->library);
    if (send_request(w, &request, -1, why, why_size) ||
        receive(w, reply, sizeof *reply, why, why_size))
        return -1;
    if (reply->status != 0)
        return 0;
    attn_wire_impl *impls = calloc(reply->impl_count ? reply->impl_count : 1, sizeof *impls);
    if (!impls) {
        snprintf(why, why_size, "out of memory");
        kill_and_reap(w);
        return -1;
    }
    for (uint32_t n = 0; n < reply->impl_count; n++)
        if (receive(w, &impls[n], sizeof impls[n], why, why_size)) {
            free(impls);
            return -1;
        }
    if (w->impls && (reply->impl_count != w->impl_count ||
                     memcmp(impls, w->impls, w->impl_count * sizeof *impls) != 0)) {
        free(impls);
        kill_and_reap(w);
        snprintf(why, why_size, "the restarted worker found other implementations in %s",
                 w->library);
        return -1;
    }
    free(w->impls);
    w->impls = impls;
    w->impl_count = reply->impl_count;
    return 0;
}

attn_worker *attn_worker_start(const char *library, double timeout_seconds, attn_error *err) {
    attn_worker *w = calloc(1, sizeof *w);
    if (!w) {
        attn_fail_internal(err, "out of memory");
        return NULL;
    }
    w->socket_fd = -1;
    w->timeout_seconds = timeout_seconds;
    snprintf(w->library, sizeof w->library, "%s", library ? library : "");
    attn_wire_reply reply;
    char why[1024];
    memset(&reply, 0, sizeof reply);
    if (start_and_load(w, &reply, why, sizeof why)) {
        attn_fail_input(err, "--plugin %s: %s", library ? library : "(built-ins)", why);
        attn_worker_stop(w);
        return NULL;
    }
    if (reply.status != 0) {
        if (reply.status == 2)
            attn_fail_input(err, "%s", reply.message);
        else
            attn_fail_internal(err, "%s", reply.message);
        attn_worker_stop(w);
        return NULL;
    }
    return w;
}

static int ensure_running(attn_worker *w, char *why, size_t why_size) {
    if (w->pid > 0)
        return 0;
    attn_wire_reply reply;
    memset(&reply, 0, sizeof reply);
    if (start_and_load(w, &reply, why, why_size))
        return -1;
    if (reply.status != 0) {
        snprintf(why, why_size, "the restarted worker could not load the library: %s",
                 reply.message);
        kill_and_reap(w);
        return -1;
    }
    return 0;
}

int attn_worker_request(attn_worker *w, attn_wire_request *request, const attn_arena *arena,
                        attn_wire_reply *reply, char *why, size_t why_size) {
    if (ensure_running(w, why, why_size))
        return -1;
    if (arena && request->type == ATTN_WIRE_CALL) {
        const uint64_t last_id = arena->id;
        if (arena->fd < 0) {
            snprintf(why, why_size,
                     "cannot share the tensors with the worker: the memory file "
                     "could not be sized (is a file-size limit, ulimit -f, set?)");
            return -1;
        }
        if (w->arena_id != last_id) {
            attn_wire_request map;
            memset(&map, 0, sizeof map);
            map.type = ATTN_WIRE_ARENA;
            map.arena = arena->layout;
            map.arena_id = last_id;
            attn_wire_reply mapped;
            if (send_request(w, &map, arena->fd, why, why_size) ||
                receive(w, &mapped, sizeof mapped, why, why_size))
                return -1;
            if (mapped.status != 0) {
                snprintf(why, why_size, "the worker could not map the arena: %s", mapped.message);
                return -1;
            }
            w->arena_id = last_id;
        }
        request->arena_id = last_id;
    }
    w->status->fault[0] = '\0';
    if (send_request(w, request, -1, why, why_size) ||
        receive(w, reply, sizeof *reply, why, why_size))
        return -1;
    return 0;
}

void attn_worker_set_timeout(attn_worker *w, double seconds) {
    w->timeout_seconds = seconds;
}

double attn_worker_timeout(const attn_worker *w) {
    return w->timeout_seconds;
}

void attn_worker_stop(attn_worker *w) {
    if (!w)
        return;
    if (w->pid > 0) {
        attn_wire_request request;
        memset(&request, 0, sizeof request);
        request.type = ATTN_WIRE_QUIT;
        attn_wire_reply reply;
        char why[256];
        double saved = w->timeout_seconds;
        w->timeout_seconds = saved > 0 && saved < 10 ? saved : 10; /* release must not hang */
        if (send_request(w, &request, -1, why, sizeof why) == 0)
            receive(w, &reply, sizeof reply, why, sizeof why);
        kill_and_reap(w);
    }
    if (w->status)
        munmap(w->status, sizeof *w->status);
    free(w->impls);
    free(w);
}
