/* The scheduler object: creation and teardown, memory, logging, tracing, and the entry points used from outside tasks. */
#include <string.h>

#include "ready.h"

void *coop__alloc(coop_sched *s, size_t size) { return s->alloc.fn(s->alloc.ctx, NULL, 0, size); }

void *coop__realloc(coop_sched *s, void *p, size_t old_size, size_t new_size)
{
    return s->alloc.fn(s->alloc.ctx, p, old_size, new_size);
}

void coop__free(coop_sched *s, void *p, size_t size)
{
    if (p)
        (void)s->alloc.fn(s->alloc.ctx, p, size, 0);
}

void *coop_mem_alloc(coop_sched *s, size_t size) { return size ? coop__alloc(s, size) : NULL; }

void coop_mem_free(coop_sched *s, void *p, size_t size) { coop__free(s, p, size); }

/* Grows an array to hold at least `need` elements, doubling; *cap counts elements. */
int coop__grow(coop_sched *s, void **v, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    uint64_t n = *cap ? (uint64_t)*cap * 2 : 8;
    while (n < need)
        n *= 2;
    if (n > UINT32_MAX || n * elem > SIZE_MAX / 2)
        return -COOP_ENOMEM;
    void *p = coop__realloc(s, *v, (size_t)*cap * elem, (size_t)n * elem);
    if (!p)
        return -COOP_ENOMEM;
    *v = p;
    *cap = (uint32_t)n;
    return 0;
}

void coop__log(coop_sched *s, coop_log_level level, const char *msg)
{
    if (s->log)
        s->log(s->log_ctx, level, msg);
}

void coop__trace(coop_sched *s, coop_trace_kind kind, const coop_task *t, coop_trace_event *ev)
{
    ev->kind = kind;
    ev->t_ns = s->now_ns;
    ev->tid = t ? t->tid : 0;
    ev->task = t ? coop__task_label(s, t) : NULL;
    s->trace(s->trace_ctx, ev);
}

/* Reads the clock, which must never go backwards; the scheduler's time only moves forward. */
void coop__refresh_now(coop_sched *s)
{
    uint64_t now = s->clock.ops->now_ns(s->clock.ctx);
    coop_assert(now >= s->now_ns);
    s->now_ns = now;
}

uint64_t coop_now_ns(const coop_sched *s) { return s->clock.ops->now_ns(s->clock.ctx); }

coop_sched *coop_sched_new(const coop_config *cfg)
{
    if (!cfg || !cfg->clock.ops || !cfg->clock.ops->now_ns || cfg->clock.ops->version != COOP_CLOCK_VERSION)
        return NULL;
#if COOP_CONFIG_STREAMS
    if (cfg->poller.ops && coop_poller_check(&cfg->poller) != 0)
        return NULL;
#else
    /* This build has no streams; a poller would go unused, which is a porting error. */
    coop_assert(!cfg->poller.ops);
#endif
    coop_allocator alloc = cfg->alloc;
    if (!alloc.fn) {
#ifdef COOP_HAVE_LIBC
        alloc = coop_allocator_libc();
#else
        /* No default allocator without libc: a porting error, reported, never a silent NULL. */
        coop__assert_fail(
            COOP_CONFIG_ASSERT_TEXT ? "cfg->alloc.fn != NULL: a build without libc needs an allocator" : "",
            COOP_CONFIG_ASSERT_TEXT ? __FILE__ : "coop", __LINE__);
        return NULL;
#endif
    }
    coop_sched *s = alloc.fn(alloc.ctx, NULL, 0, sizeof(*s));
    if (!s)
        return NULL;
    memset(s, 0, sizeof(*s));
    s->clock = cfg->clock;
    s->poller = cfg->poller;
    s->alloc = alloc;
    s->log = cfg->log;
    s->log_ctx = cfg->log_ctx;
#ifdef COOP_HAVE_LIBC
    if (!s->log)
        s->log = coop__log_stderr;
#endif
    s->trace = cfg->trace;
    s->trace_ctx = cfg->trace_ctx;
    s->turn_steps = cfg->turn_steps ? cfg->turn_steps : 64;
    s->fault = cfg->fault;
    s->fault_ctx = cfg->fault_ctx;
    s->seq_hook = cfg->seq;
    s->seq_ctx = cfg->seq_ctx;
#if COOP_CONFIG_TIE_HOOK
    coop_assert(!cfg->pick || cfg->seq);
    s->pick_hook = cfg->pick;
    s->pick_ctx = cfg->pick_ctx;
#else
    coop_assert(!cfg->pick); /* the build leaves the tie-choice hook out */
#endif
    s->next_tid = 1;
    s->poll_period_ns = COOP_MS(100);
    s->now_ns = s->clock.ops->now_ns(s->clock.ctx);
    s->last_poll_ns = s->now_ns;
    return s;
}

