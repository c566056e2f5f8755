/* coop trace: converts a JSON-lines trace to another form, and summarises each task's steps, wakes and lateness. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/grow.h"
#include "cli.h"
#include "coop/trace-convert.h"

static const char trace_help[] =
    "usage: coop trace [--to jsonl|text|chrome] [-o, --output OUT] [--summary] FILE\n"
    "\n"
    "Reads a JSON-lines trace (coop run --trace FILE writes one).  With --to, writes\n"
    "it in that form to OUT (default: standard output).  Without --to, or with\n"
    "--summary, prints one line per task: steps run, wake-ups by reason, how it\n"
    "ended and, for periodic tasks, the longest lateness of a run.\n"
    "\n"
    "Lateness is measured against the task's own grid: after a plain yield the next\n"
    "run is due one period after the previous due time; after any other call the\n"
    "grid restarts at the next run.\n";

#define REASONS 5
static const char *const reason_names[REASONS] = { "timer", "signal", "io", "task_exit", "timeout" };

/* What the summary keeps per task, in tid order of first appearance. */
struct task_sum {
    int64_t tid;
    char name[64];
    uint64_t period_ns; /* 0: not periodic */
    uint64_t steps, wakes[REASONS];
    bool have_due, plain_yield;
    uint64_t due_ns, max_late_ns; /* a damaged trace may hold any times: the sums saturate */
    char end[64];
};

static struct task_sum *find_task(struct task_sum **v, size_t *n, size_t *cap, int64_t tid)
{
    for (size_t i = 0; i < *n; i++)
        if ((*v)[i].tid == tid)
            return &(*v)[i];
    if (grow(coop_allocator_libc(), (void **)v, cap, *n + 1, sizeof(**v), 32))
        return NULL;
    struct task_sum *t = &(*v)[(*n)++];
    *t = (struct task_sum){ .tid = tid };
    snprintf(t->end, sizeof(t->end), "alive");
    return t;
}

static int summarise(FILE *in, const char *name)
{
    struct task_sum *v = NULL;
    size_t n = 0, cap = 0, lineno = 0;
    char *line = malloc(COOP_TRACE_BUF);
    coop_trace_reader *rd = coop_trace_reader_new();
    int rc = line && rd ? CLI_PASS : CLI_USAGE;
    const char *endst = "?";
    char endbuf[64] = "";
    for (long len; rc == CLI_PASS && (len = coop_trace_read_line(in, line)) != 0;) {
        lineno++;
        size_t col = COOP_TRACE_LINE_MAX + 1;
        const char *msg = "line too long";
        const coop_sim_event *o;
        if (len < 0 || coop_trace_parse(rd, line, (size_t)len, &o, &col, &msg)) {
            fprintf(stderr, "%s:%zu:%zu: error: %s\n", name, lineno, col, msg);
            rc = CLI_USAGE;
            break;
        }
        const char *ev = o->ev;
        int64_t tid, x = 0;
        uint64_t t = o->t_ns;
        if (!strcmp(ev, "end")) {
            const char *s = coop_sim_field_str(o, "status");
            snprintf(endbuf, sizeof(endbuf), "%s", s ? s : "?");
            endst = endbuf;
        }
        if (!coop_sim_field_int(o, "tid", &tid))
            continue;
        struct task_sum *ts = find_task(&v, &n, &cap, tid);
        if (!ts)
            break;
        const char *task = coop_sim_field_str(o, "task");
        if (task)
            snprintf(ts->name, sizeof(ts->name), "%s", task);
        if (!strcmp(ev, "spawn")) {
            if (coop_sim_field_int(o, "period_ns", &x))
                ts->period_ns = x > 0 ? (uint64_t)x : 0;
        } else if (!strcmp(ev, "run")) {
            ts->steps++;
            if (ts->period_ns > 0) {
                if (ts->have_due && ts->plain_yield) {
                    ts->due_ns =
                        ts->due_ns > UINT64_MAX - ts->period_ns ? UINT64_MAX : ts->due_ns + ts->period_ns;
                    if (t > ts->due_ns && t - ts->due_ns > ts->max_late_ns)
                        ts->max_late_ns = t - ts->due_ns;
                } else {
                    ts->due_ns = t;
                    ts->have_due = true;
                }
            }
        } else if (!strcmp(ev, "yield")) {
            const char *call = coop_sim_field_str(o, "call");
            ts->plain_yield = call && !strcmp(call, "yield");
        } else if (!strcmp(ev, "wake")) {
            const char *r = coop_sim_field_str(o, "reason");
            for (int k = 0; r && k < REASONS; k++)
                if (!strcmp(r, reason_names[k]))
                    ts->wakes[k]++;
        } else if (!strcmp(ev, "exit")) {
            if (coop_sim_field_int(o, "status", &x))
                snprintf(ts->end, sizeof(ts->end), "exit %" PRId64, x);
            else
                snprintf(ts->end, sizeof(ts->end), "exit");
        } else if (!strcmp(ev, "kill")) {
            if (coop_sim_field_int(o, "by", &x))
                snprintf(ts->end, sizeof(ts->end), "killed by %" PRId64, x);
            else
                snprintf(ts->end, sizeof(ts->end), "killed");
        } else if (!strcmp(ev, "fail")) {
            const char *e = coop_sim_field_str(o, "error");
            snprintf(ts->end, sizeof(ts->end), "failed %s", e ? e : "?");
        }
    }
    if (rc == CLI_PASS && ferror(in)) {
        fprintf(stderr, "coop trace: error: cannot read %s\n", name);
        rc = CLI_USAGE;
    }
    if (rc == CLI_PASS) {
        printf("%-20s %5s %8s  %-34s %-16s %s\n", "task", "tid", "steps",
               "wakes (timer/signal/io/exit/timeout)", "ended", "max lateness");
        for (size_t i = 0; i < n; i++) {
            struct task_sum *ts = &v[i];
            char wakes[64], late[32] = "-";
            snprintf(wakes, sizeof(wakes), "%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64,
                     ts->wakes[0], ts->wakes[1], ts->wakes[2], ts->wakes[3], ts->wakes[4]);
            if (ts->period_ns > 0)
                coop_scn_format_time(ts->max_late_ns, late, sizeof(late));
            printf("%-20s %5" PRId64 " %8" PRIu64 "  %-34s %-16s %s\n", ts->name, ts->tid, ts->steps, wakes,
                   ts->end, late);
        }
        printf("%zu task(s); the run ended: %s\n", n, endst);
    }
    coop_trace_reader_free(rd);
    free(line);
    free(v);
    return rc;
}

