/* The 32-bit tick adapter: monotonic across the wrap, and a scheduler on it keeps its periods. */
#include <criterion/criterion.h>

#include "coop/coop.h"

static uint32_t raw;
static uint32_t read_raw(void *ctx)
{
    (void)ctx;
    return raw;
}

Test(tick32, extends_across_wraps)
{
    coop_tick32 a;
    coop_tick32_init(&a, read_raw, NULL);
    raw = UINT32_MAX - 1;
    cr_assert_eq(coop_tick32_now_ms(&a), UINT32_MAX - 1);
    raw = UINT32_MAX;
    cr_assert_eq(coop_tick32_now_ms(&a), UINT32_MAX);
    raw = 0;
    cr_assert_eq(coop_tick32_now_ms(&a), UINT64_C(1) << 32);
    raw = 5;
    cr_assert_eq(coop_tick32_now_ms(&a), (UINT64_C(1) << 32) + 5);
    raw = 3; /* a second wrap, read late */
    cr_assert_eq(coop_tick32_now_ms(&a), (UINT64_C(2) << 32) + 3);
}

static int ticks;
static int periodic(coop_task *t)
{
    COOP_BEGIN(t);
    for (;;) {
        ticks++;
        COOP_YIELD(t);
    }
    COOP_END(t);
}

/* b16 fixed: a periodic task keeps running through the wrap of the raw counter. */
Test(tick32, a_scheduler_runs_through_the_wrap)
{
    coop_tick32 a;
    coop_tick32_init(&a, read_raw, NULL);
    raw = UINT32_MAX - 500;
    coop_config cfg = { .clock = coop_tick32_clock(&a) };
    coop_sched *s = coop_sched_new(&cfg);
    cr_assert_not_null(s);
    ticks = 0;
    coop_spawn(s, &(coop_task_spec){ .step = periodic, .period_ns = COOP_MS(100) });
    for (int ms = 0; ms < 2000; ms++) {
        raw++;
        coop_run_due(s, coop_tick32_now_ms(&a) * 1000000, 10);
    }
    cr_assert_eq(ticks, 1 + 20, "the setup, then one run per 100 ms for 2 s, across the wrap; got %d", ticks);
    coop_sched_free(s);
}
