/* The six demo programs of the original scheduler, ported to coop. */
#ifndef COOP_EXAMPLES_SEED_H
#define COOP_EXAMPLES_SEED_H

#include "coop/program.h"

/*
 * Each demo spawns its tasks in the order the original created them, so
 * the tids run 1, 2, 3...  A LED call of the original becomes a log line
 * such as "led 0 toggle".  Under the simulator's seed profile each demo
 * runs the same steps, at the same milliseconds, as the original.
 */
int coop_seed_2tasks(coop_sched *s, const coop_program_env *env, int argc, char **argv);
int coop_seed_4tasks(coop_sched *s, const coop_program_env *env, int argc, char **argv);
int coop_seed_createkilldye(coop_sched *s, const coop_program_env *env, int argc, char **argv);
int coop_seed_gettaskref(coop_sched *s, const coop_program_env *env, int argc, char **argv);
int coop_seed_4speed(coop_sched *s, const coop_program_env *env, int argc, char **argv);
int coop_seed_signal(coop_sched *s, const coop_program_env *env, int argc, char **argv);

/* All six, NULL-terminated, for a registry. */
extern const coop_program coop_seed_programs[];

/* The state every demo task starts with: where to log. */
struct seed_task {
    const coop_program_env *env;
};

/*
 * Spawns a task whose state (init, state_size bytes) begins with struct
 * seed_task; NULL init means a state holding only env.  Returns the tid
 * or a negative code.
 */
int64_t coop_seed_spawn(coop_sched *s, const coop_program_env *env, coop_step_fn step, const void *init,
                        size_t state_size, const char *name, int prio, int64_t period_ms,
                        int64_t time2run_ms);

#endif