void coop_sched_free(coop_sched *s)
{
    if (!s)
        return;
    coop__kill_all(s, 0);
    /* Tombstones of killed tasks may still sit in the rings. */
    for (int p = coop__next_prio(s, 0); p; p = coop__next_prio(s, p))
        (void)coop__ring_head(s, p);
    coop__heap_compact(s);
    coop_assert(s->heap.n == 0);
    coop__heap_free(s, &s->heap);
    coop__tab_free(s);
    coop__signals_free(s);
    coop__streams_free(s);
    coop__kinds_free(s);
    coop__blocks_trim(s, true);
    if (s->poller.ops)
        s->poller.ops->destroy(s->poller.ctx);
    coop_allocator alloc = s->alloc;
    alloc.fn(alloc.ctx, s, sizeof(*s), 0);
}

void coop_sched_abandon(coop_sched *s)
{
    if (!s)
        return;
    s->trace = NULL;
    /* Marked as finalized, no task runs its cleanup when coop_sched_free ends it. */
    coop_task_iter it;
    coop_task_iter_init(&it, s);
    for (coop_task *t; (t = coop_task_iter_next(&it));)
        t->flags |= COOP__F_FINALIZED;
    coop_sched_free(s);
}

static void copy_name(char *dst, const char *src)
{
    size_t i = 0;
    for (; src && src[i] && i < COOP_NAME_MAX; i++)
        dst[i] = src[i];
    dst[i] = '\0';
}

/* Fills the report and logs "task NAME (tid N) failed with EIO at f.c:42, last resumed at line 37". */
void coop__record_failure(coop_sched *s, coop_task *t, int err)
{
    coop_report *r = &s->failure;
    r->tid = t->tid;
    copy_name(r->name, coop__task_label(s, t));
    r->error = err;
    r->file = t->calls && t->calls->fail_file ? t->calls->fail_file : "?";
    r->line = t->calls ? t->calls->fail_line : 0;
    r->resume_line = t->head.lc < COOP__LC_FINALLY ? t->head.lc : 0;
    s->has_failure = true;
    s->failed = true;
    if (s->stop_on_error)
        s->halt |= COOP__HALT_STOP;

#if COOP_CONFIG_LOG_LINE > 0
    /* The scratch, not the stack: this path stays small on a microcontroller. */
    char *msg = s->scratch.line;
    struct coop__buf b = { msg, sizeof(s->scratch.line), 0 };
    msg[0] = '\0';
    coop__buf_str(&b, "task ");
    coop__buf_str(&b, r->name);
    coop__buf_str(&b, " (tid ");
    coop__buf_u32(&b, r->tid);
    coop__buf_str(&b, ") failed with ");
    coop__buf_str(&b, coop_strerror(err));
    coop__buf_str(&b, " at ");
    coop__buf_str(&b, r->file);
    coop__buf_str(&b, ":");
    coop__buf_u32(&b, r->line);
    coop__buf_str(&b, ", last resumed at line ");
    coop__buf_u32(&b, r->resume_line);
    coop__log(s, COOP_LOG_ERROR, msg);
#endif

    COOP__TRACE(s, COOP_TR_FAIL, t, .code = err, .file = r->file, .line = r->line, .fd = -1);
}

const coop_report *coop_last_failure(const coop_sched *s) { return s->has_failure ? &s->failure : NULL; }

void coop_sched_set_user(coop_sched *s, void *user) { s->user = user; }

void *coop_sched_user(const coop_sched *s) { return s->user; }

uint32_t coop_sched_seq_task(const coop_sched *s, uint64_t *due_ns, uint32_t *prio)
{
    const coop_task *t = s->seq_task;
    if (due_ns)
        *due_ns = t ? t->time2run_ns : 0;
    if (prio)
        *prio = t ? t->prio : 0;
    return t ? t->tid : 0;
}

int64_t coop_spawn(coop_sched *s, const coop_task_spec *spec)
{
    coop_task *t;
    int err = coop__task_build(s, spec, &t);
    if (err)
        return err;
    if (!s->current)
        coop__refresh_now(s);
    /* The setup runs inside the join and may end the task, so its tid is read first. */
    uint32_t tid = t->tid;
    err = coop__task_join(s, t);
    if (err) {
        coop__task_release(s, t);
        return err;
    }
    return tid;
}

coop_task *coop_task_new(coop_sched *s, const coop_task_spec *spec)
{
    coop_task *t;
    return coop__task_build(s, spec, &t) ? NULL : t;
}

