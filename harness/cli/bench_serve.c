/* bench --serve (bench_serve.h). */
#define _POSIX_C_SOURCE 200809L
#include "bench_serve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "interrupt.h"

typedef struct serve_item {
    const attn_impl *impl;
    const attn_case *c;
    int threads;
    attn_bench_session *session;
    attn_bench_result result; /* status and reason; the samples are sent, not kept */
} serve_item;

/* Tabs and line breaks in a reason would break the protocol's fields. */
static void print_field(const char *text) {
    for (const char *at = text; *at; at++)
        putchar(*at == '\t' || *at == '\n' || *at == '\r' ? ' ' : *at);
}

static void print_status(const serve_item *item) {
    fputs(attn_bench_status_name(item->result.status), stdout);
    putchar('\t');
    print_field(item->result.reason);
}

static void open_items(serve_item *items, size_t count, attn_layout layout,
                       const attn_bench_options *options) {
    for (size_t n = 0; n < count && !attn_interrupted; n++) {
        serve_item *item = &items[n];
        char text[ATTN_CASE_STRING_MAX];
        attn_case_format(item->c, text);
        fprintf(stderr, "bench --serve: preparing %zu/%zu: %s t=%d %s\n", n + 1, count,
                item->impl->name, item->threads, text);
        item->session =
            attn_bench_open(item->impl, item->c, layout, item->threads, options, &item->result);
        printf("item\t%zu\t", n);
        fputs(attn_bench_status_name(item->result.status), stdout);
        printf("\t%s\t%d\t%s\t", item->impl->name, item->threads, text);
        print_field(item->result.reason);
        putchar('\n');
    }
    printf("ready\t%zu\n", count);
    fflush(stdout);
}

static void sample_item(serve_item *item, size_t n, long k) {
    printf("sample\t%zu\t", n);
    if (!item->session) {
        print_status(item);
        putchar('\n');
        return;
    }
    double *seconds = malloc((size_t)k * sizeof *seconds);
    if (!seconds) {
        fputs("error\tout of memory\n", stdout);
        return;
    }
    long done = 0;
    for (; done < k; done++)
        if ((seconds[done] = attn_bench_sample(item->session, &item->result)) < 0)
            break;
    if (done < k) {
        attn_bench_close(item->session);
        item->session = NULL;
        print_status(item);
    } else {
        fputs("ok", stdout);
        for (long s = 0; s < k; s++)
            printf("\t%.9g", seconds[s]);
    }
    putchar('\n');
    free(seconds);
}

/* Serves requests until quit or end of input: 0, or 2 after a malformed request. */
static int serve_requests(serve_item *items, size_t count) {
    char line[256];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strcmp(line, "quit") == 0 || line[0] == '\0')
            return 0;
        unsigned long long n = 0;
        long k = 0;
        char extra = 0;
        if (sscanf(line, "sample %llu %ld %c", &n, &k, &extra) != 2 || n >= count || k < 1 ||
            k > ATTN_BENCH_MAX_SAMPLES) {
            printf("error\tbad request '%s': expected 'sample N K' with N < %zu and 1 <= K <= "
                   "%d, or 'quit'\n",
                   line, count, ATTN_BENCH_MAX_SAMPLES);
            fflush(stdout);
            return ATTN_EXIT_BAD_INPUT;
        }
        sample_item(&items[n], (size_t)n, k);
        fflush(stdout);
    }
    return 0;
}

int attn_bench_serve(const attn_impl *const *impls, size_t impl_count, const int *threads,
                     size_t thread_count, const attn_suite *suite, attn_layout layout,
                     const attn_bench_options *options) {
    const size_t count = suite->count * thread_count * impl_count;
    serve_item *items = calloc(count ? count : 1, sizeof *items);
    if (!items) {
        fputs("attnbench: bench --serve: out of memory\n", stderr);
        return ATTN_EXIT_INTERNAL;
    }
    size_t n = 0;
    for (size_t c = 0; c < suite->count; c++)
        for (size_t t = 0; t < thread_count; t++)
            for (size_t m = 0; m < impl_count; m++)
                items[n++] = (serve_item){impls[m], &suite->cases[c], threads[t], NULL, {0}};
    open_items(items, count, layout, options);
    const int status =
        attn_interrupted ? 128 + (int)attn_interrupted : serve_requests(items, count);
    for (n = 0; n < count; n++)
        attn_bench_close(items[n].session);
    free(items);
    return status;
}
