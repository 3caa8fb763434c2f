/* Worker processes: plugin code (and built-ins under --isolate) runs in a process that
 * attnbench starts by exec'ing itself, so it begins clean, without the thread pools of
 * OpenMP or OpenBLAS that attnbench already runs. A worker serves one library for the
 * whole command: its implementations keep their contexts between calls, tensors come
 * through a shared arena (arena.h), and when it crashes or hangs the call is reported
 * against the implementation (which call, which signal, which tensor) and a fresh worker
 * takes over at the next call. */
#ifndef ATTN_WORKER_H
#define ATTN_WORKER_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "error.h"
#include "worker_protocol.h"

typedef struct attn_worker attn_worker;

/* Starts a worker for library (NULL: this binary's built-ins) and loads it. Load errors
 * (bad library, bad descriptors, a crash in attnbench_plugin()) are bad input. */
attn_worker *attn_worker_start(const char *library, double timeout_seconds, attn_error *err);

size_t attn_worker_impl_count(const attn_worker *w);
const attn_wire_impl *attn_worker_impl(const attn_worker *w, size_t index);

/* Sends request (for ATTN_WIRE_CALL first making sure the worker has mapped arena) and
 * waits for the reply. Returns 0 with reply filled, or -1 with why saying what happened
 * to the worker ("crashed in forward: killed by signal 11 (Segmentation fault):
 * out-of-bounds write of O (4 bytes past its end)", "did not finish within 3 s", ...);
 * the worker is then gone and the next request starts a new one. A forward batch is
 * killed when no call of it finished for timeout_seconds. */
int attn_worker_request(attn_worker *w, attn_wire_request *request, const attn_arena *arena,
                        attn_wire_reply *reply, char *why, size_t why_size);

/* Changes the per-call timeout (0: none). */
void attn_worker_set_timeout(attn_worker *w, double seconds);
double attn_worker_timeout(const attn_worker *w);

/* Asks the worker to release its implementations and exit; frees w. */
void attn_worker_stop(attn_worker *w);

/* The worker's own main (argv: attnbench __worker SOCKET_FD STATUS_FD). */
int attn_worker_main(int argc, char **argv);
#define ATTN_WORKER_COMMAND "__worker"

#endif
