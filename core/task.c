/* Task records: building, joining a scheduler, ending and freeing, and their attributes. */
#include <string.h>

#include "ready.h"

/* Beyond this the block size could overflow; such a state cannot be allocated anyway. */
#define STATE_MAX (SIZE_MAX / 4)

static int name_length(const char *name, size_t *len)
{
    size_t n = 0;
    while (name[n] && n <= COOP_NAME_MAX)
        n++;
    if (n > COOP_NAME_MAX)
        return -COOP_ENAMETOOLONG;
    *len = n;
    return 0;
}

/* A named task's name, which follows its state in the block. */
static char *name_slot(const coop_task *t)
{
    return (char *)(uintptr_t)t + COOP__RECORD_SIZE + coop__state_span(t->kind->state_size);
}

static size_t block_size_of(const coop_task *t)
{
    size_t name_bytes = t->flags & COOP__F_NAMED ? strlen(name_slot(t)) + 1 : 0;
    return coop__block_size(t->kind->state_size, name_bytes);
}

int coop__task_build(coop_sched *s, const coop_task_spec *spec, coop_task **out)
{
    *out = NULL;
    if (!spec || !spec->step || spec->prio < 0 || spec->prio > COOP_PRIO_LOWEST)
        return -COOP_EINVAL;
    if (spec->late != COOP_LATE_CATCH_UP && spec->late != COOP_LATE_SKIP)
        return -COOP_EINVAL;
    if (s->next_tid > COOP__TID_MAX)
        return -COOP_EOVERFLOW;
    if (spec->state_size > STATE_MAX)
        return -COOP_ENOMEM;
    size_t name_len = 0;
    if (spec->name) {
        int err = name_length(spec->name, &name_len);
        if (err)
            return err;
    }
    struct coop__kind *kind = coop__kind_get(s, spec->step, spec->period_ns, spec->state_size);
    if (!kind)
        return -COOP_ENOMEM;
    coop_task *t = coop__block_alloc(s, coop__block_size(spec->state_size, spec->name ? name_len + 1 : 0));
    if (!t) {
        coop__kind_put(s, kind);
        return -COOP_ENOMEM;
    }
    memset(t, 0, sizeof(*t));
    if (spec->init)
        memcpy(t->state, spec->init, spec->state_size);
    else
        memset(t->state, 0, spec->state_size);
    t->kind = kind;
    if (spec->name) {
        t->flags |= COOP__F_NAMED;
        memcpy(name_slot(t), spec->name, name_len);
        name_slot(t)[name_len] = '\0';
    }
    t->head.lc = COOP__LC_START;
    t->where = COOP__DETACHED;
    t->prio = (uint8_t)(spec->prio ? spec->prio : COOP_PRIO_DEFAULT);
    if ((spec->late ? spec->late : s->default_late) == COOP_LATE_SKIP)
        t->flags |= COOP__F_LATE_SKIP;
    if (spec->period_ns < 0)
        t->flags |= COOP__F_ONCE;
    t->tid = s->next_tid++;
#if COOP_CONFIG_HEAP_KEYS
    t->heap_idx = COOP__NO_INDEX;
#endif
    /*
     * The start rules: an explicit positive start delay wins; otherwise a
     * periodic task waits one period and any other task starts now.  The
     * absolute time is fixed when the task joins the scheduler.
     */
    if (spec->time2run_ns > 0)
        t->time2run_ns = (uint64_t)spec->time2run_ns;
    else if (spec->period_ns > 0)
        t->time2run_ns = (uint64_t)spec->period_ns;
    else
        t->time2run_ns = 0;
    *out = t;
    return 0;
}

/* Frees a record unless a ring, the heap or a dispatcher still points at it. */
void coop__task_release(coop_sched *s, coop_task *t)
{
    if (t->flags & (COOP__F_IN_RING | COOP__F_IN_CHAIN | COOP__F_IN_HEAP | COOP__F_PINNED))
        return;
    if (t->where != COOP__DEAD && t->where != COOP__DETACHED)
        return;
    struct coop__calls *c = t->calls;
    if (c) {
        coop__free(s, c->regs, (size_t)c->regcap * sizeof(*c->regs));
        coop__free(s, c->fds, (size_t)c->fdcap * sizeof(*c->fds));
        coop__free(s, c->waiters, (size_t)c->waitcap * sizeof(*c->waiters));
        coop__block_free(s, c, sizeof(*c));
    }
    struct coop__kind *kind = t->kind;
    coop__block_free(s, t, block_size_of(t));
    coop__kind_put(s, kind);
}

