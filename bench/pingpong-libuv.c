/* Workload 1 on libuv: K handles that take turns, as idle handles or as zero-timeout timers. */
#define _GNU_SOURCE
#include "bench.h"

#include <uv.h>

/*
 * libuv has two idiomatic ways to run "whenever ready":
 *   idle:  a uv_idle_t per task.  Every loop iteration runs each active
 *          idle handle once, in start order, and polls for I/O with a zero
 *          timeout, so the poll is amortised over K steps.
 *   timer: a uv_timer_t per task, re-armed with a zero timeout from its
 *          own callback.  The timer heap is ordered by (timeout, start_id),
 *          which is FIFO among equal timeouts, the closest thing in libuv
 *          to coop's (time2run, prio, seq).
 * Steps are counted in the callbacks.  The clock starts after one untimed
 * round of K steps and stops at the STEPS-th step after that.
 */

struct pp_uv {
    uv_loop_t *loop;
    uint64_t k, steps, count;
    uint64_t t0, t1;
    int done;
};

static struct pp_uv g;

/* Counts one step; returns 0 once the measured steps are over. */
static int count_step(void)
{
    g.count++;
    if (g.count == g.k)
        g.t0 = bench_now_ns();
    if (g.count == g.k + g.steps) {
        g.t1 = bench_now_ns();
        g.done = 1;
        uv_stop(g.loop);
    }
    return !g.done;
}

static void idle_cb(uv_idle_t *h)
{
    if (!count_step())
        uv_idle_stop(h);
}

static void timer_cb(uv_timer_t *h)
{
    if (count_step())
        uv_timer_start(h, timer_cb, 0, 0);
}

int main(int argc, char **argv)
{
    const char *prog = "pingpong-libuv";
    if (argc != 4)
        bench_usage(prog, "idle|timer TASKS STEPS");
    int use_timer = strcmp(argv[1], "timer") == 0;
    if (!use_timer && strcmp(argv[1], "idle") != 0)
        bench_usage(prog, "idle|timer TASKS STEPS");
    g.k = bench_arg_count(prog, "TASKS", argv[2]);
    g.steps = bench_arg_count(prog, "STEPS", argv[3]);

    uv_loop_t loop;
    int r = uv_loop_init(&loop);
    if (r != 0)
        bench_die(prog, "uv_loop_init", r);
    g.loop = &loop;

    long rss0 = bench_maxrss_kb();
    uv_idle_t *idles = NULL;
    uv_timer_t *timers = NULL;
    if (use_timer)
        timers = calloc(g.k, sizeof *timers);
    else
        idles = calloc(g.k, sizeof *idles);
    if (!idles && !timers)
        bench_die(prog, "calloc", 0);
    for (uint64_t i = 0; i < g.k; i++) {
        if (use_timer) {
            uv_timer_init(&loop, &timers[i]);
            uv_timer_start(&timers[i], timer_cb, 0, 0);
        } else {
            uv_idle_init(&loop, &idles[i]);
            uv_idle_start(&idles[i], idle_cb);
        }
    }
    long rss1 = bench_maxrss_kb();

    uv_run(&loop, UV_RUN_DEFAULT);
    if (!g.done)
        bench_die(prog, "uv_run ended early", (long)g.count);

    /* Stop every handle so that the loop can be closed cleanly. */
    for (uint64_t i = 0; i < g.k; i++) {
        if (use_timer)
            uv_close((uv_handle_t *)&timers[i], NULL);
        else
            uv_close((uv_handle_t *)&idles[i], NULL);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    r = uv_loop_close(&loop);
    if (r != 0)
        bench_die(prog, "uv_loop_close", r);

    printf("RESULT workload=pingpong impl=%s tasks=%llu steps=%llu ns_per_step=%.2f rss_kb=%ld "
           "bytes_per_task=%.1f\n",
           use_timer ? "libuv-timer" : "libuv-idle", (unsigned long long)g.k, (unsigned long long)g.steps,
           (double)(g.t1 - g.t0) / (double)g.steps, bench_maxrss_kb(), bench_bytes_per(rss0, rss1, g.k));
    free(idles);
    free(timers);
    return 0;
}
