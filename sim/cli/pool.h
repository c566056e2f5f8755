/* The worker processes of the coop command: items run in forked workers, so a crash or a hang costs one item. */
#ifndef COOP_SIM_CLI_POOL_H
#define COOP_SIM_CLI_POOL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coop/scenario.h"

/* ---- Messages: what a worker sends back for one item, as bytes ---- */

/* A growing byte buffer; `pos` is where the next get reads. */
struct cli_msg {
    char *p;
    size_t len, cap, pos;
    bool bad; /* a put ran out of memory, or a get read past the end */
};
void cli_msg_put(struct cli_msg *m, const void *data, size_t len);
void cli_msg_u64(struct cli_msg *m, uint64_t v);
/* A string, NULL included (read back as NULL). */
void cli_msg_str(struct cli_msg *m, const char *s);
uint64_t cli_msg_get_u64(struct cli_msg *m);
/* Points into the buffer: valid as long as it is. */
const char *cli_msg_get_str(struct cli_msg *m);
void cli_msg_fini(struct cli_msg *m);

/* ---- The watch page: what a worker is doing, in memory its parent shares ---- */

#define CLI_WATCH_IDLE UINT64_MAX
#define CLI_WATCH_TAIL 8   /* trace lines kept */
#define CLI_WATCH_LINE 240 /* bytes kept of each, NUL included */
#define CLI_WATCH_NAME 64  /* bytes kept of a task's or a node's name, NUL included */

/*
 * One page per worker.  The atomics are read by the parent while the
 * worker runs (to time items out) and `stop` is written by it; everything
 * else is written by the worker alone and read by the parent only once
 * the worker has died, so it needs no lock.
 */
struct cli_watch {
    _Atomic uint64_t item;       /* the item under way, or CLI_WATCH_IDLE */
    _Atomic uint64_t started_ns; /* when it started, on the monotonic clock */
    _Atomic uint32_t stop;       /* nonzero: take no further item */
    bool have_sim;               /* the run's settings below are known */
    uint64_t seed;
    uint32_t faults; /* the resolved fault mix */
    bool permute_ties;
    bool in_step;    /* a task step was under way at the last event */
    uint32_t tid;    /* of the task of the last step started; 0: none yet */
    unsigned resume; /* its resume line when that step started (0: its setup, or unknown) */
    char task[CLI_WATCH_NAME];
    char node[CLI_WATCH_NAME]; /* its node, "" with one node */
    uint64_t nev;              /* trace events seen; the last ones are in tail, by nev % CLI_WATCH_TAIL */
    char tail[CLI_WATCH_TAIL][CLI_WATCH_LINE];
};

/* In a worker process: its own page (each worker is a process, so one static serves). */
extern struct cli_watch *cli__watch_page;

/* In a worker: sets the overrides' observer so that the run's events reach the worker's page. */
void cli_watch_observe(coop_scn_overrides *ov);

/* ---- The pool ---- */

enum cli_outcome_kind {
    CLI_OUT_DONE,    /* the job returned; data is what it wrote */
    CLI_OUT_CRASH,   /* the worker died during the item */
    CLI_OUT_TIMEOUT, /* the item ran past the time limit and its worker was killed */
};

/* What the parent learns of one item. */
struct cli_outcome {
    enum cli_outcome_kind kind;
    struct cli_msg *data;          /* CLI_OUT_DONE */
    uint64_t wall_ns;              /* how long the item took (until its worker died, for the others) */
    int signal;                    /* CLI_OUT_CRASH: the signal that ended the worker, or 0 */
    int exit_status;               /* CLI_OUT_CRASH without a signal: the worker's exit status */
    const struct cli_watch *watch; /* CLI_OUT_CRASH, CLI_OUT_TIMEOUT: what the worker noted */
};

struct cli_pool_cfg {
    uint64_t n;           /* the items are 0 .. n-1 */
    int workers;          /* processes, at least 1 */
    uint64_t timeout_ns;  /* wall time one item may take; 0: no limit */
    uint64_t budget_ns;   /* wall time after which no further item is started; 0: no limit */
    bool after_interrupt; /* run even though a first interruption has come (to finish reports) */
    /* In a worker: runs item i and writes its result to out. */
    void (*job)(void *ctx, uint64_t i, struct cli_msg *out);
    /* In the parent, for each item that ran, in no set order; false stops taking new items. */
    bool (*done)(void *ctx, uint64_t i, const struct cli_outcome *o);
    /* In the parent, about ten times a second: for a progress bar.  May be NULL. */
    void (*tick)(void *ctx);
    void *ctx;
};

/* How a pool ended. */
struct cli_pool_end {
    uint64_t finished; /* items reported to done */
    bool interrupted;  /* a first SIGINT or SIGTERM came */
    bool budget_out;   /* the budget ran out */
    bool stopped;      /* done asked to stop */
    bool broken;       /* workers could not be started or kept alive; the rest did not run */
};

/* After a first interruption, items under way may finish for this long; then they are abandoned (not run). */
#define CLI_INTERRUPT_GRACE_NS (2 * UINT64_C(1000000000))

/* Runs the items; 0, or -1 when no worker could be started at all. */
int cli_pool_run(const struct cli_pool_cfg *cfg, struct cli_pool_end *end);

/* ---- Interruption ---- */

/*
 * From the first call on, SIGINT and SIGTERM no longer end the process:
 * the first one sets a flag that pools and commands read; a second one
 * kills the workers and ends the process at once with 128 + its number.
 */
void cli_interrupt_install(void);
/* Gives SIGINT and SIGTERM back what they did before cli_interrupt_install. */
void cli_interrupt_uninstall(void);
/* The number of the first signal that came, or 0. */
int cli_interrupted(void);
/* A descriptor that becomes readable when a signal comes, for poll. */
int cli_interrupt_fd(void);
/* Worker pids the second signal must kill (0: an empty slot). */
void cli_interrupt_track(size_t slot, int pid);
#define CLI_MAX_WORKERS 64

/* The monotonic clock in nanoseconds: wall time bounds and measures runs; no result depends on it. */
uint64_t cli_now_ns(void);

#endif
