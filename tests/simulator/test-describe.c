/* What a task waits on, in parts (coop/introspect.h), and the world as text (coop_sim_describe). */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coop/introspect.h"
#include "coop/poller.h"
#include "coop/sim.h"

static int two_signals(coop_task *t)
{
    static const char *const names[] = { "alpha", "beta" };
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait_signals(t, names, 2, COOP_MS(50)));
    COOP_CALL(t, coop_wait_signal(t, "never", 0));
    COOP_END(t);
}

static int ticker(coop_task *t)
{
    COOP_BEGIN(t);
    for (;;)
        COOP_YIELD(t);
    COOP_END(t);
}

static int joiner(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait_task(t, 2));
    COOP_END(t);
}

/* Listens on 127.0.0.1:9000 and waits for a connection. */
static int listener(coop_task *t)
{
    int *fd = coop_state(t);
    COOP_BEGIN(t);
    *fd = coop_listen(coop_task_sched(t), "127.0.0.1", 9000, 4);
    COOP_CALL(t, coop_stream_reader(t, *fd));
    COOP_CALL(t, coop_stream_wait(t, 0));
    COOP_END(t);
}

static int64_t spawn(coop_sim *sim, const char *name, coop_step_fn step, int64_t period_ms, size_t state)
{
    coop_task_spec spec = {
        .step = step, .name = name, .period_ns = COOP_MS(period_ms), .state_size = state
    };
    return coop_spawn(coop_sim_sched(sim), &spec);
}

static coop_sim *world(bool track)
{
    coop_sim *sim = coop_sim_new(&(coop_sim_config){ 0 });
    cr_assert_not_null(sim);
    if (track)
        cr_assert_eq(coop_sim_track_waits(sim), 0);
    cr_assert_eq(spawn(sim, "waiter", two_signals, 0, 0), 1);
    cr_assert_eq(spawn(sim, "ticker", ticker, 30, 0), 2);
    cr_assert_eq(spawn(sim, "joiner", joiner, 0, 0), 3);
    cr_assert_eq(spawn(sim, "listener", listener, 0, sizeof(int)), 4);
    cr_assert_eq(coop_sim_signal_at(sim, COOP_MS(30), "beta", 7), 0);
    cr_assert_eq(coop_sim_signal_at(sim, COOP_MS(90), "alpha", 1), 0);
    return sim;
}

static char *describe(coop_sim *sim)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cr_assert_not_null(f);
    coop_sim_describe(sim, f, NULL, 0);
    fclose(f);
    return text;
}

Test(introspect, parts_of_each_wait)
{
    coop_sim *sim = world(false);
    cr_assert_eq(coop_sim_run_until(sim, COOP_MS(10)), COOP_SIM_UNTIL);
    coop_sched *s = coop_sim_sched(sim);
    coop_wait_info wi;

    coop_task_wait_info(coop_task_find(s, 1), &wi);
    cr_assert_eq(wi.where, COOP_WHERE_BLOCKED);
    cr_assert_eq(wi.kind, COOP_WAITS_SIGNAL);
    cr_assert_eq(wi.nsignals, 2);
    cr_assert_str_eq(coop_task_wait_signal(coop_task_find(s, 1), 0), "alpha");
    cr_assert_str_eq(coop_task_wait_signal(coop_task_find(s, 1), 1), "beta");
    cr_assert_null(coop_task_wait_signal(coop_task_find(s, 1), 2));
    cr_assert(wi.has_deadline);
    cr_assert_eq(wi.deadline_ns, COOP_MS(50));

    coop_task_wait_info(coop_task_find(s, 2), &wi);
    cr_assert_eq(wi.where, COOP_WHERE_DUE);
    cr_assert_eq(wi.kind, COOP_WAITS_NOTHING);
    cr_assert_eq(wi.deadline_ns, COOP_MS(30));

    coop_task_wait_info(coop_task_find(s, 3), &wi);
    cr_assert_eq(wi.kind, COOP_WAITS_TASK);
    cr_assert_eq(wi.tid, 2);
    cr_assert_not(wi.has_deadline);

    coop_task *l = coop_task_find(s, 4);
    coop_task_wait_info(l, &wi);
    cr_assert_eq(wi.kind, COOP_WAITS_IO);
    cr_assert_eq(wi.nfds, 1);
    unsigned interest = 0;
    cr_assert_geq(coop_task_wait_fd(l, 0, &interest, NULL), 0);
    cr_assert_eq(interest, COOP_EV_READ);
    cr_assert_eq(coop_task_wait_fd(l, 1, NULL, NULL), -1);
    coop_sim_free(sim);
}

