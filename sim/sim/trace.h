/* The simulator's trace: JSON lines, their running hash, and a tail kept for reports. */
#ifndef COOP_SIM_TRACE_H
#define COOP_SIM_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coop/sim.h"

#define COOP_SIM_LINE_MAX 1024

/*
 * One line under construction.  Fields are appended in a fixed order by
 * the caller, so equal runs give byte-identical lines; strings are JSON
 * escaped; a line too long for the buffer is cut at a field boundary and
 * marked with "trunc":true.
 */
struct sim_line {
    char buf[COOP_SIM_LINE_MAX];
    size_t len;
    bool full;
};

void sim_line_begin(struct sim_line *l, uint64_t t_ns, const char *ev);
void sim_line_str(struct sim_line *l, const char *key, const char *val);
void sim_line_int(struct sim_line *l, const char *key, int64_t val);
void sim_line_uint(struct sim_line *l, const char *key, uint64_t val);
void sim_line_bool(struct sim_line *l, const char *key, bool val);
/* Appends pre-formatted `"key":value` pairs, e.g. from a caller of coop_sim_trace_line. */
void sim_line_raw(struct sim_line *l, const char *fields);
void sim_line_end(struct sim_line *l);

/* The trace sink: hash, count, tail ring, and the caller's line callback. */
struct sim_trace {
    uint64_t hash;  /* FNV-1a 64 over every line plus its newline */
    uint64_t count; /* lines so far */
    char *tail;     /* cap lines of COOP_SIM_LINE_MAX bytes, a ring */
    uint32_t cap, head, n;
    coop_sim_line_fn sink;
    void *sink_ctx;
};

int sim_trace_init(struct sim_trace *tr, uint32_t tail, coop_sim_line_fn sink, void *ctx);
void sim_trace_fini(struct sim_trace *tr);
void sim_trace_emit(struct sim_trace *tr, const struct sim_line *l);
const char *sim_trace_tail(const struct sim_trace *tr, size_t i);

#endif
