/* coop shrink: reduces a failing scenario to a small one that fails the same way, line by line and value by value. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"
#include "cli.h"
#include "coop/strategy.h"
#include "shrink.h"
#include "strategy.h"

static const char shrink_help[] =
    "usage: coop shrink [OPTIONS] FILE\n"
    "\n"
    "Reduces a failing scenario to a small one that fails the same way: the same\n"
    "expectation (followed through the removed lines) failing in the same manner,\n"
    "or the same crash or timeout.  The settings given as options are written into\n"
    "the result as scenario lines (seed, faults, ties, schedule), so that it fails\n"
    "under a plain `coop run`.  In passes repeated until none removes anything, it\n"
    "drops lines (chunks, then single ones; never the program or node lines, nor\n"
    "the failing expectation), drops fault classes one at a time, lowers repeat\n"
    "counts, chunk sizes and string lengths, pulls times in, and shortens the tie\n"
    "schedule.  Every candidate is parsed before it runs, and runs in a worker\n"
    "process, so a candidate that crashes or hangs only counts as failing some\n"
    "other way.  The result is the kept lines as written, under a comment saying\n"
    "where they come from; it is the same, byte for byte, for the same input.\n"
    "\n"
    "options:\n"
    "  --out FILE            write the result to FILE (default: standard output, and\n"
    "                        the summary goes to standard error)\n"
    "  --seed N              the seed that makes it fail (as in a reproduce line)\n"
    "  --faults LIST         the fault mix: none, all, seed, 0xMASK, or jitter,split,...\n"
    "  --ties fifo|permute   the tie order\n"
    "  --schedule S          the tie choices that make it fail, as coop explore printed\n"
    "  --timeout DUR         wall time one candidate may take (default 10s); one that\n"
    "                        runs longer counts as a timeout\n"
    "  --max-runs N          run at most N candidates (default 5000), then stop with\n"
    "                        the smallest so far\n"
    "  --load LIB.so         add the programs of a shared object\n"
    "  -q, --quiet           no summary\n"
    "  -h, --help            show this help\n"
    "\n"
    "Exit status: 0 shrunk, 1 the scenario does not fail with these settings (nothing\n"
    "to shrink), 2 a usage or parse error, 128+N after signal N.\n";

/* The comment lines above the kept ones: always this many, so line numbers do not move when they are filled in. */
#define HEADER_LINES 2
/* Ids of the setting lines that options add, above every line number of a file. */
#define ADDED_ID 10000000u

/* A line kept: its line number in the input file (or ADDED_ID + k), and its text, without its newline. */
struct sline {
    unsigned id;
    char *text;
};

/* A scenario being shrunk: its lines in order. */
struct state {
    struct sline *v;
    size_t n;
};

/*
 * How one run failed, with its line mapped back to the input's numbering.
 * The manner (early, late, missing...) keeps an expectation moved to time
 * 0 from "failing the same way" merely by coming too early.
 */
struct failure {
    bool failed;
    unsigned id;     /* the input line of the failing expectation; 0: none (a crash, a limit) */
    char sig[192];   /* the signature without its "line N: " */
    char manner[48]; /* how the expectation failed: coop_scn_how_name of the result's failed_how */
    bool faults_known;
    uint32_t faults;  /* the fault mix the run resolved (not compared) */
    bool base_passed; /* with the guard on: it passed without faults, in FIFO order, without schedule */
};

/* Whether two runs failed the same way: the same expectation, failing the same way, or the same crash. */
static bool same_failure(const struct failure *want, const struct failure *got)
{
    return want->failed && got->failed && want->id == got->id && !strcmp(want->sig, got->sig) &&
           !strcmp(want->manner, got->manner);
}

struct cand {
    struct state st;
    coop_scenario *scn; /* NULL: it does not parse, and is not run */
};

struct shrinker {
    struct cli *cli;
    const char *path;
    uint64_t timeout_ns, max_runs, runs;
    struct failure want;
    struct state cur;
    /* The batch under way. */
    struct cand *cands;
    size_t *idx; /* pool item -> candidate */
    size_t ncands;
    size_t best;
    bool out_of_runs, interrupted;
    struct failure *record; /* when set, outcomes are recorded there rather than compared */
    /*
     * The input passes without its perturbation (no faults, FIFO order,
     * no schedule): then so must every candidate, so that the failure
     * keeps its cause.  Otherwise a candidate could "fail the same way"
     * by losing the send whose bytes a fault delayed, or by checking an
     * event before it could happen.
     */
    bool guard;
};

/* ---- States ---- */

static void state_free(struct state *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].text);
    free(s->v);
    *s = (struct state){ 0 };
}

/* A copy, with line skip (or none, SIZE_MAX) left out and line edit (if not SIZE_MAX) given the text etext. */
static int state_derive(const struct state *s, size_t from, size_t to, size_t edit, const char *etext,
                        struct state *out)
{
    *out = (struct state){ .v = calloc(s->n ? s->n : 1, sizeof(*out->v)) };
    if (!out->v)
        return -1;
    for (size_t i = 0; i < s->n; i++) {
        if (i >= from && i < to)
            continue;
        const char *t = i == edit ? etext : s->v[i].text;
        char *d = strdup(t);
        if (!d) {
            state_free(out);
            return -1;
        }
        out->v[out->n++] = (struct sline){ s->v[i].id, d };
    }
    return 0;
}

/* The scenario's text: the header (HEADER_LINES lines) then the lines. */
static char *state_text(const struct state *s, const char *header, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f)
        return NULL;
    fputs(header, f);
    for (size_t i = 0; i < s->n; i++)
        fprintf(f, "%s\n", s->v[i].text);
    if (fclose(f))
        return NULL;
    *len = n;
    return buf;
}

static const char placeholder_header[] = "#\n#\n";

/* ---- Running candidates ---- */

