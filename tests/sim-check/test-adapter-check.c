/* The Check adapter: a failing simulation check fails the Check test, with seed, time and trace tail. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coop/sim-check.h"

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
    ck_assert_ptr_nonnull(sim);
    ck_assert_int_gt(coop_spawn(coop_sim_sched(sim), &(coop_task_spec){ .step = step, .name = "worker" }), 0);
    return sim;
}

/* The inner test that must fail: it is run by an inner runner, not by main's. */
START_TEST(inner_hang)
{
    coop_sim *sim = with_task(stuck, 42);
    coop_sim_ck_run(sim, COOP_SIM_DONE);
    coop_sim_free(sim);
}
END_TEST

/* Long names, many tasks and the default 40-event tail make a report far longer than Check's 4 KiB. */
#define LONG_NAME "a-task-whose-name-is-as-long-as-coop-allows-sixty-three-bytes-x"

static int ticker(coop_task *t)
{
    COOP_BEGIN(t);
    for (;;)
        COOP_YIELD(t);
    COOP_END(t);
}

static char newest[COOP_SIM_MSG_LINE_MAX + 1];

START_TEST(inner_long_report)
{
    coop_sim *sim = coop_sim_new(&(coop_sim_config){ .seed = 42 });
    for (int i = 0; i < 30; i++)
        coop_spawn(coop_sim_sched(sim),
                   &(coop_task_spec){ .step = ticker, .name = LONG_NAME, .period_ns = COOP_MS(1) });
    coop_sim_run_until(sim, COOP_MS(50));
    coop_sim_ck_assert(sim, coop_sim_steps(sim) == 0, "nothing ran");
    coop_sim_free(sim);
}
END_TEST

/* Runs one inner test that must fail, in its own process, and returns its message (owned by the runner). */
static const char *inner_failure(const TTest *test, SRunner **sr)
{
    Suite *inner = suite_create("inner");
    TCase *tc = tcase_create("inner");
    tcase_add_test(tc, test);
    suite_add_tcase(inner, tc);
    *sr = srunner_create(inner);
    srunner_set_fork_status(*sr, CK_FORK);
    srunner_run_all(*sr, CK_SILENT);
    ck_assert_int_eq(srunner_ntests_failed(*sr), 1);
    TestResult **results = srunner_failures(*sr);
    const char *msg = tr_msg(results[0]);
    free(results);
    return msg;
}

START_TEST(a_long_report_still_reaches_check)
{
    /* The newest event, computed the same way in this process. */
    coop_sim *sim = coop_sim_new(&(coop_sim_config){ .seed = 42 });
    for (int i = 0; i < 30; i++)
        coop_spawn(coop_sim_sched(sim),
                   &(coop_task_spec){ .step = ticker, .name = LONG_NAME, .period_ns = COOP_MS(1) });
    coop_sim_run_until(sim, COOP_MS(50));
    snprintf(newest, sizeof(newest), "%s", coop_sim_tail_line(sim, coop_sim_tail_count(sim) - 1));
    coop_sim_free(sim);

    SRunner *sr;
    const char *msg = inner_failure(inner_long_report, &sr);
    ck_assert_msg(strstr(msg, "simulation failed: nothing ran (seed 42, t=50000000 ns)") != NULL, "%s", msg);
    ck_assert_msg(strstr(msg, "condition: coop_sim_steps(sim) == 0") != NULL, "%s", msg);
    ck_assert_msg(strstr(msg, "reproduce: --seed 42 --faults 0x0 --ties fifo") != NULL, "%s", msg);
    ck_assert_msg(strstr(msg, "older ones left out to fit") != NULL, "%s", msg);
    ck_assert_msg(strstr(msg, newest) != NULL, "the newest event is missing:\n%s", msg);
    ck_assert_uint_lt(strlen(msg), COOP_SIM__CK_MSG_MAX);
    srunner_free(sr);
}
END_TEST

START_TEST(a_passing_run_passes)
{
    coop_sim *sim = with_task(quick, 1);
    coop_sim_ck_run(sim, COOP_SIM_DONE);
    coop_sim_ck_assert(sim, coop_sim_steps(sim) == 1, "one step");
    coop_sim_free(sim);
}
END_TEST

START_TEST(a_hang_fails_with_seed_time_and_trace)
{
    SRunner *sr;
    const char *msg = inner_failure(inner_hang, &sr);
    ck_assert_ptr_nonnull(strstr(msg, "simulation failed: hang (seed 42, t=0 ns)"));
    ck_assert_ptr_nonnull(strstr(msg, "condition: coop_sim_run(sim) == COOP_SIM_DONE"));
    ck_assert_ptr_nonnull(strstr(msg, "worker (tid 1): waits on signal 'never'"));
    ck_assert_ptr_nonnull(strstr(msg, "\"ev\":\"spawn\""));
    srunner_free(sr);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("adapter_check");
    TCase *tc = tcase_create("adapter");
    tcase_add_test(tc, a_passing_run_passes);
    tcase_add_test(tc, a_hang_fails_with_seed_time_and_trace);
    tcase_add_test(tc, a_long_report_still_reaches_check);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
