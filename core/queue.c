/* The heap side of the ready order: which tasks get heap entries, chains of equal keys behind them, taking the top. */
#include "ready.h"

/*
 * Timers on a common grid (every task of a 10 ms firmware, a million
 * periodic tasks with millisecond periods) come due in crowds with equal
 * keys.  The first task queued for a given (time, prio) gets a heap
 * entry; tasks queued after it with the same key link behind it, found
 * through a small direct-mapped cache of the chains that may still grow.
 * Firing a chained task is unlinking it, and re-arming one is appending
 * it to the chain of its next due time: no sift at all.
 *
 * The order stays exact.  A chain only takes tasks queued for a future
 * time, and only while no other entry with its key has been inserted
 * since the chain began: every other insertion of that key (a timeout, a
 * late task, a new chain after the cache lost this one) clears the
 * cache slot first.  So a chain's tasks are consecutive in the order of
 * their key, and the entry's seq, which they inherit in turn, ranks all
 * of them against every other entry.
 *
 * Invariant of the cache: a slot's tail is a TIMED task queued in the
 * heap (with an entry or chained) at the end of its chain, and its key
 * is the slot's.  Every path that takes a task out of the heap clears the
 * slot that may name it, so a slot never outlives its task.  Slots are
 * hashed by time alone because a queued task's prio may change (it
 * applies from the next queueing) while its time cannot.
 *
 * Timer entries are not indexed (see struct coop__heap_entry), so that
 * sifting never writes to a task record, and chained tasks have no entry
 * at all: neither can be taken out from the middle.  A timer that is
 * killed stays where it is, dead, until it reaches the top (like the dead
 * tasks of a ready ring), or until dead ones outnumber the live tasks
 * and coop__heap_compact drops them all in one pass, which bounds the
 * memory they hold.  Timeouts, whose tasks are often woken early, have
 * indexed entries and leave at once.
 */
#if COOP_CONFIG_HEAP_KEYS
static inline struct coop__chain_slot *chain_slot(coop_sched *s, uint64_t t)
{
    return &s->chains[coop__chain_index(t)];
}

/* Forgets the chain ending with t, which is leaving the heap. */
static inline void chain_forget(coop_sched *s, const coop_task *t)
{
    struct coop__chain_slot *c = chain_slot(s, t->time2run_ns);
    if (c->tail == t)
        c->tail = NULL;
}

/* The first live task from n on; dead ones on the way are unlinked and freed. */
static coop_task *first_live(coop_sched *s, coop_task *n)
{
    while (n && n->where == COOP__DEAD) {
        coop_task *next = n->next;
        n->next = NULL;
        n->flags &= (uint16_t) ~(COOP__F_IN_CHAIN | COOP__F_IN_HEAP);
        s->heap_dead--;
        coop__task_release(s, n);
        n = next;
    }
    return n;
}

#endif

#ifdef __OPTIMIZE_SIZE__
void coop__enqueue(coop_sched *s, coop_task *t) { coop__enqueue_inline(s, t); }
#endif

#if COOP_CONFIG_HEAP_KEYS
/*
 * The heap half of coop__enqueue (ready.h), which has already appended
 * to any chain that could take the task: a new entry for a new chain, a
 * late task, a timeout or a permuted tie.
 */
void coop__enqueue_heap(coop_sched *s, coop_task *t)
{
    uint64_t seq = s->next_seq++;
    if (s->seq_hook) {
        s->seq_task = t;
        seq = s->seq_hook(s->seq_ctx, seq);
        s->seq_task = NULL;
    }
    coop_assert(seq < COOP__SEQ_LIMIT);
    bool late = t->time2run_ns < s->now_ns;
    if (late)
        t->flags |= COOP__F_LATE;
    else
        t->flags &= (uint16_t)~COOP__F_LATE;
    t->next = NULL;
    bool timeout = t->where == COOP__BLOCKED;
    /* Only a future key chains (ready.h): a task due now without a ring for its prio gets an entry. */
    bool chainable = !late && !timeout && !s->seq_hook && t->time2run_ns > s->now_ns;
    if (!timeout)
        t->where = COOP__TIMED;

    struct coop__chain_slot *c = chain_slot(s, t->time2run_ns);
    bool same_key = c->tail && c->t == t->time2run_ns && c->prio == t->prio;
    coop_assert(!(chainable && same_key));
    uint64_t ps = (uint64_t)t->prio << 56 | seq << 1 | (timeout ? COOP__PS_INDEXED : 0);
    if (t == s->stale) {
        s->stale = NULL;
        coop__heap_update(&s->heap, t, ps);
    } else {
        coop__heap_push(&s->heap, t, ps);
    }
    if (!timeout)
        t->flags |= COOP__F_IN_HEAP;
    if (chainable)
        *c = (struct coop__chain_slot){ t->time2run_ns, t->prio, t };
    else if (same_key)
        c->tail = NULL;
}

