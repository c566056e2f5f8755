/* The network's tables: creation and settings, fd numbers, listener slots and connections. */
#include <string.h>

#include "base/grow.h"
#include "net/private.h"

coop_net *coop_net_new(const uint64_t *now_ns, coop_prng *rng, coop_allocator alloc)
{
    if (!now_ns || !rng || !alloc.fn)
        return NULL;
    coop_net *net = alloc.fn(alloc.ctx, NULL, 0, sizeof(*net));
    if (!net)
        return NULL;
    memset(net, 0, sizeof(*net));
    net->alloc = alloc;
    net->now_ns = now_ns;
    net->rng = rng;
    net->send_buf = NET_DEFAULT_BUF;
    net->recv_buf = NET_DEFAULT_BUF;
    heap_init(&net->deliveries, alloc, net_delivery_moved, net);
    return net;
}

void net_conn_free(coop_net *net, struct net_conn *c)
{
    for (unsigned d = 0; d < 2; d++)
        mem_free(net, c->dir[d].buf, c->dir[d].cap);
    mem_free(net, c->cap.bytes, c->cap.cap);
    mem_free(net, c->cap.chunks, c->cap.ncap * sizeof(*c->cap.chunks));
    mem_free(net, c, sizeof(*c));
}

void coop_net_free(coop_net *net)
{
    if (!net)
        return;
    for (uint32_t i = 0; i < net->nconns; i++)
        net_conn_free(net, net->conns[i]);
    mem_free(net, net->conns, net->conncap * sizeof(*net->conns));
    heap_fini(&net->deliveries);
    mem_free(net, net->fds, net->fdcap * sizeof(*net->fds));
    mem_free(net, net->ls, net->lscap * sizeof(*net->ls));
    coop_allocator a = net->alloc;
    (void)a.fn(a.ctx, net, sizeof(*net), 0);
}

void coop_net_set_trace(coop_net *net, coop_net_trace_fn fn, void *ctx)
{
    net->trace = fn;
    net->trace_ctx = ctx;
}

int coop_net_set_link(coop_net *net, uint32_t conn, const coop_net_link *link)
{
    if (!link)
        return -COOP_EINVAL;
    if (conn == 0) {
        net->link = *link;
        return 0;
    }
    struct net_conn *c = conn_get(net, conn);
    if (!c)
        return -COOP_ENOENT;
    c->link = *link;
    return 0;
}

void coop_net_set_faults(coop_net *net, const coop_net_faults *faults)
{
    net->faults = faults ? *faults : (coop_net_faults){ 0 };
}

void coop_net_set_buffers(coop_net *net, size_t send_buf, size_t recv_buf)
{
    net->send_buf = send_buf ? send_buf : NET_DEFAULT_BUF;
    net->recv_buf = recv_buf ? recv_buf : NET_DEFAULT_BUF;
}

/* The lowest free fd, with room made for it in the table; nothing is taken yet. */
int net_fd_reserve(coop_net *net, int *fd)
{
    for (uint32_t i = NET_FIRST_FD; i < net->nfds; i++)
        if (net->fds[i].kind == FD_FREE) {
            *fd = (int)i;
            return 0;
        }
    uint32_t next = net->nfds > NET_FIRST_FD ? net->nfds : NET_FIRST_FD;
    if (next >= NET_MAX_FDS)
        return -COOP_EMFILE;
    size_t old = net->fdcap;
    int err = grow(net->alloc, (void **)&net->fds, &net->fdcap, (size_t)next + 1, sizeof(*net->fds), 8);
    if (err)
        return err;
    for (size_t i = old; i < net->fdcap; i++)
        net->fds[i] = (struct net_fd){ .kind = FD_FREE };
    *fd = (int)next;
    return 0;
}

void net_fd_commit(coop_net *net, int fd, uint8_t kind, uint32_t obj, uint8_t side)
{
    net->fds[fd] = (struct net_fd){ .kind = kind, .obj = obj, .side = side };
    if ((uint32_t)fd >= net->nfds)
        net->nfds = (uint32_t)fd + 1;
}

void net_fd_release(coop_net *net, int fd)
{
    net->fds[fd] = (struct net_fd){ .kind = FD_FREE };
    while (net->nfds > NET_FIRST_FD && net->fds[net->nfds - 1].kind == FD_FREE)
        net->nfds--;
    if (net->wait_cursor >= net->nfds)
        net->wait_cursor = 0;
}

/* A free listener slot, made if needed; nothing is taken yet. */
int net_listener_reserve(coop_net *net, uint32_t *idx)
{
    for (uint32_t i = 0; i < net->nls; i++)
        if (net->ls[i].port == 0) {
            *idx = i;
            return 0;
        }
    if (net->nls >= NET_MAX_LISTENERS)
        return -COOP_ENOMEM;
    int err = grow(net->alloc, (void **)&net->ls, &net->lscap, (size_t)net->nls + 1, sizeof(*net->ls), 8);
    if (err)
        return err;
    *idx = net->nls;
    return 0;
}

void net_listener_commit(coop_net *net, uint32_t idx, struct net_listener l)
{
    net->ls[idx] = l;
    if (idx == net->nls)
        net->nls++;
}

struct net_listener *net_listener_at_port(const coop_net *net, uint16_t port)
{
    for (uint32_t i = 0; i < net->nls; i++)
        if (net->ls[i].port == port && port != 0)
            return &net->ls[i];
    return NULL;
}

/*
 * Creates connection number nconns + 1 to port, with both ends unknown.
 * Room in the conn table and the heap (two directions per connection)
 * is made first, so a failure leaves nothing behind.
 */
struct net_conn *net_conn_new(coop_net *net, uint16_t port, int *err)
{
    if (net->nconns >= NET_MAX_CONNS) {
        *err = -COOP_ENOSPC;
        return NULL;
    }
    *err = grow(net->alloc, (void **)&net->conns, &net->conncap, (size_t)net->nconns + 1, sizeof(*net->conns),
                8);
    if (!*err)
        *err = heap_reserve(&net->deliveries, 2 * ((size_t)net->nconns + 1));
    if (*err)
        return NULL;
    struct net_conn *c = mem_alloc(net, sizeof(*c));
    if (!c) {
        *err = -COOP_ENOMEM;
        return NULL;
    }
    memset(c, 0, sizeof(*c));
    c->id = net->nconns + 1;
    c->state = COOP_NET_CONNECTING;
    c->link = net->link;
    c->send_buf = net->send_buf;
    c->recv_buf = net->recv_buf;
    c->port = port;
    for (unsigned i = 0; i < 2; i++) {
        c->end[i].kind = END_UNKNOWN;
        c->end[i].fd = -1;
        c->dir[i].heap_pos = NET_NO_POS;
    }
    net->conns[net->nconns++] = c;
    return c;
}

/* A dotted quad as inet_pton(AF_INET) takes it: four decimal parts of 0..255, no leading zeros. */
bool net_parse_ipv4(const char *s)
{
    if (!s)
        return false;
    for (int part = 0; part < 4; part++) {
        unsigned v = 0;
        int digits = 0;
        const char *start = s;
        while (*s >= '0' && *s <= '9') {
            v = v * 10 + (unsigned)(*s - '0');
            if (++digits > 3 || v > 255)
                return false;
            s++;
        }
        if (!digits || (digits > 1 && *start == '0'))
            return false;
        if (part < 3 && *s++ != '.')
            return false;
    }
    return *s == '\0';
}
