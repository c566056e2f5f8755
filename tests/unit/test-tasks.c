/* Task calls: GetTaskRef, GetTaskDict, AddTask, CreateTask, KillTask, WaitTask, KillOs, Wait, exits. */
#include <criterion/criterion.h>

#include "coop/introspect.h"
#include "harness.h"

TestSuite(tasks, .init = h_setup, .fini = h_teardown);

static int idle_forever(coop_task *t)
{
    COOP_BEGIN(t);
    for (;;)
        COOP_CALL(t, coop_wait_signal(t, "never", 0));
    COOP_END(t);
}

static int ticker(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    for (;;) {
        h_log(t, "tick");
        COOP_YIELD(t);
    }
    COOP_FINALLY(t);
    h_log(t, "cleanup");
    COOP_END(t);
}

Test(tasks, abandoning_the_scheduler_runs_no_cleanup_and_frees_everything)
{
    h_spawn("T", ticker, 0, 10, 10, 0);
    h_spawn("W", idle_forever, 0, 10, 0, 0);
    h_run(15, 100);
    coop_sched_abandon(H.s);
    H.s = NULL;
    cr_assert_str_eq(H.log, "10 T tick\n");
    cr_assert_eq(H.allocs, H.frees);
}

static int ref_and_dict(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    COOP_CALL(t, coop_get_task_ref(t));
    h_log(t, "ref tid %lld", (long long)coop_result(t));
    COOP_CALL(t, coop_get_task_dict(t));
    h_log(t, "dict %lld", (long long)coop_result(t));
    coop_task_iter it;
    coop_task_iter_init(&it, coop_task_sched(t));
    for (coop_task *x; (x = coop_task_iter_next(&it));)
        h_log(t, "has %u %s", coop_task_tid(x), coop_task_name(x));
    COOP_END(t);
}

Test(tasks, get_task_ref_and_dict)
{
    h_spawn("a", idle_forever, 0, 10, 0, 0);
    h_spawn(NULL, idle_forever, 0, 10, 0, 0);
    h_spawn("me", ref_and_dict, 0, 10, 0, 0);
    h_run(0, 100);
    cr_assert_str_eq(H.log, "0 me ref tid 3\n0 me dict 3\n0 me has 1 a\n0 me has 2 task_2\n0 me has 3 me\n");
}

struct parent {
    int64_t child;
};

static int child_setup_logs(coop_task *t)
{
    COOP_BEGIN(t);
    h_log(t, "setup");
    COOP_YIELD(t);
    h_log(t, "first run");
    COOP_END(t);
}

static int creator(coop_task *t)
{
    struct parent *p = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    h_log(t, "creating");
    COOP_CALL(
        t, coop_create_task(
               t, &(coop_task_spec){ .step = child_setup_logs, .name = "kid", .time2run_ns = COOP_MS(5) }));
    p->child = coop_result(t);
    h_log(t, "created tid %lld", (long long)p->child);
    COOP_END(t);
}

Test(tasks, create_task_runs_setup_inside_the_creator_and_returns_the_tid)
{
    h_spawn("parent", creator, sizeof(struct parent), 10, 0, 0);
    h_run(100, 100);
    cr_assert_str_eq(H.log, "0 parent creating\n0 kid setup\n0 parent created tid 2\n5 kid first run\n");
}

static int adder(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    {
        coop_task *kid =
            coop_task_new(coop_task_sched(t), &(coop_task_spec){ .step = child_setup_logs, .name = "kid" });
        cr_assert_not_null(kid);
        COOP_CALL(t, coop_add_task(t, kid));
    }
    h_log(t, "resumed, added %lld", (long long)coop_result(t));
    COOP_END(t);
}

/* b05 fixed: the caller of AddTask resumes. */
Test(tasks, add_task_resumes_the_caller)
{
    h_spawn("parent", adder, 0, 10, 0, 0);
    h_run(100, 100);
    cr_assert_str_eq(H.log, "0 kid setup\n0 kid first run\n0 parent resumed, added 2\n");
}

static int setup_waits(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait(t, COOP_MS(20)));
    h_log(t, "after setup wait");
    COOP_END(t);
}

/* b21 fixed: a call yielded by the setup takes effect instead of being discarded. */
Test(tasks, a_call_from_the_setup_takes_effect)
{
    h_spawn("S", setup_waits, 0, 10, 0, 0);
    h_run(100, 100);
    cr_assert_str_eq(H.log, "20 S after setup wait\n");
}

