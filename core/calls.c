/* The calls: constructors that tasks use to yield them, and the scheduler's handling of each. */
#include <string.h>

#include "ready.h"

/* ---- Constructors: run inside the step, they copy everything the call needs. ---- */

/*
 * A constructor whose call was never yielded leaves a built child or a
 * connecting fd behind; they are freed here so that nothing leaks when a
 * step misuses the API.
 */
void coop__call_discard(coop_sched *s)
{
    if (s->call.child && s->call.child->where == COOP__DETACHED)
        coop__task_release(s, s->call.child);
    if (COOP__HAS_POLLER(s) && s->call.kind == COOP_CALL_DIAL && s->call.fd >= 0)
        (void)s->poller.ops->close(s->poller.ctx, s->call.fd);
    s->call.fd = -1;
    s->call.child = NULL;
    s->call.kind = COOP_CALL_NONE;
}

/*
 * Every call but Wait and KillOs has a result, which lives in the task's
 * call record; a task gets the record at its first such call.  Without
 * memory for it the call fails with -COOP_ENOMEM, which is then the
 * task's result (COOP__F_CALLS_OOM) until its next call.
 */
static struct coop__call *begin(coop_task *t, int kind)
{
    coop_sched *s = coop__sched_of(t);
    coop__call_discard(s);
    struct coop__call *c = &s->call;
    /* Each constructor sets the fields its kind's handler reads; the others keep old values. */
    c->kind = kind;
    c->err = 0;
    t->flags &= (uint16_t)~COOP__F_CALLS_OOM;
    if (kind != COOP_CALL_WAIT && kind != COOP_CALL_KILL_OS && !coop__calls_of(t)) {
        t->flags |= COOP__F_CALLS_OOM;
        c->err = -COOP_ENOMEM;
    }
    return c;
}

static int fail_call(struct coop__call *c, int err)
{
    c->err = err;
    return err;
}

/* Interns every name now, so a name in a local buffer may go out of scope after the yield. */
static int intern_all(coop_task *t, struct coop__call *c, const char *const *names, size_t n)
{
    c->nsigs = 0;
    if (c->err)
        return c->err;
    if (n == 0 || !names)
        return fail_call(c, -COOP_EINVAL);
    if (n > COOP_MAX_WAIT_SIGNALS)
        return fail_call(c, -COOP_E2BIG);
    for (size_t i = 0; i < n; i++) {
        if (!names[i])
            return fail_call(c, -COOP_EINVAL);
        struct coop__signal *g = coop__signal_intern(coop__sched_of(t), names[i]);
        if (!g)
            return fail_call(c, -COOP_ENOMEM);
        c->sigs[c->nsigs++] = g;
    }
    return 0;
}

int coop_get_task_ref(coop_task *t)
{
    begin(t, COOP_CALL_GET_TASK_REF);
    return 0;
}

int coop_get_task_dict(coop_task *t)
{
    begin(t, COOP_CALL_GET_TASK_DICT);
    return 0;
}

int coop_add_task(coop_task *t, coop_task *child)
{
    struct coop__call *c = begin(t, COOP_CALL_ADD_TASK);
    if (c->err)
        return c->err;
    if (!child || coop__sched_of(child) != coop__sched_of(t) || child->where != COOP__DETACHED)
        return fail_call(c, -COOP_EINVAL);
    c->child = child;
    return 0;
}

int coop_create_task(coop_task *t, const coop_task_spec *spec)
{
    struct coop__call *c = begin(t, COOP_CALL_CREATE_TASK);
    if (c->err)
        return c->err;
    int err = coop__task_build(coop__sched_of(t), spec, &c->child);
    return err ? fail_call(c, err) : 0;
}

int coop_kill_task(coop_task *t, uint32_t tid)
{
    begin(t, COOP_CALL_KILL_TASK)->tid = tid;
    return 0;
}

int coop_wait_task(coop_task *t, uint32_t tid)
{
    begin(t, COOP_CALL_WAIT_TASK)->tid = tid;
    return 0;
}

int coop_kill_os(coop_task *t)
{
    begin(t, COOP_CALL_KILL_OS);
    return 0;
}

int coop_wait(coop_task *t, int64_t ns)
{
    struct coop__call *c = begin(t, COOP_CALL_WAIT);
    c->ns = ns < 0 ? 0 : ns;
    return 0;
}

