/* coop explore --strategy random|pct|exhaustive: schedules run one after another until one fails, each replayable by its line. */
#include "strategy.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coop/strategy.h"

const char cli_strategy_help[] =
    "  --strategy S          search the tie choices alone (faults off unless --faults):\n"
    "                        random (a uniform random walk), pct or exhaustive; without\n"
    "                        it, each seed picks faults and permutes ties (see docs/exploring.md)\n"
    "  --depth D             pct: the bug depth searched for (default 3)\n"
    "  --bound N             exhaustive: stop after N schedules (default 100000)\n"
    "  --independence I      exhaustive: all (every two steps may interact, the default)\n"
    "                        or calls (tasks share state only through signals, fds and\n"
    "                        tasks, so steps touching none in common are run in one order)\n"
    "  --fault-depth F       with --faults: each fault decision is a choice point too;\n"
    "                        pct fires exactly F of a run's fault decisions, exhaustive\n"
    "                        at most F per schedule, random each at the fault rate\n"
    "                        (default 1; 0 to 16)\n";

int cli_strategy_option(struct cli_strategy *st, enum cli_strategy_opt which, const char *v)
{
    uint64_t n;
    switch (which) {
    case CLI_OPT_STRATEGY:
        if (!strcmp(v, "random"))
            st->kind = CLI_STRATEGY_RANDOM;
        else if (!strcmp(v, "pct"))
            st->kind = CLI_STRATEGY_PCT;
        else if (!strcmp(v, "exhaustive"))
            st->kind = CLI_STRATEGY_EXHAUSTIVE;
        else
            return -1;
        return 0;
    case CLI_OPT_DEPTH:
        if (cli_parse_u64(v, &n) || n < 1 || n > 16)
            return -1;
        st->depth = (uint32_t)n;
        return 0;
    case CLI_OPT_BOUND:
        if (cli_parse_u64(v, &n) || n < 1)
            return -1;
        st->bound = n;
        return 0;
    case CLI_OPT_INDEPENDENCE:
        if (strcmp(v, "all") && strcmp(v, "calls"))
            return -1;
        st->calls_only = !strcmp(v, "calls");
        return 0;
    case CLI_OPT_FAULT_DEPTH:
        if (cli_parse_u64(v, &n) || n > 16)
            return -1;
        st->fault_depth = (uint32_t)n;
        st->fault_depth_set = true;
        return 0;
    }
    return -1;
}

bool cli_schedule_valid(const char *text)
{
    coop_strategy *st = coop_strategy_replay(text);
    coop_strategy_free(st);
    return st != NULL;
}

/* Prints the failure and the line that replays it, and checks that the line does fail the same way. */
static void report(struct cli *c, const char *path, const coop_scenario *scn, const coop_scn_overrides *ov,
                   const coop_scn_result *res, const char *sched)
{
    printf("failure: %s\n", res->signature ? res->signature : "(no signature)");
    printf("  schedule: %s\n  reproduce: %s run %s", sched, c->argv0, path);
    if (c->load_path)
        printf(" --load %s", c->load_path);
    printf(" --seed %" PRIu64 " --faults 0x%" PRIx32 " --schedule %s\n", res->seed, res->faults, sched);
    coop_scn_overrides again = *ov;
    again.chooser = NULL;
    again.schedule = sched;
    coop_scn_result r2 = { 0 };
    bool same = coop_scenario_run(scn, c->registry, &again, false, &r2) == 0 && !r2.passed && r2.signature &&
                res->signature && !strcmp(r2.signature, res->signature);
    printf("  %s\n", same ? "checked: the schedule fails the same way under coop run"
                          : "WARNING: the schedule does not fail the same way under coop run");
    coop_scn_result_fini(&r2);
}

/* With faults on, the header names them and what the strategy does with them. */
static void print_faults(const coop_scn_overrides *ov, const char *what, uint32_t fdepth)
{
    if (!(ov->faults & COOP_SIM_FAULTS_ALL))
        return;
    char mix[128];
    coop_sim_faults_format(ov->faults, mix, sizeof(mix));
    printf(", faults %s", mix);
    if (!what)
        printf(" (each at its rate)");
    else if (!strcmp(what, "at most"))
        printf(" (at most %" PRIu32 " fired per schedule)", fdepth);
    else
        printf(" (%" PRIu32 " fired per run)", fdepth);
}

/* One run under a chooser; 0, or -1 when the run could not start. */
static int run_one(struct cli *c, const coop_scenario *scn, const coop_scn_overrides *ov, coop_sim_chooser ch,
                   coop_scn_result *res)
{
    coop_scn_overrides o = *ov;
    o.chooser = &ch;
    o.brief = true;
    *res = (coop_scn_result){ 0 };
    if (coop_scenario_run(scn, c->registry, &o, false, res) < 0) {
        fprintf(stderr, "coop explore: %s", res->report ? res->report : "the scenario could not run\n");
        coop_scn_result_fini(res);
        return -1;
    }
    return 0;
}

