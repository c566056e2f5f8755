/* The poller's socket half: listen, accept, connect, read, write, shutdown and close on task fds. */
#include "net/private.h"

/*
 * Listens on a port of the host.  The address says which connections it
 * takes: 0.0.0.0 every one, a loopback address those from the host
 * itself through loopback, the host's own address the others; any
 * other address is not the host's (EADDRNOTAVAIL).  A port has one
 * listener at most, whatever its address.
 */
static int net_listen(void *ctx, const char *addr, uint16_t port, int backlog)
{
    struct net_host *h = ctx;
    coop_net *net = h->net;
    uint32_t a;
    if (net_parse_ipv4(addr, &a))
        return -COOP_EINVAL;
    uint8_t bind = a == 0 ? BIND_ANY : a >> 24 == 127 ? BIND_LOOPBACK : BIND_HOST;
    if (bind == BIND_HOST && a != h->addr)
        return -COOP_EADDRNOTAVAIL;
    if (port == 0) {
        uint32_t p = NET_AUTO_PORT_FIRST;
        while (p <= UINT16_MAX && net_listener_at(net, h->id, (uint16_t)p))
            p++;
        if (p > UINT16_MAX)
            return -COOP_EADDRINUSE;
        port = (uint16_t)p;
    } else if (net_listener_at(net, h->id, port)) {
        return -COOP_EADDRINUSE;
    }
    int fd;
    uint32_t idx;
    int err = net_fd_reserve(h, &fd);
    if (!err)
        err = net_listener_reserve(net, &idx);
    if (err)
        return err;
    uint32_t b = backlog > 0 && (uint32_t)backlog < NET_SOMAXCONN ? (uint32_t)backlog : NET_SOMAXCONN;
    net_listener_commit(
        net, idx, (struct net_listener){ .port = port, .host = h->id, .bind = bind, .fd = fd, .backlog = b });
    net_fd_commit(h, fd, FD_LISTENER, idx, 0);
    return fd;
}

static int net_local_port(void *ctx, int fd)
{
    struct net_host *h = ctx;
    coop_net *net = h->net;
    const struct net_fd *f = fd_get(h, fd);
    if (!f)
        return -COOP_EBADF;
    if (f->kind == FD_LISTENER)
        return net->ls[f->obj].port;
    const struct net_conn *c = conn_get(net, f->obj);
    if (f->side == 1)
        return c->port;
    return (int)(NET_CLIENT_PORT_FIRST + (c->id - 1) % NET_CLIENT_PORTS);
}

static int net_accept(void *ctx, int listen_fd)
{
    struct net_host *h = ctx;
    coop_net *net = h->net;
    const struct net_fd *f = fd_get(h, listen_fd);
    if (!f)
        return -COOP_EBADF;
    if (f->kind != FD_LISTENER)
        return -COOP_EINVAL;
    struct net_listener *l = &net->ls[f->obj];
    if (!l->q_len)
        return -COOP_EAGAIN;
    int fd;
    int err = net_fd_reserve(h, &fd);
    if (err)
        return err;
    struct net_conn *c = net_queue_pop(net, l);
    c->end[1].fd = fd;
    net_fd_commit(h, fd, FD_SOCKET, c->id, 1);
    net_touch(net, c);
    net_set_state(c, COOP_NET_OPEN);
    trace_end(net, "accept", c, &c->end[1], 0);
    return fd;
}

static int net_connect(void *ctx, const char *addr, uint16_t port)
{
    struct net_host *h = ctx;
    coop_net *net = h->net;
    uint32_t a;
    if (net_parse_ipv4(addr, &a))
        return -COOP_EINVAL;
    bool loopback;
    uint32_t to = net_route(net, h->id, a, &loopback);
    int fd, err = net_fd_reserve(h, &fd);
    if (err)
        return err;
    struct net_conn *c = net_conn_new(net, h->id, to, port, &err);
    if (!c)
        return err;
    c->dst_addr = a;
    c->loopback = loopback;
    c->end[0].kind = END_TASK;
    c->end[0].fd = fd;
    net_fd_commit(h, fd, FD_SOCKET, c->id, 0);
    net_touch(net, c);
    trace_end(net, "connect", c, &c->end[0], 0);
    net_transmit(net, c, 0, SEG_SYN, 0, 0);
    coop_net_advance(net);
    return fd;
}

