/* coop run: runs scenario files in worker processes and reports each in input order, with CI reports. */
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "strategy.h"
#include "coop/trace-convert.h"

static const char run_help[] =
    "usage: coop run [OPTIONS] FILE|DIR...\n"
    "\n"
    "Runs each scenario and prints one status for each, in the order given, then\n"
    "a summary.  A DIR means every *.scn file below it, searched recursively:\n"
    "entries in byte order of their names, a subfolder where its name falls,\n"
    "hidden entries and linked folders skipped.  Each scenario runs in a worker\n"
    "process, so a crash or a hang in task code costs that scenario only.\n"
    "\n"
    "statuses:\n"
    "  PASS     every expectation held\n"
    "  FAIL     an expectation failed (what, where, the trace events around its\n"
    "           window, a reproduce line)\n"
    "  STATE    with --until-step or --until: the world at the stop point\n"
    "  CRASH    the task code crashed the worker: the signal, the task that was\n"
    "           running, the last trace events and a reproduce line\n"
    "  TIMEOUT  the scenario ran past --timeout of wall time: the task that was\n"
    "           running and its resume point; its worker was killed\n"
    "  ERROR    the scenario could not be read, parsed or started\n"
    "\n"
    "options:\n"
    "  -j, --jobs N          N worker processes (default 1); the output order never changes\n"
    "  --timeout DUR         wall time one scenario may take (default 60s; 0s: none)\n"
    "  --filter PATTERN      only scenarios whose path matches PATTERN: a glob, or a\n"
    "                        substring when it has no * ? or [\n"
    "  --shard I/N           only the I-th of N interleaved slices of the list (I from 1)\n"
    "  --list                print the scenarios that would run, and run none\n"
    "  --fail-fast           start no further scenario after the first that does not pass\n"
    "  --seed N              override the scenario's seed\n"
    "  --faults LIST         override the fault mix: none, all, seed, 0xMASK, or jitter,split,...\n"
    "  --ties fifo|permute   override the tie order (--permute-ties is --ties permute)\n"
    "  --schedule S          replay the tie choices S that coop explore printed, and\n"
    "                        its fault decisions when S has them (after a '/')\n"
    "  --until-step N        stop the (single) scenario right after step N, check no\n"
    "                        expectation, and print the world there: every task and\n"
    "                        what it waits on, timers, signals, connections, and the\n"
    "                        last trace events (docs/runner.md describes the format)\n"
    "  --until TIME          the same at the last step at or before TIME (like 250ms)\n"
    "  --golden              compare each trace with the .trace file beside its .scn\n"
    "  --update-golden       rewrite those .trace files instead (review the diff)\n"
    "  --trace FILE          write the trace of the (single) scenario to FILE\n"
    "  --trace-format F      jsonl (default), text or chrome\n"
    "  --tap FILE            write a TAP report\n"
    "  --junit FILE          write a JUnit XML report\n"
    "  --load LIB.so         add the programs of a shared object (each worker is a\n"
    "                        process: its statics are its own)\n"
    "  -q, --quiet           print only what did not pass, and the summary\n"
    "  -h, --help            show this help\n"
    "\n"
    "A first SIGINT or SIGTERM starts no further scenario, gives those under way\n"
    "2s to finish, then prints the summary and writes the reports; a second one\n"
    "ends the command at once.  Times are wall-clock, written like 12ms or 1.5s.\n"
    "\n"
    "Exit status: 0 all passed, 1 something failed, crashed or timed out, 2 a usage\n"
    "or parse error (it outranks 1), 128+N after signal N.\n";

/* One scenario: its path, and once it ran, its status and what to print. */
struct job {
    const char *path;
    bool ran;
    int status;       /* CLI_PASS, CLI_FAIL or CLI_USAGE */
    const char *kind; /* "PASS", "FAIL", "CRASH", "TIMEOUT", "ERROR" */
    char *head;       /* the status line, without its duration */
    char *body;       /* what follows it */
    char *message;    /* for the reports */
    uint64_t wall_ns;
};

struct run_opts {
    struct cli *cli;
    coop_scn_overrides ov;
    bool golden, update, quiet, fail_fast, colour;
    bool until; /* --until-step or --until: print the world at the stop point */
    const char *trace_path;
    coop_trace_format trace_fmt;
    uint64_t timeout_ns;
    struct job *jobs;
    size_t njobs, printed;
    size_t counts[5]; /* by kind: passed, failed, crashed, timed out, errors */
    struct cli_progress bar;
};

