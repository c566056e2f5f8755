/* Newline-framed input for the uplink and the collector. */
#include <string.h>

#include "line.h"

bool line_feed(struct line_buf *b, const char *p, size_t n)
{
    if (n > sizeof(b->buf) - b->len)
        return false;
    memcpy(b->buf + b->len, p, n);
    b->len += n;
    return true;
}

bool line_take(struct line_buf *b, char *out)
{
    const char *nl = memchr(b->buf, '\n', b->len);
    if (!nl)
        return false;
    size_t n = (size_t)(nl - b->buf);
    memcpy(out, b->buf, n);
    out[n] = '\0';
    b->len -= n + 1;
    memmove(b->buf, nl + 1, b->len);
    return true;
}
