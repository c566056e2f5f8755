/* Internal definitions shared by the core's files: the task, the scheduler and their helpers. */
#ifndef COOP_INTERNAL_H
#define COOP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coop/coop.h"

/*
 * Assertions stay on in every build (see STYLE.md).  The failure goes
 * through a hook so that the core needs no libc; the libc build aborts.
 */
COOP_API void coop__assert_fail(const char *expr, const char *file, unsigned line);
#define coop_assert(e) ((e) ? (void)0 : coop__assert_fail(#e, __FILE__, __LINE__))

#define COOP__NO_INDEX UINT32_MAX
#define COOP__NPRIO 101 /* prios 1..100; slot 0 unused */
#define COOP__POLL_BATCH 64
#define COOP__FREE_CACHE_MAX 64 /* task blocks kept for reuse without GC */

/* Where a task is.  Exactly one holds at any time. */
enum coop__where {
    COOP__DETACHED, /* built by coop_task_new, not yet added */
    COOP__RUNNING,  /* its step, or the handling of its call, is under way */
    COOP__READY,    /* in the ready ring of its prio */
    COOP__TIMED,    /* in the heap, due at time2run */
    COOP__BLOCKED,  /* waiting; in the heap too when the wait has a timeout */
    COOP__DEAD      /* ended; the record waits to be freed */
};

/* What a blocked task waits for. */
enum coop__block { COOP__BLOCK_NONE, COOP__BLOCK_SIGNAL, COOP__BLOCK_TASK, COOP__BLOCK_IO };

enum coop__flags {
    COOP__F_OFFGRID = 1u << 0,      /* periodic task resuming off its grid: next due is grid_ns */
    COOP__F_IN_RING = 1u << 1,      /* a ready ring still points at the record */
    COOP__F_KILL_PENDING = 1u << 2, /* killed during its own step */
    COOP__F_FINALIZED = 1u << 3,    /* its cleanup has run */
    COOP__F_TIMER_WAIT = 1u << 4,   /* parked by Wait(); traced as a timer wake */
    COOP__F_ONCE = 1u << 5,         /* negative period: the first plain yield ends it */
    COOP__F_IN_STEP = 1u << 6,      /* its step function is on the C stack */
    COOP__F_PINNED = 1u << 7        /* a dispatcher still uses the record; do not free */
};

/* One signal registration; lives in its task's regs array. */
struct coop__sigreg {
    struct coop__signal *sig;
    coop_task *task;
    struct coop__sigreg *prev, *next; /* in sig's waiter list, registration order */
};

/*
 * A named signal.  Waiters form a doubly linked list in registration
 * order.  Signals are interned for the scheduler's lifetime, so a
 * coop_result's signal pointer stays valid.
 */
struct coop__signal {
    struct coop__signal *chain; /* next in the hash bucket */
    struct coop__sigreg *head, *tail;
    uint32_t hash;
    uint32_t len; /* name length in bytes */
    char name[];  /* NUL-terminated */
};

/* One fd a task registered with StreamReader/Writer/ReaderWriter. */
struct coop__fdreg {
    int fd;
    uint8_t interest; /* COOP_EV_READ and/or COOP_EV_WRITE */
    uint8_t armed;    /* 1 when the poller has the interest mask, 0 when parked at 0 */
    uint8_t pending;  /* events seen while the task was not waiting */
};

/*
 * A task.  The record, its state and its name are one allocation of
 * block_size bytes: [struct coop_task][state][name].  While queued, the
 * key is (time2run_ns, prio, seq) and the heap or ring holds it; seq is
 * unique and increases with every insertion.
 */
struct coop_task {
    struct coop__task_head head; /* resume point; must stay first */
    uint8_t where;               /* enum coop__where */
    uint8_t prio;                /* 1..100 */
    uint8_t flags;               /* enum coop__flags */
    uint8_t late;                /* coop_late_policy */
    coop_step_fn step;
    uint64_t time2run_ns; /* when it is next due (the queue key) */
    uint64_t seq;         /* insertion counter of its current queue entry */
    int64_t period_ns;    /* >0 periodic, 0 when ready, <0 once */
    uint32_t tid;         /* unique per scheduler, never reused, from 1 */
    uint32_t heap_idx;    /* index in the heap, or COOP__NO_INDEX */
    coop_task *ring_next; /* next in its ready ring, while COOP__F_IN_RING */
    coop_call_result res; /* what the last call returned */
    coop_sched *sched;
    uint64_t grid_ns;      /* next nominal due time, when COOP__F_OFFGRID */
    uint8_t block;         /* enum coop__block, when BLOCKED */
    uint8_t nregs, regcap; /* signal registrations in use / allocated */
    uint16_t nfds, fdcap;  /* fds registered / allocated */
    struct coop__sigreg *regs;
    struct coop__fdreg *fds;
    coop_task **waiters; /* tasks in WaitTask on this one, in order */
    uint32_t nwaiters, waitcap;
    uint32_t wait_tid; /* the task this one waits for (BLOCK_TASK) */
    int exit_status;
    const char *name;      /* points into the block */
    const char *fail_file; /* set by COOP_FAIL */
    unsigned fail_line;
    size_t block_size;
    coop_task *next_free; /* in the scheduler's reuse cache */
    _Alignas(16) unsigned char state[];
};

