/* The element types of interface 2.2 as the harness handles them: names, sizes, rounding
 * a float to a type (round to nearest, ties to even) and the 16-bit encodings. Bit-level
 * code of its own: it shares nothing with the kernels it stages data for. */
#ifndef ATTN_ELEMENT_TYPE_H
#define ATTN_ELEMENT_TYPE_H

#include <stddef.h>
#include <stdint.h>

#include "attnbench.h"
#include "error.h"

#define ATTN_TYPE_COUNT 3

/* "f32", "bf16", "f16"; "?" for anything else. */
const char *attn_type_name(int type);
/* Parses a type name; the message lists the names. */
int attn_type_parse(const char *text, int *type, attn_error *err);
size_t attn_type_size(int type);
/* The largest finite value of the type. */
double attn_type_max(int type);

/* x rounded to the nearest value of the type (ties to even), as a float: exact for f32.
 * Beyond the type's range it becomes +-inf; NaN stays NaN. */
float attn_round_to_type(float x, int type);

uint16_t attn_bf16_from_float(float x);
float attn_bf16_to_float(uint16_t bits);
uint16_t attn_f16_from_float(float x);
float attn_f16_to_float(uint16_t bits);

/* Writes count floats as elements of type at dst (element stride dst_stride, in
 * elements), and reads them back. Values must already be representable for the copy to
 * be exact; the conversion rounds otherwise. */
void attn_store_elements(int type, const float *src, void *dst, int64_t count);
void attn_load_elements(int type, const void *src, float *dst, int64_t count);

#endif
