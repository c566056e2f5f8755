/* The simulator's trace: the scheduler's and the network's events, faults and caller lines, written as JSON lines. */
#include <stdio.h>
#include <string.h>

#include "sim/private.h"

void sim_rec_begin(coop_sim *sim, struct sim_rec *r, const char *ev, const struct sim_node *n)
{
    rec_begin(r, sim->now_ns, ev);
    /* With one node every event is about it, and traces stay as they were before there were several. */
    if (n && sim->nnodes > 1)
        rec_str(r, "node", n->name);
}

void sim_emit(coop_sim *sim, struct sim_rec *r)
{
    if (!sim->cfg.trace_off && !sim->muted)
        sim_trace_emit(&sim->trace, r);
}

static void task_fields(struct sim_rec *l, const coop_trace_event *e)
{
    if (e->tid) {
        rec_str(l, "task", e->task);
        rec_uint(l, "tid", e->tid);
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

/* The virtual time the step under way costs: the step cost plus any stall armed for it. */
static uint64_t step_cost(const coop_sim *sim)
{
    return sat_add(sim->cfg.profile == COOP_SIM_SEED ? 0 : sim->cfg.step_cost_ns, sim->pending_cost_ns);
}

void sim_on_core_event(void *ctx, const coop_trace_event *e)
{
    struct sim_node *n = ctx;
    coop_sim *sim = n->sim;
    if (sim->cfg.chooser.observe)
        sim->cfg.chooser.observe(sim->cfg.chooser.ctx, e);
    if (n->ties)
        sim_tie_event(n, e);
    if (sim->waits)
        sim_waits_note(n, e);
    if (n->quiet || sim->cfg.trace_off)
        return;
    struct sim_rec l;
    char at[128]; /* the failure's file:line, which must live until the event is emitted */
    sim_rec_begin(sim, &l, coop_trace_kind_name(e->kind), n);
    task_fields(&l, e);
    switch (e->kind) {
    case COOP_TR_SPAWN:
        rec_int(&l, "prio", e->code);
        rec_int(&l, "period_ns", e->value);
        break;
    case COOP_TR_RUN:
        sim_stall_step(sim, n, e->task);
        break;
    case COOP_TR_YIELD:
        rec_str(&l, "call", coop_call_name(e->call));
        if (e->code)
            rec_str(&l, "error", coop_strerror((int)e->code));
        if (step_cost(sim))
            rec_uint(&l, "cost_ns", step_cost(sim));
        break;
    case COOP_TR_WAKE:
        rec_str(&l, "reason", coop_wake_name(e->reason));
        if (e->signal) {
            rec_str(&l, "signal", e->signal);
            rec_int(&l, "value", e->value);
        }
        if (e->fd >= 0)
            rec_int(&l, "fd", e->fd);
        break;
    case COOP_TR_EXIT:
        rec_int(&l, "status", e->code);
        if (step_cost(sim))
            rec_uint(&l, "cost_ns", step_cost(sim));
        break;
    case COOP_TR_KILL:
        rec_int(&l, "by", e->code);
        break;
    case COOP_TR_FAIL:
        snprintf(at, sizeof(at), "%s:%u", base_name(e->file), e->line);
        rec_str(&l, "error", coop_strerror((int)e->code));
        rec_str(&l, "at", at);
        if (step_cost(sim))
            rec_uint(&l, "cost_ns", step_cost(sim));
        break;
    case COOP_TR_SIGNAL:
        rec_str(&l, "signal", e->signal);
        rec_int(&l, "value", e->value);
        rec_int(&l, "woken", e->code);
        break;
    case COOP_TR_IO:
        rec_int(&l, "fd", e->fd);
        rec_int(&l, "events", e->value);
        break;
    }
    sim_emit(sim, &l);
}

uint64_t sim_on_net_event(void *ctx, const char *what, uint32_t conn, uint32_t host, int fd, size_t len)
{
    coop_sim *sim = ctx;
    if (what[0] == 'f' && !strncmp(what, "fault:", 6))
        sim_fired(sim, sim_fault_bit(what + 6));
    if (sim->cfg.chooser.observe) {
        coop_trace_event io = { .kind = COOP_TR_IO, .t_ns = sim->now_ns, .fd = fd };
        sim->cfg.chooser.observe(sim->cfg.chooser.ctx, &io);
    }
    struct sim_rec l;
    /* Hosts are the nodes' from 1, in order; host 0 is the world outside. */
    sim_rec_begin(sim, &l, "net", host ? &sim->nodes[host - 1] : NULL);
    rec_str(&l, "what", what);
    rec_uint(&l, "conn", conn);
    if (fd >= 0)
        rec_int(&l, "fd", fd);
    if (len)
        rec_uint(&l, "len", len);
    sim_emit(sim, &l);
    return sim->cfg.trace_off || sim->muted ? UINT64_MAX : l.ev.seq;
}

void sim_trace_fault(coop_sim *sim, const struct sim_node *n, const char *kind, const char *site,
                     uint32_t tid, bool fired)
{
    if (fired)
        sim_fired(sim, sim_fault_bit(kind));
    struct sim_rec l;
    sim_rec_begin(sim, &l, "fault", n);
    rec_str(&l, "kind", kind);
    if (site)
        rec_str(&l, "site", site);
    if (tid)
        rec_uint(&l, "tid", tid);
    rec_bool(&l, "fired", fired);
    sim_emit(sim, &l);
}

void coop_sim_emit(coop_sim *sim, const char *ev, const coop_sim_field *fields, size_t n)
{
    struct sim_rec r;
    rec_begin(&r, sim->now_ns, ev);
    for (size_t i = 0; i < n; i++) {
        if (i == COOP_SIM_MAX_FIELDS) {
            r.cut = true;
            break;
        }
        r.f[r.ev.nfields++] = fields[i];
    }
    sim_emit(sim, &r);
}

uint64_t coop_sim_trace_hash(const coop_sim *sim) { return sim->trace.hash; }

uint64_t coop_sim_trace_count(const coop_sim *sim) { return sim->trace.count; }

size_t coop_sim_tail_count(const coop_sim *sim) { return sim->trace.n; }

const char *coop_sim_tail_line(const coop_sim *sim, size_t i) { return sim_trace_tail(&sim->trace, i); }
