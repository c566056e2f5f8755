/* seed-createkilldye: three LED tasks, and a master that creates a task, kills it, and stops everything. */
#include "seed.h"

struct led {
    struct seed_task base;
    int index;
};

static int blinker(coop_task *t)
{
    struct led *l = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    for (;;) {
        coop_program_log(l->base.env, t, "led %d toggle", l->index);
        COOP_YIELD(t);
    }
    COOP_END(t);
}

static int led0(coop_task *t)
{
    struct led *l = coop_state(t);
    COOP_BEGIN(t);
    coop_program_log(l->base.env, t, "Task led0 created!");
    COOP_YIELD(t);
    for (;;) {
        coop_program_log(l->base.env, t, "led 0 toggle");
        COOP_YIELD(t);
    }
    COOP_END(t);
}

struct master {
    struct seed_task base;
    uint32_t child;
};

static int master_of_universe(coop_task *t)
{
    struct master *m = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    coop_program_log(m->base.env, t, "creating led0");
    {
        struct led init = { { m->base.env }, 0 };
        COOP_CALL(t, coop_create_task(t, &(coop_task_spec){ .step = led0,
                                                            .state_size = sizeof(init),
                                                            .init = &init,
                                                            .prio = 11,
                                                            .period_ns = COOP_MS(100) }));
    }
    m->child = (uint32_t)coop_result(t);
    coop_program_log(m->base.env, t, "killing task %u", m->child);
    COOP_CALL(t, coop_kill_task(t, m->child));
    coop_program_log(m->base.env, t, "killed: %lld", (long long)coop_result(t));
    COOP_CALL(t, coop_kill_os(t));
    COOP_END(t);
}

static int64_t spawn_led(coop_sched *s, const coop_program_env *env, int index, int64_t period_ms,
                         int64_t time2run_ms)
{
    struct led init = { { env }, index };
    return coop_seed_spawn(s, env, blinker, &init, sizeof(init), NULL, 0, period_ms, time2run_ms);
}

int coop_seed_createkilldye(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    int64_t r = spawn_led(s, env, 1, 300, 200);
    if (r > 0)
        r = spawn_led(s, env, 2, 700, 300);
    if (r > 0)
        r = spawn_led(s, env, 3, 4000, 4000);
    struct master init = { { env }, 0 };
    if (r > 0)
        r = coop_seed_spawn(s, env, master_of_universe, &init, sizeof(init), NULL, 0, 4000, 4000);
    return r < 0 ? (int)r : 0;
}
