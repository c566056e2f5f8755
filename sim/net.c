/* The virtual network: task fds and script-driven peers joined by bounded, timed connections. */
#include "net.h"

#include <string.h>

#include "coop/errors.h"
#include "internal.h"

#define NET_FIRST_FD 3     /* 0 to 2 are stdin, stdout and stderr in the world being simulated */
#define NET_MAX_FDS 65536u /* beyond this, listen/connect/accept give EMFILE */
#define NET_MAX_CONNS (UINT32_C(1) << 24)   /* connections are kept for their captures */
#define NET_MAX_LISTENERS 65536u            /* one per port at most */
#define NET_DEFAULT_BUF ((size_t)64 * 1024) /* bytes, each buffer */
#define NET_AUTO_PORT_FIRST 40000u          /* listen() with port 0 takes the lowest free from here */
#define NET_CLIENT_PORT_FIRST 49152u        /* local ports of connecting ends, by conn number */
#define NET_CLIENT_PORTS 16384u             /* local ports 49152..65535, reused in turn */
#define NET_SOMAXCONN 4096u                 /* Linux's cap on a backlog */
#define NET_SEGS 64u                        /* segments in flight per direction */
#define NET_CTRL_SEGS 3u                    /* slots kept for a SYN (or SYN-ACK), a FIN and a RST */
#define NET_DATA_SEGS (NET_SEGS - NET_CTRL_SEGS)
#define NET_SYN_RETRIES 6u                  /* Linux's tcp_syn_retries */
#define NET_SYN_RTO_NS UINT64_C(1000000000) /* first retry of a request that found a full queue */
#define NET_SPLIT_GAP_NS UINT64_C(1000)     /* a split delivery's second chunk lands this much later */
#define NET_RING_MIN ((size_t)256)          /* bytes; the smallest buffer allocated */
#define NET_NO_POS UINT32_MAX               /* heap position of a direction with nothing in flight */
#define NET_NS_PER_SEC UINT64_C(1000000000) /* bytes_per_sec turns into nanoseconds with it */

enum net_seg_kind { SEG_SYN, SEG_SYNACK, SEG_DATA, SEG_FIN, SEG_RST };
enum net_end_kind { END_UNKNOWN, END_TASK, END_PEER, END_NONE };
enum net_fd_kind { FD_FREE, FD_LISTENER, FD_SOCKET };

/*
 * A segment in flight.  Within a direction segments land in the order
 * they were sent, and due_ns never decreases along the queue.
 */
struct net_seg {
    uint64_t due_ns; /* virtual time of arrival */
    uint64_t seq;    /* net-wide scheduling counter: ties land first in, first out */
    size_t len;      /* SEG_DATA: bytes carried (> 0); 0 for the others */
    uint8_t kind;    /* enum net_seg_kind */
    bool reset;      /* the reset fault fired: this segment resets the connection instead */
};

/*
 * One direction of a connection: what end d sends to end 1 - d.  The
 * bytes live in one ring: first rcv_len landed bytes the receiver has not
 * read, then snd_len bytes the sender wrote that have not landed, the
 * first inflight of which are carried by queued segments.  So the
 * sender's send buffer holds snd_len (at most send_buf for a task), the
 * receiver's receive buffer rcv_len, and rcv_len + inflight never exceeds
 * recv_buf (a segment is only sent into free window).  The segment queue
 * is a ring of NET_SEGS; the direction sits in the net's heap (at
 * heap_pos) exactly when its queue is not empty, keyed by its head.
 */
struct net_dir {
    uint8_t *buf;    /* ring storage; NULL until the first byte, and again once the connection is done */
    size_t cap;      /* bytes allocated */
    size_t head;     /* ring index of the first unread landed byte */
    size_t rcv_len;  /* bytes landed, not yet read */
    size_t snd_len;  /* bytes written, not yet landed */
    size_t inflight; /* of snd_len, bytes in queued data segments */
    bool fin_queued; /* the sender shut down: a FIN follows its last byte */
    bool fin_sent;   /* that FIN is in flight or has landed */
    uint64_t wire_free_ns; /* when serialisation of the last data segment ends */
    uint64_t last_due_ns;  /* arrival of the last segment queued; later ones never land before it */
    struct net_seg seg[NET_SEGS];
    uint32_t seg_head; /* index of the oldest segment */
    uint32_t nseg;     /* segments queued */
    uint32_t heap_pos; /* index in net->heap, or NET_NO_POS */
};

/*
 * One end of a connection.  A task end has an fd from accept() or
 * connect() until it is closed (fd -1 before accept and after close).
 * rd_shut and wr_shut are Linux's RCV_SHUTDOWN and SEND_SHUTDOWN; dead
 * is TCP_CLOSE, reached by a reset or a refusal (and then both shuts are
 * set).  so_error is consumed by sock_error() and by the first read or
 * write that reports it, except on a peer end, where it stays.
 */
struct net_end {
    uint8_t kind;     /* enum net_end_kind; the accepting end is END_UNKNOWN until the request lands */
    int fd;           /* task ends: the fd, or -1 */
    bool established; /* may send: the SYN-ACK landed (connector) or the request was accepted */
    bool rd_shut;     /* the other end's FIN landed, or a reset */
    bool wr_shut;     /* shut down writing, closed, or reset */
    bool fin_landed;  /* the other end's FIN landed (Linux's SOCK_DONE): reads give 0 before any error */
    bool dead;        /* reset or refused */
    bool closed;      /* task: the fd was closed (or never will be); peer: closed or reset by the script */
    bool reading;     /* peer ends: arrivals are consumed at once */
    int so_error;     /* pending error as a positive COOP_E* code, 0 for none */
};

/*
 * Task writes toward a peer end, with their times; both arrays grow by
 * doubling.  The chunks tile bytes[0..len) in order: chunk k starts where
 * chunk k - 1 ends, and none is empty.
 */
struct net_capture {
    uint8_t *bytes; /* len used, cap allocated */
    size_t len, cap;
    coop_net_chunk *chunks; /* n used, ncap allocated */
    size_t n, ncap;
};

/*
 * A connection.  Conn numbers start at 1 and index net->conns; a
 * connection lives until coop_net_free(), because the script may still
 * ask for its state and capture, but its rings are freed once both ends
 * are finished and nothing is left in flight.  end[0] is the connecting
 * end, end[1] the accepting one; dir[d] carries end[d]'s bytes.
 */
