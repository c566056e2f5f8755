/* The virtual network's public face: scripted peers, captures of what tasks wrote, connection states, link settings. */
#ifndef COOP_NET_H
#define COOP_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coop/export.h"

#ifdef __cplusplus
extern "C" {
#endif

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
 *
 * Buffers and timing.  Each direction of a connection has the sender's
 * send buffer and the receiver's receive buffer.  A write takes what fits
 * in the send buffer; the bytes are then transmitted as segments, never
 * more than the receiver's free receive space (the TCP window), each
 * serialised at the link's rate and arriving one latency (plus jitter)
 * later, never before an earlier segment of the same direction.  A task
 * end is writable while its send buffer's free space is at least half of
 * what it holds, as in Linux (sk_stream_is_writeable).  At most 61 data
 * segments per direction are in flight; further bytes wait in the send
 * buffer until one lands, so the network never allocates while time
 * passes.  A segment whose arrival time has already come (zero latency
 * and unlimited rate, as on loopback) lands before the call that sent it
 * returns, as loopback delivers within the system call: every call below
 * that changes something ends by carrying out whatever is due.  wait()
 * changes nothing.
 *
 * wait() reports the registered fds with a non-zero mask in ascending fd
 * order.  When a call fills max, the next one starts after the last fd
 * it reported (and wraps around), so every ready fd gets its turn.
 *
 * Hosts.  Each node of a simulation is a host with an IPv4 address, its
 * own fds (from 3) and its own ports; host 0 is the world outside the
 * nodes, where the script's peers live, at every address no node has.
 * A task's connect() goes to its own host for a loopback address,
 * 0.0.0.0 or the host's own address, to the node with that address, or
 * else outside.  A node answers a request for a port nobody listens on
 * (or one whose listener is bound to loopback, when it came from
 * elsewhere) with a reset: ECONNREFUSED one round trip later.  Outside,
 * a request meets the peer listener or rule for that address and port
 * (one for that exact address first, then one for every address), and
 * with none of them also a reset: connecting to an address nobody
 * listens on is refused, never left hanging, unless a rule drops it.
 *
 * Loss.  A segment that cannot arrive (its receiver's host is down, a
 * partition separates the two hosts, or a rule drops it) is lost, and
 * the sender sends it again one retransmission timeout later: 1 s for a
 * connection request, 200 ms for anything else (Linux's TCP_RTO_MIN),
 * doubling each time up to 120 s.  A request is sent again 6 times and a
 * segment 15 times (Linux's tcp_syn_retries and tcp_retries2), and when
 * the last is lost too the sender gives up: ETIMEDOUT for a task (63 s
 * after a connect() to a host that never answers: the request arrives
 * in vain at 0, 1, 3, 7, 15, 31 and 63 s), and the state REFUSED (a
 * request) or TIMED_OUT (anything else) for the connection.  A lost reset
 * is not sent again.  A listener's accept queue holds backlog + 1
 * connections, as Linux's does; a request that finds it full is lost the
 * same way.
 *
 * Crashes.  A host that goes down loses its ends, fds and listeners at
 * once, without a FIN or a reset: its peers notice only when what they
 * send gets no answer.  Once the host is up again, it answers segments
 * of its earlier connections with a reset.
 */
typedef struct coop_net coop_net;

/* Link parameters; zero means instant, unlimited, unsplit. */
typedef struct coop_net_link {
    uint64_t latency_ns;    /* one-way delay of every delivery */
    uint64_t bytes_per_sec; /* serialisation rate; 0: unlimited */
    uint32_t max_read;      /* reads return at most this many bytes (short reads); 0: no limit */
    uint32_t max_write;     /* writes accept at most this many bytes (short writes); 0: no limit */
} coop_net_link;

/* One write of a task end toward a peer end. */
typedef struct coop_net_chunk {
    uint64_t t_ns; /* virtual time of the write() that produced it */
    uint64_t ev;   /* the trace event of that write (see coop_net_trace_fn), or UINT64_MAX */
    size_t off;    /* offset of this chunk in the connection's captured byte stream */
    size_t len;    /* bytes; never 0 */
} coop_net_chunk;

/*
 * Everything a task end wrote toward a peer end, in order, with the
 * virtual time of each write, whether or not the peer received it.  A
 * connection between two task ends captures nothing.  The pointers stay
 * valid until the next write on that connection or coop_net_free().
 */
typedef struct coop_net_capture {
    const uint8_t *bytes; /* all bytes written by the task end, concatenated; NULL when len is 0 */
    size_t len;
    const coop_net_chunk *chunks;
    size_t nchunks;
} coop_net_capture;

/*
 * How a connection ended, as seen from the peer end.  The state is the
 * latest of these events, taken when the acting end makes its call (for
 * OPEN and REFUSED, when the connection request is accepted or refused);
 * the two resets and REFUSED are final.  A reset that a closed end sends
 * back in answer to data keeps the state of the close.  Between two task
 * ends the TASK_* states name either end.
 */
typedef enum coop_net_state {
    COOP_NET_CONNECTING, /* connect() issued, not yet accepted (by accept(), or by a peer listener) */
    COOP_NET_OPEN,
    COOP_NET_TASK_SHUT,   /* the task end shut down writing (FIN) */
    COOP_NET_TASK_CLOSED, /* the task end closed the fd */
    COOP_NET_TASK_RESET,  /* the task end closed with unread data (or aborted), so the peer saw a reset */
    COOP_NET_PEER_SHUT,   /* the peer end shut down writing (FIN) */
    COOP_NET_PEER_CLOSED,
    COOP_NET_PEER_RESET, /* the peer reset, or the reset fault hit */
    COOP_NET_REFUSED,    /* refused, or the request timed out; also what an unknown conn reports */
    COOP_NET_TIMED_OUT   /* an end sent a segment 15 times more without an answer and gave up */
} coop_net_state;

/* A short constant name such as "peer-closed", for traces and reports. */
COOP_API const char *coop_net_state_name(coop_net_state st);

/* Link used by connections created from now on (conn 0) or by one connection.  0, or -COOP_ENOENT. */
COOP_API int coop_net_set_link(coop_net *net, uint32_t conn, const coop_net_link *link);
/*
 * The size of each end's send buffer (default 64 KiB) and receive buffer
 * (default 64 KiB), in bytes, for connections created from now on; 0
 * restores the default.
 */
COOP_API void coop_net_set_buffers(coop_net *net, size_t send_buf, size_t recv_buf);

/*
 * Closes a task fd as close() does after SO_LINGER {on, 0}: the other end
 * sees a reset instead of an end of stream (state COOP_NET_TASK_RESET).
 * The poller interface cannot express this; the contract suite's abortive
 * close uses it, and scenarios may.  host is the node's host number.  0,
 * or -COOP_EBADF.
 */
COOP_API int coop_net_close_reset(coop_net *net, uint32_t host, int fd);

/*
 * Script side.  Connections are numbered from 1 in creation order,
 * whoever created them.  Every call acts at the current virtual time;
 * the simulator's event queue decides when to make it.  Calls naming a
 * conn return -COOP_ENOENT for an unknown one and -COOP_EINVAL for one
 * without a peer end.
 */
/*
 * A peer connects to a port of a node (host from 1); the connection
 * reaches the accept queue one latency later, and the peer may send at
 * once.  It reaches whatever listens on that port, bound to any address,
 * as a client on the node's own machine would; a partition between the
 * node and the outside world cuts it off all the same.  Returns the conn number; -COOP_ECONNREFUSED at once when the
 * host is up, reachable and nobody there listens on the port for it;
 * -COOP_EINVAL for a host that is no node; -COOP_ENOMEM.  A host that is
 * down or cut off never answers: the request is lost and sent again, and
 * the connection ends REFUSED after 63 s.
 */
COOP_API int coop_net_peer_connect(coop_net *net, uint32_t host, uint16_t port);

/* What a peer listener does with the requests it receives. */
typedef enum coop_net_listen_mode {
    COOP_NET_ACCEPT, /* accepts each, after the listener's delay: a scripted server */
    COOP_NET_REFUSE, /* answers each with a reset: ECONNREFUSED */
    COOP_NET_DROP    /* never answers: the connector sends again, then times out */
} coop_net_listen_mode;

/*
 * A peer listens at an outside address (IPv4, host order; 0 for every
 * outside address) and port, so tasks can connect to it; what it does
 * with a request is the mode's, and an accepting listener answers each
 * request accept_delay_ns after it arrives.  0, -COOP_EINVAL for port 0,
 * -COOP_EADDRINUSE when one listens at that address and port already,
 * or -COOP_ENOMEM.
 */
COOP_API int coop_net_peer_listen(coop_net *net, uint32_t addr, uint16_t port, coop_net_listen_mode mode,
                                  uint64_t accept_delay_ns);
/* Stops the peer listener at addr and port; later requests meet no one (a reset).  0, or -COOP_ENOENT. */
COOP_API int coop_net_peer_unlisten(coop_net *net, uint32_t addr, uint16_t port);
/*
 * The n-th connection (from 1) that tasks made to the peer listener at
 * addr and port, or 0 if none yet.  A listener that replaces an earlier
 * one at the same address and port goes on counting from its count.
 */
COOP_API uint32_t coop_net_peer_accepted(const coop_net *net, uint32_t addr, uint16_t port, uint32_t n);
/* Parses a dotted quad ("10.0.0.2") into an address in host order; 0, or -COOP_EINVAL. */
COOP_API int coop_net_addr_parse(const char *text, uint32_t *addr);
/*
 * The peer's send buffer is unbounded: all of buf is queued, and it
 * drains into the task's receive buffer as that has room.  0, or
 * -COOP_EPIPE after the peer shut down or closed, the connection's error
 * (-COOP_ECONNRESET, ECONNREFUSED, ETIMEDOUT) once it is dead, or
 * -COOP_ENOMEM.
 */
COOP_API int coop_net_peer_send(coop_net *net, uint32_t conn, const void *buf, size_t len);
COOP_API int coop_net_peer_shutdown(coop_net *net, uint32_t conn); /* half-close: FIN, can still receive */
/*
 * A close with unread received data (reading off) resets instead, as
 * Linux does.  Closing or resetting a closed peer end gives -COOP_EBADF.
 */
COOP_API int coop_net_peer_close(coop_net *net, uint32_t conn);
COOP_API int coop_net_peer_reset(coop_net *net, uint32_t conn);
/* A peer that stops reading lets the task's writes fill the buffers until -EAGAIN. */
COOP_API int coop_net_peer_reading(coop_net *net, uint32_t conn, bool reading);

COOP_API coop_net_state coop_net_conn_state(const coop_net *net, uint32_t conn);
/* What the task end of conn wrote (its bytes as the peer would receive them).  0, or -COOP_ENOENT. */
COOP_API int coop_net_capture_of(const coop_net *net, uint32_t conn, coop_net_capture *out);
COOP_API uint32_t coop_net_conn_count(const coop_net *net);

/* Checks every internal invariant (heap, queues, buffers, fd table); aborts through coop_assert. */
COOP_API void coop_net_verify(const coop_net *net);

#ifdef __cplusplus
}
#endif

#endif
