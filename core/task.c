/* Task records: building, joining a scheduler, queueing, ending and freeing. */
#include <string.h>

#include "ready.h"

static size_t state_offset(void) { return offsetof(struct coop_task, state); }

/* Rounds up so that the name after the state keeps no alignment demands. */
static size_t align16(size_t n) { return (n + 15) & ~(size_t)15; }

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

/* Takes a block from the reuse cache when one of the same size is there. */
static coop_task *block_alloc(coop_sched *s, size_t size)
{
    for (coop_task **pp = &s->free_list; *pp; pp = &(*pp)->next_free) {
        if ((*pp)->block_size == size) {
            coop_task *t = *pp;
            *pp = t->next_free;
            s->nfree--;
            return t;
        }
    }
    return coop__alloc(s, size);
}

int coop__task_build(coop_sched *s, const coop_task_spec *spec, coop_task **out)
{
    *out = NULL;
    if (!spec || !spec->step || spec->prio < 0 || spec->prio > COOP_PRIO_LOWEST)
        return -COOP_EINVAL;
    if (spec->late != COOP_LATE_CATCH_UP && spec->late != COOP_LATE_SKIP)
        return -COOP_EINVAL;
    if (s->next_tid == UINT32_MAX)
        return -COOP_EOVERFLOW;
    size_t name_len = 0;
    char auto_name[24];
    const char *name = spec->name;
    if (name) {
        int err = name_length(name, &name_len);
        if (err)
            return err;
    } else {
        struct coop__buf b = { auto_name, sizeof(auto_name), 0 };
        auto_name[0] = '\0';
        coop__buf_str(&b, "task_");
        coop__buf_uint(&b, s->next_tid);
        name = auto_name;
        name_len = b.len;
    }
    size_t size = state_offset() + align16(spec->state_size) + name_len + 1;
    coop_task *t = block_alloc(s, size);
    if (!t)
        return -COOP_ENOMEM;
    memset(t, 0, state_offset());
    t->block_size = size;
    if (spec->init)
        memcpy(t->state, spec->init, spec->state_size);
    else
        memset(t->state, 0, spec->state_size);
    char *name_copy = (char *)t->state + align16(spec->state_size);
    memcpy(name_copy, name, name_len);
    name_copy[name_len] = '\0';
    t->name = name_copy;
    t->head.lc = COOP__LC_START;
    t->where = COOP__DETACHED;
    t->prio = (uint8_t)(spec->prio ? spec->prio : COOP_PRIO_DEFAULT);
    t->late = (uint8_t)(spec->late ? spec->late : s->default_late);
    t->step = spec->step;
    t->period_ns = spec->period_ns;
    t->tid = s->next_tid++;
    t->heap_idx = COOP__NO_INDEX;
    t->sched = s;
    t->exit_status = 0;
    if (spec->period_ns < 0)
        t->flags |= COOP__F_ONCE;
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

/* Frees a record unless a ring or a dispatcher still points at it. */
void coop__task_release(coop_sched *s, coop_task *t)
{
    if (t->flags & (COOP__F_IN_RING | COOP__F_PINNED))
        return;
    if (t->where != COOP__DEAD && t->where != COOP__DETACHED)
        return;
    coop__free(s, t->regs, (size_t)t->regcap * sizeof(*t->regs));
    coop__free(s, t->fds, (size_t)t->fdcap * sizeof(*t->fds));
    coop__free(s, t->waiters, (size_t)t->waitcap * sizeof(*t->waiters));
    t->regs = NULL;
    t->fds = NULL;
    t->waiters = NULL;
    if (s->nfree < COOP__FREE_CACHE_MAX || s->gc_period_ns > 0) {
        t->next_free = s->free_list;
        s->free_list = t;
        s->nfree++;
        return;
    }
    coop__free(s, t, t->block_size);
}

/* The heap half of coop__enqueue (ready.h): for tasks not yet due, or that a ring cannot take. */
void coop__enqueue_heap(coop_sched *s, coop_task *t)
{
    coop_assert(t->seq < (UINT64_C(1) << 56));
    if (t == s->stale) {
        s->stale = NULL;
        coop__heap_update(&s->heap, t);
    } else {
        /* coop__task_join reserved a heap slot for every live task, so this cannot fail. */
        int err = coop__heap_push(s, &s->heap, t);
        coop_assert(err == 0);
    }
    if (t->where != COOP__BLOCKED)
        t->where = COOP__TIMED;
}

/* Takes the task out of the heap or its ring, whichever holds it. */
void coop__dequeue(coop_sched *s, coop_task *t)
{
    if (t == s->stale)
        s->stale = NULL;
    if (t->heap_idx != COOP__NO_INDEX)
        coop__heap_del(&s->heap, t);
    /* A ring entry cannot be removed from the middle; the head check skips it. */
}

/* A blocked task becomes ready now; its registrations and timeout go. */
void coop__make_ready(coop_sched *s, coop_task *t, int reason, const struct coop__signal *sig, int fd)
{
    coop_assert(t->where == COOP__BLOCKED);
    coop__signal_unregister(t);
    coop__dequeue(s, t);
    t->block = COOP__BLOCK_NONE;
    t->time2run_ns = s->now_ns;
    t->where = COOP__TIMED;
    COOP__TRACE(s, COOP_TR_WAKE, t, .reason = reason, .signal = sig ? sig->name : NULL, .fd = fd,
                .code = t->res.code, .value = t->res.value);
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
    struct coop__call saved_call = s->call;
    coop_task *saved = s->current;
    s->current = t;
    t->head.lc = COOP__LC_FINALLY;
    int r = coop__call_step(s, t);
    s->current = saved;
    if (r == COOP__YIELDED)
        coop__log(s, COOP_LOG_WARN, "a task yielded inside its cleanup; the rest of the cleanup is skipped");
    coop__call_discard(s);
    s->call = saved_call;
    t->head.lc = COOP__LC_DONE;
}

/* Takes a task in WaitTask off its target's list of waiters. */
void coop__remove_waiter(coop_sched *s, coop_task *w)
{
    coop_task *target = coop__tab_find(s, w->wait_tid);
    if (!target)
        return;
    for (uint32_t i = 0; i < target->nwaiters; i++) {
        if (target->waiters[i] == w) {
            for (uint32_t j = i + 1; j < target->nwaiters; j++)
                target->waiters[j - 1] = target->waiters[j];
            target->nwaiters--;
            return;
        }
    }
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
        t->exit_status = status;
        return;
    }
    coop__dequeue(s, t);
    coop__signal_unregister(t);
    if (t->where == COOP__BLOCKED && t->block == COOP__BLOCK_TASK)
        coop__remove_waiter(s, t);
    t->where = COOP__DEAD;
    t->exit_status = status;
    coop__tab_del(s, t);
    COOP__TRACE(s, killer == UINT32_MAX ? COOP_TR_EXIT : COOP_TR_KILL, t,
                .code = killer == UINT32_MAX ? status : (int64_t)killer, .fd = -1);
    coop__run_cleanup(s, t);
    if (s->poller.ops)
        coop__stream_drop_all(s, t);
    for (uint32_t i = 0; i < t->nwaiters; i++) {
        coop_task *w = t->waiters[i];
        w->res.code = status;
        w->res.value = t->tid;
        w->res.signal = NULL;
        coop__make_ready(s, w, COOP_WAKE_TASK_EXIT, NULL, -1);
    }
    t->nwaiters = 0;
    coop__task_release(s, t);
}

