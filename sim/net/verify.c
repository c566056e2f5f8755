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
                const struct net_fd *f = fd_get(net, e->fd);
                sim_assert(f && f->kind == FD_SOCKET && f->obj == c->id && f->side == d);
            }
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
        if (l->port && !l->peer)
            sim_assert(fd_get(net, l->fd) && fd_get(net, l->fd)->kind == FD_LISTENER);
    }
    sim_assert(net->nfds <= net->fdcap || net->nfds == 0);
    for (uint32_t fd = NET_FIRST_FD; fd < net->nfds; fd++) {
        const struct net_fd *f = &net->fds[fd];
        if (f->kind == FD_SOCKET) {
            const struct net_conn *c = conn_get(net, f->obj);
            sim_assert(c && c->end[f->side].fd == (int)fd);
        } else if (f->kind == FD_LISTENER) {
            sim_assert(f->obj < net->nls && net->ls[f->obj].fd == (int)fd && !net->ls[f->obj].peer);
        } else {
            sim_assert(!f->registered);
        }
    }
}
