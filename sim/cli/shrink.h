/* Shrinking a failing scenario, for coop shrink and coop explore --shrink. */
#ifndef COOP_SIM_CLI_SHRINK_H
#define COOP_SIM_CLI_SHRINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"

/* The settings that make the scenario fail, as in a reproduce line, and the bounds of the search. */
struct cli_shrink_opts {
    bool seed_set, faults_set, ties_set, permute_ties;
    uint64_t seed;
    uint32_t faults; /* may be COOP_SIM_FAULTS_FROM_SEED */
    const char *schedule;
    uint64_t timeout_ns; /* wall time one candidate may take; 0: none */
    uint64_t max_runs;   /* candidates run at most */
};

#define CLI_SHRINK_TIMEOUT_NS (10 * UINT64_C(1000000000))
#define CLI_SHRINK_MAX_RUNS 5000

struct cli_shrink_result {
    char *text; /* the shrunk scenario; owned */
    size_t len;
    size_t lines0, lines;     /* lines other than comments and blank ones, before and after */
    size_t bytes0;            /* bytes of the input file (the result's are len) */
    size_t data0, data;       /* bytes of data its sends and recvs name */
    size_t classes0, classes; /* fault classes named in its faults and `fault net` lines */
    unsigned line0;           /* the input's failing line, 0 when the failure names none */
    char signature[256];      /* how it fails, without the line */
    uint64_t runs;            /* candidates run */
    bool out_of_runs, interrupted;
    bool guard; /* it passes without faults, in FIFO order and without schedule, and so does the result */
    bool same;  /* the result, run once more, fails the same way */
    char error[COOP_SCN_MAX_ERR + 64];
};

/*
 * Shrinks the scenario at path.  CLI_PASS with r->text, CLI_FAIL when it
 * does not fail (r->error says so), CLI_USAGE when it cannot be read,
 * parsed or run (r->error is "file:line:col: error: ...").
 */
int cli_shrink(struct cli *c, const char *path, const struct cli_shrink_opts *o, struct cli_shrink_result *r);

/* coop shrink. */
int cli_shrink_command(struct cli *c, int argc, char **argv);

/* Prints the figures of r: what was removed and the final size. */
void cli_shrink_summary(FILE *out, const struct cli_shrink_result *r);

#endif