Test(describe, tasks_timers_signals_and_what_woke_a_task)
{
    coop_sim *sim = world(true);
    cr_assert_eq(coop_sim_run_until(sim, COOP_MS(10)), COOP_SIM_UNTIL);
    char *text = describe(sim);
    cr_assert(strstr(text, "world at 10ms after "), "%s", text);
    cr_assert(strstr(text, "  task 1 waiter prio 10: blocked on signals 'alpha', 'beta', timeout at 50ms, "
                           "since 0ms\n"),
              "%s", text);
    cr_assert(strstr(text, "  task 2 ticker prio 10: due at 30ms, since 0ms\n"), "%s", text);
    cr_assert(strstr(text, "  task 3 joiner prio 10: blocked on task 2, since 0ms\n"), "%s", text);
    cr_assert(strstr(text, "  task 4 listener prio 10: blocked on fd "), "%s", text);
    cr_assert(strstr(text, " (read), since 0ms\n"), "%s", text);
    cr_assert(strstr(text, "  timers:\n    30ms: task 2 ticker (due)\n    50ms: task 1 waiter (timeout)\n"),
              "%s", text);
    cr_assert(strstr(text, "    'alpha': task 1 waiter\n    'beta': task 1 waiter\n"), "%s", text);
    cr_assert(strstr(text, "scripted events to come: 2, of them signals: 2\n  30ms: signal 'beta' value 7\n"),
              "%s", text);
    cr_assert(strstr(text, "listeners:\n  10.0.0.1 fd 3 port 9000: 0 waiting to be accepted (backlog 4)\n"),
              "%s", text);
    free(text);

    /* At 30ms the signal wakes the waiter, and the ticker, due then, runs first: stop right after it. */
    while (coop_sim_now(sim) < COOP_MS(30))
        cr_assert_eq(coop_sim_step(sim), COOP_SIM_RUNNING);
    text = describe(sim);
    cr_assert(strstr(text, "  task 1 waiter prio 10: ready, woken at 30ms by signal 'beta' value 7\n"), "%s",
              text);
    free(text);
    coop_sim_free(sim);
}

Test(describe, the_same_world_gives_the_same_text_without_addresses)
{
    coop_sim *a = world(true), *b = world(true), *c = world(false);
    cr_assert_eq(coop_sim_run_until(a, COOP_MS(25)), COOP_SIM_UNTIL);
    cr_assert_eq(coop_sim_run_until(b, COOP_MS(25)), COOP_SIM_UNTIL);
    cr_assert_eq(coop_sim_run_until(c, COOP_MS(25)), COOP_SIM_UNTIL);
    char *ta = describe(a), *tb = describe(b), *tc = describe(c);
    cr_assert_str_eq(ta, tb);
    cr_assert_null(strstr(ta, "0x"));
    /* Without tracking, the state is the same but nobody knows since when. */
    cr_assert(strstr(ta, ", since "));
    cr_assert_null(strstr(tc, ", since "), "%s", tc);
    cr_assert(strstr(tc, "  task 1 waiter prio 10: blocked on signals 'alpha', 'beta', timeout at 50ms\n"),
              "%s", tc);
    free(ta);
    free(tb);
    free(tc);
    coop_sim_free(a);
    coop_sim_free(b);
    coop_sim_free(c);
}

/* Listens on port 9100, then waits on a signal: the fd stays registered while the task waits on something else. */
static int holder(coop_task *t)
{
    int *fd = coop_state(t);
    COOP_BEGIN(t);
    *fd = coop_listen(coop_task_sched(t), "10.0.0.1", 9100, 4);
    COOP_CALL(t, coop_stream_reader(t, *fd));
    COOP_CALL(t, coop_wait_signal(t, "later", 0));
    COOP_END(t);
}

Test(describe, fds_held_while_waiting_on_something_else_and_their_pending_events)
{
    coop_sim *sim = coop_sim_new(&(coop_sim_config){ 0 });
    cr_assert_not_null(sim);
    cr_assert_eq(coop_sim_track_waits(sim), 0);
    cr_assert_eq(spawn(sim, "holder", holder, 0, sizeof(int)), 1);
    cr_assert_geq(coop_sim_peer_connect_at(sim, COOP_MS(5), 9100), 0);
    cr_assert_eq(coop_sim_run_until(sim, COOP_MS(10)), COOP_SIM_UNTIL);
    char *text = describe(sim);
    cr_assert(strstr(text, "  task 1 holder prio 10: blocked on signal 'later', since 0ms\n"
                           "    registered: fd 3 (read, read pending)\n"),
              "%s", text);
    cr_assert(strstr(text, "listeners:\n  10.0.0.1 fd 3 port 9100: 1 waiting to be accepted (backlog 4)\n"),
              "%s", text);
    cr_assert(
        strstr(
            text,
            "connections: 1\n  conn 1 connecting: peer (unnamed) -> 10.0.0.1 (not accepted yet) port 9100\n"),
        "%s", text);
    free(text);
    coop_sim_free(sim);
}
