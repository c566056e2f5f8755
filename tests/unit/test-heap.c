/* The ready structures under load: every dispatch must pick the smallest (time2run, prio, seq) key. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "harness.h"

#define NTASKS 300

/*
 * A shadow copy of every task's key, computed the way the scheduler
 * defines it.  Each step queues its own task exactly once (with Wait), so
 * the shadow seq is simply a counter of queueings in step order.
 */
struct key {
    uint64_t t, prio, seq;
};
static struct key shadow[NTASKS + 1];
static uint64_t shadow_seq;
static uint64_t checked, wrong;

struct rec {
    uint32_t lcg;
};

static int random_sleeper(coop_task *t)
{
    struct rec *r = coop_state(t);
    COOP_BEGIN(t);
    for (;;) {
        r->lcg = r->lcg * 1664525u + 1013904223u;
        {
            uint64_t d = COOP_US((r->lcg >> 16) % 40);
            shadow[coop_task_tid(t)] =
                (struct key){ H.now_ns + d, (uint64_t)coop_task_prio(t), shadow_seq++ };
            COOP_CALL(t, coop_wait(t, (int64_t)d));
        }
    }
    COOP_END(t);
}

static bool less(const struct key *a, const struct key *b)
{
    if (a->t != b->t)
        return a->t < b->t;
    if (a->prio != b->prio)
        return a->prio < b->prio;
    return a->seq < b->seq;
}

static void check_pick(const coop_trace_event *ev)
{
    if (ev->kind != COOP_TR_RUN)
        return;
    uint32_t best = 1;
    for (uint32_t i = 2; i <= NTASKS; i++)
        if (less(&shadow[i], &shadow[best]))
            best = i;
    checked++;
    wrong += best != ev->tid;
}

TestSuite(heap, .init = h_setup, .fini = h_teardown);

Test(heap, every_pick_is_the_smallest_key)
{
    H.trace_extra = check_pick;
    shadow_seq = checked = wrong = 0;
    for (uint32_t i = 0; i < NTASKS; i++) {
        struct rec init = { i * 2654435761u };
        coop_task_spec spec = {
            .step = random_sleeper, .state_size = sizeof(init), .init = &init, .prio = 1 + (int)(i % 7)
        };
        cr_assert_eq(coop_spawn(H.s, &spec), i + 1);
    }
    cr_assert_eq(h_run(1000000, 100000), 100000);
    cr_assert_eq(checked, 100000);
    cr_assert_eq(wrong, 0, "%llu of %llu picks were not the smallest key", (unsigned long long)wrong,
                 (unsigned long long)checked);
}

/*
 * The same check under churn, with everything that can share a key or
 * bend the queues at once: delays on a coarse grid (so equal keys chain
 * behind one heap entry), Wait(0) (the ready rings), periodic tasks that
 * the driver makes late by jumping the clock (late entries tie with ring
 * tasks), timeouts on the same grid (entries that break chains), prio
 * changes, kills of queued tasks (dead tasks left inside chains) and
 * signals that wake several waiters at once.  Each task works out its own
 * next key before it yields; the shadow seq is the order of queueing.
 */
#define NCHURN 120
#define MAXTID 2048 /* tids the shadow can follow; killed tasks are replaced */

struct churn {
    uint32_t lcg;
};

struct shadow_task {
    struct key k;
    bool queued;    /* a candidate for the next pick */
    bool on_signal; /* blocked on "s" */
    uint64_t reg;   /* its place among the waiters of "s" */
};
static struct shadow_task churn_shadow[MAXTID + 1];
static uint32_t churn_spawned;
static uint64_t churn_seq, churn_regs, churn_kills;

static uint32_t churn_rand(struct churn *c)
{
    c->lcg = c->lcg * 1664525u + 1013904223u;
    return c->lcg >> 8;
}

static void churn_queue(uint32_t tid, uint64_t t, int prio)
{
    churn_shadow[tid].k = (struct key){ t, (uint64_t)prio, churn_seq++ };
    churn_shadow[tid].queued = true;
}

/* The waiters of "s" wake in registration order, each queued now, before the sender. */
static void churn_wake_all(void)
{
    for (;;) {
        uint32_t first = 0;
        for (uint32_t i = 1; i <= MAXTID; i++)
            if (churn_shadow[i].on_signal && (!first || churn_shadow[i].reg < churn_shadow[first].reg))
                first = i;
        if (!first)
            return;
        churn_shadow[first].on_signal = false;
        coop_task *w = coop_task_find(H.s, first);
        churn_queue(first, H.now_ns, coop_task_prio(w));
    }
}

