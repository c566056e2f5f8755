/* Interrupt sources and tickless idle: raises from a signal handler and a thread, delivery order, idle waits. */
#include <criterion/criterion.h>

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

TestSuite(irq, .init = h_setup, .fini = h_teardown);

/* Waits on the signal named by its state, with no timeout, and logs what it got. */
static int waiter(coop_task *t)
{
    const char *name = *(const char **)coop_state(t);
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait_signal(t, name, 0));
    h_log(t, "woken by %s, value %lld", coop_result_of(t)->signal, (long long)coop_result_of(t)->value);
    COOP_END(t);
}

static void spawn_waiter(const char *task, const char *const *signal)
{
    coop_task_spec spec = { .step = waiter, .name = task, .state_size = sizeof(*signal), .init = signal };
    cr_assert_gt(coop_spawn(H.s, &spec), 0);
}

static const char *const BUTTON = "button", *const UART = "uart";

/* The idle-wait hooks below record what they were told. */
static int64_t timeouts[16];
static int nwaits;

static void record(int64_t timeout_ns)
{
    if (nwaits < 16)
        timeouts[nwaits] = timeout_ns;
    nwaits++;
    cr_assert_lt(nwaits, 1000, "the loop keeps idling");
}

static int button_id;

static void on_sigusr1(int sig)
{
    (void)sig;
    coop_irq_raise(H.s, button_id);
}

/* Plays the interrupt: a POSIX signal, delivered to this thread before raise() returns. */
static void idle_raises_signal(void *ctx, int64_t timeout_ns)
{
    (void)ctx;
    record(timeout_ns);
    raise(SIGUSR1);
}

Test(irq, a_raise_from_a_signal_handler_wakes_a_task_waiting_with_no_timeout)
{
    button_id = coop_irq_register(H.s, BUTTON);
    cr_assert_eq(button_id, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigusr1;
    cr_assert_eq(sigaction(SIGUSR1, &sa, NULL), 0);
    spawn_waiter("W", &BUTTON);
    coop_set_idle_wait_hook(H.s, idle_raises_signal, NULL);
    /* Without the source the loop would return BLOCKED at once. */
    cr_assert_eq(coop_mainloop(H.s, false, NULL), COOP_LOOP_EMPTY);
    cr_assert_str_eq(H.log, "0 W woken by button, value 1\n");
    cr_assert_eq(nwaits, 1);
    cr_assert_eq(timeouts[0], COOP_IDLE_FOREVER);
}

static atomic_int idle_seen;

static void *raiser(void *arg)
{
    (void)arg;
    while (!atomic_load(&idle_seen))
        sched_yield();
    coop_irq_raise(H.s, 0);
    coop_irq_raise(H.s, 0);
    return NULL;
}

/* Tells the thread the loop is idle, then sleeps as a port would, until a raise is pending. */
static void idle_until_raised(void *ctx, int64_t timeout_ns)
{
    (void)ctx;
    record(timeout_ns);
    atomic_store(&idle_seen, 1);
    while (!coop_irq_pending(H.s))
        sched_yield();
}

Test(irq, raises_from_another_thread_are_counted_and_delivered_at_the_next_turn)
{
    cr_assert_eq(coop_irq_register(H.s, BUTTON), 0);
    spawn_waiter("W", &BUTTON);
    coop_set_idle_wait_hook(H.s, idle_until_raised, NULL);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, raiser, NULL), 0);
    cr_assert_eq(coop_mainloop(H.s, false, NULL), COOP_LOOP_EMPTY);
    pthread_join(th, NULL);
    /* Both raises may land before the loop looks, or one after: the value counts what it saw. */
    cr_assert(strcmp(H.log, "0 W woken by button, value 2\n") == 0 ||
                  strcmp(H.log, "0 W woken by button, value 1\n") == 0,
              "%s", H.log);
}

