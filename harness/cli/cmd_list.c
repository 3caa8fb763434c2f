/* attnbench list: implementations, capabilities, suites, distributions. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"
#include "check.h"
#include "cli.h"
#include "contract.h"
#include "element_type.h"
#include "suite.h"

/* "types: f32 only", or each declared contract: the types it accepts and what it rounds. */
static void print_precisions(const attn_impl *impl, int width) {
    const bool declares = ATTN_HAS_FIELD(impl, attn_impl, precision_count) &&
                          impl->precision_count > 0 && impl->precisions;
    if (!declares) {
        printf("\n  %-*s types: f32 only", width, "");
        return;
    }
    for (uint32_t n = 0; n < impl->precision_count; n++) {
        const attn_precision *pr = &impl->precisions[n];
        const uint32_t masks[4] = {pr->q_types, pr->k_types, pr->v_types, pr->o_types};
        printf("\n  %-*s types:", width, "");
        for (int t = 0; t < 4; t++) {
            printf(" %c=", "QKVO"[t]);
            const char *separator = "";
            for (int type = 0; type < ATTN_TYPE_COUNT; type++)
                if (masks[t] & ATTN_TYPE_BIT(type)) {
                    printf("%s%s", separator, attn_type_name(type));
                    separator = "|";
                }
        }
        const int32_t inputs[3] = {pr->q_compute, pr->k_compute, pr->v_compute};
        printf(";");
        for (int t = 0; t < 3; t++)
            if (inputs[t] != ATTN_F32)
                printf(" %c to %s,", "QKV"[t], attn_type_name(inputs[t]));
        printf(" score %s, prob %s, accum %s", attn_type_name(pr->score), attn_type_name(pr->prob),
               attn_type_name(pr->accum));
    }
}

static void print_caps(uint64_t caps) {
    static const struct {
        uint64_t cap;
        const char *name;
    } names[] = {{ATTN_CAP_GLOBAL, "global"},
                 {ATTN_CAP_CAUSAL, "causal"},
                 {ATTN_CAP_WINDOW, "window"},
                 {ATTN_CAP_GQA, "gqa"},
                 {ATTN_CAP_CROSS, "cross"},
                 {ATTN_CAP_DV_DIFFERS, "dv!=d"},
                 {ATTN_CAP_LSE, "lse"},
                 {ATTN_CAP_CUSTOM_SCALE, "scale"},
                 {ATTN_CAP_STRIDES, "strides"},
                 {ATTN_CAP_THREAD_INVARIANT, "thread-invariant"},
                 {ATTN_CAP_BATCH_INVARIANT, "batch-invariant"},
                 {ATTN_CAP_RAGGED, "ragged"},
                 {ATTN_CAP_KV_PACKED, "kv-packed"},
                 {ATTN_CAP_KV_PAGED, "kv-paged"}};
    const char *separator = "";
    for (size_t n = 0; n < sizeof names / sizeof names[0]; n++)
        if (caps & names[n].cap) {
            printf("%s%s", separator, names[n].name);
            separator = ",";
        }
}

static void print_help(void) {
    puts("usage: attnbench list [--names [--types T]] [--plugin LIB.so]\n\nLists the built-in "
         "and plugin implementations with their capabilities and element\ntypes, the suites in "
         "the suites folder and the input distributions.\n\n  --names   print only the "
         "implementation names, one a line\n  --types T with --names: only those that declare "
         "a precision contract for types T\n            (f32, bf16, f16, or Q/K/V/O such as "
         "f32/f16/f16/f32)");
}

int attn_cmd_list(int argc, char **argv) {
    bool names_only = false;
    const char *types = NULL;
    attn_error err = {0};
    const attn_option options[] = {ATTN_FLAG("--names", &names_only), ATTN_TEXT("--types", &types)};
    if (attn_cli_parse(argc, argv, "list", options, 2, print_help, &err))
        return attn_cli_report(&err);
    attn_case typed;
    attn_case_default(&typed);
    if (types && (!names_only || attn_case_set(&typed, "types", types, &err))) {
        if (!names_only)
            attn_fail_input(&err, "list: --types goes with --names");
        return attn_cli_report(&err);
    }
    size_t count = 0;
    const attn_impl *const *impls = attn_all_impls(&count);
    if (names_only) {
        for (size_t n = 0; n < count; n++)
            if (!types || attn_precision_for(impls[n], &typed.problem))
                puts(impls[n]->name);
        return ATTN_EXIT_OK;
    }
    /* One column for every name, as wide as the longest (ATTN_NAME_MAX at most) */
    int width = 10;
    for (size_t n = 0; n < count; n++)
        width = (int)strlen(impls[n]->name) > width ? (int)strlen(impls[n]->name) : width;
    puts("implementations:");
    for (size_t n = 0; n < count; n++) {
        printf("  %-*s %s\n  %-*s supports: ", width, impls[n]->name, impls[n]->summary, width, "");
        print_caps(impls[n]->caps);
        print_precisions(impls[n], width);
        const char *origin = attn_impl_origin(impls[n]);
        if (origin)
            printf("\n  %-*s plugin: %s", width, "", origin);
        putchar('\n');
    }
    const char *dir = attn_suites_dir();
    printf("\nsuites (in %s):\n", dir);
    DIR *folder = opendir(dir);
    if (folder) {
        struct dirent *entry;
        int suite_width = 20;
        while ((entry = readdir(folder)) != NULL) {
            size_t length = strlen(entry->d_name);
            if (length >= 7 && strcmp(entry->d_name + length - 6, ".suite") == 0 &&
                (int)length - 6 > suite_width)
                suite_width = (int)length - 6;
        }
        rewinddir(folder);
        while ((entry = readdir(folder)) != NULL) {
            size_t length = strlen(entry->d_name);
            if (length < 7 || strcmp(entry->d_name + length - 6, ".suite") != 0)
                continue;
            char path[4096];
            attn_suite suite;
            attn_error err;
            snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
            if (attn_suite_load(path, &suite, &err) == 0) {
                printf("  %-*.*s %zu cases\n", suite_width, (int)length - 6, entry->d_name,
                       suite.count);
                attn_suite_free(&suite);
            } else
                printf("  %-*.*s (does not parse: %s)\n", suite_width, (int)length - 6,
                       entry->d_name, err.message);
        }
        closedir(folder);
    } else
        printf("  (cannot open %s; set ATTNBENCH_SUITES_DIR)\n", dir);
    puts("\ninput distributions (dist=): uniform, offset, ties, dominant, spikes, "
         "needles "
         "(harness/core/generate.h)");
    return ATTN_EXIT_OK;
}
