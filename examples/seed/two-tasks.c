/* seed-2tasks: bartask and footask count to 25 at their own periods; bartask then stops everything. */
#include "seed.h"

struct counter {
    struct seed_task base;
    int n;
};

static int bartask(coop_task *t)
{
    struct counter *c = coop_state(t);
    COOP_BEGIN(t);
    for (c->n = 0; c->n < 25; c->n++) {
        coop_program_log(c->base.env, t, "I'm bar %d", c->n);
        COOP_YIELD(t);
    }
    COOP_CALL(t, coop_kill_os(t));
    COOP_END(t);
}

static int footask(coop_task *t)
{
    struct counter *c = coop_state(t);
    COOP_BEGIN(t);
    for (c->n = 0; c->n < 25; c->n++) {
        coop_program_log(c->base.env, t, "I'm foo %d", c->n);
        COOP_YIELD(t);
    }
    COOP_END(t);
}

int coop_seed_2tasks(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct counter init = { { env }, 0 };
    int64_t r = coop_seed_spawn(s, env, bartask, &init, sizeof(init), "bartask", 0, 700, 0);
    if (r > 0)
        r = coop_seed_spawn(s, env, footask, &init, sizeof(init), "footask", 0, 500, 0);
    return r < 0 ? (int)r : 0;
}
