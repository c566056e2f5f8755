/* Small text helpers every layer of the simulator shares: hex digits, string copies, whole files. */
#ifndef COOP_SIM_BASE_TEXT_H
#define COOP_SIM_BASE_TEXT_H

#include <stddef.h>

/* The value of a hex digit, or -1. */
int text_hexval(int c);
/* A malloc'd copy of s, or NULL when memory ran out. */
char *text_dup(const char *s);
/*
 * Reads the regular file at path whole, up to max bytes, into a malloc'd
 * buffer with a NUL after the last byte.  Returns NULL with errno set
 * when it cannot: the open's or read's errno, EISDIR for a directory,
 * EINVAL for anything else that is not a regular file, EFBIG beyond max.
 */
char *text_slurp(const char *path, size_t max, size_t *len);

#endif
