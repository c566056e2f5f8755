/* The deterministic simulator: virtual time, scripted sockets and faults around one scheduler. */
#ifndef COOP_SIM_H
#define COOP_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "coop/coop.h"
#include "coop/net.h"
#include "coop/program.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct coop_sim coop_sim;

/* How task steps spend virtual time. */
typedef enum coop_sim_profile {
    COOP_SIM_ZERO_COST = 0, /* a step takes step_cost_ns (default 0) */
    COOP_SIM_SEED = 1       /* the seed's model: ms ticks, one step per tick, first step at tick 1 */
} coop_sim_profile;

/* Fault kinds, for the fault mix.  COOP_SIM_FAULTS_FROM_SEED lets the seed choose. */
enum coop_sim_fault {
    COOP_SIM_FAULT_JITTER = 1u << 0,     /* extra latency per delivery */
    COOP_SIM_FAULT_SPLIT = 1u << 1,      /* deliveries split into chunks */
    COOP_SIM_FAULT_SHORT_IO = 1u << 2,   /* reads and writes move less than they could */
    COOP_SIM_FAULT_EAGAIN = 1u << 3,     /* -EAGAIN storms */
    COOP_SIM_FAULT_RESET = 1u << 4,      /* connections reset */
    COOP_SIM_FAULT_REFUSE = 1u << 5,     /* connects refused */
    COOP_SIM_FAULT_CLOCK_JUMP = 1u << 6, /* the clock jumps forward between steps */
    COOP_SIM_FAULT_ALLOC = 1u << 7,      /* the scheduler's allocations fail */
    COOP_SIM_FAULT_POINTS = 1u << 8,     /* coop_fault_point() answers yes */
    COOP_SIM_FAULTS_ALL = 0x1ffu,
    COOP_SIM_FAULTS_FROM_SEED = 1 << 30
};

/*
 * The fault kinds by name: "jitter", "split", "short-io", "eagain",
 * "reset", "refuse", "clock-jump", "alloc", "points" (NULL for a bit that
 * names none).  docs/exploring.md says what each one's rate means.
 */
COOP_API const char *coop_sim_fault_name(uint32_t bit);
/* Parses "none", "all", "seed", "0xMASK" or a list such as "jitter,split"; 0 or -COOP_EINVAL. */
COOP_API int coop_sim_faults_parse(const char *text, uint32_t *mask);
/* Writes "none" or a list such as "jitter,split"; returns the length the whole text needs. */
COOP_API size_t coop_sim_faults_format(uint32_t mask, char *buf, size_t len);

/* Receives every trace line (JSON, no newline) as it is produced. */
typedef void (*coop_sim_line_fn)(void *ctx, const char *line, size_t len);

/*
 * One field of a trace event.  A string field whose str is NULL is
 * written as JSON null.  Strings are the producer's: valid only while the
 * event is being delivered.
 */
typedef enum coop_sim_ftype { COOP_SIM_STR, COOP_SIM_INT, COOP_SIM_UINT, COOP_SIM_BOOL } coop_sim_ftype;
typedef struct coop_sim_field {
    const char *key;
    coop_sim_ftype type;
    union {
        const char *str;
        int64_t i;
        uint64_t u;
        bool b;
    } v;
} coop_sim_field;
#define COOP_SIM_MAX_FIELDS 16 /* fields of one event beyond t_ns and ev; more are cut */

/*
 * A trace event, structured: what every JSON line of the trace says
 * (docs/trace-format.md), in the same order, together with that line.
 */
typedef struct coop_sim_event {
    uint64_t seq; /* its index in the trace, from 0 */
    uint64_t t_ns;
    const char *ev;
    const coop_sim_field *fields;
    size_t nfields;
    const char *line; /* the JSON line, without a newline */
    size_t len;
} coop_sim_event;
/* Receives every trace event as it is produced. */
typedef void (*coop_sim_record_fn)(void *ctx, const coop_sim_event *e);
/* The field of e named key (never t_ns or ev, which are members), or NULL. */
COOP_API const coop_sim_field *coop_sim_field_of(const coop_sim_event *e, const char *key);
/* The string field key of e, or NULL when it is absent, null or not a string. */
COOP_API const char *coop_sim_field_str(const coop_sim_event *e, const char *key);
/* The integer field key of e, signed or not, if it fits in int64_t: true and *out, else false. */
COOP_API bool coop_sim_field_int(const coop_sim_event *e, const char *key, int64_t *out);

