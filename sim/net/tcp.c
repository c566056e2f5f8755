/* Connection behaviour: states, sending within the window, FIN and RST, refusals, accept queues, and landing segments. */
#include "net/private.h"

void net_set_state(struct net_conn *c, coop_net_state st)
{
    if (c->state == COOP_NET_TASK_RESET || c->state == COOP_NET_PEER_RESET || c->state == COOP_NET_REFUSED)
        return;
    if (st == COOP_NET_OPEN && c->state != COOP_NET_CONNECTING)
        return;
    c->state = st;
}

static bool end_finished(const struct net_end *e)
{
    return e->closed || e->gone || e->kind == END_NONE || (e->kind == END_PEER && e->dead);
}

/* Frees a finished connection's rings; its state and capture stay. */
void net_conn_tidy(coop_net *net, struct net_conn *c)
{
    if (!end_finished(&c->end[0]) || !end_finished(&c->end[1]))
        return;
    for (unsigned d = 0; d < 2; d++)
        if (c->dir[d].nseg || c->dir[d].snd_len)
            return;
    for (unsigned d = 0; d < 2; d++) {
        struct net_dir *dir = &c->dir[d];
        mem_free(net, dir->buf, dir->cap);
        dir->buf = NULL;
        dir->cap = dir->head = dir->rcv_len = 0;
    }
}

/*
 * Sends what direction d may send now: the unsent bytes that fit in the
 * receiver's free window and in the segment slots, then the FIN once
 * every byte is out.
 */
void net_pump(coop_net *net, struct net_conn *c, unsigned d)
{
    struct net_dir *dir = &c->dir[d];
    const struct net_end *tx = &c->end[d];
    if (tx->dead || !tx->established)
        return;
    size_t unsent = dir->snd_len - dir->inflight;
    size_t used = dir->rcv_len + dir->inflight;
    size_t window = c->recv_buf > used ? c->recv_buf - used : 0;
    if (unsent && window && dir->nseg < NET_DATA_SEGS) {
        size_t n = min_size(unsent, window);
        if (n >= 2 && dir->nseg + 2 <= NET_DATA_SEGS && net->faults.split_pct &&
            chance(net, NET_FAULT_SPLIT, net->faults.split_pct)) {
            size_t k = 1 + (size_t)net_draw_below(net->rng, (uint64_t)n - 1);
            trace_end(net, "fault:split", c, tx, n);
            net_transmit(net, c, d, SEG_DATA, k, 0);
            net_transmit(net, c, d, SEG_DATA, n - k, sat_add(dir->last_due_ns, NET_SPLIT_GAP_NS));
        } else {
            net_transmit(net, c, d, SEG_DATA, n, 0);
        }
        unsent -= n;
    }
    if (!unsent && dir->fin_queued && !dir->fin_sent) {
        dir->fin_sent = true;
        net_transmit(net, c, d, SEG_FIN, 0, 0);
    }
}

/* End side starts an orderly close of its sending direction. */
void net_send_fin(coop_net *net, struct net_conn *c, unsigned side)
{
    struct net_end *e = &c->end[side];
    if (e->wr_shut)
        return;
    e->wr_shut = true;
    c->dir[side].fin_queued = true;
    net_pump(net, c, side);
}

/*
 * End side aborts: its unsent bytes are dropped, what is in flight still
 * lands, and a reset follows it.  The end is dead from now on.
 */
void net_send_rst(coop_net *net, struct net_conn *c, unsigned side)
{
    struct net_end *e = &c->end[side];
    struct net_dir *dir = &c->dir[side];
    if (e->dead)
        return;
    trace_end(net, "reset", c, e, 0);
    dir->snd_len = dir->inflight;
    e->dead = e->rd_shut = e->wr_shut = true;
    net_transmit(net, c, side, SEG_RST, 0, 0);
}

/*
 * End side receives a reset (or a refusal, when it was still connecting).
 * As in Linux's tcp_reset(), a reset after the other end's FIN, while we
 * have not sent ours, is reported as EPIPE rather than ECONNRESET.
 */
