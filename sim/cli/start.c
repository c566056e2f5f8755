/* coop start: one registered program on the real backend, until it ends, its time is up, or it is interrupted. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char start_usage[] =
    "usage: coop start [--for TIME] [--stop-on-error] [--load LIB.so] PROGRAM [ARGS...]\n"
    "\n"
    "Runs PROGRAM on the real backend: the monotonic clock, real sockets, and\n"
    "epoll or poll.  It runs until no task is left, a task calls KillOs, TIME\n"
    "has passed (such as 3s, 250ms or 1.5s), or SIGINT or SIGTERM arrives;\n"
    "then every remaining task is killed and its cleanup runs.  A second signal\n"
    "ends the process at once.  Each log line of the program is printed on\n"
    "standard output with the time since the start and the task; one line on\n"
    "standard error says how the run ended.  ARGS go to the program.\n"
    "\n"
    "options:\n"
    "  --for TIME        stop after TIME\n"
    "  --stop-on-error   stop at the first failing step (otherwise only that task ends)\n"
    "  --load LIB.so     find PROGRAM in a shared object first (see `coop run --help`)\n"
    "\n"
    "Exit status: 0 the program ended or was stopped, 1 a step failed or every\n"
    "task waits on something nothing can send, 2 usage error or the program\n"
    "could not start.\n";

/* Parses "250ms", "3s", "1.5s", "10us", "7ns" into nanoseconds; 0 or -1. */
static int parse_time(const char *s, int64_t *out)
{
    static const struct {
        const char *name;
        int64_t ns;
    } units[] = { { "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 } };
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    unsigned long long whole = strtoull(s, &end, 10);
    uint64_t frac = 0, scale = 1;
    if (*end == '.') {
        for (end++; *end >= '0' && *end <= '9'; end++) {
            if (scale < 1000000000u) {
                frac = frac * 10 + (uint64_t)(*end - '0');
                scale *= 10;
            }
        }
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].name) != 0)
            continue;
        uint64_t unit = (uint64_t)units[i].ns;
        if (whole > (uint64_t)INT64_MAX / unit)
            return -1;
        *out = (int64_t)(whole * unit + frac * unit / scale);
        return 0;
    }
    return -1;
}

int cli_start(struct cli *c, int argc, char **argv)
{
    coop_run_options opts = { 0 };
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(start_usage, stdout);
            return CLI_PASS;
        } else if (!strcmp(a, "--stop-on-error")) {
            opts.stop_on_error = true;
        } else if (!strcmp(a, "--for") && i + 1 < argc) {
            if (parse_time(argv[++i], &opts.duration_ns) || opts.duration_ns <= 0) {
                fprintf(stderr, "coop start: error: --for needs a time such as 3s or 250ms, got '%s'\n",
                        argv[i]);
                return CLI_USAGE;
            }
        } else if (!strcmp(a, "--load") && i + 1 < argc) {
            if (cli_load(c, argv[++i]))
                return CLI_USAGE;
        } else {
            fprintf(stderr, "coop start: error: unknown option '%s'\n\n%s", a, start_usage);
            return CLI_USAGE;
        }
    }
    if (i == argc) {
        fprintf(stderr, "coop start: error: no program named\n\n%s", start_usage);
        return CLI_USAGE;
    }
    const char *name = argv[i];
    const coop_program *p = coop_program_find(c->registry, name);
    if (!p) {
        fprintf(stderr, "coop start: error: no program '%s' (`coop programs` lists them)\n", name);
        return CLI_USAGE;
    }
    coop_run_result res;
    int err = coop_program_run(p, argc - i - 1, argv + i + 1, &opts, &res);
    if (err) {
        fprintf(stderr, "coop start: error: %s could not start: %s\n", name, coop_strerror(err));
        return CLI_USAGE;
    }
    /* A failing step has already been logged, with its task and place, when it failed. */
    fprintf(stderr, "coop start: %s %s after %llu.%03llu s%s\n", name, coop_run_end_name(res.end),
            (unsigned long long)(res.elapsed_ns / 1000000000u),
            (unsigned long long)(res.elapsed_ns % 1000000000u / 1000000u),
            res.failed ? ", and a step failed" : "");
    return res.failed || res.end == COOP_RUN_BLOCKED || res.end == COOP_RUN_FAILED ? CLI_FAIL : CLI_PASS;
}
