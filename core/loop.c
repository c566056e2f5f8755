/* The dispatcher and the main loop: picking the next task, running a step, polling, idling. */
#include "coop/irq.h"
#include "ready.h"

/*
 * The next task is the smallest (time2run, prio, seq) among the ring heads
 * and the heap's top.  Rings are scanned in prio order, so on equal times
 * the first one found has the better prio, and inside a ring the order is
 * FIFO.  Against the heap's top, a full tie goes to the heap unless its
 * task was queued late (see ready.h).
 */
static coop_task *pick_general(coop_sched *s)
{
    coop_task *best = NULL;
    int best_prio = 0;
    for (int w = 0; w < COOP__RING_WORDS; w++) {
        for (uint64_t bits = s->ring_bits[w]; bits; bits &= bits - 1) {
            int p = w * 64 + coop__lowest_bit(bits);
            coop_task *h = coop__ring_head(s, p);
            if (h && (!best || h->time2run_ns < best->time2run_ns)) {
                best = h;
                best_prio = p;
            }
        }
    }
    if (s->heap.n && coop__heap_top(s) && COOP__TOP_TIME(s) <= s->now_ns) {
        int heap_prio = COOP__TOP_PRIO(s);
        uint64_t heap_t = COOP__TOP_TIME(s);
        if (!best || heap_t < best->time2run_ns ||
            (heap_t == best->time2run_ns &&
             (heap_prio < best_prio ||
              (heap_prio == best_prio && !(COOP__TOP_TASK(s)->flags & COOP__F_LATE)))))
            return coop__take_top(s);
    }
    if (best) {
        coop__ring_pop(s, best_prio);
        best->flags &= (uint16_t)~COOP__F_IN_RING;
    }
    return best;
}

/*
 * A tie handed to the pick hook: the tasks due with the top's time and
 * prio are taken out (their stale entries too), the hook chooses one, and
 * the others are queued again in the order they were taken, so with the
 * seq hook's fresh numbers they keep their order among themselves.
 */
#if COOP_CONFIG_TIE_HOOK
static coop_task *pick_tie(coop_sched *s)
{
    if (!s->heap.n || !coop__heap_top(s) || COOP__TOP_TIME(s) > s->now_ns)
        return NULL;
    coop_task *tie[COOP_PICK_MAX];
    uint32_t tids[COOP_PICK_MAX];
    uint64_t t0 = COOP__TOP_TIME(s);
    int prio0 = COOP__TOP_PRIO(s);
    uint32_t n = 0;
    while (n < COOP_PICK_MAX && s->heap.n && coop__heap_top(s) && COOP__TOP_TIME(s) == t0 &&
           COOP__TOP_PRIO(s) == prio0) {
        coop_task *t = coop__take_top(s);
        if (t == s->stale)
            coop__dequeue(s, t);
        tids[n] = t->tid;
        tie[n++] = t;
    }
    uint32_t k = n > 1 ? s->pick_hook(s->pick_ctx, tids, n) : 0;
    coop_assert(k < n);
    for (uint32_t i = 0; i < n; i++)
        if (i != k)
            coop__enqueue(s, tie[i]);
    return tie[k];
}
#endif

/*
 * The common cases get short paths, without comparisons: one non-empty
 * ring and nothing due in the heap, or empty rings and a live task due
 * at the heap's top.
 */
static inline coop_task *pick(coop_sched *s)
{
#if COOP_CONFIG_TIE_HOOK
    if (s->pick_hook) {
        coop_task *t = pick_tie(s);
        if (t)
            return t;
    }
#endif
#if COOP_CONFIG_RINGS == 0
    /* No rings: the heap's top is the whole order. */
    if (s->heap.n && coop__heap_top(s) && COOP__TOP_TIME(s) <= s->now_ns)
        return coop__take_top(s);
    return NULL;
#endif
    uint64_t b0 = s->ring_bits[0], b1 = COOP__RING_WORDS > 1 ? s->ring_bits[COOP__RING_WORDS - 1] : 0;
    bool heap_due = s->heap.n && COOP__TOP_TIME(s) <= s->now_ns;
    if (heap_due && !b0 && !b1 && COOP__TOP_TASK(s)->where != COOP__DEAD)
        return coop__take_top(s);
    if (!heap_due && !b1 && b0 && !(b0 & (b0 - 1))) {
        int p = coop__lowest_bit(b0);
        coop_task *h = s->rings[p].head;
        if (h->where == COOP__READY) {
            coop__ring_pop(s, p);
            h->flags &= (uint16_t)~COOP__F_IN_RING;
            return h;
        }
    }
    return pick_general(s);
}

