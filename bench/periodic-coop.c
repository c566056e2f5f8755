/* Workload 2 on coop: N periodic tasks with mixed periods, on a fake clock (default) or on the real backend. */
#define _GNU_SOURCE
#include "bench-coop.h"

#include "coop/real.h"

/*
 * Every task is a loop around a plain COOP_YIELD with period_ns set, so
 * each step is one firing and the scheduler re-arms it with
 * time2run += period.  The periods and first delays are the ones every
 * implementation draws (bench_periodic_draw).
 *
 * distinct: the fake mode with the distinct variant of the draws
 *       (bench_periodic_offset_ns): no two tasks share a due time, so
 *       coop cannot chain equal deadlines and every firing sifts the heap.
 * fake: the clock is a variable.  The program asks coop_next_due for the
 *       earliest due time, sets the clock to it and calls coop_run_due,
 *       until FIRINGS steps have run.  No task is ever late, and the run
 *       measures the scheduler alone.
 * real: coop_mainloop on the real backend (monotonic clock, default
 *       poller), the regime libev and libuv run in: the loop sleeps in the
 *       poller until the next due time, and late tasks skip missed periods
 *       (COOP_LATE_SKIP), as libev does.  The FIRINGS-th firing stops the
 *       clocks and ends the run with KillOs.  The tasks are spawned by a
 *       starter task's setup, so that their start delays count from one
 *       instant, the dispatch time every step sees: libev and libuv start
 *       timers from their cached loop time in the same way.
 *
 * ns_per_firing is the process CPU time of the measured loop divided by
 * FIRINGS, as for the peers; wall_ns_per_firing is printed too.
 */

struct ticker {
    uint64_t count; /* firings of this task */
};

static uint64_t g_firings, g_fired, g_t1, g_c1;

static int ticker_step(coop_task *t)
{
    struct ticker *tk = coop_state(t);
    COOP_BEGIN(t);
    for (;;) {
        COOP_YIELD(t);
        tk->count++;
    }
    COOP_END(t);
}

/* The same task, for the real mode: it also stops the run at the last firing. */
static int ticker_real_step(coop_task *t)
{
    struct ticker *tk = coop_state(t);
    COOP_BEGIN(t);
    for (;;) {
        COOP_YIELD(t);
        tk->count++;
        if (++g_fired == g_firings) {
            g_c1 = bench_cpu_ns();
            g_t1 = bench_now_ns();
            COOP_CALL(t, coop_kill_os(t));
        }
    }
    COOP_END(t);
}

static void spawn_all(const char *prog, coop_sched *s, uint64_t n, coop_step_fn step, int distinct);

static uint64_t g_tasks;

/* Spawns the tasks from its setup, at one dispatch time, and ends. */
static int starter_step(coop_task *t)
{
    COOP_BEGIN(t);
    spawn_all("periodic-coop", coop_task_sched(t), g_tasks, ticker_real_step, 0);
    COOP_END(t);
}

static void spawn_all(const char *prog, coop_sched *s, uint64_t n, coop_step_fn step, int distinct)
{
    uint64_t lcg = BENCH_SEED, offsets = BENCH_OFFSET_SEED;
    for (uint64_t i = 0; i < n; i++) {
        uint32_t period_ms, delay_ms;
        bench_periodic_draw(&lcg, &period_ms, &delay_ms);
        const coop_task_spec spec = {
            .step = step,
            .state_size = sizeof(struct ticker),
            .period_ns = COOP_MS(period_ms),
            .time2run_ns = COOP_MS(delay_ms) + (distinct ? bench_periodic_offset_ns(&offsets) : 0),
        };
        int64_t tid = coop_spawn(s, &spec);
        if (tid < 0)
            bench_die(prog, "coop_spawn", (long)tid);
    }
}

int main(int argc, char **argv)
{
    const char *prog = "periodic-coop";
    const char *use = "fake|distinct|real TASKS FIRINGS";
    if (argc != 4)
        bench_usage(prog, use);
    int real = strcmp(argv[1], "real") == 0;
    int distinct = strcmp(argv[1], "distinct") == 0;
    if (!real && !distinct && strcmp(argv[1], "fake") != 0)
        bench_usage(prog, use);
    uint64_t n = bench_arg_count(prog, "TASKS", argv[2]);
    g_firings = bench_arg_count(prog, "FIRINGS", argv[3]);

    struct bench_fake_clock clk = { 0 };
    coop_sched *s = NULL;
    if (real) {
        coop_config cfg;
        int r = coop_config_real(&cfg);
        if (r != 0)
            bench_die(prog, "coop_config_real", r);
        s = coop_sched_new(&cfg);
    } else {
        s = bench_fake_sched(&clk);
    }
    if (!s)
        bench_die(prog, "coop_sched_new", 0);
    if (real)
        coop_set_default_late_policy(s, COOP_LATE_SKIP);

    long rss0 = bench_maxrss_kb();
    g_tasks = n;
    if (real && coop_spawn(s, &(coop_task_spec){ .step = starter_step }) < 0)
        bench_die(prog, "coop_spawn", 0);
    if (!real)
        spawn_all(prog, s, n, ticker_step, distinct);
    long rss1 = bench_maxrss_kb();

    uint64_t t0, c0;
    if (real) {
        c0 = bench_cpu_ns();
        t0 = bench_now_ns();
        coop_loop_result lr = coop_mainloop(s, true, NULL);
        if (lr != COOP_LOOP_STOPPED || g_fired < g_firings)
            bench_die(prog, "coop_mainloop ended early", (long)lr);
    } else {
        c0 = bench_cpu_ns();
        t0 = bench_now_ns();
        while (g_fired < g_firings) {
            uint64_t due;
            if (!coop_next_due(s, &due))
                bench_die(prog, "coop_next_due found nothing", (long)g_fired);
            clk.now_ns = due;
            g_fired += coop_run_due(s, due, g_firings - g_fired);
        }
        g_t1 = bench_now_ns();
        g_c1 = bench_cpu_ns();
    }

    printf(
        "RESULT workload=periodic impl=%s tasks=%llu firings=%llu ns_per_firing=%.2f wall_ns_per_firing=%.2f "
        "virtual_ms=%.1f rss_kb=%ld bytes_per_task=%.1f\n",
        real       ? "coop-real"
        : distinct ? "coop-distinct"
                   : "coop",
        (unsigned long long)n, (unsigned long long)g_firings, (double)(g_c1 - c0) / (double)g_firings,
        (double)(g_t1 - t0) / (double)g_firings, real ? 0.0 : (double)clk.now_ns / 1e6, bench_maxrss_kb(),
        bench_bytes_per(rss0, rss1, n));
    coop_sched_free(s);
    return 0;
}
