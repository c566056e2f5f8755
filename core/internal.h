/* Internal definitions shared by the core's files: the task, the scheduler and their helpers. */
#ifndef COOP_INTERNAL_H
#define COOP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coop/coop.h"
#include "coop/config.h"
#include "coop/port.h"

/*
 * Assertions stay on in every build (see STYLE.md).  The failure goes
 * through a hook (coop/port.h) so that the core needs no libc; the libc
 * build aborts.
 */
#if COOP_CONFIG_ASSERT_TEXT
#define coop_assert(e) ((e) ? (void)0 : coop__assert_fail(#e, __FILE__, __LINE__))
#else
/* Without the text: the hook gets "" and the line, and the image keeps no expression strings. */
#define coop_assert(e) ((e) ? (void)0 : coop__assert_fail("", "coop", __LINE__))
#endif

#if defined(__GNUC__) || defined(__clang__)
#define COOP__NOINLINE __attribute__((noinline))
#else
#define COOP__NOINLINE
#endif

#define COOP__NO_INDEX UINT32_MAX
#if COOP_CONFIG_RINGS < 0 || COOP_CONFIG_RINGS > 100
#error "COOP_CONFIG_RINGS must be from 0 to 100"
#endif
#define COOP__NRINGS (COOP_CONFIG_RINGS + 1) /* rings for prios 1..COOP_CONFIG_RINGS; slot 0 unused */
#define COOP__RING_WORDS (COOP_CONFIG_RINGS / 64 + 1) /* 64-bit words of ring_bits */
/* Ready fds taken per poller wait: enough for a busy server's round, small without an OS. */
#if !COOP_CONFIG_STREAMS
#define COOP__POLL_BATCH 1
#elif defined(COOP_HAVE_LIBC)
#define COOP__POLL_BATCH 256
#else
#define COOP__POLL_BATCH 16
#endif
#if COOP_CONFIG_CHAIN_BITS < 0 || COOP_CONFIG_CHAIN_BITS > 12
#error "COOP_CONFIG_CHAIN_BITS must be from 0 to 12"
#endif
#define COOP__CHAIN_CACHE (1u << COOP_CONFIG_CHAIN_BITS) /* heap chains reachable for appending */
#define COOP__RECORD_SIZE COOP__STATE_OFFSET             /* sizeof(struct coop_task): the state follows it */
/*
 * The alignment of a task block and of a big state: 16 bytes where
 * pointers have 8, as malloc gives on x86-64; 8 on 32-bit targets, as
 * newlib's malloc gives and as the strictest scalar there needs.
 */
#define COOP__ALIGN COOP_ALLOC_ALIGN
/* The task table tags an ended task's tid into a pointer-sized slot (see struct coop__tasktab). */
#define COOP__TID_MAX (UINTPTR_MAX >> 1 < UINT32_MAX - 1 ? (uint32_t)(UINTPTR_MAX >> 1) : UINT32_MAX - 1)

/* Whether streams work: never in a build without them, so their code is left out. */
#if COOP_CONFIG_STREAMS
#define COOP__HAS_POLLER(s) ((s)->poller.ops != NULL)
#else
#define COOP__HAS_POLLER(s) false
#endif

/* Where a task is.  Exactly one holds at any time. */
enum coop__where {
    COOP__DETACHED, /* built by coop_task_new, not yet added */
    COOP__RUNNING,  /* its step, or the handling of its call, is under way */
    COOP__READY,    /* in the ready ring of its prio */
    COOP__TIMED,    /* in the heap, or in a heap chain, due at time2run */
    COOP__BLOCKED,  /* waiting; in the heap too when the wait has a timeout */
    COOP__DEAD      /* ended; the record waits to be freed */
};

/* Why coop_run_due stops: one flag word, so its loop tests a single byte. */
enum coop__halt {
    COOP__HALT_STOP = 1u << 0, /* stopped, or failed with stop_on_error */
    COOP__HALT_BREAK = 1u << 1 /* coop_break during this run */
};

