/* Segments in flight: their timing on the wire, the per-direction queues, and the heap that delivers them in order. */
#include "net/private.h"

/* ceil(a * b / c) for c > 0, saturating; 128-bit arithmetic done by hand to stay in ISO C. */
static uint64_t mul_div_ceil(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t a_lo = a & 0xffffffffu, a_hi = a >> 32, b_lo = b & 0xffffffffu, b_hi = b >> 32;
    uint64_t lo_lo = a_lo * b_lo, hi_lo = a_hi * b_lo, lo_hi = a_lo * b_hi, hi_hi = a_hi * b_hi;
    uint64_t cross = (lo_lo >> 32) + (hi_lo & 0xffffffffu) + lo_hi;
    uint64_t hi = hi_hi + (hi_lo >> 32) + (cross >> 32);
    uint64_t lo = (cross << 32) | (lo_lo & 0xffffffffu);
    if (hi >= c)
        return UINT64_MAX;
    /* Long division of (hi:lo) by c, one bit at a time; hi < c keeps the quotient in 64 bits. */
    uint64_t q = 0, r = hi;
    for (int i = 63; i >= 0; i--) {
        bool carry = r >> 63;
        r = (r << 1) | ((lo >> i) & 1u);
        q <<= 1;
        if (carry || r >= c) {
            r -= c;
            q |= 1u;
        }
    }
    return r ? sat_add(q, 1) : q;
}

static uint64_t serialise_ns(size_t len, uint64_t bytes_per_sec)
{
    if (!bytes_per_sec || !len)
        return 0;
    return mul_div_ceil((uint64_t)len, NET_NS_PER_SEC, bytes_per_sec);
}

/* A uniform draw in [0, bound) for a 64-bit bound, unbiased by rejection. */
uint64_t net_draw_below(coop_prng *rng, uint64_t bound)
{
    if (bound <= UINT32_MAX)
        return coop_prng_below(rng, (uint32_t)bound);
    uint64_t threshold = (0 - bound) % bound;
    for (;;) {
        uint64_t x = coop_prng_next64(rng);
        if (x >= threshold)
            return x % bound;
    }
}

/* A uniform draw in [0, top]. */
static uint64_t draw_upto(coop_prng *rng, uint64_t top)
{
    return top == UINT64_MAX ? coop_prng_next64(rng) : net_draw_below(rng, top + 1);
}

/* Puts direction d of c in the delivery heap under its head segment, or takes it out when its queue is empty. */
void net_dir_sync(coop_net *net, struct net_conn *c, unsigned d)
{
    struct net_dir *dir = &c->dir[d];
    if (!dir->nseg) {
        if (dir->heap_pos != NET_NO_POS) {
            uint32_t pos = dir->heap_pos;
            dir->heap_pos = NET_NO_POS;
            (void)heap_remove(&net->deliveries, pos);
        }
        return;
    }
    const struct net_seg *h = &dir->seg[dir->seg_head];
    struct heap_ent e = { h->due_ns, h->seq, c->id, d };
    if (dir->heap_pos == NET_NO_POS)
        heap_push(&net->deliveries, e);
    else
        heap_replace(&net->deliveries, dir->heap_pos, e);
}

/* The heap tells each direction where its entry is, so that it can be re-keyed in place. */
void net_delivery_moved(void *ctx, const struct heap_ent *e, uint32_t pos)
{
    coop_net *net = ctx;
    net->conns[e->id - 1]->dir[e->aux].heap_pos = pos;
}

static void seg_push_back(struct net_dir *dir, struct net_seg s)
{
    sim_assert(dir->nseg < NET_SEGS);
    dir->seg[(dir->seg_head + dir->nseg) % NET_SEGS] = s;
    dir->nseg++;
}

void net_seg_push_front(struct net_dir *dir, struct net_seg s)
{
    sim_assert(dir->nseg < NET_SEGS);
    dir->seg_head = (dir->seg_head + NET_SEGS - 1) % NET_SEGS;
    dir->seg[dir->seg_head] = s;
    dir->nseg++;
}

static struct net_seg seg_pop_front(struct net_dir *dir)
{
    sim_assert(dir->nseg > 0);
    struct net_seg s = dir->seg[dir->seg_head];
    dir->seg_head = (dir->seg_head + 1) % NET_SEGS;
    dir->nseg--;
    return s;
}

/* Drops everything d has queued or in flight, keeping only the landed bytes. */
void net_dir_purge(coop_net *net, struct net_conn *c, unsigned d)
{
    struct net_dir *dir = &c->dir[d];
    dir->nseg = 0;
    dir->seg_head = 0;
    dir->snd_len = 0;
    dir->inflight = 0;
    net_dir_sync(net, c, d);
}

