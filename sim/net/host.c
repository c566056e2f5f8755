/* Hosts: the nodes and the world outside them, their addresses, how a connection is routed, and each host's fd table. */
#include <string.h>

#include "base/grow.h"
#include "net/private.h"

/* A dotted quad as inet_pton(AF_INET) takes it: four decimal parts of 0..255, no leading zeros. */
int net_parse_ipv4(const char *s, uint32_t *addr)
{
    if (!s)
        return -1;
    uint32_t a = 0;
    for (int part = 0; part < 4; part++) {
        unsigned v = 0;
        int digits = 0;
        const char *start = s;
        while (*s >= '0' && *s <= '9') {
            v = v * 10 + (unsigned)(*s - '0');
            if (++digits > 3 || v > 255)
                return -1;
            s++;
        }
        if (!digits || (digits > 1 && *start == '0'))
            return -1;
        if (part < 3 && *s++ != '.')
            return -1;
        a = a << 8 | v;
    }
    if (*s)
        return -1;
    *addr = a;
    return 0;
}

int coop_net_addr_parse(const char *text, uint32_t *addr)
{
    return net_parse_ipv4(text, addr) ? -COOP_EINVAL : 0;
}

uint32_t net_route(const coop_net *net, uint32_t from, uint32_t addr, bool *loopback)
{
    *loopback = false;
    if (from != 0 && (addr >> 24 == 127 || addr == 0)) {
        *loopback = true;
        return from;
    }
    for (uint32_t i = 1; i < net->nhosts; i++)
        if (net->hosts[i]->addr == addr)
            return i;
    return 0;
}

/* Grows the cut matrix from n - 1 to n hosts, keeping what it says. */
static int grow_cut(coop_net *net, uint32_t n)
{
    uint8_t *cut = mem_alloc(net, (size_t)n * n);
    if (!cut)
        return -COOP_ENOMEM;
    memset(cut, 0, (size_t)n * n);
    for (uint32_t a = 0; a + 1 < n; a++)
        for (uint32_t b = 0; b + 1 < n; b++)
            cut[a * n + b] = net->cut[a * (n - 1) + b];
    mem_free(net, net->cut, (size_t)(n - 1) * (n - 1));
    net->cut = cut;
    return 0;
}

int coop_net_host_add(coop_net *net, uint32_t addr)
{
    if (net->nhosts && (addr == 0 || addr >> 24 == 127))
        return -COOP_EINVAL;
    for (uint32_t i = 1; i < net->nhosts; i++)
        if (net->hosts[i]->addr == addr)
            return -COOP_EADDRINUSE;
    if (net->nhosts >= NET_MAX_HOSTS)
        return -COOP_ENOSPC;
    int err = grow(net->alloc, (void **)&net->hosts, &net->hostcap, (size_t)net->nhosts + 1,
                   sizeof(*net->hosts), 4);
    struct net_host *h = err ? NULL : mem_alloc(net, sizeof(*h));
    if (!h || grow_cut(net, net->nhosts + 1)) {
        mem_free(net, h, sizeof(*h));
        return -COOP_ENOMEM;
    }
    *h = (struct net_host){ .net = net, .id = net->nhosts, .addr = addr, .up = true };
    net->hosts[net->nhosts++] = h;
    return (int)h->id;
}

void net_host_free(coop_net *net, struct net_host *h)
{
    mem_free(net, h->fds, h->fdcap * sizeof(*h->fds));
    mem_free(net, h->ready, (h->fdcap + 63) / 64 * sizeof(*h->ready));
    mem_free(net, h->summary, (h->fdcap + 4095) / 4096 * sizeof(*h->summary));
    mem_free(net, h, sizeof(*h));
}

/*
 * Makes room for fd `need - 1`: the table and both bitmaps grow together,
 * so that marking an fd ready never allocates.
 */
static int fds_grow(struct net_host *h, size_t need)
{
    coop_net *net = h->net;
    if (need <= h->fdcap)
        return 0;
    size_t cap = h->fdcap ? h->fdcap : 64;
    while (cap < need)
        cap *= 2;
    size_t rw = (h->fdcap + 63) / 64, sw = (h->fdcap + 4095) / 4096;
    size_t nrw = (cap + 63) / 64, nsw = (cap + 4095) / 4096;
    struct net_fd *fds = mem_alloc(net, cap * sizeof(*fds));
    uint64_t *ready = mem_alloc(net, nrw * sizeof(*ready));
    uint64_t *summary = mem_alloc(net, nsw * sizeof(*summary));
    if (!fds || !ready || !summary) {
        mem_free(net, fds, cap * sizeof(*fds));
        mem_free(net, ready, nrw * sizeof(*ready));
        mem_free(net, summary, nsw * sizeof(*summary));
        return -COOP_ENOMEM;
    }
    for (size_t i = 0; i < cap; i++)
        fds[i] = i < h->fdcap ? h->fds[i] : (struct net_fd){ .kind = FD_FREE };
    memset(ready, 0, nrw * sizeof(*ready));
    memset(summary, 0, nsw * sizeof(*summary));
    if (rw)
        memcpy(ready, h->ready, rw * sizeof(*ready));
    if (sw)
        memcpy(summary, h->summary, sw * sizeof(*summary));
    mem_free(net, h->fds, h->fdcap * sizeof(*h->fds));
    mem_free(net, h->ready, rw * sizeof(*h->ready));
    mem_free(net, h->summary, sw * sizeof(*h->summary));
    h->fds = fds;
    h->ready = ready;
    h->summary = summary;
    h->fdcap = cap;
    return 0;
}