void coop_task_discard(coop_task *t)
{
    if (t && t->where == COOP__DETACHED)
        coop__task_release(coop__sched_of(t), t);
}

coop_task *coop_task_find(coop_sched *s, uint32_t tid) { return coop__tab_find(s, tid); }

void coop_task_iter_init(coop_task_iter *it, coop_sched *s)
{
    it->sched = s;
    it->next_tid = 0;
    it->slot = 0;
}

coop_task *coop_task_iter_next(coop_task_iter *it)
{
    const coop_sched *s = it->sched;
    /* Tasks that ended or compaction may have moved the slot; the hint is checked before use. */
    uint32_t i = it->slot;
    bool hint = i < s->tab.n && coop__tab_tid(s, i) >= it->next_tid &&
                (i == 0 || coop__tab_tid(s, i - 1) < it->next_tid);
    if (!hint)
        i = coop__tab_lower(s, it->next_tid);
    for (; i < s->tab.n; i++) {
        coop_task *t = coop__tab_task(s, i);
        if (t) {
            it->next_tid = t->tid + 1;
            it->slot = i + 1;
            return t;
        }
    }
    it->next_tid = UINT32_MAX;
    return NULL;
}

size_t coop_task_count(const coop_sched *s) { return s->tab.live; }

int coop_signal(coop_sched *s, const char *name, int64_t value)
{
    if (!name)
        return -COOP_EINVAL;
    if (!s->current)
        coop__refresh_now(s);
    struct coop__signal *sig = coop__signal_find(s, name);
    int woken = sig ? coop__signal_send(s, sig, value) : 0;
    COOP__TRACE(s, COOP_TR_SIGNAL, NULL, .signal = sig ? sig->name : name, .value = value, .code = woken,
                .fd = -1);
    return woken;
}

int coop_kill(coop_sched *s, uint32_t tid)
{
    coop_task *t = coop__tab_find(s, tid);
    if (!t)
        return 0;
    coop__end_task(s, t, -COOP_ECANCELED, s->current ? s->current->tid : 0);
    return 1;
}

void coop_shutdown(coop_sched *s)
{
    s->stopped = true;
    s->halt |= COOP__HALT_STOP;
    coop__kill_all(s, s->current ? s->current->tid : 0);
}

void coop_break(coop_sched *s)
{
    if (s->running)
        s->halt |= COOP__HALT_BREAK;
}

void coop_enable_polling(coop_sched *s, int64_t period_ns)
{
    s->poll_period_ns = period_ns > 0 ? period_ns : 0;
}

void coop_enable_gc(coop_sched *s, int64_t period_ns, coop_hook_fn hook, void *ctx)
{
    s->gc_period_ns = period_ns > 0 ? period_ns : 0;
    s->next_gc_ns = s->now_ns + (uint64_t)s->gc_period_ns;
    s->gc_hook = hook;
    s->gc_ctx = ctx;
}

void coop_set_idle_hook(coop_sched *s, coop_hook_fn hook, void *ctx)
{
    s->idle_hook = hook;
    s->idle_ctx = ctx;
}

void coop_set_idle_wait_hook(coop_sched *s, coop_idle_wait_fn wait, void *ctx)
{
    s->idle_wait = wait;
    s->idle_wait_ctx = ctx;
}

uint64_t coop_idle_count(const coop_sched *s) { return s->idle_count; }
uint64_t coop_gc_count(const coop_sched *s) { return s->gc_count; }
bool coop_has_io(const coop_sched *s) { return s->nio > 0; }
bool coop_is_stopped(const coop_sched *s) { return s->stopped; }

void coop_set_stop_on_error(coop_sched *s, bool stop)
{
    s->stop_on_error = stop;
    s->failed = false;
    s->halt = (uint8_t)((s->halt & ~COOP__HALT_STOP) | (s->stopped ? COOP__HALT_STOP : 0));
}

void coop_set_default_late_policy(coop_sched *s, coop_late_policy late) { s->default_late = late; }

/* A signal's waiter list is doubly linked in order, and every waiter is blocked on a signal. */
static void verify_signal(void *ctx, struct coop__hnode *e)
{
    (void)ctx;
    const struct coop__signal *g = (const struct coop__signal *)e;
    const struct coop__sigreg *prev = NULL;
    for (const struct coop__sigreg *r = g->head; r; r = r->next) {
        coop_assert(r->sig == g && r->prev == prev);
        uint8_t block = r->task->calls->block;
        coop_assert(r->task->where == COOP__BLOCKED &&
                    (block == COOP__BLOCK_SIGNAL || block == COOP__BLOCK_ANY));
        prev = r;
    }
    coop_assert(g->tail == prev);
}

