/* The Criterion adapter's failure path: this suite must fail (meson runs it with should_fail). */
#include "coop/sim-criterion.h"

static int stuck(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait_signal(t, "never", 0));
    COOP_END(t);
}

Test(adapter_criterion_fails, a_hang_fails_the_test)
{
    coop_sim *sim = coop_sim_new(&(coop_sim_config){ .seed = 42 });
    cr_assert_not_null(sim);
    cr_assert_gt(coop_spawn(coop_sim_sched(sim), &(coop_task_spec){ .step = stuck, .name = "worker" }), 0);
    coop_sim_cr_run(sim, COOP_SIM_DONE);
    coop_sim_free(sim);
}