enum { K_PASS, K_FAIL, K_CRASH, K_TIMEOUT, K_ERROR };
static const char *const kind_name[] = { "PASS", "FAIL", "CRASH", "TIMEOUT", "ERROR" };

void cli_reproduce(const struct cli *c, FILE *out, const char *path, uint64_t seed, uint32_t faults,
                   bool permute_ties, const char *schedule)
{
    fprintf(out, "%s run %s", c->argv0, path);
    if (c->load_path)
        fprintf(out, " --load %s", c->load_path);
    if (faults == COOP_SIM_FAULTS_FROM_SEED)
        fprintf(out, " --seed %" PRIu64 " --faults seed", seed);
    else
        fprintf(out, " --seed %" PRIu64 " --faults 0x%" PRIx32, seed, faults);
    if (schedule)
        fprintf(out, " --schedule %s\n", schedule);
    else
        fprintf(out, " --ties %s\n", permute_ties ? "permute" : "fifo");
}

void cli_reproduce_line(const struct cli *c, FILE *out, const char *path, const coop_scn_result *res)
{
    cli_reproduce(c, out, path, res->seed, res->faults, res->permute_ties, res->schedule);
}

/* In a worker: runs one scenario and sends its kind, head line, body and report message. */
static void run_job(void *ctx, uint64_t i, struct cli_msg *msg)
{
    struct run_opts *o = ctx;
    const char *path = o->jobs[i].path;
    char *body = NULL, *head = NULL;
    size_t blen = 0, hlen = 0;
    FILE *b = open_memstream(&body, &blen), *h = open_memstream(&head, &hlen);
    int kind = K_ERROR;
    char err[COOP_SCN_MAX_ERR];
    coop_scenario *scn = NULL;
    coop_scn_result res = { 0 };
    if (!b || !h)
        goto send;
    if (coop_scenario_load(path, &scn, err, sizeof(err))) {
        fprintf(h, "ERROR %s (", path);
        fprintf(b, "%s\n", err);
        goto send;
    }
    coop_scn_overrides ov = o->ov;
    cli_watch_observe(&ov);
    bool keep = o->golden || o->update || o->trace_path;
    int rc = coop_scenario_run(scn, o->cli->registry, &ov, keep, &res);
    if (rc) {
        fprintf(h, "ERROR %s (", path);
        if (rc == -COOP_ENOENT)
            fputs(res.report ? res.report : "", b);
        else
            fprintf(b, "  %s", res.report ? res.report : "the run could not start\n");
        goto send;
    }
    if (o->until) {
        char t[32];
        coop_scn_format_time(res.end_ns, t, sizeof(t));
        kind = K_PASS;
        if (res.reached && o->ov.until_step_set)
            fprintf(h, "STATE %s (stopped after step %" PRIu64 " at %s", path, res.steps, t);
        else if (res.reached)
            fprintf(h, "STATE %s (stopped at %s after %" PRIu64 " steps", path, t, res.steps);
        else
            fprintf(h, "STATE %s (the run ended %s at %s after %" PRIu64 " steps, before the stop point",
                    path, coop_sim_status_name(res.end), t, res.steps);
        if (!res.reached)
            fputs("the run ended before the stop point; the world at its end:\n", b);
        fputs(res.world ? res.world : "out of memory\n", b);
    }
    if (o->until)
        goto send;
    int status = res.passed ? CLI_PASS : CLI_FAIL;
    if (!res.passed)
        fputs(res.report ? res.report : "", b);
    if ((o->golden || o->update) && res.passed)
        cli_golden(o->cli, o->update, b, path, &res, &status);
    if (o->trace_path) {
        char *conv = NULL;
        size_t clen = 0;
        if (o->trace_fmt == COOP_TRACE_JSONL
                ? cli_write_file(o->trace_path, res.jsonl, res.jsonl_len)
                : (cli_convert(res.jsonl, res.jsonl_len, o->trace_fmt, &conv, &clen) ||
                   cli_write_file(o->trace_path, conv, clen))) {
            /* Checked writable before the run, so this is rare; like --tap, it is a usage error. */
            fprintf(b, "coop run: error: cannot write the trace to %s\n", o->trace_path);
            status = CLI_USAGE;
        }
        free(conv);
    }
    kind = status == CLI_PASS ? K_PASS : status == CLI_FAIL ? K_FAIL : K_ERROR;
    if (status == CLI_FAIL) {
        fputs("  reproduce: ", b);
        cli_reproduce_line(o->cli, b, path, &res);
    }
    char t[32];
    coop_scn_format_time(res.end_ns, t, sizeof(t));
    if (kind == K_PASS)
        fprintf(h, "PASS %s (%d expectations, ended %s at %s, %" PRIu64 " steps", path, res.checked,
                coop_sim_status_name(res.end), t, res.steps);
    else
        fprintf(h, "%s %s (", kind_name[kind], path);
send:
    if (b)
        fclose(b);
    if (h)
        fclose(h);
    cli_msg_u64(msg, (uint64_t)kind);
    cli_msg_str(msg, head ? head : "ERROR");
    cli_msg_str(msg, body ? body : "out of memory\n");
    free(head);
    free(body);
    coop_scn_result_fini(&res);
    coop_scenario_free(scn);
}

