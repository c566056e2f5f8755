/* coop run: runs scenario files (in parallel with -j), compares golden traces, and reports in input order. */
#include <dirent.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/text.h"
#include "cli.h"
#include "coop/trace-convert.h"

static const char run_help[] =
    "usage: coop run [OPTIONS] FILE|DIR...\n"
    "\n"
    "Runs each scenario (a DIR means every *.scn file in it, by name) and prints\n"
    "PASS, FAIL or ERROR for each, in the order given, then a summary line.  A\n"
    "failure shows the expectation that failed and where, what happened instead,\n"
    "the tail of the trace, and a command that reproduces it exactly.\n"
    "\n"
    "options:\n"
    "  -j N                  run N scenarios at a time (the output order never changes)\n"
    "  --seed N              override the scenario's seed\n"
    "  --faults LIST         override the fault mix: none, all, seed, 0xMASK, or jitter,split,...\n"
    "  --ties fifo|permute   override the tie order (--permute-ties is --ties permute)\n"
    "  --golden              compare each trace with the .trace file beside its .scn\n"
    "  --update-golden       rewrite those .trace files instead (review the diff)\n"
    "  --trace FILE          write the trace of the (single) scenario to FILE\n"
    "  --trace-format F      jsonl (default), text or chrome\n"
    "  --tap FILE            write a TAP report\n"
    "  --junit FILE          write a JUnit XML report\n"
    "  --load LIB.so         add the programs of a shared object (see README)\n"
    "  -q, --quiet           print only failures and the summary\n"
    "  -h, --help            show this help\n"
    "\n"
    "Exit status: 0 all passed, 1 something failed, 2 a usage or parse error.\n";

/* The largest golden trace read back: far beyond any in the corpus, far below what would hurt. */
#define GOLDEN_MAX ((size_t)256 << 20)

/* One scenario's job: its inputs, and the output and status it produced. */
struct job {
    const char *path;
    char *out; /* what to print, in order */
    size_t outlen;
    int status; /* CLI_PASS, CLI_FAIL or CLI_USAGE */
    char *message;
};

struct run_opts {
    struct cli *cli;
    coop_scn_overrides ov;
    bool golden, update, quiet;
    const char *trace_path;
    coop_trace_format trace_fmt;
    struct job *jobs;
    size_t njobs;
    size_t passed, failed, errors;
};

void cli_reproduce_line(const struct cli *c, FILE *out, const char *path, const coop_scn_result *res)
{
    fprintf(out, "%s run %s", c->argv0, path);
    if (c->load_path)
        fprintf(out, " --load %s", c->load_path);
    fprintf(out, " --seed %" PRIu64 " --faults 0x%" PRIx32 " --ties %s\n", res->seed, res->faults,
            res->permute_ties ? "permute" : "fifo");
}

static char *golden_path(const char *path)
{
    size_t n = strlen(path);
    char *g = malloc(n + 8);
    if (!g)
        return NULL;
    memcpy(g, path, n + 1);
    if (n > 4 && !strcmp(path + n - 4, ".scn"))
        g[n - 4] = '\0';
    strcat(g, ".trace");
    return g;
}

/* Converts a JSON-lines trace held in memory; the caller frees *out. */
static int convert(const char *jsonl, size_t len, coop_trace_format fmt, char **out, size_t *outlen)
{
    return coop_scn_convert(jsonl, len, (int)fmt, out, outlen);
}

