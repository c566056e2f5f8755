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

/* 32-bit division only, which a Cortex-M0 does with a short helper, not libgcc's 64-bit one. */
void coop__buf_u32(struct coop__buf *b, uint32_t v)
{
    char digits[10];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n)
        buf_putc(b, digits[--n]);
}

void coop__buf_uint(struct coop__buf *b, uint64_t v)
{
    if (v <= UINT32_MAX) {
        coop__buf_u32(b, (uint32_t)v);
        return;
    }
    char digits[20];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        buf_putc(b, digits[--n]);
}