/*
 * Queues a segment on direction d: it starts once the wire is free,
 * takes its serialisation time, then the latency plus any jitter, and
 * never lands before not_before or an earlier segment of d.
 */
void net_transmit(coop_net *net, struct net_conn *c, unsigned d, uint8_t kind, size_t len,
                  uint64_t not_before)
{
    struct net_dir *dir = &c->dir[d];
    uint64_t now = *net->now_ns;
    uint64_t start = now > dir->wire_free_ns ? now : dir->wire_free_ns;
    uint64_t end = sat_add(start, serialise_ns(len, c->link.bytes_per_sec));
    dir->wire_free_ns = end;
    uint64_t due = sat_add(end, c->link.latency_ns);
    if (net->faults.jitter_ns) {
        uint64_t extra = draw_upto(net->rng, net->faults.jitter_ns);
        if (extra) {
            trace_end(net, "fault:jitter", c, &c->end[d], len);
            due = sat_add(due, extra);
        }
    }
    if (due < not_before)
        due = not_before;
    if (due < dir->last_due_ns)
        due = dir->last_due_ns;
    dir->last_due_ns = due;
    struct net_seg s = { .due_ns = due, .seq = net->seq++, .len = len, .kind = kind, .reset = false };
    if (kind == SEG_DATA) {
        if (net->faults.reset_pct && (net->faults.peers || c->end[d].kind != END_PEER) &&
            chance(net, NET_FAULT_RESET, net->faults.reset_pct))
            s.reset = true;
        dir->inflight += len;
    }
    seg_push_back(dir, s);
    net_dir_sync(net, c, d);
}

void net_requeue_head(coop_net *net, struct net_conn *c, unsigned d, struct net_seg s, uint64_t due_ns)
{
    struct net_dir *dir = &c->dir[d];
    s.due_ns = due_ns;
    s.seq = net->seq++;
    for (uint32_t i = 0; i < dir->nseg; i++) {
        struct net_seg *later = &dir->seg[(dir->seg_head + i) % NET_SEGS];
        if (later->due_ns < due_ns)
            later->due_ns = due_ns;
    }
    if (due_ns > dir->last_due_ns)
        dir->last_due_ns = due_ns;
    net_seg_push_front(dir, s);
    net_dir_sync(net, c, d);
}

/* The retransmission timeout before try `tries` + 1: the first one doubled per earlier loss, capped. */
static uint64_t rto_ns(uint64_t first_ns, unsigned tries)
{
    uint64_t rto = first_ns;
    for (unsigned i = 0; i < tries && rto < NET_RTO_MAX_NS; i++)
        rto *= 2;
    return rto < NET_RTO_MAX_NS ? rto : NET_RTO_MAX_NS;
}

void net_lose(coop_net *net, struct net_conn *c, unsigned d, struct net_seg s)
{
    /* Nobody waits for a reset to arrive: a lost one stays lost. */
    if (s.kind == SEG_RST)
        return;
    bool syn = s.kind == SEG_SYN;
    if (s.tries >= (syn ? NET_SYN_RETRIES : NET_DATA_RETRIES)) {
        if (s.kind == SEG_DATA)
            c->dir[d].inflight -= s.len;
        net_time_out(net, c, d, syn);
        return;
    }
    s.tries++;
    net_requeue_head(net, c, d, s,
                     sat_add(*net->now_ns, rto_ns(syn ? NET_SYN_RTO_NS : NET_DATA_RTO_NS, s.tries - 1)));
}

/* Whether a segment of direction d can reach its receiver now: its host is up and no partition cuts it off. */
static bool reachable(const coop_net *net, const struct net_conn *c, unsigned d)
{
    uint32_t from = c->end[d].host, to = c->end[1 - d].host;
    return host_get(net, to)->up && !net_cut(net, from, to);
}

void coop_net_advance(coop_net *net)
{
    uint64_t now = *net->now_ns;
    for (const struct heap_ent *top; (top = heap_top(&net->deliveries)) && top->t <= now;) {
        struct net_conn *c = conn_get(net, top->id);
        unsigned d = top->aux;
        struct net_seg s = seg_pop_front(&c->dir[d]);
        net_dir_sync(net, c, d);
        net_touch(net, c);
        if (reachable(net, c, d)) {
            net_land(net, c, d, &s);
        } else {
            trace_end(net, "lost", c, &c->end[d], s.len);
            net_lose(net, c, d, s);
        }
        net_conn_tidy(net, c);
    }
}

bool coop_net_next_due(const coop_net *net, uint64_t *due_ns)
{
    const struct heap_ent *top = heap_top(&net->deliveries);
    if (!top)
        return false;
    if (due_ns)
        *due_ns = top->t;
    return true;
}
