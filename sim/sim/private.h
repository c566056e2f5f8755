/* The simulator's private definitions: the simulation, its scripted events, and the functions its files share. */
#ifndef COOP_SIM_SIM_PRIVATE_H
#define COOP_SIM_SIM_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/heap.h"
#include "base/prng.h"
#include "base/sat.h"
#include "coop/program.h"
#include "coop/sim.h"
#include "net/net.h"
#include "sim/trace.h"

#define COOP_SIM_NODES_MAX 64

/* What a scripted event does. */
enum ev_kind {
    EV_CALL,
    EV_SIGNAL,
    EV_KILL,
    EV_JUMP,
    EV_STALL,
    EV_CRASH,
    EV_RESTART,
    EV_PARTITION,
    EV_HEAL,
    EV_LISTEN,
    EV_UNLISTEN,
    EV_CONNECT,
    /* The peer events, from here on, act on a peer's connection. */
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
    uint32_t node, other; /* the node acted on (and the other of a partition) */
    uint32_t addr;        /* EV_LISTEN, EV_UNLISTEN: the outside address, 0 for every one */
    uint16_t port;        /* EV_CONNECT, EV_LISTEN, EV_UNLISTEN */
    int64_t value; /* EV_SIGNAL value, EV_JUMP and EV_STALL nanoseconds, EV_READING on/off, EV_LISTEN mode */
    uint64_t delay_ns;    /* EV_LISTEN: how long after a request arrives it is accepted */
    char *name;           /* EV_SIGNAL, EV_KILL, EV_STALL; owned */
    uint8_t *data;        /* EV_SEND; owned */
    size_t len, chunk;    /* EV_SEND */
    coop_sim_event_fn fn; /* EV_CALL */
    void *arg;
    uint32_t next_free; /* while the slot is free: the next free slot, or UINT32_MAX */
};

/*
 * A node: one scheduler on its own host of the network, running one
 * program.  While it is down (crashed), sched is NULL.  Its scheduler's
 * hooks (poller, trace, faults, allocator) get the node as their context.
 */
struct sim_node {
    coop_sim *sim;
    uint32_t index;
    char name[COOP_SIM_NODE_NAME_MAX + 1];
    uint32_t host; /* in the network */
    uint32_t addr;
    coop_sched *sched;
    coop_poller inner;        /* the host's poller; the scheduler gets the forwarding one (poller.c) */
    bool io_dirty;            /* a socket call may have changed readiness since the last poll */
    bool quiet;               /* going down: what its tasks do now is not part of the trace */
    bool starting;            /* booting or running its program's start: allocation faults hold off */
    uint64_t live_bytes;      /* allocated through its scheduler's hook and not freed */
    struct sim_block *blocks; /* those blocks, newest first (memory.c) */
    uint64_t next_step_ns;    /* COOP_SIM_SEED: no step before this tick */
    coop_tick32 tick;         /* cfg.tick32: the scheduler's clock */
    coop_program_env env;     /* what its program logs through */
    /* The program it runs, kept for restarts: argv is owned. */
    const coop_program *program;
    int argc;
    char **argv;
    /* Ties permuted: each task's last queue entry, by tid (ties.c). */
    struct sim_tie *ties;
    uint32_t tiecap;
};

/* A one-time step cost: the next step of the named task costs cost_ns. */
struct sim_stall {
    uint32_t node;
    char *task; /* owned */
    uint64_t cost_ns;
};

/*
 * The simulator.  now_ns only grows.  Each consumer of randomness has its
 * own PCG stream, so a fault that is off draws nothing and cannot shift
 * the others.
 */
struct coop_sim {
    coop_sim_config cfg;
    uint64_t now_ns;
    struct sim_node *nodes;
    uint32_t nnodes;
    coop_net *net;
    coop_prng rng_ties, rng_net, rng_faults, rng_alloc;
    uint32_t faults;  /* the resolved fault mix */
    uint32_t fired;   /* the fault kinds that fired (coop_sim_faults_fired) */
    char **tie_names; /* the tasks whose tie order differed from FIFO, sorted (ties.c) */
    size_t ntie_names, tie_names_cap;
    bool io_dirty; /* a socket call may have changed some node's readiness since the last poll */

    struct heap events;     /* entry: t = due time, seq = order added, id = pool index */
    struct sim_event *pool; /* poolcap slots; those not in the heap are on the free list */
    size_t poolcap;
    uint32_t npool;     /* slots ever used */
    uint32_t free_slot; /* the first free slot, or UINT32_MAX */
    uint64_t ev_seq;

    /*
     * Peer handles.  A connecting peer's conn is 0 until it connects and
     * -1 when it was refused; an accepted one (port != 0) is found by its
     * listener's address, port and number when asked for.
     */
    struct sim_peer {
        int64_t conn;
        uint32_t addr;
        uint16_t port;
        uint32_t n;
    } * peers;
    uint32_t npeers;
    size_t peercap;

    struct sim_stall *stalls; /* armed one-time step costs, in the order they were armed */
    size_t nstalls, stallcap;
    uint64_t pending_cost_ns; /* what the stalls of the step under way add to it */