static int write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    bool ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static void golden_step(struct run_opts *o, FILE *out, const char *path, const coop_scn_result *res,
                        int *status)
{
    char *gpath = golden_path(path);
    char *text = NULL;
    size_t tlen = 0;
    if (!gpath || convert(res->jsonl, res->jsonl_len, COOP_TRACE_TEXT, &text, &tlen)) {
        fprintf(out, "  golden: the trace could not be converted\n");
        *status = CLI_FAIL;
        goto out;
    }
    if (o->update) {
        size_t old_len = 0;
        char *old = text_slurp(gpath, GOLDEN_MAX, &old_len);
        bool same = old && old_len == tlen && !memcmp(old, text, tlen);
        free(old);
        if (!same && write_file(gpath, text, tlen)) {
            fprintf(out, "  golden: cannot write %s\n", gpath);
            *status = CLI_FAIL;
        } else if (!same) {
            fprintf(out, "  golden: updated %s\n", gpath);
        }
        goto out;
    }
    size_t want_len = 0;
    char *want = text_slurp(gpath, GOLDEN_MAX, &want_len);
    if (!want) {
        fprintf(out, "  golden: %s is missing; create it with --update-golden\n", gpath);
        *status = CLI_FAIL;
    } else if (want_len != tlen || memcmp(want, text, tlen)) {
        size_t line = 1, i = 0, bol = 0;
        while (i < want_len && i < tlen && want[i] == text[i])
            if (want[i++] == '\n') {
                line++;
                bol = i;
            }
        const char *we = memchr(want + bol, '\n', want_len - bol);
        const char *ge = memchr(text + bol, '\n', tlen - bol);
        int wl = bol < want_len ? (int)((we ? we : want + want_len) - (want + bol)) : 0;
        int gl = bol < tlen ? (int)((ge ? ge : text + tlen) - (text + bol)) : 0;
        fprintf(out,
                "  %s:%zu: the trace differs from the golden trace\n    golden: %.*s\n    now:    %.*s\n"
                "    (if the change is intended: %s run %s --update-golden, then review the diff)\n",
                gpath, line, wl, want + bol, gl, text + bol, o->cli->argv0, path);
        *status = CLI_FAIL;
    }
    free(want);
out:
    free(text);
    free(gpath);
}

/* Writes each trace line to --trace's file as the run produces it, so a trace of any length fits. */
static void stream_line(void *ctx, const char *line, size_t len)
{
    size_t col;
    const char *msg;
    (void)coop_trace_writer_line(ctx, line, len, &col, &msg);
}

static void run_job(void *ctx, size_t i)
{
    struct run_opts *o = ctx;
    struct job *j = &o->jobs[i];
    FILE *out = open_memstream(&j->out, &j->outlen);
    if (!out) {
        j->status = CLI_USAGE;
        return;
    }
    char err[COOP_SCN_MAX_ERR];
    coop_scenario *scn = NULL;
    if (coop_scenario_load(j->path, &scn, err, sizeof(err))) {
        fprintf(out, "ERROR %s\n%s\n", j->path, err);
        j->status = CLI_USAGE;
        j->message = strdup(err);
        fclose(out);
        return;
    }
    coop_scn_result res;
    bool keep = o->golden || o->update;
    coop_scn_overrides ov = o->ov;
    FILE *trace = o->trace_path ? fopen(o->trace_path, "wb") : NULL;
    coop_trace_writer *tw = trace ? coop_trace_writer_new(trace, o->trace_fmt) : NULL;
    if (tw) {
        ov.on_line = stream_line;
        ov.on_line_ctx = tw;
    }
    int rc = coop_scenario_run(scn, o->cli->registry, &ov, keep, &res);
    bool trace_failed = o->trace_path && (!tw || coop_trace_writer_finish(tw) || fclose(trace));
    if (trace && !tw)
        fclose(trace);
    if (rc == -COOP_ENOENT || rc == -COOP_EINVAL) {
        fprintf(out, "ERROR %s\n%s", j->path, res.report ? res.report : "");
        j->status = CLI_USAGE;
        j->message = res.report ? strdup(res.report) : NULL;
        goto done;
    }
    if (rc) {
        fprintf(out, "ERROR %s\n  %s", j->path, res.report ? res.report : "the run could not start\n");
        j->status = CLI_USAGE;
        goto done;
    }
    j->status = res.passed ? CLI_PASS : CLI_FAIL;
    char *body = NULL;
    size_t blen = 0;
    FILE *b = open_memstream(&body, &blen);
    if (!b) {
        j->status = CLI_USAGE;
        goto done;
    }
    if (!res.passed)
        fputs(res.report ? res.report : "", b);
    if ((o->golden || o->update) && res.passed)
        golden_step(o, b, j->path, &res, &j->status);
    if (trace_failed) {
        fprintf(b, "  cannot write the trace to %s\n", o->trace_path);
        if (j->status == CLI_PASS)
            j->status = CLI_FAIL;
    }
    if (j->status != CLI_PASS) {
        fputs("  reproduce: ", b);
        cli_reproduce_line(o->cli, b, j->path, &res);
    }
    fclose(b);
    char t[32];
    coop_scn_format_time(res.end_ns, t, sizeof(t));
    if (j->status == CLI_PASS) {
        if (!o->quiet)
            fprintf(out, "PASS %s (%d expectations, ended %s at %s, %" PRIu64 " steps)\n", j->path,
                    res.checked, coop_sim_status_name(res.end), t, res.steps);
        if (!o->quiet && body)
            fputs(body, out);
    } else {
        fprintf(out, "FAIL %s\n%s", j->path, body ? body : "");
        j->message = body ? strdup(body) : NULL;
    }
    free(body);
done:
    coop_scn_result_fini(&res);
    coop_scenario_free(scn);
    fclose(out);
}

