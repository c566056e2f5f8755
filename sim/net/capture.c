/* Captures of what tasks wrote toward peers, and the queries about connections that scripts make. */
#include <string.h>

#include "base/grow.h"
#include "net/private.h"

/* Reserves room in c's capture for one more chunk of n bytes. */
int net_capture_reserve(coop_net *net, struct net_capture *cap, size_t n)
{
    int err = grow(net->alloc, (void **)&cap->bytes, &cap->cap, cap->len + n, 1, NET_RING_MIN);
    if (!err)
        err = grow(net->alloc, (void **)&cap->chunks, &cap->ncap, cap->n + 1, sizeof(*cap->chunks), 8);
    return err;
}

void net_capture_add(coop_net *net, struct net_capture *cap, const void *buf, size_t n)
{
    memcpy(cap->bytes + cap->len, buf, n);
    cap->chunks[cap->n++] =
        (coop_net_chunk){ .t_ns = *net->now_ns, .ev = UINT64_MAX, .off = cap->len, .len = n };
    cap->len += n;
}

coop_net_state coop_net_conn_state(const coop_net *net, uint32_t conn)
{
    const struct net_conn *c = conn_get(net, conn);
    return c ? c->state : COOP_NET_REFUSED;
}

const char *coop_net_state_name(coop_net_state st)
{
    static const char *const names[] = {
        "connecting", "open",        "task-shut",  "task-closed", "task-reset",
        "peer-shut",  "peer-closed", "peer-reset", "refused",     "timed-out",
    };
    return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}

int coop_net_capture_of(const coop_net *net, uint32_t conn, coop_net_capture *out)
{
    const struct net_conn *c = conn_get(net, conn);
    if (!c)
        return -COOP_ENOENT;
    out->bytes = c->cap.len ? c->cap.bytes : NULL;
    out->len = c->cap.len;
    out->chunks = c->cap.chunks;
    out->nchunks = c->cap.n;
    return 0;
}

uint32_t coop_net_conn_count(const coop_net *net) { return net->nconns; }
