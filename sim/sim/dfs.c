/* Exhaustive search: a depth-first walk over the choice points, with sleep sets to skip orders that cannot differ. */
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "coop/strategy.h"
#include "sim/schedule.h"

/*
 * What a step touches, as resource tags: the class in the top two bits
 * (signal, fd, task) and a hash or number below.  any has a bit per
 * class for a step that touches every resource of it (a call whose
 * target the events do not name), and FP_ALL for one that touches
 * everything.  A footprint that overflows becomes FP_ALL: a larger
 * footprint only makes the search prune less.
 */
enum { CLS_SIG = 1, CLS_FD = 2, CLS_TASK = 3, FP_ALL = 1u << 4, FP_MAX = 12, SLEEP_MAX = 16 };

struct fp {
    uint32_t n;
    uint32_t any; /* 1 << CLS_*, FP_ALL */
    uint32_t r[FP_MAX];
};

/* A task whose next step was explored as an alternative, with that step's footprint. */
struct sleeper {
    uint32_t tid;
    struct fp fp;
};

/*
 * A choice point of the current path.  tids are the tie, chosen the index
 * taken on the current path, done the indices taken so far (bits), fp[i]
 * the footprint of the step index i ran when it was taken, and sleep the
 * sleep set on arrival: tasks whose step here is known to lead nowhere
 * new.
 */
struct node {
    bool fault; /* a fault decision: n is 2 (0: not fired, 1: fired) or 1 past the budget; tids[0] its kind */
    uint32_t n, chosen, done;
    uint32_t tids[COOP_PICK_MAX];
    struct fp fp[COOP_PICK_MAX];
    uint32_t nsleep;
    struct sleeper sleep[SLEEP_MAX];
};

/*
 * The search.  nodes[0..depth) is the current path; a run replays it and
 * adds nodes past its end.  During a run: at is the next choice point,
 * sleep the sleep set as it stands, step the footprint of the step under
 * way (of task step_tid), which is the first step after choice point
 * step_node, or any later one when step_node is -1.
 */
struct coop_dfs {
    bool calls_only; /* false: every step touches everything (shared memory is invisible) */
    struct node *nodes;
    size_t depth, cap;
    bool more;
    uint32_t at;
    bool redundant;
    uint32_t nsleep;
    struct sleeper sleep[SLEEP_MAX];
    bool in_step;
    struct fp step;
    int64_t step_node;
    uint32_t max_fired; /* fault decisions that may fire on one path */
    uint32_t fired;     /* those fired so far in this run */
};

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; s && *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static void fp_add(struct fp *f, uint32_t cls, uint32_t v)
{
    uint32_t tag = cls << 30 | (v & 0x3fffffffu);
    for (uint32_t i = 0; i < f->n; i++)
        if (f->r[i] == tag)
            return;
    if (f->n == FP_MAX)
        f->any |= FP_ALL;
    else
        f->r[f->n++] = tag;
}

static bool has_class(const struct fp *f, uint32_t cls)
{
    if (f->any & (1u << cls))
        return true;
    for (uint32_t i = 0; i < f->n; i++)
        if (f->r[i] >> 30 == cls)
            return true;
    return false;
}

static bool independent(const struct fp *a, const struct fp *b)
{
    if ((a->any | b->any) & FP_ALL)
        return false;
    for (uint32_t c = CLS_SIG; c <= CLS_TASK; c++)
        if (((a->any & (1u << c)) && has_class(b, c)) || ((b->any & (1u << c)) && has_class(a, c)))
            return false;
    for (uint32_t i = 0; i < a->n; i++)
        for (uint32_t j = 0; j < b->n; j++)
            if (a->r[i] == b->r[j])
                return false;
    return true;
}

/* What a yielded call touches beyond what its own events name. */
static void fp_call(struct fp *f, int call)
{
    switch (call) {
    case COOP_CALL_NONE:
    case COOP_CALL_WAIT:
    case COOP_CALL_SEND_SIGNAL: /* its signal event names the signal */
        break;
    case COOP_CALL_WAIT_SIGNAL:
    case COOP_CALL_WAIT_SIGNALS:
    case COOP_CALL_SEND_WAIT_SIGNAL:
        f->any |= 1u << CLS_SIG;
        break;
    case COOP_CALL_KILL_TASK:
    case COOP_CALL_WAIT_TASK:
    case COOP_CALL_GET_TASK_REF:
        f->any |= 1u << CLS_TASK;
        break;
    case COOP_CALL_STREAM_REGISTER:
    case COOP_CALL_STREAM_WAIT:
    case COOP_CALL_DIAL:
        f->any |= 1u << CLS_FD;
        break;
    case COOP_CALL_WAIT_ANY:
        f->any |= 1u << CLS_SIG | 1u << CLS_FD;
        break;
    default: /* task lists, adding tasks, KillOs: everything */
        f->any |= FP_ALL;
        break;
    }
}

