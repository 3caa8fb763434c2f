/* What the loader requires of an implementation descriptor before it is used: the
 * version fields, the name rules of attnbench.h, a summary, a forward function and no
 * capability bits its minor version does not define. */
#ifndef ATTN_IMPL_VALIDATE_H
#define ATTN_IMPL_VALIDATE_H

#include <stddef.h>

#include "attnbench.h"

/* The smallest struct_size that still holds forward: interface 2.0's attn_impl. */
#define ATTN_IMPL_MIN_SIZE (offsetof(attn_impl, forward) + sizeof(void (*)(void)))

/* Returns 0, or -1 with a message (naming library and entry index) in out. */
int attn_impl_validate(const char *library, size_t index, const attn_impl *impl, char *out,
                       size_t size);

/* Checks a name against the rules; returns 0 or -1 with the reason in out. */
int attn_name_validate(const char *name, char *out, size_t size);

#endif