static void print_job(struct run_opts *o, struct job *j)
{
    char t[32];
    cli_format_wall(j->wall_ns, t, sizeof(t));
    bool pass = j->status == CLI_PASS;
    if (pass && o->quiet)
        return;
    const char *colour = !o->colour               ? NULL
                         : pass                   ? "\033[32m"
                         : j->status == CLI_USAGE ? "\033[33m"
                                                  : "\033[31m";
    size_t kl = strlen(j->kind);
    /* The head starts with the kind: only that word is coloured. */
    if (colour)
        printf("%s%s\033[0m%s", colour, j->kind, j->head + kl);
    else
        fputs(j->head, stdout);
    /* A head that opened a parenthesis gets the duration inside it, others after a comma. */
    size_t hl = strlen(j->head);
    printf("%s%s)\n", hl && j->head[hl - 1] == '(' ? "" : ", ", t);
    fputs(j->body ? j->body : "", stdout);
}

/* Prints every finished job that no unfinished one precedes: the output keeps the input order. */
static void flush_in_order(struct run_opts *o)
{
    bool any = false;
    while (o->printed < o->njobs && o->jobs[o->printed].ran) {
        if (!any)
            cli_progress_clear(&o->bar);
        any = true;
        print_job(o, &o->jobs[o->printed++]);
    }
    if (any) {
        fflush(stdout);
        size_t bad = o->counts[K_FAIL] + o->counts[K_CRASH] + o->counts[K_TIMEOUT] + o->counts[K_ERROR];
        cli_progress_draw(&o->bar, o->counts[K_PASS] + bad, o->njobs, bad);
    }
}

static bool run_done(void *ctx, uint64_t i, const struct cli_outcome *out)
{
    struct run_opts *o = ctx;
    struct job *j = &o->jobs[i];
    int kind;
    j->wall_ns = out->wall_ns;
    if (out->kind == CLI_OUT_DONE) {
        kind = (int)cli_msg_get_u64(out->data);
        const char *head = cli_msg_get_str(out->data), *body = cli_msg_get_str(out->data);
        if (out->data->bad || kind < K_PASS || kind > K_ERROR) {
            kind = K_ERROR;
            head = NULL;
            body = "  the worker sent a malformed result (out of memory?)\n";
        }
        if (!head) {
            char h[64];
            snprintf(h, sizeof(h), "ERROR %.50s (", j->path);
            j->head = strdup(h);
        } else {
            j->head = strdup(head);
        }
        j->body = strdup(body ? body : "");
    } else {
        kind = out->kind == CLI_OUT_TIMEOUT ? K_TIMEOUT : K_CRASH;
        char *body = NULL, *head = NULL;
        size_t blen = 0, hlen = 0;
        FILE *b = open_memstream(&body, &blen), *h = open_memstream(&head, &hlen);
        if (b && h) {
            fprintf(h, "%s %s (", kind_name[kind], j->path);
            cli_write_death(b, out, o->timeout_ns);
            const struct cli_watch *w = out->watch;
            fputs("  reproduce: ", b);
            if (w->have_sim)
                cli_reproduce(o->cli, b, j->path, w->seed, w->faults, w->permute_ties, NULL);
            else
                fprintf(b, "%s run %s%s%s\n", o->cli->argv0, j->path, o->cli->load_path ? " --load " : "",
                        o->cli->load_path ? o->cli->load_path : "");
        }
        if (b)
            fclose(b);
        if (h)
            fclose(h);
        j->head = head;
        j->body = body;
    }
    j->kind = kind_name[kind];
    j->status = kind == K_PASS ? CLI_PASS : kind == K_ERROR ? CLI_USAGE : CLI_FAIL;
    if (kind != K_PASS && j->body)
        j->message = strdup(j->body);
    if (!j->head)
        j->head = strdup(j->kind);
    j->ran = true;
    o->counts[kind]++;
    flush_in_order(o);
    return !(o->fail_fast && kind != K_PASS);
}