static bool asleep(const struct sleeper *s, uint32_t n, uint32_t tid)
{
    for (uint32_t i = 0; i < n; i++)
        if (s[i].tid == tid)
            return true;
    return false;
}

static void sleep_add(coop_dfs *d, uint32_t tid, const struct fp *fp)
{
    /* A full sleep set drops the newcomer: sleeping less only costs runs. */
    if (d->nsleep < SLEEP_MAX && !asleep(d->sleep, d->nsleep, tid))
        d->sleep[d->nsleep++] = (struct sleeper){ tid, *fp };
}

/* The step under way ends: sleepers it depends on wake up, and a chosen step's footprint is kept. */
static void end_step(coop_dfs *d)
{
    if (!d->in_step)
        return;
    d->in_step = false;
    uint32_t w = 0;
    for (uint32_t i = 0; i < d->nsleep; i++)
        if (independent(&d->sleep[i].fp, &d->step))
            d->sleep[w++] = d->sleep[i];
    d->nsleep = w;
    if (d->step_node >= 0 && (size_t)d->step_node < d->depth) {
        struct node *nd = &d->nodes[d->step_node];
        nd->fp[nd->chosen] = d->step;
    }
    d->step_node = -1;
}

static void on_event(void *ctx, const coop_trace_event *e)
{
    coop_dfs *d = ctx;
    if (e->kind == COOP_TR_RUN) {
        /* Only the first step after a choice point is that choice's own. */
        int64_t node = d->in_step ? -1 : d->step_node;
        end_step(d);
        /* A sleeping task runs because it alone was due: this order was explored already. */
        if (asleep(d->sleep, d->nsleep, e->tid))
            d->redundant = true;
        d->in_step = true;
        d->step = (struct fp){ 0 };
        d->step_node = node;
        fp_add(&d->step, CLS_TASK, e->tid);
        if (!d->calls_only)
            d->step.any |= FP_ALL;
        return;
    }
    if (!d->in_step)
        return;
    switch (e->kind) {
    case COOP_TR_YIELD:
        fp_call(&d->step, e->call);
        break;
    case COOP_TR_WAKE:
        if (e->signal)
            fp_add(&d->step, CLS_SIG, hash(e->signal));
        if (e->fd >= 0)
            fp_add(&d->step, CLS_FD, (uint32_t)e->fd);
        if (e->reason == COOP_WAKE_TASK_EXIT)
            fp_add(&d->step, CLS_TASK, e->tid);
        break;
    case COOP_TR_SIGNAL:
        fp_add(&d->step, CLS_SIG, hash(e->signal));
        break;
    case COOP_TR_IO:
        if (e->fd >= 0)
            fp_add(&d->step, CLS_FD, (uint32_t)e->fd);
        break;
    case COOP_TR_SPAWN:
    case COOP_TR_KILL:
    case COOP_TR_EXIT:
        fp_add(&d->step, CLS_TASK, e->tid);
        break;
    default:
        break;
    }
}

static uint32_t on_pick(void *ctx, const uint32_t *tids, uint32_t n)
{
    coop_dfs *d = ctx;
    end_step(d);
    if (d->redundant)
        return 0;
    uint32_t i = d->at++;
    if (i < d->depth) {
        /* Replaying the path: the sleep set below is the arrival set plus the alternatives taken before. */
        struct node *nd = &d->nodes[i];
        if (nd->fault || nd->n != n || memcmp(nd->tids, tids, n * sizeof(*tids))) {
            /* The program is not deterministic under this schedule; stop adding to the path. */
            d->redundant = true;
            return 0;
        }
        d->nsleep = 0;
        for (uint32_t k = 0; k < nd->nsleep; k++)
            sleep_add(d, nd->sleep[k].tid, &nd->sleep[k].fp);
        for (uint32_t k = 0; k < n; k++)
            if (k != nd->chosen && (nd->done & (1u << k)))
                sleep_add(d, tids[k], &nd->fp[k]);
        d->step_node = i;
        return nd->chosen;
    }
    if (grow(coop_allocator_libc(), (void **)&d->nodes, &d->cap, d->depth + 1, sizeof(*d->nodes), 64)) {
        d->redundant = true;
        return 0;
    }
    struct node *nd = &d->nodes[d->depth];
    nd->fault = false;
    nd->n = n;
    memcpy(nd->tids, tids, n * sizeof(*tids));
    nd->nsleep = d->nsleep;
    memcpy(nd->sleep, d->sleep, d->nsleep * sizeof(*d->sleep));
    uint32_t k = 0;
    while (k < n && asleep(d->sleep, d->nsleep, tids[k]))
        k++;
    if (k == n) {
        d->redundant = true;
        return 0;
    }
    nd->chosen = k;
    nd->done = 1u << k;
    d->depth++;
    d->step_node = i;
    return k;
}

