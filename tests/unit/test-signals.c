/* Signals: delivery order and values, timeouts, several names, SendSignal's resume rule, SendWaitSignal. */
#include <criterion/criterion.h>

#include "harness.h"

TestSuite(signals, .init = h_setup, .fini = h_teardown);

/* Waits on "s" forever with no timeout and logs what arrives. */
static int waiter(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    for (;;) {
        COOP_CALL(t, coop_wait_signal(t, "s", 0));
        h_log(t, "got %s=%lld code %lld", coop_result_of(t)->signal, (long long)coop_result_of(t)->value,
              (long long)coop_result(t));
    }
    COOP_END(t);
}

struct sender {
    int64_t value;
    int64_t resume_ns;
};

/* Sends ("s", value) once when it runs, then logs when it resumes. */
static int sender(coop_task *t)
{
    struct sender *st = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    COOP_CALL(t, coop_send_signal(t, "s", st->value, st->resume_ns));
    h_log(t, "resumed, woke %lld", (long long)coop_result(t));
    COOP_END(t);
}

static int64_t spawn_sender(const char *name, int prio, int64_t at_ms, int64_t value, int64_t resume_ns)
{
    struct sender init = { value, resume_ns };
    coop_task_spec spec = { .step = sender,
                            .name = name,
                            .state_size = sizeof(init),
                            .init = &init,
                            .prio = prio,
                            .time2run_ns = COOP_MS(at_ms) };
    return coop_spawn(H.s, &spec);
}

static int busy(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    h_log(t, "run");
    COOP_END(t);
}

/* The seed's s02: woken waiters run in (time, prio, FIFO) order against what is already queued. */
Test(signals, waiters_wake_in_registration_order_then_by_key)
{
    h_spawn("p10a", waiter, 0, 10, 0, 0);
    h_spawn("p20", waiter, 0, 20, 0, 0);
    h_spawn("p1", waiter, 0, 1, 0, 0);
    h_spawn("p10b", waiter, 0, 10, 0, 0);
    h_run(0, 100);
    spawn_sender("S", 10, 100, 7, COOP_MS(1));
    h_spawn("Q", busy, 0, 10, 0, 100);
    h_run_seed(120, 100);
    /* S runs at 100; the sender's own resume (101) comes after every waiter woken at 100. */
    cr_assert_str_eq(H.log, "101 p1 got s=7 code 0\n"
                            "102 Q run\n"
                            "103 p10a got s=7 code 0\n"
                            "104 p10b got s=7 code 0\n"
                            "105 p20 got s=7 code 0\n"
                            "106 S resumed, woke 4\n");
}

struct timed {
    int n;
};

/* Waits on "s" with a 100 ms timeout, three times, logging each outcome. */
static int timed_waiter(coop_task *t)
{
    struct timed *st = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    for (st->n = 0; st->n < 3; st->n++) {
        COOP_CALL(t, coop_wait_signal(t, "s", COOP_MS(100)));
        h_log(t, "%s", coop_result(t) == -COOP_ETIMEDOUT ? "timeout" : "signal");
    }
    COOP_CALL(t, coop_wait(t, COOP_MS(1000)));
    h_log(t, "wait over");
    COOP_END(t);
}

/* b02 fixed: a timeout removes the registration, so a later send cannot wake the task elsewhere. */
Test(signals, timeout_removes_the_registration)
{
    h_spawn("W", timed_waiter, sizeof(struct timed), 10, 0, 0);
    spawn_sender("S", 10, 350, 2, COOP_MS(1));
    h_run(2000, 100);
    cr_assert_str_eq(H.log, "100 W timeout\n"
                            "200 W timeout\n"
                            "300 W timeout\n"
                            "351 S resumed, woke 0\n"
                            "1300 W wait over\n");
}

Test(signals, a_signal_before_the_timeout_cancels_it)
{
    h_spawn("W", timed_waiter, sizeof(struct timed), 10, 0, 0);
    spawn_sender("S", 10, 50, 1, 0);
    h_run(2000, 100);
    cr_assert_str_eq(H.log, "50 W signal\n"
                            "50 S resumed, woke 1\n"
                            "150 W timeout\n"
                            "250 W timeout\n"
                            "1250 W wait over\n");
}

/* A signal and a timeout due at the same instant: the earlier-queued entry wins, deterministically. */
Test(signals, signal_racing_a_timeout_at_the_same_tick)
{
    spawn_sender("S", 10, 100, 1, 0);
    h_spawn("W", timed_waiter, sizeof(struct timed), 10, 0, 0);
    h_run(100, 100);
    /* S was queued for 100 before W queued its timeout for 100, so S runs first and W gets the signal. */
    cr_assert_str_eq(H.log, "100 W signal\n100 S resumed, woke 1\n");
}

Test(signals, timeout_racing_a_signal_at_the_same_tick)
{
    h_spawn("W", timed_waiter, sizeof(struct timed), 10, 0, 0);
    h_run(0, 10);
    spawn_sender("S", 10, 100, 1, 0);
    h_run(100, 100);
    /*
     * Now the timeout was queued first: W times out, runs, and registers
     * again before S runs, so S's send wakes that new registration.
     */
    cr_assert_str_eq(H.log, "100 W timeout\n100 W signal\n100 S resumed, woke 1\n");
}

