/* RFC 4180 CSV reports that are valid on disk after every row: rows are kept in memory
 * and the whole file is rewritten to a temporary name and renamed over the report, so an
 * interrupted run leaves the rows finished so far and never a half-written line. */
#ifndef ATTN_CSV_H
#define ATTN_CSV_H

#include <stddef.h>

#include "error.h"

typedef struct attn_csv {
    char path[4096];
    char *text; /* header and rows so far */
    size_t length, capacity;
    size_t columns;
} attn_csv;

/* Appends one field to buffer, quoted when it holds a comma, quote, CR or LF. */
int attn_csv_append_field(char **buffer, size_t *length, size_t *capacity, const char *field);

/* Creates the report with its header row (written to disk at once). */
int attn_csv_open(attn_csv *csv, const char *path, const char *const *header, size_t columns,
                  attn_error *err);
/* Appends a row of exactly csv->columns fields and replaces the file on disk. */
int attn_csv_append(attn_csv *csv, const char *const *fields, attn_error *err);
void attn_csv_close(attn_csv *csv);

#endif
