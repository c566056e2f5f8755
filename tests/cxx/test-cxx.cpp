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

/* Ends with an exit status, or fails, as its state says; it logs through the program's env. */
struct quitter {
    const coop_program_env *env;
    bool fail;
};

int quit_step(coop_task *t)
{
    auto *q = static_cast<quitter *>(coop_state(t));
    COOP_BEGIN(t);
    coop_program_log(q->env, t, "quitting %s", q->fail ? "badly" : "well");
    COOP_YIELD(t);
    if (q->fail)
        COOP_FAIL(t, -COOP_EIO);
    COOP_EXIT(t, 7);
    COOP_END(t);
}

int quit_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)argv;
    quitter init{ env, argc > 0 };
    coop_task_spec spec{};
    spec.step = quit_step;
    spec.name = "quitter";
    spec.state_size = sizeof(init);
    spec.init = &init;
    return coop_spawn(s, &spec) < 0 ? -COOP_ENOMEM : 0;
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

Test(cxx, exit_fail_and_the_program_log_work_from_cxx)
{
    const coop_program program{ "quitter", "exits with 7, or fails with an argument", quit_start };
    coop_sim *sim = new_sim(4);
    cr_assert_eq(coop_sim_start(sim, &program, 0, nullptr), 0);
    coop_sim_cr_run(sim, COOP_SIM_DONE);
    cr_assert_str_eq(coop_sim_tail_line(sim, coop_sim_tail_count(sim) - 1),
                     "{\"t_ns\":0,\"ev\":\"exit\",\"task\":\"quitter\",\"tid\":1,\"status\":7}");
    coop_sim_free(sim);

    char arg[] = "fail";
    char *argv[] = { arg, nullptr };
    sim = new_sim(4);
    cr_assert_eq(coop_sim_start(sim, &program, 1, argv), 0);
    coop_sim_cr_run(sim, COOP_SIM_DONE);
    cr_assert_not_null(coop_last_failure(coop_sim_sched(sim)));
    cr_assert_eq(coop_last_failure(coop_sim_sched(sim))->error, -COOP_EIO);
    coop_sim_free(sim);
}
