/* The simulator's one JSON string escaper, which also keeps every output valid UTF-8. */
#ifndef COOP_SIM_BASE_JSON_H
#define COOP_SIM_BASE_JSON_H

#include <stddef.h>

/*
 * Writes s[0..len) into out as the inside of a JSON string (no quotes):
 * '"' and '\\' get a backslash, control bytes become \u00XX, and every
 * byte that is not part of a well-formed UTF-8 sequence becomes \ufffd,
 * so the result is valid UTF-8 whatever s holds.  Returns the length
 * written, or SIZE_MAX when the result would not fit in cap - 1 bytes
 * (out then holds an unfinished prefix).  out is NUL-terminated when
 * the result fits.
 */
size_t json_escape(char *out, size_t cap, const char *s, size_t len);

/* The length of the well-formed UTF-8 sequence at s[0..len), or 0 when s does not start one. */
size_t utf8_seq_len(const unsigned char *s, size_t len);

#endif
