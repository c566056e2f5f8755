/* The simulator's private definitions: the simulation, its scripted events, and the functions its files share. */
#ifndef COOP_SIM_SIM_PRIVATE_H
#define COOP_SIM_SIM_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/heap.h"
#include "base/prng.h"
#include "coop/program.h"
#include "coop/sim.h"
#include "net/net.h"
#include "sim/trace.h"

/* What a scripted event does. */
enum ev_kind {
    EV_CALL,
    EV_SIGNAL,
    EV_KILL,
    EV_JUMP,
    EV_CONNECT,
    EV_SEND,
    EV_SHUTDOWN,
    EV_CLOSE,
    EV_RESET,
    EV_READING
};

/*
 * A scripted event, kept in the event pool while it waits.  Its place in
 * the queue is a heap entry (t_ns, seq, id = its pool index), so events
 * run in (t_ns, seq) order and ties run in the order they were added.
 */
struct sim_event {
    enum ev_kind kind;
    int peer;             /* peer handle, for the peer events */
    uint16_t port;        /* EV_CONNECT */
    int64_t value;        /* EV_SIGNAL value, EV_JUMP nanoseconds, EV_READING on/off */
    char *name;           /* EV_SIGNAL, EV_KILL; owned */
    uint8_t *data;        /* EV_SEND; owned */
    size_t len, chunk;    /* EV_SEND */
    coop_sim_event_fn fn; /* EV_CALL */
    void *arg;
    uint32_t next_free; /* while the slot is free: the next free slot, or UINT32_MAX */
};

/*
 * The simulator.  now_ns only grows.  Each consumer of randomness has its
 * own PCG stream, so a fault that is off draws nothing and cannot shift
 * the others.
 */
struct coop_sim {
    coop_sim_config cfg;
    coop_poller inner; /* the network's poller; the scheduler gets the forwarding one (poller.c) */
    bool io_dirty;     /* a socket call may have changed readiness since the last poll */
    uint64_t now_ns;
    uint64_t next_step_ns; /* COOP_SIM_SEED: no step before this tick */
    coop_sched *sched;
    coop_net *net;
    coop_tick32 tick; /* cfg.tick32: the scheduler's clock */
    coop_prng rng_ties, rng_net, rng_faults, rng_alloc;
    uint32_t faults; /* the resolved fault mix */

    struct heap events;     /* entry: t = due time, seq = order added, id = pool index */
    struct sim_event *pool; /* poolcap slots; those not in the heap are on the free list */
    size_t poolcap;
    uint32_t npool;     /* slots ever used */
    uint32_t free_slot; /* the first free slot, or UINT32_MAX */
    uint64_t ev_seq;

    int64_t *peers; /* handle -> conn (0 pending, -1 refused) */
    uint32_t npeers;
    size_t peercap;

    coop_program_env env; /* what started programs log through; lives as long as the simulation */
    uint64_t steps;
    uint64_t busy; /* steps since the loop last idled or ran an event */
    struct sim_trace trace;
};

/* ---- Virtual time (clock.c) ---- */

extern const coop_clock_ops sim_clock_ops;
/* The raw 32-bit millisecond counter the tick adapter reads in tick32 mode. */
uint32_t sim_raw_ms(void *ctx);
/* The scheduler's view of now: the tick adapter's, truncated to the millisecond, in tick32 mode. */
uint64_t sim_sched_now(const coop_sim *sim);

/* ---- The trace (record.c) ---- */

/* Hands r to the trace, unless the trace is off; r->ev.seq is its index then. */
void sim_emit(coop_sim *sim, struct sim_rec *r);
void sim_on_core_event(void *ctx, const coop_trace_event *e);
uint64_t sim_on_net_event(void *ctx, const char *what, uint32_t conn, int fd, size_t len);
void sim_trace_fault(coop_sim *sim, const char *kind, const char *site, uint32_t tid, bool fired);

/* ---- Faults (faults.c) ---- */

static inline bool sim_fault_on(const coop_sim *sim, uint32_t kind) { return (sim->faults & kind) != 0; }
/* The fault mix a configuration asks for, the seed's choice resolved. */
uint32_t sim_fault_mix(const coop_sim_config *cfg);
bool sim_on_fault_point(void *ctx, const char *site, uint32_t tid);
uint64_t sim_on_seq(void *ctx, uint64_t counter);
void *sim_alloc(void *ctx, void *ptr, size_t old_size, size_t new_size);
/* Sets the network's fault rates for the network kinds of mask, at the configured rate. */
void sim_apply_net_faults(coop_sim *sim, uint32_t mask);
/* After a step: the clock-jump fault, when it is on, may move the clock forward. */
void sim_fault_clock_jump(coop_sim *sim);

/* ---- The poller the scheduler sees (poller.c) ---- */

extern const coop_poller_ops sim_poller_ops;

/* ---- Scripted events (events.c) ---- */

/* Runs every event due at or before now, in order; returns whether any ran. */
bool sim_run_due_events(coop_sim *sim);
/* The due time of the earliest event, or false when none waits. */
bool sim_next_event(const coop_sim *sim, uint64_t *t_ns);
void sim_events_fini(coop_sim *sim);

#endif