struct killer {
    uint32_t victim;
};

static int killer(coop_task *t)
{
    struct killer *k = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    COOP_CALL(t, coop_kill_task(t, k->victim));
    h_log(t, "kill -> %lld", (long long)coop_result(t));
    COOP_CALL(t, coop_kill_task(t, k->victim));
    h_log(t, "again -> %lld", (long long)coop_result(t));
    COOP_END(t);
}

static int task_waiter(coop_task *t)
{
    struct killer *k = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    COOP_CALL(t, coop_wait_task(t, k->victim));
    h_log(t, "victim ended with %lld", (long long)coop_result(t));
    COOP_END(t);
}

static int64_t spawn_with_victim(const char *name, coop_step_fn step, uint32_t victim, int64_t at_ms)
{
    struct killer k = { victim };
    coop_task_spec spec = {
        .step = step, .name = name, .state_size = sizeof(k), .init = &k, .time2run_ns = COOP_MS(at_ms)
    };
    return coop_spawn(H.s, &spec);
}

/* b06 fixed: the victim is reaped at once, even while blocked, and its waiters wake at once. */
Test(tasks, kill_task_reaps_at_once_and_wakes_waiters)
{
    int64_t v = h_spawn("victim", idle_forever, 0, 10, 0, 0);
    spawn_with_victim("W", task_waiter, (uint32_t)v, 0);
    spawn_with_victim("K", killer, (uint32_t)v, 20);
    h_run(2000, 100);
    cr_assert_str_eq(H.log, "20 W victim ended with -125\n20 K kill -> 1\n20 K again -> 0\n");
    cr_assert_null(coop_task_find(H.s, (uint32_t)v));
}

Test(tasks, killing_a_ticking_task_runs_its_cleanup)
{
    int64_t v = h_spawn("T", ticker, 0, 10, 10, 0);
    spawn_with_victim("K", killer, (uint32_t)v, 25);
    h_run(100, 100);
    cr_assert_str_eq(H.log, "10 T tick\n20 T tick\n25 T cleanup\n25 K kill -> 1\n25 K again -> 0\n");
}

static int self_killer(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    COOP_CALL(t, coop_kill_task(t, coop_task_tid(t)));
    h_log(t, "still alive?!");
    COOP_FINALLY(t);
    h_log(t, "cleanup");
    COOP_END(t);
}

Test(tasks, a_task_that_kills_itself_does_not_resume)
{
    /* W is tid 1 and waits on tid 2, the self-killer, which it can reach because it runs first. */
    spawn_with_victim("W", task_waiter, 2, 0);
    h_spawn("self", self_killer, 0, 10, 0, 0);
    h_run(100, 100);
    cr_assert_str_eq(H.log, "0 self cleanup\n0 W victim ended with -125\n");
}

static int exiter(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    cr_assert_eq(coop_task_exit_status(t), 0, "alive: no status yet");
    COOP_EXIT(t, 42);
    COOP_FINALLY(t);
    h_log(t, "cleanup");
    cr_assert_eq(coop_task_exit_status(t), 42, "the cleanup sees the status it ends with");
    COOP_END(t);
}

static int quick_end(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    COOP_END(t);
}

Test(tasks, wait_task_receives_the_exit_status)
{
    int64_t a = h_spawn("A", exiter, 0, 10, 0, 10);
    int64_t b = h_spawn("B", quick_end, 0, 10, 0, 10);
    spawn_with_victim("WA", task_waiter, (uint32_t)a, 0);
    spawn_with_victim("WB", task_waiter, (uint32_t)b, 0);
    h_run(100, 100);
    cr_assert_str_eq(H.log, "10 A cleanup\n10 WA victim ended with 42\n10 WB victim ended with 0\n");
}

Test(tasks, wait_task_on_unknown_or_own_tid_answers_at_once)
{
    spawn_with_victim("W", task_waiter, 99, 0);
    spawn_with_victim("self", task_waiter, 2, 0);
    h_run(100, 100);
    cr_assert_str_eq(H.log, "0 W victim ended with -3\n0 self victim ended with -35\n");
}

/* b11 fixed: a periodic waiter woken late does not replay a burst of missed periods. */
static int periodic_waiter(coop_task *t)
{
    struct killer *k = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    h_log(t, "waiting");
    COOP_CALL(t, coop_wait_task(t, k->victim));
    for (;;) {
        h_log(t, "run");
        COOP_YIELD(t);
    }
    COOP_END(t);
}

