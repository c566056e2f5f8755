/* Workload 5, explore throughput: `coop explore` on the echo-basic scenario, timed, as one RESULT line. */
#define _GNU_SOURCE
#include "bench.h"

#include "coop/cli.h"
#include "programs.h"

/*
 * usage: explore-rate SCENARIO SEEDS JOBS
 * Runs exactly what `coop explore SCENARIO --seeds 0..SEEDS -j JOBS -q`
 * runs, in-process, and reports seeds per wall second measured around
 * it.  Failing seeds are expected (explore perturbs on purpose), so the
 * exit status of explore itself is not an error here.
 */
int main(int argc, char **argv)
{
    if (argc != 4)
        bench_usage(argv[0], "SCENARIO SEEDS JOBS");
    uint64_t seeds = bench_arg_count(argv[0], "SEEDS", argv[2]);
    uint64_t jobs = bench_arg_count(argv[0], "JOBS", argv[3]);
    char range[64], j[32];
    snprintf(range, sizeof(range), "0..%llu", (unsigned long long)seeds);
    snprintf(j, sizeof(j), "%llu", (unsigned long long)jobs);
    char *args[] = { "coop", "explore", argv[1], "--seeds", range, "-j", j, "-q", NULL };
    /* explore writes its own summary to stderr; only the RESULT line goes to stdout. */
    uint64_t t0 = bench_now_ns();
    int rc = coop_main(8, args, coop_builtin_programs);
    uint64_t wall = bench_now_ns() - t0;
    if (rc == 2)
        bench_die(argv[0], "coop explore: usage or parse error", rc);
    printf("RESULT workload=explore impl=coop jobs=%llu seeds=%llu wall_s=%.3f seeds_per_s=%.0f\n",
           (unsigned long long)jobs, (unsigned long long)seeds, (double)wall / 1e9,
           (double)seeds / ((double)wall / 1e9));
    return 0;
}