/* A blocked task becomes ready now; its registrations and timeout go. */
void coop__make_ready(coop_sched *s, coop_task *t, int reason, const struct coop__signal *sig, int fd)
{
    coop_assert(t->where == COOP__BLOCKED);
    coop__signal_unregister(t);
    coop__dequeue(s, t);
    t->calls->block = COOP__BLOCK_NONE;
    t->time2run_ns = s->now_ns;
    t->where = COOP__TIMED;
    COOP__TRACE(s, COOP_TR_WAKE, t, .reason = reason, .signal = sig ? sig->name : NULL, .fd = fd,
                .code = t->calls->res.code, .value = t->calls->res.value);
    coop__enqueue(s, t);
}

/* Calls the step in cleanup mode once; a task ended by COOP_END has already run it. */
void coop__run_cleanup(coop_sched *s, coop_task *t)
{
    if (t->flags & COOP__F_FINALIZED)
        return;
    t->flags |= COOP__F_FINALIZED;
    if (t->head.lc == COOP__LC_DONE)
        return;
    /*
     * A cleanup's constructors use s->call, which is empty here unless a
     * step that built a call ends a task before yielding it (coop_kill
     * from a step).  Only then is that call kept aside, in an allocation,
     * not on the stack: this path stays small on a microcontroller.
     * Without memory for it the call is lost and its yield fails with
     * -COOP_ENOMEM.
     */
    struct coop__call *kept = NULL;
    bool lost = false;
    if (s->call.kind != COOP_CALL_NONE) {
        kept = coop__alloc(s, sizeof(*kept));
        if (kept) {
            *kept = s->call;
            s->call.kind = COOP_CALL_NONE;
            s->call.child = NULL;
        } else {
            coop__call_discard(s);
            lost = true;
        }
    }
    coop_task *saved = s->current;
    s->current = t;
    t->head.lc = COOP__LC_FINALLY;
    int r = coop__call_step(s, t);
    s->current = saved;
    if (r == COOP__YIELDED)
        coop__log(s, COOP_LOG_WARN, "a task yielded inside its cleanup; the rest of the cleanup is skipped");
    coop__call_discard(s);
    if (kept) {
        s->call = *kept;
        coop__free(s, kept, sizeof(*kept));
    } else if (lost) {
        s->call.kind = COOP_CALL_GET_TASK_REF; /* any kind: the error is what its handler reports */
        s->call.err = -COOP_ENOMEM;
    }
    t->head.lc = COOP__LC_DONE;
}

/* Takes a task in WaitTask off its target's list of waiters. */
void coop__remove_waiter(coop_sched *s, coop_task *w)
{
    coop_task *target = coop__tab_find(s, w->calls->wait_tid);
    struct coop__calls *c = target ? target->calls : NULL;
    if (!c)
        return;
    for (uint32_t i = 0; i < c->nwaiters; i++) {
        if (c->waiters[i] == w) {
            for (uint32_t j = i + 1; j < c->nwaiters; j++)
                c->waiters[j - 1] = c->waiters[j];
            c->nwaiters--;
            return;
        }
    }
}

/* Records how the task ends; from here on its time2run is no longer kept. */
void coop__set_status(coop_task *t, int status)
{
    t->exit_status = status;
    t->flags |= COOP__F_ENDED;
}

/*
 * Ends a task at once, whatever it was doing: out of every queue and
 * list, cleanup run, fds closed, waiters woken with the status.  killer
 * is the tid of the task that killed it, 0 from outside, or UINT32_MAX
 * when the task ended by itself.  A task killed during its own step is
 * only marked; its dispatcher ends it when the step returns.
 */