int net_fd_reserve(struct net_host *h, int *fd)
{
    /* No fd below free_hint is free, so a host that only opens fds never scans its table. */
    uint32_t from = h->free_hint > NET_FIRST_FD ? h->free_hint : NET_FIRST_FD;
    for (uint32_t i = from; i < h->nfds; i++)
        if (h->fds[i].kind == FD_FREE) {
            *fd = (int)i;
            h->free_hint = i;
            return 0;
        }
    uint32_t next = h->nfds > NET_FIRST_FD ? h->nfds : NET_FIRST_FD;
    h->free_hint = next;
    if (next >= NET_MAX_FDS)
        return -COOP_EMFILE;
    int err = fds_grow(h, (size_t)next + 1);
    if (err)
        return err;
    *fd = (int)next;
    return 0;
}

void net_fd_commit(struct net_host *h, int fd, uint8_t kind, uint32_t obj, uint8_t side)
{
    h->fds[fd] = (struct net_fd){ .kind = kind, .obj = obj, .side = side };
    if ((uint32_t)fd >= h->nfds)
        h->nfds = (uint32_t)fd + 1;
}

void net_fd_release(struct net_host *h, int fd)
{
    h->fds[fd] = (struct net_fd){ .kind = FD_FREE };
    if ((uint32_t)fd < h->free_hint)
        h->free_hint = (uint32_t)fd;
    net_ready_update(h, fd);
    while (h->nfds > NET_FIRST_FD && h->fds[h->nfds - 1].kind == FD_FREE)
        h->nfds--;
    if (h->wait_cursor >= h->nfds)
        h->wait_cursor = 0;
}

/*
 * The host goes down at once, as a machine loses power: its ends vanish
 * without a FIN or a reset (what they had not sent is lost, and peers
 * hear nothing until they send and get no answer), its listeners and fds
 * are gone, and whatever reaches it until it is up again is lost.
 */
uint32_t coop_net_host_open_fds(const coop_net *net, uint32_t host)
{
    const struct net_host *h = host_get(net, host);
    uint32_t n = 0;
    if (!h)
        return 0;
    for (uint32_t fd = NET_FIRST_FD; fd < h->nfds; fd++)
        n += h->fds[fd].kind != FD_FREE;
    return n;
}

int coop_net_host_down(coop_net *net, uint32_t host)
{
    struct net_host *h = host_get(net, host);
    if (!h || host == 0)
        return -COOP_EINVAL;
    if (!h->up)
        return 0;
    for (uint32_t i = 0; i < net->nconns; i++) {
        struct net_conn *c = net->conns[i];
        for (unsigned d = 0; d < 2; d++) {
            struct net_end *e = &c->end[d];
            if (e->host != host || e->gone || e->closed || (e->kind != END_TASK && e->kind != END_UNKNOWN))
                continue;
            e->gone = e->dead = e->rd_shut = e->wr_shut = true;
            e->fd = -1;
            net_dir_purge(net, c, d);
            net_touch(net, c);
            net_conn_tidy(net, c);
        }
    }
    for (uint32_t i = 0; i < net->nls; i++)
        if (net->ls[i].port && net->ls[i].host == host) {
            bool dirty = net->ls[i].dirty;
            net->ls[i] = (struct net_listener){ .dirty = dirty };
        }
    for (uint32_t fd = NET_FIRST_FD; fd < h->nfds; fd++)
        h->fds[fd] = (struct net_fd){ .kind = FD_FREE };
    if (h->fdcap) {
        memset(h->ready, 0, (h->fdcap + 63) / 64 * sizeof(*h->ready));
        memset(h->summary, 0, (h->fdcap + 4095) / 4096 * sizeof(*h->summary));
    }
    h->nfds = 0;
    h->wait_cursor = 0;
    h->free_hint = 0;
    h->up = false;
    return 0;
}

/* The host is up again, with nothing open: segments for its earlier connections are answered with resets. */
int coop_net_host_up(coop_net *net, uint32_t host)
{
    struct net_host *h = host_get(net, host);
    if (!h || host == 0)
        return -COOP_EINVAL;
    if (h->up)
        return 0;
    h->up = true;
    h->incarnation++;
    return 0;
}

int coop_net_partition(coop_net *net, uint32_t a, uint32_t b, bool cut)
{
    if (a >= net->nhosts || b >= net->nhosts || a == b)
        return -COOP_EINVAL;
    net->cut[a * net->nhosts + b] = net->cut[b * net->nhosts + a] = cut;
    return 0;
}
