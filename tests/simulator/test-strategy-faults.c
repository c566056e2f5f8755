/* Fault decisions as choice points: their schedule text, PCT's and the random walk's faults, and exhaustive counts. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "coop/coop.h"
#include "coop/program.h"
#include "coop/sim.h"
#include "coop/strategy.h"

/*
 * A small program: each argument is one task, all due at 10 ms with the
 * same prio.  "fN" takes N steps, each passing the fault point "p" once
 * and counting in fired how often it fired; "yN" takes N plain yields.
 */
struct spec {
    char kind;
    int steps, i;
};

static int fired;

static int body(coop_task *t)
{
    struct spec *s = coop_state(t);
    COOP_BEGIN(t);
    /* The setup ends here, so that every step below runs at 10 ms, in a tie. */
    COOP_YIELD(t);
    for (s->i = 0; s->i < s->steps; s->i++) {
        if (s->i > 0)
            COOP_YIELD(t);
        if (s->kind == 'f' && coop_fault_point(t, "p"))
            fired++;
    }
    COOP_END(t);
}

static int tasks_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)env;
    for (int i = 0; i < argc; i++) {
        struct spec init = { argv[i][0], atoi(argv[i] + 1), 0 };
        coop_task_spec ts = {
            .step = body, .state_size = sizeof(init), .init = &init, .time2run_ns = COOP_MS(10)
        };
        int64_t r = coop_spawn(s, &ts);
        if (r < 0)
            return (int)r;
    }
    return 0;
}

static const coop_program tasks = { "tasks", "test tasks", tasks_start };

/* Runs the program under a chooser with the given faults at fault_pct; returns the trace hash. */
static uint64_t run_with(coop_sim_chooser ch, uint32_t faults, uint32_t pct, int argc, char **argv)
{
    coop_sim *sim =
        coop_sim_new(&(coop_sim_config){ .seed = 3, .chooser = ch, .faults = faults, .fault_pct = pct });
    cr_assert_not_null(sim);
    fired = 0;
    cr_assert_eq(coop_sim_start(sim, &tasks, argc, argv), 0);
    cr_assert_eq(coop_sim_run(sim), COOP_SIM_DONE);
    uint64_t h = coop_sim_trace_hash(sim);
    coop_sim_free(sim);
    return h;
}

static uint64_t run(coop_sim_chooser ch, int argc, char **argv)
{
    return run_with(ch, COOP_SIM_FAULT_POINTS, 50, argc, argv);
}

/*
 * The number of distinct schedules exhaustive search counts with at most
 * max_fired faults per schedule (faults: the points fault, or none);
 * each counted schedule replays to the same trace, and no two are alike.
 */
static uint64_t count(bool calls_only, uint32_t faults, uint32_t max_fired, int argc, char **argv)
{
    coop_dfs *d = coop_dfs_new(calls_only);
    cr_assert_not_null(d);
    coop_dfs_set_faults(d, max_fired);
    uint64_t n = 0, runs = 0, seen[256];
    while (coop_dfs_more(d)) {
        uint64_t h = run_with(coop_dfs_chooser(d), faults, 50, argc, argv);
        int f = fired;
        char text[COOP_SCHEDULE_TEXT_MAX];
        coop_dfs_format(d, text, sizeof(text));
        cr_assert_lt(++runs, 10000, "the search does not end");
        if (!coop_dfs_end_run(d))
            continue;
        cr_assert_leq((uint32_t)f, max_fired, "%s fires %d faults", text, f);
        coop_strategy *replay = coop_strategy_replay(text);
        cr_assert_not_null(replay, "%s", text);
        cr_assert_eq(run_with(coop_strategy_chooser(replay), faults, 50, argc, argv), h, "%s", text);
        coop_strategy_free(replay);
        for (uint64_t i = 0; i < n; i++)
            cr_assert_neq(seen[i], h, "%s repeats a schedule", text);
        cr_assert_lt(n, 256);
        seen[n++] = h;
    }
    coop_dfs_free(d);
    return n;
}