/* The socket end behind fd, or NULL. */
static struct net_conn *sock_get(struct net_host *h, int fd, unsigned *side, int *err)
{
    const struct net_fd *f = fd_get(h, fd);
    if (!f) {
        *err = -COOP_EBADF;
        return NULL;
    }
    if (f->kind != FD_SOCKET) {
        *err = -COOP_ENOTCONN;
        return NULL;
    }
    *side = f->side;
    struct net_conn *c = conn_get(h->net, f->obj);
    /* Whatever a call does to the connection, its readiness is looked at again. */
    net_touch(h->net, c);
    return c;
}

static int net_sock_error(void *ctx, int fd)
{
    struct net_host *h = ctx;
    const struct net_fd *f = fd_get(h, fd);
    if (!f)
        return -COOP_EBADF;
    if (f->kind == FD_LISTENER)
        return 0;
    struct net_conn *c = conn_get(h->net, f->obj);
    net_touch(h->net, c);
    struct net_end *e = &c->end[f->side];
    int err = e->so_error;
    e->so_error = 0;
    return -err;
}

/*
 * The link's size limit and the seeded I/O faults, shared by read and
 * write in this order so that both draw from the PRNG the same way:
 * returns how many of n bytes the call may move, or -COOP_EAGAIN.
 */
static long io_allowance(coop_net *net, const struct net_conn *c, const struct net_end *e, size_t n,
                         uint32_t max)
{
    if (max && n > max)
        n = max;
    if (net->faults.eagain_pct && chance(net, NET_FAULT_EAGAIN, net->faults.eagain_pct)) {
        trace_end(net, "fault:eagain", c, e, n);
        return -COOP_EAGAIN;
    }
    if (n >= 2 && net->faults.short_io_pct && chance(net, NET_FAULT_SHORT_IO, net->faults.short_io_pct)) {
        n = 1 + (size_t)net_draw_below(net->rng, (uint64_t)n - 1);
        trace_end(net, "fault:short", c, e, n);
    }
    return (long)n;
}

static long net_read(void *ctx, int fd, void *buf, size_t len)
{
    struct net_host *h = ctx;
    coop_net *net = h->net;
    unsigned side;
    int err = 0;
    struct net_conn *c = sock_get(h, fd, &side, &err);
    if (!c)
        return err;
    struct net_end *e = &c->end[side];
    struct net_dir *in = &c->dir[1 - side];
    if (len == 0)
        return 0;
    if (in->rcv_len) {
        long allowed = io_allowance(net, c, e, min_size(len, in->rcv_len), c->link.max_read);
        if (allowed < 0)
            return allowed;
        size_t n = (size_t)allowed;
        net_ring_consume(in, buf, n);
        net_pump(net, c, 1 - side);
        coop_net_advance(net);
        return (long)n;
    }
    /* The order of Linux's tcp_recvmsg(): end of stream, then a pending error, then a shut side. */
    if (e->fin_landed)
        return 0;
    if (e->so_error) {
        err = e->so_error;
        e->so_error = 0;
        return -err;
    }
    if (e->rd_shut)
        return 0;
    return -COOP_EAGAIN;
}

static long net_write(void *ctx, int fd, const void *buf, size_t len)
{
    struct net_host *h = ctx;
    coop_net *net = h->net;
    unsigned side;
    int err = 0;
    struct net_conn *c = sock_get(h, fd, &side, &err);
    if (!c)
        return err == -COOP_ENOTCONN ? -COOP_EPIPE : err;
    struct net_end *e = &c->end[side];
    struct net_dir *out = &c->dir[side];
    /* The order of Linux's tcp_sendmsg(): a pending error, then a shut side, then a connect in progress. */
    if (e->so_error) {
        err = e->so_error;
        e->so_error = 0;
        return -err;
    }
    if (e->wr_shut)
        return -COOP_EPIPE;
    if (!e->established)
        return -COOP_EAGAIN;
    if (len == 0)
        return 0;
    size_t room = c->send_buf - out->snd_len;
    if (!room)
        return -COOP_EAGAIN;
    long allowed = io_allowance(net, c, e, min_size(len, room), c->link.max_write);
    if (allowed < 0)
        return allowed;
    size_t n = (size_t)allowed;
    n = net_ring_reserve(net, out, n, c->send_buf + c->recv_buf);
    if (!n)
        return -COOP_ENOMEM;
    bool to_peer = c->end[1 - side].kind == END_PEER;
    if (to_peer && net_capture_reserve(net, &c->cap, n))
        return -COOP_ENOMEM;
    net_ring_append(out, buf, n);
    if (to_peer)
        net_capture_add(net, &c->cap, buf, n);
    uint64_t ev = trace_end(net, "send", c, e, n);
    if (to_peer)
        c->cap.chunks[c->cap.n - 1].ev = ev;
    net_pump(net, c, side);
    coop_net_advance(net);
    return (long)n;
}

