/* The poller's readiness half: registering fds and reporting ready ones as Linux's tcp_poll() would. */
#include "net/private.h"

static bool writable(const struct net_conn *c, unsigned side)
{
    size_t used = c->dir[side].snd_len;
    return used < c->send_buf && c->send_buf - used >= used / 2;
}

/* The level of fd, as Linux's tcp_poll() computes it. */
static uint32_t fd_events(const coop_net *net, const struct net_fd *f)
{
    if (f->kind == FD_LISTENER)
        return net->ls[f->obj].q_len ? COOP_EV_READ : 0;
    const struct net_conn *c = conn_get(net, f->obj);
    const struct net_end *e = &c->end[f->side];
    uint32_t ev = 0;
    if ((e->rd_shut && e->wr_shut) || e->dead)
        ev |= COOP_EV_HANGUP;
    if (e->rd_shut || c->dir[1 - f->side].rcv_len)
        ev |= COOP_EV_READ;
    if ((e->established || e->dead) && (e->wr_shut || writable(c, f->side)))
        ev |= COOP_EV_WRITE;
    if (e->so_error)
        ev |= COOP_EV_ERROR;
    return ev;
}

int net_poll_add(void *ctx, int fd, uint32_t events)
{
    coop_net *net = ctx;
    if (fd < 0)
        return -COOP_EBADF;
    if (events & ~(COOP_EV_READ | COOP_EV_WRITE))
        return -COOP_EINVAL;
    struct net_fd *f = fd_get(net, fd);
    if (!f)
        return -COOP_EBADF;
    if (f->registered)
        return -COOP_EEXIST;
    f->registered = true;
    f->mask = events;
    return 0;
}

int net_poll_mod(void *ctx, int fd, uint32_t events)
{
    coop_net *net = ctx;
    if (events & ~(COOP_EV_READ | COOP_EV_WRITE))
        return -COOP_EINVAL;
    struct net_fd *f = fd_get(net, fd);
    if (!f || !f->registered)
        return -COOP_ENOENT;
    f->mask = events;
    return 0;
}

int net_poll_del(void *ctx, int fd)
{
    coop_net *net = ctx;
    struct net_fd *f = fd_get(net, fd);
    if (!f || !f->registered)
        return -COOP_ENOENT;
    f->registered = false;
    f->mask = 0;
    return 0;
}

/* Reverses out[a..b). */
static void events_reverse(coop_poll_event *out, int a, int b)
{
    for (b--; a < b; a++, b--) {
        coop_poll_event t = out[a];
        out[a] = out[b];
        out[b] = t;
    }
}

/*
 * Scans from the cursor to the end of the table, then from the lowest fd
 * back to the cursor, and rotates what the second part found in front,
 * so the result is in ascending order.
 */
int net_poll_wait(void *ctx, int64_t timeout_ns, coop_poll_event *out, int max)
{
    coop_net *net = ctx;
    (void)timeout_ns;
    if (!out || max <= 0)
        return -COOP_EINVAL;
    uint32_t start =
        net->wait_cursor >= NET_FIRST_FD && net->wait_cursor < net->nfds ? net->wait_cursor : NET_FIRST_FD;
    int n = 0, wrapped_at = -1;
    uint32_t last = 0;
    uint32_t span = net->nfds > NET_FIRST_FD ? net->nfds - NET_FIRST_FD : 0;
    for (uint32_t k = 0; k < span && n < max; k++) {
        uint32_t fd = start + k;
        if (fd >= net->nfds) {
            fd -= span;
            if (wrapped_at < 0)
                wrapped_at = n;
        }
        const struct net_fd *f = &net->fds[fd];
        if (f->kind == FD_FREE || !f->registered || !f->mask)
            continue;
        uint32_t ev = fd_events(net, f) & (f->mask | COOP_EV_ERROR | COOP_EV_HANGUP);
        if (!ev)
            continue;
        out[n].fd = (int)fd;
        out[n].events = ev;
        n++;
        last = fd;
    }
    net->wait_cursor = n == max ? last + 1 : 0;
    if (wrapped_at > 0 && wrapped_at < n) {
        events_reverse(out, 0, wrapped_at);
        events_reverse(out, wrapped_at, n);
        events_reverse(out, 0, n);
    }
    return n;
}
