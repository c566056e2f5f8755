/* The simulator's driver: virtual time, the event queue, limits, faults and the trace around one scheduler. */
#include "coop/sim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coop/program.h"
#include "net.h"
#include "prng.h"
#include "trace.h"

/* A scripted event.  Events run in (t_ns, seq) order, so ties run in the order they were added. */
enum ev_kind {
    EV_CALL,
    EV_SIGNAL,
    EV_KILL,
    EV_JUMP,
    EV_CONNECT,
    EV_SEND,
    EV_SHUTDOWN,
    EV_CLOSE,
    EV_RESET,
    EV_READING
};

struct sim_event {
    uint64_t t_ns;
    uint64_t seq;
    enum ev_kind kind;
    int peer;             /* peer handle, for the peer events */
    uint16_t port;        /* EV_CONNECT */
    int64_t value;        /* EV_SIGNAL value, EV_JUMP nanoseconds, EV_READING on/off */
    char *name;           /* EV_SIGNAL, EV_KILL; owned */
    uint8_t *data;        /* EV_SEND; owned */
    size_t len, chunk;    /* EV_SEND */
    coop_sim_event_fn fn; /* EV_CALL */
    void *arg;
};

/*
 * The simulator.  now_ns only grows.  The event queue is a binary heap on
 * (t_ns, seq).  Each consumer of randomness has its own PCG stream, so a
 * fault that is off draws nothing and cannot shift the others.
 */
struct coop_sim {
    coop_sim_config cfg;
    coop_poller inner; /* the network's poller; the scheduler gets the forwarding one below */
    bool io_dirty;     /* a socket call may have changed readiness since the last poll */
    uint64_t now_ns;
    uint64_t next_step_ns; /* COOP_SIM_SEED: no step before this tick */
    coop_sched *sched;
    coop_net *net;
    coop_tick32 tick; /* cfg.tick32: the scheduler's clock */
    coop_prng rng_ties, rng_net, rng_faults, rng_alloc;
    uint32_t faults; /* the resolved fault mix */

    struct sim_event *ev; /* heap */
    uint32_t nev, evcap;
    uint64_t ev_seq;

    int64_t *peers; /* handle -> conn (0 pending, -1 refused) */
    uint32_t npeers, peercap;

    coop_program_env env; /* what started programs log through; lives as long as the simulation */
    uint64_t steps;
    uint64_t busy; /* steps since the loop last idled or ran an event */
    struct sim_trace trace;
};

const char *coop_sim_status_name(coop_sim_status st)
{
    static const char *const names[] = {
        "running", "until", "done", "hang", "stopped", "failed", "step-limit", "time-limit", "busy-loop",
    };
    return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}

/* ---- Clocks ---- */

static uint64_t sim_clock_now(void *ctx) { return ((coop_sim *)ctx)->now_ns; }

static const coop_clock_ops sim_clock_ops = { COOP_CLOCK_VERSION, "virtual", sim_clock_now };

/* The raw 32-bit millisecond counter the tick adapter reads in tick32 mode. */
static uint32_t sim_raw_ms(void *ctx) { return (uint32_t)(((coop_sim *)ctx)->now_ns / 1000000); }

/* ---- The trace ---- */

static void emit(coop_sim *sim, struct sim_line *l)
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

static void on_core_event(void *ctx, const coop_trace_event *e)
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
    emit(sim, &l);
}

static void on_net_event(void *ctx, const char *what, uint32_t conn, int fd, size_t len)
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
    emit(sim, &l);
}

static void trace_fault(coop_sim *sim, const char *kind, const char *site, uint32_t tid, bool fired)
{
    struct sim_line l;
    sim_line_begin(&l, sim->now_ns, "fault");
    sim_line_str(&l, "kind", kind);
    if (site)
        sim_line_str(&l, "site", site);
    if (tid)
        sim_line_uint(&l, "tid", tid);
    sim_line_bool(&l, "fired", fired);
    emit(sim, &l);
}

void coop_sim_trace_line(coop_sim *sim, const char *ev, const char *json_fields)
{
    struct sim_line l;
    sim_line_begin(&l, sim->now_ns, ev);
    sim_line_raw(&l, json_fields);
    emit(sim, &l);
}

uint64_t coop_sim_trace_hash(const coop_sim *sim) { return sim->trace.hash; }
uint64_t coop_sim_trace_count(const coop_sim *sim) { return sim->trace.count; }
size_t coop_sim_tail_count(const coop_sim *sim) { return sim->trace.n; }
const char *coop_sim_tail_line(const coop_sim *sim, size_t i) { return sim_trace_tail(&sim->trace, i); }