void coop__end_task(coop_sched *s, coop_task *t, int status, uint32_t killer)
{
    if (t->where == COOP__DEAD || t->where == COOP__DETACHED)
        return;
    if (t->flags & COOP__F_IN_STEP) {
        t->flags |= COOP__F_KILL_PENDING;
        coop__set_status(t, status);
        return;
    }
    coop__dequeue(s, t);
    coop__signal_unregister(t);
    if (t->where == COOP__BLOCKED && t->calls->block == COOP__BLOCK_TASK)
        coop__remove_waiter(s, t);
    t->where = COOP__DEAD;
    coop__set_status(t, status);
    coop__tab_del(s, t);
    COOP__TRACE(s, killer == UINT32_MAX ? COOP_TR_EXIT : COOP_TR_KILL, t,
                .code = killer == UINT32_MAX ? status : (int64_t)killer, .fd = -1);
    coop__run_cleanup(s, t);
    if (COOP__HAS_POLLER(s))
        coop__stream_drop_all(s, t);
    /* The cleanup may have given the task its call record, so it is read only now. */
    struct coop__calls *c = t->calls;
    for (uint32_t i = 0; c && i < c->nwaiters; i++) {
        coop_task *w = c->waiters[i];
        w->calls->res = (coop_call_result){ status, t->tid, NULL };
        coop__make_ready(s, w, COOP_WAKE_TASK_EXIT, NULL, -1);
    }
    if (c)
        c->nwaiters = 0;
    coop__task_release(s, t);
}

void coop__kill_all(coop_sched *s, uint32_t killer)
{
    /* tid order; the iterator copes with cleanups that end or start other tasks. */
    coop_task_iter it;
    coop_task_iter_init(&it, s);
    for (coop_task *t; (t = coop_task_iter_next(&it));)
        coop__end_task(s, t, -COOP_ECANCELED, killer);
}

/*
 * The part of joining that may fail: a heap slot and a task-table slot.
 * Then the start time becomes absolute and the task is RUNNING, its setup
 * next.  A task holds at most one heap entry, so reserving a slot per
 * live task here means queueing can never fail for want of memory later.
 */
int coop__join_prepare(coop_sched *s, coop_task *t)
{
    coop_assert(t->where == COOP__DETACHED);
    int err = 0;
#if COOP_CONFIG_HEAP_KEYS
    err = coop__grow(s, (void **)&s->heap.v, &s->heap.cap, s->tab.live + 1, sizeof(*s->heap.v));
    if (err)
        return err;
#endif
    err = coop__tab_add(s, t);
    if (err)
        return err;
    t->time2run_ns += s->now_ns;
    t->where = COOP__RUNNING;
    COOP__TRACE(s, COOP_TR_SPAWN, t, .code = t->prio, .value = t->kind->period_ns, .fd = -1);
    return 0;
}

/*
 * Runs a prepared task's setup.  Unlike the seed, which discards a call
 * yielded by the setup, the call takes effect.  A plain yield queues the
 * task by the start rules, because time2run already holds its first due
 * time, so the setup is not counted as a run and no period is added; that
 * case is finished here and answers true.  Otherwise the step's return,
 * in *r, is for coop__finish_step.
 */
bool coop__setup_step(coop_sched *s, coop_task *t, int *r)
{
    s->current = t;
    t->flags |= COOP__F_PINNED;
    *r = coop__call_step(s, t);
    if (*r == COOP__YIELDED && s->call.kind == COOP_CALL_NONE && !(t->flags & COOP__F_KILL_PENDING)) {
        t->where = COOP__TIMED;
        coop__enqueue(s, t);
        t->flags &= (uint16_t)~COOP__F_PINNED;
        return true;
    }
    return false;
}

/*
 * Joins a task from outside the call handling (coop_spawn), possibly from
 * inside a step that has built a call it has not yielded yet, so that
 * call is kept aside while the setup runs.
 */
int coop__task_join(coop_sched *s, coop_task *t)
{
    int err = coop__join_prepare(s, t);
    if (err)
        return err;
    coop_task *saved = s->current;
    struct coop__call saved_call = s->call;
    s->call.kind = COOP_CALL_NONE;
    s->call.child = NULL;
    int r;
    if (!coop__setup_step(s, t, &r))
        coop__finish_step(s, t, r);
    s->current = saved;
    s->call = saved_call;
    return 0;
}