int coop__call_step(coop_sched *s, coop_task *t)
{
    (void)s;
    t->flags |= COOP__F_IN_STEP;
    int r = t->kind->step(t);
    t->flags &= (uint16_t)~COOP__F_IN_STEP;
    return r;
}

/* Deals with what one step returned: a call to handle, an end, or a failure. */
static void finish_one(coop_sched *s, coop_task *t, int r)
{
    if (t->flags & COOP__F_KILL_PENDING) {
        t->flags &= (uint16_t)~COOP__F_KILL_PENDING;
        coop__call_discard(s);
        coop__end_task(s, t, coop__exit_status(t), 0);
    } else if (r == COOP__YIELDED) {
        coop__handle_call(s, t);
    } else if (r == COOP__DONE || r == COOP__EXITING) {
        coop__call_discard(s);
        coop__end_task(s, t, coop__exit_status(t), UINT32_MAX);
    } else {
        coop__call_discard(s);
        coop__record_failure(s, t, r < 0 ? r : -COOP_EINVAL);
        coop__end_task(s, t, r < 0 ? r : -COOP_EINVAL, UINT32_MAX);
    }
}

static void unpin(coop_sched *s, coop_task *t)
{
    t->flags &= (uint16_t)~COOP__F_PINNED;
    if (t->where == COOP__DEAD)
        coop__task_release(s, t);
}

/*
 * Finishes a step, and the setups it leads to, without recursion.  When a
 * call adds a task (s->joining), the caller is pushed on a stack linked
 * through the callers' call records (join_up) and the child's setup runs
 * here; when a setup is done, its caller is queued again and popped.  The
 * order of every effect is that of running each setup inside its
 * caller's call, depth first, as the seed does.
 */
void coop__finish_step(coop_sched *s, coop_task *t, int r)
{
    coop_task *up = NULL; /* callers waiting for a setup, innermost first */
    for (;;) {
        finish_one(s, t, r);
        coop_task *child = s->joining;
        if (child) {
            s->joining = NULL;
            t->calls->join_up = up;
            up = t;
            t = child;
            if (!coop__setup_step(s, child, &r))
                continue;
        } else {
            unpin(s, t);
        }
        /* t is done; so is each caller whose setup chain ends here. */
        for (;;) {
            if (!up)
                return;
            t = up;
            up = t->calls->join_up;
            t->calls->join_up = NULL;
            s->current = t;
            coop__requeue_caller(s, t);
            unpin(s, t);
        }
    }
}

/* A blocked task leaves the heap only when its timeout fires. */
static void fire_timeout(coop_sched *s, coop_task *t)
{
    coop__signal_unregister(t);
    struct coop__calls *c = t->calls;
    coop_assert(c->block != COOP__BLOCK_TASK); /* WaitTask has no timeout */
    /* A connect that did not complete in time is abandoned. */
    if (COOP__HAS_POLLER(s) && c->block == COOP__BLOCK_DIAL)
        (void)coop_close(s, c->dial_fd);
    c->block = COOP__BLOCK_NONE;
    c->res = (coop_call_result){ -COOP_ETIMEDOUT, 0, NULL };
    COOP__TRACE(s, COOP_TR_WAKE, t, .reason = COOP_WAKE_TIMEOUT, .code = -COOP_ETIMEDOUT, .fd = -1);
}

/* After a stall under COOP_LATE_SKIP: the next time on the grid after now.  Cold, and the only division. */
COOP__NOINLINE static uint64_t skip_missed(uint64_t due_ns, uint64_t now_ns, uint64_t p)
{
    return due_ns + ((now_ns - due_ns) / p + 1) * p;
}

/*
 * The next due time is computed before the step runs, as in the seed, so
 * a period changed during the step applies from the run after next.
 */
