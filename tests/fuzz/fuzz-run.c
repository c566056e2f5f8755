/* libFuzzer target: a scenario is parsed and, when it parses, run with every built-in program, a bounded number of steps. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "coop/scenario.h"
#include "programs.h"

/* Steps one run may take: enough to reach deep into a program, few enough for thousands of runs a second. */
#define FUZZ_STEPS 20000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs scn once; traps on anything a run must never do, and returns its trace hash. */
static uint64_t run_once(const coop_scenario *scn, const coop_scn_overrides *ov)
{
    coop_scn_result res;
    int rc = coop_scenario_run(scn, coop_builtin_programs, ov, false, &res);
    if (rc == -COOP_EINVAL || rc == -COOP_ENOENT) {
        /* A program that cannot start, or no such program: an error at a place in the file. */
        if (!res.report || strncmp(res.report, "fuzz.scn:", 9) || !strstr(res.report, ": error: "))
            __builtin_trap();
    } else if (rc == 0) {
        if (res.steps > FUZZ_STEPS || (!res.passed && (!res.report || !res.signature)) ||
            res.failed < res.others || res.checked + res.others < res.failed)
            __builtin_trap();
    }
    uint64_t hash = res.trace_hash;
    coop_scn_result_fini(&res);
    return hash;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[COOP_SCN_MAX_ERR];
    coop_scenario *scn = NULL;
    if (coop_scenario_parse("fuzz.scn", (const char *)data, size, &scn, err, sizeof(err)))
        return 0;
    if (!scn->cfg.max_steps || scn->cfg.max_steps > FUZZ_STEPS)
        scn->cfg.max_steps = FUZZ_STEPS;
    if (!scn->cfg.busy_steps || scn->cfg.busy_steps > FUZZ_STEPS)
        scn->cfg.busy_steps = FUZZ_STEPS;
    /* The same run twice gives the same trace; then the seed chooses faults and the order of ties. */
    if (run_once(scn, NULL) != run_once(scn, NULL))
        __builtin_trap();
    uint64_t seed = 1469598103934665603u;
    for (size_t i = 0; i < size; i++)
        seed = (seed ^ data[i]) * 1099511628211u;
    coop_scn_overrides ov = { .seed_set = true,
                              .seed = seed,
                              .faults_set = true,
                              .faults = COOP_SIM_FAULTS_FROM_SEED,
                              .ties_set = true,
                              .permute_ties = true,
                              .brief = true };
    (void)run_once(scn, &ov);
    coop_scenario_free(scn);
    return 0;
}
