/* seed-gettaskref: a task blinks Morse code by changing its own period through its task reference. */
#include "seed.h"

/* The nine (on, off) pairs, in units of 100 ms; the task walks them in a circle. */
static const int morse[9][2] = { { 1, 1 }, { 1, 1 }, { 1, 1 }, { 2, 1 }, { 2, 1 },
                                 { 2, 1 }, { 1, 1 }, { 1, 1 }, { 1, 10 } };

struct morse_led {
    struct seed_task base;
    int i;
};

static int led0(coop_task *t)
{
    struct morse_led *m = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    COOP_CALL(t, coop_get_task_ref(t));
    /* The reference is the task itself; the call confirms it by tid. */
    coop_program_log(m->base.env, t, "I am %s", coop_task_name(t));
    for (m->i = 0;; m->i = (m->i + 1) % 9) {
        coop_task_set_period_ns(t, COOP_MS(morse[m->i][0] * 100));
        coop_program_log(m->base.env, t, "led 0 on");
        COOP_YIELD(t);
        coop_task_set_period_ns(t, COOP_MS(morse[m->i][1] * 100));
        coop_program_log(m->base.env, t, "led 0 off");
        COOP_YIELD(t);
    }
    COOP_END(t);
}

struct led {
    struct seed_task base;
    int index;
    int count;
};

static int toggler(coop_task *t)
{
    struct led *l = coop_state(t);
    COOP_BEGIN(t);
    for (;;) {
        coop_program_log(l->base.env, t, "led %d toggle", l->index);
        COOP_YIELD(t);
    }
    COOP_END(t);
}

static int counter(coop_task *t)
{
    struct led *l = coop_state(t);
    COOP_BEGIN(t);
    for (;;) {
        coop_program_log(l->base.env, t, "led %d toggle", l->index);
        COOP_YIELD(t);
        l->count++;
        coop_program_log(l->base.env, t, "count %d", l->count);
        if (l->count > 10)
            COOP_CALL(t, coop_kill_os(t));
    }
    COOP_END(t);
}

int coop_seed_gettaskref(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct morse_led m = { { env }, 0 };
    int64_t r = coop_seed_spawn(s, env, led0, &m, sizeof(m), NULL, 0, 1000, 0);
    struct led l1 = { { env }, 1, 0 }, l2 = { { env }, 2, 0 }, l3 = { { env }, 3, 0 };
    if (r > 0)
        r = coop_seed_spawn(s, env, toggler, &l1, sizeof(l1), NULL, 0, 1000, 4200);
    if (r > 0)
        r = coop_seed_spawn(s, env, toggler, &l2, sizeof(l2), NULL, 0, 1000, 6400);
    if (r > 0)
        r = coop_seed_spawn(s, env, counter, &l3, sizeof(l3), NULL, 0, 1000, 8600);
    return r < 0 ? (int)r : 0;
}
