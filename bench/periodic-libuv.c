/* Workload 2 on libuv: N repeating uv_timers with mixed periods, cost per firing. */
#define _GNU_SOURCE
#include "bench.h"

#include <uv.h>

/*
 * What is compared.  libuv runs on the real clock with millisecond timer
 * resolution, so the wall time of a run is set by the periods, not by
 * libuv: with 1000 timers the loop sleeps most of the time.
 * ns_per_firing is therefore the process CPU time (user plus system,
 * CLOCK_PROCESS_CPUTIME_ID) from uv_run until the FIRINGS-th callback,
 * divided by FIRINGS: the cost of the timer heap, the re-arm that libuv
 * does for a repeating timer (stop, then start at loop time + repeat),
 * the callback, and the loop's share of waking up (one poll and one clock
 * read per batch of timers due at the same millisecond).
 * wall_ns_per_firing is printed too; it equals ns_per_firing only when
 * the loop is saturated (100000 timers and more on a typical machine).
 * libuv re-arms from the loop's current time, so a late timer drifts
 * rather than catching up.  coop runs the same periods on a fake clock
 * that jumps to the next due time, so it pays no sleep or wake-up.
 */

struct tick {
    uv_timer_t h;
    uint64_t count;
};

static uint64_t g_firings, g_fired, g_t1, g_c1;

static void tick_cb(uv_timer_t *h)
{
    struct tick *t = (struct tick *)(void *)h;
    t->count++;
    if (++g_fired == g_firings) {
        g_c1 = bench_cpu_ns();
        g_t1 = bench_now_ns();
        uv_stop(h->loop);
    }
}

int main(int argc, char **argv)
{
    const char *prog = "periodic-libuv";
    if (argc != 3)
        bench_usage(prog, "TASKS FIRINGS");
    uint64_t n = bench_arg_count(prog, "TASKS", argv[1]);
    g_firings = bench_arg_count(prog, "FIRINGS", argv[2]);

    uv_loop_t loop;
    int r = uv_loop_init(&loop);
    if (r != 0)
        bench_die(prog, "uv_loop_init", r);

    long rss0 = bench_maxrss_kb();
    struct tick *ticks = calloc(n, sizeof *ticks);
    if (!ticks)
        bench_die(prog, "calloc", 0);
    uint64_t lcg = BENCH_SEED;
    uv_update_time(&loop);
    for (uint64_t i = 0; i < n; i++) {
        uint32_t period_ms, delay_ms;
        bench_periodic_draw(&lcg, &period_ms, &delay_ms);
        uv_timer_init(&loop, &ticks[i].h);
        uv_timer_start(&ticks[i].h, tick_cb, delay_ms, period_ms);
    }
    long rss1 = bench_maxrss_kb();

    uint64_t c0 = bench_cpu_ns(), t0 = bench_now_ns();
    uv_run(&loop, UV_RUN_DEFAULT);
    if (g_fired < g_firings)
        bench_die(prog, "uv_run ended early", (long)g_fired);

    for (uint64_t i = 0; i < n; i++)
        uv_close((uv_handle_t *)&ticks[i].h, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    r = uv_loop_close(&loop);
    if (r != 0)
        bench_die(prog, "uv_loop_close", r);
    printf("RESULT workload=periodic impl=libuv tasks=%llu firings=%llu ns_per_firing=%.2f "
           "wall_ns_per_firing=%.2f "
           "rss_kb=%ld bytes_per_task=%.1f\n",
           (unsigned long long)n, (unsigned long long)g_firings, (double)(g_c1 - c0) / (double)g_firings,
           (double)(g_t1 - t0) / (double)g_firings, bench_maxrss_kb(), bench_bytes_per(rss0, rss1, n));
    free(ticks);
    return 0;
}