/*
 * A node: one scheduler with its own host (address, fds, ports) on the
 * simulation's network and clock.  A simulation has one node, "main" at
 * 10.0.0.1, unless its configuration lists several.
 */
#define COOP_SIM_NODE_NAME_MAX 31
typedef struct coop_sim_node_spec {
    const char *name; /* letters, digits, '-' and '_', at most COOP_SIM_NODE_NAME_MAX bytes */
    const char *addr; /* a dotted quad; NULL: 10.0.0.N for the N-th node */
} coop_sim_node_spec;

/*
 * A schedule chooser (coop/strategy.h builds them): pick chooses which of
 * n tied tasks runs first (see coop_pick_fn), and observe, which may be
 * NULL, sees every scheduler event and every network event (as a
 * COOP_TR_IO event with its fd), so that a search can tell which steps
 * touch common state.  An unset pick keeps the ready order.  fault, which
 * may be NULL, decides each fault of an enabled class that could apply
 * (a fault point, a split, a short read or write, an EAGAIN, a reset, a
 * refusal, an allocation failure; kind is its COOP_SIM_FAULT_* bit and
 * pct the rate the seed would fire it at, in per cent): it returns
 * whether the fault fires.  An unset fault leaves the decisions to the
 * seed.  Sizes (how much a short read moves) and the jitter and
 * clock-jump faults stay the seed's either way.
 */
typedef struct coop_sim_chooser {
    uint32_t (*pick)(void *ctx, const uint32_t *tids, uint32_t n);
    void (*observe)(void *ctx, const coop_trace_event *e);
    void *ctx;
    bool (*fault)(void *ctx, uint32_t kind, uint32_t pct);
} coop_sim_chooser;

typedef struct coop_sim_config {
    uint64_t seed;
    uint64_t start_ns; /* the clock's start offset */
    coop_sim_profile profile;
    uint64_t step_cost_ns; /* COOP_SIM_ZERO_COST only */
    uint64_t max_steps;    /* 0: 100,000,000 */
    uint64_t max_time_ns;  /* 0: 24 hours after start */
    uint64_t busy_steps;   /* steps without idling before a busy loop is reported; 0: 1,000,000 */
    uint32_t faults;       /* enum coop_sim_fault bits */
    uint32_t fault_pct;    /* the rate of each enabled fault, in %; 0: 5 */
    bool permute_ties;     /* the seed permutes tasks due at the same instant with the same prio */
    bool tick32;           /* the scheduler reads a 32-bit ms counter through the tick adapter */
    bool stop_on_error;    /* the run stops at the first failing step */
    bool fault_peers;      /* reset and refuse also hit the scripted peers' segments and connects */
    uint32_t trace_tail;   /* trace lines kept for reports; 0: 40 */
    bool trace_off;        /* no trace at all (no hash, no tail, no on_line): for speed measurements */
    coop_sim_line_fn on_line;
    void *on_line_ctx;
    coop_sim_record_fn on_event; /* the same events, structured */
    void *on_event_ctx;
    const coop_sim_node_spec *nodes; /* nnodes of them, at most 64; 0: one node, "main" */
    size_t nnodes;
    bool verify; /* check the scheduler's and the network's invariants after every step (slow) */
    /*
     * Trace events after which the run stops with COOP_SIM_TRACE_LIMIT,
     * so that a consumer keeping events keeps a bounded number (a step
     * of many events may pass it by those); 0: no limit.
     */
    uint64_t max_events;
    coop_sim_chooser chooser; /* with pick set, it orders ties in place of permute_ties */
} coop_sim_config;

typedef enum coop_sim_status {
    COOP_SIM_RUNNING = 0, /* a step ran and more may follow */
    COOP_SIM_UNTIL,       /* the requested time was reached */
    COOP_SIM_DONE,        /* no task is left and nothing is scripted */
    COOP_SIM_HANG,        /* tasks remain, every one blocked, nothing scripted */
    COOP_SIM_STOPPED,     /* KillOs */
    COOP_SIM_FAILED,      /* a step failed and stop_on_error is set */
    COOP_SIM_STEP_LIMIT,
    COOP_SIM_TIME_LIMIT,
    COOP_SIM_BUSY_LOOP,
    COOP_SIM_TRACE_LIMIT /* coop_sim_config.max_events trace events were produced */
} coop_sim_status;

COOP_API const char *coop_sim_status_name(coop_sim_status st);

