/* The worker process: loads one library (or the built-ins), then serves requests until
 * told to quit or until attnbench goes away. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <ucontext.h>
#include <unistd.h>

#include "registry.h"
#include "call_args.h"
#include "impl_slot.h"
#include "planted_slowdown.h"
#include "impl_validate.h"
#include "signal_text.h"
#include "worker.h"

#define MAX_IMPLS 256

static attn_worker_status *status;
static attn_arena arena = {.fd = -1};
static uint64_t arena_id;
static attn_impl_slot slots[MAX_IMPLS];
static size_t slot_count;
static char alternate_stack[1 << 16];

static attn_phase phase_of(void) {
    attn_phase p = {status->phase, sizeof status->phase, (long long *)&status->call};
    return p;
}

static void set_phase(const char *name) {
    snprintf(status->phase, sizeof status->phase, "%s", name);
}

/* Names the tensor a faulting address belongs to; the process then dies of the signal,
 * which attnbench reports together with this text. */
static void on_fault(int signal_number, siginfo_t *info, void *context) {
    attn_text t = {status->fault, sizeof status->fault, 0};
    const char *access = "read or write";
#if defined(__x86_64__) && defined(REG_ERR)
    const ucontext_t *uc = context;
    access = (uc->uc_mcontext.gregs[REG_ERR] & 2) ? "write" : "read";
#else
    (void)context;
#endif
    if (signal_number == SIGSEGV || signal_number == SIGBUS) {
        char where[128];
        int region = arena.reservation
                         ? attn_arena_locate(&arena, (uintptr_t)info->si_addr, where, sizeof where)
                         : -1;
        if (region >= 0) {
            attn_text_add(&t, "out-of-bounds ");
            attn_text_add(&t, access);
            attn_text_add(&t, " of ");
            attn_text_add(&t, attn_region_name((attn_region_id)region));
            attn_text_add(&t, " (");
            attn_text_add(&t, where);
            attn_text_add(&t, ")");
        } else if ((uintptr_t)info->si_addr < 65536) {
            attn_text_add(&t, access);
            attn_text_add(&t, " through a NULL pointer (address ");
            attn_text_number(&t, (uintptr_t)info->si_addr);
            attn_text_add(&t, ")");
        } else {
            attn_text_add(&t, "invalid ");
            attn_text_add(&t, access);
            attn_text_add(&t, " far from every tensor");
        }
    }
    /* SA_RESETHAND restored the default action: returning re-runs the access and ends
     * the process with the signal. Other signals are raised again. */
    if (signal_number != SIGSEGV && signal_number != SIGBUS)
        raise(signal_number);
}

static void install_fault_handler(void) {
    stack_t stack = {.ss_sp = alternate_stack, .ss_size = sizeof alternate_stack};
    sigaltstack(&stack, NULL);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_fault;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
    sigaction(SIGSEGV, &action, NULL);
    sigaction(SIGBUS, &action, NULL);
}

static void reply_text(attn_wire_reply *r, int status_code, const char *text) {
    r->status = status_code;
    snprintf(r->message, sizeof r->message, "%s", text);
}

static int load_builtins(attn_wire_reply *r) {
    size_t count = 0;
    const attn_impl *const *builtin = attn_registry(&count);
    for (size_t n = 0; n < count && n < MAX_IMPLS; n++)
        attn_slot_prepare(&slots[slot_count++], builtin[n]);
    r->impl_count = (uint32_t)slot_count;
    return 0;
}

