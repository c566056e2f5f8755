/* Search strategies: schedule text, PCT and random-walk replay, exhaustive counts, and the pruning of commuting steps. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "coop/coop.h"
#include "coop/program.h"
#include "coop/sim.h"
#include "coop/strategy.h"

/*
 * A small program: each argument is one task, all due at 10 ms with the
 * same prio.  "yN" takes N steps of plain yields; "mN" takes N steps,
 * each writing its tid into a shared word (shared memory the simulator
 * cannot see); "sN" sends the signal "x" N times, each send ending a
 * step, with a plain yield between sends and a last step that ends it.
 */
struct spec {
    char kind;
    int steps, i;
    uint32_t *word;
};

static uint32_t shared_word;

static int body(coop_task *t)
{
    struct spec *s = coop_state(t);
    COOP_BEGIN(t);
    /* The setup ends here, so that every step below runs at 10 ms, in a tie. */
    COOP_YIELD(t);
    for (s->i = 0; s->i < s->steps; s->i++) {
        if (s->i > 0)
            COOP_YIELD(t);
        if (s->kind == 'm')
            *s->word = coop_task_tid(t);
        if (s->kind == 's')
            COOP_CALL(t, coop_send_signal(t, "x", s->i, 0));
    }
    COOP_END(t);
}

static int tasks_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)env;
    for (int i = 0; i < argc; i++) {
        struct spec init = { argv[i][0], atoi(argv[i] + 1), 0, &shared_word };
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

/* Runs the program under a chooser; returns the trace hash. */
static uint64_t run(coop_sim_chooser ch, int argc, char **argv)
{
    coop_sim *sim = coop_sim_new(&(coop_sim_config){ .chooser = ch });
    cr_assert_not_null(sim);
    cr_assert_eq(coop_sim_start(sim, &tasks, argc, argv), 0);
    cr_assert_eq(coop_sim_run(sim), COOP_SIM_DONE);
    uint64_t h = coop_sim_trace_hash(sim);
    coop_sim_free(sim);
    return h;
}

/* The number of distinct schedules exhaustive search counts. */
static uint64_t count(bool calls_only, int argc, char **argv)
{
    coop_dfs *d = coop_dfs_new(calls_only);
    cr_assert_not_null(d);
    uint64_t n = 0, runs = 0;
    while (coop_dfs_more(d)) {
        (void)run(coop_dfs_chooser(d), argc, argv);
        n += coop_dfs_end_run(d);
        cr_assert_lt(++runs, 10000, "the search does not end");
    }
    coop_dfs_free(d);
    return n;
}

Test(strategy, schedule_text_round_trips)
{
    const char *texts[] = { "0", "1", "1x12.3", "abc", "x4.1", "0001" };
    for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++) {
        coop_strategy *st = coop_strategy_replay(texts[i]);
        cr_assert_not_null(st, "%s", texts[i]);
        coop_strategy_free(st);
    }
    cr_assert_null(coop_strategy_replay("1z"));
    cr_assert_null(coop_strategy_replay("x3"));
    /* What a run took is written back in the compact form: zeros run-length coded, trailing ones dropped. */
    char *argv[] = { "y6", "y6" };
    coop_strategy *st = coop_strategy_replay("100001");
    (void)run(coop_strategy_chooser(st), 2, argv);
    char text[64];
    coop_strategy_format(st, text, sizeof(text));
    cr_assert_str_eq(text, "1x4.1");
    coop_strategy_free(st);
}

Test(strategy, pct_runs_replay_bit_for_bit)
{
    char *argv[] = { "y5", "s3", "y4" };
    for (uint64_t seed = 0; seed < 20; seed++) {
        coop_strategy *p = coop_strategy_pct(seed, 3, 12);
        uint64_t h = run(coop_strategy_chooser(p), 3, argv);
        char text[COOP_SCHEDULE_TEXT_MAX];
        coop_strategy_format(p, text, sizeof(text));
        coop_strategy_free(p);
        /* The same seed gives the same run, and its written schedule gives it again. */
        coop_strategy *again = coop_strategy_pct(seed, 3, 12);
        cr_assert_eq(run(coop_strategy_chooser(again), 3, argv), h);
        coop_strategy_free(again);
        coop_strategy *replay = coop_strategy_replay(text);
        cr_assert_eq(run(coop_strategy_chooser(replay), 3, argv), h, "seed %llu: %s",
                     (unsigned long long)seed, text);
        coop_strategy_free(replay);
    }
}