static void end_reset(coop_net *net, struct net_conn *c, unsigned side)
{
    struct net_end *e = &c->end[side];
    if (e->dead)
        return;
    if (!e->closed) {
        if (!e->established)
            e->so_error = COOP_ECONNREFUSED;
        else if (e->fin_landed && !c->dir[side].fin_queued)
            e->so_error = COOP_EPIPE;
        else
            e->so_error = COOP_ECONNRESET;
    }
    e->dead = e->rd_shut = e->wr_shut = true;
    net_dir_purge(net, c, side);
}

/* The request of c cannot be accepted: a task connector learns it one latency later, a peer at once. */
static void refuse(coop_net *net, struct net_conn *c, int err)
{
    struct net_end *e = &c->end[0];
    net_set_state(c, COOP_NET_REFUSED);
    trace_end(net, "refuse", c, e, 0);
    c->end[1].kind = END_NONE;
    net_dir_purge(net, c, 0);
    if (e->kind == END_PEER || e->closed) {
        if (e->kind == END_PEER)
            e->so_error = err;
        e->dead = e->rd_shut = e->wr_shut = true;
        return;
    }
    if (err == COOP_ECONNREFUSED) {
        /* The reset travels back from the phantom accepting end. */
        c->end[1].dead = c->end[1].rd_shut = c->end[1].wr_shut = true;
        net_transmit(net, c, 1, SEG_RST, 0, 0);
    } else {
        e->so_error = err;
        e->dead = e->rd_shut = e->wr_shut = true;
    }
}

static void queue_push(coop_net *net, struct net_listener *l, struct net_conn *c)
{
    net_touch_listener(net, l);
    c->q_next = 0;
    if (l->q_tail)
        conn_get(net, l->q_tail)->q_next = c->id;
    else
        l->q_head = c->id;
    l->q_tail = c->id;
    l->q_len++;
}

struct net_conn *net_queue_pop(coop_net *net, struct net_listener *l)
{
    net_touch_listener(net, l);
    struct net_conn *c = conn_get(net, l->q_head);
    l->q_head = c->q_next;
    if (!l->q_head)
        l->q_tail = 0;
    l->q_len--;
    c->q_next = 0;
    return c;
}

void net_time_out(coop_net *net, struct net_conn *c, unsigned d, bool request)
{
    struct net_end *e = &c->end[d];
    trace_end(net, "timeout", c, e, 0);
    if (request) {
        refuse(net, c, COOP_ETIMEDOUT);
        return;
    }
    net_set_state(c, COOP_NET_TIMED_OUT);
    if (!e->closed)
        e->so_error = COOP_ETIMEDOUT;
    e->dead = e->rd_shut = e->wr_shut = true;
    net_dir_purge(net, c, d);
}

/*
 * The task listener of the request's host that takes it, by port and by
 * the address a task sent it to.  A scripted client reaches any listener
 * of the node, whatever address it is bound to, as a client on the same
 * machine would.
 */
static struct net_listener *task_listener(const coop_net *net, const struct net_conn *c)
{
    struct net_listener *l = net_listener_at(net, c->end[1].host, c->port);
    if (l && c->end[0].kind == END_TASK &&
        ((l->bind == BIND_LOOPBACK && !c->loopback) || (l->bind == BIND_HOST && c->loopback)))
        return NULL;
    return l;
}

/*
 * The connection request of c lands at its port.  A node answers it
 * from its listener, or with a reset when none takes it; the world
 * outside from the peer listener or rule for that address and port, or
 * with a reset when there is none.
 */
