/* Minimal string formatting for log messages, so the core needs no stdio. */
#include "internal.h"

/* Appends as much as fits; the buffer always stays NUL-terminated. */
static void buf_putc(struct coop__buf *b, char c)
{
    if (b->len + 1 < b->cap) {
        b->p[b->len++] = c;
        b->p[b->len] = '\0';
    }
}

void coop__buf_str(struct coop__buf *b, const char *s)
{
    while (s && *s)
        buf_putc(b, *s++);
}

void coop__buf_uint(struct coop__buf *b, uint64_t v)
{
    char digits[20];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        buf_putc(b, digits[--n]);
}
