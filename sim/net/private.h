/* The virtual network's private definitions: segments, connection ends, listeners, fds, and the functions its files share. */
#ifndef COOP_SIM_NET_PRIVATE_H
#define COOP_SIM_NET_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/assert.h"
#include "base/heap.h"
#include "base/prng.h"
#include "base/sat.h"
#include "coop/errors.h"
#include "net/net.h"

#define NET_FIRST_FD 3     /* 0 to 2 are stdin, stdout and stderr in the world being simulated */
#define NET_MAX_HOSTS 256u /* nodes, plus the world outside them (host 0) */
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
#define NET_SYN_RETRIES 6u                    /* Linux's tcp_syn_retries */
#define NET_SYN_RTO_NS UINT64_C(1000000000)   /* first retry of a lost connection request, doubling */
#define NET_DATA_RETRIES 15u                  /* Linux's tcp_retries2 */
#define NET_DATA_RTO_NS UINT64_C(200000000)   /* first retry of another lost segment: TCP_RTO_MIN, doubling */
#define NET_RTO_MAX_NS UINT64_C(120000000000) /* TCP_RTO_MAX: retries are never further apart */
#define NET_SPLIT_GAP_NS UINT64_C(1000)       /* a split delivery's second chunk lands this much later */
#define NET_RING_MIN ((size_t)256)            /* bytes; the smallest buffer allocated */
#define NET_NO_POS UINT32_MAX                 /* heap position of a direction with nothing in flight */
#define NET_NS_PER_SEC UINT64_C(1000000000)   /* bytes_per_sec turns into nanoseconds with it */

enum net_seg_kind { SEG_SYN, SEG_SYNACK, SEG_DATA, SEG_FIN, SEG_RST };
enum net_end_kind { END_UNKNOWN, END_TASK, END_PEER, END_NONE };
/* What a listener does with a connection request. */
enum net_listen_mode { LISTEN_ACCEPT, LISTEN_REFUSE, LISTEN_DROP };
/* Which destination addresses a task listener takes: any of its host's, only loopback, or only the host's own. */
enum net_bind { BIND_ANY, BIND_LOOPBACK, BIND_HOST };
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
    uint8_t tries;   /* times it was lost and sent again */
    bool reset;      /* the reset fault fired: this segment resets the connection instead */
    bool admitted;   /* SEG_SYN: a delaying peer listener has taken it and accepts it when it lands again */
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
    uint32_t heap_pos; /* index in net->deliveries, or NET_NO_POS */
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
    uint32_t host;    /* the host the end lives on; peers live on host 0, the world outside the nodes */
    int fd;           /* task ends: the fd, or -1 */
    bool established; /* may send: the SYN-ACK landed (connector) or the request was accepted */
    bool rd_shut;     /* the other end's FIN landed, or a reset */
    bool wr_shut;     /* shut down writing, closed, or reset */
    bool fin_landed;  /* the other end's FIN landed (Linux's SOCK_DONE): reads give 0 before any error */
    bool dead;        /* reset or refused */
    bool closed;      /* task: the fd was closed (or never will be); peer: closed or reset by the script */
    bool reading;     /* peer ends: arrivals are consumed at once */
    bool gone;        /* task ends: vanished with their host's crash; the host answers with resets once up */
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
    uint32_t dst_addr;  /* the address connected to (IPv4, host order) */
    bool loopback;      /* connected through a loopback address, within one host */
    bool dirty;         /* in net->dirty: its ends' readiness may have changed */
    uint32_t q_next;    /* next conn in the accept queue, 0 for none */
    uint32_t peer_n;    /* accepted by a peer listener as its peer_n-th connection; 0: not */
    uint32_t peer_addr; /* that listener's address (0: every outside address) */
    struct net_end end[2];
    struct net_dir dir[2];
    struct net_capture cap;
};

/*
 * A listener, task or peer.  port 0 marks a free slot.  A task listener
 * lives on its task's host; a peer listener on host 0, at one address of
 * the world outside or (addr 0) at all of them.  A task listener's
 * accept queue is a list of conns through q_next, in arrival order, at
 * most backlog + 1 long.
 */