COOP_API coop_sim *coop_sim_new(const coop_sim_config *cfg);
COOP_API void coop_sim_free(coop_sim *sim);
/* The first node's scheduler. */
COOP_API coop_sched *coop_sim_sched(coop_sim *sim);
COOP_API size_t coop_sim_node_count(const coop_sim *sim);
/* The index of the node named name, or -COOP_ENOENT. */
COOP_API int coop_sim_node_index(const coop_sim *sim, const char *name);
COOP_API const char *coop_sim_node_name(const coop_sim *sim, size_t node);
/* Node i's scheduler; NULL while the node is down, or for no such node. */
COOP_API coop_sched *coop_sim_node_sched(coop_sim *sim, size_t node);
/*
 * Starts a program on a node (coop_sim_start: on the first): its log
 * lines become "log" trace events, and a restart of the node runs it
 * again with the same arguments (which are copied).  Returns what the
 * program's start function returned, or -COOP_EINVAL, -COOP_ESRCH (the
 * node is down), -COOP_ENOMEM.
 */
COOP_API int coop_sim_node_start(coop_sim *sim, size_t node, const coop_program *program, int argc,
                                 char **argv);
COOP_API int coop_sim_start(coop_sim *sim, const coop_program *program, int argc, char **argv);
COOP_API coop_net *coop_sim_net(coop_sim *sim);
COOP_API uint64_t coop_sim_now(const coop_sim *sim);
COOP_API uint64_t coop_sim_steps(const coop_sim *sim);
/* Live tasks on every node that is up. */
COOP_API size_t coop_sim_task_count(const coop_sim *sim);
COOP_API uint64_t coop_sim_seed(const coop_sim *sim);
/* The fault mix in force (after COOP_SIM_FAULTS_FROM_SEED has been resolved). */
COOP_API uint32_t coop_sim_faults(const coop_sim *sim);
/* Whether the seed permutes tasks due at the same instant (coop_sim_config.permute_ties). */
COOP_API bool coop_sim_ties_permuted(const coop_sim *sim);
/*
 * The fault kinds (enum coop_sim_fault bits) that fired so far: decided
 * by the seed and fired, not merely enabled.  A scenario's scripted faults
 * are not counted.
 */
COOP_API uint32_t coop_sim_faults_fired(const coop_sim *sim);
/*
 * With ties permuted (and no chooser): the names of the tasks that ran
 * before a task queued earlier for the same instant with the same prio,
 * that is, whose tie order differed from first-in, first-out.  Written
 * sorted, comma-separated, into buf (cut to fit); returns the length the
 * whole list needs.  "" when none did.
 */
COOP_API size_t coop_sim_ties_differed(const coop_sim *sim, char *buf, size_t len);

/* ---- Moving time ---- */

/*
 * Switches the network fault kinds of mask on, and the others off, from
 * now on, at the simulation's fault rate: what a scenario's `fault net`
 * line does.  The other kinds of mask are ignored.
 */
COOP_API void coop_sim_set_net_faults(coop_sim *sim, uint32_t mask);

/* Runs one task step, first jumping to the next due time if nothing is due now. */
COOP_API coop_sim_status coop_sim_step(coop_sim *sim);
/* Runs everything due up to now + dt, then sets the clock to now + dt. */
COOP_API coop_sim_status coop_sim_advance(coop_sim *sim, uint64_t dt_ns);
/* Runs everything due up to t, then sets the clock to t. */
COOP_API coop_sim_status coop_sim_run_until(coop_sim *sim, uint64_t t_ns);
/* Runs until every task is blocked with nothing scripted, no task is left, KillOs, or a limit. */
COOP_API coop_sim_status coop_sim_run(coop_sim *sim);

/* ---- Scripted events, at absolute virtual times; ties run in the order they were added ---- */

typedef void (*coop_sim_event_fn)(coop_sim *sim, void *arg);
COOP_API int coop_sim_at(coop_sim *sim, uint64_t t_ns, coop_sim_event_fn fn, void *arg);
COOP_API int coop_sim_signal_at(coop_sim *sim, uint64_t t_ns, const char *name, int64_t value);
COOP_API int coop_sim_kill_at(coop_sim *sim, uint64_t t_ns, const char *task_name);
COOP_API int coop_sim_jump_at(coop_sim *sim, uint64_t t_ns, uint64_t dt_ns);
/* The same on a given node: a signal sent, a task killed (the first live one of that name). */
COOP_API int coop_sim_node_signal_at(coop_sim *sim, uint64_t t_ns, size_t node, const char *name,
                                     int64_t value);