static void fill_failure(const struct state *st, bool passed, unsigned line, const char *sig,
                         const char *manner, struct failure *f)
{
    if (!passed && manner)
        snprintf(f->manner, sizeof(f->manner), "%s", manner);
    f->failed = !passed;
    f->id = 0;
    if (passed)
        return;
    if (line > HEADER_LINES && line - HEADER_LINES - 1 < st->n)
        f->id = st->v[line - HEADER_LINES - 1].id;
    char pre[32];
    int pl = snprintf(pre, sizeof(pre), "line %u: ", line);
    if (line && sig && !strncmp(sig, pre, (size_t)pl))
        sig += pl;
    snprintf(f->sig, sizeof(f->sig), "%s", sig ? sig : "?");
}

/* In a worker: runs one candidate and sends whether it passed, its failing line and its signature. */
static void shrink_job(void *ctx, uint64_t i, struct cli_msg *msg)
{
    struct shrinker *s = ctx;
    const struct cand *k = &s->cands[s->idx[i]];
    coop_scn_overrides ov = { .brief = true };
    cli_watch_observe(&ov);
    coop_scn_result res;
    int rc = coop_scenario_run(k->scn, s->cli->registry, &ov, false, &res);
    bool passed = rc == 0 && res.passed;
    cli_msg_u64(msg, passed);
    cli_msg_u64(msg, rc == 0 ? res.failed_line : 0);
    cli_msg_str(msg, rc == 0 ? res.signature : "the run could not start");
    cli_msg_u64(msg, rc == 0 ? res.faults : 0);
    cli_msg_str(msg, rc == 0 && !passed ? coop_scn_how_name(res.failed_how) : "");
    coop_scn_result_fini(&res);
    bool base = true;
    if (!passed && s->guard) {
        /* The same lines without the perturbation; this worker's copy of the candidate may be changed. */
        coop_scn_overrides bo = { .brief = true, .faults_set = true, .faults = 0, .ties_set = true };
        cli_watch_observe(&bo);
        char *sched = k->scn->schedule;
        k->scn->schedule = NULL;
        rc = coop_scenario_run(k->scn, s->cli->registry, &bo, false, &res);
        k->scn->schedule = sched;
        base = rc == 0 && res.passed;
    }
    cli_msg_u64(msg, base);
    coop_scn_result_fini(&res);
}

static void outcome_failure(const struct state *st, const struct cli_outcome *o, struct failure *f)
{
    *f = (struct failure){ 0 };
    if (o->kind == CLI_OUT_DONE) {
        bool passed = cli_msg_get_u64(o->data) != 0;
        unsigned line = (unsigned)cli_msg_get_u64(o->data);
        const char *sig = cli_msg_get_str(o->data);
        uint32_t faults = (uint32_t)cli_msg_get_u64(o->data);
        const char *manner = cli_msg_get_str(o->data);
        f->base_passed = cli_msg_get_u64(o->data) != 0;
        if (o->data->bad) {
            fill_failure(st, false, 0, "the worker sent a malformed result", NULL, f);
        } else {
            fill_failure(st, passed, line, sig, manner, f);
            f->faults_known = true;
            f->faults = faults;
        }
        return;
    }
    char sig[160];
    cli_death_signature(sig, sizeof(sig), o);
    fill_failure(st, false, 0, sig, NULL, f);
}

static bool shrink_done(void *ctx, uint64_t i, const struct cli_outcome *o)
{
    struct shrinker *s = ctx;
    size_t c = s->idx[i];
    struct failure got;
    /*
     * The one worker reports in order; items it ran past the first that
     * kept the failure (their number depends on timing) do not count.
     */
    if (s->best != SIZE_MAX)
        return false;
    outcome_failure(&s->cands[c].st, o, &got);
    s->runs++;
    if (s->record) {
        *s->record = got;
        return true;
    }
    if (!same_failure(&s->want, &got) || (s->guard && !got.base_passed))
        return true;
    if (c < s->best)
        s->best = c;
    return false;
}

/*
 * Runs the candidates in order, one worker, until one fails the way the
 * input did; adopts the first that does (the lowest index, whatever the
 * timing) and frees them all.  Returns whether one was adopted.
 */
static bool try_batch(struct shrinker *s, struct cand *cands, size_t n)
{
    s->cands = cands;
    s->ncands = n;
    s->best = SIZE_MAX;
    s->idx = calloc(n ? n : 1, sizeof(*s->idx));
    size_t m = 0;
    for (size_t c = 0; s->idx && c < n; c++) {
        size_t len;
        char *text = state_text(&cands[c].st, placeholder_header, &len);
        char err[COOP_SCN_MAX_ERR];
        if (text && !coop_scenario_parse(s->path, text, len, &cands[c].scn, err, sizeof(err)))
            s->idx[m++] = c;
        free(text);
    }
    if (m > s->max_runs - s->runs) {
        m = (size_t)(s->max_runs - s->runs);
        s->out_of_runs = true;
    }
    if (m && !cli_interrupted()) {
        struct cli_pool_cfg pc = { .n = m,
                                   .workers = 1,
                                   .timeout_ns = s->timeout_ns,
                                   .job = shrink_job,
                                   .done = shrink_done,
                                   .ctx = s };
        struct cli_pool_end end;
        if (cli_pool_run(&pc, &end) == 0 && end.interrupted)
            s->interrupted = true;
    }
    bool took = s->best != SIZE_MAX;
    for (size_t c = 0; c < n; c++) {
        coop_scenario_free(cands[c].scn);
        if (took && c == s->best) {
            state_free(&s->cur);
            s->cur = cands[c].st;
        } else {
            state_free(&cands[c].st);
        }
    }
    free(s->idx);
    s->idx = NULL;
    return took;
}

static bool stopped(const struct shrinker *s)
{
    return s->out_of_runs || s->interrupted || cli_interrupted();
}

/* ---- Lines ---- */

/* A token of a line: where it starts and ends, and whether it is a string ("..." or x"..."). */
struct tok {
    size_t a, b;
    bool str;
};
#define MAX_TOKS 256

