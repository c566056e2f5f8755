/* coop explore: one scenario over a seed range with perturbation, sharded; failures grouped and written as reproducers. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/text.h"
#include "cli.h"
#include "strategy.h"

static const char explore_help[] =
    "usage: coop explore [OPTIONS] FILE\n"
    "\n"
    "Runs the scenario once per seed with perturbation: by default the seed chooses\n"
    "the fault mix (jitter, split and short I/O, EAGAIN storms, resets, refusals,\n"
    "clock jumps, fault points) and permutes tasks due at the same instant.  Each\n"
    "seed's outcome depends on the seed alone.  Failures are grouped by signature\n"
    "(the first expectation that failed); for each group the smallest seed is shown\n"
    "with the command that reproduces it, and with --out it is written as a\n"
    "standalone scenario that fails the same way under `coop run`.\n"
    "\n"
    "options:\n"
    "  --seeds A..B          the seeds A, A+1, ..., B-1 (default 0..1000)\n"
    "  --budget DUR          stop taking new seeds after DUR of wall time (e.g. 30s);\n"
    "                        which seeds ran then depends on speed, their results do not\n"
    "  --shard I/N           run only the I-th of N interleaved slices (I from 1 to N),\n"
    "                        so N machines split one sweep\n"
    "  -j N                  run N seeds at a time\n"
    "  --faults LIST         a fixed fault mix instead of one chosen by each seed\n"
    "  --ties fifo|permute   tie order (default permute)\n"
    "  --out DIR             write one reproducer scenario per distinct failure into DIR\n"
    "  --load LIB.so         add the programs of a shared object\n"
    "  -q, --quiet           no progress bar\n"
    "  -h, --help            show this help\n"
    "\n"
    "Exit status: 0 no seed failed, 1 some seed failed, 2 a usage or parse error.\n";

/* One seed's outcome; only failures keep a signature. */
struct seed_res {
    bool ran, passed;
    uint32_t faults;
    char *signature;
};

/* A group of failures with the same signature; `seed` is the smallest that showed it. */
struct group {
    char *signature;
    uint64_t seed, count;
    uint32_t faults;
};

struct explore {
    struct cli *cli;
    const char *path;
    coop_scenario *scn;
    coop_scn_overrides ov;
    uint64_t first, shard_i, shard_n;
    struct seed_res *res;
    size_t n;
    double budget_s, start_s;
    bool progress;
    size_t done, failed, skipped;
    double last_draw_s;
    struct group *groups;
    size_t ngroups;
};