COOP_API int coop_sim_node_kill_at(coop_sim *sim, uint64_t t_ns, size_t node, const char *task_name);
/*
 * A one-time stall: the first step that the named task of the node runs
 * at or after t_ns costs cost_ns of virtual time, as a step cost would
 * (the clock moves on by it after the step).  Stalls of one task add up.
 */
COOP_API int coop_sim_stall_at(coop_sim *sim, uint64_t t_ns, size_t node, const char *task_name,
                               uint64_t cost_ns);
/*
 * The node crashes at t_ns: its host goes down (see "Crashes" in
 * coop/net.h) and its scheduler is freed without running any more task
 * code, cleanups included.  A restart brings the host up and runs the
 * node's program again on a fresh scheduler with the same arguments.
 */
COOP_API int coop_sim_crash_at(coop_sim *sim, uint64_t t_ns, size_t node);
COOP_API int coop_sim_restart_at(coop_sim *sim, uint64_t t_ns, size_t node);
/*
 * From t_ns a partition separates nodes a and b (or heals, when cut is
 * false); -1 names the world outside the nodes, where peers live.  See
 * "Loss" in coop/net.h for what happens to what they send meanwhile.
 */
COOP_API int coop_sim_partition_at(coop_sim *sim, uint64_t t_ns, int a, int b, bool cut);
/*
 * The link of connections created from now on between nodes a and b
 * (-1: the outside world), either way; without one, a connection uses
 * the default link (coop_net_set_link with conn 0).  0, or -COOP_EINVAL.
 */
COOP_API int coop_sim_set_link(coop_sim *sim, int a, int b, const coop_net_link *link);

/*
 * Peers.  A peer connection is named by a handle that coop_sim_peer_connect_at
 * returns at once; the connection itself is made when the event runs.
 */
COOP_API int coop_sim_peer_connect_at(coop_sim *sim, uint64_t t_ns, uint16_t port);
/* The same toward a port of node `node` rather than the first one. */
COOP_API int coop_sim_peer_connect_node_at(coop_sim *sim, uint64_t t_ns, size_t node, uint16_t port);
/*
 * A scripted server: from t_ns a peer listener at the outside address
 * addr (NULL: every outside address) and port does what mode says with
 * the program's connection requests (coop/net.h).  Returns 0 or a
 * negative COOP_E* code; the connections it accepts are named by
 * coop_sim_peer_accepted.  Unlisten stops it.
 */
COOP_API int coop_sim_peer_listen_at(coop_sim *sim, uint64_t t_ns, const char *addr, uint16_t port,
                                     coop_net_listen_mode mode, uint64_t accept_delay_ns);
COOP_API int coop_sim_peer_unlisten_at(coop_sim *sim, uint64_t t_ns, const char *addr, uint16_t port);
/*
 * A peer handle for the n-th connection (from 1) that the peer listener
 * at addr (NULL: every outside address) and port accepts, usable with
 * every coop_sim_peer_*_at call even before that connection exists.
 */
COOP_API int coop_sim_peer_accepted(coop_sim *sim, const char *addr, uint16_t port, uint32_t n);
COOP_API int coop_sim_peer_send_at(coop_sim *sim, uint64_t t_ns, int peer, const void *buf, size_t len,
                                   size_t chunk);
COOP_API int coop_sim_peer_shutdown_at(coop_sim *sim, uint64_t t_ns, int peer);
COOP_API int coop_sim_peer_close_at(coop_sim *sim, uint64_t t_ns, int peer);
COOP_API int coop_sim_peer_reset_at(coop_sim *sim, uint64_t t_ns, int peer);
COOP_API int coop_sim_peer_reading_at(coop_sim *sim, uint64_t t_ns, int peer, bool reading);
/* The network connection of a peer handle: 0 before it connected (or was accepted), -1 if it was refused. */
COOP_API int64_t coop_sim_peer_conn(const coop_sim *sim, int peer);

/* ---- The end of a run ---- */

/* What a program left behind at the end of a run (coop_sim_shutdown). */
typedef struct coop_sim_leaks {
    size_t tasks;   /* tasks alive when the run ended */
    uint32_t fds;   /* fds still open once every task had ended and run its cleanup */
    uint64_t bytes; /* bytes allocated through the schedulers' hook (coop_mem_alloc) and never freed */
} coop_sim_leaks;