static int net_shutdown_write(void *ctx, int fd)
{
    struct net_host *h = ctx;
    coop_net *net = h->net;
    unsigned side;
    int err = 0;
    const struct net_fd *f = fd_get(h, fd);
    if (f && f->kind == FD_LISTENER)
        return 0;
    struct net_conn *c = sock_get(h, fd, &side, &err);
    if (!c)
        return err;
    struct net_end *e = &c->end[side];
    if (e->dead || !e->established)
        return -COOP_ENOTCONN;
    if (e->wr_shut)
        return 0;
    net_set_state(c, COOP_NET_TASK_SHUT);
    trace_end(net, "shutdown", c, e, 0);
    net_send_fin(net, c, side);
    coop_net_advance(net);
    return 0;
}

/* Closing a listener resets the connections still in its queue, as Linux's inet_csk_listen_stop(). */
static void close_listener(struct net_host *h, int fd, uint32_t idx)
{
    coop_net *net = h->net;
    struct net_listener *l = &net->ls[idx];
    if (net->trace)
        net->trace(net->trace_ctx, "close", 0, h->id, fd, 0);
    while (l->q_len) {
        struct net_conn *c = net_queue_pop(net, l);
        c->end[1].closed = true;
        net_set_state(c, COOP_NET_TASK_RESET);
        net_send_rst(net, c, 1);
        net_conn_tidy(net, c);
    }
    bool dirty = l->dirty;
    *l = (struct net_listener){ .dirty = dirty };
    net_fd_release(h, fd);
}

/* Closes task end fd; abort sends a reset whatever the buffers hold. */
static int close_fd(struct net_host *h, int fd, bool abort)
{
    coop_net *net = h->net;
    const struct net_fd *f = fd_get(h, fd);
    if (!f)
        return -COOP_EBADF;
    if (f->kind == FD_LISTENER) {
        close_listener(h, fd, f->obj);
        coop_net_advance(net);
        return 0;
    }
    struct net_conn *c = conn_get(net, f->obj);
    net_touch(net, c);
    unsigned side = f->side;
    struct net_end *e = &c->end[side];
    trace_end(net, "close", c, e, 0);
    e->closed = true;
    if (e->dead) {
        /* Reset or refused already: nothing more goes out. */
    } else if (!e->established) {
        /* A connect in progress is abandoned; a request still in flight is withdrawn. */
        e->dead = e->rd_shut = e->wr_shut = true;
        if (c->end[1].kind == END_UNKNOWN) {
            net_dir_purge(net, c, 0);
            c->end[1].kind = END_NONE;
        }
        net_set_state(c, COOP_NET_TASK_CLOSED);
    } else if (abort || c->dir[1 - side].rcv_len) {
        net_set_state(c, COOP_NET_TASK_RESET);
        net_send_rst(net, c, side);
    } else {
        net_set_state(c, COOP_NET_TASK_CLOSED);
        net_send_fin(net, c, side);
    }
    /* The fd goes last, so that the reset above is traced with it. */
    net_fd_release(h, fd);
    e->fd = -1;
    net_conn_tidy(net, c);
    coop_net_advance(net);
    return 0;
}

static int net_close(void *ctx, int fd) { return close_fd(ctx, fd, false); }
static int net_close_abort(void *ctx, int fd) { return close_fd(ctx, fd, true); }

int coop_net_close_reset(coop_net *net, uint32_t host, int fd)
{
    struct net_host *h = host_get(net, host);
    return h ? close_fd(h, fd, true) : -COOP_EBADF;
}

/* As when a process exits: every fd of the host is closed. */
static void net_destroy(void *ctx)
{
    struct net_host *h = ctx;
    for (uint32_t fd = h->nfds; fd-- > NET_FIRST_FD;)
        if (h->fds[fd].kind != FD_FREE)
            (void)close_fd(h, (int)fd, false);
}

static const coop_poller_ops net_ops = {
    .version = COOP_POLLER_VERSION,
    .name = "sim",
    .add = net_poll_add,
    .mod = net_poll_mod,
    .del = net_poll_del,
    .wait = net_poll_wait,
    .listen = net_listen,
    .local_port = net_local_port,
    .accept = net_accept,
    .connect = net_connect,
    .sock_error = net_sock_error,
    .read = net_read,
    .write = net_write,
    .shutdown_write = net_shutdown_write,
    .close = net_close,
    .destroy = net_destroy,
    .close_reset = net_close_abort,
};

coop_poller coop_net_poller(coop_net *net, uint32_t host)
{
    struct net_host *h = host_get(net, host);
    return (coop_poller){ h && host ? &net_ops : NULL, h };
}
