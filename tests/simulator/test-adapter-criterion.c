/* The Criterion adapter: a failing simulation check fails the test, with seed, time and trace tail. */
#include <stdio.h>
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
    coop_sim_failure_message(sim, "hang", NULL, msg, sizeof(msg));
    cr_assert(strstr(msg, "simulation failed: hang (seed 42, t=5000000 ns)") != NULL, "%s", msg);
    cr_assert(strstr(msg, "worker (tid 1): waits on signal 'never'") != NULL, "%s", msg);
    cr_assert(strstr(msg, "\"ev\":\"spawn\"") != NULL, "%s", msg);
    coop_sim_free(sim);
}

/* The longest name a task may have, so that every line of the report is as long as it gets. */
#define LONG_NAME "a-task-whose-name-is-as-long-as-coop-allows-sixty-three-bytes-x"

static int ticker(coop_task *t)
{
    COOP_BEGIN(t);
    for (;;)
        COOP_YIELD(t);
    COOP_END(t);
}

static coop_sim *busy_sim(uint32_t tail, int ntasks)
{
    coop_sim *sim = coop_sim_new(&(coop_sim_config){ .seed = 42, .trace_tail = tail });
    cr_assert_not_null(sim);
    for (int i = 0; i < ntasks; i++)
        cr_assert_gt(
            coop_spawn(coop_sim_sched(sim),
                       &(coop_task_spec){ .step = ticker, .name = LONG_NAME, .period_ns = COOP_MS(1) }),
            0);
    coop_sim_run_until(sim, COOP_MS(500));
    return sim;
}

static void assert_fits(const char *msg, size_t len, size_t cap)
{
    cr_assert_eq(len, strlen(msg));
    cr_assert_lt(len, cap, "%zu bytes do not fit in %zu", len, cap);
}

Test(adapter_criterion, a_long_tail_keeps_the_newest_events_and_counts_the_rest)
{
    coop_sim *sim = busy_sim(200, 1);
    cr_assert_eq(coop_sim_tail_count(sim), 200);
    static char msg[COOP_SIM__MSG_MAX];
    assert_fits(msg, coop_sim_failure_message(sim, "too slow", "n < 3", msg, sizeof(msg)), sizeof(msg));
    cr_assert(strstr(msg, "simulation failed: too slow (seed 42, t=500000000 ns)\n"), "%s", msg);
    cr_assert(strstr(msg, "\n  condition: n < 3\n  reproduce: --seed 42 --faults 0x0 --ties fifo\n"), "%s",
              msg);
    cr_assert(strstr(msg, coop_sim_tail_line(sim, 199)), "the newest event is kept:\n%s", msg);
    cr_assert_null(strstr(msg, coop_sim_tail_line(sim, 0)), "the oldest event is left out");
    cr_assert(strstr(msg, "older ones left out to fit):\n"), "%s", msg);
    coop_sim_free(sim);
}

Test(adapter_criterion, the_message_fits_any_buffer)
{
    coop_sim *sim = busy_sim(40, 3);
    static char msg[4096];
    static const size_t sizes[] = { 1, 2, 40, 100, 300, 700, 1500, 4000 };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        memset(msg, 'x', sizeof(msg));
        size_t n = coop_sim_failure_message(sim, "what", "cond", msg, sizes[i]);
        assert_fits(msg, n, sizes[i]);
        cr_assert_eq(msg[sizes[i]], 'x', "nothing is written past the buffer");
        if (sizes[i] >= 300)
            cr_assert(strstr(msg, "reproduce: --seed 42"), "%zu: %s", sizes[i], msg);
    }
    cr_assert_eq(coop_sim_failure_message(sim, "what", "cond", NULL, 0), 0);
    coop_sim_free(sim);
}

Test(adapter_criterion, many_tasks_are_summed_up_and_long_lines_cut)
{
    coop_sim *sim = busy_sim(40, 100);
    char long_text[COOP_SIM_MSG_LINE_MAX * 2];
    memset(long_text, 'y', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    coop_sim_field text = { .key = "text", .type = COOP_SIM_STR, .v.str = long_text };
    coop_sim_emit(sim, "note", &text, 1);
    char msg[4000];
    assert_fits(msg, coop_sim_failure_message(sim, long_text, long_text, msg, sizeof(msg)), sizeof(msg));
    cr_assert(strstr(msg, " more\n"), "%s", msg);
    cr_assert(strstr(msg, "...\n"), "a cut line is marked");
    cr_assert(strstr(msg, "(seed 42, t=500000000 ns)"), "a long what does not push the seed out");
    for (const char *line = msg; *line;) {
        const char *end = strchr(line, '\n');
        cr_assert_not_null(end);
        cr_assert_leq((size_t)(end - line), COOP_SIM_MSG_LINE_MAX + 20, "a line is too long: %.*s", 80, line);
        line = end + 1;
    }
    coop_sim_free(sim);
}
