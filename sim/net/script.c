/* The script side of the network: peers that connect, listen, send, shut down, close, reset and stop reading. */
#include "net/private.h"

/* The peer end's side of a conn, or -1 when it has none. */
static int peer_side(const struct net_conn *c)
{
    if (c->end[0].kind == END_PEER)
        return 0;
    if (c->end[1].kind == END_PEER)
        return 1;
    return -1;
}

int coop_net_peer_connect(coop_net *net, uint32_t host, uint16_t port)
{
    struct net_host *h = host_get(net, host);
    if (!h || host == 0)
        return -COOP_EINVAL;
    /* A host that is up answers a port nobody listens on with a reset, which a peer learns at once. */
    if (h->up && !net_cut(net, 0, host) && !net_listener_at(net, host, port)) {
        trace_end(net, "refuse", NULL, NULL, 0);
        return -COOP_ECONNREFUSED;
    }
    int err = 0;
    struct net_conn *c = net_conn_new(net, 0, host, port, &err);
    if (!c)
        return err;
    c->dst_addr = h->addr;
    struct net_end *e = &c->end[0];
    e->kind = END_PEER;
    e->established = true;
    e->reading = true;
    net_touch(net, c);
    trace_end(net, "connect", c, NULL, 0);
    net_transmit(net, c, 0, SEG_SYN, 0, 0);
    coop_net_advance(net);
    return (int)c->id;
}

/* The peer listener or rule at exactly addr and port, or NULL. */
static struct net_listener *peer_listener(const coop_net *net, uint32_t addr, uint16_t port)
{
    for (uint32_t i = 0; i < net->nls; i++)
        if (net->ls[i].port == port && port != 0 && net->ls[i].host == 0 && net->ls[i].addr == addr)
            return &net->ls[i];
    return NULL;
}

int coop_net_peer_listen(coop_net *net, uint32_t addr, uint16_t port, coop_net_listen_mode mode,
                         uint64_t accept_delay_ns)
{
    if (port == 0 || mode > COOP_NET_DROP)
        return -COOP_EINVAL;
    if (peer_listener(net, addr, port))
        return -COOP_EADDRINUSE;
    uint32_t idx;
    int err = net_listener_reserve(net, &idx);
    if (err)
        return err;
    /* A listener again at a port where one was counts its connections on from the earlier one's. */
    uint32_t accepted = 0;
    for (uint32_t i = 0; i < net->nconns; i++) {
        const struct net_conn *c = net->conns[i];
        if (c->peer_n > accepted && c->port == port && c->peer_addr == addr)
            accepted = c->peer_n;
    }
    net_listener_commit(net, idx,
                        (struct net_listener){ .port = port,
                                               .peer = true,
                                               .mode = (uint8_t)mode,
                                               .addr = addr,
                                               .delay_ns = accept_delay_ns,
                                               .accepted = accepted,
                                               .fd = -1 });
    return 0;
}

int coop_net_peer_unlisten(coop_net *net, uint32_t addr, uint16_t port)
{
    struct net_listener *l = peer_listener(net, addr, port);
    if (!l)
        return -COOP_ENOENT;
    bool dirty = l->dirty;
    *l = (struct net_listener){ .dirty = dirty };
    return 0;
}

uint32_t coop_net_peer_accepted(const coop_net *net, uint32_t addr, uint16_t port, uint32_t n)
{
    for (uint32_t i = 0; i < net->nconns && n; i++)
        if (net->conns[i]->port == port && net->conns[i]->peer_n == n && net->conns[i]->peer_addr == addr)
            return net->conns[i]->id;
    return 0;
}

/* The peer end of conn, checked; NULL with *err set otherwise. */
static struct net_conn *peer_get(coop_net *net, uint32_t conn, unsigned *side, int *err)
{
    struct net_conn *c = conn_get(net, conn);
    if (!c) {
        *err = -COOP_ENOENT;
        return NULL;
    }
    int s = peer_side(c);
    if (s < 0) {
        *err = -COOP_EINVAL;
        return NULL;
    }
    *side = (unsigned)s;
    /* Whatever the script does to the connection, its readiness is looked at again. */
    net_touch(net, c);
    return c;
}

/* What a peer end that can no longer send reports. */
static int peer_send_error(const struct net_end *e)
{
    if (e->closed || !e->dead)
        return -COOP_EPIPE;
    return -(e->so_error ? e->so_error : COOP_ECONNRESET);
}

int coop_net_peer_send(coop_net *net, uint32_t conn, const void *buf, size_t len)
{
    unsigned side;
    int err = 0;
    struct net_conn *c = peer_get(net, conn, &side, &err);
    if (!c)
        return err;
    struct net_end *e = &c->end[side];
    if (e->wr_shut)
        return peer_send_error(e);
    if (len == 0)
        return 0;
    struct net_dir *out = &c->dir[side];
    if (net_ring_reserve(net, out, len, SIZE_MAX) < len)
        return -COOP_ENOMEM;
    net_ring_append(out, buf, len);
    net_pump(net, c, side);
    coop_net_advance(net);
    return 0;
}

int coop_net_peer_shutdown(coop_net *net, uint32_t conn)
{
    unsigned side;
    int err = 0;
    struct net_conn *c = peer_get(net, conn, &side, &err);
    if (!c)
        return err;
    struct net_end *e = &c->end[side];
    if (e->closed || e->dead)
        return peer_send_error(e);
    if (e->wr_shut)
        return 0;
    net_set_state(c, COOP_NET_PEER_SHUT);
    trace_end(net, "shutdown", c, NULL, 0);
    net_send_fin(net, c, side);
    coop_net_advance(net);
    return 0;
}

/* The script closes its end; abort (or unread data) makes it a reset. */
static int peer_end(coop_net *net, uint32_t conn, bool abort)
{
    unsigned side;
    int err = 0;
    struct net_conn *c = peer_get(net, conn, &side, &err);
    if (!c)
        return err;
    struct net_end *e = &c->end[side];
    if (e->closed)
        return -COOP_EBADF;
    e->closed = true;
    if (!e->dead) {
        if (abort || c->dir[1 - side].rcv_len) {
            net_set_state(c, COOP_NET_PEER_RESET);
            net_send_rst(net, c, side);
        } else {
            net_set_state(c, COOP_NET_PEER_CLOSED);
            trace_end(net, "close", c, NULL, 0);
            net_send_fin(net, c, side);
        }
    }
    net_conn_tidy(net, c);
    coop_net_advance(net);
    return 0;
}

int coop_net_peer_close(coop_net *net, uint32_t conn) { return peer_end(net, conn, false); }

int coop_net_peer_reset(coop_net *net, uint32_t conn) { return peer_end(net, conn, true); }

int coop_net_peer_reading(coop_net *net, uint32_t conn, bool reading)
{
    unsigned side;
    int err = 0;
    struct net_conn *c = peer_get(net, conn, &side, &err);
    if (!c)
        return err;
    struct net_end *e = &c->end[side];
    if (e->closed)
        return -COOP_EBADF;
    e->reading = reading;
    struct net_dir *in = &c->dir[1 - side];
    if (reading && in->rcv_len) {
        trace_end(net, "recv", c, NULL, in->rcv_len);
        net_ring_consume(in, NULL, in->rcv_len);
        net_pump(net, c, 1 - side);
        coop_net_advance(net);
    }
    return 0;
}