/*
 * A fault decision: a choice point with two options, not firing first.
 * Whether a fault fires changes what the step under way touches, in ways
 * its events need not show, so the step counts as touching everything
 * (and between steps, every sleeper wakes): sleeping less only costs runs.
 */
static bool on_fault(void *ctx, uint32_t kind, uint32_t pct)
{
    coop_dfs *d = ctx;
    (void)pct;
    if (d->in_step)
        d->step.any |= FP_ALL;
    else
        d->nsleep = 0;
    if (d->redundant)
        return false;
    uint32_t i = d->at++;
    if (i < d->depth) {
        struct node *nd = &d->nodes[i];
        if (!nd->fault || nd->tids[0] != kind) {
            d->redundant = true;
            return false;
        }
        d->fired += nd->chosen;
        return nd->chosen != 0;
    }
    if (grow(coop_allocator_libc(), (void **)&d->nodes, &d->cap, d->depth + 1, sizeof(*d->nodes), 64)) {
        d->redundant = true;
        return false;
    }
    struct node *nd = &d->nodes[d->depth++];
    *nd = (struct node){ .fault = true, .n = d->fired < d->max_fired ? 2 : 1, .chosen = 0, .done = 1 };
    nd->tids[0] = kind;
    return false;
}

coop_dfs *coop_dfs_new(bool calls_only)
{
    coop_dfs *d = calloc(1, sizeof(*d));
    if (d) {
        d->max_fired = 1;
        d->calls_only = calls_only;
        d->more = true;
        d->step_node = -1;
    }
    return d;
}

void coop_dfs_free(coop_dfs *d)
{
    if (!d)
        return;
    free(d->nodes);
    free(d);
}

void coop_dfs_set_faults(coop_dfs *d, uint32_t max_fired) { d->max_fired = max_fired; }

coop_sim_chooser coop_dfs_chooser(coop_dfs *d)
{
    return (coop_sim_chooser){ on_pick, on_event, d, on_fault };
}

bool coop_dfs_end_run(coop_dfs *d)
{
    end_step(d);
    bool counted = !d->redundant;
    /* Backtrack to the deepest choice point with an alternative that is neither taken nor asleep. */
    while (d->depth) {
        struct node *nd = &d->nodes[d->depth - 1];
        uint32_t k = 0;
        while (k < nd->n && ((nd->done & (1u << k)) || asleep(nd->sleep, nd->nsleep, nd->tids[k])))
            k++;
        if (k < nd->n) {
            nd->chosen = k;
            nd->done |= 1u << k;
            break;
        }
        d->depth--;
    }
    d->more = d->depth > 0;
    d->at = 0;
    d->redundant = false;
    d->nsleep = 0;
    d->in_step = false;
    d->step_node = -1;
    d->fired = 0;
    return counted;
}

bool coop_dfs_more(const coop_dfs *d) { return d->more; }

size_t coop_dfs_format(const coop_dfs *d, char *buf, size_t len)
{
    uint8_t v[COOP_SCHEDULE_TEXT_MAX], f[COOP_SCHEDULE_TEXT_MAX];
    size_t n = d->at < d->depth ? d->at : d->depth, nv = 0, nf = 0;
    for (size_t i = 0; i < n; i++) {
        const struct node *nd = &d->nodes[i];
        if (nd->fault && nf < sizeof(f))
            f[nf++] = (uint8_t)nd->chosen;
        else if (!nd->fault && nv < sizeof(v))
            v[nv++] = (uint8_t)nd->chosen;
    }
    return sim_schedule_format_full(v, nv, f, nf, buf, len);
}
