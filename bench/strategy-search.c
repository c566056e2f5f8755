/* Workload 7, search strategies: schedules each strategy runs before the planted bugs of depth 1, 2 and 3 fail. */
#define _GNU_SOURCE
#include "bench.h"

#include "coop/scenario.h"
#include "coop/strategy.h"
#include "programs.h"

/*
 * usage: strategy-search SCENARIO_DIR STARTS CAP
 * For each planted bug (buggy-init-order, buggy-torn-copy, buggy-window:
 * depths 1, 2, 3) and each of STARTS starting seeds, counts the schedules
 * run until the first failure, from seed start*CAP on: tie permutation
 * (what `coop explore` does without --strategy, with faults off), a
 * uniform random walk over the choice points (--strategy random), and
 * PCT with the bug's depth (--strategy pct --depth D).  A search that has not
 * failed after CAP schedules counts as CAP+1, so a median above CAP
 * prints as CAP+1.  Exhaustive search is deterministic: its count is
 * one number, and the fixed programs' full count comes with it.
 *
 * A fourth row, buggy-retry (depth 2 and one fault), runs with the points
 * fault on: the seeds draw the faults, the random walk fires each at the
 * fault rate, PCT fires one of a run's fault decisions, and exhaustive
 * search fires at most one per schedule.
 */
#define NBUGS 4
static const char *const bug_names[NBUGS] = { "buggy-init-order", "buggy-torn-copy", "buggy-window",
                                              "buggy-retry" };
static const uint32_t bug_depth[NBUGS] = { 1, 2, 3, 2 };
static const char *const bug_keys[NBUGS] = { "d1", "d2", "d3", "d2f1" };
static const uint32_t bug_faults[NBUGS] = { 0, 0, 0, COOP_SIM_FAULT_POINTS };

static coop_scenario *load(const char *dir, const char *name, const char *suffix)
{
    char path[1024], err[COOP_SCN_MAX_ERR];
    snprintf(path, sizeof(path), "%s/%s%s.scn", dir, name, suffix);
    coop_scenario *scn = NULL;
    if (coop_scenario_load(path, &scn, err, sizeof(err)))
        bench_die("strategy-search", err, 2);
    return scn;
}

/* One run; whether it passed. */
static bool run(const coop_scenario *scn, const coop_scn_overrides *ov, uint64_t *steps)
{
    coop_scn_result res = { 0 };
    if (coop_scenario_run(scn, coop_builtin_programs, ov, false, &res) < 0)
        bench_die("strategy-search", "a scenario could not run", 2);
    bool passed = res.passed;
    if (steps)
        *steps = res.steps;
    coop_scn_result_fini(&res);
    return passed;
}

static uint64_t until_fail_permute(const coop_scenario *scn, uint32_t faults, uint64_t start, uint64_t cap)
{
    coop_scn_overrides ov = { .seed_set = true,
                              .faults_set = true,
                              .faults = faults,
                              .ties_set = true,
                              .permute_ties = true,
                              .brief = true };
    for (uint64_t n = 1; n <= cap; n++) {
        ov.seed = start * cap + n;
        if (!run(scn, &ov, NULL))
            return n;
    }
    return cap + 1;
}

/*
 * A random walk (depth 0) or PCT as `coop explore --strategy` runs them:
 * PCT's step estimate starts from the ready order's run.
 */
static uint64_t until_fail_chooser(const coop_scenario *scn, uint32_t faults, uint32_t depth, uint64_t start,
                                   uint64_t cap)
{
    coop_scn_overrides ov = { .faults_set = true, .faults = faults, .brief = true };
    coop_strategy *fifo = coop_strategy_replay("0/0");
    coop_sim_chooser ch = coop_strategy_chooser(fifo);
    ov.chooser = &ch;
    uint64_t steps64 = 0;
    (void)run(scn, &ov, &steps64);
    uint32_t steps = coop_strategy_points(fifo);
    if (steps64 > steps)
        steps = (uint32_t)steps64;
    uint32_t fsteps = coop_strategy_fault_points(fifo);
    coop_strategy_free(fifo);
    for (uint64_t n = 1; n <= cap; n++) {
        coop_strategy *p =
            depth ? coop_strategy_pct_faults(start * cap + n, depth, steps, 1, fsteps ? fsteps : 1)
                  : coop_strategy_random(start * cap + n);
        ch = coop_strategy_chooser(p);
        bool passed = run(scn, &ov, NULL);
        if (coop_strategy_points(p) > steps)
            steps = coop_strategy_points(p);
        if (coop_strategy_fault_points(p) > fsteps)
            fsteps = coop_strategy_fault_points(p);
        coop_strategy_free(p);
        if (!passed)
            return n;
    }
    return cap + 1;
}

/* Exhaustive search: the distinct schedules up to and including the first failure, or all of them (*all). */
static uint64_t exhaustive(const coop_scenario *scn, uint32_t faults, bool *failed)
{
    coop_dfs *d = coop_dfs_new(false);
    coop_sim_chooser ch = coop_dfs_chooser(d);
    coop_scn_overrides ov = { .faults_set = true, .faults = faults, .brief = true, .chooser = &ch };
    uint64_t counted = 0;
    *failed = false;
    while (coop_dfs_more(d)) {
        bool passed = run(scn, &ov, NULL);
        if (coop_dfs_end_run(d)) {
            counted++;
            if (!passed) {
                *failed = true;
                break;
            }
        }
    }
    coop_dfs_free(d);
    return counted;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_u64);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    if (argc != 4)
        bench_usage(argv[0], "SCENARIO_DIR STARTS CAP");
    uint64_t starts = bench_arg_count(argv[0], "STARTS", argv[2]);
    uint64_t cap = bench_arg_count(argv[0], "CAP", argv[3]);
    uint64_t *v = calloc(starts, sizeof(*v));
    if (!v)
        bench_die(argv[0], "out of memory", 2);
    uint64_t t0 = bench_now_ns();
    printf("RESULT workload=search impl=coop starts=%llu cap=%llu", (unsigned long long)starts,
           (unsigned long long)cap);
    for (int b = 0; b < NBUGS; b++) {
        coop_scenario *scn = load(argv[1], bug_names[b], "");
        coop_scenario *fixed = load(argv[1], bug_names[b], "-fixed");
        uint64_t med[3];
        for (int s = 0; s < 3; s++) {
            for (uint64_t i = 0; i < starts; i++)
                v[i] = s == 0   ? until_fail_permute(scn, bug_faults[b], i, cap)
                       : s == 1 ? until_fail_chooser(scn, bug_faults[b], 0, i, cap)
                                : until_fail_chooser(scn, bug_faults[b], bug_depth[b], i, cap);
            med[s] = median(v, starts);
        }
        bool found, fixed_failed;
        uint64_t ex = exhaustive(scn, bug_faults[b], &found);
        uint64_t ex_fixed = exhaustive(fixed, bug_faults[b], &fixed_failed);
        const char *k = bug_keys[b];
        printf(" %s_permute=%llu %s_random=%llu %s_pct=%llu %s_exhaustive=%llu%s %s_fixed_all=%llu%s", k,
               (unsigned long long)med[0], k, (unsigned long long)med[1], k, (unsigned long long)med[2], k,
               (unsigned long long)ex, found ? "" : "_none", k, (unsigned long long)ex_fixed,
               fixed_failed ? "_FAILED" : "");
        coop_scenario_free(scn);
        coop_scenario_free(fixed);
    }
    printf(" wall_s=%.3f\n", (double)(bench_now_ns() - t0) / 1e9);
    free(v);
    return 0;
}