struct net_conn {
    uint32_t id; /* conn number, >= 1 */
    coop_net_state state;
    coop_net_link link; /* both directions */
    size_t send_buf;    /* bytes, each end's send buffer */
    size_t recv_buf;    /* bytes, each end's receive buffer */
    uint16_t port;      /* the port connected to */
    uint32_t q_next;    /* next conn in the accept queue, 0 for none */
    uint32_t peer_n;    /* accepted by a peer listener as its peer_n-th connection; 0: not */
    uint32_t syn_tries; /* retries of the connection request after a full accept queue */
    struct net_end end[2];
    struct net_dir dir[2];
    struct net_capture cap;
};

/*
 * A listener, task or peer.  port 0 marks a free slot.  A task listener's
 * accept queue is a list of conns through q_next, in arrival order, at
 * most backlog + 1 long.
 */
struct net_listener {
    uint16_t port;     /* 0: the slot is free */
    bool peer;         /* a peer listener (coop_net_peer_listen) */
    bool refuse;       /* peer listeners: refuse every connection */
    int fd;            /* task listeners: the fd */
    uint32_t backlog;  /* the queue holds backlog + 1 */
    uint32_t q_head;   /* first queued conn, 0 for none */
    uint32_t q_tail;   /* last queued conn, 0 for none */
    uint32_t q_len;    /* conns queued */
    uint32_t accepted; /* peer listeners: connections accepted so far */
};

/* One fd number.  Numbers 0 to 2 are never handed out. */
struct net_fd {
    uint8_t kind;    /* enum net_fd_kind */
    bool registered; /* added to the readiness set */
    uint32_t mask;   /* requested COOP_EV_READ|COOP_EV_WRITE; 0 parks the fd */
    uint32_t obj;    /* FD_LISTENER: listener index; FD_SOCKET: conn number */
    uint8_t side;    /* FD_SOCKET: which end of the conn */
};

/*
 * A heap entry: the head segment of one direction.  Its key repeats the
 * head's (due_ns, seq), and the direction's heap_pos points back at it.
 */
struct net_hent {
    uint64_t due_ns; /* copy of the head segment's due_ns */
    uint64_t seq;    /* copy of the head segment's seq */
    uint32_t conn;   /* conn number */
    uint32_t d;      /* direction */
};

/*
 * The network.  fds[0..nfds) are the fd table (nfds is one past the
 * highest fd ever used); ls[0..nls) the listener slots; conns[0..nconns)
 * the connections, conn n at conns[n - 1].  The heap is a binary min-heap
 * on (due_ns, seq) holding every direction with segments in flight; its
 * capacity is kept at 2 * nconns, so delivering never allocates.
 */
struct coop_net {
    coop_allocator alloc;
    const uint64_t *now_ns; /* the simulator's clock */
    coop_prng *rng;
    coop_net_trace_fn trace;
    void *trace_ctx;
    coop_net_link link; /* for new connections */
    coop_net_faults faults;
    size_t send_buf; /* bytes, for new connections */
    size_t recv_buf; /* bytes, for new connections */
    struct net_fd *fds;
    uint32_t nfds, fdcap;
    struct net_listener *ls;
    uint32_t nls, lscap;
    struct net_conn **conns;
    uint32_t nconns, conncap;
    struct net_hent *heap;
    uint32_t nheap, heapcap;
    uint64_t seq;         /* next segment's seq */
    uint32_t wait_cursor; /* fd where the next wait() starts its scan; 0: from the lowest */
};

/* ---- Small helpers ---- */

static uint64_t sat_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

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
static uint64_t draw_below(coop_prng *rng, uint64_t bound)
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
    return top == UINT64_MAX ? coop_prng_next64(rng) : draw_below(rng, top + 1);
}

static bool chance(coop_net *net, uint32_t pct) { return coop_prng_chance(net->rng, pct, 100); }

static void trace(coop_net *net, const char *what, uint32_t conn, int fd, size_t len)
{
    if (net->trace)
        net->trace(net->trace_ctx, what, conn, fd, len);
}

static int end_fd(const struct net_end *e) { return e->kind == END_TASK ? e->fd : -1; }

/* ---- Memory ---- */

static void *mem_alloc(coop_net *net, size_t size) { return net->alloc.fn(net->alloc.ctx, NULL, 0, size); }

static void mem_free(coop_net *net, void *p, size_t size)
{
    if (p)
        (void)net->alloc.fn(net->alloc.ctx, p, size, 0);
}

/*
 * Grows the array *v of *cap elements of elem bytes to hold at least need,
 * doubling from 8.  On failure nothing changes and the result is
 * -COOP_ENOMEM.
 */
static int grow_u32(coop_net *net, void **v, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    uint64_t n = *cap ? *cap : 8;
    while (n < need)
        n *= 2;
    if (n > UINT32_MAX || n > SIZE_MAX / elem)
        return -COOP_ENOMEM;
    void *p = net->alloc.fn(net->alloc.ctx, *v, (size_t)*cap * elem, (size_t)n * elem);
    if (!p)
        return -COOP_ENOMEM;
    *v = p;
    *cap = (uint32_t)n;
    return 0;
}

static int grow_size(coop_net *net, void **v, size_t *cap, size_t need, size_t elem, size_t min)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : min;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return -COOP_ENOMEM;
        n *= 2;
    }
    if (n > SIZE_MAX / elem)
        return -COOP_ENOMEM;
    void *p = net->alloc.fn(net->alloc.ctx, *v, *cap * elem, n * elem);
    if (!p)
        return -COOP_ENOMEM;
    *v = p;
    *cap = n;
    return 0;
}

/* ---- Lookups ---- */

static struct net_conn *conn_get(const coop_net *net, uint32_t id)
{
    return id >= 1 && id <= net->nconns ? net->conns[id - 1] : NULL;
}

static struct net_fd *fd_get(const coop_net *net, int fd)
{
    if (fd < NET_FIRST_FD || (uint32_t)fd >= net->nfds || net->fds[fd].kind == FD_FREE)
        return NULL;
    return &net->fds[fd];
}

static struct net_listener *listener_at_port(const coop_net *net, uint16_t port)
{
    for (uint32_t i = 0; i < net->nls; i++)
        if (net->ls[i].port == port && port != 0)
            return &net->ls[i];
    return NULL;
}

/* The peer end's side of a conn, or -1 when it has none. */
static int peer_side(const struct net_conn *c)
{
    if (c->end[0].kind == END_PEER)
        return 0;
    if (c->end[1].kind == END_PEER)
        return 1;
    return -1;
}

/* ---- The delivery heap ---- */

static bool hent_less(const struct net_hent *a, const struct net_hent *b)
{
    return a->due_ns < b->due_ns || (a->due_ns == b->due_ns && a->seq < b->seq);
}