_Static_assert(offsetof(struct coop_task, state) == COOP__STATE_OFFSET,
               "coop_state() in task.h is out of date");

/* A heap entry caches the key so that sifting never touches the task. */
struct coop__heap_entry {
    uint64_t t;  /* time2run_ns */
    uint64_t ps; /* prio << 56 | seq */
    coop_task *task;
};

/* A 4-ary min-heap on (t, ps).  Each task's heap_idx tracks its slot. */
struct coop__heap {
    struct coop__heap_entry *v;
    uint32_t n, cap;
};

/*
 * A FIFO of tasks of one prio, linked through the tasks themselves, so
 * queueing a due task never allocates.  Keys along the list never
 * decrease: a task is appended only if its time2run is at least the
 * tail's, and seq always grows, so the head is the list's minimum.
 */
struct coop__ring {
    coop_task *head, *tail; /* both NULL when empty */
};

/* tid -> task, sorted by tid; a slot whose task ended holds NULL. */
struct coop__tab_slot {
    uint32_t tid;
    coop_task *task; /* NULL once the task has ended */
};
struct coop__tasktab {
    struct coop__tab_slot *v;
    uint32_t n, cap; /* slots used / allocated */
    uint32_t live;   /* slots whose task is not NULL */
};

/* The call a task yields, filled by a constructor and read by the handler. */
struct coop__call {
    int kind; /* coop_call_kind */
    int err;  /* set when the constructor itself failed */
    int64_t ns;
    int64_t value;
    uint32_t tid;
    int fd;
    uint32_t events;
    coop_task *child;
    uint32_t nsigs;
    struct coop__signal *sigs[COOP_MAX_WAIT_SIGNALS];
};

struct coop_sched {
    coop_clock clock;
    coop_poller poller;
    coop_allocator alloc;
    coop_log_fn log;
    void *log_ctx;
    coop_trace_fn trace;
    void *trace_ctx;
    uint32_t turn_steps;
    coop_fault_fn fault;
    void *fault_ctx;
    coop_seq_fn seq_hook;
    void *seq_ctx;

    uint64_t now_ns; /* the clock as last read; never decreases */
    uint64_t next_seq;
    uint32_t next_tid;
    void *user;         /* the caller's pointer, see coop_sched_set_user */
    coop_task *current; /* the task whose step or call is being handled */
    /*
     * A task dispatched from the heap's top keeps its entry while it runs,
     * with its old key, so that re-queueing it is one sift (replace-top)
     * instead of a delete plus an insert.  NULL once the entry was re-keyed
     * or removed; the dispatcher removes it if the task was not re-queued.
     */
    coop_task *stale;
    bool stopped; /* KillOs or coop_shutdown happened */
    bool stop_on_error;
    bool failed; /* a step failed since the flag was cleared */
    coop_late_policy default_late;

    struct coop__heap heap;
    struct coop__ring rings[COOP__NPRIO];
    uint64_t ring_bits[2]; /* bit p set when rings[p] is non-empty */
    struct coop__tasktab tab;

    struct coop__signal **sigtab; /* hash buckets */
    /*
     * Recently interned names by the address of the caller's string, so a
     * task that waits on the same literal in a loop skips hashing.  A hit
     * is confirmed by comparing the text, so a reused buffer cannot alias;
     * the address only picks the slot and never affects any order.
     */
    struct {
        const char *ptr;
        struct coop__signal *sig;
    } sigcache[8];
    uint32_t sigcap, nsig;

    coop_task **fdtab; /* fd -> task holding it */
    uint32_t fdcap;
    uint32_t nio; /* registered fds across tasks */

    struct coop__call call;

    coop_task *free_list; /* ended task blocks kept for reuse */
    uint32_t nfree;

