/* The messages between attnbench and a worker process (worker.h), over a
 * SOCK_SEQPACKET socket: one request, then one reply (after a LOAD, one record per
 * implementation follows). Both ends are the same executable, so the structs are sent as
 * they are. */
#ifndef ATTN_WORKER_PROTOCOL_H
#define ATTN_WORKER_PROTOCOL_H

#include <stdint.h>

#include "attnbench.h"
#include "arena.h"
#include "layout.h"

typedef enum {
    ATTN_WIRE_LOAD = 1, /* path: a library, or "" for the built-ins */
    ATTN_WIRE_SUPPORTS, /* impl, problem */
    ATTN_WIRE_SIZES,    /* impl, problem, threads */
    ATTN_WIRE_ARENA,    /* arena layout; the memfd rides along (SCM_RIGHTS) */
    ATTN_WIRE_CALL,     /* impl, problem, threads, tensors, want_lse, count */
    ATTN_WIRE_QUIT
} attn_wire_type;

typedef struct attn_wire_request {
    uint32_t type;
    uint32_t impl;
    int32_t threads;
    int32_t want_lse;
    int64_t count;
    uint64_t arena_id;
    attn_problem problem;
    attn_arena_layout arena;
    attn_case_layout tensors;
    char path[4096];
} attn_wire_request;

typedef struct attn_wire_reply {
    int32_t status; /* 0, or an attn_exit status with message */
    int32_t rc;     /* what supports/forward returned */
    int64_t calls_done;
    double seconds;
    uint64_t workspace_bytes, allocated_bytes;
    uint32_t impl_count;
    char message[1024];
} attn_wire_reply;

/* The most precision contracts one implementation may declare. */
#define ATTN_MAX_PRECISIONS 32

typedef struct attn_wire_impl {
    char name[ATTN_NAME_MAX + 1];
    char summary[ATTN_SUMMARY_MAX + 1];
    uint64_t caps;
    uint32_t abi_minor;
    uint32_t precision_count;
    attn_precision precisions[ATTN_MAX_PRECISIONS];
} attn_wire_impl;

/* A page both processes map: what the worker was doing, and what went wrong when it
 * died (written by its fault handler). */
typedef struct attn_worker_status {
    char phase[64];  /* "forward", "supports", "init", "attnbench_plugin()", ... */
    char fault[512]; /* "write 4 bytes past the end of O", or "" */
    int64_t call;    /* forward calls completed in the current request */
} attn_worker_status;

#endif
