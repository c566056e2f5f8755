/* buggy-handoff: a planted bug.  The producer may signal before the consumer waits, and the signal is lost. */
#include "programs.h"

/*
 * The consumer and the producer are both due at 10 ms with the same
 * priority.  In first-in, first-out order the consumer runs first, so it
 * is waiting when the producer signals.  Nothing guarantees that order:
 * a tie permutation runs the producer first, its signal wakes nobody, and
 * the consumer waits forever.  The fix would be a wait with a timeout and
 * a retry, or SendWaitSignal; it is left out on purpose, so that
 * `coop explore` has something to find.
 */
struct handoff {
    const coop_program_env *env;
};

static int consumer(coop_task *t)
{
    struct handoff *h = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    COOP_CALL(t, coop_wait_signal(t, "ready", 0));
    coop_program_log(h->env, t, "got %lld", (long long)coop_result_of(t)->value);
    COOP_END(t);
}

static int producer(coop_task *t)
{
    struct handoff *h = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    COOP_CALL(t, coop_send_signal(t, "ready", 42, 0));
    coop_program_log(h->env, t, "sent, woke %lld", (long long)coop_result(t));
    COOP_END(t);
}

int coop_buggy_handoff_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct handoff init = { env };
    coop_task_spec c = { .step = consumer,
                         .name = "consumer",
                         .state_size = sizeof(init),
                         .init = &init,
                         .time2run_ns = COOP_MS(10) };
    coop_task_spec p = { .step = producer,
                         .name = "producer",
                         .state_size = sizeof(init),
                         .init = &init,
                         .time2run_ns = COOP_MS(10) };
    int64_t r = coop_spawn(s, &c);
    if (r > 0)
        r = coop_spawn(s, &p);
    return r < 0 ? (int)r : 0;
}
