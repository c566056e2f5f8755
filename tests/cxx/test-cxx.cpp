/* coop from C++17: a task written in C++ runs in the simulator, checked through the Criterion adapter. */
#include "all-headers.hpp"

#include <string>

namespace
{

/* What the counter keeps across yields. */
struct counter {
    int n;
};

int count_step(coop_task *t)
{
    auto *c = static_cast<counter *>(coop_state(t));
    COOP_BEGIN(t);
    for (c->n = 0; c->n < 3; c->n++)
        COOP_CALL(t, coop_wait(t, COOP_MS(10)));
    COOP_FINALLY(t);
    c->n += 100;
    COOP_END(t);
}

coop_sim *new_sim(uint64_t seed)
{
    coop_sim_config cfg{};
    cfg.seed = seed;
    coop_sim *sim = coop_sim_new(&cfg);
    cr_assert_not_null(sim);
    return sim;
}

} /* namespace */

Test(cxx, a_task_written_in_cxx_runs_in_the_simulator)
{
    coop_sim *sim = new_sim(3);
    coop_task_spec spec{};
    spec.step = count_step;
    spec.name = "counter";
    spec.state_size = sizeof(counter);
    cr_assert_gt(coop_spawn(coop_sim_sched(sim), &spec), 0);
    coop_sim_cr_run(sim, COOP_SIM_DONE);
    coop_sim_cr_assert(sim, coop_sim_now(sim) == static_cast<uint64_t>(COOP_MS(30)), "three waits of 10 ms");
    coop_sim_free(sim);
}

Test(cxx, the_failure_message_is_reachable_from_cxx)
{
    coop_sim *sim = new_sim(9);
    std::string msg(4096, '\0');
    coop_sim_failure_message(sim, "nothing ran", "true", &msg[0], msg.size());
    cr_assert(msg.find("seed 9") != std::string::npos, "%s", msg.c_str());
    coop_sim_free(sim);
}
