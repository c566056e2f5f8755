/* Messages between a worker and its parent: integers and strings packed into a growing byte buffer. */
#include <stdlib.h>
#include <string.h>

#include "pool.h"

void cli_msg_put(struct cli_msg *m, const void *data, size_t len)
{
    if (m->bad)
        return;
    if (m->len + len > m->cap) {
        size_t cap = m->cap ? m->cap : 256;
        while (cap < m->len + len)
            cap *= 2;
        char *p = realloc(m->p, cap);
        if (!p) {
            m->bad = true;
            return;
        }
        m->p = p;
        m->cap = cap;
    }
    if (len)
        memcpy(m->p + m->len, data, len);
    m->len += len;
}

void cli_msg_u64(struct cli_msg *m, uint64_t v) { cli_msg_put(m, &v, sizeof(v)); }

/* A string is its length plus one (0 for NULL), then its bytes and a NUL. */
void cli_msg_str(struct cli_msg *m, const char *s)
{
    size_t len = s ? strlen(s) : 0;
    cli_msg_u64(m, s ? len + 1 : 0);
    if (s)
        cli_msg_put(m, s, len + 1);
}

uint64_t cli_msg_get_u64(struct cli_msg *m)
{
    uint64_t v = 0;
    if (m->bad || m->len - m->pos < sizeof(v)) {
        m->bad = true;
        return 0;
    }
    memcpy(&v, m->p + m->pos, sizeof(v));
    m->pos += sizeof(v);
    return v;
}

const char *cli_msg_get_str(struct cli_msg *m)
{
    uint64_t n = cli_msg_get_u64(m);
    if (!n || m->bad)
        return NULL;
    if (m->len - m->pos < n || m->p[m->pos + n - 1] != '\0') {
        m->bad = true;
        return NULL;
    }
    const char *s = m->p + m->pos;
    m->pos += (size_t)n;
    return s;
}

void cli_msg_fini(struct cli_msg *m)
{
    free(m->p);
    *m = (struct cli_msg){ 0 };
}
