/* Internal interfaces of the scenario runner: the recorded trace and the expectation checks over it. */
#ifndef COOP_SIM_SCN_RUN_H
#define COOP_SIM_SCN_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "coop/scenario.h"

/* One recorded trace line: its time and where its text lies in the run's buffer. */
struct scn_rec {
    uint64_t t_ns;
    size_t off, len;
};

/*
 * A run in progress.  The trace is kept whole (buf holds every line,
 * NUL-separated, recs indexes them in order), because expectations look
 * back over it.  cursor is the index just after the evidence of the last
 * ordered expectation that held; `expect trace` searches from there.
 * recv_off[p] counts the bytes of peer p's stream already matched by
 * `expect recv`, so consecutive recv lines read the stream in order.
 */
struct scn_run {
    const coop_scenario *scn;
    coop_sim *sim;
    char *buf;
    size_t len, cap;
    struct scn_rec *recs;
    size_t nrecs, rcap;
    bool oom; /* a trace line could not be stored; the run fails */
    size_t cursor;
    size_t recv_off[COOP_SCN_MAX_PEERS];
    int handle[COOP_SCN_MAX_PEERS]; /* simulator peer handles */
    coop_sim_status end;
    bool ended; /* a limit, KillOs or a failure stopped the simulation */
};

/* The outcome of checking one expectation: ok, or why not in `why`. */
struct scn_verdict {
    bool ok;
    char why[768];
};

/* Checks ln against everything recorded so far; the caller has run the simulation up to ln->hi_ns. */
void scn_check(struct scn_run *r, const coop_scn_line *ln, struct scn_verdict *v);
/* Whether line i of the record matches a pattern of key=value pairs ('*' wildcards in values). */
bool scn_rec_matches(const struct scn_run *r, size_t i, const coop_scn_pair *pat, int npat);
/* Writes a string with C-like escapes for non-printable bytes, at most max bytes of it. */
void scn_quote(FILE *out, const uint8_t *s, size_t len, size_t max);
const char *scn_rec_text(const struct scn_run *r, size_t i);

#endif
