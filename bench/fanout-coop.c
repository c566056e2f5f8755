/* Workload 3 on coop: one sender wakes N waiters with a named signal, cost per delivered wake-up. */
#define _GNU_SOURCE
#include "bench-coop.h"

/*
 * N waiters loop on Wait4Signal("go") without a timeout; one sender loops
 * on SendSignal("go", value, 0) ROUNDS times.  resume_after 0 makes the
 * sender ready again at once, and its lower priority (prio 11 against the
 * waiters' 10) lets every woken waiter run and register again before the
 * next send.  A delivered wake-up therefore costs: the waiter's share of
 * the send (unlinking its registration, making it ready), its step, and
 * its next registration.  The clock is a fake one that stays at 0, and
 * coop_run_due runs until nothing is ready: the sender has ended and the
 * waiters wait.  ns_per_wakeup is the wall time of that run divided by
 * the wake-ups the sends reported.
 */

struct waiter {
    uint64_t woken; /* wake-ups received */
    int64_t sum;    /* sum of the received values, as a check */
};

struct sender {
    uint64_t left;       /* sends still to do */
    uint64_t *delivered; /* outside the task, so that it outlives it: wake-ups the sends reported */
};

static int waiter_step(coop_task *t)
{
    struct waiter *w = coop_state(t);
    COOP_BEGIN(t);
    for (;;) {
        COOP_CALL(t, coop_wait_signal(t, "go", 0));
        if (coop_result(t) != 0)
            COOP_FAIL(t, (int)coop_result(t));
        w->woken++;
        w->sum += coop_result_of(t)->value;
    }
    COOP_END(t);
}

static int sender_step(coop_task *t)
{
    struct sender *sd = coop_state(t);
    COOP_BEGIN(t);
    /* The setup only yields, so that the first send happens inside the measured run. */
    COOP_YIELD(t);
    while (sd->left > 0) {
        COOP_CALL(t, coop_send_signal(t, "go", (int64_t)sd->left, 0));
        if (coop_result(t) < 0)
            COOP_FAIL(t, (int)coop_result(t));
        *sd->delivered += (uint64_t)coop_result(t);
        sd->left--;
    }
    COOP_END(t);
}

int main(int argc, char **argv)
{
    const char *prog = "fanout-coop";
    if (argc != 3)
        bench_usage(prog, "WAITERS ROUNDS");
    uint64_t n = bench_arg_count(prog, "WAITERS", argv[1]);
    uint64_t rounds = bench_arg_count(prog, "ROUNDS", argv[2]);

    struct bench_fake_clock clk = { 0 };
    coop_sched *s = bench_fake_sched(&clk);
    if (!s)
        bench_die(prog, "coop_sched_new", 0);
    coop_set_stop_on_error(s, true);

    long rss0 = bench_maxrss_kb();
    const coop_task_spec wspec = {
        .step = waiter_step,
        .state_size = sizeof(struct waiter),
        .prio = COOP_PRIO_DEFAULT,
    };
    for (uint64_t i = 0; i < n; i++) {
        int64_t tid = coop_spawn(s, &wspec);
        if (tid < 0)
            bench_die(prog, "coop_spawn", (long)tid);
    }
    long rss1 = bench_maxrss_kb();
    uint64_t delivered = 0;
    const struct sender init = { .left = rounds, .delivered = &delivered };
    const coop_task_spec sspec = {
        .step = sender_step,
        .state_size = sizeof(struct sender),
        .init = &init,
        .prio = COOP_PRIO_DEFAULT + 1,
    };
    int64_t stid = coop_spawn(s, &sspec);
    if (stid < 0)
        bench_die(prog, "coop_spawn", (long)stid);

    /* Everything is due at time 0; the run ends when the sender has ended and the waiters wait. */
    uint64_t t0 = bench_now_ns();
    uint64_t steps = coop_run_due(s, clk.now_ns, UINT64_MAX);
    uint64_t t1 = bench_now_ns();
    if (coop_last_failure(s))
        bench_die(prog, "a task failed", coop_last_failure(s)->error);
    if (delivered != n * rounds || coop_task_find(s, (uint32_t)stid))
        bench_die(prog, "the count of wake-ups", (long)delivered);

    printf("RESULT workload=fanout impl=coop waiters=%llu rounds=%llu wakeups=%llu steps=%llu "
           "ns_per_wakeup=%.2f "
           "rss_kb=%ld bytes_per_task=%.1f\n",
           (unsigned long long)n, (unsigned long long)rounds, (unsigned long long)delivered,
           (unsigned long long)steps, (double)(t1 - t0) / (double)delivered, bench_maxrss_kb(),
           bench_bytes_per(rss0, rss1, n));
    coop_sched_free(s);
    return 0;
}
