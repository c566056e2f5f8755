/* Virtual sockets: the simulator's poller, with connections whose far ends a script drives. */
#ifndef COOP_SIM_NET_H
#define COOP_SIM_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coop/alloc.h"
#include "coop/net.h"
#include "coop/poller.h"
#include "prng.h"

/* The rest of the network, which only the simulator and its tests use; the model is described in coop/net.h. */

/*
 * Seeded faults, each drawn from the prng only when its rate is non-zero
 * and it could apply: a split needs two bytes, a short read or write two
 * bytes it could move, an EAGAIN an operation that could proceed, a
 * refusal a listener that would accept.  The draws happen in a fixed
 * order, so a seed and a script give one outcome.
 */
typedef struct coop_net_faults {
    uint64_t jitter_ns;    /* extra latency, uniform in [0, jitter_ns] per delivery (order kept) */
    uint32_t split_pct;    /* chance in % that a delivery is split into two chunks, the second 1 us later */
    uint32_t short_io_pct; /* chance in % that a read or write moves only part of what it could */
    uint32_t eagain_pct;   /* chance in % that a read or write fails with -EAGAIN although it could proceed */
    uint32_t reset_pct;    /* chance in % per data delivery that both ends are reset instead */
    uint32_t refuse_pct;   /* chance in % that a connect reaching a listener is refused */
} coop_net_faults;

/*
 * Called for every I/O decision, for the trace: what = "connect",
 * "accept", "send", "recv", "shutdown", "close", "reset", "refuse",
 * "fault:jitter", "fault:split", "fault:short", "fault:eagain",
 * "fault:reset" or "fault:refuse".  fd is the task fd involved, or -1 (a
 * peer's action, or an end without an fd); len is the byte count, 0 when
 * none applies.  The callback must not call back into the network.
 */
typedef void (*coop_net_trace_fn)(void *ctx, const char *what, uint32_t conn, int fd, size_t len);

/*
 * A network with nothing in it.  now_ns and rng must outlive it, and
 * alloc.fn must be set: every byte the network holds comes from it.
 * Returns NULL when memory runs out or an argument is missing.
 */
coop_net *coop_net_new(const uint64_t *now_ns, coop_prng *rng, coop_allocator alloc);
void coop_net_free(coop_net *net); /* also what the poller's destroy() calls */
/* The poller interface over this network.  Its destroy() frees the network. */
coop_poller coop_net_poller(coop_net *net);
void coop_net_set_trace(coop_net *net, coop_net_trace_fn fn, void *ctx);
void coop_net_set_faults(coop_net *net, const coop_net_faults *faults);

/*
 * Time.  The earliest pending delivery, or false; and carrying out every
 * delivery due at or before now, in (due time, order of scheduling)
 * order, including those the deliveries themselves schedule for now.
 */
bool coop_net_next_due(const coop_net *net, uint64_t *due_ns);
void coop_net_advance(coop_net *net);

/* Checks every internal invariant (heap, queues, buffers, fd table); aborts through coop_assert. */
void coop_net_verify(const coop_net *net);

#endif