static int load_library(const char *path, attn_wire_reply *r) {
    char message[1024];
    set_phase("loading the library");
    void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        snprintf(message, sizeof message, "--plugin %.512s: cannot load: %s", path, dlerror());
        reply_text(r, 2, message);
        return -1;
    }
    attn_plugin_entry entry;
    void *symbol = dlsym(library, ATTN_PLUGIN_SYMBOL);
    memcpy(&entry, &symbol, sizeof entry);
    if (!symbol) {
        snprintf(message, sizeof message,
                 "--plugin %.512s: the library does not export %s() (see attnbench.h)", path,
                 ATTN_PLUGIN_SYMBOL);
        reply_text(r, 2, message);
        return -1;
    }
    set_phase("attnbench_plugin()");
    const attn_plugin *plugin = entry();
    set_phase("validating the plugin");
    if (!plugin)
        snprintf(message, sizeof message, "--plugin %.512s: %s() returned NULL", path,
                 ATTN_PLUGIN_SYMBOL);
    else if (plugin->abi_major == 1)
        snprintf(message, sizeof message,
                 "--plugin %.512s: built for interface 1; this attnbench has interface %d.%d. To "
                 "move to it: initialise attn_plugin with ATTN_PLUGIN_HEADER and each attn_impl "
                 "with ATTN_IMPL_HEADER, read tensors through args->q.data and their strides "
                 "(attn_tensor), take the context as forward's first argument, list "
                 "capabilities explicitly (there is no ATTN_CAP_ALL), and rebuild against the "
                 "new attnbench.h (README: Test your own kernel)",
                 path, ATTN_ABI_MAJOR, ATTN_ABI_MINOR);
    else if (plugin->abi_major != ATTN_ABI_MAJOR)
        snprintf(
            message, sizeof message,
            "--plugin %.512s: built for interface %d, this attnbench has interface %d: rebuild "
            "it against this attnbench.h",
            path, plugin->abi_major, ATTN_ABI_MAJOR);
    else if (plugin->struct_size < offsetof(attn_plugin, impls) + sizeof plugin->impls)
        snprintf(message, sizeof message,
                 "--plugin %.512s: attn_plugin.struct_size is %u: initialise it with "
                 "ATTN_PLUGIN_HEADER",
                 path, plugin->struct_size);
    else if (plugin->count == 0 || !plugin->impls)
        snprintf(message, sizeof message, "--plugin %.512s: exports no implementation", path);
    else if (plugin->count > MAX_IMPLS)
        snprintf(message, sizeof message, "--plugin %.512s: exports %u implementations, over %d",
                 path, plugin->count, MAX_IMPLS);
    else
        message[0] = '\0';
    if (message[0]) {
        reply_text(r, 2, message);
        return -1;
    }
    for (uint32_t n = 0; n < plugin->count; n++) {
        if (attn_impl_validate(path, n, plugin->impls[n], message, sizeof message)) {
            reply_text(r, 2, message);
            return -1;
        }
        attn_slot_prepare(&slots[slot_count++], plugin->impls[n]);
    }
    r->impl_count = (uint32_t)slot_count;
    return 0; /* the library stays loaded for the life of the worker */
}

static void describe(int socket_fd) {
    for (size_t n = 0; n < slot_count; n++) {
        attn_wire_impl record;
        memset(&record, 0, sizeof record);
        snprintf(record.name, sizeof record.name, "%s", slots[n].impl.name);
        snprintf(record.summary, sizeof record.summary, "%s", slots[n].impl.summary);
        record.caps = slots[n].impl.caps & ATTN_CAPS_KNOWN;
        record.abi_minor = slots[n].impl.abi_minor;
        const attn_impl *impl = &slots[n].impl;
        if (impl->precisions && impl->precision_count <= ATTN_MAX_PRECISIONS) {
            record.precision_count = impl->precision_count;
            for (uint32_t k = 0; k < impl->precision_count; k++)
                record.precisions[k] = impl->precisions[k];
        }
        send(socket_fd, &record, sizeof record, MSG_NOSIGNAL);
    }
}

