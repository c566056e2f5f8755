/* The deterministic simulator: virtual time, scripted sockets and faults around one scheduler. */
#ifndef COOP_SIM_H
#define COOP_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* Receives every trace line (JSON, no newline) as it is produced. */
typedef void (*coop_sim_line_fn)(void *ctx, const char *line, size_t len);

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
    uint32_t trace_tail;   /* trace lines kept for reports; 0: 40 */
    bool trace_off;        /* no trace at all (no hash, no tail, no on_line): for speed measurements */
    coop_sim_line_fn on_line;
    void *on_line_ctx;
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
    COOP_SIM_BUSY_LOOP
} coop_sim_status;

COOP_API const char *coop_sim_status_name(coop_sim_status st);

COOP_API coop_sim *coop_sim_new(const coop_sim_config *cfg);
COOP_API void coop_sim_free(coop_sim *sim);
COOP_API coop_sched *coop_sim_sched(coop_sim *sim);
COOP_API coop_net *coop_sim_net(coop_sim *sim);
COOP_API uint64_t coop_sim_now(const coop_sim *sim);
COOP_API uint64_t coop_sim_steps(const coop_sim *sim);
COOP_API uint64_t coop_sim_seed(const coop_sim *sim);
/* The fault mix in force (after COOP_SIM_FAULTS_FROM_SEED has been resolved). */
COOP_API uint32_t coop_sim_faults(const coop_sim *sim);
/* Whether the seed permutes tasks due at the same instant (coop_sim_config.permute_ties). */
COOP_API bool coop_sim_ties_permuted(const coop_sim *sim);

/*
 * Starts a program inside the simulation: its log lines become "log"
 * trace events.  Returns what the program's start function returned.
 */
COOP_API int coop_sim_start(coop_sim *sim, const coop_program *program, int argc, char **argv);

/* ---- Moving time ---- */

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

/*
 * Peers.  A peer connection is named by a handle that coop_sim_peer_connect_at
 * returns at once; the connection itself is made when the event runs.
 */
COOP_API int coop_sim_peer_connect_at(coop_sim *sim, uint64_t t_ns, uint16_t port);
COOP_API int coop_sim_peer_send_at(coop_sim *sim, uint64_t t_ns, int peer, const void *buf, size_t len,
                                   size_t chunk);
COOP_API int coop_sim_peer_shutdown_at(coop_sim *sim, uint64_t t_ns, int peer);
COOP_API int coop_sim_peer_close_at(coop_sim *sim, uint64_t t_ns, int peer);
COOP_API int coop_sim_peer_reset_at(coop_sim *sim, uint64_t t_ns, int peer);
COOP_API int coop_sim_peer_reading_at(coop_sim *sim, uint64_t t_ns, int peer, bool reading);
/* The network connection of a peer handle: 0 before it connected, -1 if it was refused. */
COOP_API int64_t coop_sim_peer_conn(const coop_sim *sim, int peer);

/* ---- Reports and the trace ---- */

/* Appends a JSON trace line of the caller's own, e.g. an expectation's outcome. */
COOP_API void coop_sim_trace_line(coop_sim *sim, const char *ev, const char *json_fields);
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
