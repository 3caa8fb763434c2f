/* Shared-memory regions with guard zones: memfd, mmap and poison. */
#define _GNU_SOURCE
#include "arena.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "checked.h"
#include "signal_text.h"

/* Inaccessible bytes before, between and after the regions: a stray access this far
 * from a tensor still faults with an address that names it. */
#define GUARD_BYTES ((size_t)4 << 20)

static const char *const region_names[ATTN_REGION_COUNT] = {
    "Q", "K", "V", "O", "LSE", "the workspace", "the sequence tables"};

const char *attn_region_name(attn_region_id id) {
    return (unsigned)id < ATTN_REGION_COUNT ? region_names[id] : "?";
}

static size_t page_size(void) {
    long page = sysconf(_SC_PAGESIZE);
    return page > 0 ? (size_t)page : 4096;
}

/* Bytes of memory the machine has: an arena is poisoned, so every byte of it is touched
 * at once, and one larger than memory could only end in the OOM killer. */
static uint64_t memory_bytes(void) {
    long pages = sysconf(_SC_PHYS_PAGES);
    return pages > 0 ? (uint64_t)pages * page_size() : UINT64_MAX;
}

/* Sizes come from outside (an implementation's workspace_size() among them): every
 * rounding and sum is checked, and an arena that cannot be mapped is refused by name. */
static int compute_layout(const uint64_t data_bytes[ATTN_REGION_COUNT], attn_arena_layout *l,
                          attn_error *err) {
    memset(l, 0, sizeof *l);
    const uint64_t page = page_size(), memory = memory_bytes();
    for (int r = 0; r < ATTN_REGION_COUNT; r++) {
        l->data_bytes[r] = data_bytes[r];
        l->file_offset[r] = l->file_bytes;
        if (data_bytes[r] == 0)
            continue;
        /* The data ends within 64 bytes of the region's end, where the guard begins:
         * reading or writing past the end faults at once. */
        uint64_t mapped = 0, rounded = 0, total = 0;
        if (!attn_checked_round_up_u64(data_bytes[r], page, &mapped) ||
            !attn_checked_round_up_u64(data_bytes[r], 64, &rounded) ||
            !attn_checked_add_u64(l->file_bytes, mapped, &total))
            return attn_fail_internal(err,
                                      "%s of %" PRIu64 " bytes cannot be mapped: rounded up to "
                                      "whole pages it overflows 64-bit sizes",
                                      region_names[r], data_bytes[r]);
        if (total > memory || total > (uint64_t)INT64_MAX / 2)
            return attn_fail_internal(err,
                                      "%s of %" PRIu64 " bytes cannot be mapped: the tensors "
                                      "and workspace would need %" PRIu64 " bytes, more than "
                                      "the %" PRIu64 " bytes of memory of this machine",
                                      region_names[r], data_bytes[r], total, memory);
        l->mapped_bytes[r] = mapped;
        l->data_offset[r] = mapped - rounded;
        l->file_bytes = total;
    }
    return 0;
}