static void print_job(void *ctx, size_t i)
{
    struct run_opts *o = ctx;
    struct job *j = &o->jobs[i];
    if (j->out)
        fwrite(j->out, 1, j->outlen, stdout);
    fflush(stdout);
    if (j->status == CLI_PASS)
        o->passed++;
    else if (j->status == CLI_FAIL)
        o->failed++;
    else
        o->errors++;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Adds PATH, or every *.scn of the directory PATH in name order. */
static int add_input(struct run_opts *o, char ***paths, size_t *n, size_t *cap, const char *path)
{
    struct stat st;
    if (stat(path, &st)) {
        fprintf(stderr, "coop run: error: %s: no such file or directory\n", path);
        return -1;
    }
    char **names = NULL;
    size_t nn = 0;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (!d) {
            fprintf(stderr, "coop run: error: %s: cannot read the directory\n", path);
            return -1;
        }
        for (struct dirent *e; (e = readdir(d));) {
            size_t l = strlen(e->d_name);
            if (l < 5 || strcmp(e->d_name + l - 4, ".scn") || e->d_name[0] == '.')
                continue;
            char **v = realloc(names, (nn + 1) * sizeof(*v));
            if (!v)
                break;
            names = v;
            size_t pl = strlen(path);
            names[nn] = malloc(pl + l + 2);
            if (!names[nn])
                break;
            snprintf(names[nn], pl + l + 2, "%s%s%s", path, path[pl - 1] == '/' ? "" : "/", e->d_name);
            nn++;
        }
        closedir(d);
        qsort(names, nn, sizeof(*names), cmp_str);
    } else {
        names = malloc(sizeof(*names));
        if (names) {
            names[0] = strdup(path);
            nn = names[0] ? 1 : 0;
        }
    }
    (void)o;
    for (size_t k = 0; k < nn; k++) {
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            char **v = realloc(*paths, *cap * sizeof(*v));
            if (!v) {
                free(names[k]);
                continue;
            }
            *paths = v;
        }
        (*paths)[(*n)++] = names[k];
    }
    free(names);
    return 0;
}