/* Opens a trace to read: a directory is refused here, as reading one would fail in ways that say less. */
static FILE *open_trace(const char *file)
{
    struct stat st;
    if (stat(file, &st)) {
        fprintf(stderr, "coop trace: error: %s: %s\n", file, strerror(errno));
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        fprintf(stderr, "coop trace: error: %s: %s\n", file, strerror(EISDIR));
        return NULL;
    }
    FILE *in = fopen(file, "r");
    if (!in)
        fprintf(stderr, "coop trace: error: %s: %s\n", file, strerror(errno));
    return in;
}

int cli_trace(struct cli *c, int argc, char **argv)
{
    (void)c;
    static const struct option longs[] = { { "to", required_argument, NULL, 't' },
                                           { "output", required_argument, NULL, 'o' },
                                           { "summary", no_argument, NULL, 's' },
                                           { "help", no_argument, NULL, 'h' },
                                           { NULL, 0, NULL, 0 } };
    const char *file = NULL, *outp = NULL;
    bool convert = false, summary = false;
    coop_trace_format fmt = COOP_TRACE_TEXT;
    int ch;
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":ho:", longs, NULL)) != -1) {
        switch (ch) {
        case 'h':
            fputs(trace_help, stdout);
            return CLI_PASS;
        case 't':
            if (coop_trace_format_parse(optarg, &fmt)) {
                fprintf(stderr, "coop trace: error: unknown format '%s' (jsonl, text, chrome)\n", optarg);
                return CLI_USAGE;
            }
            convert = true;
            break;
        case 'o':
            outp = optarg;
            break;
        case 's':
            summary = true;
            break;
        default:
            cli_bad_option("trace", ch, optopt, argv[optind - 1], longs);
            return CLI_USAGE;
        }
    }
    if (optind + 1 < argc) {
        fprintf(stderr, "coop trace: error: one trace at a time\n");
        return CLI_USAGE;
    }
    file = optind < argc ? argv[optind] : NULL;
    if (!file) {
        fprintf(stderr, "coop trace: error: no trace given\n\n%s", trace_help);
        return CLI_USAGE;
    }
    if (!convert)
        summary = true;
    int rc = CLI_PASS;
    if (convert) {
        FILE *in = open_trace(file);
        if (!in)
            return CLI_USAGE;
        FILE *out = outp ? fopen(outp, "w") : stdout;
        if (!out) {
            fprintf(stderr, "coop trace: error: cannot write %s: %s\n", outp, strerror(errno));
            fclose(in);
            return CLI_USAGE;
        }
        char err[256];
        if (coop_trace_convert(in, file, out, fmt, err, sizeof(err))) {
            fprintf(stderr, "%s\n", err);
            rc = CLI_USAGE;
        }
        fclose(in);
        if (outp && fclose(out)) {
            fprintf(stderr, "coop trace: error: cannot write %s: %s\n", outp, strerror(errno));
            rc = CLI_USAGE;
        }
        if (rc || !summary)
            return rc;
    }
    FILE *in = open_trace(file);
    if (!in)
        return CLI_USAGE;
    rc = summarise(in, file);
    fclose(in);
    return rc;
}
