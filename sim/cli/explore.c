/* coop explore: one scenario over a seed range in worker processes; failures grouped and written as reproducers. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/text.h"
#include "cli.h"
#include "shrink.h"
#include "strategy.h"

static const char explore_help[] =
    "usage: coop explore [OPTIONS] FILE\n"
    "\n"
    "Runs the scenario once per seed with perturbation: by default the seed chooses\n"
    "the fault mix (jitter, split and short I/O, EAGAIN storms, resets, refusals,\n"
    "clock jumps, fault points) and permutes tasks due at the same instant.  Each\n"
    "seed's outcome depends on the seed alone.  Failures are grouped by signature\n"
    "(the first expectation that failed and how: early, late, missing, different,\n"
    "present, crash, hang; or the crash or timeout and its task); for each group\n"
    "the fault kinds that fired in every failing seed and the tasks whose tie order\n"
    "differed from FIFO in every failing seed are shown, then the smallest seed\n"
    "with the command that reproduces it; with --out it is also written as a\n"
    "standalone scenario that fails the same way under `coop run`.  Seeds run in\n"
    "worker processes: a seed that crashes its worker (CRASH) or runs past\n"
    "--timeout (TIMEOUT) is a failure of that seed, and the sweep goes on.  Memory\n"
    "does not grow with the number of seeds.  Each `expect sometimes` line is\n"
    "reported with the number of seeds that reached it; one that no seed reached\n"
    "fails the sweep.\n"
    "\n"
    "options:\n"
    "  --seeds A..B          the seeds A, A+1, ..., B-1 (default 0..1000)\n"
    "  --budget DUR          start no seed after DUR of wall time (e.g. 30s); which\n"
    "                        seeds ran then depends on speed, their results do not\n"
    "  --shard I/N           run only the I-th of N interleaved slices (I from 1 to N),\n"
    "                        so N machines split one sweep\n"
    "  -j, --jobs N          N worker processes (default 1)\n"
    "  --timeout DUR         wall time one seed may take (default 60s; 0s: none)\n"
    "  --faults LIST         a fixed fault mix instead of one chosen by each seed\n"
    "  --ties fifo|permute   tie order (default permute)\n"
    "  --out DIR             write one reproducer scenario per distinct failure into DIR\n"
    "                        (created if missing; an existing file there is an error)\n"
    "  --shrink              with --out: also shrink each reproducer (see coop shrink)\n"
    "                        and write it beside as NAME-seedS.min.scn\n"
    "  --load LIB.so         add the programs of a shared object (each worker is a\n"
    "                        process: its statics are its own)\n"
    "  -q, --quiet           no progress bar\n"
    "  -h, --help            show this help\n"
    "\n"
    "A first SIGINT or SIGTERM starts no further seed, gives those under way 2s to\n"
    "finish, then prints the summary, the failure groups and their reproducers so far; a\n"
    "second one ends the command at once.\n"
    "\n"
    "Exit status: 0 no seed failed, 1 some seed failed, crashed or timed out, or an\n"
    "`expect sometimes` line was never reached, 2 a usage or parse error, 128+N\n"
    "after signal N.\n";

/* A group of failures with the same signature; `seed` is the smallest that showed it. */
struct group {
    char *signature;
    char *detail; /* for a crash or a timeout: what the worker noted, for the smallest seed */
    uint64_t seed, count;
    uint32_t faults;
    char *repro; /* the reproducer written, or NULL */
    int checked; /* 1 it fails the same way, 0 it does not, -1 not checked */
    /*
     * What every failing seed of the group that sent its result shares:
     * the fault kinds that fired, and the tasks whose tie order differed
     * from FIFO (sorted, comma-separated).  Seeds that crashed or timed
     * out send none; have_causes says whether any seed did.
     */
    bool have_causes;
    uint32_t fired;
    char *ties;
};