static void land_syn(coop_net *net, struct net_conn *c, struct net_seg *s)
{
    struct net_end *srv = &c->end[1];
    struct net_listener *l =
        srv->host ? task_listener(net, c) : net_outside_listener(net, c->dst_addr, c->port);
    if (l && l->mode == LISTEN_DROP) {
        trace_end(net, "drop", c, &c->end[0], 0);
        net_lose(net, c, 0, *s);
        return;
    }
    if (!l || l->mode == LISTEN_REFUSE) {
        refuse(net, c, COOP_ECONNREFUSED);
        return;
    }
    if (net->faults.refuse_pct && (net->faults.peers || c->end[0].kind != END_PEER) &&
        chance(net, NET_FAULT_REFUSE, net->faults.refuse_pct)) {
        trace_end(net, "fault:refuse", c, &c->end[0], 0);
        refuse(net, c, COOP_ECONNREFUSED);
        return;
    }
    if (!l->peer && l->q_len > l->backlog) {
        /* A full queue drops the request; the connector sends it again, with the bytes queued behind it. */
        net_lose(net, c, 0, *s);
        return;
    }
    if (l->peer && l->delay_ns && !s->admitted) {
        /* A slow server: the request is taken now and answered once the delay has passed. */
        s->admitted = true;
        net_requeue_head(net, c, 0, *s, sat_add(*net->now_ns, l->delay_ns));
        return;
    }
    srv->established = true;
    if (l->peer) {
        srv->kind = END_PEER;
        srv->reading = true;
        c->peer_n = ++l->accepted;
        c->peer_addr = l->addr;
        net_set_state(c, COOP_NET_OPEN);
        trace_end(net, "accept", c, NULL, 0);
    } else {
        srv->kind = END_TASK;
        queue_push(net, l, c);
    }
    if (c->end[0].kind == END_TASK)
        net_transmit(net, c, 1, SEG_SYNACK, 0, 0);
}

/* Data of direction d lands at end 1 - d. */
static void land_data(coop_net *net, struct net_conn *c, unsigned d, const struct net_seg *s)
{
    struct net_dir *dir = &c->dir[d];
    struct net_end *rx = &c->end[1 - d];
    if (s->reset) {
        trace_end(net, "fault:reset", c, rx, s->len);
        net_set_state(c, COOP_NET_PEER_RESET);
        end_reset(net, c, 0);
        end_reset(net, c, 1);
        return;
    }
    dir->inflight -= s->len;
    dir->snd_len -= s->len;
    dir->rcv_len += s->len;
    if (rx->dead || rx->kind == END_NONE) {
        net_ring_consume(dir, NULL, dir->rcv_len);
    } else if (rx->closed) {
        /* Data for a closed socket is answered with a reset, as the kernel does. */
        net_ring_consume(dir, NULL, dir->rcv_len);
        net_send_rst(net, c, 1 - d);
    } else if (rx->kind == END_PEER && rx->reading) {
        trace_end(net, "recv", c, NULL, dir->rcv_len);
        net_ring_consume(dir, NULL, dir->rcv_len);
    }
    net_pump(net, c, d);
}

void net_land(coop_net *net, struct net_conn *c, unsigned d, struct net_seg *s)
{
    struct net_end *rx = &c->end[1 - d];
    if (rx->gone) {
        /* The end vanished with its host, which is up again and knows no such connection. */
        if (s->kind != SEG_RST) {
            trace_end(net, "reset", c, NULL, 0);
            net_transmit(net, c, 1 - d, SEG_RST, 0, 0);
        }
        if (s->kind == SEG_DATA) {
            c->dir[d].inflight -= s->len;
            c->dir[d].snd_len -= s->len;
        }
        return;
    }
    switch (s->kind) {
    case SEG_SYN:
        land_syn(net, c, s);
        break;
    case SEG_SYNACK:
        if (rx->closed) {
            /* The connector gave up meanwhile; its stack answers with a reset. */
            if (!c->end[d].dead) {
                trace_end(net, "reset", c, NULL, 0);
                net_transmit(net, c, 1 - d, SEG_RST, 0, 0);
            }
            break;
        }
        rx->established = true;
        net_pump(net, c, 1 - d);
        break;
    case SEG_DATA:
        land_data(net, c, d, s);
        break;
    case SEG_FIN:
        rx->rd_shut = rx->fin_landed = true;
        break;
    case SEG_RST:
        end_reset(net, c, 1 - d);
        break;
    default:
        sim_assert(!"unknown segment kind");
    }
}