/*
 * Ends the run: frees every node's scheduler, which kills the tasks still
 * alive and runs their cleanups, without tracing any of it, then counts
 * what the program left: fds its hosts still hold, and bytes its
 * schedulers' allocator hook handed out and never got back (the core
 * frees all of its own).  A node that crashed left nothing: what it held
 * died with it.  Afterwards no task runs; the network (captures,
 * connection states) and the clock stay readable, and coop_sim_emit
 * still adds events to the trace.
 */
COOP_API void coop_sim_shutdown(coop_sim *sim, coop_sim_leaks *out);

/* ---- Reports and the trace ---- */

/* Appends a trace event of the caller's own at the current time, e.g. an expectation's outcome. */
COOP_API void coop_sim_emit(coop_sim *sim, const char *ev, const coop_sim_field *fields, size_t n);
/* FNV-1a 64 of every trace line so far, newline-terminated: equal hashes mean equal traces. */
COOP_API uint64_t coop_sim_trace_hash(const coop_sim *sim);
COOP_API uint64_t coop_sim_trace_count(const coop_sim *sim);
/* The last trace lines, oldest first; i from 0 to count-1. */
COOP_API size_t coop_sim_tail_count(const coop_sim *sim);
COOP_API const char *coop_sim_tail_line(const coop_sim *sim, size_t i);
/*
 * Writes a report for a hang or a failure: the time, every live task with
 * what it waits on, and the tail of the trace.  Returns the length that
 * the whole report needs; at most len - 1 bytes are written.
 */
COOP_API size_t coop_sim_report(const coop_sim *sim, char *buf, size_t len);
/*
 * The message test adapters show when a check fails inside a simulation,
 * made to fit in len bytes (NUL included), whatever the simulation holds:
 *
 *     simulation failed: WHAT (seed S, t=T ns)
 *       condition: COND                  (when cond is not NULL)
 *       reproduce: --seed S --faults 0xM --ties fifo|permute
 *     at t=T ns after N steps, K task(s) alive:
 *       NAME (tid I): waits on ...       (while half the room is left)
 *       ... and J more
 *     last E trace events (O older ones left out to fit):
 *       {"t_ns":...}                     (the newest ones, oldest first)
 *
 * The reproduce line gives the seed, the resolved fault mix and the tie
 * order as `coop run` writes them; in a coop_sim_config they are .seed,
 * .faults and .permute_ties.  A line longer than COOP_SIM_MSG_LINE_MAX
 * bytes is cut and ends with "...".  Returns the length written.
 */
#define COOP_SIM_MSG_LINE_MAX 400
COOP_API size_t coop_sim_failure_message(const coop_sim *sim, const char *what, const char *cond, char *buf,
                                         size_t len);

/* ---- The state of the world ---- */

/*
 * Starts noting, for every task, since when it waits (its last yield)
 * and what woke it last, which coop_sim_describe shows.  Call it before
 * the first step; it costs a little on every scheduler event.  0, or
 * -COOP_ENOMEM.
 */
COOP_API int coop_sim_track_waits(coop_sim *sim);
/*
 * Writes the world as it stands, as text with no addresses in it (the
 * same simulation at the same step writes the same text): for each node
 * every live task with its tid, name, prio and state (ready and what woke
 * it, due at a time, or blocked on signals, fds with their direction, a
 * task, a connect, with its timeout), its timers in order, the signals
 * its tasks wait on; the signals the script still sends; then every
 * listener and connection (coop_net_describe).  peer_names[h], when not
 * NULL, names peer handle h (npeer_names of them).  docs/runner.md
 * describes the format.
 */
COOP_API void coop_sim_describe(const coop_sim *sim, FILE *out, const char *const *peer_names,
                                size_t npeer_names);

/*
 * The determinism self-check: builds the same simulation twice (setup
 * spawns the tasks and scripts the events; drive runs it, NULL meaning
 * coop_sim_run) and compares the two traces event by event.  Returns 0
 * when they are identical, writing "identical: N events, hash H" into
 * report; 1 when they differ, writing the index of the first differing
 * event and both versions of it; a negative code when a run could not
 * be set up.
 */
typedef int (*coop_sim_setup_fn)(coop_sim *sim, void *ctx);
typedef coop_sim_status (*coop_sim_drive_fn)(coop_sim *sim, void *ctx);
COOP_API int coop_sim_selfcheck(const coop_sim_config *cfg, coop_sim_setup_fn setup, coop_sim_drive_fn drive,
                                void *ctx, char *report, size_t len);

#ifdef __cplusplus
}
#endif

#endif
