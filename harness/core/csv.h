/* RFC 4180 CSV reports that are valid on disk after every row: each row is appended with
 * one write (a failed write is truncated away), so an interrupted run leaves the rows
 * finished so far and never a half-written line. A regular file already at the path is
 * replaced only when the first row is written (until then it stays as it was), and the
 * report is locked against a second attnbench writing the same path (output_file.h). */
#ifndef ATTN_CSV_H
#define ATTN_CSV_H

#include <stddef.h>

#include "error.h"
#include "output_file.h"

typedef struct attn_csv {
    attn_output file;
    char *text; /* the row being formatted (a reused buffer) */
    size_t length, capacity;
    size_t columns;
    size_t rows; /* rows written after the header */
} attn_csv;

/* Appends one field to buffer, quoted when it holds a comma, quote, CR or LF. */
int attn_csv_append_field(char **buffer, size_t *length, size_t *capacity, const char *field);

/* Opens the report and writes its header row. A new path shows the header at once; a
 * regular file already there is left alone until the first row (or attn_csv_finish). A
 * bad path, or a report another attnbench is writing, is a bad-input error. */
int attn_csv_open(attn_csv *csv, const char *path, const char *const *header, size_t columns,
                  attn_error *err);
/* Appends a row of exactly csv->columns fields to the report on disk. */
int attn_csv_append(attn_csv *csv, const char *const *fields, attn_error *err);
/* Completes the report: a run without rows still replaces what was there by its header. */
int attn_csv_finish(attn_csv *csv, attn_error *err);
/* Closes (after finish, or to abandon: a report with no row yet leaves the previous file
 * at the path as it was). Safe on a zeroed attn_csv. */
void attn_csv_close(attn_csv *csv);

#endif