Test(strategy, random_walks_replay_and_differ)
{
    char *argv[] = { "y5", "y5" };
    uint64_t first = 0;
    bool differ = false;
    for (uint64_t seed = 0; seed < 10; seed++) {
        coop_strategy *w = coop_strategy_random(seed);
        uint64_t h = run(coop_strategy_chooser(w), 2, argv);
        char text[COOP_SCHEDULE_TEXT_MAX];
        coop_strategy_format(w, text, sizeof(text));
        coop_strategy_free(w);
        coop_strategy *replay = coop_strategy_replay(text);
        cr_assert_eq(run(coop_strategy_chooser(replay), 2, argv), h);
        coop_strategy_free(replay);
        if (seed == 0)
            first = h;
        differ |= h != first;
    }
    cr_assert(differ, "ten random walks all took one schedule");
}

Test(strategy, pct_depth_one_follows_priorities)
{
    /*
     * Without change points a run is a priority order: one task runs all
     * its steps before the other.  Index 0 is the task queued first, so
     * "0111" is the first task throughout and "1111" the second.
     */
    char *argv[] = { "y4", "y4" };
    for (uint64_t seed = 0; seed < 10; seed++) {
        coop_strategy *p = coop_strategy_pct(seed, 1, 8);
        (void)run(coop_strategy_chooser(p), 2, argv);
        char text[64];
        coop_strategy_format(p, text, sizeof(text));
        cr_assert(!strcmp(text, "0111") || !strcmp(text, "1111"), "seed %llu: %s", (unsigned long long)seed,
                  text);
        coop_strategy_free(p);
    }
}

Test(exhaustive, counts_every_interleaving_when_steps_may_interact)
{
    char *two[] = { "m1", "m1" }, *three[] = { "m1", "m1", "m1" }, *twobytwo[] = { "m2", "m2" };
    cr_assert_eq(count(false, 2, two), 2);
    cr_assert_eq(count(false, 3, three), 6);
    /* Two tasks of two steps: the 4!/(2!2!) interleavings. */
    cr_assert_eq(count(false, 2, twobytwo), 6);
}

Test(exhaustive, independent_steps_give_one_schedule)
{
    char *indep[] = { "y1", "y1" }, *indep3[] = { "y2", "y2", "y2" };
    cr_assert_eq(count(true, 2, indep), 1);
    cr_assert_eq(count(true, 3, indep3), 1);
}

Test(exhaustive, dependent_steps_give_both_orders)
{
    /* Both send the signal "x": the two orders differ. */
    char *dep[] = { "s1", "s1" };
    cr_assert_eq(count(true, 2, dep), 2);
    /* One task sends, the other only yields: they commute. */
    char *mixed[] = { "s1", "y1" };
    cr_assert_eq(count(true, 2, mixed), 1);
}

Test(exhaustive, every_counted_schedule_replays)
{
    char *argv[] = { "s2", "m2" };
    coop_dfs *d = coop_dfs_new(false);
    uint64_t seen[64];
    size_t n = 0;
    while (coop_dfs_more(d)) {
        uint64_t h = run(coop_dfs_chooser(d), 2, argv);
        char text[COOP_SCHEDULE_TEXT_MAX];
        coop_dfs_format(d, text, sizeof(text));
        if (!coop_dfs_end_run(d))
            continue;
        coop_strategy *replay = coop_strategy_replay(text);
        cr_assert_eq(run(coop_strategy_chooser(replay), 2, argv), h, "%s", text);
        coop_strategy_free(replay);
        /* Distinct schedules are distinct runs. */
        for (size_t i = 0; i < n; i++)
            cr_assert_neq(seen[i], h, "%s repeats a schedule", text);
        cr_assert_lt(n, 64);
        seen[n++] = h;
    }
    coop_dfs_free(d);
    /* "s2" takes four steps (a send, a yield, a send, the end), "m2" two: the 6!/(4!2!) interleavings. */
    cr_assert_eq(n, 15, "%zu schedules", n);
}
