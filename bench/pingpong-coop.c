/* Workload 1 on coop: K ready tasks with period 0 that yield in turn, on a clock that never advances. */
#define _GNU_SOURCE
#include "bench-coop.h"

/*
 * Each task is a loop around a plain COOP_YIELD.  With period 0 a task
 * that yields is ready again at once, so the scheduler runs the K tasks
 * round robin in (time2run, prio, seq) order.  The fake clock stays at 0
 * and coop_run_due runs an exact number of steps.  One untimed round of K
 * steps comes first, so that every task has been touched once, as in the
 * peers.
 */

struct yielder {
    uint64_t steps; /* steps this task has run */
};

static int yielder_step(coop_task *t)
{
    struct yielder *y = coop_state(t);
    COOP_BEGIN(t);
    for (;;) {
        y->steps++;
        COOP_YIELD(t);
    }
    COOP_END(t);
}

int main(int argc, char **argv)
{
    const char *prog = "pingpong-coop";
    if (argc != 3)
        bench_usage(prog, "TASKS STEPS");
    uint64_t k = bench_arg_count(prog, "TASKS", argv[1]);
    uint64_t steps = bench_arg_count(prog, "STEPS", argv[2]);

    struct bench_fake_clock clk = { 0 };
    coop_sched *s = bench_fake_sched(&clk);
    if (!s)
        bench_die(prog, "coop_sched_new", 0);

    long rss0 = bench_maxrss_kb();
    const coop_task_spec spec = {
        .step = yielder_step,
        .state_size = sizeof(struct yielder),
        .period_ns = 0,
    };
    for (uint64_t i = 0; i < k; i++) {
        int64_t tid = coop_spawn(s, &spec);
        if (tid < 0)
            bench_die(prog, "coop_spawn", (long)tid);
    }
    long rss1 = bench_maxrss_kb();

    uint64_t warm = coop_run_due(s, clk.now_ns, k);
    if (warm != k)
        bench_die(prog, "the untimed round", (long)warm);

    uint64_t t0 = bench_now_ns();
    uint64_t ran = coop_run_due(s, clk.now_ns, steps);
    uint64_t t1 = bench_now_ns();
    if (ran != steps)
        bench_die(prog, "coop_run_due ran fewer steps", (long)ran);

    printf("RESULT workload=pingpong impl=coop tasks=%llu steps=%llu ns_per_step=%.2f rss_kb=%ld "
           "bytes_per_task=%.1f\n",
           (unsigned long long)k, (unsigned long long)ran, (double)(t1 - t0) / (double)ran, bench_maxrss_kb(),
           bench_bytes_per(rss0, rss1, k));
    coop_sched_free(s);
    return 0;
}