/* Splits text into tokens up to a comment; returns how many. */
static size_t tokens(const char *t, struct tok *v)
{
    size_t n = 0, i = 0;
    while (t[i] && n < MAX_TOKS) {
        if (t[i] == ' ' || t[i] == '\t' || t[i] == '\r') {
            i++;
            continue;
        }
        if (t[i] == '#')
            break;
        size_t a = i;
        bool str = false;
        if (t[i] == '"' || (t[i] == 'x' && t[i + 1] == '"')) {
            str = true;
            i += t[i] == 'x' ? 2 : 1;
            while (t[i] && t[i] != '"')
                i += t[i] == '\\' && t[i + 1] ? 2 : 1;
            if (t[i])
                i++;
        } else {
            while (t[i] && t[i] != ' ' && t[i] != '\t' && t[i] != '\r' && t[i] != '"' && t[i] != '#')
                i++;
        }
        v[n++] = (struct tok){ a, i, str };
    }
    return n;
}

static bool tok_is(const char *t, const struct tok *k, const char *w)
{
    return !k->str && k->b - k->a == strlen(w) && !strncmp(t + k->a, w, k->b - k->a);
}

/* The first word of a line, and whether the line is a comment or blank. */
static bool is_blank(const char *t)
{
    struct tok v[MAX_TOKS];
    return tokens(t, v) == 0;
}

/* program and node lines: the run needs them. */
static bool is_needed(const struct shrinker *s, const struct sline *l)
{
    struct tok v[MAX_TOKS];
    size_t n = tokens(l->text, v);
    return (s->want.id && l->id == s->want.id) ||
           (n && (tok_is(l->text, &v[0], "program") || tok_is(l->text, &v[0], "node")));
}

static const char *word(const char *t, const struct tok *k, char *buf, size_t len);

/* How a line's time is written. */
enum { T_SETTING, T_UNTIMED, T_ABS, T_REL, T_OTHER };

/* Each line's time from the parser (at), and how it is written (kind); 0 or -1. */
static int line_times(const struct shrinker *s, const struct state *st, uint64_t *at, unsigned char *kind)
{
    size_t len;
    char *text = state_text(st, placeholder_header, &len);
    coop_scenario *scn = NULL;
    char err[COOP_SCN_MAX_ERR];
    if (!text || coop_scenario_parse(s->path, text, len, &scn, err, sizeof(err))) {
        free(text);
        return -1;
    }
    free(text);
    for (size_t k = 0; k < st->n; k++) {
        at[k] = 0;
        kind[k] = T_SETTING;
    }
    for (size_t i = 0; i < scn->nlines; i++) {
        const coop_scn_line *ln = &scn->lines[i];
        if (ln->line <= HEADER_LINES || ln->line - HEADER_LINES - 1 >= st->n)
            continue;
        size_t k = ln->line - HEADER_LINES - 1;
        const char *t = st->v[k].text;
        struct tok v[MAX_TOKS];
        tokens(t, v);
        char w[64];
        word(t, &v[0], w, sizeof(w));
        at[k] = ln->at_ns;
        if (strstr(w, "..") || strpbrk(w, "~<*"))
            kind[k] = T_OTHER;
        else if (w[0] == '+')
            kind[k] = T_REL;
        else if (w[0] >= '0' && w[0] <= '9')
            kind[k] = T_ABS;
        else
            kind[k] = T_UNTIMED;
    }
    coop_scenario_free(scn);
    return 0;
}

/*
 * A copy of cur without the lines marked removed.  A kept line whose
 * time counts from a removed one (no time, or "+D") gets its time
 * written out, so that it still happens or is checked when it was.
 */
static int derive_without(const struct state *cur, const bool *removed, const uint64_t *at,
                          const unsigned char *kind, struct state *out)
{
    *out = (struct state){ .v = calloc(cur->n ? cur->n : 1, sizeof(*out->v)) };
    if (!out->v)
        return -1;
    uint64_t anchor = 0, kept_anchor = 0;
    for (size_t k = 0; k < cur->n; k++) {
        bool cmd = kind[k] != T_SETTING;
        uint64_t before = anchor;
        if (cmd && kind[k] != T_OTHER && at[k] > anchor)
            anchor = at[k];
        if (removed[k])
            continue;
        const char *t = cur->v[k].text;
        char *d;
        if (cmd && (kind[k] == T_UNTIMED || kind[k] == T_REL) && kept_anchor != before) {
            char tm[48];
            if (at[k])
                coop_scn_format_time(at[k], tm, sizeof(tm));
            else
                snprintf(tm, sizeof(tm), "0");
            struct tok v[MAX_TOKS];
            tokens(t, v);
            const char *rest = kind[k] == T_REL ? t + v[0].b : t + v[0].a;
            while (*rest == ' ' || *rest == '\t')
                rest++;
            size_t dl = strlen(tm) + strlen(rest) + 8;
            d = malloc(dl);
            if (d)
                snprintf(d, dl, "%-7s %s", tm, rest);
        } else {
            d = strdup(t);
        }
        if (!d) {
            state_free(out);
            return -1;
        }
        if (cmd && kind[k] != T_OTHER && at[k] > kept_anchor)
            kept_anchor = at[k];
        out->v[out->n++] = (struct sline){ cur->v[k].id, d };
    }
    return 0;
}

