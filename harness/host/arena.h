/* The memory one call of an implementation works on: Q, K, V, O, LSE and the workspace
 * as regions of one shared-memory file, so that attnbench and a worker process see the
 * same bytes and nothing is copied inside a timed region. Each process maps the regions
 * with inaccessible guard zones around every one, so an access outside a region faults
 * with an address that names the tensor; the slack between a region's data and its page
 * edges is poisoned, so a stray write there is found afterwards. */
#ifndef ATTN_ARENA_H
#define ATTN_ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef enum {
    ATTN_REGION_Q = 0,
    ATTN_REGION_K,
    ATTN_REGION_V,
    ATTN_REGION_O,
    ATTN_REGION_LSE,
    ATTN_REGION_WORKSPACE,
    ATTN_REGION_SEQUENCES, /* a ragged case's tables (harness/core/serving.h); read-only */
    ATTN_REGION_COUNT
} attn_region_id;

/* "Q", "K", "V", "O", "LSE", "the workspace", "the sequence tables". */
const char *attn_region_name(attn_region_id id);

/* Where each region's bytes are in the file; the same in every process. */
typedef struct attn_arena_layout {
    uint64_t file_bytes;
    uint64_t file_offset[ATTN_REGION_COUNT];  /* page-aligned */
    uint64_t mapped_bytes[ATTN_REGION_COUNT]; /* a multiple of the page size; 0 when empty */
    uint64_t data_offset[ATTN_REGION_COUNT];  /* from the region start, a multiple of 64 */
    uint64_t data_bytes[ATTN_REGION_COUNT];
} attn_arena_layout;

typedef struct attn_arena {
    uint64_t id; /* unique within the process that created it */
    int fd;
    attn_arena_layout layout;
    char *reservation; /* guards and regions, in this process */
    size_t reservation_bytes;
    char *region[ATTN_REGION_COUNT]; /* region starts in this process (NULL when empty) */
} attn_arena;

/* The bits that fill every byte of slack (and guard-like padding) of a region. */
#define ATTN_POISON_BITS 0x7fa5a5a5u

/* Creates the file with regions of the given data sizes, maps it, and fills every
 * region (slack included) with ATTN_POISON_BITS. */
int attn_arena_create(attn_arena *a, const uint64_t data_bytes[ATTN_REGION_COUNT], attn_error *err);

/* Maps an arena another process created, from its file descriptor and layout. */
int attn_arena_map(attn_arena *a, int fd, const attn_arena_layout *layout, attn_error *err);

void attn_arena_destroy(attn_arena *a);

/* The data of a region in this process (NULL when empty). */
void *attn_arena_data(const attn_arena *a, attn_region_id id);

/* True when the slack before and after a region's data still holds the poison; else
 * *offset receives the first changed byte's offset from the data start (negative
 * before it). */
bool attn_arena_slack_intact(const attn_arena *a, attn_region_id id, int64_t *offset);

/* Writes where address lies relative to its nearest region ("12 bytes past its end") into
 * out, and returns the region it is nearest to, or -1 when it is nowhere near the
 * arena. Async-signal-safe: it is called from the worker's fault handler. */
int attn_arena_locate(const attn_arena *a, uintptr_t address, char *out, size_t size);

#endif