void coop__kill_all(coop_sched *s, uint32_t killer)
{
    /* tid order, re-searched each time because cleanups may end other tasks. */
    uint32_t next = 0;
    for (;;) {
        uint32_t i = coop__tab_lower(s, next);
        while (i < s->tab.n && !s->tab.v[i].task)
            i++;
        if (i >= s->tab.n)
            break;
        coop_task *t = s->tab.v[i].task;
        next = t->tid + 1;
        coop__end_task(s, t, -COOP_ECANCELED, killer);
    }
}

/* Makes the start time absolute, runs the setup, and applies what the setup yielded. */
int coop__task_join(coop_sched *s, coop_task *t)
{
    coop_assert(t->where == COOP__DETACHED);
    /*
     * A task is in the heap at most once, so reserving a slot per live task
     * here means queueing can never fail for want of memory later.
     */
    int err = coop__grow(s, (void **)&s->heap.v, &s->heap.cap, s->tab.live + 1, sizeof(*s->heap.v));
    if (err)
        return err;
    err = coop__tab_add(s, t);
    if (err)
        return err;
    t->time2run_ns += s->now_ns;
    t->where = COOP__RUNNING;
    COOP__TRACE(s, COOP_TR_SPAWN, t, .code = t->prio, .value = t->period_ns, .fd = -1);

    coop_task *saved = s->current;
    struct coop__call saved_call = s->call;
    s->call.kind = COOP_CALL_NONE;
    s->call.child = NULL;
    s->current = t;
    t->flags |= COOP__F_PINNED;
    int r = coop__call_step(s, t);
    /*
     * Unlike the seed, which discards a call yielded by the setup, the
     * call takes effect.  A plain yield queues the task by the start
     * rules, because time2run already holds its first due time, so the
     * setup is not counted as a run and no period is added.
     */
    if (r == COOP__YIELDED && s->call.kind == COOP_CALL_NONE && !(t->flags & COOP__F_KILL_PENDING)) {
        t->where = COOP__TIMED;
        coop__enqueue(s, t);
        t->flags &= (uint8_t)~COOP__F_PINNED;
    } else {
        coop__finish_step(s, t, r);
    }
    s->current = saved;
    s->call = saved_call;
    return 0;
}

uint32_t coop_task_tid(const coop_task *t) { return t->tid; }
const char *coop_task_name(const coop_task *t) { return t->name; }
int coop_task_prio(const coop_task *t) { return t->prio; }
int64_t coop_task_period_ns(const coop_task *t) { return t->period_ns; }
uint64_t coop_task_time2run_ns(const coop_task *t) { return t->time2run_ns; }
coop_sched *coop_task_sched(const coop_task *t) { return t->sched; }
int coop_task_exit_status(const coop_task *t) { return t->exit_status; }
unsigned coop_task_resume_line(const coop_task *t) { return t->head.lc; }
const coop_call_result *coop_result_of(const coop_task *t) { return &t->res; }

void coop_task_set_period_ns(coop_task *t, int64_t period_ns)
{
    t->period_ns = period_ns;
    if (period_ns < 0)
        t->flags |= COOP__F_ONCE;
    else
        t->flags &= (uint8_t)~COOP__F_ONCE;
}

int coop_task_set_prio(coop_task *t, int prio)
{
    if (prio < COOP_PRIO_HIGHEST || prio > COOP_PRIO_LOWEST)
        return -COOP_EINVAL;
    t->prio = (uint8_t)prio;
    return 0;
}

void coop_task_set_late_policy(coop_task *t, coop_late_policy late) { t->late = (uint8_t)late; }

void coop__set_exit(coop_task *t, int status)
{
    t->exit_status = status;
    t->head.lc = COOP__LC_FINALLY;
}

int coop__fail(coop_task *t, int err, const char *file, unsigned line)
{
    t->fail_file = file;
    t->fail_line = line;
    return err < 0 ? err : -COOP_EINVAL;
}