/* Removes chunks of lines, halving the chunk size down to single lines; whether any went. */
static bool pass_lines(struct shrinker *s)
{
    bool any = false;
    size_t cap = s->cur.n ? s->cur.n : 1;
    size_t *rem = malloc(cap * sizeof(*rem));
    uint64_t *at = malloc(cap * sizeof(*at));
    unsigned char *kind = malloc(cap);
    bool *removed = malloc(cap * sizeof(*removed));
    size_t nrem = 0;
    for (size_t i = 0; i < s->cur.n; i++)
        if (!is_needed(s, &s->cur.v[i]))
            nrem++;
    for (size_t chunk = nrem; rem && at && kind && removed && chunk >= 1 && !stopped(s); chunk /= 2) {
        size_t from = 0; /* chunks before it were tried at this size and kept the failure from showing */
        for (;;) {
            nrem = 0;
            for (size_t i = 0; i < s->cur.n; i++)
                if (!is_needed(s, &s->cur.v[i]))
                    rem[nrem++] = i;
            if (chunk > nrem)
                chunk = nrem;
            if (!chunk || from >= nrem || line_times(s, &s->cur, at, kind))
                break;
            /* A chunk is a run of removable lines; the needed lines between them stay. */
            size_t nc = (nrem - from + chunk - 1) / chunk;
            struct cand *cands = calloc(nc, sizeof(*cands));
            size_t *starts = calloc(nc, sizeof(*starts));
            if (!cands || !starts) {
                free(cands);
                free(starts);
                break;
            }
            size_t made = 0;
            for (size_t c = 0; c < nc; c++) {
                size_t lo = from + c * chunk, hi = lo + chunk < nrem ? lo + chunk : nrem;
                memset(removed, 0, s->cur.n * sizeof(*removed));
                for (size_t k = lo; k < hi; k++)
                    removed[rem[k]] = true;
                if (derive_without(&s->cur, removed, at, kind, &cands[made].st))
                    break;
                starts[made++] = lo;
            }
            bool took = try_batch(s, cands, made);
            size_t at_chunk = took ? starts[s->best] : 0;
            free(cands);
            free(starts);
            if (!took || stopped(s))
                break;
            any = true;
            from = at_chunk;
        }
        if (chunk <= 1)
            break;
    }
    free(rem);
    free(at);
    free(kind);
    free(removed);
    return any;
}

/* ---- Values within a line ---- */

/* Variants of one line, each one step smaller; grown as they are made. */
struct variants {
    char **v;
    size_t n, cap;
};

static void variant_add(struct variants *vs, const char *t, const struct tok *k, const char *repl)
{
    size_t tl = strlen(t), rl = strlen(repl);
    char *d = malloc(tl - (k->b - k->a) + rl + 1);
    if (!d)
        return;
    memcpy(d, t, k->a);
    memcpy(d + k->a, repl, rl);
    memcpy(d + k->a + rl, t + k->b, tl - k->b + 1);
    for (size_t i = 0; i < vs->n; i++)
        if (!strcmp(vs->v[i], d)) {
            free(d);
            return;
        }
    if (!strcmp(d, t)) {
        free(d);
        return;
    }
    if (vs->n == vs->cap) {
        size_t cap = vs->cap ? 2 * vs->cap : 8;
        char **v = realloc(vs->v, cap * sizeof(*v));
        if (!v) {
            free(d);
            return;
        }
        vs->v = v;
        vs->cap = cap;
    }
    vs->v[vs->n++] = d;
}

/* The line without the tokens from k to l (inclusive) and the blanks before them. */
static void variant_cut(struct variants *vs, const char *t, const struct tok *k, const struct tok *l)
{
    struct tok span = { k->a, l->b, false };
    while (span.a && (t[span.a - 1] == ' ' || t[span.a - 1] == '\t'))
        span.a--;
    variant_add(vs, t, &span, "");
}

static void variants_free(struct variants *vs)
{
    for (size_t i = 0; i < vs->n; i++)
        free(vs->v[i]);
    free(vs->v);
    *vs = (struct variants){ 0 };
}

/* The word k as a NUL-terminated string in buf. */
static const char *word(const char *t, const struct tok *k, char *buf, size_t len)
{
    size_t n = k->b - k->a < len - 1 ? k->b - k->a : len - 1;
    memcpy(buf, t + k->a, n);
    buf[n] = '\0';
    return buf;
}

/* A fault list with one class fewer, for each class in it. */
static void fault_variants(struct variants *vs, const char *t, const struct tok *k)
{
    char w[128], out[160];
    uint32_t m;
    if (coop_sim_faults_parse(word(t, k, w, sizeof(w)), &m) || (m & COOP_SIM_FAULTS_FROM_SEED))
        return;
    for (uint32_t bit = 1; bit && bit <= m; bit <<= 1) {
        if (!(m & bit))
            continue;
        coop_sim_faults_format(m & ~bit, out, sizeof(out));
        variant_add(vs, t, k, out);
    }
}

/* Smaller values of a count: 1, n/10, n/2 (at least lo). */
static void count_variants(struct variants *vs, const char *t, const struct tok *k, uint64_t lo)
{
    char w[32], out[32];
    uint64_t n;
    if (cli_parse_u64(word(t, k, w, sizeof(w)), &n) || n <= lo)
        return;
    const uint64_t try[] = { lo, n / 10, n / 2 };
    for (size_t i = 0; i < 3; i++)
        if (try[i] >= lo && try[i] < n) {
            snprintf(out, sizeof(out), "%" PRIu64, try[i]);
            variant_add(vs, t, k, out);
        }
}

/* Earlier times: 0, a tenth, a half; for "+D" the same after the plus. */
static void time_variants(struct variants *vs, const char *t, const struct tok *k)
{
    char w[64], out[64];
    word(t, k, w, sizeof(w));
    bool rel = w[0] == '+';
    uint64_t ns;
    if (strpbrk(w, "~.<*") && !(strchr(w, '.') && !strstr(w, "..")))
        return; /* windows, tolerances and the like stay as written */
    if (cli_parse_duration(w + rel, &ns) || !ns)
        return;
    const uint64_t try[] = { 0, ns / 10, ns / 2 };
    for (size_t i = 0; i < 3; i++) {
        if (try[i] >= ns || (i && !try[i]))
            continue;
        char d[48];
        if (try[i])
            coop_scn_format_time(try[i], d, sizeof(d));
        else
            snprintf(d, sizeof(d), "0");
        snprintf(out, sizeof(out), "%s%s", rel ? "+" : "", d);
        variant_add(vs, t, k, out);
    }
}

