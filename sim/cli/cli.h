/* Internal interfaces of the coop command: subcommands, the worker pool, program loading, CI reports. */
#ifndef COOP_SIM_CLI_H
#define COOP_SIM_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "coop/cli.h"
#include "coop/scenario.h"
#include "coop/trace-convert.h"
#include "pool.h"

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

/* Decimal counts: digits only, nothing that overflows; 0 or -1. */
int cli_parse_u64(const char *s, uint64_t *out);
/* Durations written as in scenarios and then some: "250ms", "1.5s", "2m", "1h"; 0 or -1. */
int cli_parse_duration(const char *s, uint64_t *out);
/* The name among names nearest to word, when one is near enough to be a typo; else NULL. */
const char *cli_suggest(const char *word, const char *const *names, size_t n);
/* Says what was wrong with arg, which getopt_long answered with ch ('?' or ':'), with a suggestion. */
void cli_bad_option(const char *cmd, int ch, int optopt_, const char *arg, const struct option *longs);
/* The one scenario left after the options, or NULL once it said (with the help) that there is none or more. */
const char *cli_one_scenario(const char *cmd, int argc, char **argv, const char *help);
/* Wall-clock durations, written the way virtual times are ("12ms", "1.5s"), rounded for people. */
void cli_format_wall(uint64_t ns, char *buf, size_t len);

/* Scenario paths gathered from the command line; owned. */
struct cli_paths {
    char **v;
    size_t n, cap;
};
/* Adds PATH, or every *.scn below the directory PATH (docs/runner.md gives the order); 0 or -1. */
int cli_scan(struct cli_paths *ps, const char *path);
void cli_paths_fini(struct cli_paths *ps);

/* Whether colour may be used on stream: a terminal, and NO_COLOR unset. */
bool cli_colour(FILE *stream);

/* CI reports: one entry per scenario. */
struct cli_case {
    const char *name;
    bool passed, error;
    const char *kind;    /* "FAIL", "CRASH", "TIMEOUT" or "ERROR" when it did not pass */
    const char *message; /* the failure report, or NULL */
    uint64_t wall_ns;    /* how long it ran */
    bool ran;            /* false: an interruption or --fail-fast kept it from running */
};
int cli_write_tap(const char *path, const struct cli_case *cases, size_t n);
int cli_write_junit(const char *path, const struct cli_case *cases, size_t n);

/* A terminal's progress bar, redrawn in place on standard error; off, plain lines now and then, or nothing. */
struct cli_progress {
    bool on, drawn;
    bool plain;       /* when not on: a plain line on standard error every 10 s instead */
    const char *unit; /* "seeds", "scenarios" */
    uint64_t start_ns, last_ns;
};
void cli_progress_init(struct cli_progress *p, bool on, const char *unit);
void cli_progress_draw(struct cli_progress *p, uint64_t done, uint64_t total, uint64_t failed);
/* Erases the bar, before a line is printed. */
void cli_progress_clear(struct cli_progress *p);

/* "SIGSEGV", "SIGABRT" ... */
const char *cli_signal_name(int sig);
/* The report of an item whose worker crashed or timed out: the signal or the limit, the task, the last events. */
void cli_write_death(FILE *out, const struct cli_outcome *o, uint64_t timeout_ns);
/* A short stable description of it, for grouping: "crash SIGSEGV in task NAME (resumed at line N)". */
void cli_death_signature(char *buf, size_t len, const struct cli_outcome *o);

/* The wall-clock limit of one scenario or seed when --timeout is not given. */
#define CLI_DEFAULT_TIMEOUT_NS (60 * UINT64_C(1000000000))
/* Exit status after a first SIGINT or SIGTERM: 128 + the signal, as a shell reports it. */
#define CLI_INTERRUPTED(sig) (128 + (sig))

/* "I/N" with 1 <= I <= N; 0 or -1. */
int cli_parse_shard(const char *v, uint64_t *i, uint64_t *n);

/* Golden traces: compares res's trace with the .trace beside path (or rewrites it); may set *status. */
void cli_golden(const struct cli *c, bool update, FILE *out, const char *path, const coop_scn_result *res,
                int *status);
/* Converts a JSON-lines trace held in memory; the caller frees *out. */
int cli_convert(const char *jsonl, size_t len, coop_trace_format fmt, char **out, size_t *outlen);
int cli_write_file(const char *path, const char *data, size_t len);

/* The reproduce line for explicit settings; faults may be COOP_SIM_FAULTS_FROM_SEED. */
void cli_reproduce(const struct cli *c, FILE *out, const char *path, uint64_t seed, uint32_t faults,
                   bool permute_ties, const char *schedule);
/* The reproduce line: "coop run FILE --seed S --faults 0xM --ties T" (with --load when one was used). */
void cli_reproduce_line(const struct cli *c, FILE *out, const char *path, const coop_scn_result *res);

#endif