struct explore {
    struct cli *cli;
    const char *path;
    coop_scenario *scn;
    coop_scn_overrides ov;
    uint64_t first, shard_i, shard_n, n, timeout_ns;
    uint64_t ran, failed;
    struct cli_progress bar;
    struct group *groups;
    size_t ngroups;
    uint64_t *reached; /* per line of the scenario: the seeds that reached it (`expect sometimes`) */
    bool shrink;
};

static uint64_t seed_of(const struct explore *e, uint64_t i)
{
    return e->first + e->shard_i + i * e->shard_n;
}

/* In a worker: one seed; sends whether it passed, its fault mix and its signature. */
static void explore_job(void *ctx, uint64_t i, struct cli_msg *msg)
{
    struct explore *e = ctx;
    coop_scn_overrides ov = e->ov;
    ov.seed_set = true;
    ov.seed = seed_of(e, i);
    ov.brief = true;
    cli_watch_observe(&ov);
    coop_scn_result res;
    int rc = coop_scenario_run(e->scn, e->cli->registry, &ov, false, &res);
    bool passed = rc == 0 && res.passed;
    cli_msg_u64(msg, passed);
    cli_msg_u64(msg, res.faults);
    cli_msg_str(msg, passed ? NULL : res.signature ? res.signature : "the run could not start");
    cli_msg_u64(msg, res.faults_fired);
    cli_msg_str(msg, res.ties_differed ? res.ties_differed : "");
    cli_msg_u64(msg, res.nsometimes_reached);
    for (size_t k = 0; k < res.nsometimes_reached; k++)
        cli_msg_u64(msg, res.sometimes_reached[k]);
    coop_scn_result_fini(&res);
}

/* The names of the comma-separated sorted list a that are also in b, in place. */
static void intersect(char *a, const char *b)
{
    char *w = a;
    for (const char *p = a; *p;) {
        size_t n = strcspn(p, ",");
        bool found = false;
        for (const char *q = b; *q && !found;) {
            size_t m = strcspn(q, ",");
            found = m == n && !strncmp(p, q, n);
            q += m + (q[m] == ',');
        }
        if (found) {
            if (w != a)
                *w++ = ',';
            memmove(w, p, n);
            w += n;
        }
        p += n + (p[n] == ',');
    }
    *w = '\0';
}

/* A failing seed's causes narrow its group's. */
static void add_causes(struct group *g, uint32_t fired, const char *ties)
{
    if (!g->have_causes) {
        g->have_causes = true;
        g->fired = fired;
        free(g->ties);
        g->ties = strdup(ties);
        return;
    }
    g->fired &= fired;
    if (g->ties)
        intersect(g->ties, ties);
}

static struct group *add_failure(struct explore *e, const char *sig, uint64_t seed, uint32_t faults,
                                 const char *detail)
{
    e->failed++;
    size_t g;
    for (g = 0; g < e->ngroups; g++)
        if (!strcmp(e->groups[g].signature, sig))
            break;
    if (g == e->ngroups) {
        struct group *v = realloc(e->groups, (e->ngroups + 1) * sizeof(*v));
        char *s = strdup(sig);
        if (!v || !s) {
            free(s);
            if (v)
                e->groups = v;
            return NULL;
        }
        e->groups = v;
        e->groups[e->ngroups++] =
            (struct group){ .signature = s, .seed = seed, .faults = faults, .checked = -1 };
    } else if (seed < e->groups[g].seed) {
        /* Workers finish in any order: the group keeps the smallest seed, whatever came first. */
        e->groups[g].seed = seed;
        e->groups[g].faults = faults;
    } else {
        detail = NULL;
    }
    struct group *gr = &e->groups[g];
    gr->count++;
    if (detail) {
        free(gr->detail);
        gr->detail = strdup(detail);
    }
    return gr;
}