static void heap_place(coop_net *net, uint32_t i, struct net_hent e)
{
    net->heap[i] = e;
    net->conns[e.conn - 1]->dir[e.d].heap_pos = i;
}

/* Restores the heap order around entry i, whichever way it has to move. */
static void heap_sift(coop_net *net, uint32_t i)
{
    struct net_hent e = net->heap[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!hent_less(&e, &net->heap[parent]))
            break;
        heap_place(net, i, net->heap[parent]);
        i = parent;
    }
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= net->nheap)
            break;
        if (child + 1 < net->nheap && hent_less(&net->heap[child + 1], &net->heap[child]))
            child++;
        if (!hent_less(&net->heap[child], &e))
            break;
        heap_place(net, i, net->heap[child]);
        i = child;
    }
    heap_place(net, i, e);
}

static void heap_remove(coop_net *net, struct net_dir *dir)
{
    uint32_t pos = dir->heap_pos;
    dir->heap_pos = NET_NO_POS;
    struct net_hent last = net->heap[--net->nheap];
    if (pos < net->nheap) {
        heap_place(net, pos, last);
        heap_sift(net, pos);
    }
}

/* Puts direction d of c in the heap under its head segment, or takes it out when its queue is empty. */
static void dir_sync(coop_net *net, struct net_conn *c, unsigned d)
{
    struct net_dir *dir = &c->dir[d];
    if (!dir->nseg) {
        if (dir->heap_pos != NET_NO_POS)
            heap_remove(net, dir);
        return;
    }
    const struct net_seg *h = &dir->seg[dir->seg_head];
    struct net_hent e = { h->due_ns, h->seq, c->id, d };
    if (dir->heap_pos == NET_NO_POS) {
        coop_assert(net->nheap < net->heapcap);
        heap_place(net, net->nheap++, e);
    } else {
        net->heap[dir->heap_pos] = e;
    }
    heap_sift(net, dir->heap_pos);
}

/* ---- Segment queues ---- */

static void seg_push_back(struct net_dir *dir, struct net_seg s)
{
    coop_assert(dir->nseg < NET_SEGS);
    dir->seg[(dir->seg_head + dir->nseg) % NET_SEGS] = s;
    dir->nseg++;
}

static void seg_push_front(struct net_dir *dir, struct net_seg s)
{
    coop_assert(dir->nseg < NET_SEGS);
    dir->seg_head = (dir->seg_head + NET_SEGS - 1) % NET_SEGS;
    dir->seg[dir->seg_head] = s;
    dir->nseg++;
}

static struct net_seg seg_pop_front(struct net_dir *dir)
{
    coop_assert(dir->nseg > 0);
    struct net_seg s = dir->seg[dir->seg_head];
    dir->seg_head = (dir->seg_head + 1) % NET_SEGS;
    dir->nseg--;
    return s;
}

/* Drops everything d has queued or in flight, keeping only the landed bytes. */
static void dir_purge(coop_net *net, struct net_conn *c, unsigned d)
{
    struct net_dir *dir = &c->dir[d];
    dir->nseg = 0;
    dir->seg_head = 0;
    dir->snd_len = 0;
    dir->inflight = 0;
    dir_sync(net, c, d);
}

/* ---- Byte rings ---- */

/*
 * Makes room for extra more bytes in dir's ring, growing it up to limit
 * bytes in all.  Returns how many of them fit (all of them, unless memory
 * ran out).
 */
static size_t ring_reserve(coop_net *net, struct net_dir *dir, size_t extra, size_t limit)
{
    size_t used = dir->rcv_len + dir->snd_len;
    if (dir->cap - used >= extra)
        return extra;
    size_t need = used + extra;
    size_t ncap = dir->cap ? dir->cap : NET_RING_MIN;
    while (ncap < need && ncap <= SIZE_MAX / 2)
        ncap *= 2;
    if (ncap < need)
        ncap = need;
    if (ncap > limit)
        ncap = limit;
    uint8_t *nb = ncap > dir->cap ? mem_alloc(net, ncap) : NULL;
    if (!nb)
        return dir->cap - used;
    /* The ring becomes linear in the new block, oldest byte first. */
    size_t first = min_size(used, dir->cap - dir->head);
    if (used) {
        memcpy(nb, dir->buf + dir->head, first);
        memcpy(nb + first, dir->buf, used - first);
    }
    mem_free(net, dir->buf, dir->cap);
    dir->buf = nb;
    dir->cap = ncap;
    dir->head = 0;
    return min_size(extra, ncap - used);
}

/* Appends n bytes (which fit) after the sender's last byte. */
static void ring_append(struct net_dir *dir, const uint8_t *src, size_t n)
{
    size_t tail = (dir->head + dir->rcv_len + dir->snd_len) % (dir->cap ? dir->cap : 1);
    size_t first = min_size(n, dir->cap - tail);
    memcpy(dir->buf + tail, src, first);
    memcpy(dir->buf, src + first, n - first);
    dir->snd_len += n;
}

/* Copies out (if dst) and removes the first n landed bytes. */
static void ring_consume(struct net_dir *dir, uint8_t *dst, size_t n)
{
    coop_assert(n <= dir->rcv_len);
    if (dst && n) {
        size_t first = min_size(n, dir->cap - dir->head);
        memcpy(dst, dir->buf + dir->head, first);
        memcpy(dst + first, dir->buf, n - first);
    }
    dir->rcv_len -= n;
    dir->head = dir->cap ? (dir->head + n) % dir->cap : 0;
    if (dir->rcv_len + dir->snd_len == 0)
        dir->head = 0;
}

/* ---- Connection state ---- */

static void set_state(struct net_conn *c, coop_net_state st)
{
    if (c->state == COOP_NET_TASK_RESET || c->state == COOP_NET_PEER_RESET || c->state == COOP_NET_REFUSED)
        return;
    if (st == COOP_NET_OPEN && c->state != COOP_NET_CONNECTING)
        return;
    c->state = st;
}

static bool end_finished(const struct net_end *e)
{
    return e->closed || e->kind == END_NONE || (e->kind == END_PEER && e->dead);
}

/* Frees a finished connection's rings; its state and capture stay. */
static void conn_tidy(coop_net *net, struct net_conn *c)
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

/* ---- Sending ---- */

/*
 * Queues a segment on direction d: it starts once the wire is free,
 * takes its serialisation time, then the latency plus any jitter, and
 * never lands before not_before or an earlier segment of d.
 */
