/* Spawning demo tasks and the registry of the six seed demos. */
#include "seed.h"

int64_t coop_seed_spawn(coop_sched *s, const coop_program_env *env, coop_step_fn step, const void *init,
                        size_t state_size, const char *name, int prio, int64_t period_ms, int64_t time2run_ms)
{
    struct seed_task only_env = { env };
    if (!init) {
        init = &only_env;
        state_size = sizeof(only_env);
    }
    if (state_size < sizeof(struct seed_task))
        return -COOP_EINVAL;
    coop_task_spec spec = {
        .step = step,
        .name = name,
        .state_size = state_size,
        .init = init,
        .prio = prio,
        .period_ns = COOP_MS(period_ms),
        .time2run_ns = COOP_MS(time2run_ms),
    };
    return coop_spawn(s, &spec);
}

const coop_program coop_seed_programs[] = {
    { "seed-2tasks", "two named periodic tasks; bartask ends everything with KillOs", coop_seed_2tasks },
    { "seed-4tasks", "four LED tasks with staggered starts and a killer at 10 s", coop_seed_4tasks },
    { "seed-createkilldye", "a master task creates a task, kills it, then KillOs", coop_seed_createkilldye },
    { "seed-gettaskref", "a task changes its own period through GetTaskRef (Morse code)",
      coop_seed_gettaskref },
    { "seed-4speed", "six counting tasks and an evaluator: steps per second", coop_seed_4speed },
    { "seed-signal", "three waiters and a sender on the signal \"Hello\"", coop_seed_signal },
    { NULL, NULL, NULL },
};
