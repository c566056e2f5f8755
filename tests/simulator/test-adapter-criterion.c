/* The Criterion adapter: a failing simulation check fails the test, with seed, time and trace tail. */
#include <string.h>

#include "coop/sim-criterion.h"

static int stuck(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait_signal(t, "never", 0));
    COOP_END(t);
}

static int quick(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    COOP_END(t);
}

static coop_sim *with_task(coop_step_fn step, uint64_t seed)
{
    coop_sim *sim = coop_sim_new(&(coop_sim_config){ .seed = seed });
    cr_assert_not_null(sim);
    cr_assert_gt(coop_spawn(coop_sim_sched(sim), &(coop_task_spec){ .step = step, .name = "worker" }), 0);
    return sim;
}

Test(adapter_criterion, a_passing_run_passes)
{
    coop_sim *sim = with_task(quick, 1);
    coop_sim_cr_run(sim, COOP_SIM_DONE);
    coop_sim_cr_assert(sim, coop_sim_steps(sim) == 1, "one step");
    coop_sim_free(sim);
}

Test(adapter_criterion, the_message_carries_seed_time_tasks_and_trace)
{
    coop_sim *sim = with_task(stuck, 42);
    coop_sim_run_until(sim, COOP_MS(5));
    char msg[8192];
    coop_sim_failure_message(sim, "hang", msg, sizeof(msg));
    cr_assert(strstr(msg, "simulation failed: hang (seed 42, t=5000000 ns)") != NULL, "%s", msg);
    cr_assert(strstr(msg, "worker (tid 1): waits on signal 'never'") != NULL, "%s", msg);
    cr_assert(strstr(msg, "\"ev\":\"spawn\"") != NULL, "%s", msg);
    coop_sim_free(sim);
}