Test(tasks, a_woken_periodic_task_does_not_burst)
{
    int64_t v = h_spawn("V", quick_end, 0, 10, 0, 1000);
    struct killer k = { (uint32_t)v };
    coop_task_spec spec = {
        .step = periodic_waiter, .name = "W", .state_size = sizeof(k), .init = &k, .period_ns = COOP_MS(100)
    };
    coop_spawn(H.s, &spec);
    h_run_seed(1250, 100);
    /* Woken at 1000 (it runs at 1001 under the seed model), it is next due one period after the wake. */
    cr_assert_str_eq(H.log, "100 W waiting\n1001 W run\n1100 W run\n1200 W run\n");
}

static int os_killer(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    COOP_CALL(t, coop_kill_os(t));
    h_log(t, "resumed after KillOs?!");
    COOP_FINALLY(t);
    h_log(t, "cleanup");
    COOP_END(t);
}

/* b01 fixed: every task is killed in tid order, each cleanup runs, and the loop stops. */
Test(tasks, kill_os_kills_everything_in_tid_order)
{
    h_spawn("T1", ticker, 0, 10, 5, 0);
    h_spawn("K", os_killer, 0, 10, 0, 10);
    h_spawn("T3", ticker, 0, 10, 5, 0);
    h_spawn("T4", ticker, 0, 10, 5, 0);
    h_run(10, 100);
    cr_assert(coop_is_stopped(H.s));
    cr_assert_eq(coop_task_count(H.s), 0);
    const char *tail = strstr(H.log, "10 T1 cleanup");
    cr_assert_not_null(tail);
    cr_assert_str_eq(tail, "10 T1 cleanup\n10 K cleanup\n10 T3 cleanup\n10 T4 cleanup\n");
}

Test(tasks, spawn_rejects_bad_specs)
{
    cr_assert_eq(coop_spawn(H.s, NULL), -COOP_EINVAL);
    cr_assert_eq(coop_spawn(H.s, &(coop_task_spec){ .step = NULL }), -COOP_EINVAL);
    cr_assert_eq(coop_spawn(H.s, &(coop_task_spec){ .step = quick_end, .prio = 101 }), -COOP_EINVAL);
    cr_assert_eq(coop_spawn(H.s, &(coop_task_spec){ .step = quick_end, .prio = -1 }), -COOP_EINVAL);
    cr_assert_eq(coop_spawn(H.s, &(coop_task_spec){ .step = quick_end, .late = 7 }), -COOP_EINVAL);
    char long_name[COOP_NAME_MAX + 2];
    memset(long_name, 'x', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    cr_assert_eq(coop_spawn(H.s, &(coop_task_spec){ .step = quick_end, .name = long_name }),
                 -COOP_ENAMETOOLONG);
    long_name[COOP_NAME_MAX] = '\0';
    cr_assert_gt(coop_spawn(H.s, &(coop_task_spec){ .step = quick_end, .name = long_name }), 0);
}

Test(tasks, tids_increase_and_are_never_reused)
{
    int64_t a = h_spawn("a", quick_end, 0, 10, 0, 0);
    h_run(10, 10);
    int64_t b = h_spawn("b", quick_end, 0, 10, 0, 0);
    cr_assert_eq(a, 1);
    cr_assert_eq(b, 2);
}

Test(tasks, set_prio_and_accessors)
{
    int64_t tid = h_spawn("p", ticker, 0, 10, 50, 0);
    coop_task *t = coop_task_find(H.s, (uint32_t)tid);
    cr_assert_eq(coop_task_prio(t), 10);
    cr_assert_eq(coop_task_set_prio(t, 0), -COOP_EINVAL);
    cr_assert_eq(coop_task_set_prio(t, 3), 0);
    cr_assert_eq(coop_task_prio(t), 3);
    cr_assert_eq(coop_task_period_ns(t), COOP_MS(50));
    cr_assert_eq(coop_task_sched(t), H.s);
    h_run(60, 10);
    cr_assert_gt(coop_task_resume_line(t), 0);
}

Test(tasks, outside_kill_and_discard)
{
    int64_t tid = h_spawn("T", ticker, 0, 10, 10, 0);
    cr_assert_eq(coop_kill(H.s, (uint32_t)tid), 1);
    cr_assert_eq(coop_kill(H.s, (uint32_t)tid), 0);
    coop_task *d = coop_task_new(H.s, &(coop_task_spec){ .step = ticker });
    cr_assert_not_null(d);
    coop_task_discard(d);
    cr_assert_str_eq(H.log, "0 T cleanup\n");
}

static int waiter_then_tick(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    COOP_CALL(t, coop_wait(t, COOP_MS(30)));
    h_log(t, "waited");
    COOP_CALL(t, coop_wait(t, 0));
    h_log(t, "waited 0");
    COOP_END(t);
}

Test(tasks, wait_for_a_non_periodic_task_counts_from_now)
{
    h_spawn("W", waiter_then_tick, 0, 10, 0, 0);
    h_run(100, 100);
    cr_assert_str_eq(H.log, "30 W waited\n30 W waited 0\n");
}

/* b13: for a periodic task, Wait counts from its nominal due time, so a late task returns early. */
Test(tasks, wait_for_a_periodic_task_counts_from_the_nominal_time)
{
    h_spawn("P", waiter_then_tick, 0, 10, 100, 0);
    h_set_ms(150);
    h_run(1000, 100);
    /* Due at 100, run at 150: Wait(30) is due at 130, already past, so it returns at once. */
    cr_assert_str_eq(H.log, "150 P waited\n150 P waited 0\n");
}

Test(tasks, the_scheduler_carries_one_user_pointer)
{
    int shared = 7;
    cr_assert_null(coop_sched_user(H.s));
    coop_sched_set_user(H.s, &shared);
    cr_assert_eq(coop_sched_user(H.s), &shared);
}

static int waits_on_io(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait_task(t, 1));
    COOP_END(t);
}

