/* CSV quoting and report files appended row by row. */
#define _POSIX_C_SOURCE 200809L
#include "csv.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reserve(char **buffer, size_t *capacity, size_t needed) {
    if (needed <= *capacity)
        return 0;
    size_t grown = *capacity ? *capacity : 1024;
    while (grown < needed)
        grown *= 2;
    char *p = realloc(*buffer, grown);
    if (!p)
        return -1;
    *buffer = p;
    *capacity = grown;
    return 0;
}

int attn_csv_append_field(char **buffer, size_t *length, size_t *capacity, const char *field) {
    size_t n = strlen(field);
    bool quote = strpbrk(field, ",\"\r\n") != NULL;
    /* worst case: every character doubled, two quotes, terminator */
    if (reserve(buffer, capacity, *length + 2 * n + 3))
        return -1;
    char *out = *buffer + *length;
    if (quote)
        *out++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (field[i] == '"')
            *out++ = '"';
        *out++ = field[i];
    }
    if (quote)
        *out++ = '"';
    *out = '\0';
    *length = (size_t)(out - *buffer);
    return 0;
}

/* Formats one row into csv->text and writes it with a single call. */
static int write_row(attn_csv *csv, const char *const *fields, attn_error *err) {
    size_t length = 0;
    for (size_t f = 0; f < csv->columns; f++) {
        if (f) {
            if (reserve(&csv->text, &csv->capacity, length + 2))
                return attn_fail_internal(err, "out of memory building %s", csv->file.path);
            csv->text[length++] = ',';
        }
        if (attn_csv_append_field(&csv->text, &length, &csv->capacity, fields[f] ? fields[f] : ""))
            return attn_fail_internal(err, "out of memory building %s", csv->file.path);
    }
    if (reserve(&csv->text, &csv->capacity, length + 3))
        return attn_fail_internal(err, "out of memory building %s", csv->file.path);
    memcpy(csv->text + length, "\r\n", 3);
    csv->length = length + 2;
    return attn_output_write(&csv->file, csv->text, csv->length, err);
}

int attn_csv_open(attn_csv *csv, const char *path, const char *const *header, size_t columns,
                  attn_error *err) {
    memset(csv, 0, sizeof *csv);
    csv->columns = columns;
    if (attn_output_open(&csv->file, path, ATTN_OUTPUT_LOCK, err))
        return -1;
    /* a new path has nothing to protect: the report is there from the start */
    if (write_row(csv, header, err) ||
        (!csv->file.existed && attn_output_publish(&csv->file, err))) {
        attn_csv_close(csv);
        return -1;
    }
    return 0;
}

int attn_csv_append(attn_csv *csv, const char *const *fields, attn_error *err) {
    if (write_row(csv, fields, err) || attn_output_publish(&csv->file, err))
        return -1;
    csv->rows++;
    return 0;
}

int attn_csv_finish(attn_csv *csv, attn_error *err) {
    return csv->file.active ? attn_output_commit(&csv->file, err) : 0;
}

void attn_csv_close(attn_csv *csv) {
    attn_output_discard(&csv->file);
    free(csv->text);
    memset(csv, 0, sizeof *csv);
}