/* What a blocked task waits for. */
enum coop__block {
    COOP__BLOCK_NONE,
    COOP__BLOCK_SIGNAL,
    COOP__BLOCK_TASK,
    COOP__BLOCK_IO,
    COOP__BLOCK_ANY, /* WaitAny: signals and the task's fds */
    COOP__BLOCK_DIAL /* Dial: the connecting fd alone */
};

enum coop__flags {
    COOP__F_OFFGRID = 1u << 0,      /* periodic task resuming off its grid: next due is calls->grid_ns */
    COOP__F_IN_RING = 1u << 1,      /* a ready ring still points at the record */
    COOP__F_KILL_PENDING = 1u << 2, /* killed during its own step */
    COOP__F_FINALIZED = 1u << 3,    /* its cleanup has run */
    COOP__F_TIMER_WAIT = 1u << 4,   /* parked by Wait(); traced as a timer wake */
    COOP__F_ONCE = 1u << 5,         /* negative period: the first plain yield ends it */
    COOP__F_IN_STEP = 1u << 6,      /* its step function is on the C stack */
    COOP__F_PINNED = 1u << 7,       /* a dispatcher still uses the record; do not free */
    COOP__F_LATE_SKIP = 1u << 8,    /* late policy COOP_LATE_SKIP (else catch-up) */
    COOP__F_LATE = 1u << 9,         /* queued after its time2run had passed (see the ready order) */
    COOP__F_IN_CHAIN = 1u << 10,    /* linked behind a heap entry's task; see struct coop__heap */
    COOP__F_NAMED = 1u << 11,       /* the spec named it; the name follows the state */
    COOP__F_ENDED = 1u << 12,       /* exit_status is set and time2run is no longer kept */
    COOP__F_CALLS_OOM = 1u << 13,   /* a call found no memory for the call record */
    COOP__F_IN_HEAP = 1u << 14 /* holds a heap entry that is not indexed (a timer's); in the timer list */
};

/* One signal registration; lives in its task's regs array. */
struct coop__sigreg {
    struct coop__signal *sig;
    coop_task *task;
    struct coop__sigreg *prev, *next; /* in sig's waiter list, registration order */
};

/* A node of a chained hash table (htab.c); the first member of what it files. */
struct coop__hnode {
    struct coop__hnode *chain; /* next in its bucket */
    uint32_t hash;
};
#if COOP_CONFIG_HASH_TABLES
struct coop__htab {
    struct coop__hnode **v; /* buckets; cap is a power of two, or 0 */
    uint32_t cap, n;
};
#else
/* Without hash tables: one list, newest first, searched from its head like a single bucket. */
struct coop__htab {
    struct coop__hnode *head;
    uint32_t n;
};
#endif

/*
 * A named signal.  Waiters form a doubly linked list in registration
 * order.  Signals are interned for the scheduler's lifetime, so a
 * coop_result's signal pointer stays valid.
 */