int coop_send_signal(coop_task *t, const char *name, int64_t value, int64_t resume_after_ns)
{
    struct coop__call *c = begin(t, COOP_CALL_SEND_SIGNAL);
    c->value = value;
    c->ns = resume_after_ns < 0 ? 0 : resume_after_ns;
    return intern_all(t, c, &name, 1);
}

int coop_wait_signal(coop_task *t, const char *name, int64_t timeout_ns)
{
    struct coop__call *c = begin(t, COOP_CALL_WAIT_SIGNAL);
    c->ns = timeout_ns < 0 ? 0 : timeout_ns;
    return intern_all(t, c, &name, 1);
}

int coop_wait_signals(coop_task *t, const char *const *names, size_t n, int64_t timeout_ns)
{
    struct coop__call *c = begin(t, COOP_CALL_WAIT_SIGNALS);
    c->ns = timeout_ns < 0 ? 0 : timeout_ns;
    return intern_all(t, c, names, n);
}

int coop_send_wait_signal(coop_task *t, const char *name, int64_t value, int64_t timeout_ns)
{
    struct coop__call *c = begin(t, COOP_CALL_SEND_WAIT_SIGNAL);
    c->value = value;
    c->ns = timeout_ns < 0 ? 0 : timeout_ns;
    return intern_all(t, c, &name, 1);
}

static int stream_register(coop_task *t, int fd, uint32_t events)
{
    struct coop__call *c = begin(t, COOP_CALL_STREAM_REGISTER);
    c->fd = fd;
    c->events = events;
    return 0;
}

int coop_stream_reader(coop_task *t, int fd) { return stream_register(t, fd, COOP_EV_READ); }
int coop_stream_writer(coop_task *t, int fd) { return stream_register(t, fd, COOP_EV_WRITE); }
int coop_stream_reader_writer(coop_task *t, int fd)
{
    return stream_register(t, fd, COOP_EV_READ | COOP_EV_WRITE);
}

int coop_stream_wait(coop_task *t, int64_t timeout_ns)
{
    begin(t, COOP_CALL_STREAM_WAIT)->ns = timeout_ns < 0 ? 0 : timeout_ns;
    return 0;
}

/* The connect starts here, inside the step, so that addr may be a local buffer. */
int coop_dial(coop_task *t, const char *addr, uint16_t port, int64_t timeout_ns)
{
    struct coop__call *c = begin(t, COOP_CALL_DIAL);
    c->ns = timeout_ns < 0 ? 0 : timeout_ns;
    if (c->err)
        return c->err;
    int fd = coop_connect(coop__sched_of(t), addr, port);
    if (fd < 0)
        return fail_call(c, fd);
    c->fd = fd;
    return 0;
}

int coop_wait_any(coop_task *t, const char *const *names, size_t n, int64_t timeout_ns)
{
    struct coop__call *c = begin(t, COOP_CALL_WAIT_ANY);
    c->ns = timeout_ns < 0 ? 0 : timeout_ns;
    if (n == 0) {
        c->nsigs = 0;
        return c->err;
    }
    return intern_all(t, c, names, n);
}

/* ---- Handling: after the step returned, with the task still RUNNING and pinned. ---- */

/* A task without a call record only gets here with a Wait (result 0) or a call that failed for memory. */
static void set_result(coop_task *t, int64_t code)
{
    if (t->calls)
        t->calls->res = (coop_call_result){ code, 0, NULL };
}

/* Queues the task by the time2run its dispatch already computed, unless it ended meanwhile. */
static void reschedule(coop_sched *s, coop_task *t)
{
    if (t->where != COOP__RUNNING)
        return;
    t->where = COOP__TIMED;
    coop__enqueue(s, t);
}

/* A caller of AddTask or CreateTask, once its child's setup is done (see coop__finish_step). */
void coop__requeue_caller(coop_sched *s, coop_task *t) { reschedule(s, t); }

/* Parks the task; a timeout puts it in the heap with -ETIMEDOUT ready as its result. */
static void block(coop_sched *s, coop_task *t, int kind, int64_t timeout_ns)
{
    t->where = COOP__BLOCKED;
    t->calls->block = (uint8_t)kind;
    set_result(t, -COOP_ETIMEDOUT);
    if (timeout_ns > 0) {
        t->time2run_ns = s->now_ns + (uint64_t)timeout_ns;
        coop__enqueue(s, t);
    }
}