static int map_regions(attn_arena *a, attn_error *err) {
    const attn_arena_layout *l = &a->layout;
    a->reservation_bytes = GUARD_BYTES;
    for (int r = 0; r < ATTN_REGION_COUNT; r++)
        a->reservation_bytes += l->mapped_bytes[r] + GUARD_BYTES;
    void *reservation = mmap(NULL, a->reservation_bytes, PROT_NONE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (reservation == MAP_FAILED) {
        a->reservation = NULL;
        return attn_fail_internal(err, "cannot reserve %zu bytes of address space: %s",
                                  a->reservation_bytes, strerror(errno));
    }
    a->reservation = reservation;
    char *at = a->reservation + GUARD_BYTES;
    for (int r = 0; r < ATTN_REGION_COUNT; r++) {
        if (l->mapped_bytes[r] == 0) {
            a->region[r] = NULL;
            continue;
        }
        void *m = a->fd >= 0 ? mmap(at, l->mapped_bytes[r], PROT_READ | PROT_WRITE,
                                    MAP_SHARED | MAP_FIXED, a->fd, (off_t)l->file_offset[r])
                             : mmap(at, l->mapped_bytes[r], PROT_READ | PROT_WRITE,
                                    MAP_SHARED | MAP_FIXED | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            return attn_fail_internal(err, "cannot map the %s region: %s", region_names[r],
                                      strerror(errno));
        madvise(m, l->mapped_bytes[r], MADV_HUGEPAGE); /* honoured where shmem allows it */
        a->region[r] = m;
        at += l->mapped_bytes[r] + GUARD_BYTES;
    }
    return 0;
}

int attn_arena_create(attn_arena *a, const uint64_t data_bytes[ATTN_REGION_COUNT],
                      attn_error *err) {
    memset(a, 0, sizeof *a);
    a->fd = -1;
    static uint64_t next_id;
    a->id = ++next_id;
    if (compute_layout(data_bytes, &a->layout, err))
        return -1;
    a->fd = memfd_create("attnbench-arena", MFD_CLOEXEC);
    if (a->fd < 0)
        return attn_fail_internal(err, "memfd_create: %s", strerror(errno));
    if (ftruncate(a->fd, (off_t)(a->layout.file_bytes ? a->layout.file_bytes : 1)) != 0) {
        /* A file-size limit (ulimit -f) covers memory files too: the arena then lives in
         * anonymous memory, usable in this process only (workers get told why not). */
        close(a->fd);
        a->fd = -1;
    }
    if (map_regions(a, err)) {
        attn_arena_destroy(a);
        return -1;
    }
    const uint32_t poison = ATTN_POISON_BITS;
    for (int r = 0; r < ATTN_REGION_COUNT; r++) {
        uint32_t *words = (uint32_t *)a->region[r];
        for (size_t i = 0; i < a->layout.mapped_bytes[r] / sizeof poison; i++)
            words[i] = poison;
    }
    return 0;
}

int attn_arena_map(attn_arena *a, int fd, const attn_arena_layout *layout, attn_error *err) {
    memset(a, 0, sizeof *a);
    a->fd = fd;
    a->layout = *layout;
    if (map_regions(a, err)) {
        attn_arena_destroy(a);
        return -1;
    }
    return 0;
}

void attn_arena_destroy(attn_arena *a) {
    if (a->reservation)
        munmap(a->reservation, a->reservation_bytes); /* the regions inside it too */
    if (a->fd >= 0)
        close(a->fd);
    memset(a, 0, sizeof *a);
    a->fd = -1;
}

void *attn_arena_data(const attn_arena *a, attn_region_id id) {
    return a->region[id] ? a->region[id] + a->layout.data_offset[id] : NULL;
}

bool attn_arena_slack_intact(const attn_arena *a, attn_region_id id, int64_t *offset) {
    const unsigned char *base = (const unsigned char *)a->region[id];
    if (!base)
        return true;
    const uint32_t poison = ATTN_POISON_BITS;
    const unsigned char *pattern = (const unsigned char *)&poison;
    const uint64_t start = a->layout.data_offset[id], end = start + a->layout.data_bytes[id];
    for (uint64_t i = 0; i < a->layout.mapped_bytes[id]; i++) {
        if (i == start) {
            i = end - 1;
            continue;
        }
        if (base[i] != pattern[i % 4]) {
            *offset = (int64_t)i - (int64_t)start;
            return false;
        }
    }
    return true;
}

int attn_arena_locate(const attn_arena *a, uintptr_t address, char *out, size_t size) {
    int nearest = -1;
    uintptr_t best = UINTPTR_MAX;
    bool before = false;
    for (int r = 0; r < ATTN_REGION_COUNT; r++) {
        if (!a->region[r])
            continue;
        const uintptr_t start = (uintptr_t)a->region[r] + a->layout.data_offset[r];
        const uintptr_t end = start + a->layout.data_bytes[r];
        uintptr_t distance;
        if (address < start)
            distance = start - address;
        else if (address >= end)
            distance = address - end + 1; /* the first byte past the end is 1 */
        else
            distance = 0;
        if (distance < best && distance <= GUARD_BYTES + 4096) {
            best = distance;
            nearest = r;
            before = address < start;
        }
    }
    attn_text t = {out, size, 0};
    if (nearest < 0)
        attn_text_add(&t, "an address outside every tensor and the workspace");
    else if (best == 0)
        attn_text_add(&t, "inside it");
    else {
        attn_text_number(&t, best);
        attn_text_add(&t, before ? " bytes before its start" : " bytes past its end");
    }
    return nearest;
}
