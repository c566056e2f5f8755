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

int cli_start(struct cli *c, int argc, char **argv)
{
    static const struct option longs[] = { { "for", required_argument, NULL, 'f' },
                                           { "stop-on-error", no_argument, NULL, 's' },
                                           { "load", required_argument, NULL, 'l' },
                                           { "help", no_argument, NULL, 'h' },
                                           { NULL, 0, NULL, 0 } };
    coop_run_options opts = { 0 };
    int ch;
    optind = 0;
    opterr = 0;
    /* '+': options end at the program's name; what follows is the program's. */
    while ((ch = getopt_long(argc, argv, "+:h", longs, NULL)) != -1) {
        uint64_t ns;
        switch (ch) {
        case 'h':
            fputs(start_usage, stdout);
            return CLI_PASS;
        case 's':
            opts.stop_on_error = true;
            break;
        case 'f':
            if (cli_parse_duration(optarg, &ns) || !ns || ns > INT64_MAX) {
                fprintf(stderr, "coop start: error: --for needs a time such as 3s or 250ms, got '%s'\n",
                        optarg);
                return CLI_USAGE;
            }
            opts.duration_ns = (int64_t)ns;
            break;
        case 'l':
            if (cli_load(c, optarg))
                return CLI_USAGE;
            break;
        default:
            cli_bad_option("start", ch, optopt, argv[optind - 1], longs);
            return CLI_USAGE;
        }
    }
    int i = optind;
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
    char t[32];
    cli_format_wall(res.elapsed_ns, t, sizeof(t));
    fprintf(stderr, "coop start: %s %s after %s%s\n", name, coop_run_end_name(res.end), t,
            res.failed ? ", and a step failed" : "");
    return res.failed || res.end == COOP_RUN_BLOCKED || res.end == COOP_RUN_FAILED ? CLI_FAIL : CLI_PASS;
}
