/* Scenario files: the parsed form of a .scn file, the parser, and the runner that checks it in the simulator. */
#ifndef COOP_SCENARIO_H
#define COOP_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coop/program.h"
#include "coop/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bounds on what one scenario may hold; a file beyond them is a parse error, never a crash. */
#define COOP_SCN_MAX_FILE (1u << 20)  /* bytes of scenario text */
#define COOP_SCN_MAX_LINE 4096        /* bytes per line */
#define COOP_SCN_MAX_BYTES (1u << 24) /* bytes one send or recv may name */
#define COOP_SCN_MAX_TOTAL (1u << 26) /* bytes all sends and recvs of a file may name together */
#define COOP_SCN_MAX_ARGS 32          /* program arguments */
#define COOP_SCN_MAX_PEERS 64         /* distinct peer names */
#define COOP_SCN_MAX_PATTERN 12       /* key=value pairs in one trace pattern */
#define COOP_SCN_MAX_NODES 16         /* nodes of one scenario */
#define COOP_SCN_MAX_LINKS 32         /* links set between pairs of nodes */
#define COOP_SCN_MAX_ERR 512          /* bytes of an error message */
#define COOP_SCN_NO_TIME UINT64_MAX   /* an unset time */
/*
 * Trace events one run produces at most: the run then ends with
 * trace-limit.  The expectations look back over every event, so a run
 * keeps them (about 100 bytes each); this bounds that memory.
 */
#define COOP_SCN_MAX_EVENTS (1u << 21)

/* What a timed line does. */
typedef enum coop_scn_op {
    COOP_SCN_CONNECT,         /* a peer connects to a port */
    COOP_SCN_SEND,            /* a peer sends bytes */
    COOP_SCN_SHUTDOWN,        /* a peer half-closes */
    COOP_SCN_CLOSE,           /* a peer closes */
    COOP_SCN_RESET,           /* a peer resets */
    COOP_SCN_STOP_READING,    /* a peer stops reading */
    COOP_SCN_RESUME_READING,  /* a peer reads again */
    COOP_SCN_SIGNAL,          /* a signal from outside */
    COOP_SCN_KILL,            /* a named task is killed */
    COOP_SCN_JUMP,            /* the clock jumps forward */
    COOP_SCN_FAULT_RESET,     /* fault: the connection is reset */
    COOP_SCN_FAULT_JUMP,      /* fault: the clock jumps */
    COOP_SCN_FAULT_NET,       /* fault: network fault kinds switch on (or off) from now */
    COOP_SCN_LISTEN,          /* a scripted server listens; its first connection is the line's peer */
    COOP_SCN_REFUSE,          /* connection requests to an outside port are answered with a reset */
    COOP_SCN_DROP,            /* connection requests to an outside port get no answer */
    COOP_SCN_UNLISTEN,        /* the scripted server or rule at an outside port goes */
    COOP_SCN_PARTITION,       /* a partition separates two nodes (or a node and the outside) */
    COOP_SCN_HEAL,            /* and heals */
    COOP_SCN_CRASH,           /* a node crashes */
    COOP_SCN_RESTART,         /* a crashed node starts again */
    COOP_SCN_STALL,           /* the next step of a task costs virtual time, once */
    COOP_SCN_EXPECT_RECV,     /* the peer receives exact bytes (the first expectation: see is_expect) */
    COOP_SCN_EXPECT_SILENT,   /* the program writes nothing more to the peer */
    COOP_SCN_EXPECT_CLOSED,   /* the program closes the connection */
    COOP_SCN_EXPECT_SHUT,     /* the program half-closes the connection */
    COOP_SCN_EXPECT_RESET,    /* the program resets the connection */
    COOP_SCN_EXPECT_STATE,    /* the connection's state, as the peer sees it */
    COOP_SCN_EXPECT_TRACE,    /* a trace event, in order after the previous expectation */
    COOP_SCN_EXPECT_ANYWHERE, /* a trace event, anywhere */
    COOP_SCN_EXPECT_NEVER,    /* no such trace event in the time given */
    COOP_SCN_EXPECT_EXIT,     /* a task ends with a status */
    COOP_SCN_EXPECT_END,      /* how the run ends */
    COOP_SCN_EXPECT_CONNECT,  /* a scripted server accepted the program's connection, as the peer */
    COOP_SCN_EXPECT_LEAK,     /* the program leaves fds, bytes or tasks behind (name; value, -1: any) */
    COOP_SCN_EXPECT_SOMETIMES /* a trace event in the window in some run: never fails a run; a sweep needs it */
} coop_scn_op;

/* How a line's time constrains an expectation. */
typedef enum coop_scn_when {
    COOP_SCN_AT,     /* exactly at lo_ns (= hi_ns) */
    COOP_SCN_WINDOW, /* lo_ns <= t <= hi_ns: a window or a tolerance */
    COOP_SCN_BEFORE, /* t < hi_ns; lo_ns is 0 */
    COOP_SCN_ANY     /* any time in the run */
} coop_scn_when;

