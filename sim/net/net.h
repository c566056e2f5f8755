/* The network as the simulator drives it: creation, its poller, seeded faults, the trace hook and the passing of time. */
#ifndef COOP_SIM_NET_NET_H
#define COOP_SIM_NET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/prng.h"
#include "coop/alloc.h"
#include "coop/net.h"
#include "coop/poller.h"

/*
 * Seeded faults, each drawn from the prng only when its rate is non-zero
 * and it could apply: a split needs two bytes, a short read or write two
 * bytes it could move, an EAGAIN an operation that could proceed, a
 * refusal a listener that would accept.  The draws happen in a fixed
 * order, so a seed and a script give one outcome.
 */
/* The faults the network decides, as the kind its decide hook is given (the simulator's COOP_SIM_FAULT_* bits). */
enum {
    NET_FAULT_SPLIT = 1u << 1,
    NET_FAULT_SHORT_IO = 1u << 2,
    NET_FAULT_EAGAIN = 1u << 3,
    NET_FAULT_RESET = 1u << 4,
    NET_FAULT_REFUSE = 1u << 5
};

typedef struct coop_net_faults {
    uint64_t jitter_ns;    /* extra latency, uniform in [0, jitter_ns] per delivery (order kept) */
    uint32_t split_pct;    /* chance in % that a delivery is split into two chunks, the second 1 us later */
    uint32_t short_io_pct; /* chance in % that a read or write moves only part of what it could */
    uint32_t eagain_pct;   /* chance in % that a read or write fails with -EAGAIN although it could proceed */
    uint32_t reset_pct;    /* chance in % per data delivery that both ends are reset instead */
    uint32_t refuse_pct;   /* chance in % that a connect reaching a listener is refused */
    /*
     * Whether reset and refuse also hit the script's peers: the data
     * segments a peer sends, the connection requests a peer makes.  Off,
     * those are never faulted (and draw nothing).
     */
    bool peers;
    /*
     * NULL, or what decides each fault in place of the prng: kind is the
     * fault's COOP_SIM_FAULT_* bit, pct its rate; it returns whether the
     * fault fires.  Sizes are still drawn from the prng.
     */
    bool (*decide)(void *ctx, uint32_t kind, uint32_t pct);
    void *decide_ctx;
} coop_net_faults;

/*
 * Called for every I/O decision, for the trace: what = "connect",
 * "accept", "send", "recv", "shutdown", "close", "reset", "refuse",
 * "lost" (a segment could not arrive and is sent again), "drop" (a rule
 * dropped a request), "timeout" (an end gave up), "fault:jitter",
 * "fault:split", "fault:short", "fault:eagain", "fault:reset" or
 * "fault:refuse".  fd is the task fd involved, or -1 (a
 * peer's action, or an end without an fd); len is the byte count, 0 when
 * none applies.  The callback returns the event's index in whatever trace
 * it keeps (UINT64_MAX for none); a capture's chunks remember their write's,
 * so a checker can find the event of the write that completed some bytes.
 * The callback must not call back into the network.
 */
typedef uint64_t (*coop_net_trace_fn)(void *ctx, const char *what, uint32_t conn, uint32_t host, int fd,
                                      size_t len);

/*
 * A network with nothing in it but the world outside the nodes (host
 * 0).  now_ns and rng must outlive it, and alloc.fn must be set: every
 * byte the network holds comes from it.  Returns NULL when memory runs
 * out or an argument is missing.
 */
coop_net *coop_net_new(const uint64_t *now_ns, coop_prng *rng, coop_allocator alloc);
void coop_net_free(coop_net *net);
/*
 * Adds a node: a host with its own fds and ports at addr (IPv4, host
 * order; neither 0 nor a loopback address).  Returns its host number
 * (from 1, in order), -COOP_EADDRINUSE, -COOP_ENOSPC beyond 255 nodes,
 * or -COOP_ENOMEM.
 */
int coop_net_host_add(coop_net *net, uint32_t addr);
/*
 * The poller interface of a node's tasks (ops is NULL for host 0 or an
 * unknown host).  Its destroy() closes every fd of the host, as a
 * process exit does; the network stays until coop_net_free().
 */
coop_poller coop_net_poller(coop_net *net, uint32_t host);
/* The node goes down, or comes up again; see "Crashes" in coop/net.h.  0, or -COOP_EINVAL. */
int coop_net_host_down(coop_net *net, uint32_t host);
/* The fds open on a host: sockets and listeners its tasks have not closed. */
uint32_t coop_net_host_open_fds(const coop_net *net, uint32_t host);
int coop_net_host_up(coop_net *net, uint32_t host);
/* A partition separates hosts a and b (cut), or heals; see "Loss" in coop/net.h.  0, or -COOP_EINVAL. */
int coop_net_partition(coop_net *net, uint32_t a, uint32_t b, bool cut);
/* The link used by connections created from now on between hosts a and b, either way.  0, or -COOP_EINVAL. */
int coop_net_set_host_link(coop_net *net, uint32_t a, uint32_t b, const coop_net_link *link);
void coop_net_set_trace(coop_net *net, coop_net_trace_fn fn, void *ctx);
void coop_net_set_faults(coop_net *net, const coop_net_faults *faults);
/*
 * Time.  The earliest pending delivery, or false; and carrying out every
 * delivery due at or before now, in (due time, order of scheduling)
 * order, including those the deliveries themselves schedule for now.
 */
bool coop_net_next_due(const coop_net *net, uint64_t *due_ns);
/*
 * Writes every listener and connection as text (net/describe.c): both
 * ends, the bytes in flight and unread each way, FIN and reset flags.
 * name, when set, names the peer end of a connection (NULL: unnamed).
 */
typedef const char *(*coop_net_name_fn)(void *ctx, uint32_t conn);
void coop_net_describe(const coop_net *net, FILE *out, coop_net_name_fn name, void *ctx);
void coop_net_advance(coop_net *net);

#endif