static inline void advance_due(coop_sched *s, coop_task *t)
{
    int64_t period_ns = t->kind->period_ns;
    if (t->flags & COOP__F_OFFGRID) {
        t->flags &= (uint16_t)~COOP__F_OFFGRID;
        t->time2run_ns = t->calls->grid_ns;
    } else if (period_ns > 0) {
        uint64_t p = (uint64_t)period_ns;
        t->time2run_ns += p;
        if ((t->flags & COOP__F_LATE_SKIP) && t->time2run_ns <= s->now_ns)
            t->time2run_ns = skip_missed(t->time2run_ns, s->now_ns, p);
    } else {
        t->time2run_ns = s->now_ns;
    }
}

/* Wake-up bookkeeping that only some dispatches need: a fired timeout, the end of a Wait. */
static void dispatch_wake(coop_sched *s, coop_task *t)
{
    if (t->where == COOP__BLOCKED)
        fire_timeout(s, t);
    if (t->flags & COOP__F_TIMER_WAIT) {
        t->flags &= (uint16_t)~COOP__F_TIMER_WAIT;
        COOP__TRACE(s, COOP_TR_WAKE, t, .reason = COOP_WAKE_TIMER, .fd = -1);
    }
}

/*
 * Runs one step.  Between steps s->call is always empty (every path that
 * consumes a call resets it), so nothing needs clearing here.  A plain
 * yield of an ordinary task is re-queued inline; everything else goes
 * through coop__finish_step.
 */
static inline void dispatch(coop_sched *s, coop_task *t)
{
    if (t->where == COOP__BLOCKED || (t->flags & COOP__F_TIMER_WAIT))
        dispatch_wake(s, t);
    t->where = COOP__RUNNING;
    advance_due(s, t);
    s->current = t;
    COOP__TRACE(s, COOP_TR_RUN, t, .line = t->head.lc, .fd = -1);
    t->flags |= COOP__F_PINNED | COOP__F_IN_STEP;
    int r = t->kind->step(t);
    if (r == COOP__YIELDED && s->call.kind == COOP_CALL_NONE && !s->trace &&
        !(t->flags & (COOP__F_KILL_PENDING | COOP__F_ONCE))) {
        /* Queueing re-keys or drops a stale entry, so there is nothing left to tidy. */
        t->flags &= (uint16_t) ~(COOP__F_IN_STEP | COOP__F_PINNED);
        t->where = COOP__TIMED;
        coop__enqueue(s, t);
    } else {
        t->flags &= (uint16_t)~COOP__F_IN_STEP;
        coop__finish_step(s, t, r);
#if COOP_CONFIG_HEAP_KEYS
        if (s->stale == t) {
            /* Not queued again (blocked, or ended): its old heap entry goes. */
            s->stale = NULL;
            coop__heap_del(&s->heap, t);
        }
#endif
    }
    s->current = NULL;
}

uint64_t coop_run_due(coop_sched *s, uint64_t now_ns, uint64_t max_steps)
{
    if (now_ns > s->now_ns)
        s->now_ns = now_ns;
    /* Killed timers hold their records until they reach the top; this bounds them (queue.c). */
    if (COOP_CONFIG_HEAP_KEYS && s->heap_dead > 64 && s->heap_dead > s->tab.live)
        coop__heap_compact(s);
    uint64_t n = 0;
    bool outer = !s->running;
    s->running = true;
    while (n < max_steps && !s->halt) {
        coop_task *t = pick(s);
        if (!t)
            break;
        dispatch(s, t);
        n++;
    }
    if (outer) {
        s->running = false;
        s->halt &= (uint8_t)~COOP__HALT_BREAK;
    }
    return n;
}

bool coop_next_due(coop_sched *s, uint64_t *due_ns)
{
    bool any = false;
    uint64_t due = UINT64_MAX;
    for (int p = coop__next_prio(s, 0); p; p = coop__next_prio(s, p)) {
        coop_task *h = coop__ring_head(s, p);
        if (h && h->time2run_ns < due) {
            due = h->time2run_ns;
            any = true;
        }
    }
    if (s->heap.n && coop__heap_top(s) && COOP__TOP_TIME(s) < due) {
        due = COOP__TOP_TIME(s);
        any = true;
    }
    if (any && due_ns)
        *due_ns = due;
    return any;
}