/*
 * Takes the task out of the heap, whichever way it is in: an indexed
 * entry goes at once; a timer is only counted as dead (its caller is
 * ending it) and forgotten by the chain cache.  A ring's task cannot be
 * unlinked from the middle either; the ring's head check skips it.
 */
void coop__dequeue(coop_sched *s, coop_task *t)
{
    if (t == s->stale)
        s->stale = NULL;
    if (t->heap_idx != COOP__NO_INDEX) {
        coop__heap_del(&s->heap, t);
    } else if (t->flags & (COOP__F_IN_HEAP | COOP__F_IN_CHAIN)) {
        coop_assert(t->where == COOP__TIMED);
        chain_forget(s, t);
        s->heap_dead++;
    }
}

/* The live task at the heap's top, after dropping the dead ones there; NULL when the heap is empty. */
coop_task *coop__heap_top(coop_sched *s)
{
    while (s->heap.n) {
        struct coop__heap_entry *e = &s->heap.v[0];
        if (e->task->where != COOP__DEAD)
            return e->task;
        coop_task *next = first_live(s, e->task);
        if (next)
            coop__promote(e, next);
        else
            coop__heap_pop_top(&s->heap);
    }
    return NULL;
}

/*
 * Takes the (live) task at the heap's top for dispatch.  The next live
 * task of its chain inherits the entry; a task without one keeps its
 * entry, indexed and stale, so that queueing it again is one sift.
 */
coop_task *coop__heap_take_top(coop_sched *s)
{
    struct coop__heap_entry *e = &s->heap.v[0];
    coop_task *t = e->task;
    chain_forget(s, t);
    t->flags &= (uint16_t)~COOP__F_IN_HEAP;
    coop_task *next = first_live(s, t->next);
    t->next = NULL;
    if (next) {
        coop__promote(e, next);
    } else {
        if (!(e->ps & COOP__PS_INDEXED))
            coop__heap_index_top(&s->heap);
        s->stale = t;
    }
    return t;
}

/*
 * Drops every dead task from the heap and its chains in one pass, then
 * restores the order.  Run only where no task is being handled (before
 * a dispatch, when the scheduler is freed), since it frees records.
 */
void coop__heap_compact(coop_sched *s)
{
    struct coop__heap *h = &s->heap;
    uint32_t w = 0;
    for (uint32_t r = 0; r < h->n; r++) {
        struct coop__heap_entry e = h->v[r];
        coop_task *head = first_live(s, e.task);
        if (!head)
            continue;
        if (head != e.task)
            coop__promote(&e, head);
        for (coop_task *p = head; p->next;) {
            coop_task *n = p->next;
            if (n->where == COOP__DEAD)
                p->next = first_live(s, n);
            else
                p = n;
        }
        h->v[w++] = e;
    }
    h->n = w;
    coop__heap_rebuild(h);
    coop_assert(s->heap_dead == 0);
}

static bool entry_less(const struct coop__heap_entry *a, const struct coop__heap_entry *b)
{
    return a->t < b->t || (a->t == b->t && a->ps < b->ps);
}

/* The heap's order and back-pointers, every chain, the count of dead tasks, and the cache's invariant. */
int coop__heap_verify(const coop_sched *s)
{
    const struct coop__heap *h = &s->heap;
    uint32_t dead = 0;
    for (uint32_t i = 0; i < h->n; i++) {
        const struct coop__heap_entry *e = &h->v[i];
        const coop_task *t = e->task;
        if (i > 0)
            coop_assert(!entry_less(e, &h->v[(i - 1) / 4]));
        coop_assert(!(t->flags & COOP__F_IN_CHAIN));
        if (e->ps & COOP__PS_INDEXED) {
            coop_assert(t->heap_idx == i && !(t->flags & COOP__F_IN_HEAP) && t->next == NULL);
            coop_assert(t->where == COOP__BLOCKED && e->t == t->time2run_ns);
        } else {
            coop_assert(t->heap_idx == COOP__NO_INDEX && (t->flags & COOP__F_IN_HEAP));
            coop_assert(t->where == COOP__TIMED || t->where == COOP__DEAD);
            if (t->where == COOP__DEAD)
                dead++;
            else
                coop_assert(e->t == t->time2run_ns && (!(t->flags & COOP__F_LATE) || t->next == NULL));
        }
        for (const coop_task *n = t->next; n; n = n->next) {
            coop_assert((n->flags & COOP__F_IN_CHAIN) && !(n->flags & COOP__F_IN_HEAP));
            coop_assert(n->heap_idx == COOP__NO_INDEX);
            coop_assert(n->where == COOP__TIMED || n->where == COOP__DEAD);
            if (n->where == COOP__DEAD)
                dead++;
            else
                coop_assert(n->time2run_ns == e->t && !(n->flags & COOP__F_LATE));
        }
    }
    coop_assert(dead == s->heap_dead);
    for (uint32_t i = 0; i < COOP__CHAIN_CACHE; i++) {
        const struct coop__chain_slot *c = &s->chains[i];
        const coop_task *t = c->tail;
        if (!t)
            continue;
        coop_assert(coop__chain_index(c->t) == i);
        coop_assert(t->where == COOP__TIMED && t->next == NULL && t->time2run_ns == c->t);
        coop_assert(t->flags & (COOP__F_IN_CHAIN | COOP__F_IN_HEAP));
    }
    return 0;
}

