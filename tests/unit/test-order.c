/* Ready order: (time2run, prio, FIFO), period-0 interleaving, and one step per tick under the seed model. */
#include <criterion/criterion.h>

#include "harness.h"

TestSuite(order, .init = h_setup, .fini = h_teardown);

/* Logs "run" at every step, forever. */
static int runner(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    for (;;) {
        h_log(t, "run");
        COOP_YIELD(t);
    }
    COOP_END(t);
}

/* Logs once after its setup, then ends. */
static int once(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    h_log(t, "run");
    COOP_END(t);
}

Test(order, equal_time_lower_prio_number_first_then_fifo)
{
    h_spawn("A_p10", once, 0, 10, 0, 100);
    h_spawn("B_p10", once, 0, 10, 0, 100);
    h_spawn("C_p1", once, 0, 1, 0, 100);
    h_spawn("E_p20", once, 0, 20, 0, 100);
    h_run(1000, 100);
    cr_assert_str_eq(H.log, "100 C_p1 run\n100 A_p10 run\n100 B_p10 run\n100 E_p20 run\n");
}

Test(order, prio_never_beats_an_earlier_time)
{
    h_spawn("late_p1", once, 0, 1, 0, 101);
    h_spawn("early_p20", once, 0, 20, 0, 100);
    h_set_ms(200);
    h_run(1000, 100);
    cr_assert_str_eq(H.log, "200 early_p20 run\n200 late_p1 run\n");
}

/* The seed's b19 driver, under its timing model: one step per tick, nothing at tick 0. */
Test(order, seed_model_one_step_per_tick)
{
    h_spawn("Z0", runner, 0, 10, 0, 0);
    h_spawn("C_p1", once, 0, 1, 0, 100);
    h_spawn("A_p10", once, 0, 10, 0, 100);
    h_spawn("B_p10", once, 0, 10, 0, 100);
    h_spawn("E_p20", once, 0, 20, 0, 100);
    h_spawn("D_p1_at101", once, 0, 1, 0, 101);
    h_run_seed(107, 1000);
    cr_assert(strncmp(H.log, "1 Z0 run\n", 9) == 0, "the first step is at tick 1");
    /* Z0 ran at 99, so at 100 its key (99) still comes first; at 100 it is re-queued behind A and B. */
    const char *tail = strstr(H.log, "99 Z0 run\n");
    cr_assert(tail != NULL);
    cr_assert_str_eq(tail, "99 Z0 run\n"
                           "100 Z0 run\n"
                           "101 C_p1 run\n"
                           "102 A_p10 run\n"
                           "103 B_p10 run\n"
                           "104 Z0 run\n"
                           "105 E_p20 run\n"
                           "106 D_p1_at101 run\n"
                           "107 Z0 run\n");
}

Test(order, period_zero_tasks_alternate)
{
    h_spawn("X", runner, 0, 10, 0, 0);
    h_spawn("Y", runner, 0, 10, 0, 0);
    h_run(0, 6);
    cr_assert_str_eq(H.log, "0 X run\n0 Y run\n0 X run\n0 Y run\n0 X run\n0 Y run\n");
}

Test(order, a_higher_prio_ready_task_runs_first_at_equal_time)
{
    h_spawn("low", runner, 0, 50, 0, 0);
    h_spawn("high", runner, 0, 5, 0, 0);
    h_run(0, 3);
    cr_assert_str_eq(H.log, "0 high run\n0 high run\n0 high run\n");
}

/* A task queued in the heap and one in a ring with the same key parts must still be FIFO. */
Test(order, heap_and_ring_agree_on_fifo)
{
    h_spawn("T1", once, 0, 10, 0, 5); /* due at 5, queued in the heap */
    h_set_ms(5);
    h_spawn("T2", once, 0, 10, 0, 0); /* due at 5 too, queued later, in a ring */
    h_run(5, 10);
    cr_assert_str_eq(H.log, "5 T1 run\n5 T2 run\n");
}

/* Logs at its setup, queues itself with `what`, and logs when it runs next. */
static int waits_10ms(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait(t, COOP_MS(10)));
    h_log(t, "run");
    COOP_END(t);
}

static int times_out_10ms(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait_signal(t, "never", COOP_MS(10)));
    h_log(t, "timeout %lld", (long long)coop_result(t));
    COOP_END(t);
}

/*
 * Equal timers share one heap entry (a chain); a timeout with the same
 * key queued between two of them must still run between them, so the
 * second timer may not join the first one's chain.
 */
Test(order, a_timeout_between_equal_timers_keeps_its_place)
{
    h_spawn("A", waits_10ms, 0, 10, 0, 0);
    h_spawn("B", times_out_10ms, 0, 10, 0, 0);
    h_spawn("C", waits_10ms, 0, 10, 0, 0);
    h_run(100, 100);
    cr_assert_str_eq(H.log, "10 A run\n10 B timeout -110\n10 C run\n");
}

/*
 * A periodic task made late by a stalled clock queues behind a ready
 * task of the same key that was queued on time, and ahead of one queued
 * after it (the late flag settles the tie between the heap and a ring).
 */
static int yields_forever(coop_task *t)
{
    COOP_BEGIN(t);
    for (;;) {
        COOP_YIELD(t);
        h_log(t, "run");
    }
    COOP_END(t);
}

Test(order, late_heap_entries_tie_with_ring_tasks_by_queue_order)
{
    h_spawn("P", yields_forever, 0, 10, 10, 0); /* periodic: 10, 20, 30 ... */
    h_set_ms(20);
    h_spawn("R", once, 0, 10, 0, 0); /* queued at 20, in a ring */
    h_run(20, 3);
    /* P's 10 ms run is late; it re-arms for 20, which has passed too: behind R. */
    cr_assert_str_eq(H.log, "20 P run\n20 R run\n20 P run\n");
}
