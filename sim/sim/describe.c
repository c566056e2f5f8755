/* The world at one instant, as text: every node's tasks and what they wait on, timers, signals, the network. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coop/introspect.h"
#include "coop/poller.h"
#include "coop/scenario.h"
#include "sim/private.h"

/* ---- What the trace says about each task: since when it waits, and what woke it ---- */

#define NOTE_SIGNAL_MAX 48

struct sim_wnote {
    uint64_t since_ns; /* its last yield (or its spawn) */
    uint64_t woke_ns;
    int64_t value;
    int fd;
    int8_t reason; /* COOP_WAKE_*, or -1: not woken since its last yield */
    char signal[NOTE_SIGNAL_MAX];
};

/* The notes of one node's tasks, indexed by tid (tids of one scheduler are never reused). */
struct sim_wnode {
    struct sim_wnote *v;
    size_t cap;
};

struct sim_waits {
    uint32_t nnodes;
    struct sim_wnode node[];
};

int coop_sim_track_waits(coop_sim *sim)
{
    if (sim->waits)
        return 0;
    sim->waits = calloc(1, sizeof(*sim->waits) + sim->nnodes * sizeof(struct sim_wnode));
    if (!sim->waits)
        return -COOP_ENOMEM;
    sim->waits->nnodes = sim->nnodes;
    return 0;
}

void sim_waits_free(coop_sim *sim)
{
    if (!sim->waits)
        return;
    for (uint32_t i = 0; i < sim->waits->nnodes; i++)
        free(sim->waits->node[i].v);
    free(sim->waits);
    sim->waits = NULL;
}

static struct sim_wnote *note_of(const coop_sim *sim, uint32_t node, uint32_t tid)
{
    if (!sim->waits || node >= sim->waits->nnodes)
        return NULL;
    const struct sim_wnode *w = &sim->waits->node[node];
    return tid < w->cap ? &w->v[tid] : NULL;
}

void sim_waits_note(struct sim_node *n, const coop_trace_event *e)
{
    struct sim_waits *ws = n->sim->waits;
    if (!e->tid || n->index >= ws->nnodes)
        return;
    struct sim_wnode *w = &ws->node[n->index];
    if (e->tid >= w->cap) {
        size_t cap = w->cap ? w->cap : 16;
        while (cap <= e->tid)
            cap *= 2;
        struct sim_wnote *v = realloc(w->v, cap * sizeof(*v));
        if (!v)
            return; /* the description then says nothing of since when */
        memset(v + w->cap, 0, (cap - w->cap) * sizeof(*v));
        for (size_t k = w->cap; k < cap; k++)
            v[k].reason = -1;
        w->v = v;
        w->cap = cap;
    }
    struct sim_wnote *t = &w->v[e->tid];
    switch (e->kind) {
    case COOP_TR_SPAWN:
    case COOP_TR_YIELD:
        /* A spawn on a restarted node reuses a tid: the note starts afresh. */
        t->since_ns = e->t_ns;
        t->reason = -1;
        break;
    case COOP_TR_WAKE:
        t->woke_ns = e->t_ns;
        t->reason = (int8_t)e->reason;
        t->value = e->value;
        t->fd = e->fd;
        snprintf(t->signal, sizeof(t->signal), "%s", e->signal ? e->signal : "");
        break;
    default:
        break;
    }
}

/* ---- Writing it ---- */

/* A time as the scenario language writes it ("1.5s" is "1500ms"), with 0 as "0ms". */
static const char *tm(uint64_t ns, char *buf, size_t len)
{
    if (ns)
        coop_scn_format_time(ns, buf, len);
    else
        snprintf(buf, len, "0ms");
    return buf;
}

static const char *dir_name(unsigned ev)
{
    return (ev & COOP_EV_READ) && (ev & COOP_EV_WRITE) ? "read+write"
           : (ev & COOP_EV_WRITE)                      ? "write"
           : (ev & COOP_EV_READ)                       ? "read"
                                                       : "none";
}

/* A timer of the listing: a task's due time or timeout. */
struct timer {
    uint64_t t;
    uint32_t tid;
    const char *name;
    bool timeout;
};

