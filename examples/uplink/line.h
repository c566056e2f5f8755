/* Newline-framed input: bytes as they arrive from a socket, taken out one line at a time. */
#ifndef COOP_EXAMPLES_LINE_H
#define COOP_EXAMPLES_LINE_H

#include <stdbool.h>
#include <stddef.h>

/* Longest line either side of the uplink protocol sends, newline included. */
#define LINE_MAX_BYTES 64

struct line_buf {
    char buf[LINE_MAX_BYTES];
    size_t len;
};

static inline void line_reset(struct line_buf *b) { b->len = 0; }

/* Appends n bytes; false when they do not fit, which means a line too long for the protocol. */
bool line_feed(struct line_buf *b, const char *p, size_t n);

/* Moves the first complete line, without its newline, to out (cap >= LINE_MAX_BYTES); false when none. */
bool line_take(struct line_buf *b, char *out);

#endif