/* A shorter plain string: empty, then its first half (ASCII without escapes only, so that nothing is cut in two). */
static void string_variants(struct variants *vs, const char *t, const struct tok *k)
{
    if (t[k->a] != '"' || k->b - k->a < 3)
        return;
    size_t n = k->b - k->a - 2;
    for (size_t i = k->a + 1; i < k->b - 1; i++)
        if (t[i] == '\\' || (unsigned char)t[i] >= 0x80)
            return;
    char out[COOP_SCN_MAX_LINE];
    snprintf(out, sizeof(out), "\"\"");
    variant_add(vs, t, k, out);
    if (n >= 2) {
        snprintf(out, sizeof(out), "\"%.*s\"", (int)(n / 2), t + k->a + 1);
        variant_add(vs, t, k, out);
    }
}

/* Decodes a schedule's compact text into choices; returns how many, or -1. */
static int sched_decode(const char *w, unsigned char *c, size_t max)
{
    size_t n = 0;
    for (const char *p = w; *p;) {
        if (*p == 'x') {
            char *end;
            unsigned long z = strtoul(p + 1, &end, 10);
            if (*end != '.' || n + z > max)
                return -1;
            memset(c + n, 0, z);
            n += z;
            p = end + 1;
        } else {
            int v = text_hexval((unsigned char)*p++);
            if (v < 0 || n == max)
                return -1;
            c[n++] = (unsigned char)v;
        }
    }
    return (int)n;
}

/* The compact text of choices: trailing zeros dropped, runs of four or more zeros as xN., "0" when empty. */
static void sched_encode(const unsigned char *c, size_t n, char *out, size_t len)
{
    while (n && !c[n - 1])
        n--;
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && o + 24 < len;) {
        size_t z = 0;
        while (i + z < n && !c[i + z])
            z++;
        if (z >= 4) {
            o += (size_t)snprintf(out + o, len - o, "x%zu.", z);
            i += z;
        } else {
            out[o++] = "0123456789abcdef"[c[i++]];
            out[o] = '\0';
        }
    }
    if (!o)
        snprintf(out, len, "0");
}

/* A schedule with its later half of choices left to the ready order, or one choice set back to 0. */
static void schedule_variants(struct variants *vs, const char *t, const struct tok *k)
{
    char w[COOP_SCHEDULE_TEXT_MAX], out[COOP_SCHEDULE_TEXT_MAX];
    static unsigned char c[COOP_SCHEDULE_TEXT_MAX * 16];
    int n = sched_decode(word(t, k, w, sizeof(w)), c, sizeof(c));
    while (n > 0 && !c[n - 1])
        n--;
    if (n <= 0)
        return;
    sched_encode(c, (size_t)n / 2, out, sizeof(out));
    variant_add(vs, t, k, out);
    for (int i = n; i-- > 0;) {
        if (!c[i])
            continue;
        unsigned char keep = c[i];
        c[i] = 0;
        sched_encode(c, (size_t)n, out, sizeof(out));
        variant_add(vs, t, k, out);
        c[i] = keep;
    }
}

/* Every one-step reduction of a line's values, in a fixed order. */
static void line_variants(const char *t, bool keep_time, struct variants *vs)
{
    struct tok v[MAX_TOKS];
    size_t n = tokens(t, v);
    if (!n)
        return;
    if (n >= 2 && tok_is(t, &v[0], "faults"))
        fault_variants(vs, t, &v[1]);
    if (n >= 2 && tok_is(t, &v[0], "schedule"))
        schedule_variants(vs, t, &v[1]);
    bool timed = !v[0].str && (t[v[0].a] == '+' || (t[v[0].a] >= '0' && t[v[0].a] <= '9'));
    if (timed && !keep_time)
        time_variants(vs, t, &v[0]);
    for (size_t i = 1; i < n; i++) {
        if (i + 1 < n && tok_is(t, &v[i], "net") && tok_is(t, &v[i - 1], "fault"))
            fault_variants(vs, t, &v[i + 1]);
        if (i + 1 < n && tok_is(t, &v[i], "*") && v[i - 1].str) {
            variant_cut(vs, t, &v[i], &v[i + 1]);
            count_variants(vs, t, &v[i + 1], 1);
        }
        if (i + 1 < n && tok_is(t, &v[i], "chunk")) {
            variant_cut(vs, t, &v[i], &v[i + 1]);
            count_variants(vs, t, &v[i + 1], 1);
        }
        /* An item of several: the whole item (and its repeat count) may go. */
        if (v[i].str &&
            ((i + 1 < n && v[i + 1].str) || (i + 3 < n && tok_is(t, &v[i + 1], "*") && v[i + 3].str)))
            variant_cut(vs, t, &v[i], &v[tok_is(t, &v[i + 1], "*") ? i + 2 : i]);
        if (v[i].str)
            string_variants(vs, t, &v[i]);
    }
}

/* Tries the reductions of each line's values until none keeps the failure; whether any did. */
static bool pass_values(struct shrinker *s)
{
    bool any = false;
    for (size_t i = 0; i < s->cur.n && !stopped(s); i++) {
        for (;;) {
            struct variants vs = { 0 };
            /* The failing expectation keeps its time: checked earlier, it would only fail for want of time. */
            line_variants(s->cur.v[i].text, s->want.id && s->cur.v[i].id == s->want.id, &vs);
            struct cand *cands = calloc(vs.n ? vs.n : 1, sizeof(*cands));
            size_t made = 0;
            for (size_t k = 0; cands && k < vs.n; k++)
                if (!state_derive(&s->cur, SIZE_MAX, SIZE_MAX, i, vs.v[k], &cands[made].st))
                    made++;
            variants_free(&vs);
            bool took = cands && made && try_batch(s, cands, made);
            free(cands);
            if (!took || stopped(s))
                break;
            any = true;
        }
    }
    return any;
}

