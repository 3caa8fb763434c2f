/* Descriptor validation shared by the built-in table and the plugin loader. */
#define _POSIX_C_SOURCE 200809L
#include "impl_validate.h"

#include "contract.h"
#include "worker_protocol.h"

#define ATTN_STRINGIFY_(x) #x
#define ATTN_STRINGIFY(x) ATTN_STRINGIFY_(x)

#include <stdio.h>
#include <string.h>

int attn_name_validate(const char *name, char *out, size_t size) {
    if (!name || !name[0]) {
        snprintf(out, size, "has no name");
        return -1;
    }
    size_t length = strnlen(name, ATTN_NAME_MAX + 1);
    if (length > ATTN_NAME_MAX) {
        snprintf(out, size, "name '%.40s...' is longer than %d characters", name, ATTN_NAME_MAX);
        return -1;
    }
    for (size_t i = 0; i < length; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            snprintf(out, size, "name '%s' has '%c' at position %zu (names are [a-z0-9_]+)", name,
                     c, i + 1);
            return -1;
        }
    }
    if (strcmp(name, "reference") == 0 || strcmp(name, "all") == 0) {
        snprintf(out, size, "name '%s' is reserved", name);
        return -1;
    }
    return 0;
}

int attn_impl_validate(const char *library, size_t index, const attn_impl *impl, char *out,
                       size_t size) {
    char why[256];
    if (!impl) {
        snprintf(out, size, "%s: implementation %zu is a NULL pointer", library, index);
        return -1;
    }
    if (impl->struct_size < ATTN_IMPL_MIN_SIZE) {
        snprintf(out, size,
                 "%s: implementation %zu has struct_size %u, smaller than interface 2.0's "
                 "attn_impl (%zu): initialise it with ATTN_IMPL_HEADER",
                 library, index, impl->struct_size, ATTN_IMPL_MIN_SIZE);
        return -1;
    }
    if (attn_name_validate(impl->name, why, sizeof why)) {
        snprintf(out, size, "%s: implementation %zu %s", library, index, why);
        return -1;
    }
    if (!impl->forward) {
        snprintf(out, size, "%s: implementation '%s' has a NULL forward function", library,
                 impl->name);
        return -1;
    }
    if (!impl->summary) {
        snprintf(out, size, "%s: implementation '%s' has a NULL summary", library, impl->name);
        return -1;
    }
    if (strnlen(impl->summary, ATTN_SUMMARY_MAX + 1) > ATTN_SUMMARY_MAX ||
        strchr(impl->summary, '\n')) {
        snprintf(out, size,
                 "%s: implementation '%s': the summary must be one line of at most %d "
                 "characters",
                 library, impl->name, ATTN_SUMMARY_MAX);
        return -1;
    }
    /* A newer minor may define bits this attnbench does not know: they are ignored, as
     * no case here needs them. Unknown bits from this minor or an older one are a bug. */
    const uint64_t known = impl->abi_minor == 0 ? ATTN_CAPS_KNOWN_2_0 : ATTN_CAPS_KNOWN;
    if (impl->abi_minor <= ATTN_ABI_MINOR && (impl->caps & ~known)) {
        snprintf(out, size,
                 "%s: implementation '%s' declares capability bits 0x%llx that interface 2.%u "
                 "does not define",
                 library, impl->name, (unsigned long long)(impl->caps & ~known), impl->abi_minor);
        return -1;
    }
    if (ATTN_HAS_FIELD(impl, attn_impl, precision_count) && impl->precision_count) {
        if (!impl->precisions || impl->precision_count > ATTN_MAX_PRECISIONS) {
            snprintf(out, size, "%s: implementation '%s' declares %u precision contracts %s",
                     library, impl->name, impl->precision_count,
                     impl->precisions ? "(at most " ATTN_STRINGIFY(ATTN_MAX_PRECISIONS) ")"
                                      : "but precisions is NULL");
            return -1;
        }
        for (uint32_t n = 0; n < impl->precision_count; n++)
            if (attn_precision_validate(&impl->precisions[n], why, sizeof why)) {
                snprintf(out, size, "%s: implementation '%s': precision contract %u %s", library,
                         impl->name, n, why);
                return -1;
            }
    }
    return 0;
}