struct coop__signal {
    struct coop__hnode node; /* must stay first */
    struct coop__sigreg *head, *tail;
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
 * What tasks with the same step function, period and state size share.
 * Kinds are interned per scheduler and counted; a task that changes its
 * period moves to another kind.  Sharing them keeps the task record small
 * enough for one cache line with its state, and a scheduler with a
 * million tasks of a few sorts has only a few kinds.
 */
struct coop__kind {
    struct coop__hnode node; /* must stay first */
    coop_step_fn step;
    int64_t period_ns; /* >0 periodic, 0 when ready, <0 once */
    coop_sched *sched;
    size_t state_size; /* bytes of state the spec asked for */
    uint32_t refs;     /* tasks of this kind, detached ones included */
};

/*
 * Everything a task needs only once it makes calls: the result, signal
 * and fd registrations, its WaitTask waiters, failure details, and the
 * text of its automatic name.  It is allocated at the task's first call
 * (or first request for its name) and freed with the task; a task that
 * only yields never has one.
 */
struct coop__calls {
    coop_call_result res; /* what the last call returned */
    struct coop__sigreg *regs;
    struct coop__fdreg *fds;
    coop_task **waiters;   /* tasks in WaitTask on this one, in order */
    const char *fail_file; /* set by COOP_FAIL */
    uint64_t grid_ns;      /* next nominal due time, when COOP__F_OFFGRID */
    uint32_t nwaiters, waitcap;
    union {
        uint32_t wait_tid; /* the task this one waits for (BLOCK_TASK) */
        int dial_fd;       /* the fd being connected (BLOCK_DIAL) */
    };
    coop_task *join_up; /* while a child's setup runs for this task's call: the next caller out */
    unsigned fail_line;
    uint16_t nfds, fdcap;  /* fds registered / allocated */
    uint8_t nregs, regcap; /* signal registrations in use / allocated */
    uint8_t block;         /* enum coop__block, when BLOCKED */
    char auto_name[16];    /* "task_<tid>", or empty until asked for */
};

/*
 * A task: 48 bytes (40 where pointers have 4), followed in the same
 * block by its state and, for a named task, its name.  `next` comes
 * before the 64-bit word so that the word is 8-byte aligned without
 * padding on every ABI, i386's included, where 64-bit fields are only
 * 4-byte aligned.  While queued, its key is (time2run_ns, prio,
 * seq); the seq lives in the heap entry, and ready rings and heap chains
 * keep it implicitly by their order (see ready.h).  Once the task has
 * ended (COOP__F_ENDED), the time2run word holds the exit status.
 */
struct coop_task {
    struct coop__task_head head; /* resume point; must stay first */
    uint8_t where;               /* enum coop__where */
    uint8_t prio;                /* 1..100 */
    uint16_t flags;              /* enum coop__flags */
    struct coop__kind *kind;     /* step, period, state size, scheduler */
    coop_task *next;             /* in its ready ring or heap chain; NULL otherwise */
    union {
        uint64_t time2run_ns; /* when it is next due (the queue key) */
        int64_t exit_status;  /* once COOP__F_ENDED */
    };
    uint32_t tid; /* unique per scheduler, never reused, from 1 */
#if COOP_CONFIG_HEAP_KEYS
    uint32_t heap_idx; /* index of its heap entry, or COOP__NO_INDEX */
#else
    uint32_t qkey; /* while in the timer list: prio << 24 | seq, the key after time2run */
#endif
    struct coop__calls *calls; /* NULL until the first call */
    /* 8-aligned: on 32-bit targets the fields above end at 36 bytes. */
    _Alignas(8) unsigned char state[];
};

_Static_assert(sizeof(struct coop_task) == COOP__RECORD_SIZE, "the task record grew");
_Static_assert(offsetof(struct coop_task, state) == COOP__STATE_OFFSET,
               "coop_state() in task.h is out of date");

/*
 * A heap entry caches the key so that sifting never touches the task.
 * ps is prio << 56 | seq << 1 | indexed, where seq is the insertion
 * counter of the entry; the low bit does not change the order, since
 * seqs are unique.  An indexed entry's task keeps heap_idx up to date:
 * a timeout's (its task may be woken early) and that of a task running
 * from the top (see coop_sched.stale).  A timer's entry is not indexed.
 */
#if COOP_CONFIG_HEAP_KEYS
struct coop__heap_entry {
    uint64_t t;  /* time2run_ns */
    uint64_t ps; /* prio << 56 | seq << 1 | indexed */
    coop_task *task;
};
#define COOP__PS_INDEXED UINT64_C(1)
#define COOP__SEQ_LIMIT (UINT64_C(1) << 55) /* seqs, the hook's included, stay below */

/*
 * A 4-ary min-heap on (t, ps).  An entry's task is the head of a chain:
 * tasks queued later with the same (t, prio) link behind it through
 * `next` (COOP__F_IN_CHAIN) instead of taking entries of their own, and
 * inherit the entry when the head leaves.  They are in seq order, and no
 * other entry with that key was inserted while the chain grew (see
 * queue.c), so the chain stands for a run of consecutive keys.  A task
 * holding an entry that is not indexed has COOP__F_IN_HEAP.
 */
struct coop__heap {
    struct coop__heap_entry *v;
    uint32_t n, cap;
};
#define COOP__TOP_TIME(s) ((s)->heap.v[0].t)
#define COOP__TOP_PRIO(s) ((int)((s)->heap.v[0].ps >> 56))
#define COOP__TOP_TASK(s) ((s)->heap.v[0].task)
/* Whether the task holds an entry it can leave at once: a timeout's, or a stale one. */
#define COOP__INDEXED(t) ((t)->heap_idx != COOP__NO_INDEX)
#else
/*
 * Without heap keys, the "heap" is a list of the tasks themselves, linked
 * through `next` in the order of their keys, (time2run_ns, qkey) with
 * qkey = prio << 24 | seq: queueing walks it, which suits a few tasks,
 * and it costs no memory beyond the records.  qkey keeps the prio the
 * task was queued with, which a change of prio must not move.  A task in
 * the list has COOP__F_IN_HEAP and leaves it as soon as it is dispatched
 * or ended, so no dead task and no changed key is ever in it.  When seqs
 * reach the limit they are renumbered by position (queue.c): tasks with
 * equal times and prios are in seq order, so their order holds.
 */
#ifndef COOP__SEQ_BITS
#define COOP__SEQ_BITS 24 /* a test build lowers it, so that renumbering happens often */
#endif
#if COOP__SEQ_BITS > 24
#error "COOP__SEQ_BITS must leave 8 bits of the queue key for the prio"
#endif
#define COOP__SEQ_LIMIT (UINT32_C(1) << COOP__SEQ_BITS) /* seqs, the hook's included, stay below */
struct coop__heap {
    coop_task *head; /* the smallest key first; NULL when empty */
    uint32_t n;
};
#define COOP__TOP_TIME(s) ((s)->heap.head->time2run_ns)
#define COOP__TOP_PRIO(s) ((int)((s)->heap.head->qkey >> 24))
#define COOP__TOP_TASK(s) ((s)->heap.head)
#define COOP__INDEXED(t) (((t)->flags & COOP__F_IN_HEAP) != 0)
#endif

/* A chain that may still be appended to: its key and its last task. */
struct coop__chain_slot {
    uint64_t t;
    uint32_t prio;
    coop_task *tail; /* NULL: empty slot */
};

/*
 * A FIFO of tasks of one prio, linked through the tasks themselves, so
 * queueing a due task never allocates.
 */
struct coop__ring {
    coop_task *head, *tail; /* both NULL when empty */
};

/*
 * tid -> task, sorted by tid.  A slot holds the task's address, or
 * (tid << 1 | 1) once the task ended; addresses are even, so the low bit
 * tells them apart, and a lookup never needs the ended task.
 */
struct coop__tasktab {
    uintptr_t *v;
    uint32_t n, cap; /* slots used / allocated */
    uint32_t live;   /* slots that hold a task */
};

/* Task blocks of one size, carved from chunks (see slab.c). */
struct coop__slab_class {
    void *free;          /* freed blocks, linked through their first word */
    unsigned char *bump; /* the next never-used block of the newest chunk */
    unsigned char *end;  /* the end of the newest chunk */
    struct coop__chunk *chunks;
    uint32_t live;        /* blocks handed out */
    uint32_t next_blocks; /* blocks in the next chunk */
};
#if COOP_CONFIG_SLAB_MAX % 8
#error "COOP_CONFIG_SLAB_MAX must be a multiple of 8"
#endif
#define COOP__SLAB_MAX COOP_CONFIG_SLAB_MAX /* bigger blocks come from the allocator one by one */
#define COOP__SLAB_CLASSES (COOP__SLAB_MAX / 8 + 1)

/*
 * An interrupt source (irq.c).  `raised` is written only by the raising
 * handler and `delivered` only by the loop; raised - delivered is the
 * number of raises not yet delivered, modulo 2^32.
 */
struct coop__irq_source {
    _Atomic uint32_t raised;
    uint32_t delivered;
    struct coop__signal *sig;
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
    const coop_task *seq_task; /* the task being keyed, during a seq hook call only */
#if COOP_CONFIG_TIE_HOOK
    coop_pick_fn pick_hook; /* NULL: ties run in seq order; set only with seq_hook */
    void *pick_ctx;
#endif

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
    coop_task *joining; /* a child joined by a call, whose setup coop__finish_step runs next; else NULL */
    bool stopped;       /* KillOs or coop_shutdown happened */
    bool stop_on_error;
    bool failed;  /* a step failed since the flag was cleared */
    uint8_t halt; /* enum coop__halt: coop_run_due runs nothing more while set */
    bool running; /* inside coop_run_due */
    coop_late_policy default_late;