/* Divides every line's leading time by f at once (the times keep their order); whether that kept the failure. */
static bool pass_scale(struct shrinker *s, uint64_t f)
{
    bool any = false;
    while (!stopped(s)) {
        struct cand c = { 0 };
        if (state_derive(&s->cur, SIZE_MAX, SIZE_MAX, SIZE_MAX, NULL, &c.st))
            break;
        bool changed = false;
        for (size_t i = 0; i < c.st.n; i++) {
            char *t = c.st.v[i].text, w[64], out[64], d[48];
            struct tok v[MAX_TOKS];
            if (!tokens(t, v) || v[0].str)
                continue;
            word(t, &v[0], w, sizeof(w));
            bool rel = w[0] == '+';
            uint64_t ns;
            if (!(rel || (w[0] >= '0' && w[0] <= '9')) || strstr(w, "..") || strpbrk(w, "~") ||
                cli_parse_duration(w + rel, &ns) || ns / f == ns)
                continue;
            coop_scn_format_time(ns / f, d, sizeof(d));
            snprintf(out, sizeof(out), "%s%s", rel ? "+" : "", ns / f ? d : "0");
            struct variants vs = { 0 };
            variant_add(&vs, t, &v[0], out);
            if (vs.n) {
                free(c.st.v[i].text);
                c.st.v[i].text = vs.v[0];
                vs.n = 0;
                changed = true;
            }
            variants_free(&vs);
        }
        if (!changed) {
            state_free(&c.st);
            break;
        }
        if (!try_batch(s, &c, 1))
            break;
        any = true;
    }
    return any;
}

/* ---- The whole ---- */

static size_t count_lines(const struct state *st)
{
    size_t n = 0;
    for (size_t i = 0; i < st->n; i++)
        n += !is_blank(st->v[i].text);
    return n;
}

/* Bytes of data the scenario's sends and recvs name, and its fault classes (settings and `fault net` lines). */
static void measure(const struct state *st, const char *path, size_t *data, size_t *classes)
{
    *data = *classes = 0;
    size_t len;
    char *text = state_text(st, placeholder_header, &len);
    coop_scenario *scn = NULL;
    char err[COOP_SCN_MAX_ERR];
    if (text && !coop_scenario_parse(path, text, len, &scn, err, sizeof(err))) {
        for (size_t i = 0; i < scn->nlines; i++) {
            const coop_scn_line *ln = &scn->lines[i];
            if (ln->op == COOP_SCN_SEND || ln->op == COOP_SCN_EXPECT_RECV)
                *data += ln->len;
            if (ln->op == COOP_SCN_FAULT_NET)
                *classes += (size_t)__builtin_popcount((uint32_t)ln->value & COOP_SIM_FAULTS_ALL);
        }
        if (scn->has_faults && !(scn->cfg.faults & COOP_SIM_FAULTS_FROM_SEED))
            *classes += (size_t)__builtin_popcount(scn->cfg.faults & COOP_SIM_FAULTS_ALL);
    }
    coop_scenario_free(scn);
    free(text);
}

/* Sets the line of setting name to "name value": in place when the file has one, else added at the end. */
static int set_setting(struct state *st, const char *name, const char *value, unsigned *added)
{
    char line[COOP_SCHEDULE_TEXT_MAX + 32];
    snprintf(line, sizeof(line), "%s %s", name, value);
    for (size_t i = 0; i < st->n; i++) {
        struct tok v[MAX_TOKS];
        if (tokens(st->v[i].text, v) && tok_is(st->v[i].text, &v[0], name)) {
            char *d = strdup(line);
            if (!d)
                return -1;
            free(st->v[i].text);
            st->v[i].text = d;
            return 0;
        }
    }
    struct sline *v = realloc(st->v, (st->n + 1) * sizeof(*v));
    char *d = strdup(line);
    if (!v || !d) {
        free(d);
        if (v)
            st->v = v;
        return -1;
    }
    st->v = v;
    /* Added below the program or node lines, with the other settings. */
    size_t at = 0;
    for (size_t i = 0; i < st->n; i++) {
        struct tok t[MAX_TOKS];
        if (tokens(st->v[i].text, t) && (st->v[i].id >= ADDED_ID || tok_is(st->v[i].text, &t[0], "program") ||
                                         tok_is(st->v[i].text, &t[0], "node")))
            at = i + 1;
    }
    memmove(st->v + at + 1, st->v + at, (st->n - at) * sizeof(*v));
    st->v[at] = (struct sline){ ADDED_ID + (*added)++, d };
    st->n++;
    return 0;
}

/* Runs the current state once, in a worker, and records how it ended in f (it adopts nothing). */
static void run_once(struct shrinker *s, struct failure *f)
{
    struct cand c = { 0 };
    *f = (struct failure){ .failed = true, .sig = "the scenario could not be run" };
    if (state_derive(&s->cur, SIZE_MAX, SIZE_MAX, SIZE_MAX, NULL, &c.st))
        return;
    uint64_t runs = s->runs, max = s->max_runs;
    s->max_runs = UINT64_MAX;
    s->record = f;
    (void)try_batch(s, &c, 1);
    s->record = NULL;
    s->max_runs = max;
    s->runs = runs;
}

/* The settings given on the command line, written as they would be in a file. */
static void describe(const struct cli_shrink_opts *o, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    char f[160];
    if (o->seed_set)
        n += (size_t)snprintf(buf + n, len - n, " --seed %" PRIu64, o->seed);
    if (o->faults_set && n < len) {
        if (o->faults == COOP_SIM_FAULTS_FROM_SEED)
            snprintf(f, sizeof(f), "seed");
        else
            coop_sim_faults_format(o->faults, f, sizeof(f));
        n += (size_t)snprintf(buf + n, len - n, " --faults %s", f);
    }
    if (o->ties_set && n < len)
        n += (size_t)snprintf(buf + n, len - n, " --ties %s", o->permute_ties ? "permute" : "fifo");
    if (o->schedule && n < len)
        snprintf(buf + n, len - n, " --schedule %s", o->schedule);
}

