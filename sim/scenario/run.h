/* Internal interfaces of the scenario runner: a run in progress and the expectation checks over its events. */
#ifndef COOP_SIM_SCN_RUN_H
#define COOP_SIM_SCN_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "coop/scenario.h"
#include "scenario/log.h"

/*
 * A run in progress.  Every event is kept (log), because expectations
 * look back over them; event i of the log is event i of the trace.  cursor is the index just after the evidence of the last
 * ordered expectation that held; `expect trace` searches from there.
 * recv_off[p] counts the bytes of peer p's stream already matched by
 * `expect recv`, so consecutive recv lines read the stream in order.
 */
struct scn_run {
    const coop_scenario *scn;
    coop_sim *sim;
    struct scn_log log;
    size_t cursor;
    size_t recv_off[COOP_SCN_MAX_PEERS];
    int handle[COOP_SCN_MAX_PEERS]; /* simulator peer handles */
    coop_sim_status end;
    bool ended;                   /* a limit, KillOs or a failure stopped the simulation */
    const coop_scn_overrides *ov; /* NULL when none were given */
};

/* The outcome of checking one expectation: ok, or why not in `why`. */
struct scn_verdict {
    bool ok;
    coop_scn_how how; /* when not ok: how it failed */
    char why[768];
};

/* Checks ln against everything recorded so far; the caller has run the simulation up to ln->hi_ns. */
void scn_check(struct scn_run *r, const coop_scn_line *ln, struct scn_verdict *v);
/*
 * Whether the evidence ln missed by its deadline came after it, over the
 * whole run; the caller restores what checking moves (cursor, recv_off).
 */
bool scn_came_late(struct scn_run *r, const coop_scn_line *ln);
/* Writes a string with C-like escapes for non-printable bytes, at most max bytes of it. */
void scn_quote(FILE *out, const uint8_t *s, size_t len, size_t max);

#endif