static int timer_cmp(const void *a, const void *b)
{
    const struct timer *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* A signal name with one task waiting on it. */
struct sigwait {
    const char *sig;
    uint32_t tid;
    const char *name;
};

static int sigwait_cmp(const void *a, const void *b)
{
    const struct sigwait *x = a, *y = b;
    int c = strcmp(x->sig, y->sig);
    if (c)
        return c;
    return x->tid < y->tid ? -1 : x->tid > y->tid;
}

#define TASKS_SHOWN 200

static void write_wait(FILE *out, const coop_task *t, const coop_wait_info *wi)
{
    char a[32];
    switch (wi->kind) {
    case COOP_WAITS_TASK:
        fprintf(out, " on task %u", wi->tid);
        break;
    case COOP_WAITS_DIAL:
        fprintf(out, " on connect fd %d", wi->fd);
        break;
    default:
        break;
    }
    if (wi->nsignals) {
        fprintf(out, " on signal%s", wi->nsignals > 1 ? "s" : "");
        for (uint32_t i = 0; i < wi->nsignals; i++)
            fprintf(out, "%s'%s'", i ? ", " : " ", coop_task_wait_signal(t, i));
    }
    if (wi->kind == COOP_WAITS_IO || wi->kind == COOP_WAITS_ANY) {
        for (uint32_t i = 0; i < wi->nfds; i++) {
            unsigned interest = 0;
            int fd = coop_task_wait_fd(t, i, &interest, NULL);
            fprintf(out, "%s fd %d (%s)", i || wi->nsignals ? "," : " on", fd, dir_name(interest));
        }
    }
    if (wi->has_deadline)
        fprintf(out, ", timeout at %s", tm(wi->deadline_ns, a, sizeof(a)));
}

static void write_woken(FILE *out, const struct sim_wnote *nt)
{
    char a[32];
    fprintf(out, ", woken at %s by ", tm(nt->woke_ns, a, sizeof(a)));
    switch (nt->reason) {
    case COOP_WAKE_SIGNAL:
        fprintf(out, "signal '%s' value %lld", nt->signal, (long long)nt->value);
        break;
    case COOP_WAKE_IO:
        fprintf(out, "fd %d ready", nt->fd);
        break;
    case COOP_WAKE_TASK_EXIT:
        fputs("the end of the task it waited for", out);
        break;
    default:
        fputs(coop_wake_name(nt->reason), out);
        break;
    }
}

static void describe_node(const coop_sim *sim, uint32_t i, FILE *out)
{
    const struct sim_node *n = &sim->nodes[i];
    char a[32], b[32];
    uint32_t ad = n->addr;
    fprintf(out, "node %s (%u.%u.%u.%u)", n->name, (unsigned)(ad >> 24), (unsigned)(ad >> 16 & 255),
            (unsigned)(ad >> 8 & 255), (unsigned)(ad & 255));
    if (!n->sched) {
        fputs(": down\n", out);
        return;
    }
    size_t count = coop_task_count(n->sched);
    fprintf(out, ": %zu task%s\n", count, count == 1 ? "" : "s");
    struct timer *timers = calloc(count + 1, sizeof(*timers));
    struct sigwait *sigs = NULL;
    size_t ntimers = 0, nsigs = 0, sigcap = 0, shown = 0;
    coop_task_iter it;
    coop_task_iter_init(&it, n->sched);
    for (coop_task *t; (t = coop_task_iter_next(&it));) {
        coop_wait_info wi;
        coop_task_wait_info(t, &wi);
        uint32_t tid = coop_task_tid(t);
        const char *name = coop_task_name(t);
        const struct sim_wnote *nt = note_of(sim, i, tid);
        if (wi.has_deadline && timers)
            timers[ntimers++] = (struct timer){ wi.deadline_ns, tid, name, wi.where == COOP_WHERE_BLOCKED };
        for (uint32_t k = 0; k < wi.nsignals; k++) {
            if (nsigs == sigcap) {
                size_t cap = sigcap ? 2 * sigcap : 8;
                struct sigwait *v = realloc(sigs, cap * sizeof(*v));
                if (!v)
                    break;
                sigs = v;
                sigcap = cap;
            }
            sigs[nsigs++] = (struct sigwait){ coop_task_wait_signal(t, k), tid, name };
        }
        if (shown++ >= TASKS_SHOWN)
            continue;
        fprintf(out, "  task %u %s prio %d: ", tid, name, coop_task_prio(t));
        switch (wi.where) {
        case COOP_WHERE_RUNNING:
            fputs("running", out);
            break;
        case COOP_WHERE_READY:
            fputs("ready", out);
            if (nt && nt->reason >= 0) {
                write_woken(out, nt);
                break;
            }
            /* Due by its own time (a period, a yield's turn, a new task), not woken by anything. */
            fprintf(out, ", due at %s", tm(coop_task_time2run_ns(t), a, sizeof(a)));
            if (nt)
                fprintf(out, ", since %s", tm(nt->since_ns, b, sizeof(b)));
            break;
        case COOP_WHERE_DUE:
            fprintf(out, "due at %s", tm(wi.deadline_ns, a, sizeof(a)));
            if (nt)
                fprintf(out, ", since %s", tm(nt->since_ns, b, sizeof(b)));
            break;
        case COOP_WHERE_BLOCKED:
            fputs("blocked", out);
            write_wait(out, t, &wi);
            if (nt)
                fprintf(out, ", since %s", tm(nt->since_ns, b, sizeof(b)));
            break;
        default:
            fputs("ended", out);
            break;
        }
        fputc('\n', out);
        /* Registered fds a blocked wait does not list: what the task holds, and events seen meanwhile. */
        if (wi.nfds && wi.kind != COOP_WAITS_IO && wi.kind != COOP_WAITS_ANY) {
            fputs("    registered:", out);
            for (uint32_t k = 0; k < wi.nfds; k++) {
                unsigned interest = 0, pending = 0;
                int fd = coop_task_wait_fd(t, k, &interest, &pending);
                fprintf(out, "%s fd %d (%s", k ? "," : "", fd, dir_name(interest));
                if (pending)
                    fprintf(out, ", %s pending", dir_name(pending));
                fputc(')', out);
            }
            fputc('\n', out);
        }
    }
    if (shown > TASKS_SHOWN)
        fprintf(out, "  ... and %zu more task(s)\n", shown - TASKS_SHOWN);
    if (ntimers) {
        qsort(timers, ntimers, sizeof(*timers), timer_cmp);
        fputs("  timers:\n", out);
        for (size_t k = 0; k < ntimers && k < TASKS_SHOWN; k++)
            fprintf(out, "    %s: task %u %s (%s)\n", tm(timers[k].t, a, sizeof(a)), timers[k].tid,
                    timers[k].name, timers[k].timeout ? "timeout" : "due");
        if (ntimers > TASKS_SHOWN)
            fprintf(out, "    ... and %zu more\n", ntimers - TASKS_SHOWN);
    }
    if (nsigs) {
        qsort(sigs, nsigs, sizeof(*sigs), sigwait_cmp);
        fputs("  signals waited on:\n", out);
        for (size_t k = 0; k < nsigs;) {
            size_t e = k;
            fprintf(out, "    '%s':", sigs[k].sig);
            for (; e < nsigs && !strcmp(sigs[e].sig, sigs[k].sig); e++)
                fprintf(out, "%s task %u %s", e > k ? "," : "", sigs[e].tid, sigs[e].name);
            fputc('\n', out);
            k = e;
        }
    }
    free(timers);
    free(sigs);
}

/* Names peers by the caller's names for peer handles. */
struct peer_names {
    const coop_sim *sim;
    const char *const *names;
    size_t n;
};

static const char *peer_name(void *ctx, uint32_t conn)
{
    const struct peer_names *p = ctx;
    for (size_t h = 0; h < p->n; h++)
        if (p->names[h] && coop_sim_peer_conn(p->sim, (int)h) == (int64_t)conn)
            return p->names[h];
    return NULL;
}

static int event_cmp(const void *a, const void *b)
{
    const struct heap_ent *x = a, *y = b;
    return heap_less(x, y) ? -1 : heap_less(y, x);
}

#define SCRIPTED_SHOWN 16

/* Signals the script still sends: the values on their way. */
static void describe_scripted(const coop_sim *sim, FILE *out)
{
    size_t n = sim->events.n, nsig = 0;
    struct heap_ent *v = n ? malloc(n * sizeof(*v)) : NULL;
    for (size_t k = 0; v && k < n; k++)
        if (sim->pool[sim->events.v[k].id].kind == EV_SIGNAL)
            v[nsig++] = sim->events.v[k];
    fprintf(out, "scripted events to come: %zu, of them signals: %zu\n", n, nsig);
    if (nsig) {
        qsort(v, nsig, sizeof(*v), event_cmp);
        for (size_t k = 0; k < nsig && k < SCRIPTED_SHOWN; k++) {
            const struct sim_event *e = &sim->pool[v[k].id];
            char a[32];
            fprintf(out, "  %s: signal '%s' value %lld", tm(v[k].t, a, sizeof(a)), e->name,
                    (long long)e->value);
            if (sim->nnodes > 1)
                fprintf(out, " to node %s", sim->nodes[e->node].name);
            fputc('\n', out);
        }
        if (nsig > SCRIPTED_SHOWN)
            fprintf(out, "  ... and %zu more\n", nsig - SCRIPTED_SHOWN);
    }
    free(v);
}

void coop_sim_describe(const coop_sim *sim, FILE *out, const char *const *peer_names, size_t npeer_names)
{
    char a[32];
    fprintf(out, "world at %s after %llu steps\n", tm(sim->now_ns, a, sizeof(a)),
            (unsigned long long)sim->steps);
    for (uint32_t i = 0; i < sim->nnodes; i++)
        describe_node(sim, i, out);
    describe_scripted(sim, out);
    struct peer_names pn = { sim, peer_names, npeer_names };
    coop_net_describe(sim->net, out, peer_name, &pn);
}
