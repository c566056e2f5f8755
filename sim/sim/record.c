/* The simulator's trace: the scheduler's and the network's events, faults and caller lines, written as JSON lines. */
#include <stdio.h>

#include "sim/private.h"

void sim_emit(coop_sim *sim, struct sim_line *l)
{
    if (sim->cfg.trace_off)
        return;
    sim_line_end(l);
    sim_trace_emit(&sim->trace, l);
}

static void task_fields(struct sim_line *l, const coop_trace_event *e)
{
    if (e->tid) {
        sim_line_str(l, "task", e->task);
        sim_line_uint(l, "tid", e->tid);
    }
}

static const char *base_name(const char *path)
{
    const char *b = path;
    for (const char *p = path; p && *p; p++)
        if (*p == '/')
            b = p + 1;
    return b;
}

void sim_on_core_event(void *ctx, const coop_trace_event *e)
{
    coop_sim *sim = ctx;
    struct sim_line l;
    sim_line_begin(&l, sim->now_ns, coop_trace_kind_name(e->kind));
    task_fields(&l, e);
    switch (e->kind) {
    case COOP_TR_SPAWN:
        sim_line_int(&l, "prio", e->code);
        sim_line_int(&l, "period_ns", e->value);
        break;
    case COOP_TR_RUN:
        break;
    case COOP_TR_YIELD:
        sim_line_str(&l, "call", coop_call_name(e->call));
        if (e->code)
            sim_line_str(&l, "error", coop_strerror((int)e->code));
        break;
    case COOP_TR_WAKE:
        sim_line_str(&l, "reason", coop_wake_name(e->reason));
        if (e->signal) {
            sim_line_str(&l, "signal", e->signal);
            sim_line_int(&l, "value", e->value);
        }
        if (e->fd >= 0)
            sim_line_int(&l, "fd", e->fd);
        break;
    case COOP_TR_EXIT:
        sim_line_int(&l, "status", e->code);
        break;
    case COOP_TR_KILL:
        sim_line_int(&l, "by", e->code);
        break;
    case COOP_TR_FAIL: {
        char at[128];
        snprintf(at, sizeof(at), "%s:%u", base_name(e->file), e->line);
        sim_line_str(&l, "error", coop_strerror((int)e->code));
        sim_line_str(&l, "at", at);
        break;
    }
    case COOP_TR_SIGNAL:
        sim_line_str(&l, "signal", e->signal);
        sim_line_int(&l, "value", e->value);
        sim_line_int(&l, "woken", e->code);
        break;
    case COOP_TR_IO:
        sim_line_int(&l, "fd", e->fd);
        sim_line_int(&l, "events", e->value);
        break;
    }
    sim_emit(sim, &l);
}

void sim_on_net_event(void *ctx, const char *what, uint32_t conn, int fd, size_t len)
{
    coop_sim *sim = ctx;
    struct sim_line l;
    sim_line_begin(&l, sim->now_ns, "net");
    sim_line_str(&l, "what", what);
    sim_line_uint(&l, "conn", conn);
    if (fd >= 0)
        sim_line_int(&l, "fd", fd);
    if (len)
        sim_line_uint(&l, "len", len);
    sim_emit(sim, &l);
}

void sim_trace_fault(coop_sim *sim, const char *kind, const char *site, uint32_t tid, bool fired)
{
    struct sim_line l;
    sim_line_begin(&l, sim->now_ns, "fault");
    sim_line_str(&l, "kind", kind);
    if (site)
        sim_line_str(&l, "site", site);
    if (tid)
        sim_line_uint(&l, "tid", tid);
    sim_line_bool(&l, "fired", fired);
    sim_emit(sim, &l);
}

void coop_sim_trace_line(coop_sim *sim, const char *ev, const char *json_fields)
{
    struct sim_line l;
    sim_line_begin(&l, sim->now_ns, ev);
    sim_line_raw(&l, json_fields);
    sim_emit(sim, &l);
}

uint64_t coop_sim_trace_hash(const coop_sim *sim) { return sim->trace.hash; }

uint64_t coop_sim_trace_count(const coop_sim *sim) { return sim->trace.count; }

size_t coop_sim_tail_count(const coop_sim *sim) { return sim->trace.n; }

const char *coop_sim_tail_line(const coop_sim *sim, size_t i) { return sim_trace_tail(&sim->trace, i); }