/* Receives one request, with a file descriptor when one rides along. */
static ssize_t receive(int socket_fd, attn_wire_request *request, int *fd) {
    char control[CMSG_SPACE(sizeof(int))];
    struct iovec io = {request, sizeof *request};
    struct msghdr message = {
        .msg_iov = &io, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    *fd = -1;
    ssize_t n;
    while ((n = recvmsg(socket_fd, &message, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
        ;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&message); c; c = CMSG_NXTHDR(&message, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
            memcpy(fd, CMSG_DATA(c), sizeof *fd);
    return n;
}

static void call(const attn_wire_request *q, attn_wire_reply *r) {
    attn_impl_slot *slot = &slots[q->impl];
    attn_problem problem = q->problem;
    const attn_args args = attn_call_args(&arena, &q->tensors, &problem, q->threads,
                                          q->want_lse != 0, r->message, sizeof r->message);
    const attn_phase phase = phase_of();
    long long done = 0;
    status->call = 0;
    r->rc = attn_slot_forward(slot, &args, q->count, &phase, &done, &r->seconds);
    r->calls_done = done;
    set_phase("idle");
}

int attn_worker_main(int argc, char **argv) {
    if (argc != 4)
        return 2;
    const int socket_fd = atoi(argv[2]), status_fd = atoi(argv[3]);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    void *page = mmap(NULL, sizeof *status, PROT_READ | PROT_WRITE, MAP_SHARED, status_fd, 0);
    if (page == MAP_FAILED)
        return 3;
    status = page;
    close(status_fd);
    install_fault_handler();
    signal(SIGINT, SIG_IGN); /* attnbench ends workers itself */
    attn_error ignored = {0};
    (void)attn_planted_slowdown_init(false, &ignored); /* attnbench has checked it */
    for (;;) {
        attn_wire_request request;
        attn_wire_reply reply;
        int fd = -1;
        memset(&request, 0, sizeof request);
        ssize_t n = receive(socket_fd, &request, &fd);
        if (n != (ssize_t)sizeof request)
            break; /* attnbench is gone (or spoke another protocol) */
        memset(&reply, 0, sizeof reply);
        const attn_phase phase = phase_of();
        if (request.type != ATTN_WIRE_LOAD && request.type != ATTN_WIRE_QUIT &&
            request.type != ATTN_WIRE_ARENA && request.impl >= slot_count) {
            reply_text(&reply, 3, "no such implementation in this worker");
        } else if (request.type == ATTN_WIRE_LOAD) {
            request.path[sizeof request.path - 1] = '\0';
            if ((request.path[0] ? load_library(request.path, &reply) : load_builtins(&reply)) ==
                0) {
                send(socket_fd, &reply, sizeof reply, MSG_NOSIGNAL);
                describe(socket_fd);
                continue;
            }
        } else if (request.type == ATTN_WIRE_SUPPORTS) {
            reply.rc = attn_slot_supports(&slots[request.impl], &request.problem, &phase,
                                          reply.message, sizeof reply.message);
        } else if (request.type == ATTN_WIRE_SIZES) {
            size_t workspace, allocated;
            reply.rc =
                attn_slot_sizes(&slots[request.impl], &request.problem, request.threads, &phase,
                                &workspace, &allocated, reply.message, sizeof reply.message);
            reply.workspace_bytes = workspace;
            reply.allocated_bytes = allocated;
        } else if (request.type == ATTN_WIRE_ARENA) {
            attn_error err = {0};
            attn_arena_destroy(&arena);
            if (fd < 0 || attn_arena_map(&arena, fd, &request.arena, &err))
                reply_text(&reply, 3, fd < 0 ? "no arena descriptor received" : err.message);
            else
                arena_id = request.arena_id;
        } else if (request.type == ATTN_WIRE_CALL) {
            if (request.arena_id != arena_id)
                reply_text(&reply, 3, "the arena of this call was not sent");
            else
                call(&request, &reply);
        } else if (request.type == ATTN_WIRE_QUIT) {
            for (size_t s = 0; s < slot_count; s++)
                attn_slot_release(&slots[s], &phase);
            send(socket_fd, &reply, sizeof reply, MSG_NOSIGNAL);
            break;
        }
        set_phase("idle");
        send(socket_fd, &reply, sizeof reply, MSG_NOSIGNAL);
    }
    attn_arena_destroy(&arena);
    return 0;
}
