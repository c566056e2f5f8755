/* The network's invariants, checked in full: queues, buffers, the delivery heap, listeners and the fd table. */
#include "net/private.h"

static void verify_dir(const coop_net *net, const struct net_conn *c, unsigned d)
{
    const struct net_dir *dir = &c->dir[d];
    sim_assert(dir->nseg <= NET_SEGS);
    sim_assert(dir->inflight <= dir->snd_len);
    sim_assert(dir->rcv_len + dir->snd_len <= dir->cap);
    sim_assert(!dir->cap || dir->head < dir->cap);
    sim_assert(dir->rcv_len + dir->inflight <= c->recv_buf || c->end[1 - d].dead);
    if (c->end[d].kind == END_TASK)
        sim_assert(dir->snd_len <= c->send_buf);
    size_t carried = 0;
    uint64_t prev = 0;
    for (uint32_t i = 0; i < dir->nseg; i++) {
        const struct net_seg *s = &dir->seg[(dir->seg_head + i) % NET_SEGS];
        sim_assert(s->due_ns >= prev);
        sim_assert(s->due_ns <= dir->last_due_ns);
        sim_assert((s->kind == SEG_DATA) == (s->len > 0));
        prev = s->due_ns;
        carried += s->len;
    }
    sim_assert(carried == dir->inflight);
    if (dir->nseg) {
        sim_assert(dir->heap_pos < net->deliveries.n);
        const struct heap_ent *h = &net->deliveries.v[dir->heap_pos];
        const struct net_seg *s = &dir->seg[dir->seg_head];
        sim_assert(h->id == c->id && h->aux == d && h->t == s->due_ns && h->seq == s->seq);
    } else {
        sim_assert(dir->heap_pos == NET_NO_POS);
    }
}

/*
 * A host's fd table, and its ready bits: for every fd whose object was
 * not touched since the last wait, the bit says what a wait would report.
 */
static void verify_host(const coop_net *net, const struct net_host *h)
{
    sim_assert(h->nfds <= h->fdcap || h->nfds == 0);
    sim_assert(h->up || h->nfds == 0);
    for (uint32_t fd = NET_FIRST_FD; fd < h->nfds; fd++) {
        const struct net_fd *f = &h->fds[fd];
        bool dirty = false;
        if (f->kind == FD_SOCKET) {
            const struct net_conn *c = conn_get(net, f->obj);
            sim_assert(c && c->end[f->side].fd == (int)fd && c->end[f->side].host == h->id);
            dirty = c->dirty;
        } else if (f->kind == FD_LISTENER) {
            sim_assert(f->obj < net->nls && net->ls[f->obj].fd == (int)fd && !net->ls[f->obj].peer &&
                       net->ls[f->obj].host == h->id);
            dirty = net->ls[f->obj].dirty;
        } else {
            sim_assert(!f->registered);
        }
        bool ready = f->kind != FD_FREE && f->registered && f->mask &&
                     (net_fd_level(net, f) & (f->mask | COOP_EV_ERROR | COOP_EV_HANGUP));
        bool bit = (h->ready[fd / 64] >> (fd % 64)) & 1;
        sim_assert(dirty || bit == ready);
    }
    for (size_t w = 0; w < (h->fdcap + 63) / 64; w++)
        sim_assert(((h->summary[w / 64] >> (w % 64)) & 1) == (h->ready[w] != 0));
}

void coop_net_verify(const coop_net *net)
{
    sim_assert(net->deliveries.cap >= 2 * (size_t)net->nconns);
    sim_assert(heap_ordered(&net->deliveries));
    for (uint32_t i = 0; i < net->nconns; i++) {
        const struct net_conn *c = net->conns[i];
        sim_assert(c->id == i + 1);
        for (unsigned d = 0; d < 2; d++) {
            verify_dir(net, c, d);
            const struct net_end *e = &c->end[d];
            if (e->kind == END_TASK && e->fd >= 0) {
                const struct net_fd *f = fd_get(host_get(net, e->host), e->fd);
                sim_assert(f && f->kind == FD_SOCKET && f->obj == c->id && f->side == d);
            }
            if (e->gone)
                sim_assert(e->fd < 0 && e->dead && e->host != 0);
            if (e->dead)
                sim_assert(e->rd_shut && e->wr_shut);
        }
        const struct net_capture *cap = &c->cap;
        size_t off = 0;
        for (size_t k = 0; k < cap->n; k++) {
            sim_assert(cap->chunks[k].off == off && cap->chunks[k].len > 0);
            off += cap->chunks[k].len;
        }
        sim_assert(off == cap->len);
    }
    for (uint32_t i = 0; i < net->nls; i++) {
        const struct net_listener *l = &net->ls[i];
        uint32_t n = 0;
        for (uint32_t id = l->q_head; id; id = conn_get(net, id)->q_next) {
            const struct net_conn *c = conn_get(net, id);
            sim_assert(c && c->end[1].kind == END_TASK && c->end[1].fd < 0 && !c->end[1].closed);
            n++;
        }
        sim_assert(n == l->q_len && (l->port || !n));
        if (l->port && !l->peer) {
            const struct net_host *h = host_get(net, l->host);
            sim_assert(h && h->up && fd_get(h, l->fd) && fd_get(h, l->fd)->kind == FD_LISTENER);
        }
    }
    sim_assert(net->ndirty <= net->nconns && net->ndirty_ls <= net->nls);
    for (uint32_t i = 0; i < net->nhosts; i++)
        verify_host(net, net->hosts[i]);
}