static int waits_on_two(coop_task *t)
{
    static const char *const names[] = { "a", "b" };
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait_signals(t, names, 2, COOP_MS(500)));
    COOP_END(t);
}

static coop_wait_info seen_in_step, seen_in_cleanup;

static int looks_at_itself(coop_task *t)
{
    COOP_BEGIN(t);
    coop_task_wait_info(t, &seen_in_step);
    COOP_CALL(t, coop_wait_signal(t, "never", 0));
    COOP_FINALLY(t);
    coop_task_wait_info(t, &seen_in_cleanup);
    COOP_END(t);
}

/* The parts behind the description: running in its own step, blocked, ended, and not added yet. */
Test(tasks, wait_info_tells_running_blocked_ended_and_detached_apart)
{
    int64_t tid = h_spawn("self", looks_at_itself, 0, 10, 0, 0);
    h_run(0, 10);
    cr_assert_eq(seen_in_step.where, COOP_WHERE_RUNNING);
    cr_assert_eq(seen_in_step.kind, COOP_WAITS_NOTHING);

    coop_task *t = coop_task_find(H.s, (uint32_t)tid);
    coop_wait_info info;
    coop_task_wait_info(t, &info);
    cr_assert_eq(info.where, COOP_WHERE_BLOCKED);
    cr_assert_eq(info.kind, COOP_WAITS_SIGNAL);
    cr_assert_eq(info.nsignals, 1);
    cr_assert(!info.has_deadline);
    cr_assert_str_eq(coop_task_wait_signal(t, 0), "never");
    cr_assert_null(coop_task_wait_signal(t, 1));
    cr_assert_eq(coop_task_wait_fd(t, 0, NULL, NULL), -1);

    cr_assert_eq(coop_kill(H.s, (uint32_t)tid), 1);
    cr_assert_eq(seen_in_cleanup.where, COOP_WHERE_ENDED);
    cr_assert_eq(seen_in_cleanup.kind, COOP_WAITS_NOTHING);
    cr_assert_eq(seen_in_cleanup.fd, -1);

    coop_task *kid = coop_task_new(H.s, &(coop_task_spec){ .step = looks_at_itself, .name = "kid" });
    cr_assert_not_null(kid);
    coop_task_wait_info(kid, &info);
    cr_assert_eq(info.where, COOP_WHERE_ENDED);
    cr_assert_null(coop_task_wait_signal(kid, 0));
    cr_assert_eq(coop_task_wait_fd(kid, 0, NULL, NULL), -1);
    coop_task_discard(kid);
}

static const char *describe(int64_t tid)
{
    static char buf[128];
    coop_task_describe_wait(coop_task_find(H.s, (uint32_t)tid), buf, sizeof(buf));
    return buf;
}

