/* The simulator's trace: events built field by field, written as JSON lines, hashed, and kept in a tail for reports. */
#ifndef COOP_SIM_SIM_TRACE_H
#define COOP_SIM_SIM_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coop/sim.h"

#define COOP_SIM_LINE_MAX 1024 /* bytes of one JSON line; longer ones are cut at a field, see below */

/*
 * One event under construction.  Fields are appended in a fixed order by
 * the caller, so equal runs give byte-identical lines.  String values are
 * the caller's and must stay valid until the event is emitted.
 */
struct sim_rec {
    coop_sim_event ev;
    coop_sim_field f[COOP_SIM_MAX_FIELDS];
    bool cut; /* fields beyond COOP_SIM_MAX_FIELDS were dropped */
};

void rec_begin(struct sim_rec *r, uint64_t t_ns, const char *ev);
void rec_str(struct sim_rec *r, const char *key, const char *val);
void rec_int(struct sim_rec *r, const char *key, int64_t val);
void rec_uint(struct sim_rec *r, const char *key, uint64_t val);
void rec_bool(struct sim_rec *r, const char *key, bool val);

/*
 * Writes e as its JSON line into buf (COOP_SIM_LINE_MAX bytes) and
 * returns the length.  Strings are escaped as JSON requires and made
 * valid UTF-8.  A line that would not fit ends after the last field that
 * does, with "trunc":true, so it is still one valid object.
 */
size_t trace_render(const coop_sim_event *e, bool cut, char *buf);

/* The trace sink: hash, count, tail ring, and the caller's callbacks. */
struct sim_trace {
    uint64_t hash;  /* FNV-1a 64 over every line plus its newline */
    uint64_t count; /* events so far */
    char *tail;     /* cap lines of COOP_SIM_LINE_MAX bytes, a ring */
    uint32_t cap, head, n;
    coop_sim_line_fn on_line;
    void *line_ctx;
    coop_sim_record_fn on_event;
    void *event_ctx;
};

int sim_trace_init(struct sim_trace *tr, const coop_sim_config *cfg);
void sim_trace_fini(struct sim_trace *tr);
/* Renders r, numbers it, hashes it, keeps it in the tail and hands it to the callbacks. */
void sim_trace_emit(struct sim_trace *tr, struct sim_rec *r);
const char *sim_trace_tail(const struct sim_trace *tr, size_t i);

#endif