Test(irq, sources_are_delivered_in_registration_order_with_their_raise_counts)
{
    cr_assert_eq(coop_irq_register(H.s, UART), 0);
    cr_assert_eq(coop_irq_register(H.s, BUTTON), 1);
    spawn_waiter("B", &BUTTON);
    spawn_waiter("U", &UART);
    coop_irq_raise(H.s, 1);
    coop_irq_raise(H.s, 0);
    coop_irq_raise(H.s, 1);
    coop_irq_raise(H.s, 7); /* not registered: ignored */
    coop_irq_raise(H.s, -1);
    cr_assert(coop_irq_pending(H.s));
    cr_assert_eq(coop_irq_deliver(H.s), 2);
    cr_assert(!coop_irq_pending(H.s));
    cr_assert_eq(coop_irq_deliver(H.s), 0);
    h_run(0, 10);
    /* uart first: it was registered first, though raised later. */
    cr_assert_str_eq(H.log, "0 U woken by uart, value 1\n0 B woken by button, value 2\n");
}

Test(irq, a_source_not_raised_since_its_last_delivery_wakes_nobody)
{
    cr_assert_eq(coop_irq_register(H.s, UART), 0);
    cr_assert_eq(coop_irq_register(H.s, BUTTON), 1);
    spawn_waiter("U", &UART);
    spawn_waiter("B", &BUTTON);
    h_run(0, 10);
    coop_irq_raise(H.s, 1);
    cr_assert_eq(coop_irq_deliver(H.s), 1);
    h_run(0, 10);
    cr_assert_str_eq(H.log, "0 B woken by button, value 1\n");
    coop_irq_raise(H.s, 0);
    cr_assert_eq(coop_irq_deliver(H.s), 1);
    h_run(0, 10);
    cr_assert_str_eq(H.log, "0 B woken by button, value 1\n0 U woken by uart, value 1\n");
}

Test(irq, registration_is_bounded_and_checked)
{
    cr_assert_eq(coop_irq_register(H.s, NULL), -COOP_EINVAL);
    char name[16];
    for (int i = 0; i < COOP_CONFIG_IRQ_SOURCES; i++) {
        snprintf(name, sizeof(name), "irq%d", i);
        cr_assert_eq(coop_irq_register(H.s, name), i);
    }
    cr_assert_eq(coop_irq_register(H.s, "one-too-many"), -COOP_ENOSPC);
}

Test(irq, without_memory_for_the_name_registration_fails)
{
    H.fail_after = H.allocs + 1;
    cr_assert_eq(coop_irq_register(H.s, BUTTON), -COOP_ENOMEM);
    H.fail_after = 0;
}

struct counted {
    int n;
};

static int periodic(coop_task *t)
{
    struct counted *c = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    for (c->n = 0; c->n < 3; c->n++) {
        h_log(t, "run");
        COOP_YIELD(t);
    }
    COOP_END(t);
}

/* A tickless port: sleeps exactly as long as it is told, by moving the virtual clock. */
static void idle_sleeps(void *ctx, int64_t timeout_ns)
{
    (void)ctx;
    record(timeout_ns);
    cr_assert_geq(timeout_ns, 0);
    H.now_ns += (uint64_t)timeout_ns;
}

Test(irq, the_idle_wait_hook_gets_the_time_until_the_next_due_task)
{
    h_spawn("P", periodic, sizeof(struct counted), 10, 25, 0);
    h_spawn("Q", periodic, sizeof(struct counted), 10, 40, 0);
    coop_set_idle_wait_hook(H.s, idle_sleeps, NULL);
    cr_assert_eq(coop_mainloop(H.s, false, NULL), COOP_LOOP_EMPTY);
    cr_assert_str_eq(H.log, "25 P run\n40 Q run\n50 P run\n75 P run\n80 Q run\n120 Q run\n");
    /* One idle turn per gap, not one per millisecond; the last two gaps end at each task's final step. */
    int64_t want[] = { 25, 15, 10, 25, 5, 20, 20, 40 };
    cr_assert_eq(nwaits, 8, "%d idle waits", nwaits);
    for (int i = 0; i < 8; i++)
        cr_assert_eq(timeouts[i], COOP_MS(want[i]), "wait %d was %lld ns", i, (long long)timeouts[i]);
    cr_assert_eq(coop_idle_count(H.s), 8);
}

Test(irq, with_no_source_a_loop_that_can_never_wake_still_returns_blocked)
{
    spawn_waiter("W", &BUTTON);
    coop_set_idle_wait_hook(H.s, idle_sleeps, NULL);
    cr_assert_eq(coop_mainloop(H.s, false, NULL), COOP_LOOP_BLOCKED);
    cr_assert_eq(nwaits, 0);
}