int cli_shrink(struct cli *c, const char *path, const struct cli_shrink_opts *o, struct cli_shrink_result *r)
{
    *r = (struct cli_shrink_result){ 0 };
    size_t len;
    char *text = text_slurp(path, COOP_SCN_MAX_FILE, &len);
    if (!text) {
        snprintf(r->error, sizeof(r->error), "%s: %s", path, strerror(errno));
        return CLI_USAGE;
    }
    coop_scenario *scn;
    char err[COOP_SCN_MAX_ERR];
    if (coop_scenario_parse(path, text, len, &scn, err, sizeof(err))) {
        snprintf(r->error, sizeof(r->error), "%s", err);
        free(text);
        return CLI_USAGE;
    }
    for (int k = 0; k < scn->nnodes; k++) {
        if (coop_program_find(c->registry, scn->nodes[k].program))
            continue;
        snprintf(r->error, sizeof(r->error), "%s:%u:1: error: no program named '%s'", path,
                 scn->nodes[k].line, scn->nodes[k].program);
        coop_scenario_free(scn);
        free(text);
        return CLI_USAGE;
    }
    coop_scenario_free(scn);
    struct shrinker s = { .cli = c, .path = path, .timeout_ns = o->timeout_ns, .max_runs = o->max_runs };
    /* The lines, as written; comments and blank lines go at once, they change nothing. */
    unsigned lineno = 1;
    for (char *p = text; p < text + len; lineno++) {
        char *nl = memchr(p, '\n', (size_t)(text + len - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(text + len - p);
        char *line = strndup(p, n);
        p += n + 1;
        if (!line)
            continue;
        if (lineno == 1 && !strncmp(line, "\xef\xbb\xbf", 3))
            memmove(line, line + 3, strlen(line + 3) + 1);
        if (n && line[strlen(line) - 1] == '\r')
            line[strlen(line) - 1] = '\0';
        if (is_blank(line)) {
            free(line);
            continue;
        }
        struct sline *v = realloc(s.cur.v, (s.cur.n + 1) * sizeof(*v));
        if (!v) {
            free(line);
            continue;
        }
        s.cur.v = v;
        s.cur.v[s.cur.n++] = (struct sline){ lineno, line };
    }
    r->bytes0 = len;
    free(text);
    /* The command line's settings become lines of the file. */
    unsigned added = 0;
    char buf[64];
    if (o->seed_set) {
        snprintf(buf, sizeof(buf), "%" PRIu64, o->seed);
        set_setting(&s.cur, "seed", buf, &added);
    }
    if (o->faults_set) {
        if (o->faults == COOP_SIM_FAULTS_FROM_SEED)
            snprintf(buf, sizeof(buf), "seed");
        else
            coop_sim_faults_format(o->faults, buf, sizeof(buf));
        set_setting(&s.cur, "faults", buf, &added);
    }
    if (o->ties_set)
        set_setting(&s.cur, "ties", o->permute_ties ? "permute" : "fifo", &added);
    if (o->schedule)
        set_setting(&s.cur, "schedule", o->schedule, &added);
    struct failure f;
    run_once(&s, &f);
    if (cli_interrupted()) {
        state_free(&s.cur);
        snprintf(r->error, sizeof(r->error), "interrupted before the scenario's first run ended");
        r->interrupted = true;
        return CLI_USAGE;
    }
    if (!f.failed) {
        state_free(&s.cur);
        snprintf(r->error, sizeof(r->error), "%s passes with these settings: there is no failure to keep",
                 path);
        return CLI_FAIL;
    }
    s.want = f;
    /* Whether it fails without its perturbation too: one more run, with the guard on, tells. */
    struct failure g;
    s.guard = true;
    run_once(&s, &g);
    s.guard = g.base_passed;
    r->guard = s.guard;
    /* The signature names the manner itself: "expect recv: late". */
    snprintf(r->signature, sizeof(r->signature), "%s", f.sig);
    r->line0 = f.id;
    /*
     * A fault mix the seed chooses, or one written as a mask, is written
     * out as its list of classes, which the passes can then take apart.
     */
    for (size_t i = 0; i < s.cur.n; i++) {
        struct tok v[MAX_TOKS];
        char w[64], fl[160];
        const char *t = s.cur.v[i].text;
        if (tokens(t, v) < 2 || !tok_is(t, &v[0], "faults"))
            continue;
        word(t, &v[1], w, sizeof(w));
        uint32_t m;
        if (coop_sim_faults_parse(w, &m))
            continue;
        if (m & COOP_SIM_FAULTS_FROM_SEED) {
            /* The mix is the seed's: what the first run resolved. */
            if (!f.faults_known)
                break;
            m = f.faults;
        }
        coop_sim_faults_format(m, fl, sizeof(fl));
        struct variants vs = { 0 };
        variant_add(&vs, t, &v[1], fl);
        struct cand cd = { 0 };
        if (vs.n && !state_derive(&s.cur, SIZE_MAX, SIZE_MAX, i, vs.v[0], &cd.st))
            (void)try_batch(&s, &cd, 1);
        variants_free(&vs);
        break;
    }
    /* The figures before: the settings given as options count as lines of the input. */
    r->lines0 = count_lines(&s.cur);
    measure(&s.cur, path, &r->data0, &r->classes0);
    /* The passes, until a whole round removes nothing. */
    for (bool again = true; again && !stopped(&s);) {
        again = pass_lines(&s);
        again |= pass_values(&s);
        again |= pass_scale(&s, 10);
        again |= pass_scale(&s, 2);
    }
    r->runs = s.runs;
    r->out_of_runs = s.out_of_runs;
    r->interrupted = s.interrupted || cli_interrupted();
    measure(&s.cur, path, &r->data, &r->classes);
    r->lines = count_lines(&s.cur);
    /* The header, then a last run of the very text written, to say how it fails. */
    char over[COOP_SCHEDULE_TEXT_MAX + 256], *header = NULL;
    size_t hl = 0;
    describe(o, over, sizeof(over));
    FILE *h = open_memstream(&header, &hl);
    if (h) {
        fprintf(h, "# Shrunk by coop shrink from %s%s%s: %zu of %zu lines kept.\n", path,
                *over ? " with" : "", over, r->lines, r->lines0);
        if (f.id && f.id < ADDED_ID)
            fprintf(h, "# It fails as that did at its line %u: %s\n", f.id, r->signature);
        else
            fprintf(h, "# It fails as that did: %s\n", r->signature);
        fclose(h);
    }
    r->text = header ? state_text(&s.cur, header, &r->len) : NULL;
    free(header);
    struct failure last;
    run_once(&s, &last);
    /* After an interruption the last run does not happen: nothing is said of it. */
    r->same = r->interrupted || same_failure(&s.want, &last);
    state_free(&s.cur);
    if (!r->text) {
        snprintf(r->error, sizeof(r->error), "out of memory");
        return CLI_USAGE;
    }
    return CLI_PASS;
}

void cli_shrink_summary(FILE *out, const struct cli_shrink_result *r)
{
    fprintf(out, "  removed: %zu of %zu lines, %zu of %zu fault classes, %zu of %zu bytes of data\n",
            r->lines0 - r->lines, r->lines0, r->classes0 - r->classes, r->classes0, r->data0 - r->data,
            r->data0);
    fprintf(out, "  result: %zu lines, %zu bytes (from %zu); %" PRIu64 " candidates run%s\n", r->lines,
            r->len, r->bytes0, r->runs,
            r->interrupted   ? "; interrupted: the smallest so far"
            : r->out_of_runs ? "; --max-runs reached: the smallest so far"
                             : "");
    if (r->guard)
        fprintf(out,
                "  cause kept: the input passes without faults, in FIFO order and without schedule, and so "
                "does the result\n");
    if (!r->same)
        fprintf(
            out,
            "  WARNING: the result does not fail the same way when run again (a timeout near the limit?)\n");
}

enum { OPT_OUT = 256, OPT_SEED, OPT_FAULTS, OPT_TIES, OPT_SCHEDULE, OPT_TIMEOUT, OPT_MAX_RUNS, OPT_LOAD };

static const struct option shrink_options[] = {
    { "out", required_argument, NULL, OPT_OUT },
    { "seed", required_argument, NULL, OPT_SEED },
    { "faults", required_argument, NULL, OPT_FAULTS },
    { "ties", required_argument, NULL, OPT_TIES },
    { "schedule", required_argument, NULL, OPT_SCHEDULE },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "max-runs", required_argument, NULL, OPT_MAX_RUNS },
    { "load", required_argument, NULL, OPT_LOAD },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

int cli_shrink_command(struct cli *c, int argc, char **argv)
{
    struct cli_shrink_opts o = { .timeout_ns = CLI_SHRINK_TIMEOUT_NS, .max_runs = CLI_SHRINK_MAX_RUNS };
    const char *out = NULL;
    bool quiet = false;
    int ch, li = -1;
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":qh", shrink_options, &li)) != -1) {
        const char *v = optarg;
        switch (ch) {
        case 'h':
            fputs(shrink_help, stdout);
            return CLI_PASS;
        case OPT_OUT:
            out = v;
            break;
        case OPT_SEED:
            if (cli_parse_u64(v, &o.seed))
                goto bad_value;
            o.seed_set = true;
            break;
        case OPT_FAULTS:
            if (coop_sim_faults_parse(v, &o.faults))
                goto bad_value;
            o.faults_set = true;
            break;
        case OPT_TIES:
            if (strcmp(v, "fifo") && strcmp(v, "permute"))
                goto bad_value;
            o.ties_set = true;
            o.permute_ties = !strcmp(v, "permute");
            break;
        case OPT_SCHEDULE:
            if (!cli_schedule_valid(v))
                goto bad_value;
            o.schedule = v;
            break;
        case OPT_TIMEOUT:
            if (cli_parse_duration(v, &o.timeout_ns))
                goto bad_value;
            break;
        case OPT_MAX_RUNS:
            if (cli_parse_u64(v, &o.max_runs) || !o.max_runs)
                goto bad_value;
            break;
        case OPT_LOAD:
            if (cli_load(c, v))
                return CLI_USAGE;
            break;
        case 'q':
            quiet = true;
            break;
        default:
            cli_bad_option("shrink", ch, optopt, argv[optind - 1], shrink_options);
            return CLI_USAGE;
        }
        li = -1;
        continue;
    bad_value:
        fprintf(stderr, "coop shrink: error: bad value '%s' for --%s\n", v,
                li >= 0 ? shrink_options[li].name : "?");
        return CLI_USAGE;
    }
    const char *path = cli_one_scenario("shrink", argc, argv, shrink_help);
    if (!path)
        return CLI_USAGE;
    cli_interrupt_install();
    struct cli_shrink_result r;
    uint64_t t0 = cli_now_ns();
    int rc = cli_shrink(c, path, &o, &r);
    uint64_t took = cli_now_ns() - t0;
    cli_interrupt_uninstall();
    if (rc != CLI_PASS) {
        fprintf(stderr, "%s%s\n", rc == CLI_FAIL || r.interrupted ? "coop shrink: " : "", r.error);
        free(r.text);
        return r.interrupted && cli_interrupted() ? CLI_INTERRUPTED(cli_interrupted()) : rc;
    }
    FILE *report = out ? stdout : stderr;
    if (out) {
        if (cli_write_file(out, r.text, r.len)) {
            fprintf(stderr, "coop shrink: error: cannot write %s: %s\n", out, strerror(errno));
            free(r.text);
            return CLI_USAGE;
        }
    } else {
        fwrite(r.text, 1, r.len, stdout);
        fflush(stdout);
    }
    if (!quiet) {
        fprintf(report, "shrink %s: fails with \"%s\"", path, r.signature);
        if (r.line0 && r.line0 < ADDED_ID)
            fprintf(report, " (its line %u)", r.line0);
        fprintf(report, "\n");
        cli_shrink_summary(report, &r);
        if (out)
            fprintf(report, "  written: %s\n", out);
    }
    /* Wall time is not part of the result: it goes to stderr. */
    char t[32];
    cli_format_wall(took, t, sizeof(t));
    if (!quiet)
        fprintf(stderr, "shrink: %" PRIu64 " candidates in %s\n", r.runs, t);
    free(r.text);
    if (r.interrupted && cli_interrupted())
        return CLI_INTERRUPTED(cli_interrupted());
    return CLI_PASS;
}