struct net_listener {
    uint16_t port;     /* 0: the slot is free */
    bool peer;         /* a peer listener (coop_net_peer_listen) */
    bool dirty;        /* in net->dirty_ls: its readiness may have changed */
    uint8_t mode;      /* enum net_listen_mode */
    uint8_t bind;      /* task listeners: enum net_bind */
    uint32_t host;     /* where it listens */
    uint32_t addr;     /* peer listeners: the outside address, or 0 for every one */
    uint64_t delay_ns; /* peer listeners: how long after a request arrives it is accepted */
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
 * A host: a node with its own fds and ports, or (id 0) the world outside
 * the nodes, where scripted peers live.  fds[0..nfds) are its fd table
 * (nfds is one past the highest fd ever used).  ready has a bit per fd
 * that is registered with a non-zero mask and ready for some of it, and
 * summary a bit per word of ready that is not zero, so a wait finds the
 * ready fds without looking at idle ones (see readiness.c).  A host that
 * is down has no fds, and whatever reaches it is lost.
 */
struct net_host {
    coop_net *net;
    uint32_t id;
    uint32_t addr; /* IPv4, host order; 0 for the outside world */
    bool up;
    uint32_t incarnation; /* restarts so far: ends of an earlier one are gone */
    struct net_fd *fds;
    uint32_t nfds;
    size_t fdcap;
    uint64_t *ready, *summary; /* fdcap / 64 and fdcap / 4096 words, rounded up */
    uint32_t wait_cursor;      /* fd where the next wait() starts its scan; 0: from the lowest */
    uint32_t free_hint;        /* no fd below it is free (the lowest free one may be above) */
};

/*
 * The network.  hosts[0..nhosts) are the hosts, host 0 the outside
 * world; ls[0..nls) the listener slots; conns[0..nconns) the
 * connections, conn n at conns[n - 1].  The delivery heap holds
 * every direction with segments in flight, keyed by its head segment's
 * (due_ns, seq); its capacity is kept at 2 * nconns, so delivering never
 * allocates.
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
    struct net_host **hosts;
    uint32_t nhosts;
    size_t hostcap;
    uint8_t *cut; /* nhosts x nhosts: 1 where a partition separates two hosts */
    struct net_link_rule {
        uint32_t a, b; /* hosts, either way round */
        coop_net_link link;
    } * links; /* links set for pairs of hosts; others use link */
    size_t nlinks, linkcap;
    struct net_listener *ls;
    uint32_t nls;
    size_t lscap;
    struct net_conn **conns;
    uint32_t nconns;
    size_t conncap;
    struct heap deliveries; /* entry: t = due_ns, seq, id = conn, aux = direction */
    uint64_t seq;           /* next segment's seq */
    uint32_t *dirty;        /* conns whose readiness may have changed since the last wait */
    size_t ndirty, dirtycap;
    uint32_t *dirty_ls; /* likewise, listener slots */
    size_t ndirty_ls, dirty_lscap;
};

/* ---- Small helpers ---- */

static inline size_t min_size(size_t a, size_t b) { return a < b ? a : b; }
/* Whether a fault of kind (NET_FAULT_*) fires: the decide hook's answer when there is one, else the prng's. */
static inline bool chance(coop_net *net, uint32_t kind, uint32_t pct)
{
    if (net->faults.decide)
        return net->faults.decide(net->faults.decide_ctx, kind, pct);
    return coop_prng_chance(net->rng, pct, 100);
}

/* Reports an I/O decision about end e of c (NULL: no end); returns the trace's index for it, or UINT64_MAX. */
static inline uint64_t trace_end(coop_net *net, const char *what, const struct net_conn *c,
                                 const struct net_end *e, size_t len)
{
    int fd = e && e->kind == END_TASK ? e->fd : -1;
    if (!net->trace)
        return UINT64_MAX;
    return net->trace(net->trace_ctx, what, c ? c->id : 0, fd >= 0 ? e->host : 0, fd, len);
}

static inline void *mem_alloc(coop_net *net, size_t size)
{
    return net->alloc.fn(net->alloc.ctx, NULL, 0, size);
}
static inline void mem_free(coop_net *net, void *p, size_t size)
{
    if (p)
        (void)net->alloc.fn(net->alloc.ctx, p, size, 0);
}

static inline struct net_conn *conn_get(const coop_net *net, uint32_t id)
{
    return id >= 1 && id <= net->nconns ? net->conns[id - 1] : NULL;
}

static inline struct net_fd *fd_get(const struct net_host *h, int fd)
{
    if (fd < NET_FIRST_FD || (uint32_t)fd >= h->nfds || h->fds[fd].kind == FD_FREE)
        return NULL;
    return &h->fds[fd];
}

static inline struct net_host *host_get(const coop_net *net, uint32_t id)
{
    return id < net->nhosts ? net->hosts[id] : NULL;
}

/* ---- Tables (world.c) ---- */

void net_conn_free(coop_net *net, struct net_conn *c);
/* A free listener slot, made if needed; nothing is taken yet. */
int net_listener_reserve(coop_net *net, uint32_t *idx);
void net_listener_commit(coop_net *net, uint32_t idx, struct net_listener l);
/* The listener of host at port, task or peer, or NULL. */
struct net_listener *net_listener_at(const coop_net *net, uint32_t host, uint16_t port);
/* The peer listener (or rule) that a request to the outside address addr, port, reaches, or NULL. */
struct net_listener *net_outside_listener(const coop_net *net, uint32_t addr, uint16_t port);
/* A new connection from host `from` to port of host `to`, ends unknown, or NULL with *err set; see world.c. */
struct net_conn *net_conn_new(coop_net *net, uint32_t from, uint32_t to, uint16_t port, int *err);
/* Whether a partition separates hosts a and b. */
static inline bool net_cut(const coop_net *net, uint32_t a, uint32_t b)
{
    return net->cut[a * net->nhosts + b] != 0;
}

