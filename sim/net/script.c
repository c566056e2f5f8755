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

int coop_net_peer_connect(coop_net *net, uint16_t port)
{
    const struct net_listener *l = net_listener_at_port(net, port);
    if (!l || l->peer) {
        trace(net, "refuse", 0, -1, 0);
        return -COOP_ECONNREFUSED;
    }
    int err = 0;
    struct net_conn *c = net_conn_new(net, port, &err);
    if (!c)
        return err;
    struct net_end *e = &c->end[0];
    e->kind = END_PEER;
    e->established = true;
    e->reading = true;
    trace(net, "connect", c->id, -1, 0);
    net_transmit(net, c, 0, SEG_SYN, 0, 0);
    coop_net_advance(net);
    return (int)c->id;
}

int coop_net_peer_listen(coop_net *net, uint16_t port, bool refuse_all)
{
    if (port == 0)
        return -COOP_EINVAL;
    if (net_listener_at_port(net, port))
        return -COOP_EADDRINUSE;
    uint32_t idx;
    int err = net_listener_reserve(net, &idx);
    if (err)
        return err;
    net_listener_commit(net, idx,
                        (struct net_listener){ .port = port, .peer = true, .refuse = refuse_all, .fd = -1 });
    return 0;
}

uint32_t coop_net_peer_accepted(const coop_net *net, uint16_t port, uint32_t n)
{
    for (uint32_t i = 0; i < net->nconns && n; i++)
        if (net->conns[i]->port == port && net->conns[i]->peer_n == n)
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
    trace(net, "shutdown", c->id, -1, 0);
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
            trace(net, "close", c->id, -1, 0);
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
        trace(net, "recv", c->id, -1, in->rcv_len);
        net_ring_consume(in, NULL, in->rcv_len);
        net_pump(net, c, 1 - side);
        coop_net_advance(net);
    }
    return 0;
}
