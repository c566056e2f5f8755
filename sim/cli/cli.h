/* Internal interfaces of the coop command: subcommands, the worker pool, program loading, CI reports. */
#ifndef COOP_SIM_CLI_H
#define COOP_SIM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "coop/cli.h"
#include "coop/scenario.h"

/* Exit statuses, as the command documents them. */
#define CLI_PASS 0
#define CLI_FAIL 1
#define CLI_USAGE 2

/* What every subcommand receives: how it was invoked and the programs it may run. */
struct cli {
    const char *argv0;
    const coop_program *builtin;
    const coop_program *registry; /* builtin, or loaded programs followed by builtin */
    coop_program *merged;         /* owned when --load was given */
    void *dl;
    const char *load_path; /* for reproduce lines */
};

int cli_run(struct cli *c, int argc, char **argv);
int cli_explore(struct cli *c, int argc, char **argv);
int cli_trace(struct cli *c, int argc, char **argv);
int cli_start(struct cli *c, int argc, char **argv);

/* Loads LIB's programs in front of the built-in ones; 0, or -1 with a message on stderr. */
int cli_load(struct cli *c, const char *path);
void cli_unload(struct cli *c);

/*
 * Runs job(ctx, i) for i in [0, n) on `threads` threads and calls
 * done(ctx, i) on the calling thread in index order, as soon as job i and
 * every job before it have finished, so output never depends on timing.
 */
void cli_pool(size_t n, int threads, void (*job)(void *ctx, size_t i), void (*done)(void *ctx, size_t i),
              void *ctx);

/* Parses "-j N"-style counts and "A..B" ranges; 0 or -1. */
int cli_parse_u64(const char *s, uint64_t *out);

/* CI reports: one entry per scenario. */
struct cli_case {
    const char *name;
    bool passed, error;
    const char *message; /* the failure report, or NULL */
};
int cli_write_tap(const char *path, const struct cli_case *cases, size_t n);
int cli_write_junit(const char *path, const struct cli_case *cases, size_t n);

/* The reproduce line: "coop run FILE --seed S --faults 0xM --ties T" (with --load when one was used). */
void cli_reproduce_line(const struct cli *c, FILE *out, const char *path, const coop_scn_result *res);

#endif
