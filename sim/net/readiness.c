/* The poller's readiness half: registering fds, and reporting ready ones as Linux's tcp_poll() would, without scanning idle ones. */
#include "base/grow.h"
#include "net/private.h"

static bool writable(const struct net_conn *c, unsigned side)
{
    size_t used = c->dir[side].snd_len;
    return used < c->send_buf && c->send_buf - used >= used / 2;
}

uint32_t net_fd_level(const coop_net *net, const struct net_fd *f)
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

/* What a wait reports for f: its level, within its mask (errors and hang-ups always). */
static uint32_t reported(const coop_net *net, const struct net_fd *f)
{
    if (f->kind == FD_FREE || !f->registered || !f->mask)
        return 0;
    return net_fd_level(net, f) & (f->mask | COOP_EV_ERROR | COOP_EV_HANGUP);
}

void net_ready_update(struct net_host *h, int fd)
{
    size_t w = (size_t)fd / 64;
    uint64_t bit = UINT64_C(1) << (fd % 64);
    if (reported(h->net, &h->fds[fd]))
        h->ready[w] |= bit;
    else
        h->ready[w] &= ~bit;
    uint64_t sbit = UINT64_C(1) << (w % 64);
    if (h->ready[w])
        h->summary[w / 64] |= sbit;
    else
        h->summary[w / 64] &= ~sbit;
}

/*
 * Touching only queues the object: a call may change a connection many
 * times, and its readiness is looked at once, by the next wait.  The
 * lists have room for every object (they grow with the tables), so a
 * touch never fails; see net_conn_new and net_listener_reserve.
 */
void net_touch(coop_net *net, struct net_conn *c)
{
    if (c->dirty)
        return;
    c->dirty = true;
    net->dirty[net->ndirty++] = c->id;
}

void net_touch_listener(coop_net *net, struct net_listener *l)
{
    if (l->dirty)
        return;
    l->dirty = true;
    net->dirty_ls[net->ndirty_ls++] = (uint32_t)(l - net->ls);
}

void net_readiness_flush(coop_net *net)
{
    for (size_t i = 0; i < net->ndirty; i++) {
        struct net_conn *c = conn_get(net, net->dirty[i]);
        c->dirty = false;
        for (unsigned d = 0; d < 2; d++) {
            const struct net_end *e = &c->end[d];
            struct net_host *h = host_get(net, e->host);
            if (e->kind == END_TASK && e->fd >= 0 && h && h->up)
                net_ready_update(h, e->fd);
        }
    }
    net->ndirty = 0;
    for (size_t i = 0; i < net->ndirty_ls; i++) {
        struct net_listener *l = &net->ls[net->dirty_ls[i]];
        l->dirty = false;
        struct net_host *h = host_get(net, l->host);
        if (l->port && !l->peer && h && h->up)
            net_ready_update(h, l->fd);
    }
    net->ndirty_ls = 0;
}

int net_poll_add(void *ctx, int fd, uint32_t events)
{
    struct net_host *h = ctx;
    if (fd < 0)
        return -COOP_EBADF;
    if (events & ~(COOP_EV_READ | COOP_EV_WRITE))
        return -COOP_EINVAL;
    struct net_fd *f = fd_get(h, fd);
    if (!f)
        return -COOP_EBADF;
    if (f->registered)
        return -COOP_EEXIST;
    f->registered = true;
    f->mask = events;
    net_ready_update(h, fd);
    return 0;
}

int net_poll_mod(void *ctx, int fd, uint32_t events)
{
    struct net_host *h = ctx;
    if (events & ~(COOP_EV_READ | COOP_EV_WRITE))
        return -COOP_EINVAL;
    struct net_fd *f = fd_get(h, fd);
    if (!f || !f->registered)
        return -COOP_ENOENT;
    f->mask = events;
    net_ready_update(h, fd);
    return 0;
}

int net_poll_del(void *ctx, int fd)
{
    struct net_host *h = ctx;
    struct net_fd *f = fd_get(h, fd);
    if (!f || !f->registered)
        return -COOP_ENOENT;
    f->registered = false;
    f->mask = 0;
    net_ready_update(h, fd);
    return 0;
}

/* The lowest ready fd at or after `from`, below `end`, or `end` when there is none. */
static uint32_t next_ready(const struct net_host *h, uint32_t from, uint32_t end)
{
    if (from >= end)
        return end;
    size_t w = from / 64;
    uint64_t bits = h->ready[w] & (~UINT64_C(0) << (from % 64));
    while (!bits) {
        if (++w * 64 >= end)
            return end;
        /* The summary skips the words without a ready fd. */
        size_t s = w / 64;
        uint64_t sbits = h->summary[s] & (~UINT64_C(0) << (w % 64));
        while (!sbits) {
            if (++s * 4096 >= end)
                return end;
            sbits = h->summary[s];
        }
        w = s * 64 + (size_t)__builtin_ctzll(sbits);
        if (w * 64 >= end)
            return end;
        bits = h->ready[w];
    }
    uint32_t fd = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
    return fd < end ? fd : end;
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
 * Reports the ready fds from the cursor to the end of the table, then
 * from the lowest fd back to the cursor, and rotates what the second
 * part found in front, so the result is in ascending order.  When out
 * fills, the next wait starts after the last fd reported, so every
 * ready fd gets its turn.
 */
int net_poll_wait(void *ctx, int64_t timeout_ns, coop_poll_event *out, int max)
{
    struct net_host *h = ctx;
    coop_net *net = h->net;
    (void)timeout_ns;
    if (!out || max <= 0)
        return -COOP_EINVAL;
    net_readiness_flush(net);
    uint32_t start =
        h->wait_cursor >= NET_FIRST_FD && h->wait_cursor < h->nfds ? h->wait_cursor : NET_FIRST_FD;
    int n = 0, wrapped_at = -1;
    uint32_t last = 0;
    for (int pass = 0; pass < 2 && n < max; pass++) {
        uint32_t from = pass ? NET_FIRST_FD : start, end = pass ? start : h->nfds;
        if (pass)
            wrapped_at = n;
        for (uint32_t fd = next_ready(h, from, end); fd < end && n < max; fd = next_ready(h, fd + 1, end)) {
            out[n].fd = (int)fd;
            out[n].events = reported(net, &h->fds[fd]);
            n++;
            last = fd;
        }
    }
    h->wait_cursor = n == max ? last + 1 : 0;
    if (wrapped_at > 0 && wrapped_at < n) {
        events_reverse(out, 0, wrapped_at);
        events_reverse(out, wrapped_at, n);
        events_reverse(out, 0, n);
    }
    return n;
}