static bool explore_done(void *ctx, uint64_t i, const struct cli_outcome *o)
{
    struct explore *e = ctx;
    uint64_t seed = seed_of(e, i);
    e->ran++;
    if (o->kind == CLI_OUT_DONE) {
        bool passed = cli_msg_get_u64(o->data) != 0;
        uint32_t faults = (uint32_t)cli_msg_get_u64(o->data);
        const char *sig = cli_msg_get_str(o->data);
        uint32_t fired = (uint32_t)cli_msg_get_u64(o->data);
        const char *ties = cli_msg_get_str(o->data);
        uint64_t nreached = cli_msg_get_u64(o->data);
        for (uint64_t k = 0; k < nreached && !o->data->bad; k++) {
            uint64_t line = cli_msg_get_u64(o->data);
            for (size_t l = 0; e->reached && l < e->scn->nlines; l++)
                if (e->scn->lines[l].line == line)
                    e->reached[l]++;
        }
        if (o->data->bad) {
            add_failure(e, "the worker sent a malformed result", seed, faults, NULL);
        } else if (!passed) {
            struct group *g = add_failure(e, sig ? sig : "?", seed, faults, NULL);
            if (g)
                add_causes(g, fired, ties ? ties : "");
        }
        return true;
    }
    char sig[160], *detail = NULL;
    size_t dlen = 0;
    cli_death_signature(sig, sizeof(sig), o);
    FILE *d = open_memstream(&detail, &dlen);
    if (d) {
        cli_write_death(d, o, e->timeout_ns);
        fclose(d);
    }
    add_failure(e, sig, seed, o->watch->have_sim ? o->watch->faults : e->ov.faults, detail);
    free(detail);
    return true;
}

static void explore_tick(void *ctx)
{
    struct explore *e = ctx;
    cli_progress_draw(&e->bar, e->ran, e->n, e->failed);
}

/* Writes the scenario with explore's overridden settings commented out in place and the seed's appended. */
static char *write_repro(struct explore *e, const char *dir, const struct group *g)
{
    size_t len;
    char *text = text_slurp(e->path, COOP_SCN_MAX_FILE, &len);
    if (!text)
        return NULL;
    const char *base = strrchr(e->path, '/');
    base = base ? base + 1 : e->path;
    size_t bl = strlen(base);
    if (bl > 4 && !strcmp(base + bl - 4, ".scn"))
        bl -= 4;
    /* Sized to fit: a path is never cut short (the system says when it is too long). */
    size_t plen = strlen(dir) + bl + 48;
    char *path = malloc(plen);
    if (!path) {
        free(text);
        return NULL;
    }
    snprintf(path, plen, "%s/%.*s-seed%" PRIu64 ".scn", dir, (int)bl, base, g->seed);
    FILE *f = fopen(path, "w");
    if (!f) {
        printf("  could not write %s: %s\n", path, strerror(errno));
        free(text);
        free(path);
        return NULL;
    }
    /* The settings indices of seed, faults and ties in coop_scenario.setting_line (see parser.c). */
    const unsigned overridden[3] = { e->scn->setting_line[1], e->scn->setting_line[7],
                                     e->scn->setting_line[9] };
    unsigned lineno = 1;
    bool bol = true;
    for (size_t i = 0; i < len; i++) {
        if (bol && (lineno == overridden[0] || lineno == overridden[1] || lineno == overridden[2]))
            fputs("# (overridden by explore) ", f);
        fputc(text[i], f);
        bol = text[i] == '\n';
        lineno += bol;
    }
    if (len && text[len - 1] != '\n')
        fputc('\n', f);
    fprintf(f, "# Written by coop explore from %s: this seed fails with \"%s\".\nseed %" PRIu64 "\n", e->path,
            g->signature, g->seed);
    if (g->faults == COOP_SIM_FAULTS_FROM_SEED)
        fprintf(f, "faults seed\n");
    else
        fprintf(f, "faults 0x%" PRIx32 "\n", g->faults);
    fprintf(f, "ties %s\n", e->ov.permute_ties ? "permute" : "fifo");
    free(text);
    if (fclose(f)) {
        printf("  could not write %s: %s\n", path, strerror(errno));
        free(path);
        return NULL;
    }
    return path;
}