static void run_tick(void *ctx)
{
    struct run_opts *o = ctx;
    size_t bad = o->counts[K_FAIL] + o->counts[K_CRASH] + o->counts[K_TIMEOUT] + o->counts[K_ERROR];
    cli_progress_draw(&o->bar, o->counts[K_PASS] + bad, o->njobs, bad);
}

/* Whether path is chosen by --filter: a glob, or a substring when the pattern has no glob characters. */
static bool matches(const char *pattern, const char *path)
{
    if (!pattern)
        return true;
    if (strpbrk(pattern, "*?["))
        return fnmatch(pattern, path, 0) == 0;
    return strstr(path, pattern) != NULL;
}

/* Fails early on a report file that cannot be written, rather than after the whole run. */
static int check_writable(const char *path)
{
    FILE *f = fopen(path, "a");
    if (!f) {
        fprintf(stderr, "coop run: error: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    fclose(f);
    return 0;
}

int cli_parse_shard(const char *v, uint64_t *i, uint64_t *n)
{
    char buf[64];
    if (strlen(v) >= sizeof(buf))
        return -1;
    snprintf(buf, sizeof(buf), "%s", v);
    char *slash = strchr(buf, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    if (cli_parse_u64(buf, i) || cli_parse_u64(slash + 1, n) || *n < 1 || *i < 1 || *i > *n)
        return -1;
    return 0;
}

enum {
    OPT_SEED = 256,
    OPT_FAULTS,
    OPT_TIES,
    OPT_PERMUTE,
    OPT_SCHEDULE,
    OPT_GOLDEN,
    OPT_UPDATE,
    OPT_TRACE,
    OPT_TRACE_FORMAT,
    OPT_TAP,
    OPT_JUNIT,
    OPT_LOAD,
    OPT_TIMEOUT,
    OPT_FILTER,
    OPT_SHARD,
    OPT_LIST,
    OPT_FAIL_FAST,
    OPT_UNTIL_STEP,
    OPT_UNTIL
};

static const struct option run_options[] = {
    { "jobs", required_argument, NULL, 'j' },
    { "seed", required_argument, NULL, OPT_SEED },
    { "faults", required_argument, NULL, OPT_FAULTS },
    { "ties", required_argument, NULL, OPT_TIES },
    { "permute-ties", no_argument, NULL, OPT_PERMUTE },
    { "schedule", required_argument, NULL, OPT_SCHEDULE },
    { "golden", no_argument, NULL, OPT_GOLDEN },
    { "update-golden", no_argument, NULL, OPT_UPDATE },
    { "trace", required_argument, NULL, OPT_TRACE },
    { "trace-format", required_argument, NULL, OPT_TRACE_FORMAT },
    { "tap", required_argument, NULL, OPT_TAP },
    { "junit", required_argument, NULL, OPT_JUNIT },
    { "load", required_argument, NULL, OPT_LOAD },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "filter", required_argument, NULL, OPT_FILTER },
    { "shard", required_argument, NULL, OPT_SHARD },
    { "list", no_argument, NULL, OPT_LIST },
    { "fail-fast", no_argument, NULL, OPT_FAIL_FAST },
    { "until-step", required_argument, NULL, OPT_UNTIL_STEP },
    { "until", required_argument, NULL, OPT_UNTIL },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

int cli_run(struct cli *c, int argc, char **argv)
{
    struct run_opts o = { .cli = c, .trace_fmt = COOP_TRACE_JSONL, .timeout_ns = CLI_DEFAULT_TIMEOUT_NS };
    const char *tap = NULL, *junit = NULL, *filter = NULL;
    uint64_t workers = 1, shard_i = 1, shard_n = 1;
    bool list = false;
    struct cli_paths paths = { 0 };
    int rc = CLI_USAGE, ch, li = -1;
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":j:qh", run_options, &li)) != -1) {
        const char *v = optarg;
        switch (ch) {
        case 'h':
            fputs(run_help, stdout);
            rc = CLI_PASS;
            goto out;
        case 'j':
            if (cli_parse_u64(v, &workers) || workers < 1 || workers > CLI_MAX_WORKERS)
                goto bad_value;
            break;
        case OPT_SEED:
            if (cli_parse_u64(v, &o.ov.seed))
                goto bad_value;
            o.ov.seed_set = true;
            break;
        case OPT_FAULTS:
            if (coop_sim_faults_parse(v, &o.ov.faults))
                goto bad_value;
            o.ov.faults_set = true;
            break;
        case OPT_TIES:
            if (strcmp(v, "fifo") && strcmp(v, "permute"))
                goto bad_value;
            o.ov.ties_set = true;
            o.ov.permute_ties = !strcmp(v, "permute");
            break;
        case OPT_SCHEDULE:
            if (!cli_schedule_valid(v))
                goto bad_value;
            o.ov.schedule = v;
            break;
        case OPT_PERMUTE:
            o.ov.ties_set = o.ov.permute_ties = true;
            break;
        case OPT_GOLDEN:
            o.golden = true;
            break;
        case OPT_UPDATE:
            o.update = true;
            break;
        case OPT_TRACE:
            o.trace_path = v;
            break;
        case OPT_TRACE_FORMAT:
            if (coop_trace_format_parse(v, &o.trace_fmt))
                goto bad_value;
            break;
        case OPT_TAP:
            tap = v;
            break;
        case OPT_JUNIT:
            junit = v;
            break;
        case OPT_LOAD:
            if (cli_load(c, v))
                goto out;
            break;
        case OPT_TIMEOUT:
            if (cli_parse_duration(v, &o.timeout_ns))
                goto bad_value;
            break;
        case OPT_FILTER:
            filter = v;
            break;
        case OPT_SHARD:
            if (cli_parse_shard(v, &shard_i, &shard_n))
                goto bad_value;
            break;
        case OPT_LIST:
            list = true;
            break;
        case OPT_FAIL_FAST:
            o.fail_fast = true;
            break;
        case OPT_UNTIL_STEP:
            if (cli_parse_u64(v, &o.ov.until_step))
                goto bad_value;
            o.ov.until_step_set = o.until = true;
            break;
        case OPT_UNTIL:
            if (cli_parse_duration(v, &o.ov.until_ns))
                goto bad_value;
            o.ov.until_time_set = o.until = true;
            break;
        case 'q':
            o.quiet = true;
            break;
        default:
            cli_bad_option("run", ch, optopt, argv[optind - 1], run_options);
            goto out;
        }
        li = -1;
        continue;
    bad_value:
        fprintf(stderr, "coop run: error: bad value '%s' for %s%s\n", v, li >= 0 ? "--" : "-",
                li >= 0 ? run_options[li].name : "j");
        goto out;
    }
    for (int i = optind; i < argc; i++)
        if (cli_scan(&paths, argv[i]))
            goto out;
    if (!paths.n) {
        fprintf(stderr, "coop run: error: no scenario given\n\n%s", run_help);
        goto out;
    }
    /* The filter and the shard pick from the whole list, so shards of one list never overlap. */
    size_t n = 0;
    for (size_t k = 0, seen = 0; k < paths.n; k++) {
        if (!matches(filter, paths.v[k]))
            continue;
        if (seen++ % shard_n == shard_i - 1) {
            char *keep = paths.v[k];
            paths.v[k] = paths.v[n];
            paths.v[n++] = keep;
        }
    }
    if (list) {
        for (size_t k = 0; k < n; k++)
            printf("%s\n", paths.v[k]);
        rc = CLI_PASS;
        goto out;
    }
    if (!n) {
        fprintf(stderr, "coop run: error: no scenario is left after --filter and --shard\n");
        goto out;
    }
    if (o.trace_path && n != 1) {
        fprintf(stderr, "coop run: error: --trace needs exactly one scenario (%zu given)\n", n);
        goto out;
    }
    if (o.until && n != 1) {
        fprintf(stderr, "coop run: error: --%s needs exactly one scenario (%zu given)\n",
                o.ov.until_step_set ? "until-step" : "until", n);
        goto out;
    }
    if (o.ov.until_step_set && o.ov.until_time_set) {
        fprintf(stderr, "coop run: error: --until-step and --until exclude each other\n");
        goto out;
    }
    if (o.until && (o.golden || o.update || o.trace_path)) {
        fprintf(stderr, "coop run: error: --%s and --%s exclude each other\n",
                o.ov.until_step_set ? "until-step" : "until",
                o.golden   ? "golden"
                : o.update ? "update-golden"
                           : "trace");
        goto out;
    }
    if (o.golden && o.update) {
        fprintf(stderr, "coop run: error: --golden and --update-golden exclude each other\n");
        goto out;
    }
    if ((o.trace_path && check_writable(o.trace_path)) || (tap && check_writable(tap)) ||
        (junit && check_writable(junit)))
        goto out;
    o.jobs = calloc(n, sizeof(*o.jobs));
    if (!o.jobs)
        goto out;
    o.njobs = n;
    for (size_t k = 0; k < n; k++)
        o.jobs[k].path = paths.v[k];
    o.colour = cli_colour(stdout);
    cli_progress_init(&o.bar, !o.quiet && n > 1 && isatty(2), "scenarios");
    cli_interrupt_install();
    struct cli_pool_cfg pc = { .n = n,
                               .workers = (int)workers,
                               .timeout_ns = o.timeout_ns,
                               .job = run_job,
                               .done = run_done,
                               .tick = run_tick,
                               .ctx = &o };
    struct cli_pool_end end;
    uint64_t t0 = cli_now_ns();
    int prc = cli_pool_run(&pc, &end);
    uint64_t took = cli_now_ns() - t0;
    cli_progress_clear(&o.bar);
    if (prc)
        fprintf(stderr, "coop run: error: no worker process could be started: %s\n", strerror(errno));
    char t[32];
    cli_format_wall(took, t, sizeof(t));
    /* Scenarios that finished after one that never ran (interrupted, or --fail-fast) are printed now. */
    size_t not_run = 0;
    for (size_t k = o.printed; k < n; k++) {
        if (o.jobs[k].ran)
            print_job(&o, &o.jobs[k]);
        else
            not_run++;
    }
    /* A stop point checks nothing: no summary of passes. */
    if (o.until)
        goto summarised;
    printf("%zu passed, %zu failed, %zu crashed, %zu timed out, %zu errors", o.counts[K_PASS],
           o.counts[K_FAIL], o.counts[K_CRASH], o.counts[K_TIMEOUT], o.counts[K_ERROR]);
    if (not_run)
        printf(", %zu not run (%s)", not_run,
               end.interrupted ? "interrupted"
               : end.stopped   ? "--fail-fast"
                               : "the workers could not run them");
    printf(" in %s\n", t);
summarised:
    fflush(stdout);
    struct cli_case *cases = calloc(n, sizeof(*cases));
    for (size_t k = 0; cases && k < n; k++) {
        struct job *j = &o.jobs[k];
        cases[k] = (struct cli_case){
            j->path, j->status == CLI_PASS, j->status == CLI_USAGE, j->kind, j->message, j->wall_ns, j->ran
        };
    }
    rc = o.counts[K_ERROR] || prc                                       ? CLI_USAGE
         : o.counts[K_FAIL] || o.counts[K_CRASH] || o.counts[K_TIMEOUT] ? CLI_FAIL
                                                                        : CLI_PASS;
    if (cases && tap && cli_write_tap(tap, cases, n)) {
        fprintf(stderr, "coop run: error: cannot write %s: %s\n", tap, strerror(errno));
        rc = CLI_USAGE;
    }
    if (cases && junit && cli_write_junit(junit, cases, n)) {
        fprintf(stderr, "coop run: error: cannot write %s: %s\n", junit, strerror(errno));
        rc = CLI_USAGE;
    }
    if (end.interrupted) {
        fprintf(stderr, "coop run: interrupted by %s: %zu of %zu scenarios ran\n",
                cli_signal_name(cli_interrupted()), n - not_run, n);
        rc = CLI_INTERRUPTED(cli_interrupted());
    }
    cli_interrupt_uninstall();
    free(cases);
    for (size_t k = 0; k < n; k++) {
        free(o.jobs[k].head);
        free(o.jobs[k].body);
        free(o.jobs[k].message);
    }
    free(o.jobs);
out:
    cli_paths_fini(&paths);
    return rc;
}
