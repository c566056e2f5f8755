/* The Check adapter from C++17: its macros compile and pass there too. */
#include <check.h>
#include <cstdlib>

#include "coop/sim-check.h"

namespace
{

int quick(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    COOP_END(t);
}

} /* namespace */

START_TEST(a_passing_run_passes_in_cxx)
{
    coop_sim_config cfg{};
    cfg.seed = 5;
    coop_sim *sim = coop_sim_new(&cfg);
    ck_assert_ptr_nonnull(sim);
    coop_task_spec spec{};
    spec.step = quick;
    spec.name = "quick";
    ck_assert_int_gt(coop_spawn(coop_sim_sched(sim), &spec), 0);
    coop_sim_ck_run(sim, COOP_SIM_DONE);
    coop_sim_ck_assert(sim, coop_sim_steps(sim) == 1, "one step");
    coop_sim_free(sim);
}
END_TEST

int main()
{
    Suite *s = suite_create("adapter_check_cxx");
    TCase *tc = tcase_create("adapter");
    tcase_add_test(tc, a_passing_run_passes_in_cxx);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