static void transmit(coop_net *net, struct net_conn *c, unsigned d, uint8_t kind, size_t len,
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
            trace(net, "fault:jitter", c->id, end_fd(&c->end[d]), len);
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
        if (net->faults.reset_pct && chance(net, net->faults.reset_pct))
            s.reset = true;
        dir->inflight += len;
    }
    seg_push_back(dir, s);
    dir_sync(net, c, d);
}

/*
 * Sends what direction d may send now: the unsent bytes that fit in the
 * receiver's free window and in the segment slots, then the FIN once
 * every byte is out.
 */
static void pump(coop_net *net, struct net_conn *c, unsigned d)
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
            chance(net, net->faults.split_pct)) {
            size_t k = 1 + (size_t)draw_below(net->rng, (uint64_t)n - 1);
            trace(net, "fault:split", c->id, end_fd(tx), n);
            transmit(net, c, d, SEG_DATA, k, 0);
            transmit(net, c, d, SEG_DATA, n - k, sat_add(dir->last_due_ns, NET_SPLIT_GAP_NS));
        } else {
            transmit(net, c, d, SEG_DATA, n, 0);
        }
        unsent -= n;
    }
    if (!unsent && dir->fin_queued && !dir->fin_sent) {
        dir->fin_sent = true;
        transmit(net, c, d, SEG_FIN, 0, 0);
    }
}

/* End side starts an orderly close of its sending direction. */
static void send_fin(coop_net *net, struct net_conn *c, unsigned side)
{
    struct net_end *e = &c->end[side];
    if (e->wr_shut)
        return;
    e->wr_shut = true;
    c->dir[side].fin_queued = true;
    pump(net, c, side);
}

/*
 * End side aborts: its unsent bytes are dropped, what is in flight still
 * lands, and a reset follows it.  The end is dead from now on.
 */
static void send_rst(coop_net *net, struct net_conn *c, unsigned side)
{
    struct net_end *e = &c->end[side];
    struct net_dir *dir = &c->dir[side];
    if (e->dead)
        return;
    trace(net, "reset", c->id, end_fd(e), 0);
    dir->snd_len = dir->inflight;
    e->dead = e->rd_shut = e->wr_shut = true;
    transmit(net, c, side, SEG_RST, 0, 0);
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
    dir_purge(net, c, side);
}

/* ---- Connection requests ---- */

/* The request of c cannot be accepted: a task connector learns it one latency later, a peer at once. */
static void refuse(coop_net *net, struct net_conn *c, int err)
{
    struct net_end *e = &c->end[0];
    set_state(c, COOP_NET_REFUSED);
    trace(net, "refuse", c->id, end_fd(e), 0);
    c->end[1].kind = END_NONE;
    dir_purge(net, c, 0);
    if (e->kind == END_PEER || e->closed) {
        if (e->kind == END_PEER)
            e->so_error = err;
        e->dead = e->rd_shut = e->wr_shut = true;
        return;
    }
    if (err == COOP_ECONNREFUSED) {
        /* The reset travels back from the phantom accepting end. */
        c->end[1].dead = c->end[1].rd_shut = c->end[1].wr_shut = true;
        transmit(net, c, 1, SEG_RST, 0, 0);
    } else {
        e->so_error = err;
        e->dead = e->rd_shut = e->wr_shut = true;
    }
}

static void queue_push(coop_net *net, struct net_listener *l, struct net_conn *c)
{
    c->q_next = 0;
    if (l->q_tail)
        conn_get(net, l->q_tail)->q_next = c->id;
    else
        l->q_head = c->id;
    l->q_tail = c->id;
    l->q_len++;
}

static struct net_conn *queue_pop(coop_net *net, struct net_listener *l)
{
    struct net_conn *c = conn_get(net, l->q_head);
    l->q_head = c->q_next;
    if (!l->q_head)
        l->q_tail = 0;
    l->q_len--;
    c->q_next = 0;
    return c;
}

/* The connection request of c lands at its port. */
static void land_syn(coop_net *net, struct net_conn *c, const struct net_seg *s)
{
    struct net_end *srv = &c->end[1];
    struct net_listener *l = listener_at_port(net, c->port);
    if (!l || (l->peer && l->refuse)) {
        refuse(net, c, COOP_ECONNREFUSED);
        return;
    }
    if (net->faults.refuse_pct && chance(net, net->faults.refuse_pct)) {
        trace(net, "fault:refuse", c->id, end_fd(&c->end[0]), 0);
        refuse(net, c, COOP_ECONNREFUSED);
        return;
    }
    if (!l->peer && l->q_len > l->backlog) {
        if (c->syn_tries >= NET_SYN_RETRIES) {
            refuse(net, c, COOP_ETIMEDOUT);
            return;
        }
        /* A full queue drops the request; the connector retries, with the bytes queued behind it. */
        struct net_seg retry = *s;
        retry.due_ns = sat_add(*net->now_ns, NET_SYN_RTO_NS << c->syn_tries);
        retry.seq = net->seq++;
        c->syn_tries++;
        struct net_dir *dir = &c->dir[0];
        for (uint32_t i = 0; i < dir->nseg; i++) {
            struct net_seg *later = &dir->seg[(dir->seg_head + i) % NET_SEGS];
            if (later->due_ns < retry.due_ns)
                later->due_ns = retry.due_ns;
        }
        if (retry.due_ns > dir->last_due_ns)
            dir->last_due_ns = retry.due_ns;
        seg_push_front(dir, retry);
        dir_sync(net, c, 0);
        return;
    }
    srv->established = true;
    if (l->peer) {
        srv->kind = END_PEER;
        srv->reading = true;
        c->peer_n = ++l->accepted;
        set_state(c, COOP_NET_OPEN);
        trace(net, "accept", c->id, -1, 0);
    } else {
        srv->kind = END_TASK;
        queue_push(net, l, c);
    }
    if (c->end[0].kind == END_TASK)
        transmit(net, c, 1, SEG_SYNACK, 0, 0);
}

/* ---- Landing ---- */

/* Data of direction d lands at end 1 - d. */
static void land_data(coop_net *net, struct net_conn *c, unsigned d, const struct net_seg *s)
{
    struct net_dir *dir = &c->dir[d];
    struct net_end *rx = &c->end[1 - d];
    if (s->reset) {
        trace(net, "fault:reset", c->id, end_fd(rx), s->len);
        set_state(c, COOP_NET_PEER_RESET);
        end_reset(net, c, 0);
        end_reset(net, c, 1);
        return;
    }
    dir->inflight -= s->len;
    dir->snd_len -= s->len;
    dir->rcv_len += s->len;
    if (rx->dead || rx->kind == END_NONE) {
        ring_consume(dir, NULL, dir->rcv_len);
    } else if (rx->closed) {
        /* Data for a closed socket is answered with a reset, as the kernel does. */
        ring_consume(dir, NULL, dir->rcv_len);
        send_rst(net, c, 1 - d);
    } else if (rx->kind == END_PEER && rx->reading) {
        trace(net, "recv", c->id, -1, dir->rcv_len);
        ring_consume(dir, NULL, dir->rcv_len);
    }
    pump(net, c, d);
}

