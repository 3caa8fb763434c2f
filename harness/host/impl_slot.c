/* The interface-2 call contract on one implementation. */
#define _POSIX_C_SOURCE 200809L
#include "impl_slot.h"

#include <stdio.h>
#include <string.h>

#include "planted_slowdown.h"
#include "threads.h"
#include "timer.h"

void attn_slot_prepare(attn_impl_slot *slot, const attn_impl *impl) {
    memset(slot, 0, sizeof *slot);
    slot->original = impl;
    size_t size = impl->struct_size < sizeof slot->impl ? impl->struct_size : sizeof slot->impl;
    memcpy(&slot->impl, impl, size);
    slot->context = slot->impl.user_data;
}

static void enter(const attn_phase *phase, const char *name) {
    if (phase && phase->text)
        snprintf(phase->text, phase->size, "%s", name);
}

int attn_slot_ready(attn_impl_slot *slot, const attn_phase *phase, char *why, size_t why_size) {
    if (slot->state == 0) {
        slot->state = 1;
        if (slot->impl.init) {
            char message[512] = "";
            enter(phase, "init");
            if (slot->impl.init(slot->original, &slot->context, message, sizeof message) !=
                ATTN_OK) {
                slot->state = -1;
                snprintf(slot->failure, sizeof slot->failure, "init failed: %s",
                         message[0] ? message : "(no message)");
            }
        }
    }
    if (slot->state < 0) {
        snprintf(why, why_size, "%s", slot->failure);
        return -1;
    }
    return 0;
}

int attn_slot_supports(attn_impl_slot *slot, const attn_problem *p, const attn_phase *phase,
                       char *why, size_t why_size) {
    if (attn_slot_ready(slot, phase, why, why_size))
        return -1;
    if (!slot->impl.supports)
        return ATTN_OK;
    enter(phase, "supports");
    why[0] = '\0';
    return slot->impl.supports(slot->context, p, why, why_size) == ATTN_OK ? ATTN_OK
                                                                           : ATTN_UNSUPPORTED;
}

int attn_slot_sizes(attn_impl_slot *slot, const attn_problem *p, int threads,
                    const attn_phase *phase, size_t *workspace, size_t *allocated, char *why,
                    size_t why_size) {
    *workspace = *allocated = 0;
    if (attn_slot_ready(slot, phase, why, why_size))
        return -1;
    if (slot->impl.workspace_size) {
        enter(phase, "workspace_size");
        *workspace = slot->impl.workspace_size(slot->context, p, threads);
    }
    if (slot->impl.allocated_bytes) {
        enter(phase, "allocated_bytes");
        *allocated = slot->impl.allocated_bytes(slot->context, p, threads);
    }
    return 0;
}

int attn_slot_forward(attn_impl_slot *slot, const attn_args *args, long long count,
                      const attn_phase *phase, long long *calls_done, double *seconds) {
    *calls_done = 0;
    *seconds = 0;
    if (attn_slot_ready(slot, phase, args->message, args->message_size))
        return ATTN_FAILED;
    attn_set_threads(args->threads);
    enter(phase, "forward");
    int rc = ATTN_OK;
    const double start = attn_now_seconds();
    for (long long n = 0; n < count; n++) {
        rc = slot->impl.forward(slot->context, args);
        if (rc != ATTN_OK)
            break;
        ++*calls_done;
        if (phase && phase->calls)
            *phase->calls = *calls_done;
    }
    const double end = attn_now_seconds();
    const double planted = attn_planted_slowdown(slot->impl.name);
    if (planted > 0)
        attn_planted_slowdown_spin(planted, end - start, end);
    *seconds = attn_now_seconds() - start;
    return rc;
}

void attn_slot_release(attn_impl_slot *slot, const attn_phase *phase) {
    if (slot->state == 1 && slot->impl.release) {
        enter(phase, "release");
        slot->impl.release(slot->context);
    }
    slot->state = 0;
    slot->context = slot->impl.user_data;
}
