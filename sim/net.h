/* Virtual sockets: the simulator's poller, with connections whose far ends a script drives. */
#ifndef COOP_SIM_NET_H
#define COOP_SIM_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coop/alloc.h"
#include "coop/poller.h"
#include "prng.h"

/*
 * The model.  A connection has two ends.  An end is either a *task end*
 * (an fd handed out by listen/accept/connect through the poller
 * interface) or a *peer end* (driven by the script through the
 * coop_net_peer_* calls).  Two task ends can be connected to each other
 * (a task connects to a port another task listens on), and so can a
 * task end and a peer end.  Nothing here blocks or reads a clock: time is
 * the value *now_ns points to, which only the simulator moves, and
 * everything that takes time (latency, bandwidth) is a scheduled
 * delivery that coop_net_advance() carries out once now reaches it.
 *
 * Determinism: fds are the lowest free number starting at 3, as POSIX
 * does; deliveries due at the same time happen in the order they were
 * scheduled; ready events are reported in ascending fd order; the only
 * randomness is the coop_prng passed in, drawn only when a fault is on.
 *
 * Semantics follow Linux TCP on loopback as recorded in
 * docs/poller-contract.md (READ|WRITE on peer FIN, HANGUP only when both
 * directions are shut, ECONNRESET once then EPIPE, ECONNREFUSED through
 * sock_error after a connect, SO_ERROR cleared by reading it, and so on).
 * Where the simulator and the kernel disagree, the simulator is wrong.
 */
typedef struct coop_net coop_net;

/* Link parameters; zero means instant, unlimited, unsplit. */
typedef struct coop_net_link {
    uint64_t latency_ns;    /* one-way delay of every delivery */
    uint64_t bytes_per_sec; /* serialisation rate; 0: unlimited */
    uint32_t max_read;      /* reads return at most this many bytes (short reads); 0: no limit */
    uint32_t max_write;     /* writes accept at most this many bytes (short writes); 0: no limit */
} coop_net_link;

/* Seeded faults, each drawn from the prng only when its rate is non-zero. */
typedef struct coop_net_faults {
    uint64_t jitter_ns;    /* extra latency, uniform in [0, jitter_ns] per delivery (order kept) */
    uint32_t split_pct;    /* chance in % that a delivery is split into two chunks */
    uint32_t short_io_pct; /* chance in % that a read or write moves only part of what it could */
    uint32_t eagain_pct;   /* chance in % that a read or write fails with -EAGAIN although it could proceed */
    uint32_t reset_pct;    /* chance in % per delivery that the connection is reset instead */
    uint32_t refuse_pct;   /* chance in % that a connect is refused */
} coop_net_faults;

/* Everything a task end wrote, in order, with the virtual time of each write. */
typedef struct coop_net_chunk {
    uint64_t t_ns;
    size_t off; /* offset of this chunk in the connection's captured byte stream */
    size_t len;
} coop_net_chunk;

typedef struct coop_net_capture {
    const uint8_t *bytes; /* all bytes written by the task end, concatenated */
    size_t len;
    const coop_net_chunk *chunks;
    size_t nchunks;
} coop_net_capture;

/* How a connection ended, as seen from the peer end. */
typedef enum coop_net_state {
    COOP_NET_CONNECTING, /* connect() issued, not yet accepted */
    COOP_NET_OPEN,
    COOP_NET_TASK_SHUT,   /* the task end shut down writing (FIN) */
    COOP_NET_TASK_CLOSED, /* the task end closed the fd */
    COOP_NET_TASK_RESET,  /* the task end closed with unread data, so the peer saw a reset */
    COOP_NET_PEER_CLOSED,
    COOP_NET_PEER_RESET,
    COOP_NET_REFUSED
} coop_net_state;

/* Called for every I/O decision, for the trace: what = "connect", "accept", "send", "recv", "close", "reset", "refuse", "fault:*". */
typedef void (*coop_net_trace_fn)(void *ctx, const char *what, uint32_t conn, int fd, size_t len);

coop_net *coop_net_new(const uint64_t *now_ns, coop_prng *rng, coop_allocator alloc);
void coop_net_free(coop_net *net); /* also what the poller's destroy() calls */
/* The poller interface over this network.  Its destroy() frees the network. */
coop_poller coop_net_poller(coop_net *net);
void coop_net_set_trace(coop_net *net, coop_net_trace_fn fn, void *ctx);
/* Link used by connections created from now on (conn 0) or by one connection. */
int coop_net_set_link(coop_net *net, uint32_t conn, const coop_net_link *link);
void coop_net_set_faults(coop_net *net, const coop_net_faults *faults);
/* The size of each end's send buffer (default 64 KiB) and receive buffer (default 64 KiB). */
void coop_net_set_buffers(coop_net *net, size_t send_buf, size_t recv_buf);

/*
 * Script side.  Connections are numbered from 1 in creation order,
 * whoever created them.  Every call acts at the current virtual time;
 * the simulator's event queue decides when to make it.
 */
/* A peer connects to a port a task listens on.  Returns the conn number, or -COOP_ECONNREFUSED. */
int coop_net_peer_connect(coop_net *net, uint16_t port);
/* A peer listens on a port, so tasks can connect to it; refuse makes every connect fail with ECONNREFUSED. */
int coop_net_peer_listen(coop_net *net, uint16_t port, bool refuse);
/* The n-th connection (from 1) that tasks made to a peer-listened port, or 0 if none yet. */
uint32_t coop_net_peer_accepted(const coop_net *net, uint16_t port, uint32_t n);
int coop_net_peer_send(coop_net *net, uint32_t conn, const void *buf, size_t len);
int coop_net_peer_shutdown(coop_net *net, uint32_t conn); /* half-close: FIN, can still receive */
int coop_net_peer_close(coop_net *net, uint32_t conn);
int coop_net_peer_reset(coop_net *net, uint32_t conn);
/* A peer that stops reading lets the task's writes fill the buffers until -EAGAIN. */
int coop_net_peer_reading(coop_net *net, uint32_t conn, bool reading);

coop_net_state coop_net_conn_state(const coop_net *net, uint32_t conn);
/* What the task end of conn wrote (its bytes as the peer would receive them). */
int coop_net_capture_of(const coop_net *net, uint32_t conn, coop_net_capture *out);
uint32_t coop_net_conn_count(const coop_net *net);

/* Time.  The earliest pending delivery, or false; and carrying out every delivery due at or before now. */
bool coop_net_next_due(const coop_net *net, uint64_t *due_ns);
void coop_net_advance(coop_net *net);

#endif
