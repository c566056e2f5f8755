/* seed-4tasks: four LED tasks at 1 s periods with staggered starts, and a task that stops all at 10 s. */
#include "seed.h"

struct led {
    struct seed_task base;
    int index;
    const char *colour;
};

static int led0(coop_task *t)
{
    struct seed_task *l = coop_state(t);
    COOP_BEGIN(t);
    for (;;) {
        coop_program_log(l->env, t, "led 0 white");
        COOP_YIELD(t);
        coop_program_log(l->env, t, "led 0 red");
        COOP_YIELD(t);
    }
    COOP_END(t);
}

static int toggler(coop_task *t)
{
    struct led *l = coop_state(t);
    COOP_BEGIN(t);
    for (;;) {
        coop_program_log(l->base.env, t, "led %d toggle %s", l->index, l->colour);
        COOP_YIELD(t);
    }
    COOP_END(t);
}

static int killer(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    COOP_CALL(t, coop_kill_os(t));
    COOP_END(t);
}

static int64_t spawn_toggler(coop_sched *s, const coop_program_env *env, int index, const char *colour,
                             int64_t time2run_ms)
{
    struct led init = { { env }, index, colour };
    return coop_seed_spawn(s, env, toggler, &init, sizeof(init), NULL, 0, 1000, time2run_ms);
}

int coop_seed_4tasks(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    int64_t r = coop_seed_spawn(s, env, led0, NULL, 0, NULL, 0, 1000, 0);
    if (r > 0)
        r = spawn_toggler(s, env, 1, "red", 4200);
    if (r > 0)
        r = spawn_toggler(s, env, 2, "green", 6400);
    if (r > 0)
        r = spawn_toggler(s, env, 3, "blue", 8600);
    if (r > 0)
        r = coop_seed_spawn(s, env, killer, NULL, 0, NULL, 0, 0, 10000);
    return r < 0 ? (int)r : 0;
}
