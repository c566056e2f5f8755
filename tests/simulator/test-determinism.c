/* Determinism: the same inputs give the same trace, and the self-check finds the first difference when not. */
#include <criterion/criterion.h>
#include <string.h>

#include "coop/program.h"
#include "coop/sim.h"
#include "seed.h"

static int start_program(coop_sim *sim, void *ctx) { return coop_sim_start(sim, ctx, 0, NULL); }

static coop_sim_status until_60s(coop_sim *sim, void *ctx)
{
    (void)ctx;
    return coop_sim_run_until(sim, COOP_S(60));
}

Test(determinism, every_seed_demo_passes_the_self_check)
{
    for (const coop_program *p = coop_seed_programs; p->name; p++) {
        char report[4096];
        coop_sim_config cfg = { .profile = COOP_SIM_SEED };
        int rc = coop_sim_selfcheck(&cfg, start_program, until_60s, (void *)p, report, sizeof(report));
        cr_assert_eq(rc, 0, "%s: %s", p->name, report);
        cr_assert(strncmp(report, "identical: ", 11) == 0, "%s", report);
    }
}

static uint64_t hash_of(const coop_program *p, uint64_t seed, uint32_t faults, bool permute)
{
    coop_sim *sim =
        coop_sim_new(&(coop_sim_config){ .seed = seed, .faults = faults, .permute_ties = permute });
    cr_assert_not_null(sim);
    cr_assert_eq(coop_sim_start(sim, p, 0, NULL), 0);
    coop_sim_run_until(sim, COOP_S(30));
    uint64_t h = coop_sim_trace_hash(sim);
    coop_sim_free(sim);
    return h;
}

/* The small-scale version of the cross-build check: repeated runs in one process agree. */
Test(determinism, repeated_runs_with_faults_and_permuted_ties_agree)
{
    for (const coop_program *p = coop_seed_programs; p->name; p++) {
        uint64_t first = hash_of(p, 99, COOP_SIM_FAULTS_ALL, true);
        for (int i = 0; i < 4; i++)
            cr_assert_eq(hash_of(p, 99, COOP_SIM_FAULTS_ALL, true), first, "%s run %d", p->name, i + 2);
    }
}

static int calls;
static int quick(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    COOP_END(t);
}

/* Deliberately not deterministic: the second build starts its task later. */
static int drifting_setup(coop_sim *sim, void *ctx)
{
    (void)ctx;
    calls++;
    coop_task_spec spec = { .step = quick, .name = "drifter", .time2run_ns = COOP_MS(calls == 1 ? 10 : 11) };
    return coop_spawn(coop_sim_sched(sim), &spec) > 0 ? 0 : -1;
}

Test(determinism, the_self_check_reports_the_first_difference)
{
    char report[4096];
    calls = 0;
    coop_sim_config cfg = { 0 };
    cr_assert_eq(coop_sim_selfcheck(&cfg, drifting_setup, NULL, NULL, report, sizeof(report)), 1);
    cr_assert(strstr(report, "runs differ at event 2:") != NULL, "%s", report);
    cr_assert(strstr(report, "run 1: {\"t_ns\":10000000,\"ev\":\"run\"") != NULL, "%s", report);
    cr_assert(strstr(report, "run 2: {\"t_ns\":11000000,\"ev\":\"run\"") != NULL, "%s", report);
}