    struct coop__heap heap;
    uint32_t heap_dead; /* ended tasks still linked in the heap: entries' tasks or chained */
#if COOP_CONFIG_HEAP_KEYS
    struct coop__chain_slot chains[COOP__CHAIN_CACHE];
#endif
    struct coop__ring rings[COOP__NRINGS];
    uint64_t ring_bits[COOP__RING_WORDS]; /* bit p set when rings[p] is non-empty */
    struct coop__tasktab tab;

    struct coop__htab signals;
    /*
     * Recently interned names by the address of the caller's string, so a
     * task that waits on the same literal in a loop skips hashing.  A hit
     * is confirmed by comparing the text, so a reused buffer cannot alias;
     * the address only picks the slot and never affects any order.
     */
    struct {
        const char *ptr;
        struct coop__signal *sig;
    } sigcache[COOP_CONFIG_SIGNAL_CACHE];

    coop_task **fdtab; /* fd -> task holding it */
    uint32_t fdcap;
    uint32_t nio; /* registered fds across tasks */

    struct coop__call call;

    struct coop__htab kinds;
#if COOP__SLAB_MAX > 0
    struct coop__slab_class slab[COOP__SLAB_CLASSES];
#endif
    char label[16]; /* an automatic name formatted for a log line or trace event */