/*
 * AddTask and CreateTask: the child joins now, but its setup is left to
 * coop__finish_step, which runs setups from a work list instead of
 * recursing, so a setup that adds a task that adds a task, a thousand
 * deep, needs no more C stack than one.  The caller's result is its
 * child's tid from here; it is queued again once the setup is done.
 */
static bool join_child(coop_sched *s, coop_task *t, coop_task *child)
{
    /* The setup may end the child, so its tid is read first. */
    uint32_t tid = child->tid;
    int err = coop__join_prepare(s, child);
    if (err) {
        coop__task_release(s, child);
        set_result(t, err);
        return false;
    }
    set_result(t, tid);
    coop_assert(!s->joining);
    s->joining = child;
    return true;
}

static void send_signal(coop_sched *s, coop_task *from, struct coop__signal *sig, int64_t value)
{
    int woken = coop__signal_send(s, sig, value);
    COOP__TRACE(s, COOP_TR_SIGNAL, from, .signal = sig->name, .value = value, .code = woken, .fd = -1);
    set_result(from, woken);
}

static void wait_task(coop_sched *s, coop_task *t, uint32_t tid)
{
    coop_task *target = coop__tab_find(s, tid);
    struct coop__calls *tc = NULL;
    if (tid == t->tid) {
        set_result(t, -COOP_EDEADLK);
    } else if (!target) {
        set_result(t, -COOP_ESRCH);
    } else if (!(tc = coop__calls_of(target)) ||
               (tc->nwaiters == tc->waitcap &&
                coop__grow(s, (void **)&tc->waiters, &tc->waitcap, tc->nwaiters + 1, sizeof(*tc->waiters)))) {
        set_result(t, -COOP_ENOMEM);
    } else {
        tc->waiters[tc->nwaiters++] = t;
        t->calls->wait_tid = tid;
        block(s, t, COOP__BLOCK_TASK, 0);
        return;
    }
    reschedule(s, t);
}

static void wait_signals(coop_sched *s, coop_task *t, const struct coop__call *c)
{
    int err = coop__signal_register(s, t, c->sigs, c->nsigs);
    if (err) {
        set_result(t, err);
        reschedule(s, t);
        return;
    }
    block(s, t, COOP__BLOCK_SIGNAL, c->ns);
}

/* Ends a wait that could not block: r is an error, or 1 when a pending event was handed over. */
static void resume_now(coop_sched *s, coop_task *t, int r)
{
    if (r < 0) {
        set_result(t, r);
    } else {
        t->time2run_ns = s->now_ns;
        COOP__TRACE(s, COOP_TR_WAKE, t, .reason = COOP_WAKE_IO, .fd = (int)t->calls->res.code,
                    .value = t->calls->res.value);
    }
    reschedule(s, t);
}

static void stream_wait(coop_sched *s, coop_task *t, int64_t timeout_ns)
{
    int r = COOP__HAS_POLLER(s) ? coop__stream_wait(s, t) : -COOP_ENOSYS;
    if (r == 0)
        block(s, t, COOP__BLOCK_IO, timeout_ns);
    else
        resume_now(s, t, r);
}

/* Pending fd events are served before signals: they arrived before this call. */
static void wait_any(coop_sched *s, coop_task *t, const struct coop__call *c)
{
    int r = COOP__HAS_POLLER(s) && t->calls->nfds ? coop__stream_wait(s, t) : c->nsigs ? 0 : -COOP_ENOENT;
    if (r == 0 && c->nsigs)
        r = coop__signal_register(s, t, c->sigs, c->nsigs);
    if (r == 0)
        block(s, t, COOP__BLOCK_ANY, c->ns);
    else
        resume_now(s, t, r);
}

/* The fd is watched for writability alone; stream.c ends the wait when the connect completes. */
static void dial(coop_sched *s, coop_task *t, int fd, int64_t timeout_ns)
{
    int err = coop__stream_register(s, t, fd, COOP_EV_WRITE);
    if (err) {
        (void)s->poller.ops->close(s->poller.ctx, fd);
        set_result(t, err);
        reschedule(s, t);
        return;
    }
    t->calls->dial_fd = fd;
    block(s, t, COOP__BLOCK_DIAL, timeout_ns);
}

/*
 * Wait follows the seed: a periodic task's time2run already holds its next
 * nominal time, so nominal due + ns is time2run - period + ns, which can
 * lie in the past when the task runs late.
 */
