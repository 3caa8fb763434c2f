/* Dispatch of interface calls to the in-process slot or the worker. */
#define _POSIX_C_SOURCE 200809L
#include "runner.h"

#include <stdio.h>
#include <string.h>

#include "registry.h"
#include "call_args.h"
#include "impl_slot.h"
#include "plugin.h"

#define MAX_BUILTINS 64

static attn_impl_slot builtin_slots[MAX_BUILTINS];
static bool builtin_prepared[MAX_BUILTINS];

static attn_impl_slot unregistered_slot;
/* Serves the built-ins' calls that must be bounded in time (attn_run_call.in_worker). */
static attn_worker *probe_worker;

/* The in-process slot of a built-in (or of an implementation in no table). */
static attn_impl_slot *local_slot(const attn_impl *impl, size_t index) {
    if (index == ATTN_IMPL_UNREGISTERED) {
        if (unregistered_slot.original != impl) {
            attn_slot_release(&unregistered_slot, NULL);
            attn_slot_prepare(&unregistered_slot, impl);
        }
        return &unregistered_slot;
    }
    size_t count = 0;
    const attn_impl *const *builtin = attn_registry(&count);
    if (index >= count || index >= MAX_BUILTINS)
        return NULL;
    if (!builtin_prepared[index]) {
        attn_slot_prepare(&builtin_slots[index], builtin[index]);
        builtin_prepared[index] = true;
    }
    return &builtin_slots[index];
}

static void prefixed(char *why, size_t why_size, const attn_impl *impl, const char *what) {
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", what);
    snprintf(why, why_size, "%s %.980s", impl->name, copy);
}

/* A question about p (supports, sizes) to the implementation's worker; -1 with why when
 * the worker died answering. */
static int ask_worker(const attn_impl *impl, attn_impl_home home, attn_wire_type type,
                      const attn_problem *p, int threads, attn_wire_reply *reply, char *why,
                      size_t why_size) {
    attn_wire_request request;
    memset(&request, 0, sizeof request);
    request.type = type;
    request.impl = (uint32_t)home.index;
    request.threads = threads;
    request.problem = *p;
    char died[1024];
    if (attn_worker_request(home.worker, &request, NULL, reply, died, sizeof died)) {
        prefixed(why, why_size, impl, died);
        return -1;
    }
    return 0;
}

int attn_run_supports(const attn_impl *impl, const attn_problem *p, char *why, size_t why_size) {
    const attn_impl_home home = attn_impl_home_of(impl);
    why[0] = '\0';
    if (!home.worker) {
        attn_impl_slot *slot = local_slot(impl, home.index);
        return slot ? attn_slot_supports(slot, p, NULL, why, why_size) : -1;
    }
    attn_wire_reply reply;
    if (ask_worker(impl, home, ATTN_WIRE_SUPPORTS, p, 0, &reply, why, why_size))
        return -1;
    snprintf(why, why_size, "%s", reply.message);
    return reply.status != 0 ? -1 : reply.rc;
}

int attn_run_sizes(const attn_impl *impl, const attn_problem *p, int threads, size_t *workspace,
                   size_t *allocated, char *why, size_t why_size) {
    const attn_impl_home home = attn_impl_home_of(impl);
    why[0] = '\0';
    if (!home.worker) {
        attn_impl_slot *slot = local_slot(impl, home.index);
        return slot ? attn_slot_sizes(slot, p, threads, NULL, workspace, allocated, why, why_size)
                    : -1;
    }
    attn_wire_reply reply;
    if (ask_worker(impl, home, ATTN_WIRE_SIZES, p, threads, &reply, why, why_size))
        return -1;
    *workspace = reply.workspace_bytes;
    *allocated = reply.allocated_bytes;
    snprintf(why, why_size, "%s", reply.message);
    return reply.status != 0 || reply.rc != 0 ? -1 : 0;
}

static void forward_here(attn_impl_slot *slot, const attn_arena *arena, const attn_run_call *call,
                         attn_run_outcome *out) {
    const attn_args args = attn_call_args(arena, call->layout, call->problem, call->threads,
                                          call->want_lse, out->message, sizeof out->message);
    out->rc = attn_slot_forward(slot, &args, call->count, NULL, &out->calls_done, &out->seconds);
}

void attn_run_forward(const attn_impl *impl, const attn_arena *arena, const attn_run_call *call,
                      attn_run_outcome *out) {
    memset(out, 0, sizeof *out);
    attn_impl_home home = attn_impl_home_of(impl);
    /* (an arena that could not be made shareable keeps the call here) */
    if (!home.worker && call->in_worker && home.index != ATTN_IMPL_UNREGISTERED && arena->fd >= 0) {
        if (!probe_worker) {
            attn_error err = {0};
            probe_worker = attn_worker_start(NULL, 0, &err);
            if (!probe_worker) {
                out->died = true;
                snprintf(out->message, sizeof out->message, "%s", err.message);
                return;
            }
        }
        home.worker = probe_worker;
    }
    if (!home.worker) {
        attn_impl_slot *slot = local_slot(impl, home.index);
        if (!slot) {
            out->died = true;
            snprintf(out->message, sizeof out->message, "%s is not a built-in", impl->name);
            return;
        }
        forward_here(slot, arena, call, out);
        return;
    }
    attn_wire_request request;
    attn_wire_reply reply;
    memset(&request, 0, sizeof request);
    request.type = ATTN_WIRE_CALL;
    request.impl = (uint32_t)home.index;
    request.threads = call->threads;
    request.want_lse = call->want_lse;
    request.count = call->count;
    request.problem = *call->problem;
    request.tensors = *call->layout;
    char died[1024];
    const double timeout = attn_worker_timeout(home.worker);
    const bool limited = call->time_limit > 0 && (timeout <= 0 || call->time_limit < timeout);
    if (limited)
        attn_worker_set_timeout(home.worker, call->time_limit);
    const int failed = attn_worker_request(home.worker, &request, arena, &reply, died, sizeof died);
    if (limited)
        attn_worker_set_timeout(home.worker, timeout);
    if (failed) {
        out->died = true;
        out->over_time = limited && strstr(died, "did not finish within") != NULL;
        prefixed(out->message, sizeof out->message, impl, died);
        return;
    }
    if (reply.status != 0) {
        out->died = true;
        prefixed(out->message, sizeof out->message, impl, reply.message);
        return;
    }
    out->rc = reply.rc;
    out->calls_done = reply.calls_done;
    out->seconds = reply.seconds;
    snprintf(out->message, sizeof out->message, "%s", reply.message);
}

void attn_runner_shutdown(void) {
    for (size_t n = 0; n < MAX_BUILTINS; n++)
        if (builtin_prepared[n])
            attn_slot_release(&builtin_slots[n], NULL);
    if (unregistered_slot.original)
        attn_slot_release(&unregistered_slot, NULL);
    memset(&unregistered_slot, 0, sizeof unregistered_slot);
    attn_worker_stop(probe_worker);
    probe_worker = NULL;
    attn_plugin_unload_all();
}
