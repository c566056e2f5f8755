/* Workload 2 on libev: N repeating ev_timers with mixed periods, cost per firing. */
#define _GNU_SOURCE
#include "bench.h"

#include <ev.h>

/*
 * What is compared.  libev runs on the real clock, so the wall time of a
 * run is set by the periods, not by libev: with 1000 timers the loop
 * sleeps most of the time.  ns_per_firing is therefore the process CPU
 * time (user plus system, CLOCK_PROCESS_CPUTIME_ID) from ev_run until the
 * FIRINGS-th callback, divided by FIRINGS: the cost of the timer heap,
 * the re-arm that libev does for a repeating timer, the callback, and the
 * loop's share of waking up (one poll and one clock read per batch of
 * timers due at the same millisecond).  wall_ns_per_firing is printed
 * too; it equals ns_per_firing only when the loop is saturated (100000
 * timers and more on a typical machine).  When the loop falls behind,
 * libev moves a late timer's next due time to now, i.e. it skips missed
 * periods.  coop runs the same periods on a fake clock that jumps to the
 * next due time, so it pays no sleep or wake-up.
 */

struct tick {
    ev_timer w; /* first: the callback casts back */
    uint64_t count;
};

static uint64_t g_firings, g_fired, g_t1, g_c1;

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct tick *t = (struct tick *)(void *)w;
    t->count++;
    if (++g_fired == g_firings) {
        g_c1 = bench_cpu_ns();
        g_t1 = bench_now_ns();
        ev_break(loop, EVBREAK_ALL);
    }
}

int main(int argc, char **argv)
{
    const char *prog = "periodic-libev";
    if (argc != 3)
        bench_usage(prog, "TASKS FIRINGS");
    uint64_t n = bench_arg_count(prog, "TASKS", argv[1]);
    g_firings = bench_arg_count(prog, "FIRINGS", argv[2]);

    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    if (!loop)
        bench_die(prog, "ev_loop_new", 0);

    long rss0 = bench_maxrss_kb();
    struct tick *ticks = calloc(n, sizeof *ticks);
    if (!ticks)
        bench_die(prog, "calloc", 0);
    uint64_t lcg = BENCH_SEED;
    ev_now_update(loop);
    for (uint64_t i = 0; i < n; i++) {
        uint32_t period_ms, delay_ms;
        bench_periodic_draw(&lcg, &period_ms, &delay_ms);
        ev_timer_init(&ticks[i].w, tick_cb, delay_ms / 1000.0, period_ms / 1000.0);
        ev_timer_start(loop, &ticks[i].w);
    }
    long rss1 = bench_maxrss_kb();

    uint64_t c0 = bench_cpu_ns(), t0 = bench_now_ns();
    ev_run(loop, 0);
    if (g_fired < g_firings)
        bench_die(prog, "ev_run ended early", (long)g_fired);

    for (uint64_t i = 0; i < n; i++)
        ev_timer_stop(loop, &ticks[i].w);
    ev_loop_destroy(loop);
    printf("RESULT workload=periodic impl=libev tasks=%llu firings=%llu ns_per_firing=%.2f "
           "wall_ns_per_firing=%.2f "
           "rss_kb=%ld bytes_per_task=%.1f\n",
           (unsigned long long)n, (unsigned long long)g_firings, (double)(g_c1 - c0) / (double)g_firings,
           (double)(g_t1 - t0) / (double)g_firings, bench_maxrss_kb(), bench_bytes_per(rss0, rss1, n));
    free(ticks);
    return 0;
}