/* ---- Faults ---- */

static bool fault_on(const coop_sim *sim, uint32_t kind) { return (sim->faults & kind) != 0; }

static bool on_fault_point(void *ctx, const char *site, uint32_t tid)
{
    coop_sim *sim = ctx;
    bool fired =
        fault_on(sim, COOP_SIM_FAULT_POINTS) && coop_prng_chance(&sim->rng_faults, sim->cfg.fault_pct, 100);
    trace_fault(sim, "point", site, tid, fired);
    return fired;
}

static uint64_t on_seq(void *ctx, uint64_t counter)
{
    coop_sim *sim = ctx;
    (void)counter;
    return coop_prng_next64(&sim->rng_ties) >> 9;
}

/*
 * The scheduler's allocator.  With the allocation fault on, a new block
 * (never a free, never a shrink) fails at the fault rate; the failure is
 * traced so that a replay shows why a call returned -ENOMEM.
 */
static void *sim_alloc(void *ctx, void *ptr, size_t old_size, size_t new_size)
{
    coop_sim *sim = ctx;
    if (new_size == 0) {
        free(ptr);
        return NULL;
    }
    if (new_size > old_size && fault_on(sim, COOP_SIM_FAULT_ALLOC) &&
        coop_prng_chance(&sim->rng_alloc, sim->cfg.fault_pct, 100)) {
        trace_fault(sim, "alloc", NULL, 0, true);
        return NULL;
    }
    return realloc(ptr, new_size);
}

static void apply_net_faults(coop_sim *sim)
{
    uint32_t pct = sim->cfg.fault_pct;
    coop_net_faults f = { 0 };
    if (fault_on(sim, COOP_SIM_FAULT_JITTER))
        f.jitter_ns = 2000000;
    if (fault_on(sim, COOP_SIM_FAULT_SPLIT))
        f.split_pct = pct * 4;
    if (fault_on(sim, COOP_SIM_FAULT_SHORT_IO))
        f.short_io_pct = pct * 4;
    if (fault_on(sim, COOP_SIM_FAULT_EAGAIN))
        f.eagain_pct = pct * 2;
    if (fault_on(sim, COOP_SIM_FAULT_RESET))
        f.reset_pct = pct / 5 ? pct / 5 : 1;
    if (fault_on(sim, COOP_SIM_FAULT_REFUSE))
        f.refuse_pct = pct;
    coop_net_set_faults(sim->net, &f);
}

/* ---- The poller the scheduler sees ----
 *
 * Every call forwards to the network's poller.  Calls that can change
 * readiness mark it dirty, so the loop asks for ready fds only after
 * something changed instead of after every step; asking is a scan of
 * every registered fd.
 */
#define SIM(ctx) ((coop_sim *)(ctx))
#define FWD_DIRTY(call) (mark_dirty(SIM(ctx)), SIM(ctx)->inner.ops->call)

/* Readiness may have changed, so the rest of a batch of steps waits for the loop to settle first. */
static void mark_dirty(coop_sim *sim)
{
    sim->io_dirty = true;
    coop_break(sim->sched);
}
static int fwd_add(void *ctx, int fd, uint32_t ev) { return FWD_DIRTY(add)(SIM(ctx)->inner.ctx, fd, ev); }
static int fwd_mod(void *ctx, int fd, uint32_t ev) { return FWD_DIRTY(mod)(SIM(ctx)->inner.ctx, fd, ev); }
static int fwd_del(void *ctx, int fd) { return FWD_DIRTY(del)(SIM(ctx)->inner.ctx, fd); }
static int fwd_wait(void *ctx, int64_t timeout_ns, coop_poll_event *out, int max)
{
    return SIM(ctx)->inner.ops->wait(SIM(ctx)->inner.ctx, timeout_ns, out, max);
}
static int fwd_listen(void *ctx, const char *addr, uint16_t port, int backlog)
{
    return FWD_DIRTY(listen)(SIM(ctx)->inner.ctx, addr, port, backlog);
}
static int fwd_local_port(void *ctx, int fd)
{
    return SIM(ctx)->inner.ops->local_port(SIM(ctx)->inner.ctx, fd);
}
static int fwd_accept(void *ctx, int fd) { return FWD_DIRTY(accept)(SIM(ctx)->inner.ctx, fd); }
static int fwd_connect(void *ctx, const char *addr, uint16_t port)
{
    return FWD_DIRTY(connect)(SIM(ctx)->inner.ctx, addr, port);
}
static int fwd_sock_error(void *ctx, int fd) { return FWD_DIRTY(sock_error)(SIM(ctx)->inner.ctx, fd); }
static long fwd_read(void *ctx, int fd, void *buf, size_t len)
{
    return FWD_DIRTY(read)(SIM(ctx)->inner.ctx, fd, buf, len);
}
static long fwd_write(void *ctx, int fd, const void *buf, size_t len)
{
    return FWD_DIRTY(write)(SIM(ctx)->inner.ctx, fd, buf, len);
}
static int fwd_shutdown_write(void *ctx, int fd)
{
    return FWD_DIRTY(shutdown_write)(SIM(ctx)->inner.ctx, fd);
}
static int fwd_close(void *ctx, int fd) { return FWD_DIRTY(close)(SIM(ctx)->inner.ctx, fd); }
static void fwd_destroy(void *ctx) { SIM(ctx)->inner.ops->destroy(SIM(ctx)->inner.ctx); }