/* One key=value of a trace pattern; a value may hold '*' wildcards. */
typedef struct coop_scn_pair {
    char *key;
    char *val;
} coop_scn_pair;

/*
 * One timed line.  at_ns is when an injection happens, and the anchor the
 * next relative time counts from.  For expectations, [lo_ns, hi_ns] is
 * the window the evidence must fall in, and hi_ns the instant at which
 * the expectation is decided (UINT64_MAX for COOP_SCN_ANY: at the end).
 */
typedef struct coop_scn_line {
    unsigned line, col; /* of the line's first token, 1-based */
    coop_scn_op op;
    coop_scn_when when;
    uint64_t at_ns, lo_ns, hi_ns;
    int peer;   /* index into the scenario's peers, or -1 */
    int node;   /* the node it acts on or is about (connect, signal, kill, stall, exit, crash...); -1: any */
    int other;  /* PARTITION, HEAL: the other node; -1 for the world outside */
    char *name; /* signal, task, state or end-status name; owned */
    char *addr; /* LISTEN, REFUSE, DROP, UNLISTEN: the outside address, NULL for every one; owned */
    int64_t value;     /* signal value, port, jump or stall ns, exit status, fault mask */
    uint64_t delay_ns; /* LISTEN: how long after a request arrives it is accepted */
    bool killed;       /* EXPECT_EXIT: the task was killed rather than exiting */
    bool any_status;
    uint8_t *bytes; /* SEND, EXPECT_RECV; owned */
    size_t len, chunk;
    coop_scn_pair pat[COOP_SCN_MAX_PATTERN];
    int npat;
    char *text; /* the line as written, for reports; owned */
} coop_scn_line;

/* A node: its name, its address (NULL: automatic), and the program it runs with its arguments. */
typedef struct coop_scn_node {
    char *name;
    char *addr;
    char *program;
    char *argv[COOP_SCN_MAX_ARGS + 1];
    int argc;
    unsigned line; /* where it was declared */
} coop_scn_node;

/*
 * A peer: a scripted client (its connect line), or the n-th connection
 * that the scripted server at addr:port accepts.  A listen line declares
 * NAME for the first one; NAME.2, NAME.3 ... name the next ones.
 */
typedef struct coop_scn_peer {
    char *name;
    bool accepted;
    char *addr;    /* accepted: the listener's outside address, NULL for every one */
    uint16_t port; /* accepted: the listener's port */
    uint32_t n;    /* accepted: which of its connections, from 1 */
} coop_scn_peer;

/* A link set between two nodes (-1: the world outside). */
typedef struct coop_scn_link {
    int a, b;
    coop_net_link link;
} coop_scn_link;

/* Which settings the file gave, so that command-line overrides and defaults can be told apart. */
typedef struct coop_scenario {
    char *path;
    /* The nodes: one "main" for a `program` line, or those of the `node` lines. */
    coop_scn_node nodes[COOP_SCN_MAX_NODES];
    int nnodes;
    coop_sim_config cfg; /* seed, limits, profile, faults, ties; on_line unset */
    bool has_seed, has_faults, has_ties;
    uint64_t run_until_ns; /* COOP_SCN_NO_TIME: run until nothing can happen */
    bool has_link;
    coop_net_link link; /* every connection's, unless one between its nodes is set */
    coop_scn_link links[COOP_SCN_MAX_LINKS];
    int nlinks;
    size_t send_buf, recv_buf;
    coop_scn_peer peers[COOP_SCN_MAX_PEERS];
    int npeers;
    coop_scn_line *lines;
    size_t nlines, cap;
    unsigned setting_line[24]; /* the line of each setting, 0 if absent (see parser.c) */
    char *schedule; /* a `schedule` line's tie choices to replay (coop/strategy.h); owned, or NULL */
} coop_scenario;

/*
 * Parses a scenario held in memory.  On success returns 0 and *out owns
 * the scenario (free with coop_scenario_free).  On a malformed file
 * returns -COOP_EINVAL and writes "PATH:LINE:COL: error: MESSAGE" (with a
 * "\n  hint: ..." line when one helps) to err.  Never reads any file.
 */
COOP_API int coop_scenario_parse(const char *path, const char *text, size_t len, coop_scenario **out,
                                 char *err, size_t errlen);
/* Reads PATH (at most COOP_SCN_MAX_FILE bytes) and parses it. */
COOP_API int coop_scenario_load(const char *path, coop_scenario **out, char *err, size_t errlen);
COOP_API void coop_scenario_free(coop_scenario *scn);

