/* The ready structures under load: every dispatch must pick the smallest (time2run, prio, seq) key. */
#include <criterion/criterion.h>

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