static void land(coop_net *net, struct net_conn *c, unsigned d, const struct net_seg *s)
{
    struct net_end *rx = &c->end[1 - d];
    switch (s->kind) {
    case SEG_SYN:
        land_syn(net, c, s);
        break;
    case SEG_SYNACK:
        if (rx->closed) {
            /* The connector gave up meanwhile; its stack answers with a reset. */
            if (!c->end[d].dead) {
                trace(net, "reset", c->id, -1, 0);
                transmit(net, c, 1 - d, SEG_RST, 0, 0);
            }
            break;
        }
        rx->established = true;
        pump(net, c, 1 - d);
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
        coop_assert(!"unknown segment kind");
    }
}

void coop_net_advance(coop_net *net)
{
    uint64_t now = *net->now_ns;
    while (net->nheap && net->heap[0].due_ns <= now) {
        struct net_conn *c = conn_get(net, net->heap[0].conn);
        unsigned d = net->heap[0].d;
        struct net_seg s = seg_pop_front(&c->dir[d]);
        dir_sync(net, c, d);
        land(net, c, d, &s);
        conn_tidy(net, c);
    }
}

bool coop_net_next_due(const coop_net *net, uint64_t *due_ns)
{
    if (!net->nheap)
        return false;
    if (due_ns)
        *due_ns = net->heap[0].due_ns;
    return true;
}

/* ---- Creation ---- */

coop_net *coop_net_new(const uint64_t *now_ns, coop_prng *rng, coop_allocator alloc)
{
    if (!now_ns || !rng || !alloc.fn)
        return NULL;
    coop_net *net = alloc.fn(alloc.ctx, NULL, 0, sizeof(*net));
    if (!net)
        return NULL;
    memset(net, 0, sizeof(*net));
    net->alloc = alloc;
    net->now_ns = now_ns;
    net->rng = rng;
    net->send_buf = NET_DEFAULT_BUF;
    net->recv_buf = NET_DEFAULT_BUF;
    return net;
}

static void conn_free(coop_net *net, struct net_conn *c)
{
    for (unsigned d = 0; d < 2; d++)
        mem_free(net, c->dir[d].buf, c->dir[d].cap);
    mem_free(net, c->cap.bytes, c->cap.cap);
    mem_free(net, c->cap.chunks, c->cap.ncap * sizeof(*c->cap.chunks));
    mem_free(net, c, sizeof(*c));
}

void coop_net_free(coop_net *net)
{
    if (!net)
        return;
    for (uint32_t i = 0; i < net->nconns; i++)
        conn_free(net, net->conns[i]);
    mem_free(net, net->conns, (size_t)net->conncap * sizeof(*net->conns));
    mem_free(net, net->heap, (size_t)net->heapcap * sizeof(*net->heap));
    mem_free(net, net->fds, (size_t)net->fdcap * sizeof(*net->fds));
    mem_free(net, net->ls, (size_t)net->lscap * sizeof(*net->ls));
    coop_allocator a = net->alloc;
    (void)a.fn(a.ctx, net, sizeof(*net), 0);
}

void coop_net_set_trace(coop_net *net, coop_net_trace_fn fn, void *ctx)
{
    net->trace = fn;
    net->trace_ctx = ctx;
}

int coop_net_set_link(coop_net *net, uint32_t conn, const coop_net_link *link)
{
    if (!link)
        return -COOP_EINVAL;
    if (conn == 0) {
        net->link = *link;
        return 0;
    }
    struct net_conn *c = conn_get(net, conn);
    if (!c)
        return -COOP_ENOENT;
    c->link = *link;
    return 0;
}

void coop_net_set_faults(coop_net *net, const coop_net_faults *faults)
{
    net->faults = faults ? *faults : (coop_net_faults){ 0 };
}

void coop_net_set_buffers(coop_net *net, size_t send_buf, size_t recv_buf)
{
    net->send_buf = send_buf ? send_buf : NET_DEFAULT_BUF;
    net->recv_buf = recv_buf ? recv_buf : NET_DEFAULT_BUF;
}

/* ---- fds, listeners and connections: reserve, then commit ---- */

/* The lowest free fd, with room made for it in the table; nothing is taken yet. */
static int fd_reserve(coop_net *net, int *fd)
{
    for (uint32_t i = NET_FIRST_FD; i < net->nfds; i++)
        if (net->fds[i].kind == FD_FREE) {
            *fd = (int)i;
            return 0;
        }
    uint32_t next = net->nfds > NET_FIRST_FD ? net->nfds : NET_FIRST_FD;
    if (next >= NET_MAX_FDS)
        return -COOP_EMFILE;
    uint32_t old = net->fdcap;
    int err = grow_u32(net, (void **)&net->fds, &net->fdcap, next + 1, sizeof(*net->fds));
    if (err)
        return err;
    for (uint32_t i = old; i < net->fdcap; i++)
        net->fds[i] = (struct net_fd){ .kind = FD_FREE };
    *fd = (int)next;
    return 0;
}

static void fd_commit(coop_net *net, int fd, uint8_t kind, uint32_t obj, uint8_t side)
{
    net->fds[fd] = (struct net_fd){ .kind = kind, .obj = obj, .side = side };
    if ((uint32_t)fd >= net->nfds)
        net->nfds = (uint32_t)fd + 1;
}

static void fd_release(coop_net *net, int fd)
{
    net->fds[fd] = (struct net_fd){ .kind = FD_FREE };
    while (net->nfds > NET_FIRST_FD && net->fds[net->nfds - 1].kind == FD_FREE)
        net->nfds--;
    if (net->wait_cursor >= net->nfds)
        net->wait_cursor = 0;
}

/* A free listener slot, made if needed; nothing is taken yet. */
static int listener_reserve(coop_net *net, uint32_t *idx)
{
    for (uint32_t i = 0; i < net->nls; i++)
        if (net->ls[i].port == 0) {
            *idx = i;
            return 0;
        }
    if (net->nls >= NET_MAX_LISTENERS)
        return -COOP_ENOMEM;
    int err = grow_u32(net, (void **)&net->ls, &net->lscap, net->nls + 1, sizeof(*net->ls));
    if (err)
        return err;
    *idx = net->nls;
    return 0;
}

