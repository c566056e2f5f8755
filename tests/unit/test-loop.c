/* The main loop: its return reasons, stop_on_error, idling, polling, GC, and several schedulers. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "harness.h"

static void setup_loop(void) { h_setup_with(h_sleep_poller()); }

TestSuite(loop, .init = setup_loop, .fini = h_teardown);

struct counted {
    int n;
    int limit;
};

static int count_then_end(coop_task *t)
{
    struct counted *c = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    for (c->n = 0; c->n < c->limit; c->n++) {
        h_log(t, "run %d", c->n);
        COOP_YIELD(t);
    }
    COOP_END(t);
}

static int64_t spawn_counter(const char *name, int limit, int64_t period_ms)
{
    struct counted c = { 0, limit };
    coop_task_spec spec = { .step = count_then_end,
                            .name = name,
                            .state_size = sizeof(c),
                            .init = &c,
                            .period_ns = COOP_MS(period_ms) };
    return coop_spawn(H.s, &spec);
}

Test(loop, returns_empty_when_every_task_ended_and_sleeps_between_due_times)
{
    spawn_counter("P", 3, 100);
    cr_assert_eq(coop_mainloop(H.s, false, NULL), COOP_LOOP_EMPTY);
    cr_assert_str_eq(H.log, "100 P run 0\n200 P run 1\n300 P run 2\n");
    /* It slept through every gap instead of spinning: 4 waits, 400 ms in all. */
    cr_assert_eq(h_slept_ns, COOP_MS(400));
    cr_assert_eq(coop_idle_count(H.s), h_sleep_calls);
}

static int blocked_forever(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait_signal(t, "never", 0));
    COOP_END(t);
}

Test(loop, returns_blocked_when_nothing_can_wake_anyone)
{
    h_spawn("B", blocked_forever, 0, 10, 0, 0);
    cr_assert_eq(coop_mainloop(H.s, false, NULL), COOP_LOOP_BLOCKED);
    cr_assert_eq(coop_task_count(H.s), 1);
}

static int failing(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    h_log(t, "about to fail");
    COOP_YIELD(t);
    COOP_FAIL(t, -COOP_EIO);
    COOP_FINALLY(t);
    h_log(t, "cleanup");
    COOP_END(t);
}

static int stopper(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait(t, COOP_MS(50)));
    h_log(t, "stopping");
    COOP_CALL(t, coop_kill_os(t));
    COOP_END(t);
}

Test(loop, a_failing_step_kills_only_its_task_and_is_logged)
{
    int64_t bad = h_spawn("bad", failing, 0, 10, 10, 0);
    h_spawn("W", blocked_forever, 0, 10, 0, 0);
    h_spawn("stop", stopper, 0, 10, 0, 0);
    cr_assert_eq(coop_mainloop(H.s, false, NULL), COOP_LOOP_STOPPED);
    const coop_report *r = coop_last_failure(H.s);
    cr_assert_not_null(r);
    cr_assert_eq(r->tid, (uint32_t)bad);
    cr_assert_str_eq(r->name, "bad");
    cr_assert_eq(r->error, -COOP_EIO);
    cr_assert(strstr(r->file, "test-loop.c") != NULL);
    cr_assert_gt(r->line, r->resume_line);
    cr_assert_gt(r->resume_line, 0);
    char expect[512];
    snprintf(expect, sizeof(expect),
             "10 bad about to fail\n"
             "log task bad (tid 1) failed with EIO at %s:%u, last resumed at line %u\n"
             "20 bad cleanup\n"
             "50 stop stopping\n",
             r->file, r->line, r->resume_line);
    cr_assert_str_eq(H.log, expect);
}

Test(loop, stop_on_error_returns_the_report)
{
    h_spawn("bad", failing, 0, 10, 10, 0);
    h_spawn("stop", stopper, 0, 10, 0, 0);
    coop_report rep;
    cr_assert_eq(coop_mainloop(H.s, true, &rep), COOP_LOOP_FAILED);
    cr_assert_str_eq(rep.name, "bad");
    cr_assert_eq(rep.error, -COOP_EIO);
    cr_assert_eq(h_ms(), 20);
    /* The rest of the program is intact and can go on. */
    cr_assert_eq(coop_task_count(H.s), 1);
    cr_assert_eq(coop_mainloop(H.s, true, &rep), COOP_LOOP_STOPPED);
}

static int bad_setup(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_FAIL(t, -COOP_EINVAL);
    COOP_END(t);
}

static int spawn_bad_child(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    COOP_CALL(t, coop_create_task(t, &(coop_task_spec){ .step = bad_setup, .name = "child" }));
    h_log(t, "creator survives, child tid %lld", (long long)coop_result(t));
    COOP_END(t);
}

/* b18 fixed: a setup that fails kills only the new task; the creator goes on. */
Test(loop, a_failing_setup_does_not_take_the_creator_down)
{
    h_spawn("creator", spawn_bad_child, 0, 10, 0, 0);
    cr_assert_eq(coop_mainloop(H.s, false, NULL), COOP_LOOP_EMPTY);
    cr_assert(strstr(H.log, "log task child (tid 2) failed with EINVAL") != NULL);
    cr_assert(strstr(H.log, "0 creator creator survives, child tid 2\n") != NULL);
}

static int idle_hits;
static void on_idle(void *ctx)
{
    (void)ctx;
    idle_hits++;
}

static int gc_hits;
static void on_gc(void *ctx)
{
    (void)ctx;
    gc_hits++;
}