static int explore_seeded(struct cli *c, const struct cli_strategy *st, const char *path,
                          const coop_scenario *scn, const coop_scn_overrides *ov, uint64_t first,
                          uint64_t last)
{
    uint32_t depth = st->depth ? st->depth : 3;
    /*
     * PCT draws its change points over an estimate of a run's choice
     * points: the most seen so far, starting from the ready order's own
     * run.  A schedule's text replays it whatever the estimate was.
     */
    uint32_t fdepth = st->fault_depth_set ? st->fault_depth : 1;
    coop_strategy *fifo = coop_strategy_replay("0/0"); /* no fault fires */
    if (!fifo)
        return CLI_USAGE;
    coop_scn_result res;
    if (run_one(c, scn, ov, coop_strategy_chooser(fifo), &res)) {
        coop_strategy_free(fifo);
        return CLI_USAGE;
    }
    /* Choice points of the ready order's run undercount those of others: its steps bound them better. */
    uint32_t steps = coop_strategy_points(fifo);
    if (res.steps > steps)
        steps = res.steps > UINT32_MAX ? UINT32_MAX : (uint32_t)res.steps;
    /* Likewise PCT draws the faults that fire over the most fault decisions seen in a run. */
    uint32_t fsteps = coop_strategy_fault_points(fifo);
    coop_strategy_free(fifo);
    coop_scn_result_fini(&res);
    const char *name = st->kind == CLI_STRATEGY_PCT ? "pct" : "random";
    printf("explore %s: strategy %s, depth %" PRIu32, path, name, depth);
    print_faults(ov, st->kind == CLI_STRATEGY_PCT ? "fault depth" : NULL, fdepth);
    printf(", seeds %" PRIu64 "..%" PRIu64 "\n", first, last);
    for (uint64_t seed = first; seed < last; seed++) {
        coop_strategy *p =
            st->kind == CLI_STRATEGY_PCT
                ? coop_strategy_pct_faults(seed, depth, steps ? steps : 1, fdepth, fsteps ? fsteps : 1)
                : coop_strategy_random(seed);
        if (!p || run_one(c, scn, ov, coop_strategy_chooser(p), &res)) {
            coop_strategy_free(p);
            return CLI_USAGE;
        }
        if (coop_strategy_points(p) > steps)
            steps = coop_strategy_points(p);
        if (coop_strategy_fault_points(p) > fsteps)
            fsteps = coop_strategy_fault_points(p);
        if (!res.passed) {
            char sched[COOP_SCHEDULE_TEXT_MAX];
            coop_strategy_format(p, sched, sizeof(sched));
            printf("schedule %" PRIu64 " of the search (seed %" PRIu64 ") fails\n", seed - first + 1, seed);
            report(c, path, scn, ov, &res, sched);
            coop_scn_result_fini(&res);
            coop_strategy_free(p);
            return CLI_FAIL;
        }
        coop_scn_result_fini(&res);
        coop_strategy_free(p);
    }
    printf("all %" PRIu64 " schedules pass (%s, depth %" PRIu32 ", up to %" PRIu32 " choice points",
           last - first, name, depth, steps);
    if (ov->faults & COOP_SIM_FAULTS_ALL)
        printf(", up to %" PRIu32 " fault decision%s", fsteps, fsteps == 1 ? "" : "s");
    printf(")\n");
    return CLI_PASS;
}

static int explore_exhaustive(struct cli *c, const struct cli_strategy *st, const char *path,
                              const coop_scenario *scn, const coop_scn_overrides *ov)
{
    uint64_t bound = st->bound ? st->bound : 100000, counted = 0, runs = 0;
    coop_dfs *d = coop_dfs_new(st->calls_only);
    if (!d)
        return CLI_USAGE;
    uint32_t fdepth = st->fault_depth_set ? st->fault_depth : 1;
    coop_dfs_set_faults(d, fdepth);
    printf("explore %s: strategy exhaustive, bound %" PRIu64 " schedules", path, bound);
    print_faults(ov, "at most", fdepth);
    printf("\n");
    int rc = CLI_PASS;
    while (coop_dfs_more(d) && counted < bound) {
        coop_scn_result res;
        if (run_one(c, scn, ov, coop_dfs_chooser(d), &res)) {
            rc = CLI_USAGE;
            break;
        }
        char sched[COOP_SCHEDULE_TEXT_MAX];
        coop_dfs_format(d, sched, sizeof(sched));
        runs++;
        bool distinct = coop_dfs_end_run(d);
        counted += distinct;
        if (distinct && !res.passed) {
            printf("schedule %" PRIu64 " of the search fails (%" PRIu64 " runs)\n", counted, runs);
            report(c, path, scn, ov, &res, sched);
            coop_scn_result_fini(&res);
            rc = CLI_FAIL;
            break;
        }
        coop_scn_result_fini(&res);
    }
    if (rc == CLI_PASS) {
        if (coop_dfs_more(d))
            printf("the bound cut the search short: %" PRIu64 " schedules pass, more remain\n", counted);
        else if (runs > counted)
            printf("all %" PRIu64 " schedules pass (%" PRIu64 " more runs were equivalent orders)\n", counted,
                   runs - counted);
        else
            printf("all %" PRIu64 " schedules pass\n", counted);
    }
    coop_dfs_free(d);
    return rc;
}

int cli_strategy_explore(struct cli *c, const struct cli_strategy *st, const char *path,
                         const coop_scenario *scn, const coop_scn_overrides *ov, uint64_t first,
                         uint64_t last)
{
    /* These strategies search schedules: faults stay off unless a fixed mix was asked for. */
    coop_scn_overrides o = *ov;
    if (o.faults == COOP_SIM_FAULTS_FROM_SEED)
        o.faults = 0;
    o.ties_set = false;
    if (st->kind != CLI_STRATEGY_EXHAUSTIVE)
        return explore_seeded(c, st, path, scn, &o, first, last);
    return explore_exhaustive(c, st, path, scn, &o);
}