static double wall_s(void)
{
    /* Wall time only bounds the sweep and paces the progress bar; no result depends on it. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t seed_of(const struct explore *e, size_t i) { return e->first + e->shard_i + i * e->shard_n; }

static void explore_job(void *ctx, size_t i)
{
    struct explore *e = ctx;
    struct seed_res *r = &e->res[i];
    if (e->budget_s > 0 && wall_s() - e->start_s > e->budget_s)
        return;
    coop_scn_overrides ov = e->ov;
    ov.seed_set = true;
    ov.seed = seed_of(e, i);
    ov.brief = true;
    coop_scn_result res;
    int rc = coop_scenario_run(e->scn, e->cli->registry, &ov, false, &res);
    r->ran = true;
    r->passed = rc == 0 && res.passed;
    r->faults = res.faults;
    if (!r->passed)
        r->signature = strdup(res.signature ? res.signature : "the run could not start");
    coop_scn_result_fini(&res);
}

static void draw(struct explore *e, bool final)
{
    double now = wall_s();
    if (!final && now - e->last_draw_s < 0.1)
        return;
    e->last_draw_s = now;
    int width = 30, fill = e->n ? (int)((double)e->done * width / (double)e->n) : width;
    fprintf(stderr, "\r[%.*s%*s] %zu/%zu seeds, %zu failed", fill, "##############################",
            width - fill, "", e->done, e->n, e->failed);
    if (final)
        fputc('\n', stderr);
    fflush(stderr);
}

static void explore_done(void *ctx, size_t i)
{
    struct explore *e = ctx;
    struct seed_res *r = &e->res[i];
    e->done++;
    if (!r->ran) {
        e->skipped++;
    } else if (!r->passed) {
        e->failed++;
        size_t g;
        for (g = 0; g < e->ngroups; g++)
            if (!strcmp(e->groups[g].signature, r->signature))
                break;
        if (g == e->ngroups) {
            struct group *v = realloc(e->groups, (e->ngroups + 1) * sizeof(*v));
            if (v) {
                e->groups = v;
                e->groups[e->ngroups++] = (struct group){ r->signature, seed_of(e, i), 0, r->faults };
                r->signature = NULL;
            }
        }
        if (g < e->ngroups)
            e->groups[g].count++;
    }
    free(r->signature);
    r->signature = NULL;
    if (e->progress)
        draw(e, false);
}

/*
 * Writes the scenario with the settings that explore overrode commented
 * out in place (so every line keeps its number) and the seed's settings
 * appended, then runs it again to check that it fails the same way.
 */
static int write_repro(struct explore *e, const char *dir, const struct group *g, char *path_out, size_t plen)
{
    size_t len;
    char *text = text_slurp(e->path, COOP_SCN_MAX_FILE, &len);
    if (!text)
        return -1;
    const char *base = strrchr(e->path, '/');
    base = base ? base + 1 : e->path;
    size_t bl = strlen(base);
    if (bl > 4 && !strcmp(base + bl - 4, ".scn"))
        bl -= 4;
    snprintf(path_out, plen, "%s/%.*s-seed%" PRIu64 ".scn", dir, (int)bl, base, g->seed);
    FILE *f = fopen(path_out, "w");
    if (!f) {
        free(text);
        return -1;
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
    fprintf(f,
            "# Written by coop explore from %s: this seed fails with \"%s\".\n"
            "seed %" PRIu64 "\nfaults 0x%" PRIx32 "\nties %s\n",
            e->path, g->signature, g->seed, g->faults, e->ov.permute_ties ? "permute" : "fifo");
    free(text);
    return fclose(f) ? -1 : 0;
}

static bool verify_repro(struct explore *e, const char *path, const struct group *g)
{
    char err[COOP_SCN_MAX_ERR];
    coop_scenario *scn;
    if (coop_scenario_load(path, &scn, err, sizeof(err)))
        return false;
    coop_scn_result res;
    bool same = coop_scenario_run(scn, e->cli->registry, NULL, false, &res) == 0 && !res.passed &&
                res.signature && !strcmp(res.signature, g->signature);
    coop_scn_result_fini(&res);
    coop_scenario_free(scn);
    return same;
}

int cli_explore(struct cli *c, int argc, char **argv)
{
    struct explore e = { .cli = c, .first = 0, .shard_i = 0, .shard_n = 1 };
    uint64_t last = 1000, threads = 1;
    const char *out_dir = NULL;
    bool quiet = false;
    struct cli_strategy strategy = { 0 };
    int taken;
    e.ov.faults_set = true;
    e.ov.faults = COOP_SIM_FAULTS_FROM_SEED;
    e.ov.ties_set = e.ov.permute_ties = true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(explore_help, stdout);
            fputs(cli_strategy_help, stdout);
            return CLI_PASS;
        } else if (!strcmp(a, "--seeds") && v) {
            char buf[64];
            snprintf(buf, sizeof(buf), "%s", v);
            char *dots = strstr(buf, "..");
            if (!dots)
                goto bad_value;
            *dots = '\0';
            if (cli_parse_u64(buf, &e.first) || cli_parse_u64(dots + 2, &last) || last <= e.first ||
                last - e.first > UINT64_C(100000000))
                goto bad_value;
            i++;
        } else if (!strcmp(a, "--budget") && v) {
            uint64_t ns;
            coop_scenario *probe = NULL;
            char err[64];
            /* Durations are written as in scenarios. */
            char tmp[96];
            snprintf(tmp, sizeof(tmp), "program x\nrun-until %s\n", v);
            if (coop_scenario_parse("--budget", tmp, strlen(tmp), &probe, err, sizeof(err)))
                goto bad_value;
            ns = probe->run_until_ns;
            coop_scenario_free(probe);
            e.budget_s = (double)ns / 1e9;
            i++;
        } else if (!strcmp(a, "--shard") && v) {
            char buf[64];
            snprintf(buf, sizeof(buf), "%s", v);
            char *slash = strchr(buf, '/');
            if (!slash)
                goto bad_value;
            *slash = '\0';
            if (cli_parse_u64(buf, &e.shard_i) || cli_parse_u64(slash + 1, &e.shard_n) || e.shard_n < 1 ||
                e.shard_i < 1 || e.shard_i > e.shard_n)
                goto bad_value;
            e.shard_i--;
            i++;
        } else if (!strcmp(a, "-j") && v) {
            if (cli_parse_u64(v, &threads) || threads < 1 || threads > 64)
                goto bad_value;
            i++;
        } else if (!strcmp(a, "--faults") && v) {
            if (coop_sim_faults_parse(v, &e.ov.faults))
                goto bad_value;
            i++;
        } else if (!strcmp(a, "--ties") && v) {
            if (strcmp(v, "fifo") && strcmp(v, "permute"))
                goto bad_value;
            e.ov.permute_ties = !strcmp(v, "permute");
            i++;
        } else if (!strcmp(a, "--out") && v) {
            out_dir = v;
            i++;
        } else if (!strcmp(a, "--load") && v) {
            if (cli_load(c, v))
                return CLI_USAGE;
            i++;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = true;
        } else if ((taken = cli_strategy_option(&strategy, argc, argv, &i)) != 0) {
            if (taken < 0)
                goto bad_value;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "coop explore: error: unknown option '%s' (or it lacks its value)\n", a);
            return CLI_USAGE;
        } else if (e.path) {
            fprintf(stderr, "coop explore: error: one scenario at a time\n");
            return CLI_USAGE;
        } else {
            e.path = a;
        }
        continue;
    bad_value:
        fprintf(stderr, "coop explore: error: bad value '%s' for %s\n", v ? v : "", a);
        return CLI_USAGE;
    }
    if (!e.path) {
        fprintf(stderr, "coop explore: error: no scenario given\n\n%s", explore_help);
        return CLI_USAGE;
    }
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
    if (strategy.kind != CLI_STRATEGY_SEEDS) {
        int rc = cli_strategy_explore(c, &strategy, e.path, e.scn, &e.ov, e.first, last);
        coop_scenario_free(e.scn);
        return rc;
    }
    if (out_dir && mkdir(out_dir, 0777) && errno != EEXIST) {
        fprintf(stderr, "coop explore: error: cannot create %s\n", out_dir);
        coop_scenario_free(e.scn);
        return CLI_USAGE;
    }
    uint64_t span = last - e.first;
    e.n = (size_t)(span / e.shard_n + (e.shard_i < span % e.shard_n));
    e.res = calloc(e.n ? e.n : 1, sizeof(*e.res));
    if (!e.res) {
        coop_scenario_free(e.scn);
        return CLI_USAGE;
    }
    e.progress = !quiet && isatty(2);
    e.start_s = wall_s();
    char fl[64];
    if (e.ov.faults == COOP_SIM_FAULTS_FROM_SEED)
        snprintf(fl, sizeof(fl), "chosen by each seed");
    else
        snprintf(fl, sizeof(fl), "0x%" PRIx32, e.ov.faults);
    printf("explore %s: seeds %" PRIu64 "..%" PRIu64 ", shard %" PRIu64 "/%" PRIu64 ", faults %s, ties %s\n",
           e.path, e.first, last, e.shard_i + 1, e.shard_n, fl, e.ov.permute_ties ? "permute" : "fifo");
    fflush(stdout);
    cli_pool(e.n, (int)threads, explore_job, explore_done, &e);
    double took = wall_s() - e.start_s;
    if (e.progress)
        draw(&e, true);
    size_t ran = e.done - e.skipped;
    printf("%zu seeds run: %zu passed, %zu failed, %zu distinct failure(s)", ran, ran - e.failed, e.failed,
           e.ngroups);
    if (e.skipped)
        printf("; %zu seeds not run: the time budget ran out", e.skipped);
    printf("\n");
    /* Wall time is not part of the result; it goes to stderr, so stdout stays reproducible. */
    fprintf(stderr, "explore: %zu seeds in %.3f s (%.0f seeds/s)\n", ran, took,
            took > 0 ? (double)ran / took : 0.0);
    for (size_t g = 0; g < e.ngroups; g++) {
        struct group *gr = &e.groups[g];
        printf("failure %zu: %s (%" PRIu64 " seed(s), first seed %" PRIu64 ")\n  reproduce: ", g + 1,
               gr->signature, gr->count, gr->seed);
        coop_scn_result fake = { .seed = gr->seed, .faults = gr->faults, .permute_ties = e.ov.permute_ties };
        cli_reproduce_line(c, stdout, e.path, &fake);
        if (out_dir) {
            char path[1024];
            if (write_repro(&e, out_dir, gr, path, sizeof(path)))
                printf("  could not write a reproducer into %s\n", out_dir);
            else
                printf("  written: %s (%s)\n", path,
                       verify_repro(&e, path, gr) ? "checked: fails the same way under coop run"
                                                  : "WARNING: it does not fail the same way");
        }
    }
    for (size_t g = 0; g < e.ngroups; g++)
        free(e.groups[g].signature);
    free(e.groups);
    free(e.res);
    coop_scenario_free(e.scn);
    return e.failed ? CLI_FAIL : CLI_PASS;
}