Test(fault_schedules, text_has_a_fault_part)
{
    const char *good[] = { "0/0", "0/1", "1x12.3/x5.1", "0/0001", "abc/1x40.1" };
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
        coop_strategy *st = coop_strategy_replay(good[i]);
        cr_assert_not_null(st, "%s", good[i]);
        coop_strategy_free(st);
    }
    /* Both parts are needed, a fault decision is 0 or 1, and there is one "/". */
    const char *bad[] = { "/1", "1/", "0/2", "0/1/1", "/", "0/x3" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        cr_assert_null(coop_strategy_replay(bad[i]), "%s", bad[i]);
    /* The run's decisions are written back: "f4" alone has no ties and four fault decisions. */
    char *argv[] = { "f4" };
    coop_strategy *st = coop_strategy_replay("0/0010");
    (void)run(coop_strategy_chooser(st), 1, argv);
    cr_assert_eq(fired, 1);
    cr_assert_eq(coop_strategy_fault_points(st), 4);
    char text[64];
    coop_strategy_format(st, text, sizeof(text));
    cr_assert_str_eq(text, "0/001");
    coop_strategy_free(st);
}

Test(fault_schedules, without_a_fault_part_the_seed_decides)
{
    /* At a rate of 100 % the seed fires every fault; a schedule that has fault decisions fires only its own. */
    char *argv[] = { "f3" };
    coop_strategy *st = coop_strategy_replay("0");
    (void)run_with(coop_strategy_chooser(st), COOP_SIM_FAULT_POINTS, 100, 1, argv);
    cr_assert_eq(fired, 3);
    char text[64];
    coop_strategy_format(st, text, sizeof(text));
    cr_assert_str_eq(text, "0", "a schedule without fault decisions stays as it was");
    coop_strategy_free(st);
    st = coop_strategy_replay("0/0");
    (void)run_with(coop_strategy_chooser(st), COOP_SIM_FAULT_POINTS, 100, 1, argv);
    cr_assert_eq(fired, 0);
    coop_strategy_free(st);
}

Test(fault_schedules, faults_off_leave_the_text_as_it_was)
{
    char *argv[] = { "f2", "y2" };
    for (uint64_t seed = 0; seed < 10; seed++) {
        coop_strategy *p = coop_strategy_pct_faults(seed, 2, 8, 1, 4);
        coop_strategy *q = coop_strategy_pct(seed, 2, 8);
        uint64_t h = run_with(coop_strategy_chooser(p), 0, 50, 2, argv);
        cr_assert_eq(run_with(coop_strategy_chooser(q), 0, 50, 2, argv), h,
                     "the same priorities and change points");
        char a[64], b[64];
        coop_strategy_format(p, a, sizeof(a));
        coop_strategy_format(q, b, sizeof(b));
        cr_assert_str_eq(a, b);
        cr_assert_null(strchr(a, '/'), "%s", a);
        coop_strategy_free(p);
        coop_strategy_free(q);
    }
}

Test(fault_schedules, pct_fires_exactly_its_faults_and_replays)
{
    /* One task, five fault decisions: PCT with two faults fires two of them, at positions the seed draws. */
    char *argv[] = { "f5", "y3" };
    bool position[5] = { false };
    for (uint64_t seed = 0; seed < 40; seed++) {
        coop_strategy *p = coop_strategy_pct_faults(seed, 2, 8, 2, 5);
        uint64_t h = run(coop_strategy_chooser(p), 2, argv);
        cr_assert_eq(fired, 2, "seed %llu", (unsigned long long)seed);
        cr_assert_eq(coop_strategy_fault_points(p), 5);
        char text[COOP_SCHEDULE_TEXT_MAX];
        coop_strategy_format(p, text, sizeof(text));
        const char *f = strchr(text, '/');
        cr_assert_not_null(f, "%s", text);
        for (int i = 0; f[1 + i]; i++)
            if (f[1 + i] == '1')
                position[i] = true;
        coop_strategy_free(p);
        coop_strategy *replay = coop_strategy_replay(text);
        cr_assert_eq(run(coop_strategy_chooser(replay), 2, argv), h, "%s", text);
        cr_assert_eq(fired, 2);
        coop_strategy_free(replay);
    }
    for (int i = 0; i < 5; i++)
        cr_assert(position[i], "fault decision %d never fired in 40 seeds", i + 1);
}

