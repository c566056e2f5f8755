/* Allocation failures: every allocation the core makes can fail, and nothing crashes, leaks or corrupts. */
#include <criterion/criterion.h>

#include "harness.h"

TestSuite(alloc, .init = h_setup, .fini = h_teardown);

static int child(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait_signal(t, "go", COOP_MS(5)));
    COOP_END(t);
}

/* Exercises every allocating path: tasks, names, signals, waiter lists, registrations. */
static int workload(coop_task *t)
{
    static const char *const names[] = { "a", "b", "c", "go" };
    COOP_BEGIN(t);
    COOP_YIELD(t);
    COOP_CALL(t, coop_create_task(t, &(coop_task_spec){ .step = child, .name = "kid", .state_size = 200 }));
    h_log(t, "create %lld", (long long)coop_result(t));
    if (coop_result(t) > 0) {
        COOP_CALL(t, coop_wait_task(t, (uint32_t)coop_result(t)));
        h_log(t, "wait %lld", (long long)coop_result(t));
    }
    COOP_CALL(t, coop_wait_signals(t, names, 4, COOP_MS(1)));
    h_log(t, "signals %lld", (long long)coop_result(t));
    COOP_CALL(t, coop_send_signal(t, "fresh", 1, 0));
    h_log(t, "send %lld", (long long)coop_result(t));
    COOP_END(t);
}

static void run_workload(void)
{
    for (int i = 0; i < 8; i++) {
        int64_t tid = h_spawn(NULL, workload, 64, 1 + i % 3, 0, i);
        cr_assert(tid > 0 || tid == -COOP_ENOMEM, "spawn gave %lld", (long long)tid);
    }
    h_run(1000, 10000);
    coop_verify(H.s);
}

Test(alloc, the_workload_runs_without_failures)
{
    run_workload();
    cr_assert(strstr(H.log, "create -") == NULL);
    cr_assert(strstr(H.log, "send 0") != NULL);
}

/* Fail the Nth allocation for every N the workload reaches; teardown checks for leaks. */
Test(alloc, every_failure_point_is_handled)
{
    h_teardown();
    uint64_t total = 0;
    h_setup();
    run_workload();
    total = H.allocs;
    h_teardown();
    cr_assert_gt(total, 10);
    for (uint64_t n = 1; n <= total + 1; n++) {
        h_setup();
        H.fail_after = n;
        run_workload();
        H.fail_after = 0;
        h_teardown();
    }
    h_setup();
}

Test(alloc, a_failing_allocator_fails_creation_cleanly)
{
    H.fail_after = 1;
    cr_assert_eq(h_spawn("x", child, 0, 10, 0, 0), -COOP_ENOMEM);
    cr_assert_null(coop_task_new(H.s, &(coop_task_spec){ .step = child }));
    H.fail_after = 0;
    cr_assert_eq(coop_task_count(H.s), 0);
}