static int multi_waiter(coop_task *t)
{
    static const char *const names[] = { "a", "b" };
    COOP_BEGIN(t);
    COOP_YIELD(t);
    COOP_CALL(t, coop_wait_signals(t, names, 2, 0));
    h_log(t, "got %s=%lld", coop_result_of(t)->signal, (long long)coop_result_of(t)->value);
    COOP_CALL(t, coop_wait(t, COOP_MS(1000)));
    h_log(t, "wait over");
    COOP_END(t);
}

static int send_a_then_b(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    COOP_CALL(t, coop_send_signal(t, "a", 1, 0));
    COOP_CALL(t, coop_wait(t, COOP_MS(300)));
    COOP_CALL(t, coop_send_signal(t, "b", 2, 0));
    h_log(t, "sent b, woke %lld", (long long)coop_result(t));
    COOP_END(t);
}

/* b15 fixed: the first signal removes every other registration. */
Test(signals, wait4signals_drops_the_other_registrations)
{
    h_spawn("M", multi_waiter, 0, 10, 0, 0);
    h_spawn("S", send_a_then_b, 0, 10, 0, 10);
    h_run(3000, 100);
    cr_assert_str_eq(H.log, "10 M got a=1\n310 S sent b, woke 0\n1010 M wait over\n");
}

/* b04 fixed: resume-after 0 reschedules the sender normally instead of dropping it. */
Test(signals, resume_after_zero_reschedules_the_sender)
{
    spawn_sender("S", 10, 5, 1, 0);
    h_run(100, 100);
    cr_assert_str_eq(H.log, "5 S resumed, woke 0\n");
}

struct periodic_sender {
    int n;
};

static int periodic_sender(coop_task *t)
{
    struct periodic_sender *st = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    for (st->n = 0; st->n < 4; st->n++) {
        h_log(t, "send");
        COOP_CALL(t, coop_send_signal(t, "s", st->n, COOP_MS(1)));
        COOP_YIELD(t);
    }
    COOP_END(t);
}

/* b14 fixed: a periodic sender resumes 1 ms later but keeps its period grid. */
Test(signals, periodic_sender_keeps_its_grid)
{
    h_spawn("P", periodic_sender, sizeof(struct periodic_sender), 10, 1000, 0);
    h_run_seed(5000, 100);
    cr_assert_str_eq(H.log, "1000 P send\n2000 P send\n3000 P send\n4000 P send\n");
}

static int send_wait(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    COOP_CALL(t, coop_send_wait_signal(t, "s", 1, COOP_MS(50)));
    h_log(t, "code %lld", (long long)coop_result(t));
    COOP_CALL(t, coop_send_wait_signal(t, "s", 2, 0));
    h_log(t, "reply %s=%lld", coop_result_of(t)->signal, (long long)coop_result_of(t)->value);
    COOP_END(t);
}

/* b22 fixed: SendWaitSignal never receives its own send; it receives the next one. */
Test(signals, send_wait_signal_skips_its_own_send)
{
    h_spawn("SW", send_wait, 0, 10, 0, 0);
    spawn_sender("S", 10, 200, 9, 0);
    h_run(1000, 100);
    cr_assert_str_eq(H.log, "50 SW code -110\n200 SW reply s=9\n200 S resumed, woke 1\n");
}

Test(signals, outside_send_wakes_waiters_and_counts_them)
{
    h_spawn("W1", waiter, 0, 10, 0, 0);
    h_spawn("W2", waiter, 0, 10, 0, 0);
    h_run(0, 10);
    h_set_ms(42);
    cr_assert_eq(coop_signal(H.s, "s", 5), 2);
    cr_assert_eq(coop_signal(H.s, "nobody", 5), 0);
    h_run(42, 10);
    cr_assert_str_eq(H.log, "42 W1 got s=5 code 0\n42 W2 got s=5 code 0\n");
}

static int too_many(coop_task *t)
{
    static const char *const names[COOP_MAX_WAIT_SIGNALS + 1] = { "a" };
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait_signals(t, names, COOP_MAX_WAIT_SIGNALS + 1, 0));
    h_log(t, "code %lld", (long long)coop_result(t));
    COOP_CALL(t, coop_wait_signals(t, names, 0, 0));
    h_log(t, "code %lld", (long long)coop_result(t));
    COOP_CALL(t, coop_send_signal(t, NULL, 0, 0));
    h_log(t, "code %lld", (long long)coop_result(t));
    COOP_END(t);
}

Test(signals, bad_arguments_fail_the_call_not_the_task)
{
    h_spawn("T", too_many, 0, 10, 0, 0);
    h_run(10, 100);
    cr_assert_str_eq(H.log, "0 T code -7\n0 T code -22\n0 T code -22\n");
}

/* Many waiters, several signals, a wake-up storm: the structures stay consistent. */
static int churn(coop_task *t)
{
    static const char *const names[] = { "x", "y", "z" };
    COOP_BEGIN(t);
    for (;;) {
        COOP_CALL(t,
                  coop_wait_signals(t, names + coop_task_tid(t) % 2, 2, COOP_MS(coop_task_tid(t) % 7 + 1)));
        COOP_CALL(t, coop_send_signal(t, names[coop_task_tid(t) % 3], 1, 0));
    }
    COOP_END(t);
}

Test(signals, churn_keeps_invariants)
{
    for (int i = 0; i < 50; i++)
        h_spawn(NULL, churn, 0, 1 + i % 5, 0, 0);
    cr_assert_eq(h_run(1000000, 20000), 20000);
}