static const coop_poller_ops sim_poller_ops = {
    .version = COOP_POLLER_VERSION,
    .name = "sim",
    .add = fwd_add,
    .mod = fwd_mod,
    .del = fwd_del,
    .wait = fwd_wait,
    .listen = fwd_listen,
    .local_port = fwd_local_port,
    .accept = fwd_accept,
    .connect = fwd_connect,
    .sock_error = fwd_sock_error,
    .read = fwd_read,
    .write = fwd_write,
    .shutdown_write = fwd_shutdown_write,
    .close = fwd_close,
    .destroy = fwd_destroy,
};

/* ---- Creation ---- */

/*
 * The scheduler's log.  Every failure it would print is already a `fail`
 * trace event with the same facts, and a simulated run must not write to
 * the host's stderr (the scenario runner prints reports of its own).
 */
static void sim_log(void *ctx, coop_log_level level, const char *msg)
{
    (void)ctx;
    (void)level;
    (void)msg;
}

coop_sim *coop_sim_new(const coop_sim_config *cfg)
{
    coop_sim *sim = calloc(1, sizeof(*sim));
    if (!sim)
        return NULL;
    sim->cfg = cfg ? *cfg : (coop_sim_config){ 0 };
    coop_sim_config *c = &sim->cfg;
    if (!c->max_steps)
        c->max_steps = 100000000;
    if (!c->max_time_ns)
        c->max_time_ns = UINT64_C(24) * 3600 * 1000000000;
    if (!c->busy_steps)
        c->busy_steps = 1000000;
    if (!c->fault_pct)
        c->fault_pct = 5;
    if (c->fault_pct > 100)
        c->fault_pct = 100;
    if (!c->trace_tail)
        c->trace_tail = 40;
    sim->now_ns = c->start_ns;
    /* The seed's loop starts with now = 0 and steps only once the tick has moved on. */
    sim->next_step_ns = c->start_ns + (c->profile == COOP_SIM_SEED ? 1000000 : 0);
    coop_prng_seed(&sim->rng_ties, c->seed, 1);
    coop_prng_seed(&sim->rng_net, c->seed, 2);
    coop_prng_seed(&sim->rng_faults, c->seed, 3);
    coop_prng_seed(&sim->rng_alloc, c->seed, 4);
    sim->faults = c->faults & COOP_SIM_FAULTS_ALL;
    if (c->faults & COOP_SIM_FAULTS_FROM_SEED) {
        coop_prng mix;
        coop_prng_seed(&mix, c->seed, 5);
        sim->faults = coop_prng_next(&mix) & COOP_SIM_FAULTS_ALL & ~(uint32_t)COOP_SIM_FAULT_ALLOC;
    }
    if (sim_trace_init(&sim->trace, c->trace_tail, c->on_line, c->on_line_ctx))
        goto fail;
    sim->net = coop_net_new(&sim->now_ns, &sim->rng_net, coop_allocator_libc());
    if (!sim->net)
        goto fail;
    if (!c->trace_off)
        coop_net_set_trace(sim->net, on_net_event, sim);
    sim->inner = coop_net_poller(sim->net);
    apply_net_faults(sim);

    coop_config sc = {
        .clock = { &sim_clock_ops, sim },
        .poller = { &sim_poller_ops, sim },
        .alloc = { sim_alloc, sim },
        .log = sim_log,
        .trace = c->trace_off ? NULL : on_core_event,
        .trace_ctx = sim,
        .fault = on_fault_point,
        .fault_ctx = sim,
        .seq = c->permute_ties ? on_seq : NULL,
        .seq_ctx = sim,
    };
    if (c->tick32) {
        coop_tick32_init(&sim->tick, sim_raw_ms, sim);
        /*
         * The adapter extends the counter from its own zero, which equals
         * virtual time's zero as long as the start offset is below 2^32
         * ms, so both clocks agree (the adapter's to the millisecond).
         */
        sc.clock = coop_tick32_clock(&sim->tick);
    }
    if (c->tick32 && c->start_ns >= (UINT64_C(1) << 32) * 1000000)
        goto fail;
    /* From here on the scheduler owns the network: its poller's destroy() frees it. */
    sim->sched = coop_sched_new(&sc);
    if (!sim->sched)
        goto fail;
    coop_set_stop_on_error(sim->sched, c->stop_on_error);
    return sim;
fail:
    if (sim->net)
        coop_net_free(sim->net);
    sim_trace_fini(&sim->trace);
    free(sim);
    return NULL;
}