/* Overrides applied on top of a scenario's settings, by the command line or by explore. */
typedef struct coop_scn_overrides {
    bool seed_set;
    uint64_t seed;
    bool faults_set;
    uint32_t faults; /* may be COOP_SIM_FAULTS_FROM_SEED */
    bool ties_set;
    bool permute_ties;
    bool brief; /* no trace events or task list in the report: explore needs only the signature */
    const coop_sim_chooser *chooser; /* NULL, or a schedule chooser (coop/strategy.h) */
    const char *schedule;            /* NULL, or a written schedule to replay (coop/strategy.h) */
    /*
     * When set, receives every JSON line of the trace as it is produced,
     * up to and including the end event: the way to write a trace of any
     * length without keeping it (keep_trace keeps it in memory).
     */
    coop_sim_line_fn on_line;
    void *on_line_ctx;
    /*
     * When set, also receives every trace event as it is produced, with
     * the simulation it comes from (NULL while the simulation is being
     * created): the command's workers note the step under way with it.
     */
    void (*observe)(void *ctx, coop_sim *sim, const coop_sim_event *e);
    void *observe_ctx;
    /*
     * Stop points (coop run --until-step, --until): the run stops right
     * after step until_step, or once everything due at or before until_ns
     * has run, checks no expectation, and writes the world
     * (coop_sim_describe) and the last trace events into res->world.
     */
    bool until_step_set;
    uint64_t until_step;
    bool until_time_set;
    uint64_t until_ns;
} coop_scn_overrides;

/*
 * How an expectation failed, the manner part of a failure's signature.
 * EARLY, LATE: the evidence exists but outside the window; MISSING: no
 * evidence at all by the time the line was decided; DIFFERENT: the
 * evidence differs (other bytes, another status or state); PRESENT: what
 * the line forbids happened (`expect never`, `expect silent`); CRASH:
 * missing because a task of the program failed first; HANG: missing
 * because every task was blocked with nothing left to happen; RUN: a
 * failure of the run as a whole (a limit, a leak), which no line states.
 */
typedef enum coop_scn_how {
    COOP_SCN_HOW_NONE = 0,
    COOP_SCN_HOW_EARLY,
    COOP_SCN_HOW_LATE,
    COOP_SCN_HOW_MISSING,
    COOP_SCN_HOW_DIFFERENT,
    COOP_SCN_HOW_PRESENT,
    COOP_SCN_HOW_CRASH,
    COOP_SCN_HOW_HANG,
    COOP_SCN_HOW_RUN
} coop_scn_how;

/* "early", "late", "missing", "different", "present", "crash", "hang", "run"; "" for NONE. */
COOP_API const char *coop_scn_how_name(coop_scn_how how);

/* The outcome of one run. */
typedef struct coop_scn_result {
    bool passed;
    coop_sim_status end; /* how the simulation ended */
    uint64_t end_ns, steps;
    uint64_t seed;
    uint32_t faults; /* the resolved fault mix, for the reproduce line */
    bool permute_ties;
    uint64_t trace_hash;
    unsigned failed_line, failed_col; /* of the first failing expectation; 0 when none */
    int checked, failed;              /* expectations checked; failures, the others included */
    int others;                       /* failures of the run as a whole: a limit reached, a leak */
    char *report; /* what failed, what happened instead, the trace around it; owned, may be NULL */
    /*
     * A short stable description of the first failure, for grouping; owned.
     * For a line: "line 14: expect recv: late"; for the run as a whole:
     * "run ended step-limit", "leak fds", "trace storage".
     */
    char *signature;
    /*
     * The signature without its line, to compare failures of scenarios
     * whose lines moved: the expectation's keyword ("recv", "trace",
     * "exit"...) and how it failed.  For a failure of the run as a whole,
     * failed_kind is the whole signature and failed_how COOP_SCN_HOW_RUN.
     */
    char failed_kind[32];
    coop_scn_how failed_how;
    char *jsonl; /* the whole trace, one JSON object per line; owned, NULL unless asked */
    size_t jsonl_len;
    char *schedule;        /* with coop_scn_overrides.schedule: the choices the run took, as text; owned */
    uint32_t faults_fired; /* the fault kinds that fired (coop_sim_faults_fired) */
    /* The lines of the `expect sometimes` expectations this run reached, in file order; owned */
    unsigned *sometimes_reached;
    size_t nsometimes_reached;
    /* With ties permuted: the tasks whose tie order differed from FIFO (coop_sim_ties_differed); owned */
    char *ties_differed;
    char *world;  /* with a stop point: the world there, as text; owned */
    bool reached; /* with a stop point: it was reached (false: the run ended before it) */
} coop_scn_result;

/*
 * Runs a parsed scenario with the program found in registry.  Returns 0
 * (see res->passed) or a negative COOP_E* code when the run could not
 * start (no such program: -COOP_ENOENT, with a message in res->report).
 * keep_trace asks for res->jsonl.
 */
COOP_API int coop_scenario_run(const coop_scenario *scn, const coop_program *registry,
                               const coop_scn_overrides *ov, bool keep_trace, coop_scn_result *res);
COOP_API void coop_scn_result_fini(coop_scn_result *res);

/*
 * Converts a JSON-lines trace held in memory into another form; *out is
 * malloc'd (free it).  Safe to call from several threads at once, which
 * coop_trace_convert itself is not (it parses into a static object).
 * 0, or -1 for a malformed trace.
 */
COOP_API int coop_scn_convert(const char *jsonl, size_t len, int fmt, char **out, size_t *outlen);

/* Formats a time as the language writes it: "1.5s", "250ms", "10us", "7ns". */
COOP_API void coop_scn_format_time(uint64_t ns, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
