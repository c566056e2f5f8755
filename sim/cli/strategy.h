/* The search strategies of coop explore beyond random seeds: their options and their search loops. */
#ifndef COOP_SIM_CLI_STRATEGY_H
#define COOP_SIM_CLI_STRATEGY_H

#include <stdbool.h>
#include <stdint.h>

#include "cli.h"

/* SEEDS is the sweep without --strategy: each seed picks faults and permutes ties. */
typedef enum cli_strategy_kind {
    CLI_STRATEGY_SEEDS,
    CLI_STRATEGY_RANDOM,
    CLI_STRATEGY_PCT,
    CLI_STRATEGY_EXHAUSTIVE
} cli_strategy_kind;

/* The options: --strategy, --depth (PCT), --bound (exhaustive: the most schedules run). */
struct cli_strategy {
    cli_strategy_kind kind;
    uint32_t depth;       /* 0: 3 */
    uint64_t bound;       /* 0: 100,000 */
    bool calls_only;      /* exhaustive: tasks share state only through calls (--independence calls) */
    uint32_t fault_depth; /* pct: faults fired per run; exhaustive: the most per schedule (--fault-depth) */
    bool fault_depth_set;
};

/* The option help, for coop explore --help. */
extern const char cli_strategy_help[];

/* The options, in the order coop explore numbers them. */
enum cli_strategy_opt {
    CLI_OPT_STRATEGY,
    CLI_OPT_DEPTH,
    CLI_OPT_BOUND,
    CLI_OPT_INDEPENDENCE,
    CLI_OPT_FAULT_DEPTH
};

/* Takes one of the options with its value v: 0, or -1 for a bad value. */
int cli_strategy_option(struct cli_strategy *st, enum cli_strategy_opt which, const char *v);

/* Whether text is a well-formed schedule for --schedule. */
bool cli_schedule_valid(const char *text);

/*
 * Searches path's scenario with a random walk, PCT or exhaustive search,
 * one schedule per seed of first..last (random, PCT) or up to the bound
 * (exhaustive), and stops at the first failure, printing the command
 * that replays it; the status is CLI_PASS or CLI_FAIL.
 */
int cli_strategy_explore(struct cli *c, const struct cli_strategy *st, const char *path,
                         const coop_scenario *scn, const coop_scn_overrides *ov, uint64_t first,
                         uint64_t last);

#endif