/* Writes "task_<tid>" into a buffer of at least 16 bytes. */
static const char *auto_name(char *buf, size_t cap, uint32_t tid)
{
    struct coop__buf b = { buf, cap, 0 };
    buf[0] = '\0';
    coop__buf_str(&b, "task_");
    coop__buf_u32(&b, tid);
    return buf;
}

/* The name for logs and traces; an automatic one is formatted into a scratch buffer, without allocating. */
const char *coop__task_label(coop_sched *s, const coop_task *t)
{
    if (t->flags & COOP__F_NAMED)
        return name_slot(t);
    if (t->calls && t->calls->auto_name[0])
        return t->calls->auto_name;
    return auto_name(s->label, sizeof(s->label), t->tid);
}

uint32_t coop_task_tid(const coop_task *t) { return t->tid; }

/*
 * A named task's name lives in its block.  An automatic name is written
 * into the call record the first time it is asked for, so that the
 * pointer stays valid for the task's life; without memory for the record
 * the answer is "task", which is never an automatic name.
 */
const char *coop_task_name(const coop_task *t)
{
    if (t->flags & COOP__F_NAMED)
        return name_slot(t);
    struct coop__calls *c = coop__calls_of((coop_task *)(uintptr_t)t);
    if (!c)
        return "task";
    return c->auto_name[0] ? c->auto_name : auto_name(c->auto_name, sizeof(c->auto_name), t->tid);
}

int coop_task_prio(const coop_task *t) { return t->prio; }
int64_t coop_task_period_ns(const coop_task *t) { return t->kind->period_ns; }
uint64_t coop_task_time2run_ns(const coop_task *t) { return t->flags & COOP__F_ENDED ? 0 : t->time2run_ns; }
coop_sched *coop_task_sched(const coop_task *t) { return coop__sched_of(t); }
int coop_task_exit_status(const coop_task *t) { return coop__exit_status(t); }
unsigned coop_task_resume_line(const coop_task *t) { return t->head.lc; }

const coop_call_result *coop_result_of(const coop_task *t)
{
    static const coop_call_result none = { 0, 0, NULL };
    static const coop_call_result no_memory = { -COOP_ENOMEM, 0, NULL };
    if (t->flags & COOP__F_CALLS_OOM)
        return &no_memory;
    return t->calls ? &t->calls->res : &none;
}

/* A period lives in the task's kind, so a new period means another kind. */
int coop_task_set_period_ns(coop_task *t, int64_t period_ns)
{
    struct coop__kind *old = t->kind;
    if (old->period_ns == period_ns)
        return 0;
    coop_sched *s = old->sched;
    struct coop__kind *kind = coop__kind_get(s, old->step, period_ns, old->state_size);
    if (!kind)
        return -COOP_ENOMEM;
    t->kind = kind;
    coop__kind_put(s, old);
    if (period_ns < 0)
        t->flags |= COOP__F_ONCE;
    else
        t->flags &= (uint16_t)~COOP__F_ONCE;
    return 0;
}

int coop_task_set_prio(coop_task *t, int prio)
{
    if (prio < COOP_PRIO_HIGHEST || prio > COOP_PRIO_LOWEST)
        return -COOP_EINVAL;
    t->prio = (uint8_t)prio;
    return 0;
}

void coop_task_set_late_policy(coop_task *t, coop_late_policy late)
{
    if (late == COOP_LATE_SKIP)
        t->flags |= COOP__F_LATE_SKIP;
    else
        t->flags &= (uint16_t)~COOP__F_LATE_SKIP;
}

void coop__set_exit(coop_task *t, int status)
{
    coop__set_status(t, status);
    t->head.lc = COOP__LC_FINALLY;
}

/* Without memory for the call record the failure is still reported, at "?". */
int coop__fail(coop_task *t, int err, const char *file, unsigned line)
{
    struct coop__calls *c = coop__calls_of(t);
    if (c) {
        c->fail_file = file;
        c->fail_line = line;
    }
    return err < 0 ? err : -COOP_EINVAL;
}