/* Walks every structure and checks the invariants stated beside them. */
int coop_verify(const coop_sched *s)
{
    coop__heap_verify(s);
    coop__rings_verify(s);
    uint32_t live = 0, io = 0;
    for (uint32_t i = 0; i < s->tab.n; i++) {
        if (i > 0)
            coop_assert(coop__tab_tid(s, i - 1) < coop__tab_tid(s, i));
        const coop_task *t = coop__tab_task(s, i);
        if (!t)
            continue;
        live++;
        coop_assert(coop__sched_of(t) == s && t->kind->refs > 0);
        coop_assert(t->where != COOP__DEAD && t->where != COOP__DETACHED && !(t->flags & COOP__F_ENDED));
        coop_assert(t->prio >= COOP_PRIO_HIGHEST && t->prio <= COOP_PRIO_LOWEST);
        if (t->where == COOP__TIMED)
            coop_assert(t->flags & (COOP__F_IN_HEAP | COOP__F_IN_CHAIN));
        if (t->where == COOP__READY)
            coop_assert(t->flags & COOP__F_IN_RING);
        const struct coop__calls *c = t->calls;
        if (t->where == COOP__BLOCKED)
            coop_assert(c != NULL);
        if (!c)
            continue;
        if (t->where != COOP__BLOCKED)
            coop_assert(c->nregs == 0);
        for (uint32_t r = 0; r < c->nregs; r++)
            coop_assert(c->regs[r].task == t);
        for (uint32_t f = 0; f < c->nfds; f++) {
            coop_assert(s->fdtab[c->fds[f].fd] == t);
            io++;
        }
        for (uint32_t w = 0; w < c->nwaiters; w++)
            coop_assert(c->waiters[w]->where == COOP__BLOCKED && c->waiters[w]->calls->wait_tid == t->tid);
    }
    coop_assert(live == s->tab.live);
    coop_assert(io == s->nio);
    coop__htab_each(&s->signals, verify_signal, NULL);
    return 0;
}

bool coop_fault_point(coop_task *t, const char *site)
{
    coop_sched *s = coop__sched_of(t);
    return s->fault && s->fault(s->fault_ctx, site ? site : "", t->tid);
}

size_t coop_task_describe_wait(const coop_task *t, char *buf, size_t len)
{
    char scratch[1];
    struct coop__buf b = { len ? buf : scratch, len ? len : 1, 0 };
    b.p[0] = '\0';
    switch (t->where) {
    case COOP__RUNNING:
        coop__buf_str(&b, "running");
        break;
    case COOP__READY:
        coop__buf_str(&b, "ready");
        break;
    case COOP__TIMED:
        /* Without a ring for its prio, a task due now waits in the heap: still "ready". */
        if (!coop__has_ring(t->prio) && t->time2run_ns == coop__sched_of(t)->now_ns) {
            coop__buf_str(&b, "ready");
            break;
        }
        coop__buf_str(&b, "due at ");
        coop__buf_uint(&b, t->time2run_ns);
        coop__buf_str(&b, " ns");
        break;
    case COOP__BLOCKED: {
        const struct coop__calls *c = t->calls;
        if (c->block == COOP__BLOCK_TASK) {
            coop__buf_str(&b, "task ");
            coop__buf_uint(&b, c->wait_tid);
        } else if (c->block == COOP__BLOCK_DIAL) {
            coop__buf_str(&b, "connect on fd ");
            coop__buf_uint(&b, (uint64_t)c->dial_fd);
        } else {
            /* Signals, fds, or both (WaitAny). */
            if (c->nregs)
                coop__buf_str(&b, c->nregs > 1 ? "signals" : "signal");
            for (uint32_t i = 0; i < c->nregs; i++) {
                coop__buf_str(&b, i ? ", '" : " '");
                coop__buf_str(&b, c->regs[i].sig->name);
                coop__buf_str(&b, "'");
            }
            bool fds = c->block == COOP__BLOCK_IO || c->block == COOP__BLOCK_ANY;
            for (uint32_t i = 0; fds && i < c->nfds; i++) {
                coop__buf_str(&b, i || c->nregs ? ", fd " : "fd ");
                coop__buf_uint(&b, (uint64_t)c->fds[i].fd);
            }
        }
        if (COOP__INDEXED(t)) {
            coop__buf_str(&b, " (timeout at ");
            coop__buf_uint(&b, t->time2run_ns);
            coop__buf_str(&b, " ns)");
        }
        break;
    }
    default:
        coop__buf_str(&b, "ended");
        break;
    }
    return b.len;
}
