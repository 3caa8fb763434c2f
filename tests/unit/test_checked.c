/* Unit tests for the checked size arithmetic (harness/core/checked.h) and for its use where
 * sizes come from outside: an arena asked for a workspace of SIZE_MAX bytes (an
 * implementation's workspace_size()) is refused with a message, never laid out with a
 * wrapped size and a NULL workspace. */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>

#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "checked.h"
#include "error.h"

Test(checked, mul) {
    size_t out = 7;
    cr_assert(attn_checked_mul(0, SIZE_MAX, &out) && out == 0);
    cr_assert(attn_checked_mul(SIZE_MAX, 1, &out) && out == SIZE_MAX);
    cr_assert(attn_checked_mul((size_t)1 << 31, (size_t)1 << 31, &out) && out == (size_t)1 << 62);
    out = 7;
    cr_assert(!attn_checked_mul(SIZE_MAX, 2, &out));
    cr_assert(!attn_checked_mul((size_t)1 << 32, (size_t)1 << 32, &out));
    cr_assert(!attn_checked_mul(SIZE_MAX / 3 + 1, 3, &out));
    cr_assert_eq(out, 7, "a refused product must leave *out alone");
    cr_assert(attn_checked_mul(SIZE_MAX / 3, 3, &out) && out == SIZE_MAX / 3 * 3);
}

Test(checked, add) {
    size_t out = 7;
    cr_assert(attn_checked_add(SIZE_MAX - 1, 1, &out) && out == SIZE_MAX);
    cr_assert(attn_checked_add(0, 0, &out) && out == 0);
    out = 7;
    cr_assert(!attn_checked_add(SIZE_MAX, 1, &out));
    cr_assert(!attn_checked_add(1, SIZE_MAX, &out));
    cr_assert_eq(out, 7);
}

Test(checked, round_up) {
    size_t out = 7;
    cr_assert(attn_checked_round_up(0, 4096, &out) && out == 0);
    cr_assert(attn_checked_round_up(1, 4096, &out) && out == 4096);
    cr_assert(attn_checked_round_up(4096, 4096, &out) && out == 4096);
    cr_assert(attn_checked_round_up(4097, 64, &out) && out == 4160);
    cr_assert(attn_checked_round_up(SIZE_MAX, 1, &out) && out == SIZE_MAX);
    cr_assert(attn_checked_round_up(SIZE_MAX - 4095, 4096, &out) && out == SIZE_MAX - 4095);
    out = 7;
    cr_assert(!attn_checked_round_up(SIZE_MAX, 4096, &out), "SIZE_MAX rounds past SIZE_MAX");
    cr_assert(!attn_checked_round_up(SIZE_MAX - 4094, 4096, &out));
    cr_assert(!attn_checked_round_up(5, 0, &out), "rounding to 0 is refused");
    cr_assert_eq(out, 7);
}

Test(checked, u64) {
    uint64_t out = 7;
    cr_assert(attn_checked_mul_u64(UINT64_MAX, 1, &out) && out == UINT64_MAX);
    cr_assert(attn_checked_add_u64(UINT64_MAX - 5, 5, &out) && out == UINT64_MAX);
    cr_assert(attn_checked_round_up_u64(100, 64, &out) && out == 128);
    out = 7;
    cr_assert(!attn_checked_mul_u64(UINT64_MAX, 2, &out));
    cr_assert(!attn_checked_add_u64(UINT64_MAX, 1, &out));
    cr_assert(!attn_checked_round_up_u64(UINT64_MAX, 64, &out));
    cr_assert(!attn_checked_round_up_u64(1, 0, &out));
    cr_assert_eq(out, 7);
}

Test(checked, error_h_forms_agree) {
    size_t out = 0;
    cr_assert_eq(attn_size_mul(SIZE_MAX, 2, &out), -1);
    cr_assert_eq(attn_size_add(SIZE_MAX, 1, &out), -1);
    cr_assert_eq(attn_size_mul(6, 7, &out), 0);
    cr_assert_eq(out, 42);
}

/* An arena with small tensors and the given workspace size must be refused by name. */
static void arena_refuses(uint64_t workspace, const char *want) {
    uint64_t bytes[ATTN_REGION_COUNT] = {64, 64, 64, 64, 16, workspace, 0};
    attn_arena arena;
    attn_error err = {0};
    int rc = attn_arena_create(&arena, bytes, &err);
    if (rc == 0) {
        void *data = attn_arena_data(&arena, ATTN_REGION_WORKSPACE);
        attn_arena_destroy(&arena);
        cr_assert_fail("a workspace of %llu bytes was accepted (workspace %p)",
                       (unsigned long long)workspace, data);
    }
    cr_assert_eq(err.kind, ATTN_EXIT_INTERNAL);
    cr_assert(strstr(err.message, "the workspace") != NULL, "message: %s", err.message);
    cr_assert(strstr(err.message, want) != NULL, "message lacks '%s': %s", want, err.message);
}

Test(checked, arena_refuses_workspace_size_max) {
    arena_refuses(SIZE_MAX, "overflows");
    arena_refuses(UINT64_MAX - 100, "overflows");
    /* no rounding overflow, but more than any machine's memory */
    arena_refuses(UINT64_MAX / 4, "bytes of memory of this machine");
}

Test(checked, arena_accepts_small_workspace) {
    uint64_t bytes[ATTN_REGION_COUNT] = {64, 64, 64, 64, 16, 300, 0};
    attn_arena arena;
    attn_error err = {0};
    cr_assert_eq(attn_arena_create(&arena, bytes, &err), 0, "%s", err.message);
    cr_assert_not_null(attn_arena_data(&arena, ATTN_REGION_WORKSPACE));
    cr_assert_eq(arena.layout.data_bytes[ATTN_REGION_WORKSPACE], 300);
    cr_assert_eq(arena.layout.mapped_bytes[ATTN_REGION_WORKSPACE] % 4096, 0);
    attn_arena_destroy(&arena);
}