    int64_t poll_period_ns;
    uint64_t last_poll_ns;
    int64_t gc_period_ns;
    uint64_t next_gc_ns;
    coop_hook_fn gc_hook, idle_hook;
    void *gc_ctx, *idle_ctx;
    coop_idle_wait_fn idle_wait; /* tickless sleep without a poller; NULL: spin on the clock */
    void *idle_wait_ctx;
#if COOP_CONFIG_IRQ_SOURCES > 0
    _Atomic uint32_t nirq;    /* registered sources; only grows */
    _Atomic uint32_t irq_any; /* 1 when some source was raised since the loop last looked */
    struct coop__irq_source irq[COOP_CONFIG_IRQ_SOURCES];
#endif
    uint64_t idle_count, gc_count;

    coop_report failure;
    bool has_failure;
    /* Scratch: the poller's ready events, or a failure's log line; never both at once. */
    union {
        coop_poll_event events[COOP__POLL_BATCH];
#if COOP_CONFIG_LOG_LINE > 0
        char line[COOP_CONFIG_LOG_LINE];
#endif
    } scratch;
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
/*
 * Builds the event only when a trace hook is set, so that tracing costs
 * one branch otherwise; a build without tracing has no trace code at all.
 */
#if !COOP_CONFIG_TRACE
/* The event is still written, in dead code, so that what only tracing reads counts as used. */
#define COOP__TRACE(s, kind, t, ...)                     \
    do {                                                 \
        if (0) {                                         \
            coop_trace_event coop__ev = { __VA_ARGS__ }; \
            coop__trace((s), (kind), (t), &coop__ev);    \
        }                                                \
    } while (0)
#else
#define COOP__TRACE(s, kind, t, ...)                     \
    do {                                                 \
        if ((s)->trace) {                                \
            coop_trace_event coop__ev = { __VA_ARGS__ }; \
            coop__trace((s), (kind), (t), &coop__ev);    \
        }                                                \
    } while (0)
#endif

/* Formatting without libc. */
struct coop__buf {
    char *p;
    size_t cap, len;
};
void coop__buf_str(struct coop__buf *b, const char *s);
void coop__buf_uint(struct coop__buf *b, uint64_t v);
void coop__buf_u32(struct coop__buf *b, uint32_t v);

/* The heap of entries; queue.c decides what goes in and chains tasks behind entries. */
void coop__heap_push(struct coop__heap *h, coop_task *t, uint64_t ps);
void coop__heap_del(struct coop__heap *h, coop_task *t);
void coop__heap_update(struct coop__heap *h, coop_task *t, uint64_t ps);
void coop__heap_free(coop_sched *s, struct coop__heap *h);
void coop__heap_pop_top(struct coop__heap *h);
void coop__heap_index_top(struct coop__heap *h);
void coop__heap_rebuild(struct coop__heap *h);
int coop__heap_verify(const coop_sched *s);
coop_task *coop__heap_top(coop_sched *s);
coop_task *coop__heap_take_top(coop_sched *s);
void coop__heap_compact(coop_sched *s);

/* Hash tables of intrusive nodes. */
uint32_t coop__hash_bytes(const void *p, size_t n);
struct coop__hnode *coop__htab_bucket(const struct coop__htab *h, uint32_t hash);
int coop__htab_reserve(coop_sched *s, struct coop__htab *h);
void coop__htab_insert(struct coop__htab *h, struct coop__hnode *e);
void coop__htab_remove(struct coop__htab *h, struct coop__hnode *e);
void coop__htab_each(const struct coop__htab *h, void (*fn)(void *ctx, struct coop__hnode *e), void *ctx);
void coop__htab_free(coop_sched *s, struct coop__htab *h);

/* Kinds and call records. */
struct coop__kind *coop__kind_get(coop_sched *s, coop_step_fn step, int64_t period_ns, size_t state_size);
void coop__kind_put(coop_sched *s, struct coop__kind *k);
void coop__kinds_free(coop_sched *s);
static inline coop_sched *coop__sched_of(const coop_task *t) { return t->kind->sched; }
struct coop__calls *coop__calls_of(coop_task *t);
const char *coop__task_label(coop_sched *s, const coop_task *t);

/* Task blocks (slab.c). */
void *coop__block_alloc(coop_sched *s, size_t size);
void coop__block_free(coop_sched *s, void *p, size_t size);
void coop__blocks_trim(coop_sched *s, bool all);
size_t coop__block_size(size_t state_size, size_t name_bytes);
/* The state is aligned as strictly as any object of its size needs: COOP__ALIGN from 16 bytes up, else 8. */
static inline size_t coop__state_span(size_t state_size)
{
    size_t align = state_size >= 16 ? COOP__ALIGN : 8;
    return (state_size + align - 1) & ~(align - 1);
}

/* Ready rings; the hot operations are inline in ready.h. */
coop_task *coop__ring_head_slow(coop_sched *s, int prio);
int coop__rings_verify(const coop_sched *s);

/* The task table. */
int coop__tab_add(coop_sched *s, coop_task *t);
void coop__tab_del(coop_sched *s, coop_task *t);
coop_task *coop__tab_find(const coop_sched *s, uint32_t tid);
coop_task *coop__tab_task(const coop_sched *s, uint32_t i); /* NULL for an ended task's slot */
uint32_t coop__tab_tid(const coop_sched *s, uint32_t i);
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
static inline int coop__exit_status(const coop_task *t)
{
    return t->flags & COOP__F_ENDED ? (int)t->exit_status : 0;
}
void coop__set_status(coop_task *t, int status);
int coop__task_build(coop_sched *s, const coop_task_spec *spec, coop_task **out);
void coop__task_release(coop_sched *s, coop_task *t);
int coop__task_join(coop_sched *s, coop_task *t);
int coop__join_prepare(coop_sched *s, coop_task *t);
bool coop__setup_step(coop_sched *s, coop_task *t, int *r);
void coop__requeue_caller(coop_sched *s, coop_task *t);
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
