/* The network's tables: creation and settings, links between hosts, listener slots and connections. */
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
    /* Host 0 is the world outside the nodes, where peers live. */
    if (coop_net_host_add(net, 0) != 0) {
        coop_net_free(net);
        return NULL;
    }
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
    for (uint32_t i = 0; i < net->nhosts; i++)
        net_host_free(net, net->hosts[i]);
    mem_free(net, net->hosts, net->hostcap * sizeof(*net->hosts));
    mem_free(net, net->cut, (size_t)net->nhosts * net->nhosts);
    mem_free(net, net->links, net->linkcap * sizeof(*net->links));
    mem_free(net, net->ls, net->lscap * sizeof(*net->ls));
    mem_free(net, net->dirty, net->dirtycap * sizeof(*net->dirty));
    mem_free(net, net->dirty_ls, net->dirty_lscap * sizeof(*net->dirty_ls));
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
    if (!err)
        err = grow(net->alloc, (void **)&net->dirty_ls, &net->dirty_lscap, (size_t)net->nls + 1,
                   sizeof(*net->dirty_ls), 8);
    if (err)
        return err;
    *idx = net->nls;
    return 0;
}

void net_listener_commit(coop_net *net, uint32_t idx, struct net_listener l)
{
    /* A reused slot may still be on the list of touched listeners. */
    l.dirty = idx < net->nls && net->ls[idx].dirty;
    net->ls[idx] = l;
    if (idx == net->nls)
        net->nls++;
}

struct net_listener *net_listener_at(const coop_net *net, uint32_t host, uint16_t port)
{
    for (uint32_t i = 0; i < net->nls; i++)
        if (net->ls[i].port == port && port != 0 && net->ls[i].host == host)
            return &net->ls[i];
    return NULL;
}

struct net_listener *net_outside_listener(const coop_net *net, uint32_t addr, uint16_t port)
{
    /* One listening at exactly this address comes before one listening at every address. */
    struct net_listener *any = NULL;
    for (uint32_t i = 0; i < net->nls; i++) {
        struct net_listener *l = &net->ls[i];
        if (l->port != port || port == 0 || l->host != 0)
            continue;
        if (l->addr == addr)
            return l;
        if (l->addr == 0)
            any = l;
    }
    return any;
}

/* The link between hosts a and b: the one set for that pair, else the default. */
static coop_net_link link_between(const coop_net *net, uint32_t a, uint32_t b)
{
    for (size_t i = 0; i < net->nlinks; i++)
        if ((net->links[i].a == a && net->links[i].b == b) || (net->links[i].a == b && net->links[i].b == a))
            return net->links[i].link;
    return net->link;
}

int coop_net_set_host_link(coop_net *net, uint32_t a, uint32_t b, const coop_net_link *link)
{
    if (!link || a >= net->nhosts || b >= net->nhosts)
        return -COOP_EINVAL;
    for (size_t i = 0; i < net->nlinks; i++)
        if ((net->links[i].a == a && net->links[i].b == b) ||
            (net->links[i].a == b && net->links[i].b == a)) {
            net->links[i].link = *link;
            return 0;
        }
    if (grow(net->alloc, (void **)&net->links, &net->linkcap, net->nlinks + 1, sizeof(*net->links), 4))
        return -COOP_ENOMEM;
    net->links[net->nlinks++] = (struct net_link_rule){ a, b, *link };
    return 0;
}

/*
 * Creates connection number nconns + 1 to port, with both ends unknown.
 * Room in the conn table and the heap (two directions per connection)
 * is made first, so a failure leaves nothing behind.
 */
struct net_conn *net_conn_new(coop_net *net, uint32_t from, uint32_t to, uint16_t port, int *err)
{
    if (net->nconns >= NET_MAX_CONNS) {
        *err = -COOP_ENOSPC;
        return NULL;
    }
    *err = grow(net->alloc, (void **)&net->conns, &net->conncap, (size_t)net->nconns + 1, sizeof(*net->conns),
                8);
    if (!*err)
        *err = heap_reserve(&net->deliveries, 2 * ((size_t)net->nconns + 1));
    if (!*err)
        *err = grow(net->alloc, (void **)&net->dirty, &net->dirtycap, (size_t)net->nconns + 1,
                    sizeof(*net->dirty), 8);
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
    c->link = link_between(net, from, to);
    c->send_buf = net->send_buf;
    c->recv_buf = net->recv_buf;
    c->port = port;
    for (unsigned i = 0; i < 2; i++) {
        c->end[i].kind = END_UNKNOWN;
        c->end[i].host = i ? to : from;
        c->end[i].fd = -1;
        c->dir[i].heap_pos = NET_NO_POS;
    }
    net->conns[net->nconns++] = c;
    return c;
}