Test(tasks, describe_wait_says_what_each_task_waits_on)
{
    int64_t timed = h_spawn("timed", ticker, 0, 10, 100, 0);
    int64_t ready = h_spawn("ready", ticker, 0, 10, 0, 0);
    int64_t on_task = h_spawn("on_task", waits_on_io, 0, 10, 0, 0);
    int64_t on_two = h_spawn("on_two", waits_on_two, 0, 10, 0, 0);
    int64_t on_one = h_spawn("on_one", idle_forever, 0, 10, 0, 0);
    cr_assert_str_eq(describe(timed), "due at 100000000 ns");
    cr_assert_str_eq(describe(ready), "ready");
    cr_assert_str_eq(describe(on_task), "task 1");
    cr_assert_str_eq(describe(on_two), "signals 'a', 'b' (timeout at 500000000 ns)");
    cr_assert_str_eq(describe(on_one), "signal 'never'");
    char tiny[8];
    cr_assert_eq(coop_task_describe_wait(coop_task_find(H.s, (uint32_t)timed), tiny, sizeof(tiny)), 7);
    cr_assert_str_eq(tiny, "due at ");
    cr_assert_eq(coop_task_describe_wait(coop_task_find(H.s, (uint32_t)timed), NULL, 0), 0);
}

static int asks_fault(coop_task *t)
{
    COOP_BEGIN(t);
    h_log(t, "fault point says %d", coop_fault_point(t, "x"));
    COOP_END(t);
}

Test(tasks, fault_points_say_no_without_a_simulator)
{
    h_spawn("f", asks_fault, 0, 10, 0, 0);
    cr_assert_str_eq(H.log, "0 f fault point says 0\n");
}

/* A waiter killed while in WaitTask leaves its target's list: the target's end wakes only the others. */
Test(tasks, a_killed_wait_task_waiter_is_not_woken_later)
{
    int64_t target = h_spawn("target", ticker, 0, 10, 10, 0);
    int64_t w1 = spawn_with_victim("W1", task_waiter, (uint32_t)target, 0);
    spawn_with_victim("W2", task_waiter, (uint32_t)target, 0);
    spawn_with_victim("K1", killer, (uint32_t)w1, 5);
    spawn_with_victim("K2", killer, (uint32_t)target, 25);
    h_run(100, 100);
    coop_verify(H.s);
    cr_assert_str_eq(H.log,
                     "5 K1 kill -> 1\n5 K1 again -> 0\n10 target tick\n20 target tick\n"
                     "25 target cleanup\n25 W2 victim ended with -125\n25 K2 kill -> 1\n25 K2 again -> 0\n");
}

/* Ends itself from inside its own step (not through KillTask): the step finishes, then the task ends. */
static int kills_itself_outright(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    h_log(t, "kill -> %d", coop_kill(coop_task_sched(t), coop_task_tid(t)));
    h_log(t, "still in the step, status %d", coop_task_exit_status(t));
    COOP_CALL(t, coop_wait(t, COOP_MS(5)));
    h_log(t, "never");
    COOP_FINALLY(t);
    h_log(t, "cleanup with %d", coop_task_exit_status(t));
    COOP_END(t);
}

Test(tasks, a_task_ended_during_its_own_step_ends_when_the_step_returns)
{
    int64_t tid = h_spawn("S", kills_itself_outright, 0, 10, 0, 0);
    h_run(100, 100);
    cr_assert_str_eq(H.log, "0 S kill -> 1\n0 S still in the step, status -125\n0 S cleanup with -125\n");
    cr_assert_null(coop_task_find(H.s, (uint32_t)tid));
}

/* Periods live in shared kinds: changing one moves the task to another, and many periods make many kinds. */
static int reperiod(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    h_log(t, "run, period %lld ms", (long long)(coop_task_period_ns(t) / 1000000));
    cr_assert_eq(coop_task_set_period_ns(t, coop_task_period_ns(t)), 0, "the same period needs nothing");
    cr_assert_eq(coop_task_set_period_ns(t, -1), 0);
    cr_assert_eq(coop_task_period_ns(t), -1);
    COOP_YIELD(t);
    h_log(t, "never: with a negative period the next plain yield ends the task");
    COOP_END(t);
}

Test(tasks, set_period_moves_a_task_between_kinds)
{
    for (int i = 1; i <= 20; i++)
        cr_assert_gt(h_spawn(NULL, reperiod, 0, 10, i, 0), 0);
    cr_assert_gt(h_spawn("P", reperiod, 0, 10, 30, 0), 0);
    h_run(100, 1000);
    cr_assert(strstr(H.log, "30 P run, period 30 ms\n") != NULL, "%s", H.log);
    cr_assert(strstr(H.log, "never") == NULL);
    cr_assert_eq(coop_task_count(H.s), 0);
}