Test(loop, idle_hook_and_gc_run_on_their_schedules)
{
    idle_hits = gc_hits = 0;
    coop_set_idle_hook(H.s, on_idle, NULL);
    coop_enable_gc(H.s, COOP_MS(100), on_gc, NULL);
    spawn_counter("P", 10, 50);
    for (int i = 0; i < 20; i++)
        spawn_counter(NULL, 1, 5);
    cr_assert_eq(coop_mainloop(H.s, false, NULL), COOP_LOOP_EMPTY);
    cr_assert_eq(gc_hits, 5, "GC at 100..500 while P ran until 500");
    cr_assert_eq(coop_gc_count(H.s), 5);
    cr_assert_eq((uint64_t)idle_hits, coop_idle_count(H.s));
    cr_assert_gt(idle_hits, 9);
}

static int spinner(coop_task *t)
{
    COOP_BEGIN(t);
    for (;;)
        COOP_YIELD(t);
    COOP_END(t);
}

Test(loop, turn_steps_bound_each_clock_read)
{
    h_spawn("spin", spinner, 0, 10, 0, 0);
    h_spawn("stop", stopper, 0, 10, 0, 0);
    /* Time only moves when the loop sleeps, and a spinner never lets it: step by hand instead. */
    cr_assert_eq(coop_run_due(H.s, 0, 1000), 1000);
    cr_assert_eq(coop_task_count(H.s), 2);
}

static uint64_t other_now;
static uint64_t other_clock(void *ctx)
{
    (void)ctx;
    return other_now;
}
static const coop_clock_ops other_ops = { COOP_CLOCK_VERSION, "other", other_clock };

Test(loop, several_schedulers_live_side_by_side)
{
    coop_config cfg = { .clock = { &other_ops, NULL } };
    coop_sched *other = coop_sched_new(&cfg);
    cr_assert_not_null(other);
    struct counted c = { 0, 2 };
    coop_task_spec spec = { .step = count_then_end, .name = "o", .state_size = sizeof(c), .init = &c };
    cr_assert_eq(coop_spawn(other, &spec), 1, "tids are per scheduler");
    cr_assert_eq(spawn_counter("h", 2, 0), 1);
    cr_assert_eq(coop_run_due(other, 0, 100), 3);
    cr_assert_eq(coop_task_count(other), 0);
    cr_assert_eq(coop_task_count(H.s), 1, "the other scheduler's run did not touch this one");
    coop_sched_free(other);
}

Test(loop, a_scheduler_needs_a_clock)
{
    coop_config cfg = { 0 };
    cr_assert_null(coop_sched_new(&cfg));
    cr_assert_null(coop_sched_new(NULL));
}

/*
 * A killed timer cannot be taken out of the middle of the heap; it stays
 * there, dead, until it reaches the top.  When the dead outnumber the
 * living they are dropped in one pass, so their records do not wait an
 * hour: a collection then hands the memory of their size back.
 */
/* Runs five times, 1 ms apart, and notes the allocator's outstanding blocks at the last run. */
static uint64_t outstanding_at_last_run;
static int five_runs(coop_task *t)
{
    int *n = coop_state(t);
    COOP_BEGIN(t);
    for (*n = 0; *n < 5; (*n)++)
        COOP_YIELD(t);
    outstanding_at_last_run = H.allocs - H.frees;
    COOP_END(t);
}

Test(loop, killed_timers_release_their_records_long_before_they_are_due)
{
    h_teardown();
    h_setup_with(h_sleep_poller());
    coop_enable_gc(H.s, COOP_MS(1), NULL, NULL);
    uint64_t before = H.allocs - H.frees;
    int64_t first = 0;
    for (int i = 0; i < 1000; i++) {
        /* Distinct times, and runs of equal ones that chain behind a single entry. */
        coop_task_spec spec = { .step = spinner,
                                .state_size = 200,
                                .period_ns = COOP_S(3600),
                                .time2run_ns = COOP_S(60) + COOP_MS(i / 3) };
        int64_t tid = coop_spawn(H.s, &spec);
        cr_assert_gt(tid, 0);
        if (!first)
            first = tid;
    }
    uint64_t alive = H.allocs - H.frees;
    for (int i = 0; i < 1000; i++)
        cr_assert_eq(coop_kill(H.s, (uint32_t)(first + i)), 1);
    cr_assert_eq(coop_task_count(H.s), 0);
    coop_verify(H.s);
    h_spawn("keeper", five_runs, sizeof(int), 10, 1, 0);
    cr_assert_eq(coop_mainloop(H.s, false, NULL), COOP_LOOP_EMPTY);
    cr_assert_geq(coop_gc_count(H.s), 4);
    coop_verify(H.s);
    /* Measured while the keeper's entry still sat in front of them, so only the compaction could free them. */
    uint64_t after = outstanding_at_last_run;
    cr_assert_lt(after + 6, alive, "%llu blocks before, %llu with the tasks, %llu after",
                 (unsigned long long)before, (unsigned long long)alive, (unsigned long long)after);
}

/* Steps until it is told to break the run it is in. */
static int breaker(coop_task *t)
{
    COOP_BEGIN(t);
    for (;;) {
        h_log(t, "run");
        coop_break(coop_task_sched(t));
        COOP_YIELD(t);
    }
    COOP_END(t);
}

Test(loop, coop_break_ends_the_run_after_the_current_step)
{
    h_spawn("b", breaker, 0, 10, 0, 0);
    h_spawn("x", spinner, 0, 10, 0, 0);
    cr_assert_eq(coop_run_due(H.s, 0, 100), 1, "b's setup ran at spawn; its first step breaks");
    cr_assert_eq(coop_run_due(H.s, 0, 1), 1, "the break lasted one run: x runs");
    coop_break(H.s); /* outside a run: nothing to end */
    cr_assert_eq(coop_run_due(H.s, 0, 1), 1);
    cr_assert_str_eq(H.log, "0 b run\n0 b run\n0 b run\n", "setup, then one step in each run of b");
}
