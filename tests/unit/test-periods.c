/* Periods and start rules: the seed README's four rules, drift, the late policies, run-once, period changes. */
#include <criterion/criterion.h>

#include "harness.h"

TestSuite(periods, .init = h_setup, .fini = h_teardown);

static int runner(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    for (;;) {
        h_log(t, "run");
        COOP_YIELD(t);
    }
    COOP_END(t);
}

static uint64_t first_run_ms(int64_t period_ms, int64_t time2run_ms)
{
    h_set_ms(1000);
    int64_t tid = h_spawn("x", runner, 0, 10, period_ms, time2run_ms);
    cr_assert(tid > 0);
    return coop_task_time2run_ns(coop_task_find(H.s, (uint32_t)tid)) / 1000000;
}

Test(periods, start_rules_no_period_no_delay_runs_now) { cr_assert_eq(first_run_ms(0, 0), 1000); }
Test(periods, start_rules_period_only_waits_one_period) { cr_assert_eq(first_run_ms(300, 0), 1300); }
Test(periods, start_rules_period_and_delay_use_the_delay) { cr_assert_eq(first_run_ms(300, 1000), 2000); }
Test(periods, start_rules_delay_only) { cr_assert_eq(first_run_ms(0, 1000), 2000); }
Test(periods, start_rules_negative_delay_counts_as_zero) { cr_assert_eq(first_run_ms(300, -20), 1300); }

Test(periods, periodic_runs_are_free_of_drift)
{
    h_spawn("P", runner, 0, 10, 100, 0);
    h_run_seed(450, 100);
    cr_assert_str_eq(H.log, "100 P run\n200 P run\n300 P run\n400 P run\n");
}

/* b10: a task late by 3.5 periods runs back to back until it is on time again. */
Test(periods, late_catch_up_runs_back_to_back)
{
    h_spawn("P100", runner, 0, 10, 100, 0);
    h_set_ms(499);
    h_run_seed(650, 100);
    cr_assert_str_eq(H.log,
                     "500 P100 run\n501 P100 run\n502 P100 run\n503 P100 run\n504 P100 run\n600 P100 run\n");
}

Test(periods, late_skip_drops_missed_periods_and_keeps_the_grid)
{
    coop_task_spec spec = { .step = runner, .name = "S", .period_ns = COOP_MS(100), .late = COOP_LATE_SKIP };
    cr_assert_gt(coop_spawn(H.s, &spec), 0);
    h_set_ms(499);
    h_run_seed(750, 100);
    cr_assert_str_eq(H.log, "500 S run\n600 S run\n700 S run\n");
}

Test(periods, default_late_policy_applies_to_new_tasks)
{
    coop_set_default_late_policy(H.s, COOP_LATE_SKIP);
    h_spawn("S", runner, 0, 10, 100, 0);
    h_set_ms(350);
    h_run_seed(550, 100);
    cr_assert_str_eq(H.log, "351 S run\n400 S run\n500 S run\n");
}

struct changer {
    int n;
};

/* Sets its period to 100 ms at its second run: the run after next uses it (as in the seed). */
static int changer(coop_task *t)
{
    struct changer *c = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    for (;;) {
        h_log(t, "run");
        if (++c->n == 2)
            coop_task_set_period_ns(t, COOP_MS(100));
        COOP_YIELD(t);
    }
    COOP_END(t);
}

Test(periods, a_period_change_applies_one_run_later)
{
    h_spawn("C", changer, sizeof(struct changer), 10, 1000, 0);
    h_run_seed(3250, 100);
    cr_assert_str_eq(H.log, "1000 C run\n2000 C run\n3000 C run\n3100 C run\n3200 C run\n");
}

Test(periods, negative_period_runs_once)
{
    int64_t tid = h_spawn("O", runner, 0, 10, -50, 0);
    h_run(1000, 100);
    cr_assert_str_eq(H.log, "0 O run\n");
    cr_assert_null(coop_task_find(H.s, (uint32_t)tid));
}

Test(periods, negative_period_with_delay_runs_once_after_it)
{
    h_spawn("O", runner, 0, 10, -50, 30);
    h_run(1000, 100);
    cr_assert_str_eq(H.log, "30 O run\n");
}