int cli_run(struct cli *c, int argc, char **argv)
{
    struct run_opts o = { .cli = c, .trace_fmt = COOP_TRACE_JSONL };
    const char *tap = NULL, *junit = NULL;
    uint64_t threads = 1;
    char **paths = NULL;
    size_t n = 0, cap = 0;
    int rc = CLI_USAGE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(run_help, stdout);
            rc = CLI_PASS;
            goto out;
        } else if (!strcmp(a, "-j") && v) {
            if (cli_parse_u64(v, &threads) || threads < 1 || threads > 64)
                goto bad_value;
            i++;
        } else if (!strncmp(a, "-j", 2) && a[2]) {
            if (cli_parse_u64(a + 2, &threads) || threads < 1 || threads > 64)
                goto bad_value;
        } else if (!strcmp(a, "--seed") && v) {
            if (cli_parse_u64(v, &o.ov.seed))
                goto bad_value;
            o.ov.seed_set = true;
            i++;
        } else if (!strcmp(a, "--faults") && v) {
            if (coop_sim_faults_parse(v, &o.ov.faults))
                goto bad_value;
            o.ov.faults_set = true;
            i++;
        } else if (!strcmp(a, "--ties") && v) {
            if (strcmp(v, "fifo") && strcmp(v, "permute"))
                goto bad_value;
            o.ov.ties_set = true;
            o.ov.permute_ties = !strcmp(v, "permute");
            i++;
        } else if (!strcmp(a, "--permute-ties")) {
            o.ov.ties_set = o.ov.permute_ties = true;
        } else if (!strcmp(a, "--golden")) {
            o.golden = true;
        } else if (!strcmp(a, "--update-golden")) {
            o.update = true;
        } else if (!strcmp(a, "--trace") && v) {
            o.trace_path = v;
            i++;
        } else if (!strcmp(a, "--trace-format") && v) {
            if (coop_trace_format_parse(v, &o.trace_fmt))
                goto bad_value;
            i++;
        } else if (!strcmp(a, "--tap") && v) {
            tap = v;
            i++;
        } else if (!strcmp(a, "--junit") && v) {
            junit = v;
            i++;
        } else if (!strcmp(a, "--load") && v) {
            if (cli_load(c, v))
                goto out;
            i++;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            o.quiet = true;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "coop run: error: unknown option '%s' (or it lacks its value)\n", a);
            goto out;
        } else if (add_input(&o, &paths, &n, &cap, a)) {
            goto out;
        }
        continue;
    bad_value:
        fprintf(stderr, "coop run: error: bad value '%s' for %s\n", v ? v : a, a);
        goto out;
    }
    if (!n) {
        fprintf(stderr, "coop run: error: no scenario given\n\n%s", run_help);
        goto out;
    }
    if (o.trace_path && n != 1) {
        fprintf(stderr, "coop run: error: --trace needs exactly one scenario (%zu given)\n", n);
        goto out;
    }
    if (o.golden && o.update) {
        fprintf(stderr, "coop run: error: --golden and --update-golden exclude each other\n");
        goto out;
    }
    o.jobs = calloc(n, sizeof(*o.jobs));
    if (!o.jobs)
        goto out;
    o.njobs = n;
    for (size_t k = 0; k < n; k++)
        o.jobs[k].path = paths[k];
    cli_pool(n, (int)threads, run_job, print_job, &o);
    printf("%zu passed, %zu failed, %zu errors\n", o.passed, o.failed, o.errors);
    struct cli_case *cases = calloc(n, sizeof(*cases));
    for (size_t k = 0; cases && k < n; k++)
        cases[k] = (struct cli_case){ o.jobs[k].path, o.jobs[k].status == CLI_PASS,
                                      o.jobs[k].status == CLI_USAGE, o.jobs[k].message };
    rc = o.errors ? CLI_USAGE : o.failed ? CLI_FAIL : CLI_PASS;
    if (cases && tap && cli_write_tap(tap, cases, n)) {
        fprintf(stderr, "coop run: error: cannot write %s\n", tap);
        rc = CLI_USAGE;
    }
    if (cases && junit && cli_write_junit(junit, cases, n)) {
        fprintf(stderr, "coop run: error: cannot write %s\n", junit);
        rc = CLI_USAGE;
    }
    free(cases);
    for (size_t k = 0; k < n; k++) {
        free(o.jobs[k].out);
        free(o.jobs[k].message);
    }
    free(o.jobs);
out:
    for (size_t k = 0; k < n; k++)
        free(paths[k]);
    free(paths);
    return rc;
}