static void listener_commit(coop_net *net, uint32_t idx, struct net_listener l)
{
    net->ls[idx] = l;
    if (idx == net->nls)
        net->nls++;
}

/*
 * Creates connection number nconns + 1 to port, with both ends unknown.
 * Room in the conn table and the heap (two directions per connection)
 * is made first, so a failure leaves nothing behind.
 */
static struct net_conn *conn_new(coop_net *net, uint16_t port, int *err)
{
    if (net->nconns >= NET_MAX_CONNS) {
        *err = -COOP_ENOSPC;
        return NULL;
    }
    *err = grow_u32(net, (void **)&net->conns, &net->conncap, net->nconns + 1, sizeof(*net->conns));
    if (!*err)
        *err = grow_u32(net, (void **)&net->heap, &net->heapcap, 2 * (net->nconns + 1), sizeof(*net->heap));
    if (*err)
        return NULL;
    struct net_conn *c = mem_alloc(net, sizeof(*c));
    if (!c) {
        *err = -COOP_ENOMEM;
        return NULL;
    }
    memset(c, 0, sizeof(*c));
    c->id = net->nconns + 1;
    c->state = COOP_NET_CONNECTING;
    c->link = net->link;
    c->send_buf = net->send_buf;
    c->recv_buf = net->recv_buf;
    c->port = port;
    for (unsigned i = 0; i < 2; i++) {
        c->end[i].kind = END_UNKNOWN;
        c->end[i].fd = -1;
        c->dir[i].heap_pos = NET_NO_POS;
    }
    net->conns[net->nconns++] = c;
    return c;
}

/* A dotted quad as inet_pton(AF_INET) takes it: four decimal parts of 0..255, no leading zeros. */
static bool parse_ipv4(const char *s)
{
    if (!s)
        return false;
    for (int part = 0; part < 4; part++) {
        unsigned v = 0;
        int digits = 0;
        const char *start = s;
        while (*s >= '0' && *s <= '9') {
            v = v * 10 + (unsigned)(*s - '0');
            if (++digits > 3 || v > 255)
                return false;
            s++;
        }
        if (!digits || (digits > 1 && *start == '0'))
            return false;
        if (part < 3 && *s++ != '.')
            return false;
    }
    return *s == '\0';
}

/* ---- The poller: readiness ---- */

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

static int net_add(void *ctx, int fd, uint32_t events)
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

static int net_mod(void *ctx, int fd, uint32_t events)
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

static int net_del(void *ctx, int fd)
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
static int net_wait(void *ctx, int64_t timeout_ns, coop_poll_event *out, int max)
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

/* ---- The poller: sockets ---- */

static int net_listen(void *ctx, const char *addr, uint16_t port, int backlog)
{
    coop_net *net = ctx;
    if (!parse_ipv4(addr))
        return -COOP_EINVAL;
    if (port == 0) {
        uint32_t p = NET_AUTO_PORT_FIRST;
        while (p <= UINT16_MAX && listener_at_port(net, (uint16_t)p))
            p++;
        if (p > UINT16_MAX)
            return -COOP_EADDRINUSE;
        port = (uint16_t)p;
    } else if (listener_at_port(net, port)) {
        return -COOP_EADDRINUSE;
    }
    int fd;
    uint32_t idx;
    int err = fd_reserve(net, &fd);
    if (!err)
        err = listener_reserve(net, &idx);
    if (err)
        return err;
    uint32_t b = backlog > 0 && (uint32_t)backlog < NET_SOMAXCONN ? (uint32_t)backlog : NET_SOMAXCONN;
    listener_commit(net, idx, (struct net_listener){ .port = port, .fd = fd, .backlog = b });
    fd_commit(net, fd, FD_LISTENER, idx, 0);
    return fd;
}

static int net_local_port(void *ctx, int fd)
{
    coop_net *net = ctx;
    const struct net_fd *f = fd_get(net, fd);
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
    coop_net *net = ctx;
    const struct net_fd *f = fd_get(net, listen_fd);
    if (!f)
        return -COOP_EBADF;
    if (f->kind != FD_LISTENER)
        return -COOP_EINVAL;
    struct net_listener *l = &net->ls[f->obj];
    if (!l->q_len)
        return -COOP_EAGAIN;
    int fd;
    int err = fd_reserve(net, &fd);
    if (err)
        return err;
    struct net_conn *c = queue_pop(net, l);
    c->end[1].fd = fd;
    fd_commit(net, fd, FD_SOCKET, c->id, 1);
    set_state(c, COOP_NET_OPEN);
    trace(net, "accept", c->id, fd, 0);
    return fd;
}

static int net_connect(void *ctx, const char *addr, uint16_t port)
{
    coop_net *net = ctx;
    if (!parse_ipv4(addr))
        return -COOP_EINVAL;
    int fd, err = fd_reserve(net, &fd);
    if (err)
        return err;
    struct net_conn *c = conn_new(net, port, &err);
    if (!c)
        return err;
    c->end[0].kind = END_TASK;
    c->end[0].fd = fd;
    fd_commit(net, fd, FD_SOCKET, c->id, 0);
    trace(net, "connect", c->id, fd, 0);
    transmit(net, c, 0, SEG_SYN, 0, 0);
    coop_net_advance(net);
    return fd;
}

/* The socket end behind fd, or NULL. */
static struct net_conn *sock_get(coop_net *net, int fd, unsigned *side, int *err)
{
    const struct net_fd *f = fd_get(net, fd);
    if (!f) {
        *err = -COOP_EBADF;
        return NULL;
    }
    if (f->kind != FD_SOCKET) {
        *err = -COOP_ENOTCONN;
        return NULL;
    }
    *side = f->side;
    return conn_get(net, f->obj);
}

static int net_sock_error(void *ctx, int fd)
{
    coop_net *net = ctx;
    const struct net_fd *f = fd_get(net, fd);
    if (!f)
        return -COOP_EBADF;
    if (f->kind == FD_LISTENER)
        return 0;
    struct net_end *e = &conn_get(net, f->obj)->end[f->side];
    int err = e->so_error;
    e->so_error = 0;
    return -err;
}

/*
 * The link's size limit and the seeded I/O faults, shared by read and
 * write in this order so that both draw from the PRNG the same way:
 * returns how many of n bytes the call may move, or -COOP_EAGAIN.
 */