    uint64_t steps;
    uint64_t busy; /* steps since the loop last idled or ran an event */
    bool muted;    /* coop_sim_shutdown is freeing the schedulers: nothing of it is traced */
    struct sim_trace trace;
    struct sim_waits *waits; /* coop_sim_track_waits: since when each task waits, what woke it (describe.c) */
};

/* ---- Virtual time (clock.c) ---- */

extern const coop_clock_ops sim_clock_ops;
/* The raw 32-bit millisecond counter the tick adapter reads in tick32 mode. */
uint32_t sim_raw_ms(void *ctx);
/* The scheduler's view of now: the tick adapter's, truncated to the millisecond, in tick32 mode. */
uint64_t sim_sched_now(const coop_sim *sim);

/* ---- Nodes (node.c) ---- */

/* Builds node i's scheduler on its host; 0, or a negative COOP_E* code. */
int sim_node_boot(coop_sim *sim, struct sim_node *n);
/* Runs n's program: its start function, with its saved arguments. */
int sim_node_start(struct sim_node *n);
/* The node crashes: its host goes down and its scheduler is freed without a trace of what its tasks do. */
void sim_node_crash(struct sim_node *n);
/* Frees what the node owns. */
void sim_node_fini(struct sim_node *n);
/* The node named name, or NULL. */
struct sim_node *sim_node_find(coop_sim *sim, const char *name);
/* A program's log hook in the simulator (ctx: the node): a "log" trace event. */
void sim_log_to_trace(void *ctx, coop_task *t, const char *text);

/* ---- The trace (record.c) ---- */

/* Starts an event; with several nodes, one about node n (not NULL) names it first. */
void sim_rec_begin(coop_sim *sim, struct sim_rec *r, const char *ev, const struct sim_node *n);
/* Hands r to the trace, unless the trace is off; r->ev.seq is its index then. */
void sim_emit(coop_sim *sim, struct sim_rec *r);
/* The scheduler's trace hook (ctx: the node). */
void sim_on_core_event(void *ctx, const coop_trace_event *e);
uint64_t sim_on_net_event(void *ctx, const char *what, uint32_t conn, uint32_t host, int fd, size_t len);
/* A fault decision, about node n or (NULL) the whole simulation. */
void sim_trace_fault(coop_sim *sim, const struct sim_node *n, const char *kind, const char *site,
                     uint32_t tid, bool fired);

/* ---- The world as text (describe.c) ---- */

/* Notes a scheduler event of node n for coop_sim_describe; only when sim->waits is set. */
void sim_waits_note(struct sim_node *n, const coop_trace_event *e);
void sim_waits_free(coop_sim *sim);

/* ---- Faults (faults.c) ---- */

static inline bool sim_fault_on(const coop_sim *sim, uint32_t kind) { return (sim->faults & kind) != 0; }
/* The fault mix a configuration asks for, the seed's choice resolved. */
uint32_t sim_fault_mix(const coop_sim_config *cfg);
bool sim_on_fault_point(void *ctx, const char *site, uint32_t tid);
/* Ties permuted: a task's queue key was drawn (counter: its first-in, first-out place); a core event. */
void sim_tie_keyed(struct sim_node *n, uint64_t counter);
void sim_tie_event(struct sim_node *n, const coop_trace_event *e);
void sim_ties_fini(coop_sim *sim);
void sim_node_ties_fini(struct sim_node *n);
/* The bit of a fault kind by the name its trace event gives ("short", "point" included); 0 if none. */
uint32_t sim_fault_bit(const char *name);
/* A fault of kind bit fired. */
static inline void sim_fired(coop_sim *sim, uint32_t bit) { sim->fired |= bit; }
uint64_t sim_on_seq(void *ctx, uint64_t counter);
uint64_t sim_on_seq_fifo(void *ctx, uint64_t counter);
/* The scheduler's allocator (memory.c): the alloc fault, and a count and a list of live blocks. */
void *sim_alloc(void *ctx, void *ptr, size_t old_size, size_t new_size);
/* Frees every block the node's hook handed out and nobody freed: after its scheduler is gone. */
void sim_reclaim(struct sim_node *n);
/* Sets the network's fault rates for the network kinds of mask, at the configured rate. */
void sim_apply_net_faults(coop_sim *sim, uint32_t mask);
/* Whether a fault of kind fires at pct per cent: the chooser decides when it has a fault hook, else rng. */
bool sim_fault_decide(coop_sim *sim, coop_prng *rng, uint32_t kind, uint32_t pct);
/* After a step: the clock-jump fault, when it is on, may move the clock forward. */
void sim_fault_clock_jump(coop_sim *sim);

/* ---- The poller the scheduler sees (poller.c) ---- */

extern const coop_poller_ops sim_poller_ops;

/* ---- Stalls (events.c) ---- */

/* A step of the named task of node n starts: a stall armed for it makes it cost more. */
void sim_stall_step(coop_sim *sim, const struct sim_node *n, const char *task);

/* ---- Scripted events (events.c) ---- */

/* Runs every event due at or before now, in order; returns whether any ran. */
bool sim_run_due_events(coop_sim *sim);
/* The due time of the earliest event, or false when none waits. */
bool sim_next_event(const coop_sim *sim, uint64_t *t_ns);
void sim_events_fini(coop_sim *sim);

#endif
