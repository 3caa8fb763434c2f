/* CSV quoting and atomically replaced report files. */
#define _POSIX_C_SOURCE 200809L
#include "csv.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static int append_row(attn_csv *csv, const char *const *fields, size_t count, attn_error *err) {
    size_t length = csv->length;
    for (size_t f = 0; f < count; f++) {
        if (f) {
            if (reserve(&csv->text, &csv->capacity, length + 2))
                return attn_fail_internal(err, "out of memory building %s", csv->path);
            csv->text[length++] = ',';
        }
        if (attn_csv_append_field(&csv->text, &length, &csv->capacity, fields[f] ? fields[f] : ""))
            return attn_fail_internal(err, "out of memory building %s", csv->path);
    }
    if (reserve(&csv->text, &csv->capacity, length + 3))
        return attn_fail_internal(err, "out of memory building %s", csv->path);
    memcpy(csv->text + length, "\r\n", 3);
    csv->length = length + 2;
    return 0;
}

static int replace_file(const attn_csv *csv, attn_error *err) {
    char temporary[4200];
    snprintf(temporary, sizeof temporary, "%s.tmp-%ld", csv->path, (long)getpid());
    FILE *f = fopen(temporary, "wb");
    if (!f) {
        /* a folder that is missing, not a folder, or not writable is the user's to fix */
        bool bad_path = errno == ENOENT || errno == ENOTDIR || errno == EACCES || errno == EROFS;
        return bad_path
                   ? attn_fail_input(err, "%s: cannot create the report: %s", temporary,
                                     strerror(errno))
                   : attn_fail_internal(err, "%s: cannot create: %s", temporary, strerror(errno));
    }
    bool failed = fwrite(csv->text, 1, csv->length, f) != csv->length;
    failed |= fflush(f) != 0;
    int saved = errno;
    failed |= fclose(f) != 0;
    if (!failed && rename(temporary, csv->path) == 0)
        return 0;
    if (!saved)
        saved = errno;
    unlink(temporary);
    return attn_fail_internal(err, "%s: write failed: %s (previous contents left as they were)",
                              csv->path, strerror(saved));
}

int attn_csv_open(attn_csv *csv, const char *path, const char *const *header, size_t columns,
                  attn_error *err) {
    memset(csv, 0, sizeof *csv);
    if (strlen(path) >= sizeof csv->path)
        return attn_fail_input(err, "report path too long: %s", path);
    snprintf(csv->path, sizeof csv->path, "%s", path);
    csv->columns = columns;
    if (append_row(csv, header, columns, err) || replace_file(csv, err)) {
        attn_csv_close(csv);
        return -1;
    }
    return 0;
}

int attn_csv_append(attn_csv *csv, const char *const *fields, attn_error *err) {
    size_t before = csv->length;
    if (append_row(csv, fields, csv->columns, err))
        return -1;
    if (replace_file(csv, err)) {
        csv->length = before;
        csv->text[before] = '\0';
        return -1;
    }
    return 0;
}

void attn_csv_close(attn_csv *csv) {
    free(csv->text);
    memset(csv, 0, sizeof *csv);
}