int coop_poll_io(coop_sched *s, int64_t timeout_ns)
{
    if (!COOP__HAS_POLLER(s))
        return -COOP_ENOSYS;
    coop_poll_event *ev = s->scratch.events;
    int n = s->poller.ops->wait(s->poller.ctx, timeout_ns, ev, COOP__POLL_BATCH);
    coop__refresh_now(s);
    s->last_poll_ns = s->now_ns;
    if (n < 0)
        return n;
    for (int i = 0; i < n; i++)
        coop__stream_event(s, ev[i].fd, ev[i].events);
    return n;
}

static void run_gc(coop_sched *s)
{
    if (s->gc_period_ns <= 0 || s->now_ns < s->next_gc_ns)
        return;
    coop__blocks_trim(s, false);
    s->gc_count++;
    /* Stay on the grid, but do not run a burst of collections after a stall. */
    uint64_t p = (uint64_t)s->gc_period_ns;
    s->next_gc_ns = skip_missed(s->next_gc_ns, s->now_ns, p);
    if (s->gc_hook)
        s->gc_hook(s->gc_ctx);
}

/* How long the idle loop may sleep: until the next due task or collection. */
static int64_t idle_timeout(coop_sched *s)
{
    uint64_t due = UINT64_MAX;
    bool any = coop_next_due(s, &due);
    if (s->gc_period_ns > 0 && s->next_gc_ns < due) {
        due = s->next_gc_ns;
        any = true;
    }
    if (!any)
        return -1;
    return due <= s->now_ns ? 0 : (int64_t)(due - s->now_ns);
}

static bool has_irq_sources(const coop_sched *s)
{
#if COOP_CONFIG_IRQ_SOURCES > 0
    return s->nirq != 0;
#else
    (void)s;
    return false;
#endif
}

coop_loop_result coop_mainloop(coop_sched *s, bool stop_on_error, coop_report *report)
{
    coop_set_stop_on_error(s, stop_on_error);
    bool busy = false, fresh = false;
    for (;;) {
        /* A wait in the poller has just read the clock; once per turn is enough. */
        if (!fresh)
            coop__refresh_now(s);
        fresh = false;
#if COOP_CONFIG_IRQ_SOURCES > 0
        if (s->irq_any)
            (void)coop_irq_deliver(s);
#endif
        /* While tasks keep the loop busy, I/O is checked once a polling period has passed, by the time just read. */
        if (busy && COOP__HAS_POLLER(s) && s->nio &&
            s->now_ns - s->last_poll_ns >= (uint64_t)s->poll_period_ns)
            (void)coop_poll_io(s, 0);
        uint64_t ran = coop_run_due(s, s->now_ns, s->turn_steps);
        if (s->stopped)
            return COOP_LOOP_STOPPED;
        if (stop_on_error && s->failed) {
            if (report)
                *report = s->failure;
            return COOP_LOOP_FAILED;
        }
        run_gc(s);
        busy = ran != 0;
        if (busy)
            continue;
        if (s->tab.live == 0)
            return COOP_LOOP_EMPTY;
        s->idle_count++;
        if (s->idle_hook)
            s->idle_hook(s->idle_ctx);
        int64_t timeout = idle_timeout(s);
        bool irqs = has_irq_sources(s);
        if (timeout < 0 && s->nio == 0 && !irqs)
            return COOP_LOOP_BLOCKED;
        if (irqs) {
            if (coop_irq_pending(s))
                continue;
            /* A raise from another thread does not end the poller's wait: bound it. */
            if (COOP__HAS_POLLER(s) && (timeout < 0 || timeout > s->poll_period_ns))
                timeout = s->poll_period_ns;
        }
        if (COOP__HAS_POLLER(s)) {
            (void)coop_poll_io(s, timeout);
            fresh = true;
        } else if (s->idle_wait) {
            s->idle_wait(s->idle_wait_ctx, timeout);
        }
        /* Without a poller or an idle-wait hook there is nothing to sleep in: the loop spins on the clock. */
    }
}