void coop_sim_free(coop_sim *sim)
{
    if (!sim)
        return;
    coop_sched_free(sim->sched);
    for (uint32_t i = 0; i < sim->nev; i++) {
        free(sim->ev[i].name);
        free(sim->ev[i].data);
    }
    free(sim->ev);
    free(sim->peers);
    sim_trace_fini(&sim->trace);
    free(sim);
}

coop_sched *coop_sim_sched(coop_sim *sim) { return sim->sched; }
coop_net *coop_sim_net(coop_sim *sim) { return sim->net; }
uint64_t coop_sim_now(const coop_sim *sim) { return sim->now_ns; }
uint64_t coop_sim_steps(const coop_sim *sim) { return sim->steps; }
uint32_t coop_sim_faults(const coop_sim *sim) { return sim->faults; }
bool coop_sim_ties_permuted(const coop_sim *sim) { return sim->cfg.permute_ties; }
uint64_t coop_sim_seed(const coop_sim *sim) { return sim->cfg.seed; }

/* ---- The event queue ---- */

static bool ev_less(const struct sim_event *a, const struct sim_event *b)
{
    return a->t_ns < b->t_ns || (a->t_ns == b->t_ns && a->seq < b->seq);
}

static int ev_push(coop_sim *sim, struct sim_event e)
{
    if (sim->nev == sim->evcap) {
        uint32_t cap = sim->evcap ? sim->evcap * 2 : 64;
        struct sim_event *v = realloc(sim->ev, (size_t)cap * sizeof(*v));
        if (!v) {
            free(e.name);
            free(e.data);
            return -COOP_ENOMEM;
        }
        sim->ev = v;
        sim->evcap = cap;
    }
    e.seq = sim->ev_seq++;
    /* An event added during a step for this instant must run before the next step. */
    if (e.t_ns <= sim->now_ns && sim->sched)
        coop_break(sim->sched);
    uint32_t i = sim->nev++;
    while (i > 0 && ev_less(&e, &sim->ev[(i - 1) / 2])) {
        sim->ev[i] = sim->ev[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    sim->ev[i] = e;
    return 0;
}

static struct sim_event ev_pop(coop_sim *sim)
{
    struct sim_event top = sim->ev[0];
    struct sim_event last = sim->ev[--sim->nev];
    uint32_t i = 0;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= sim->nev)
            break;
        if (c + 1 < sim->nev && ev_less(&sim->ev[c + 1], &sim->ev[c]))
            c++;
        if (!ev_less(&sim->ev[c], &last))
            break;
        sim->ev[i] = sim->ev[c];
        i = c;
    }
    if (sim->nev)
        sim->ev[i] = last;
    return top;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

int coop_sim_at(coop_sim *sim, uint64_t t_ns, coop_sim_event_fn fn, void *arg)
{
    if (!fn)
        return -COOP_EINVAL;
    return ev_push(sim, (struct sim_event){ .t_ns = t_ns, .kind = EV_CALL, .fn = fn, .arg = arg });
}

int coop_sim_signal_at(coop_sim *sim, uint64_t t_ns, const char *name, int64_t value)
{
    char *n = name ? dup_str(name) : NULL;
    if (!n)
        return name ? -COOP_ENOMEM : -COOP_EINVAL;
    return ev_push(sim, (struct sim_event){ .t_ns = t_ns, .kind = EV_SIGNAL, .name = n, .value = value });
}

int coop_sim_kill_at(coop_sim *sim, uint64_t t_ns, const char *task_name)
{
    char *n = task_name ? dup_str(task_name) : NULL;
    if (!n)
        return task_name ? -COOP_ENOMEM : -COOP_EINVAL;
    return ev_push(sim, (struct sim_event){ .t_ns = t_ns, .kind = EV_KILL, .name = n });
}

int coop_sim_jump_at(coop_sim *sim, uint64_t t_ns, uint64_t dt_ns)
{
    return ev_push(sim, (struct sim_event){ .t_ns = t_ns, .kind = EV_JUMP, .value = (int64_t)dt_ns });
}

int coop_sim_peer_connect_at(coop_sim *sim, uint64_t t_ns, uint16_t port)
{
    if (sim->npeers == sim->peercap) {
        uint32_t cap = sim->peercap ? sim->peercap * 2 : 16;
        int64_t *v = realloc(sim->peers, (size_t)cap * sizeof(*v));
        if (!v)
            return -COOP_ENOMEM;
        sim->peers = v;
        sim->peercap = cap;
    }
    int peer = (int)sim->npeers;
    int err =
        ev_push(sim, (struct sim_event){ .t_ns = t_ns, .kind = EV_CONNECT, .port = port, .peer = peer });
    if (err)
        return err;
    sim->peers[sim->npeers++] = 0;
    return peer;
}

static int peer_event(coop_sim *sim, uint64_t t_ns, int peer, enum ev_kind kind, int64_t value)
{
    if (peer < 0 || (uint32_t)peer >= sim->npeers)
        return -COOP_EINVAL;
    return ev_push(sim, (struct sim_event){ .t_ns = t_ns, .kind = kind, .peer = peer, .value = value });
}

int coop_sim_peer_send_at(coop_sim *sim, uint64_t t_ns, int peer, const void *buf, size_t len, size_t chunk)
{
    if (peer < 0 || (uint32_t)peer >= sim->npeers || (!buf && len))
        return -COOP_EINVAL;
    uint8_t *d = malloc(len ? len : 1);
    if (!d)
        return -COOP_ENOMEM;
    if (len)
        memcpy(d, buf, len);
    return ev_push(sim,
                   (struct sim_event){
                       .t_ns = t_ns, .kind = EV_SEND, .peer = peer, .data = d, .len = len, .chunk = chunk });
}

int coop_sim_peer_shutdown_at(coop_sim *sim, uint64_t t_ns, int peer)
{
    return peer_event(sim, t_ns, peer, EV_SHUTDOWN, 0);
}
int coop_sim_peer_close_at(coop_sim *sim, uint64_t t_ns, int peer)
{
    return peer_event(sim, t_ns, peer, EV_CLOSE, 0);
}
int coop_sim_peer_reset_at(coop_sim *sim, uint64_t t_ns, int peer)
{
    return peer_event(sim, t_ns, peer, EV_RESET, 0);
}
int coop_sim_peer_reading_at(coop_sim *sim, uint64_t t_ns, int peer, bool reading)
{
    return peer_event(sim, t_ns, peer, EV_READING, reading);
}

int64_t coop_sim_peer_conn(const coop_sim *sim, int peer)
{
    if (peer < 0 || (uint32_t)peer >= sim->npeers)
        return -1;
    return sim->peers[peer];
}

static void trace_script(coop_sim *sim, const char *what, int peer, const char *detail)
{
    struct sim_line l;
    sim_line_begin(&l, sim->now_ns, "script");
    sim_line_str(&l, "what", what);
    if (peer >= 0)
        sim_line_int(&l, "peer", peer);
    if (detail)
        sim_line_str(&l, "detail", detail);
    emit(sim, &l);
}

static void kill_named(coop_sim *sim, const char *name)
{
    coop_task_iter it;
    coop_task_iter_init(&it, sim->sched);
    for (coop_task *t; (t = coop_task_iter_next(&it));) {
        if (strcmp(coop_task_name(t), name) == 0) {
            coop_kill(sim->sched, coop_task_tid(t));
            return;
        }
    }
    trace_script(sim, "kill-missed", -1, name);
}

static void run_event(coop_sim *sim, struct sim_event *e)
{
    uint32_t conn = e->peer >= 0 && (uint32_t)e->peer < sim->npeers && sim->peers[e->peer] > 0
                        ? (uint32_t)sim->peers[e->peer]
                        : 0;
    switch (e->kind) {
    case EV_CALL:
        e->fn(sim, e->arg);
        break;
    case EV_SIGNAL:
        coop_signal(sim->sched, e->name, e->value);
        break;
    case EV_KILL:
        kill_named(sim, e->name);
        break;
    case EV_JUMP:
        sim->now_ns += (uint64_t)e->value;
        trace_script(sim, "jump", -1, NULL);
        break;
    case EV_CONNECT: {
        int c = coop_net_peer_connect(sim->net, e->port);
        sim->peers[e->peer] = c > 0 ? c : -1;
        break;
    }
    case EV_SEND: {
        size_t chunk = e->chunk ? e->chunk : e->len;
        for (size_t off = 0; conn && off < e->len; off += chunk)
            coop_net_peer_send(sim->net, conn, e->data + off, e->len - off < chunk ? e->len - off : chunk);
        break;
    }
    case EV_SHUTDOWN:
        if (conn)
            coop_net_peer_shutdown(sim->net, conn);
        break;
    case EV_CLOSE:
        if (conn)
            coop_net_peer_close(sim->net, conn);
        break;
    case EV_RESET:
        if (conn)
            coop_net_peer_reset(sim->net, conn);
        break;
    case EV_READING:
        if (conn)
            coop_net_peer_reading(sim->net, conn, e->value != 0);
        break;
    }
    if (!conn && e->kind >= EV_SEND)
        trace_script(sim, "no-connection", e->peer, NULL);
    free(e->name);
    free(e->data);
}

/* ---- Running ---- */

/* The scheduler's view of now: the tick adapter's, truncated to the millisecond, in tick32 mode. */
static uint64_t sched_now(const coop_sim *sim)
{
    return sim->cfg.tick32 ? sim->now_ns / 1000000 * 1000000 : sim->now_ns;
}

/*
 * Carries out everything due at the current instant other than task
 * steps: scripted events first (in the order they were added), then
 * network deliveries, then readiness wake-ups.  Returns whether anything
 * happened.
 */
static bool settle(coop_sim *sim)
{
    bool any = false;
    for (;;) {
        bool round = false;
        while (sim->nev && sim->ev[0].t_ns <= sim->now_ns) {
            struct sim_event e = ev_pop(sim);
            run_event(sim, &e);
            round = true;
        }
        uint64_t due;
        if (coop_net_next_due(sim->net, &due) && due <= sim->now_ns) {
            coop_net_advance(sim->net);
            round = true;
        }
        if (!round)
            break;
        any = true;
    }
    if (any || sim->io_dirty) {
        sim->io_dirty = false;
        (void)coop_poll_io(sim->sched, 0);
    }
    return any;
}

static coop_sim_status check_limits(const coop_sim *sim)
{
    if (coop_is_stopped(sim->sched))
        return COOP_SIM_STOPPED;
    if (sim->cfg.stop_on_error && coop_last_failure(sim->sched))
        return COOP_SIM_FAILED;
    if (sim->steps >= sim->cfg.max_steps)
        return COOP_SIM_STEP_LIMIT;
    if (sim->now_ns - sim->cfg.start_ns > sim->cfg.max_time_ns)
        return COOP_SIM_TIME_LIMIT;
    if (sim->busy >= sim->cfg.busy_steps)
        return COOP_SIM_BUSY_LOOP;
    return COOP_SIM_RUNNING;
}

/* After a step: the seed's one-step-per-tick rule, the step cost, and the clock-jump fault. */
/*
 * How many steps may run back to back before the loop must look again.
 * Steps at one instant need nothing from the loop in between unless one
 * of them changes the world: a socket call or a scripted event for now
 * breaks the batch (mark_dirty, ev_push), so the order of everything is
 * the same as one step at a time.  A step cost, the seed profile and the
 * clock-jump fault act after every step, so they run steps singly.
 */
static uint64_t batch_size(const coop_sim *sim)
{
    if (sim->cfg.step_cost_ns || sim->cfg.profile == COOP_SIM_SEED ||
        fault_on(sim, COOP_SIM_FAULT_CLOCK_JUMP))
        return 1;
    uint64_t n = sim->cfg.max_steps - sim->steps;
    uint64_t busy_left = sim->cfg.busy_steps - sim->busy;
    return n < busy_left ? n : busy_left;
}

static void after_steps(coop_sim *sim, uint64_t n)
{
    /* What follows acts per step; batch_size runs several only where it does nothing. */
    sim->steps += n;
    sim->busy += n;
    if (sim->cfg.profile == COOP_SIM_SEED)
        sim->next_step_ns = sim->now_ns / 1000000 * 1000000 + 1000000;
    else
        sim->now_ns += sim->cfg.step_cost_ns;
    if (fault_on(sim, COOP_SIM_FAULT_CLOCK_JUMP) &&
        coop_prng_chance(&sim->rng_faults, sim->cfg.fault_pct, 1000)) {
        sim->now_ns += 1000000 + coop_prng_below(&sim->rng_faults, 100000000);
        trace_fault(sim, "clock-jump", NULL, 0, true);
    }
}

/* The next instant at which anything can happen, or UINT64_MAX. */
static uint64_t next_instant(coop_sim *sim)
{
    uint64_t next = UINT64_MAX, due;
    if (coop_next_due(sim->sched, &due))
        next = due > sim->next_step_ns ? due : sim->next_step_ns;
    if (sim->nev && sim->ev[0].t_ns < next)
        next = sim->ev[0].t_ns;
    if (coop_net_next_due(sim->net, &due) && due < next)
        next = due;
    if (next != UINT64_MAX && sim->cfg.profile == COOP_SIM_SEED)
        next = (next + 999999) / 1000000 * 1000000;
    return next;
}

static coop_sim_status run_loop(coop_sim *sim, uint64_t until, bool one_step)
{
    for (;;) {
        coop_sim_status st = check_limits(sim);
        if (st != COOP_SIM_RUNNING)
            return st;
        if (settle(sim))
            sim->busy = 0;
        /* A step cost can carry the clock past the limit; nothing runs after it. */
        if (sim->now_ns > until)
            return COOP_SIM_UNTIL;
        if (sim->now_ns >= sim->next_step_ns) {
            uint64_t ran = coop_run_due(sim->sched, sched_now(sim), one_step ? 1 : batch_size(sim));
            if (ran) {
                after_steps(sim, ran);
                if (one_step)
                    return COOP_SIM_RUNNING;
                continue;
            }
        }
        uint64_t next = next_instant(sim);
        if (next == UINT64_MAX && until == UINT64_MAX)
            return coop_task_count(sim->sched) ? COOP_SIM_HANG : COOP_SIM_DONE;
        if (next > until) {
            if (until > sim->now_ns)
                sim->now_ns = until;
            return COOP_SIM_UNTIL;
        }
        /* next <= now happens only when records of ended tasks were dropped: look again. */
        if (next > sim->now_ns) {
            sim->now_ns = next;
            sim->busy = 0;
        }
    }
}

coop_sim_status coop_sim_step(coop_sim *sim) { return run_loop(sim, UINT64_MAX, true); }
coop_sim_status coop_sim_run_until(coop_sim *sim, uint64_t t_ns) { return run_loop(sim, t_ns, false); }
coop_sim_status coop_sim_advance(coop_sim *sim, uint64_t dt_ns)
{
    return run_loop(sim, sim->now_ns + dt_ns, false);
}
coop_sim_status coop_sim_run(coop_sim *sim) { return run_loop(sim, UINT64_MAX, false); }

/* ---- Reports ---- */

struct report {
    char *buf;
    size_t len, need;
};

static void rprintf(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rprintf(struct report *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = r->need < r->len ? r->len - r->need : 0;
    int n = vsnprintf(room ? r->buf + r->need : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        r->need += (size_t)n;
}

size_t coop_sim_report(const coop_sim *sim, char *buf, size_t len)
{
    struct report r = { buf, len, 0 };
    if (len)
        buf[0] = '\0';
    rprintf(&r, "at t=%llu ns after %llu steps, %zu task(s) alive:\n", (unsigned long long)sim->now_ns,
            (unsigned long long)sim->steps, coop_task_count(sim->sched));
    coop_task_iter it;
    coop_task_iter_init(&it, sim->sched);
    for (coop_task *t; (t = coop_task_iter_next(&it));) {
        char what[256];
        coop_task_describe_wait(t, what, sizeof(what));
        rprintf(&r, "  %s (tid %u): waits on %s\n", coop_task_name(t), coop_task_tid(t), what);
    }
    rprintf(&r, "last %u trace events:\n", (unsigned)sim->trace.n);
    for (size_t i = 0; i < sim->trace.n; i++)
        rprintf(&r, "  %s\n", sim_trace_tail(&sim->trace, i));
    return r.need;
}

/* ---- Programs ---- */

static void log_to_trace(void *ctx, coop_task *t, const char *text)
{
    coop_sim *sim = ctx;
    struct sim_line l;
    sim_line_begin(&l, sim->now_ns, "log");
    if (t) {
        sim_line_str(&l, "task", coop_task_name(t));
        sim_line_uint(&l, "tid", coop_task_tid(t));
    }
    sim_line_str(&l, "text", text);
    emit(sim, &l);
}

int coop_sim_start(coop_sim *sim, const coop_program *program, int argc, char **argv)
{
    sim->env.log = log_to_trace;
    sim->env.ctx = sim;
    return program->start(sim->sched, &sim->env, argc, argv);
}

/* ---- The determinism self-check ---- */

/* Run one keeps every line; run two compares as it goes and remembers the first difference. */
struct selfcheck {
    char **lines;
    size_t n, cap;
    size_t compared;
    bool differs;
    size_t at;
    char first[COOP_SIM_LINE_MAX], second[COOP_SIM_LINE_MAX];
    bool recording;
    bool oom;
};

static void selfcheck_line(void *ctx, const char *line, size_t len)
{
    struct selfcheck *c = ctx;
    if (c->recording) {
        if (c->n == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 1024;
            char **v = realloc(c->lines, cap * sizeof(*v));
            if (!v) {
                c->oom = true;
                return;
            }
            c->lines = v;
            c->cap = cap;
        }
        char *copy = malloc(len + 1);
        if (!copy) {
            c->oom = true;
            return;
        }
        memcpy(copy, line, len + 1);
        c->lines[c->n++] = copy;
        return;
    }
    size_t i = c->compared++;
    if (c->differs)
        return;
    if (i >= c->n || strcmp(c->lines[i], line) != 0) {
        c->differs = true;
        c->at = i;
        snprintf(c->first, sizeof(c->first), "%s", i < c->n ? c->lines[i] : "(no event: run 1 ended)");
        snprintf(c->second, sizeof(c->second), "%s", line);
    }
}

static int selfcheck_run(const coop_sim_config *cfg, struct selfcheck *c, coop_sim_setup_fn setup,
                         coop_sim_drive_fn drive, void *ctx, uint64_t *hash)
{
    coop_sim_config run_cfg = *cfg;
    run_cfg.trace_off = false;
    run_cfg.on_line = selfcheck_line;
    run_cfg.on_line_ctx = c;
    coop_sim *sim = coop_sim_new(&run_cfg);
    if (!sim)
        return -COOP_ENOMEM;
    int err = setup ? setup(sim, ctx) : 0;
    if (err == 0) {
        coop_sim_status st = drive ? drive(sim, ctx) : coop_sim_run(sim);
        char end[96];
        snprintf(end, sizeof(end), "\"status\":\"%s\",\"steps\":%llu", coop_sim_status_name(st),
                 (unsigned long long)coop_sim_steps(sim));
        coop_sim_trace_line(sim, "end", end);
        *hash = coop_sim_trace_hash(sim);
    }
    coop_sim_free(sim);
    return err;
}

int coop_sim_selfcheck(const coop_sim_config *cfg, coop_sim_setup_fn setup, coop_sim_drive_fn drive,
                       void *ctx, char *report, size_t len)
{
    struct selfcheck c = { .recording = true };
    uint64_t h1 = 0, h2 = 0;
    int rc = selfcheck_run(cfg, &c, setup, drive, ctx, &h1);
    if (rc == 0) {
        c.recording = false;
        rc = selfcheck_run(cfg, &c, setup, drive, ctx, &h2);
    }
    if (rc == 0 && c.oom)
        rc = -COOP_ENOMEM;
    if (rc == 0 && !c.differs && c.compared != c.n) {
        c.differs = true;
        c.at = c.compared;
        snprintf(c.first, sizeof(c.first), "%s", c.lines[c.compared]);
        snprintf(c.second, sizeof(c.second), "(no event: run 2 ended)");
    }
    if (rc == 0 && c.differs)
        snprintf(report, len, "runs differ at event %zu:\n  run 1: %s\n  run 2: %s\n", c.at + 1, c.first,
                 c.second);
    else if (rc == 0)
        snprintf(report, len, "identical: %zu events, hash %016llx\n", c.n, (unsigned long long)h1);
    else
        snprintf(report, len, "self-check could not run: %s\n", coop_strerror(rc));
    for (size_t i = 0; i < c.n; i++)
        free(c.lines[i]);
    free(c.lines);
    (void)h2;
    return rc < 0 ? rc : c.differs ? 1 : 0;
}
