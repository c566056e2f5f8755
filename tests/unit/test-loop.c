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

/*
 * Dropping the dead in one pass keeps the living in order: entries whose
 * first tasks died pass to the next live one, dead tasks in the middle of
 * chains are unlinked, and a timeout (an indexed entry) keeps its place.
 */
static uint32_t order_seen[400];
static uint32_t order_n;

static int runs_once_and_notes(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    order_seen[order_n++] = coop_task_tid(t);
    COOP_END(t);
}

static int times_out(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait_signal(t, "never", COOP_MS(150) + COOP_US(1)));
    order_seen[order_n++] = coop_task_tid(t);
    COOP_END(t);
}

Test(loop, dropping_dead_timers_keeps_the_living_in_order)
{
    order_n = 0;
    uint32_t first = 0;
    /* 100 chains of three tasks, due at 1..100 ms past 100 ms. */
    for (int i = 0; i < 300; i++) {
        coop_task_spec spec = { .step = runs_once_and_notes, .time2run_ns = COOP_MS(100) + COOP_MS(i / 3) };
        int64_t tid = coop_spawn(H.s, &spec);
        cr_assert_gt(tid, 0);
        if (!first)
            first = (uint32_t)tid;
    }
    int64_t timeout = h_spawn("timeout", times_out, 0, 10, 0, 0);
    /* Kill the whole chain, or its first, middle or last task, in turn; keep every fourth chain whole. */
    uint32_t killed = 0;
    for (uint32_t c = 0; c < 100; c++) {
        uint32_t base = first + 3 * c;
        switch (c % 4) {
        case 0:
            killed += (uint32_t)coop_kill(H.s, base) + (uint32_t)coop_kill(H.s, base + 1) +
                      (uint32_t)coop_kill(H.s, base + 2);
            break;
        case 1:
            killed += (uint32_t)coop_kill(H.s, base) + (uint32_t)coop_kill(H.s, base + 1);
            break;
        case 2:
            killed += (uint32_t)coop_kill(H.s, base + 1) + (uint32_t)coop_kill(H.s, base + 2);
            break;
        default:
            break;
        }
    }
    cr_assert_eq(killed, 175);
    coop_verify(H.s);
    h_run(1000, 1000);
    /* The survivors ran in due order, FIFO within a due time, with the timeout at its place. */
    cr_assert_eq(order_n, 300 - killed + 1);
    uint32_t expect[400], n = 0;
    for (uint32_t c = 0; c < 100; c++) {
        uint32_t base = first + 3 * c;
        if (c == 51)
            expect[n++] = (uint32_t)timeout; /* due at 150 ms + 1 us: after chain 50, before chain 51 */
        if (c % 4 == 1)
            expect[n++] = base + 2;
        if (c % 4 == 2)
            expect[n++] = base;
        if (c % 4 == 3)
            expect[n++] = base, expect[n++] = base + 1, expect[n++] = base + 2;
    }
    for (uint32_t i = 0; i < n; i++)
        cr_assert_eq(order_seen[i], expect[i], "run %u was tid %u, expected %u", i, order_seen[i], expect[i]);
}

/* Holds fd 3 and waits on it; the test poller never reports it. */
static int holds_an_fd(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_CALL(t, coop_stream_reader(t, 3));
    cr_assert_eq(coop_result(t), 0);
    COOP_CALL(t, coop_stream_wait(t, 0));
    COOP_END(t);
}

/* Works 10 us per step (moving the virtual clock), 1,000 steps, then stops the loop. */
static int busy_worker(coop_task *t)
{
    int *n = coop_state(t);
    COOP_BEGIN(t);
    for (*n = 0; *n < 1000; (*n)++) {
        H.now_ns += COOP_US(10);
        COOP_YIELD(t);
    }
    COOP_CALL(t, coop_kill_os(t));
    COOP_END(t);
}

/*
 * A busy loop asks the poller once per polling period, not at every step:
 * 10 ms of work at 1 ms periods.  The clock is read once per turn (64
 * steps, 640 us here), so a poll comes at the first turn that ends after
 * the period: between 6 and 11 polls, against 1,000 steps.
 */
Test(loop, busy_tasks_poll_once_per_polling_period)
{
    h_teardown();
    h_setup_with(h_sleep_poller());
    H.poller_takes_fds = 1;
    h_spawn("fd", holds_an_fd, 0, 10, 0, 0);
    h_spawn("busy", busy_worker, sizeof(int), 10, 0, 0);
    coop_enable_polling(H.s, COOP_MS(1));
    cr_assert_eq(coop_mainloop(H.s, false, NULL), COOP_LOOP_STOPPED);
    cr_assert(h_sleep_calls >= 6 && h_sleep_calls <= 11, "%llu polls for 1,000 busy steps",
              (unsigned long long)h_sleep_calls);
    cr_assert_eq(h_slept_ns, 0, "a busy loop never sleeps");
    H.poller_takes_fds = 0;
}

/* Registers a garbage fd (far beyond any the poller holds), then a good one. */
static int registers_garbage(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_CALL(t, coop_stream_reader(t, 67108864));
    cr_assert_eq(coop_result(t), -COOP_EBADF);
    COOP_CALL(t, coop_stream_reader(t, 5));
    cr_assert_eq(coop_result(t), 0);
    COOP_END(t);
}

/*
 * The fd table is indexed by fd: the poller judges a number before the
 * table grows for it, so a rejected garbage fd costs no memory (it used
 * to grow the table to 64 Mi entries and keep it).
 */
Test(loop, a_rejected_fd_does_not_grow_the_fd_table)
{
    h_teardown();
    h_setup_with(h_sleep_poller());
    H.poller_takes_fds = 1;
    H.poller_fd_limit = 1024;
    uint64_t before = H.peak_bytes;
    h_spawn("garbage", registers_garbage, 0, 10, 0, 0);
    h_run(10, 100);
    cr_assert_eq(coop_task_count(H.s), 0);
    cr_assert_lt(H.peak_bytes - before, 64 * 1024, "peak grew by %llu bytes",
                 (unsigned long long)(H.peak_bytes - before));
    H.poller_takes_fds = 0;
    H.poller_fd_limit = 0;
}

/* coop_shutdown from outside: every task ends in tid order, and nothing runs afterwards. */
Test(loop, shutdown_from_outside_ends_everything)
{
    h_spawn("A", spinner, 0, 10, 0, 0);
    h_spawn("B", spinner, 0, 10, 5, 0);
    h_spawn("C", spinner, 0, 1, 0, 20);
    H.trace_wakes = 0;
    coop_shutdown(H.s);
    cr_assert(coop_is_stopped(H.s));
    cr_assert_eq(coop_task_count(H.s), 0);
    cr_assert_eq(coop_run_due(H.s, COOP_MS(100), 100), 0);
}

/* A poller built against version 1 of the interface has no close_reset slot: the call says so. */
Test(pollerv1, close_reset_needs_a_version_2_poller, .fini = h_teardown)
{
    static coop_poller_ops v1;
    coop_poller p = h_sleep_poller();
    v1 = *p.ops;
    v1.version = 1;
    v1.close_reset = NULL;
    p.ops = &v1;
    h_setup_with(p);
    cr_assert_eq(coop_close_reset(H.s, 5), -COOP_ENOSYS);
}