static int churner(coop_task *t)
{
    struct churn *c = coop_state(t);
    uint32_t me = coop_task_tid(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    for (;;) {
        churn_shadow[me].queued = false;
        if (churn_rand(c) % 4 == 0)
            (void)coop_task_set_prio(t, 1 + (int)(churn_rand(c) % 3));
        {
            uint32_t what = churn_rand(c) % 64;
            int64_t period = coop_task_period_ns(t);
            uint64_t next = coop_task_time2run_ns(t); /* already advanced by the dispatch */
            if (what < 20) {
                uint64_t d = COOP_US(10) * (churn_rand(c) % 4);
                churn_queue(me, period > 0 ? next - (uint64_t)period + d : H.now_ns + d, coop_task_prio(t));
                COOP_CALL(t, coop_wait(t, (int64_t)d));
            } else if (what < 36) {
                churn_queue(me, period > 0 ? next : H.now_ns, coop_task_prio(t));
                COOP_YIELD(t);
            } else if (what < 54) {
                uint64_t d = COOP_US(10) * (1 + churn_rand(c) % 3);
                churn_queue(me, H.now_ns + d, coop_task_prio(t));
                churn_shadow[me].on_signal = true;
                churn_shadow[me].reg = churn_regs++;
                COOP_CALL(t, coop_wait_signal(t, "s", (int64_t)d));
                churn_shadow[me].on_signal = false;
            } else if (what < 58) {
                churn_wake_all();
                churn_queue(me, period > 0 ? next : H.now_ns, coop_task_prio(t));
                COOP_CALL(t, coop_send_signal(t, "s", 0, 0));
            } else {
                uint32_t victim = 1 + churn_rand(c) % churn_spawned;
                if (victim == me)
                    victim = 0; /* no such task: KillTask on itself would end it */
                if (coop_task_find(H.s, victim)) {
                    churn_shadow[victim].queued = false;
                    churn_shadow[victim].on_signal = false;
                    churn_kills++;
                }
                churn_queue(me, period > 0 ? next : H.now_ns, coop_task_prio(t));
                COOP_CALL(t, coop_kill_task(t, victim));
            }
        }
    }
    COOP_END(t);
}

static void check_churn_pick(const coop_trace_event *ev)
{
    if (ev->kind != COOP_TR_RUN)
        return;
    uint32_t best = 0;
    for (uint32_t i = 1; i <= MAXTID; i++)
        if (churn_shadow[i].queued && (!best || less(&churn_shadow[i].k, &churn_shadow[best].k)))
            best = i;
    checked++;
    if (best != ev->tid && wrong++ < 5)
        fprintf(stderr, "pick %llu at %llu: ran %u (%llu,%llu,%llu q%d), expected %u (%llu,%llu,%llu)\n",
                (unsigned long long)checked, (unsigned long long)H.now_ns, ev->tid,
                (unsigned long long)churn_shadow[ev->tid].k.t,
                (unsigned long long)churn_shadow[ev->tid].k.prio,
                (unsigned long long)churn_shadow[ev->tid].k.seq, churn_shadow[ev->tid].queued, best,
                (unsigned long long)churn_shadow[best].k.t, (unsigned long long)churn_shadow[best].k.prio,
                (unsigned long long)churn_shadow[best].k.seq);
}

static void spawn_churner(uint32_t i)
{
    struct churn init = { i * 2654435761u + 1 };
    bool periodic = i % 3 == 0;
    coop_task_spec spec = {
        .step = churner,
        .state_size = sizeof(init),
        .init = &init,
        .prio = 1 + (int)(i % 3),
        .period_ns = periodic ? COOP_US(20) * (1 + i % 2) : 0,
        .time2run_ns = COOP_US(10) * (i % 4),
    };
    int64_t tid = coop_spawn(H.s, &spec);
    cr_assert(tid > 0 && tid <= MAXTID);
    churn_spawned = (uint32_t)tid;
    uint64_t start = spec.time2run_ns ? (uint64_t)spec.time2run_ns : periodic ? (uint64_t)spec.period_ns : 0;
    churn_queue((uint32_t)tid, H.now_ns + start, spec.prio);
}

Test(heap, every_pick_is_the_smallest_key_under_churn)
{
    memset(churn_shadow, 0, sizeof(churn_shadow));
    checked = wrong = churn_seq = churn_regs = churn_kills = 0;
    churn_spawned = 0;
    for (uint32_t i = 0; i < NCHURN; i++)
        spawn_churner(i);
    H.trace_extra = check_churn_pick;
    uint32_t jump = 7;
    for (int round = 0; round < 400; round++) {
        h_run(h_ms() + 1, 500);
        /* A clock jump makes periodic tasks late, so their entries are queued after their time. */
        jump = jump * 1103515245u + 12345u;
        H.now_ns += COOP_US(5) * ((jump >> 16) % 20);
        while (coop_task_count(H.s) < NCHURN && churn_spawned < MAXTID)
            spawn_churner(churn_spawned);
    }
    H.trace_extra = NULL;
    cr_assert_gt(checked, 50000, "only %llu picks (%llu wrong, %llu kills, %zu left)",
                 (unsigned long long)checked, (unsigned long long)wrong, (unsigned long long)churn_kills,
                 coop_task_count(H.s));
    cr_assert_gt(churn_kills, 100);
    cr_assert_geq(coop_task_count(H.s), NCHURN / 2);
    cr_assert_eq(wrong, 0, "%llu of %llu picks were not the smallest key", (unsigned long long)wrong,
                 (unsigned long long)checked);
}
