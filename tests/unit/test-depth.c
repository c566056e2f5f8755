/* Bounded stack: setups that add tasks, however deep, and a cleanup that runs while a call is pending. */
#include <criterion/criterion.h>

#include <stdint.h>

#include "harness.h"

TestSuite(depth, .init = h_setup, .fini = h_teardown);

#define DEEP 1000

/* The lowest and highest stack addresses seen in a setup, to bound the stack the nesting takes. */
static uintptr_t stack_lo = UINTPTR_MAX, stack_hi;
static int64_t results[DEEP + 1];
static int deepest;

struct nest {
    int depth;
    int add; /* 1: AddTask, 0: CreateTask */
};

static void probe_stack(void)
{
    volatile char here = 0;
    uintptr_t a = (uintptr_t)&here;
    stack_lo = a < stack_lo ? a : stack_lo;
    stack_hi = a > stack_hi ? a : stack_hi;
}

/* Its setup adds the next level, until DEEP; each level then records what its call returned. */
static int nest(coop_task *t)
{
    struct nest *n = coop_state(t);
    COOP_BEGIN(t);
    probe_stack();
    if (n->depth > deepest)
        deepest = n->depth;
    if (n->depth < DEEP) {
        struct nest next = { n->depth + 1, n->add };
        coop_task_spec spec = { .step = nest, .state_size = sizeof(next), .init = &next };
        if (n->add)
            COOP_CALL(t, coop_add_task(t, coop_task_new(coop_task_sched(t), &spec)));
        else
            COOP_CALL(t, coop_create_task(t, &spec));
        results[n->depth] = coop_result(t);
    }
    COOP_END(t);
}

static void run_deep(int add)
{
    struct nest first = { 0, add };
    int64_t tid =
        coop_spawn(H.s, &(coop_task_spec){ .step = nest, .state_size = sizeof(first), .init = &first });
    cr_assert_eq(tid, 1);
    cr_assert_eq(deepest, DEEP);
    cr_assert_eq(coop_task_count(H.s), DEEP); /* the deepest ended in its setup */
    h_run(10, 10 * DEEP);
    for (int d = 0; d < DEEP; d++)
        cr_assert_eq(results[d], d + 2, "level %d got %lld", d, (long long)results[d]);
    cr_assert_eq(coop_task_count(H.s), 0);
    /* With recursion each level took a few hundred bytes of stack; now every setup runs at one depth. */
    cr_assert_lt(stack_hi - stack_lo, 4096, "setups spread over %lu bytes of stack",
                 (unsigned long)(stack_hi - stack_lo));
}

Test(depth, create_task_from_setups_a_thousand_deep_uses_one_frame) { run_deep(0); }

Test(depth, add_task_from_setups_a_thousand_deep_uses_one_frame) { run_deep(1); }

/* Three levels, to pin the order: each setup runs inside its caller's call, depth first. */
static int logged_nest(coop_task *t)
{
    struct nest *n = coop_state(t);
    COOP_BEGIN(t);
    h_log(t, "setup %d", n->depth);
    if (n->depth < 3) {
        struct nest next = { n->depth + 1, 0 };
        COOP_CALL(
            t, coop_create_task(
                   t, &(coop_task_spec){ .step = logged_nest, .state_size = sizeof(next), .init = &next }));
        h_log(t, "level %d created %lld", n->depth, (long long)coop_result(t));
    }
    COOP_YIELD(t);
    h_log(t, "level %d runs", n->depth);
    COOP_END(t);
}

Test(depth, nested_setups_run_depth_first_and_callers_resume_innermost_first)
{
    struct nest first = { 0, 0 };
    coop_spawn(H.s, &(coop_task_spec){ .step = logged_nest, .state_size = sizeof(first), .init = &first });
    h_run(10, 100);
    cr_assert_str_eq(H.log, "0 task_1 setup 0\n0 task_2 setup 1\n0 task_3 setup 2\n0 task_4 setup 3\n"
                            "0 task_4 level 3 runs\n0 task_3 level 2 created 4\n0 task_2 level 1 created 3\n"
                            "0 task_1 level 0 created 2\n0 task_3 level 2 runs\n0 task_2 level 1 runs\n"
                            "0 task_1 level 0 runs\n");
}

/* A setup two levels down kills its grandparent, whose call is still being handled. */
static int killer_nest(coop_task *t)
{
    struct nest *n = coop_state(t);
    COOP_BEGIN(t);
    if (n->depth < 2) {
        struct nest next = { n->depth + 1, 0 };
        COOP_CALL(
            t, coop_create_task(
                   t, &(coop_task_spec){ .step = killer_nest, .state_size = sizeof(next), .init = &next }));
        h_log(t, "level %d created %lld", n->depth, (long long)coop_result(t));
    } else {
        COOP_CALL(t, coop_kill_task(t, 1));
        h_log(t, "killed %lld", (long long)coop_result(t));
    }
    COOP_YIELD(t);
    h_log(t, "level %d runs", n->depth);
    COOP_FINALLY(t);
    h_log(t, "level %d cleanup", n->depth);
    COOP_END(t);
}

Test(depth, a_caller_killed_while_its_childs_setup_runs_is_freed_once)
{
    struct nest first = { 0, 0 };
    coop_spawn(H.s, &(coop_task_spec){ .step = killer_nest, .state_size = sizeof(first), .init = &first });
    h_run(10, 100);
    cr_assert_str_eq(H.log, "0 task_1 level 0 cleanup\n0 task_3 killed 1\n0 task_2 level 1 created 3\n"
                            "0 task_3 level 2 runs\n0 task_3 level 2 cleanup\n0 task_2 level 1 runs\n"
                            "0 task_2 level 1 cleanup\n");
}

static int child_setup_logs_depth(coop_task *t)
{
    COOP_BEGIN(t);
    h_log(t, "setup");
    COOP_END(t);
}

/* Its cleanup builds a call of its own, which is never handled. */
static int cleanup_calls(coop_task *t)
{
    COOP_BEGIN(t);
    for (;;)
        COOP_YIELD(t);
    COOP_FINALLY(t);
    (void)coop_wait(t, COOP_MS(1));
    h_log(t, "cleanup built a wait");
    COOP_END(t);
}

static int starved; /* 1: the allocator fails while the victim's cleanup runs */

/* Builds CreateTask, then kills a task from inside the step before yielding the call. */
static int kills_mid_call(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    (void)coop_create_task(t, &(coop_task_spec){ .step = child_setup_logs_depth, .name = "kid" });
    if (starved)
        H.fail_after = H.allocs + 1;
    coop_kill(coop_task_sched(t), 1);
    H.fail_after = 0;
    COOP_YIELD(t); /* yields the CreateTask built above */
    h_log(t, "create answered %lld", (long long)coop_result(t));
    COOP_END(t);
}

Test(depth, a_cleanup_run_inside_a_step_keeps_the_steps_pending_call)
{
    h_spawn("victim", cleanup_calls, 0, 10, 0, 0);
    h_spawn("killer", kills_mid_call, 0, 10, 0, 0);
    h_run(10, 100);
    cr_assert_str_eq(H.log, "0 victim cleanup built a wait\n0 kid setup\n0 killer create answered 3\n");
}

Test(depth, without_memory_to_keep_it_the_pending_call_fails_with_enomem)
{
    starved = 1;
    h_spawn("victim", cleanup_calls, 0, 10, 0, 0);
    h_spawn("killer", kills_mid_call, 0, 10, 0, 0);
    h_run(10, 100);
    cr_assert_str_eq(H.log, "0 victim cleanup built a wait\n0 killer create answered -12\n");
}