static long io_allowance(coop_net *net, const struct net_conn *c, int fd, size_t n, uint32_t max)
{
    if (max && n > max)
        n = max;
    if (net->faults.eagain_pct && chance(net, net->faults.eagain_pct)) {
        trace(net, "fault:eagain", c->id, fd, n);
        return -COOP_EAGAIN;
    }
    if (n >= 2 && net->faults.short_io_pct && chance(net, net->faults.short_io_pct)) {
        n = 1 + (size_t)draw_below(net->rng, (uint64_t)n - 1);
        trace(net, "fault:short", c->id, fd, n);
    }
    return (long)n;
}

static long net_read(void *ctx, int fd, void *buf, size_t len)
{
    coop_net *net = ctx;
    unsigned side;
    int err = 0;
    struct net_conn *c = sock_get(net, fd, &side, &err);
    if (!c)
        return err;
    struct net_end *e = &c->end[side];
    struct net_dir *in = &c->dir[1 - side];
    if (len == 0)
        return 0;
    if (in->rcv_len) {
        long allowed = io_allowance(net, c, fd, min_size(len, in->rcv_len), c->link.max_read);
        if (allowed < 0)
            return allowed;
        size_t n = (size_t)allowed;
        ring_consume(in, buf, n);
        pump(net, c, 1 - side);
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

/* Reserves room in c's capture for one more chunk of n bytes. */
static int capture_reserve(coop_net *net, struct net_capture *cap, size_t n)
{
    int err = grow_size(net, (void **)&cap->bytes, &cap->cap, cap->len + n, 1, NET_RING_MIN);
    if (!err)
        err = grow_size(net, (void **)&cap->chunks, &cap->ncap, cap->n + 1, sizeof(*cap->chunks), 8);
    return err;
}

static long net_write(void *ctx, int fd, const void *buf, size_t len)
{
    coop_net *net = ctx;
    unsigned side;
    int err = 0;
    struct net_conn *c = sock_get(net, fd, &side, &err);
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
    long allowed = io_allowance(net, c, fd, min_size(len, room), c->link.max_write);
    if (allowed < 0)
        return allowed;
    size_t n = (size_t)allowed;
    n = ring_reserve(net, out, n, c->send_buf + c->recv_buf);
    if (!n)
        return -COOP_ENOMEM;
    bool to_peer = c->end[1 - side].kind == END_PEER;
    if (to_peer && capture_reserve(net, &c->cap, n))
        return -COOP_ENOMEM;
    ring_append(out, buf, n);
    if (to_peer) {
        struct net_capture *cap = &c->cap;
        memcpy(cap->bytes + cap->len, buf, n);
        cap->chunks[cap->n++] = (coop_net_chunk){ .t_ns = *net->now_ns, .off = cap->len, .len = n };
        cap->len += n;
    }
    trace(net, "send", c->id, fd, n);
    pump(net, c, side);
    coop_net_advance(net);
    return (long)n;
}

static int net_shutdown_write(void *ctx, int fd)
{
    coop_net *net = ctx;
    unsigned side;
    int err = 0;
    const struct net_fd *f = fd_get(net, fd);
    if (f && f->kind == FD_LISTENER)
        return 0;
    struct net_conn *c = sock_get(net, fd, &side, &err);
    if (!c)
        return err;
    struct net_end *e = &c->end[side];
    if (e->dead || !e->established)
        return -COOP_ENOTCONN;
    if (e->wr_shut)
        return 0;
    set_state(c, COOP_NET_TASK_SHUT);
    trace(net, "shutdown", c->id, fd, 0);
    send_fin(net, c, side);
    coop_net_advance(net);
    return 0;
}

/* Closing a listener resets the connections still in its queue, as Linux's inet_csk_listen_stop(). */
static void close_listener(coop_net *net, int fd, uint32_t idx)
{
    struct net_listener *l = &net->ls[idx];
    trace(net, "close", 0, fd, 0);
    while (l->q_len) {
        struct net_conn *c = queue_pop(net, l);
        c->end[1].closed = true;
        set_state(c, COOP_NET_TASK_RESET);
        send_rst(net, c, 1);
        conn_tidy(net, c);
    }
    *l = (struct net_listener){ 0 };
    fd_release(net, fd);
}

/* Closes task end fd; abort sends a reset whatever the buffers hold. */
static int close_fd(coop_net *net, int fd, bool abort)
{
    const struct net_fd *f = fd_get(net, fd);
    if (!f)
        return -COOP_EBADF;
    if (f->kind == FD_LISTENER) {
        close_listener(net, fd, f->obj);
        coop_net_advance(net);
        return 0;
    }
    struct net_conn *c = conn_get(net, f->obj);
    unsigned side = f->side;
    struct net_end *e = &c->end[side];
    trace(net, "close", c->id, fd, 0);
    e->closed = true;
    if (e->dead) {
        /* Reset or refused already: nothing more goes out. */
    } else if (!e->established) {
        /* A connect in progress is abandoned; a request still in flight is withdrawn. */
        e->dead = e->rd_shut = e->wr_shut = true;
        if (c->end[1].kind == END_UNKNOWN) {
            dir_purge(net, c, 0);
            c->end[1].kind = END_NONE;
        }
        set_state(c, COOP_NET_TASK_CLOSED);
    } else if (abort || c->dir[1 - side].rcv_len) {
        set_state(c, COOP_NET_TASK_RESET);
        send_rst(net, c, side);
    } else {
        set_state(c, COOP_NET_TASK_CLOSED);
        send_fin(net, c, side);
    }
    /* The fd goes last, so that the reset above is traced with it. */
    fd_release(net, fd);
    e->fd = -1;
    conn_tidy(net, c);
    coop_net_advance(net);
    return 0;
}

static int net_close(void *ctx, int fd) { return close_fd(ctx, fd, false); }

int coop_net_close_reset(coop_net *net, int fd) { return close_fd(net, fd, true); }

static void net_destroy(void *ctx) { coop_net_free(ctx); }

static const coop_poller_ops net_ops = {
    .version = COOP_POLLER_VERSION,
    .name = "sim",
    .add = net_add,
    .mod = net_mod,
    .del = net_del,
    .wait = net_wait,
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
};

coop_poller coop_net_poller(coop_net *net) { return (coop_poller){ &net_ops, net }; }

/* ---- The script side ---- */

int coop_net_peer_connect(coop_net *net, uint16_t port)
{
    const struct net_listener *l = listener_at_port(net, port);
    if (!l || l->peer) {
        trace(net, "refuse", 0, -1, 0);
        return -COOP_ECONNREFUSED;
    }
    int err = 0;
    struct net_conn *c = conn_new(net, port, &err);
    if (!c)
        return err;
    struct net_end *e = &c->end[0];
    e->kind = END_PEER;
    e->established = true;
    e->reading = true;
    trace(net, "connect", c->id, -1, 0);
    transmit(net, c, 0, SEG_SYN, 0, 0);
    coop_net_advance(net);
    return (int)c->id;
}

int coop_net_peer_listen(coop_net *net, uint16_t port, bool refuse_all)
{
    if (port == 0)
        return -COOP_EINVAL;
    if (listener_at_port(net, port))
        return -COOP_EADDRINUSE;
    uint32_t idx;
    int err = listener_reserve(net, &idx);
    if (err)
        return err;
    listener_commit(net, idx,
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
    if (ring_reserve(net, out, len, SIZE_MAX) < len)
        return -COOP_ENOMEM;
    ring_append(out, buf, len);
    pump(net, c, side);
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
    set_state(c, COOP_NET_PEER_SHUT);
    trace(net, "shutdown", c->id, -1, 0);
    send_fin(net, c, side);
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
            set_state(c, COOP_NET_PEER_RESET);
            send_rst(net, c, side);
        } else {
            set_state(c, COOP_NET_PEER_CLOSED);
            trace(net, "close", c->id, -1, 0);
            send_fin(net, c, side);
        }
    }
    conn_tidy(net, c);
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
        ring_consume(in, NULL, in->rcv_len);
        pump(net, c, 1 - side);
        coop_net_advance(net);
    }
    return 0;
}