Test(fault_schedules, random_walk_fires_at_the_rate_and_replays)
{
    char *argv[] = { "f8", "f8" };
    int total = 0;
    for (uint64_t seed = 0; seed < 20; seed++) {
        coop_strategy *w = coop_strategy_random(seed);
        uint64_t h = run(coop_strategy_chooser(w), 2, argv);
        int f = fired;
        total += f;
        char text[COOP_SCHEDULE_TEXT_MAX];
        coop_strategy_format(w, text, sizeof(text));
        cr_assert_eq(coop_strategy_fault_points(w), 16);
        coop_strategy_free(w);
        coop_strategy *replay = coop_strategy_replay(text);
        cr_assert_eq(run(coop_strategy_chooser(replay), 2, argv), h, "%s", text);
        cr_assert_eq(fired, f);
        coop_strategy_free(replay);
    }
    /* 320 decisions at 50 %: far from none and from all. */
    cr_assert(total > 100 && total < 220, "%d of 320 fired", total);
}

Test(fault_exhaustive, one_task_enumerates_its_fault_decisions)
{
    /* k decisions, at most f fired: the sum of C(k, i) for i <= f. */
    char *one[] = { "f1" }, *two[] = { "f2" }, *three[] = { "f3" };
    cr_assert_eq(count(false, COOP_SIM_FAULT_POINTS, 1, 1, one), 2);
    cr_assert_eq(count(false, COOP_SIM_FAULT_POINTS, 0, 1, two), 1);
    cr_assert_eq(count(false, COOP_SIM_FAULT_POINTS, 1, 1, two), 3);
    cr_assert_eq(count(false, COOP_SIM_FAULT_POINTS, 2, 1, two), 4);
    cr_assert_eq(count(false, COOP_SIM_FAULT_POINTS, 1, 1, three), 4);
    cr_assert_eq(count(false, COOP_SIM_FAULT_POINTS, 2, 1, three), 7);
    cr_assert_eq(count(false, COOP_SIM_FAULT_POINTS, 3, 1, three), 8);
}

Test(fault_exhaustive, ties_and_faults_multiply)
{
    /*
     * Two tasks of one fault step each: two orders, each with two fault
     * decisions of which at most one fires (3), so 6; with both allowed,
     * 2 * 4 = 8.  A step that decides a fault touches everything, so
     * --independence calls prunes none of these.
     */
    char *argv[] = { "f1", "f1" };
    cr_assert_eq(count(false, COOP_SIM_FAULT_POINTS, 1, 2, argv), 6);
    cr_assert_eq(count(false, COOP_SIM_FAULT_POINTS, 2, 2, argv), 8);
    cr_assert_eq(count(true, COOP_SIM_FAULT_POINTS, 1, 2, argv), 6);
    /*
     * A fault task of two steps and a plain task of one: the 3!/(2!1!) = 3
     * interleavings, each with 1 + 2 fault choices: 9.
     */
    char *mixed[] = { "f2", "y1" };
    cr_assert_eq(count(false, COOP_SIM_FAULT_POINTS, 1, 2, mixed), 9);
}

Test(fault_exhaustive, faults_off_counts_are_unchanged)
{
    /* Without the fault the same programs count as plain yields do. */
    char *argv[] = { "f1", "f1" }, *mixed[] = { "f2", "y1" };
    cr_assert_eq(count(false, 0, 1, 2, argv), 2);
    cr_assert_eq(count(true, 0, 1, 2, argv), 1);
    cr_assert_eq(count(false, 0, 1, 2, mixed), 3);
}