/* ---- Hosts and their fds (host.c) ---- */

/* A dotted quad as inet_pton(AF_INET) takes it; 0 and *addr, or -1. */
int net_parse_ipv4(const char *s, uint32_t *addr);
/*
 * Where a connection from host `from` to addr goes: the host itself for
 * a loopback address, 0.0.0.0 or its own address; the node with that
 * address; else the world outside (host 0).
 */
uint32_t net_route(const coop_net *net, uint32_t from, uint32_t addr, bool *loopback);
/* The lowest free fd of h, with room made for it in the table; nothing is taken yet. */
int net_fd_reserve(struct net_host *h, int *fd);
void net_fd_commit(struct net_host *h, int fd, uint8_t kind, uint32_t obj, uint8_t side);
void net_fd_release(struct net_host *h, int fd);
void net_host_free(coop_net *net, struct net_host *h);

/* ---- Readiness (readiness.c) ---- */

/* Notes that the readiness of c's ends (or l's) may have changed; the next wait looks again. */
void net_touch(coop_net *net, struct net_conn *c);
void net_touch_listener(coop_net *net, struct net_listener *l);
/* Recomputes the ready bits of every fd whose object was touched. */
void net_readiness_flush(coop_net *net);
/* The level of fd f of h, as Linux's tcp_poll() computes it. */
uint32_t net_fd_level(const coop_net *net, const struct net_fd *f);
/* Sets or clears fd's ready bit from its registration and level. */
void net_ready_update(struct net_host *h, int fd);

/* ---- Segments in flight (segments.c) ---- */

/* A uniform draw in [0, bound) for a 64-bit bound, unbiased. */
uint64_t net_draw_below(coop_prng *rng, uint64_t bound);
/* Puts direction d of c in the delivery heap under its head segment, or takes it out when it has none. */
void net_dir_sync(coop_net *net, struct net_conn *c, unsigned d);
void net_seg_push_front(struct net_dir *dir, struct net_seg s);
/* The delivery heap's moved hook: keeps each direction's heap_pos. */
void net_delivery_moved(void *ctx, const struct heap_ent *e, uint32_t pos);
/* Drops everything d has queued or in flight, keeping only the landed bytes. */
void net_dir_purge(coop_net *net, struct net_conn *c, unsigned d);
/*
 * Segment s of direction d cannot land (its receiver's host is down or
 * cut off, or a rule drops it): it is lost, and the sender sends it
 * again one retransmission timeout later, or gives up; see segments.c.
 */
void net_lose(coop_net *net, struct net_conn *c, unsigned d, struct net_seg s);
/*
 * Puts s back at the head of direction d, due at due_ns; the segments
 * behind it wait for it, since a direction delivers in order.
 */
void net_requeue_head(coop_net *net, struct net_conn *c, unsigned d, struct net_seg s, uint64_t due_ns);
/* The sender of direction d gives up: its connection request (or, later, its connection) timed out. */
void net_time_out(coop_net *net, struct net_conn *c, unsigned d, bool request);
/* Queues a segment on direction d; see segments.c for its timing. */
void net_transmit(coop_net *net, struct net_conn *c, unsigned d, uint8_t kind, size_t len,
                  uint64_t not_before);

/* ---- Connection behaviour (tcp.c) ---- */

void net_set_state(struct net_conn *c, coop_net_state st);
/* Frees a finished connection's rings; its state and capture stay. */
void net_conn_tidy(coop_net *net, struct net_conn *c);
/* Sends what direction d may send now. */
void net_pump(coop_net *net, struct net_conn *c, unsigned d);
void net_send_fin(coop_net *net, struct net_conn *c, unsigned side);
void net_send_rst(coop_net *net, struct net_conn *c, unsigned side);
struct net_conn *net_queue_pop(coop_net *net, struct net_listener *l);
/* Segment s of direction d arrives. */
void net_land(coop_net *net, struct net_conn *c, unsigned d, struct net_seg *s);

/* ---- Byte rings (ring.c) ---- */

size_t net_ring_reserve(coop_net *net, struct net_dir *dir, size_t extra, size_t limit);
void net_ring_append(struct net_dir *dir, const uint8_t *src, size_t n);
void net_ring_consume(struct net_dir *dir, uint8_t *dst, size_t n);

/* ---- Captures (capture.c) ---- */

/* Reserves room in cap for one more chunk of n bytes; 0 or -COOP_ENOMEM. */
int net_capture_reserve(coop_net *net, struct net_capture *cap, size_t n);
/* Appends a chunk for which room was reserved. */
void net_capture_add(coop_net *net, struct net_capture *cap, const void *buf, size_t n);

/* ---- Readiness, the poller's first half (readiness.c) ---- */

int net_poll_add(void *ctx, int fd, uint32_t events);
int net_poll_mod(void *ctx, int fd, uint32_t events);
int net_poll_del(void *ctx, int fd);
int net_poll_wait(void *ctx, int64_t timeout_ns, coop_poll_event *out, int max);

#endif