/* ---- Queries ---- */

coop_net_state coop_net_conn_state(const coop_net *net, uint32_t conn)
{
    const struct net_conn *c = conn_get(net, conn);
    return c ? c->state : COOP_NET_REFUSED;
}

const char *coop_net_state_name(coop_net_state st)
{
    static const char *const names[] = {
        "connecting", "open",        "task-shut",  "task-closed", "task-reset",
        "peer-shut",  "peer-closed", "peer-reset", "refused",
    };
    return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}

int coop_net_capture_of(const coop_net *net, uint32_t conn, coop_net_capture *out)
{
    const struct net_conn *c = conn_get(net, conn);
    if (!c)
        return -COOP_ENOENT;
    out->bytes = c->cap.len ? c->cap.bytes : NULL;
    out->len = c->cap.len;
    out->chunks = c->cap.chunks;
    out->nchunks = c->cap.n;
    return 0;
}

uint32_t coop_net_conn_count(const coop_net *net) { return net->nconns; }

/* ---- Invariants ---- */

static void verify_dir(const coop_net *net, const struct net_conn *c, unsigned d)
{
    const struct net_dir *dir = &c->dir[d];
    coop_assert(dir->nseg <= NET_SEGS);
    coop_assert(dir->inflight <= dir->snd_len);
    coop_assert(dir->rcv_len + dir->snd_len <= dir->cap);
    coop_assert(!dir->cap || dir->head < dir->cap);
    coop_assert(dir->rcv_len + dir->inflight <= c->recv_buf || c->end[1 - d].dead);
    if (c->end[d].kind == END_TASK)
        coop_assert(dir->snd_len <= c->send_buf);
    size_t carried = 0;
    uint64_t prev = 0;
    for (uint32_t i = 0; i < dir->nseg; i++) {
        const struct net_seg *s = &dir->seg[(dir->seg_head + i) % NET_SEGS];
        coop_assert(s->due_ns >= prev);
        coop_assert(s->due_ns <= dir->last_due_ns);
        coop_assert((s->kind == SEG_DATA) == (s->len > 0));
        prev = s->due_ns;
        carried += s->len;
    }
    coop_assert(carried == dir->inflight);
    if (dir->nseg) {
        coop_assert(dir->heap_pos < net->nheap);
        const struct net_hent *h = &net->heap[dir->heap_pos];
        const struct net_seg *s = &dir->seg[dir->seg_head];
        coop_assert(h->conn == c->id && h->d == d && h->due_ns == s->due_ns && h->seq == s->seq);
    } else {
        coop_assert(dir->heap_pos == NET_NO_POS);
    }
}

void coop_net_verify(const coop_net *net)
{
    coop_assert(net->nheap <= net->heapcap && net->heapcap >= 2 * net->nconns);
    for (uint32_t i = 1; i < net->nheap; i++)
        coop_assert(!hent_less(&net->heap[i], &net->heap[(i - 1) / 2]));
    for (uint32_t i = 0; i < net->nconns; i++) {
        const struct net_conn *c = net->conns[i];
        coop_assert(c->id == i + 1);
        for (unsigned d = 0; d < 2; d++) {
            verify_dir(net, c, d);
            const struct net_end *e = &c->end[d];
            if (e->kind == END_TASK && e->fd >= 0) {
                const struct net_fd *f = fd_get(net, e->fd);
                coop_assert(f && f->kind == FD_SOCKET && f->obj == c->id && f->side == d);
            }
            if (e->dead)
                coop_assert(e->rd_shut && e->wr_shut);
        }
        const struct net_capture *cap = &c->cap;
        size_t off = 0;
        for (size_t k = 0; k < cap->n; k++) {
            coop_assert(cap->chunks[k].off == off && cap->chunks[k].len > 0);
            off += cap->chunks[k].len;
        }
        coop_assert(off == cap->len);
    }
    for (uint32_t i = 0; i < net->nls; i++) {
        const struct net_listener *l = &net->ls[i];
        uint32_t n = 0;
        for (uint32_t id = l->q_head; id; id = conn_get(net, id)->q_next) {
            const struct net_conn *c = conn_get(net, id);
            coop_assert(c && c->end[1].kind == END_TASK && c->end[1].fd < 0 && !c->end[1].closed);
            n++;
        }
        coop_assert(n == l->q_len && (l->port || !n));
        if (l->port && !l->peer)
            coop_assert(fd_get(net, l->fd) && fd_get(net, l->fd)->kind == FD_LISTENER);
    }
    coop_assert(net->nfds <= net->fdcap || net->nfds == 0);
    for (uint32_t fd = NET_FIRST_FD; fd < net->nfds; fd++) {
        const struct net_fd *f = &net->fds[fd];
        if (f->kind == FD_SOCKET) {
            const struct net_conn *c = conn_get(net, f->obj);
            coop_assert(c && c->end[f->side].fd == (int)fd);
        } else if (f->kind == FD_LISTENER) {
            coop_assert(f->obj < net->nls && net->ls[f->obj].fd == (int)fd && !net->ls[f->obj].peer);
        } else {
            coop_assert(!f->registered);
        }
    }
}