static void wait_for(coop_sched *s, coop_task *t, int64_t ns)
{
    int64_t period_ns = t->kind->period_ns;
    if (period_ns > 0)
        t->time2run_ns = t->time2run_ns - (uint64_t)period_ns + (uint64_t)ns;
    else
        t->time2run_ns = s->now_ns + (uint64_t)ns;
    t->flags |= COOP__F_TIMER_WAIT;
    set_result(t, 0);
    reschedule(s, t);
}

/*
 * The sender resumes resume_after_ns from now.  A periodic sender keeps
 * its period grid (the seed drifted by the delay on every send): the
 * nominal time it would have run next is kept in grid_ns.
 */
static void resume_sender(coop_sched *s, coop_task *t, int64_t resume_after_ns)
{
    if (resume_after_ns > 0) {
        if (t->kind->period_ns > 0 && !(t->flags & COOP__F_OFFGRID)) {
            t->calls->grid_ns = t->time2run_ns;
            t->flags |= COOP__F_OFFGRID;
        }
        t->time2run_ns = s->now_ns + (uint64_t)resume_after_ns;
    }
    reschedule(s, t);
}

void coop__handle_call(coop_sched *s, coop_task *t)
{
    COOP__TRACE(s, COOP_TR_YIELD, t, .call = s->call.kind, .code = s->call.err, .fd = -1);
    /* The plain yield is the hot path: no copy of the call. */
    if (s->call.kind == COOP_CALL_NONE) {
        if (t->flags & COOP__F_ONCE)
            coop__end_task(s, t, 0, UINT32_MAX);
        else
            reschedule(s, t);
        return;
    }
    /*
     * The call is read in place: the handlers that run task code (a
     * child's setup, a cleanup) save and restore s->call around it.  It
     * counts as consumed from here, so a nested constructor discards
     * nothing of it.
     */
    const struct coop__call *c = &s->call;
    int kind = c->kind;
    coop_task *child = c->child;
    s->call.kind = COOP_CALL_NONE;
    s->call.child = NULL;
    if (c->err) {
        if (child)
            coop__task_release(s, child);
        set_result(t, c->err);
        reschedule(s, t);
        return;
    }
    switch (kind) {
    case COOP_CALL_GET_TASK_REF:
        set_result(t, t->tid);
        break;
    case COOP_CALL_GET_TASK_DICT:
        set_result(t, s->tab.live);
        break;
    case COOP_CALL_ADD_TASK:
    case COOP_CALL_CREATE_TASK:
        if (join_child(s, t, child))
            return; /* coop__finish_step runs the setup, then queues t */
        break;
    case COOP_CALL_KILL_TASK: {
        coop_task *victim = coop__tab_find(s, c->tid);
        set_result(t, victim != NULL);
        if (victim)
            coop__end_task(s, victim, -COOP_ECANCELED, t->tid);
        break;
    }
    case COOP_CALL_WAIT_TASK:
        wait_task(s, t, c->tid);
        return;
    case COOP_CALL_KILL_OS:
        coop_shutdown(s); /* the killer is t, the task being handled */
        return;
    case COOP_CALL_WAIT:
        wait_for(s, t, c->ns);
        return;
    case COOP_CALL_SEND_SIGNAL:
        send_signal(s, t, c->sigs[0], c->value);
        resume_sender(s, t, c->ns);
        return;
    case COOP_CALL_WAIT_SIGNAL:
    case COOP_CALL_WAIT_SIGNALS:
        wait_signals(s, t, c);
        return;
    case COOP_CALL_SEND_WAIT_SIGNAL: {
        /* Sending first means the sender cannot be among the woken. */
        send_signal(s, t, c->sigs[0], c->value);
        wait_signals(s, t, c);
        return;
    }
    case COOP_CALL_STREAM_REGISTER:
        set_result(t, COOP__HAS_POLLER(s) ? coop__stream_register(s, t, c->fd, c->events) : -COOP_ENOSYS);
        break;
    case COOP_CALL_STREAM_WAIT:
        stream_wait(s, t, c->ns);
        return;
    case COOP_CALL_WAIT_ANY:
        wait_any(s, t, c);
        return;
    case COOP_CALL_DIAL:
        /* Built without an error, so a poller made its fd. */
        if (COOP__HAS_POLLER(s)) {
            dial(s, t, c->fd, c->ns);
            return;
        }
        set_result(t, -COOP_ENOSYS);
        break;
    default:
        set_result(t, -COOP_EINVAL);
        break;
    }
    reschedule(s, t);
}