/* In a worker: runs group i's reproducer as `coop run` would, and sends its signature. */
static void verify_job(void *ctx, uint64_t i, struct cli_msg *msg)
{
    struct explore *e = ctx;
    char err[COOP_SCN_MAX_ERR];
    coop_scenario *scn;
    if (!e->groups[i].repro || coop_scenario_load(e->groups[i].repro, &scn, err, sizeof(err))) {
        cli_msg_str(msg, NULL);
        return;
    }
    coop_scn_overrides ov = { 0 };
    cli_watch_observe(&ov);
    coop_scn_result res;
    bool ok = coop_scenario_run(scn, e->cli->registry, &ov, false, &res) == 0 && !res.passed;
    cli_msg_str(msg, ok ? res.signature : NULL);
    coop_scn_result_fini(&res);
    coop_scenario_free(scn);
}

static bool verify_done(void *ctx, uint64_t i, const struct cli_outcome *o)
{
    struct explore *e = ctx;
    struct group *g = &e->groups[i];
    char sig[160];
    const char *got = sig;
    if (o->kind == CLI_OUT_DONE)
        got = cli_msg_get_str(o->data);
    else
        cli_death_signature(sig, sizeof(sig), o);
    g->checked = got && !strcmp(got, g->signature);
    return true;
}

static int cmp_group(const void *a, const void *b)
{
    const struct group *x = a, *y = b;
    return x->seed < y->seed ? -1 : x->seed > y->seed;
}

/* Parses "A..B" with A < B. */
static int parse_seeds(const char *v, uint64_t *first, uint64_t *last)
{
    char buf[64];
    if (strlen(v) >= sizeof(buf))
        return -1;
    snprintf(buf, sizeof(buf), "%s", v);
    char *dots = strstr(buf, "..");
    if (!dots)
        return -1;
    *dots = '\0';
    return cli_parse_u64(buf, first) || cli_parse_u64(dots + 2, last) || *last <= *first ? -1 : 0;
}

/*
 * Makes DIR if it is missing.  An existing file that is not a directory,
 * or a reproducer's path that would be too long, is an error now, not
 * after the sweep.
 */