    int64_t poll_period_ns;
    uint64_t last_poll_ns;
    int64_t gc_period_ns;
    uint64_t next_gc_ns;
    coop_hook_fn gc_hook, idle_hook;
    void *gc_ctx, *idle_ctx;
    uint64_t idle_count, gc_count;

    coop_report failure;
    bool has_failure;
    coop_poll_event events[COOP__POLL_BATCH];
};

/* Memory, through the allocator hook. */
void *coop__alloc(coop_sched *s, size_t size);
void *coop__realloc(coop_sched *s, void *p, size_t old_size, size_t new_size);
void coop__free(coop_sched *s, void *p, size_t size);
int coop__grow(coop_sched *s, void **v, uint32_t *cap, uint32_t need, size_t elem);

/* Logging and tracing.  The libc build supplies the stderr log. */
void coop__log_stderr(void *ctx, coop_log_level level, const char *msg);
void coop__log(coop_sched *s, coop_log_level level, const char *msg);
void coop__trace(coop_sched *s, coop_trace_kind kind, const coop_task *t, coop_trace_event *ev);
/* Builds the event only when a trace hook is set, so that tracing costs one branch otherwise. */
#define COOP__TRACE(s, kind, t, ...)                     \
    do {                                                 \
        if ((s)->trace) {                                \
            coop_trace_event coop__ev = { __VA_ARGS__ }; \
            coop__trace((s), (kind), (t), &coop__ev);    \
        }                                                \
    } while (0)

/* Formatting without libc. */
struct coop__buf {
    char *p;
    size_t cap, len;
};
void coop__buf_str(struct coop__buf *b, const char *s);
void coop__buf_uint(struct coop__buf *b, uint64_t v);

/* The heap. */
int coop__heap_push(coop_sched *s, struct coop__heap *h, coop_task *t);
void coop__heap_del(struct coop__heap *h, coop_task *t);
void coop__heap_update(struct coop__heap *h, coop_task *t);
void coop__heap_free(coop_sched *s, struct coop__heap *h);
int coop__heap_verify(const struct coop__heap *h);
static inline uint64_t coop__ps(const coop_task *t) { return (uint64_t)t->prio << 56 | t->seq; }

/* Ready rings; the hot operations are inline in ready.h. */
coop_task *coop__ring_head_slow(coop_sched *s, int prio);
int coop__rings_verify(const coop_sched *s);

/* The task table. */
int coop__tab_add(coop_sched *s, coop_task *t);
void coop__tab_del(coop_sched *s, coop_task *t);
coop_task *coop__tab_find(const coop_sched *s, uint32_t tid);
uint32_t coop__tab_lower(const coop_sched *s, uint32_t tid);
void coop__tab_free(coop_sched *s);

/* Signals. */
struct coop__signal *coop__signal_intern(coop_sched *s, const char *name);
struct coop__signal *coop__signal_find(const coop_sched *s, const char *name);
int coop__signal_register(coop_sched *s, coop_task *t, struct coop__signal *const *sigs, uint32_t n);
void coop__signal_unregister(coop_task *t);
int coop__signal_send(coop_sched *s, struct coop__signal *sig, int64_t value);
void coop__signals_free(coop_sched *s);

/* Streams. */
int coop__stream_register(coop_sched *s, coop_task *t, int fd, uint32_t events);
int coop__stream_wait(coop_sched *s, coop_task *t);
void coop__stream_drop_all(coop_sched *s, coop_task *t);
void coop__stream_event(coop_sched *s, int fd, uint32_t events);
void coop__streams_free(coop_sched *s);

/* Task life. */
int coop__task_build(coop_sched *s, const coop_task_spec *spec, coop_task **out);
void coop__task_release(coop_sched *s, coop_task *t);
int coop__task_join(coop_sched *s, coop_task *t);
void coop__enqueue_heap(coop_sched *s, coop_task *t);
void coop__dequeue(coop_sched *s, coop_task *t);
void coop__make_ready(coop_sched *s, coop_task *t, int reason, const struct coop__signal *sig, int fd);
void coop__end_task(coop_sched *s, coop_task *t, int status, uint32_t killer);
void coop__kill_all(coop_sched *s, uint32_t killer);
void coop__remove_waiter(coop_sched *s, coop_task *w);
void coop__run_cleanup(coop_sched *s, coop_task *t);
void coop__handle_call(coop_sched *s, coop_task *t);
void coop__call_discard(coop_sched *s);
void coop__record_failure(coop_sched *s, coop_task *t, int err);
void coop__refresh_now(coop_sched *s);
int coop__call_step(coop_sched *s, coop_task *t);
void coop__finish_step(coop_sched *s, coop_task *t, int r);

#endif
