/* seed-4speed: six tasks count steps into one counter, and an evaluator reports steps per second. */
#include "seed.h"

/*
 * The counter lives in the first task's state, and the others find it by
 * that task's tid, so that several runs in one process share nothing.
 */
struct counting {
    struct seed_task base;
    uint32_t owner; /* tid of the task holding the counter */
    uint64_t count; /* used in the owner only */
};

static uint64_t *shared_counter(coop_task *t)
{
    struct counting *c = coop_state(t);
    coop_task *owner = coop_task_find(coop_task_sched(t), c->owner);
    return owner ? &((struct counting *)coop_state(owner))->count : NULL;
}

static int led(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    for (;;) {
        uint64_t *count = shared_counter(t);
        if (count)
            ++*count;
        COOP_YIELD(t);
    }
    COOP_END(t);
}

struct evaluate {
    struct counting base;
    uint64_t start_ns;
};

static int evaluate(coop_task *t)
{
    struct evaluate *e = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    coop_program_log(e->base.base.env, t, "Start to evaluate...");
    e->start_ns = coop_now_ns(coop_task_sched(t));
    COOP_YIELD(t);
    {
        uint64_t ms = (coop_now_ns(coop_task_sched(t)) - e->start_ns) / 1000000;
        uint64_t *count = shared_counter(t);
        uint64_t n = count ? *count : 0;
        coop_program_log(e->base.base.env, t, "%llu ms, count %llu, %llu counts/s", (unsigned long long)ms,
                         (unsigned long long)n, (unsigned long long)(ms ? n * 1000 / ms : 0));
    }
    COOP_CALL(t, coop_kill_os(t));
    COOP_END(t);
}

int coop_seed_4speed(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    static const struct {
        int prio;
        int64_t time2run, period;
    } leds[6] = { { 2, 1, 1000 }, { 0, 0, 10 }, { 0, 0, 10 }, { 0, 0, 5 }, { 0, 0, 5 }, { 0, 0, 3 } };
    uint32_t owner = 0;
    for (int i = 0; i < 6; i++) {
        struct counting c = { { env }, owner, 0 };
        int64_t tid =
            coop_seed_spawn(s, env, led, &c, sizeof(c), NULL, leds[i].prio, leds[i].period, leds[i].time2run);
        if (tid < 0)
            return (int)tid;
        if (i == 0) {
            /* The first task owns the counter: point it at itself. */
            owner = (uint32_t)tid;
            ((struct counting *)coop_state(coop_task_find(s, owner)))->owner = owner;
        }
    }
    struct evaluate e = { { { env }, owner, 0 }, 0 };
    int64_t tid = coop_seed_spawn(s, env, evaluate, &e, sizeof(e), NULL, 0, 10000, 1);
    return tid < 0 ? (int)tid : 0;
}