static int prepare_out(const char *dir, const char *scn_path)
{
    const char *base = strrchr(scn_path, '/');
    /* DIR "/" BASE "-seed" and 20 digits ".scn": the longest name a reproducer gets. */
    if (strlen(dir) + strlen(base ? base + 1 : scn_path) + 30 >= PATH_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    struct stat st;
    if (!stat(dir, &st)) {
        if (S_ISDIR(st.st_mode))
            return access(dir, W_OK | X_OK) ? (errno = EACCES, -1) : 0;
        errno = ENOTDIR;
        return -1;
    }
    return mkdir(dir, 0777);
}

enum {
    OPT_SEEDS = 256,
    OPT_BUDGET,
    OPT_SHARD,
    OPT_FAULTS,
    OPT_TIES,
    OPT_OUT,
    OPT_LOAD,
    OPT_TIMEOUT,
    OPT_SHRINK,
    /* In the order of enum cli_strategy_opt. */
    OPT_STRATEGY,
    OPT_DEPTH,
    OPT_BOUND,
    OPT_INDEPENDENCE,
    OPT_FAULT_DEPTH
};

static const struct option explore_options[] = {
    { "seeds", required_argument, NULL, OPT_SEEDS },
    { "budget", required_argument, NULL, OPT_BUDGET },
    { "shard", required_argument, NULL, OPT_SHARD },
    { "jobs", required_argument, NULL, 'j' },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "faults", required_argument, NULL, OPT_FAULTS },
    { "ties", required_argument, NULL, OPT_TIES },
    { "out", required_argument, NULL, OPT_OUT },
    { "shrink", no_argument, NULL, OPT_SHRINK },
    { "load", required_argument, NULL, OPT_LOAD },
    { "strategy", required_argument, NULL, OPT_STRATEGY },
    { "depth", required_argument, NULL, OPT_DEPTH },
    { "bound", required_argument, NULL, OPT_BOUND },
    { "independence", required_argument, NULL, OPT_INDEPENDENCE },
    { "fault-depth", required_argument, NULL, OPT_FAULT_DEPTH },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* A comma-separated list as "a, b, c" and a newline. */
static void print_list(const char *s)
{
    for (; *s; s++)
        fputs(*s == ',' ? ", " : (char[2]){ *s, 0 }, stdout);
    fputc('\n', stdout);
}

/* Shrinks a written reproducer into NAME.min.scn beside it, and says so. */
static void shrink_repro(struct explore *e, const char *repro)
{
    struct cli_shrink_opts o = { .timeout_ns = e->timeout_ns < CLI_SHRINK_TIMEOUT_NS && e->timeout_ns
                                                   ? e->timeout_ns
                                                   : CLI_SHRINK_TIMEOUT_NS,
                                 .max_runs = CLI_SHRINK_MAX_RUNS };
    struct cli_shrink_result r;
    size_t n = strlen(repro);
    char *min = malloc(n + 8);
    if (!min)
        return;
    snprintf(min, n + 8, "%.*s.min.scn", (int)(n > 4 ? n - 4 : n), repro);
    fflush(stdout);
    int rc = cli_shrink(e->cli, repro, &o, &r);
    if (rc != CLI_PASS)
        printf("  not shrunk: %s\n", r.error);
    else if (cli_write_file(min, r.text, r.len))
        printf("  could not write %s: %s\n", min, strerror(errno));
    else
        printf("  shrunk: %s (%zu of %zu lines kept, %" PRIu64 " candidates run%s)\n", min, r.lines, r.lines0,
               r.runs, r.same ? "" : "; WARNING: it does not fail the same way when run again");
    free(r.text);
    free(min);
}

static void print_groups(struct explore *e, const char *out_dir)
{
    if (e->ngroups > 1)
        qsort(e->groups, e->ngroups, sizeof(*e->groups), cmp_group);
    for (size_t g = 0; g < e->ngroups && out_dir; g++)
        e->groups[g].repro = write_repro(e, out_dir, &e->groups[g]);
    if (out_dir && e->ngroups) {
        /* The reproducers run in workers too: one that crashes must not end explore. */
        struct cli_pool_cfg pc = { .n = e->ngroups,
                                   .workers = 1,
                                   .timeout_ns = e->timeout_ns,
                                   .after_interrupt = true,
                                   .job = verify_job,
                                   .done = verify_done,
                                   .ctx = e };
        struct cli_pool_end end;
        (void)cli_pool_run(&pc, &end);
    }
    for (size_t g = 0; g < e->ngroups; g++) {
        struct group *gr = &e->groups[g];
        printf("failure %zu: %s (%" PRIu64 " seed(s), first seed %" PRIu64 ")\n", g + 1, gr->signature,
               gr->count, gr->seed);
        if (gr->detail)
            fputs(gr->detail, stdout);
        if (gr->have_causes) {
            char fl[128];
            coop_sim_faults_format(gr->fired, fl, sizeof(fl));
            fputs("  faults that fired in every failing seed: ", stdout);
            print_list(fl);
            if (e->ov.permute_ties) {
                fputs("  tie orders that differed from FIFO in every failing seed: ", stdout);
                print_list(gr->ties && gr->ties[0] ? gr->ties : "none");
            }
        }
        fputs("  reproduce: ", stdout);
        cli_reproduce(e->cli, stdout, e->path, gr->seed, gr->faults, e->ov.permute_ties, NULL);
        if (gr->repro)
            printf("  written: %s (%s)\n", gr->repro,
                   gr->checked == 1   ? "checked: fails the same way under coop run"
                   : gr->checked == 0 ? "WARNING: it does not fail the same way"
                                      : "not checked");
        if (gr->repro && e->shrink)
            shrink_repro(e, gr->repro);
    }
}

/*
 * Each `expect sometimes` line and how many seeds reached it; true when
 * one was reached by none, which fails the sweep.
 */
static bool print_sometimes(const struct explore *e)
{
    bool unreached = false;
    for (size_t l = 0; l < e->scn->nlines; l++) {
        const coop_scn_line *ln = &e->scn->lines[l];
        if (ln->op != COOP_SCN_EXPECT_SOMETIMES)
            continue;
        uint64_t n = e->reached ? e->reached[l] : 0;
        const char *what = strstr(ln->text, "expect");
        if (n)
            printf("sometimes: line %u reached in %" PRIu64 " of %" PRIu64 " seed(s): %s\n", ln->line, n,
                   e->ran, what ? what : ln->text);
        else
            printf("NEVER REACHED: %s:%u:%u: %s\n", e->path, ln->line, ln->col, what ? what : ln->text);
        unreached = unreached || !n;
    }
    return unreached;
}

int cli_explore(struct cli *c, int argc, char **argv)
{
    struct explore e = { .cli = c, .shard_n = 1, .timeout_ns = CLI_DEFAULT_TIMEOUT_NS };
    uint64_t last = 1000, workers = 1, budget_ns = 0;
    const char *out_dir = NULL;
    bool quiet = false;
    struct cli_strategy strategy = { 0 };
    int ch, li = -1;
    e.ov.faults_set = true;
    e.ov.faults = COOP_SIM_FAULTS_FROM_SEED;
    e.ov.ties_set = e.ov.permute_ties = true;
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":j:qh", explore_options, &li)) != -1) {
        const char *v = optarg;
        switch (ch) {
        case 'h':
            fputs(explore_help, stdout);
            fputs(cli_strategy_help, stdout);
            return CLI_PASS;
        case OPT_SEEDS:
            if (parse_seeds(v, &e.first, &last))
                goto bad_value;
            break;
        case OPT_BUDGET:
            if (cli_parse_duration(v, &budget_ns) || !budget_ns)
                goto bad_value;
            break;
        case OPT_SHARD:
            if (cli_parse_shard(v, &e.shard_i, &e.shard_n))
                goto bad_value;
            e.shard_i--;
            break;
        case 'j':
            if (cli_parse_u64(v, &workers) || workers < 1 || workers > CLI_MAX_WORKERS)
                goto bad_value;
            break;
        case OPT_TIMEOUT:
            if (cli_parse_duration(v, &e.timeout_ns))
                goto bad_value;
            break;
        case OPT_FAULTS:
            if (coop_sim_faults_parse(v, &e.ov.faults))
                goto bad_value;
            break;
        case OPT_TIES:
            if (strcmp(v, "fifo") && strcmp(v, "permute"))
                goto bad_value;
            e.ov.permute_ties = !strcmp(v, "permute");
            break;
        case OPT_OUT:
            out_dir = v;
            break;
        case OPT_SHRINK:
            e.shrink = true;
            break;
        case OPT_LOAD:
            if (cli_load(c, v))
                return CLI_USAGE;
            break;
        case 'q':
            quiet = true;
            break;
        case OPT_STRATEGY:
        case OPT_DEPTH:
        case OPT_BOUND:
        case OPT_INDEPENDENCE:
        case OPT_FAULT_DEPTH:
            if (cli_strategy_option(&strategy, (enum cli_strategy_opt)(ch - OPT_STRATEGY), v))
                goto bad_value;
            break;
        default:
            cli_bad_option("explore", ch, optopt, argv[optind - 1], explore_options);
            return CLI_USAGE;
        }
        li = -1;
        continue;
    bad_value:
        fprintf(stderr, "coop explore: error: bad value '%s' for %s%s\n", v, li >= 0 ? "--" : "-",
                li >= 0 ? explore_options[li].name : "j");
        return CLI_USAGE;
    }
    e.path = cli_one_scenario("explore", argc, argv, explore_help);
    if (!e.path)
        return CLI_USAGE;
    char err[COOP_SCN_MAX_ERR];
    if (coop_scenario_load(e.path, &e.scn, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return CLI_USAGE;
    }
    for (int k = 0; k < e.scn->nnodes; k++) {
        if (coop_program_find(c->registry, e.scn->nodes[k].program))
            continue;
        fprintf(stderr, "%s:%u:1: error: no program named '%s'\n", e.path, e.scn->nodes[k].line,
                e.scn->nodes[k].program);
        coop_scenario_free(e.scn);
        return CLI_USAGE;
    }
    if (e.shrink && (!out_dir || strategy.kind != CLI_STRATEGY_SEEDS)) {
        fprintf(stderr,
                "coop explore: error: --shrink needs --out DIR, and a seed sweep (for a schedule, use "
                "coop shrink FILE --schedule S)\n");
        coop_scenario_free(e.scn);
        return CLI_USAGE;
    }
    if (strategy.kind != CLI_STRATEGY_SEEDS) {
        int rc = cli_strategy_explore(c, &strategy, e.path, e.scn, &e.ov, e.first, last);
        coop_scenario_free(e.scn);
        return rc;
    }
    if (out_dir && prepare_out(out_dir, e.path)) {
        fprintf(stderr, "coop explore: error: --out %s: %s\n", out_dir, strerror(errno));
        coop_scenario_free(e.scn);
        return CLI_USAGE;
    }
    e.reached = calloc(e.scn->nlines + 1, sizeof(*e.reached));
    uint64_t span = last - e.first;
    e.n = span / e.shard_n + (e.shard_i < span % e.shard_n);
    cli_progress_init(&e.bar, !quiet && isatty(2), "seeds");
    e.bar.plain = !quiet;
    char fl[64];
    if (e.ov.faults == COOP_SIM_FAULTS_FROM_SEED)
        snprintf(fl, sizeof(fl), "chosen by each seed");
    else
        snprintf(fl, sizeof(fl), "0x%" PRIx32, e.ov.faults);
    printf("explore %s: seeds %" PRIu64 "..%" PRIu64 ", shard %" PRIu64 "/%" PRIu64 ", faults %s, ties %s\n",
           e.path, e.first, last, e.shard_i + 1, e.shard_n, fl, e.ov.permute_ties ? "permute" : "fifo");
    fflush(stdout);
    cli_interrupt_install();
    struct cli_pool_cfg pc = { .n = e.n,
                               .workers = (int)workers,
                               .timeout_ns = e.timeout_ns,
                               .budget_ns = budget_ns,
                               .job = explore_job,
                               .done = explore_done,
                               .tick = explore_tick,
                               .ctx = &e };
    struct cli_pool_end end;
    uint64_t t0 = cli_now_ns();
    int prc = cli_pool_run(&pc, &end);
    uint64_t took = cli_now_ns() - t0;
    cli_progress_clear(&e.bar);
    if (prc)
        fprintf(stderr, "coop explore: error: no worker process could be started: %s\n", strerror(errno));
    printf("%" PRIu64 " seeds run: %" PRIu64 " passed, %" PRIu64 " failed, %zu distinct failure(s)", e.ran,
           e.ran - e.failed, e.failed, e.ngroups);
    if (e.ran < e.n)
        printf("; %" PRIu64 " seeds not run: %s", e.n - e.ran,
               end.interrupted  ? "interrupted"
               : end.budget_out ? "the time budget ran out"
                                : "the workers could not run them");
    printf("\n");
    /* Wall time is not part of the result; it goes to stderr, so stdout stays reproducible. */
    char t[32];
    cli_format_wall(took, t, sizeof(t));
    fprintf(stderr, "explore: %" PRIu64 " seeds in %s (%.0f seeds/s)\n", e.ran, t,
            took ? (double)e.ran * 1e9 / (double)took : 0.0);
    print_groups(&e, out_dir);
    bool unreached = print_sometimes(&e);
    free(e.reached);
    for (size_t g = 0; g < e.ngroups; g++) {
        free(e.groups[g].signature);
        free(e.groups[g].detail);
        free(e.groups[g].repro);
        free(e.groups[g].ties);
    }
    free(e.groups);
    coop_scenario_free(e.scn);
    cli_interrupt_uninstall();
    if (end.interrupted) {
        fprintf(stderr, "coop explore: interrupted by %s\n", cli_signal_name(cli_interrupted()));
        return CLI_INTERRUPTED(cli_interrupted());
    }
    return prc ? CLI_USAGE : e.failed || unreached ? CLI_FAIL : CLI_PASS;
}
