/* Workload 1 on libev: K idle watchers that take turns. */
#define _GNU_SOURCE
#include "bench.h"

#include <ev.h>

/*
 * ev_idle is libev's "run whenever nothing else is pending" watcher.  With
 * K active idle watchers every loop iteration queues all of them and
 * invokes them in turn, after a poll with a zero timeout.  Steps are
 * counted in the callback.  The clock starts after one untimed round of K
 * steps and stops at the STEPS-th step after that.
 */

static uint64_t g_k, g_steps, g_count, g_t0, g_t1;
static int g_done;

static void idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
    (void)revents;
    g_count++;
    if (g_count == g_k)
        g_t0 = bench_now_ns();
    if (g_count == g_k + g_steps) {
        g_t1 = bench_now_ns();
        g_done = 1;
        ev_break(loop, EVBREAK_ALL);
    }
    if (g_done)
        ev_idle_stop(loop, w);
}

int main(int argc, char **argv)
{
    const char *prog = "pingpong-libev";
    if (argc != 3)
        bench_usage(prog, "TASKS STEPS");
    g_k = bench_arg_count(prog, "TASKS", argv[1]);
    g_steps = bench_arg_count(prog, "STEPS", argv[2]);

    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    if (!loop)
        bench_die(prog, "ev_loop_new", 0);

    long rss0 = bench_maxrss_kb();
    ev_idle *idles = calloc(g_k, sizeof *idles);
    if (!idles)
        bench_die(prog, "calloc", 0);
    for (uint64_t i = 0; i < g_k; i++) {
        ev_idle_init(&idles[i], idle_cb);
        ev_idle_start(loop, &idles[i]);
    }
    long rss1 = bench_maxrss_kb();

    ev_run(loop, 0);
    if (!g_done)
        bench_die(prog, "ev_run ended early", (long)g_count);
    for (uint64_t i = 0; i < g_k; i++)
        ev_idle_stop(loop, &idles[i]);
    ev_loop_destroy(loop);

    printf("RESULT workload=pingpong impl=libev tasks=%llu steps=%llu ns_per_step=%.2f rss_kb=%ld "
           "bytes_per_task=%.1f\n",
           (unsigned long long)g_k, (unsigned long long)g_steps, (double)(g_t1 - g_t0) / (double)g_steps,
           bench_maxrss_kb(), bench_bytes_per(rss0, rss1, g_k));
    free(idles);
    return 0;
}