#else /* !COOP_CONFIG_HEAP_KEYS */

/* The order of the timer list: (time2run, prio, seq). */
static bool key_less(const coop_task *a, const coop_task *b)
{
    return a->time2run_ns < b->time2run_ns || (a->time2run_ns == b->time2run_ns && a->qkey < b->qkey);
}

/*
 * Gives the tasks in the list the seqs 0, 1, ... by position.  Tasks
 * with equal times and prios are in seq order, and seqs only rank those,
 * so every order holds; new seqs start above them.
 */
static void renumber(coop_sched *s)
{
    uint32_t k = 0;
    for (coop_task *t = s->heap.head; t; t = t->next)
        t->qkey = (t->qkey & ~(COOP__SEQ_LIMIT - 1)) | k++;
    s->next_seq = k;
}

/* Queues the task in the list under (time2run, prio, seq), behind every smaller key. */
void coop__enqueue_heap(coop_sched *s, coop_task *t)
{
    if (s->next_seq == COOP__SEQ_LIMIT && !s->seq_hook)
        renumber(s);
    uint64_t seq = s->next_seq++;
    if (s->seq_hook)
        seq = s->seq_hook(s->seq_ctx, seq);
    coop_assert(seq < COOP__SEQ_LIMIT);
    if (t->time2run_ns < s->now_ns)
        t->flags |= COOP__F_LATE;
    else
        t->flags &= (uint16_t)~COOP__F_LATE;
    if (t->where != COOP__BLOCKED)
        t->where = COOP__TIMED;
    t->qkey = (uint32_t)t->prio << 24 | (uint32_t)seq;
    coop_task **pp = &s->heap.head;
    while (*pp && !key_less(t, *pp))
        pp = &(*pp)->next;
    t->next = *pp;
    *pp = t;
    t->flags |= COOP__F_IN_HEAP;
    s->heap.n++;
}

/* Takes the task out of the list if it is in it. */
void coop__dequeue(coop_sched *s, coop_task *t)
{
    if (!(t->flags & COOP__F_IN_HEAP))
        return;
    coop_task **pp = &s->heap.head;
    while (*pp != t)
        pp = &(*pp)->next;
    *pp = t->next;
    t->next = NULL;
    t->flags &= (uint16_t)~COOP__F_IN_HEAP;
    s->heap.n--;
}

/* Every task in the list is live: an ended one left it at once. */
coop_task *coop__heap_top(coop_sched *s) { return s->heap.head; }

/* Takes the first task out of the list for dispatch. */
coop_task *coop__heap_take_top(coop_sched *s)
{
    coop_task *t = s->heap.head;
    s->heap.head = t->next;
    t->next = NULL;
    t->flags &= (uint16_t)~COOP__F_IN_HEAP;
    s->heap.n--;
    return t;
}

/* Nothing dead stays in the list. */
void coop__heap_compact(coop_sched *s) { coop_assert(s->heap_dead == 0); }

void coop__heap_free(coop_sched *s, struct coop__heap *h)
{
    (void)s;
    coop_assert(h->head == NULL);
    h->n = 0;
}

/* The list's order and count, and its tasks' flags. */
int coop__heap_verify(const coop_sched *s)
{
    uint32_t n = 0;
    for (const coop_task *t = s->heap.head; t; t = t->next, n++) {
        if (t->next)
            coop_assert(key_less(t, t->next));
        coop_assert((t->flags & COOP__F_IN_HEAP) && !(t->flags & (COOP__F_IN_CHAIN | COOP__F_IN_RING)));
        coop_assert(t->where == COOP__TIMED || t->where == COOP__BLOCKED);
    }
    coop_assert(n == s->heap.n && s->heap_dead == 0 && s->stale == NULL);
    return 0;
}

#endif
