/* The small configuration (no libc, no streams, no rings, no slabs): what differs from the host build. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assert-hook.h"
#include "harness.h"

TestSuite(small, .init = h_setup, .fini = h_teardown);

static uint64_t fixed_now(void *ctx)
{
    (void)ctx;
    return 0;
}

static const coop_clock_ops fixed_ops = { COOP_CLOCK_VERSION, "fixed", fixed_now };

Test(small, a_zeroed_allocator_is_reported_through_the_assertion_hook)
{
    h_assert_returns = 1;
    h_assert_expr = NULL;
    coop_config cfg = { .clock = { &fixed_ops, NULL } };
    cr_assert_null(coop_sched_new(&cfg));
    cr_assert_not_null(h_assert_expr, "coop_sched_new failed silently");
    cr_assert(strstr(h_assert_expr, "alloc") != NULL, "%s", h_assert_expr);
    h_assert_returns = 0;
}

static int streamer(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_CALL(t, coop_stream_reader(t, 3));
    h_log(t, "stream reader: %lld", (long long)coop_result(t));
    COOP_CALL(t, coop_stream_wait(t, 0));
    h_log(t, "stream wait: %lld", (long long)coop_result(t));
    COOP_END(t);
}

Test(small, without_streams_the_stream_calls_answer_enosys)
{
    h_spawn("S", streamer, 0, 10, 0, 0);
    h_run(0, 10);
    cr_assert_str_eq(H.log, "0 S stream reader: -38\n0 S stream wait: -38\n");
    cr_assert_eq(coop_poll_io(H.s, 0), -COOP_ENOSYS);
}

static int failing(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_FAIL(t, -COOP_EIO);
    COOP_END(t);
}

static char logged[512];

static void keep_log(void *ctx, coop_log_level level, const char *msg)
{
    (void)ctx;
    (void)level;
    strncpy(logged, msg, sizeof(logged) - 1);
}

static void *plain_alloc(void *ctx, void *ptr, size_t old_size, size_t new_size)
{
    (void)ctx;
    (void)old_size;
    if (new_size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, new_size);
}

/* The failure report is formatted in the scheduler's scratch, so its length is the configured one. */
Test(small, a_failure_report_is_cut_to_the_configured_line_length)
{
    coop_config cfg = { .clock = { &fixed_ops, NULL }, .alloc = { plain_alloc, NULL }, .log = keep_log };
    coop_sched *s = coop_sched_new(&cfg);
    cr_assert_not_null(s);
    coop_task_spec spec = { .step = failing, .name = "a-task-with-a-rather-long-name-to-fill-the-line-up" };
    cr_assert_gt(coop_spawn(s, &spec), 0);
    cr_assert_eq(strlen(logged), COOP_CONFIG_LOG_LINE - 1, "%s", logged);
    cr_assert(strncmp(logged, "task a-task-with", 16) == 0, "%s", logged);
    coop_sched_free(s);
}

static int periodic(coop_task *t)
{
    COOP_BEGIN(t);
    for (;;) {
        COOP_YIELD(t);
        h_log(t, "run");
    }
    COOP_END(t);
}

/*
 * Ties are settled by seq, which the build without heap keys renumbers
 * when it reaches its limit (every 64 insertions in the renumber-* tests):
 * A and B, queued in that order for every tenth millisecond, keep running
 * ahead of C, queued for the same times 5 ms later.
 */
Test(small, ties_keep_their_order_across_seq_renumbering)
{
    h_spawn("A", periodic, 0, 10, 10, 0);
    h_spawn("B", periodic, 0, 10, 10, 0);
    h_spawn("C", periodic, 0, 10, 5, 0);
    h_run(500, 1000);
    static char want[sizeof(H.log)];
    size_t n = 0;
    for (int ms = 5; ms <= 500; ms += 5) {
        if (ms % 10 == 0)
            n += (size_t)snprintf(want + n, sizeof(want) - n, "%d A run\n%d B run\n", ms, ms);
        n += (size_t)snprintf(want + n, sizeof(want) - n, "%d C run\n", ms);
    }
    cr_assert_str_eq(H.log, want);
}
