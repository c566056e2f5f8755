/* The scenario parser: settings, injections and expectations, line by line, with exact error positions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "base/text.h"
#include "coop/net.h"
#include "scenario/scn.h"

/* The settings, each allowed once; their index in coop_scenario.setting_line. */
enum setting {
    SET_PROGRAM,
    SET_SEED,
    SET_TIME_LIMIT,
    SET_STEP_LIMIT,
    SET_STEP_COST,
    SET_PROFILE,
    SET_START,
    SET_FAULTS,
    SET_FAULT_RATE,
    SET_TIES,
    SET_TICK32,
    SET_STOP_ON_ERROR,
    SET_BUSY_LIMIT,
    SET_RUN_UNTIL,
    SET_LINK,
    SET_BUFFERS,
    SET__COUNT
};
_Static_assert(SET__COUNT <= 16, "coop_scenario.setting_line holds 16 settings");

static const char *const setting_names[SET__COUNT] = {
    "program",    "seed", "time-limit", "step-limit",    "step-cost",  "profile",   "start", "faults",
    "fault-rate", "ties", "tick32",     "stop-on-error", "busy-limit", "run-until", "link",  "buffers",
};

/* The parser's state while it walks the file. */
struct parser {
    coop_scenario *scn;
    struct scn_err err;
    unsigned lineno;
    uint64_t anchor_ns; /* the time relative times count from */
    size_t total_bytes; /* of every send and recv so far, at most COOP_SCN_MAX_TOTAL */
    struct scn_toks toks;
};

#define FAIL_AT(p, tok, hint, ...) (scn_error(&(p)->err, (p)->lineno, (tok)->col, (hint), __VA_ARGS__), -1)

void coop_scn_format_time(uint64_t ns, char *buf, size_t len)
{
    if (ns % 1000000000 == 0)
        snprintf(buf, len, "%llus", (unsigned long long)(ns / 1000000000));
    else if (ns % 1000000 == 0)
        snprintf(buf, len, "%llums", (unsigned long long)(ns / 1000000));
    else if (ns % 1000 == 0)
        snprintf(buf, len, "%lluus", (unsigned long long)(ns / 1000));
    else
        snprintf(buf, len, "%lluns", (unsigned long long)ns);
}

/* ---- Pieces of a line ---- */

static bool is_word(const struct scn_tok *t, const char *w)
{
    return t->kind == SCN_WORD && !strcmp(t->text, w);
}

static int want_word(struct parser *p, int i, const char *what)
{
    if (i >= p->toks.n) {
        const struct scn_tok *last = &p->toks.t[p->toks.n - 1];
        scn_error(&p->err, p->lineno, last->col + (unsigned)strlen(last->text ? last->text : ""), NULL,
                  "missing %s", what);
        return -1;
    }
    if (p->toks.t[i].kind != SCN_WORD)
        return FAIL_AT(p, &p->toks.t[i], NULL, "expected %s, found a string", what);
    return 0;
}

static int no_more(struct parser *p, int i)
{
    if (i < p->toks.n)
        return FAIL_AT(p, &p->toks.t[i], "a comment starts with '#'", "unexpected '%s'",
                       p->toks.t[i].kind == SCN_WORD ? p->toks.t[i].text : "string");
    return 0;
}

static int parse_count(struct parser *p, int i, const char *what, int64_t lo, int64_t hi, int64_t *out)
{
    if (want_word(p, i, what))
        return -1;
    int64_t v;
    if (scn_parse_int(p->toks.t[i].text, lo < 0, &v) || v < lo || v > hi)
        return FAIL_AT(p, &p->toks.t[i], NULL, "%s must be an integer from %lld to %lld", what, (long long)lo,
                       (long long)hi);
    *out = v;
    return 0;
}

static int parse_dur(struct parser *p, int i, const char *what, uint64_t *out)
{
    if (want_word(p, i, what))
        return -1;
    if (scn_parse_duration(p->toks.t[i].text, out))
        return FAIL_AT(p, &p->toks.t[i], "a duration is a number with a unit: 10ns, 5us, 250ms, 1.5s, 2m, 1h",
                       "bad duration '%s'", p->toks.t[i].text);
    return 0;
}

static int parse_onoff(struct parser *p, int i, bool *out)
{
    if (want_word(p, i, "on or off"))
        return -1;
    if (is_word(&p->toks.t[i], "on"))
        *out = true;
    else if (is_word(&p->toks.t[i], "off"))
        *out = false;
    else
        return FAIL_AT(p, &p->toks.t[i], NULL, "expected on or off, found '%s'", p->toks.t[i].text);
    return 0;
}

static int find_peer(struct parser *p, int i)
{
    if (want_word(p, i, "a peer name"))
        return -1;
    const char *name = p->toks.t[i].text;
    for (int k = 0; k < p->scn->npeers; k++)
        if (!strcmp(p->scn->peers[k], name))
            return k;
    char hint[128];
    snprintf(hint, sizeof(hint), "a peer is declared by its connect line, e.g. `connect %.40s 7000`", name);
    return FAIL_AT(p, &p->toks.t[i], hint, "unknown peer '%s'", name);
}

/*
 * Bytes: one or more "..." or x"..." items, each optionally followed by
 * `* N` to repeat it.  Stops at the first word that is not `*`.
 */
static int parse_bytes(struct parser *p, int *i, coop_scn_line *ln)
{
    size_t cap = 0;
    int start = *i;
    while (*i < p->toks.n && (p->toks.t[*i].kind == SCN_STRING || p->toks.t[*i].kind == SCN_HEX)) {
        const struct scn_tok *t = &p->toks.t[*i];
        int64_t times = 1;
        (*i)++;
        if (*i < p->toks.n && is_word(&p->toks.t[*i], "*")) {
            if (parse_count(p, *i + 1, "a repeat count", 1, COOP_SCN_MAX_BYTES, &times))
                return -1;
            *i += 2;
        }
        if (t->len && (uint64_t)times > (COOP_SCN_MAX_BYTES - ln->len) / t->len)
            return FAIL_AT(p, t, NULL, "more than %u bytes", COOP_SCN_MAX_BYTES);
        size_t add = t->len * (size_t)times;
        if (add > COOP_SCN_MAX_TOTAL - p->total_bytes)
            return FAIL_AT(p, t, NULL, "the file names more than %u bytes in all", COOP_SCN_MAX_TOTAL);
        p->total_bytes += add;
        if (grow(coop_allocator_libc(), (void **)&ln->bytes, &cap, ln->len + add, 1, 16))
            return FAIL_AT(p, t, NULL, "out of memory");
        for (int64_t k = 0; k < times; k++) {
            if (t->len)
                memcpy(ln->bytes + ln->len, t->text, t->len);
            ln->len += t->len;
        }
    }
    if (*i == start) {
        if (*i < p->toks.n)
            return FAIL_AT(p, &p->toks.t[*i], "bytes are written \"text\\n\" or x\"68 69\"",
                           "expected a string of bytes");
        return want_word(p, *i, "a string of bytes");
    }
    if (ln->len == 0)
        return FAIL_AT(p, &p->toks.t[start], NULL, "the bytes are empty");
    return 0;
}

static int parse_pattern(struct parser *p, int i, coop_scn_line *ln)
{
    if (i >= p->toks.n)
        return want_word(p, i, "a pattern such as ev=exit task=worker");
    for (; i < p->toks.n; i++) {
        const struct scn_tok *t = &p->toks.t[i];
        if (ln->npat == COOP_SCN_MAX_PATTERN)
            return FAIL_AT(p, t, NULL, "more than %d fields in a pattern", COOP_SCN_MAX_PATTERN);
        coop_scn_pair *pr = &ln->pat[ln->npat];
        if (t->kind == SCN_KEYSTR) {
            if (memchr(t->text, '\0', t->len))
                return FAIL_AT(p, t, NULL, "a pattern value cannot hold a NUL byte");
            pr->key = text_dup(t->key);
            pr->val = text_dup(t->text);
        } else if (t->kind == SCN_WORD) {
            const char *eq = strchr(t->text, '=');
            if (!eq || eq == t->text)
                return FAIL_AT(p, t, "a pattern is key=value pairs, e.g. ev=wake reason=timeout",
                               "expected key=value, found '%s'", t->text);
            pr->key = malloc((size_t)(eq - t->text) + 1);
            if (pr->key) {
                memcpy(pr->key, t->text, (size_t)(eq - t->text));
                pr->key[eq - t->text] = '\0';
            }
            pr->val = text_dup(eq + 1);
        } else {
            return FAIL_AT(p, t, "a pattern is key=value pairs; quote a value as key=\"a b\"",
                           "expected key=value, found a string");
        }
        ln->npat++;
        if (!pr->key || !pr->val)
            return FAIL_AT(p, t, NULL, "out of memory");
    }
    return 0;
}

/* ---- Times ---- */

static int parse_one_time(struct parser *p, const struct scn_tok *t, const char *s, uint64_t *out)
{
    bool rel = *s == '+';
    uint64_t d;
    if (scn_parse_duration(s + rel, &d))
        return FAIL_AT(p, t, "a time is absolute (1.5s, 250ms) or relative to the previous line (+10ms)",
                       "bad time '%s'", s);
    if (rel && d > UINT64_MAX / 4 - p->anchor_ns)
        return FAIL_AT(p, t, NULL, "time out of range");
    *out = rel ? p->anchor_ns + d : d;
    return 0;
}

static bool looks_like_time(const char *s)
{
    return (s[0] >= '0' && s[0] <= '9') || s[0] == '+' || s[0] == '<' || s[0] == '.' || !strcmp(s, "*");
}

/* Parses the time of a timed line into ln (when, at_ns, lo_ns, hi_ns). */
static int parse_time(struct parser *p, const struct scn_tok *t, coop_scn_line *ln)
{
    char buf[128];
    if (t->len >= sizeof(buf))
        return FAIL_AT(p, t, NULL, "time too long");
    memcpy(buf, t->text, t->len + 1);
    ln->at_ns = p->anchor_ns;
    if (!strcmp(buf, "*")) {
        ln->when = COOP_SCN_ANY;
        ln->lo_ns = 0;
        ln->hi_ns = UINT64_MAX;
        return 0;
    }
    if (buf[0] == '<') {
        ln->when = COOP_SCN_BEFORE;
        ln->lo_ns = 0;
        return parse_one_time(p, t, buf + 1, &ln->hi_ns);
    }
    char *dots = strstr(buf, "..");
    char *tilde = strchr(buf, '~');
    if (dots) {
        *dots = '\0';
        ln->when = COOP_SCN_WINDOW;
        if (parse_one_time(p, t, buf, &ln->lo_ns) || parse_one_time(p, t, dots + 2, &ln->hi_ns))
            return -1;
        if (ln->hi_ns < ln->lo_ns)
            return FAIL_AT(p, t, NULL, "the window ends before it starts");
        ln->at_ns = ln->lo_ns;
        return 0;
    }
    if (tilde) {
        *tilde = '\0';
        uint64_t tol;
        if (parse_one_time(p, t, buf, &ln->at_ns))
            return -1;
        if (scn_parse_duration(tilde + 1, &tol))
            return FAIL_AT(p, t, "a tolerance is written 1s~5ms", "bad tolerance '%s'", tilde + 1);
        ln->when = COOP_SCN_WINDOW;
        ln->lo_ns = ln->at_ns > tol ? ln->at_ns - tol : 0;
        ln->hi_ns = ln->at_ns + tol;
        return 0;
    }
    ln->when = COOP_SCN_AT;
    if (parse_one_time(p, t, buf, &ln->at_ns))
        return -1;
    ln->lo_ns = ln->hi_ns = ln->at_ns;
    return 0;
}

/* ---- Settings ---- */

static int setting_index(const char *w)
{
    for (int k = 0; k < SET__COUNT; k++)
        if (!strcmp(setting_names[k], w))
            return k;
    return -1;
}

static int parse_setting(struct parser *p, int k)
{
    coop_scenario *scn = p->scn;
    const struct scn_tok *t0 = &p->toks.t[0];
    if (scn->setting_line[k]) {
        char hint[96];
        snprintf(hint, sizeof(hint), "the first one is on line %u", scn->setting_line[k]);
        return FAIL_AT(p, t0, hint, "`%s` is set twice", setting_names[k]);
    }
    scn->setting_line[k] = p->lineno;
    coop_sim_config *c = &scn->cfg;
    int64_t v;
    uint64_t d;
    bool b;
    switch (k) {
    case SET_PROGRAM:
        if (want_word(p, 1, "a program name"))
            return -1;
        scn->program = text_dup(p->toks.t[1].text);
        if (!scn->program)
            return FAIL_AT(p, t0, NULL, "out of memory");
        for (int i = 2; i < p->toks.n; i++) {
            const struct scn_tok *t = &p->toks.t[i];
            if (scn->argc == COOP_SCN_MAX_ARGS)
                return FAIL_AT(p, t, NULL, "more than %d program arguments", COOP_SCN_MAX_ARGS);
            if (t->kind == SCN_HEX || memchr(t->text, '\0', t->len))
                return FAIL_AT(p, t, NULL, "a program argument is a word or a string without NUL bytes");
            if (t->kind == SCN_KEYSTR) {
                size_t n = strlen(t->key) + 1 + t->len + 1;
                char *a = malloc(n);
                if (a)
                    snprintf(a, n, "%s=%s", t->key, t->text);
                scn->argv[scn->argc] = a;
            } else {
                scn->argv[scn->argc] = text_dup(t->text);
            }
            if (!scn->argv[scn->argc++])
                return FAIL_AT(p, t, NULL, "out of memory");
        }
        return 0;
    case SET_SEED:
        if (parse_count(p, 1, "the seed", 0, INT64_MAX, &v))
            return -1;
        c->seed = (uint64_t)v;
        scn->has_seed = true;
        break;
    case SET_TIME_LIMIT:
        if (parse_dur(p, 1, "a time limit", &d))
            return -1;
        if (!d)
            return FAIL_AT(p, &p->toks.t[1], NULL, "the time limit must be above 0");
        c->max_time_ns = d;
        break;
    case SET_STEP_LIMIT:
        if (parse_count(p, 1, "the step limit", 1, INT64_MAX, &v))
            return -1;
        c->max_steps = (uint64_t)v;
        break;
    case SET_BUSY_LIMIT:
        if (parse_count(p, 1, "the busy-loop limit", 1, INT64_MAX, &v))
            return -1;
        c->busy_steps = (uint64_t)v;
        break;
    case SET_STEP_COST:
        if (parse_dur(p, 1, "a step cost", &d))
            return -1;
        c->step_cost_ns = d;
        break;
    case SET_PROFILE:
        if (want_word(p, 1, "a profile (seed or zero)"))
            return -1;
        if (is_word(&p->toks.t[1], "seed"))
            c->profile = COOP_SIM_SEED;
        else if (is_word(&p->toks.t[1], "zero"))
            c->profile = COOP_SIM_ZERO_COST;
        else
            return FAIL_AT(p, &p->toks.t[1], "the profiles are seed and zero", "unknown profile '%s'",
                           p->toks.t[1].text);
        break;
    case SET_START:
        if (parse_dur(p, 1, "the clock's start offset", &d))
            return -1;
        c->start_ns = d;
        break;
    case SET_FAULTS: {
        if (want_word(p, 1, "a fault list"))
            return -1;
        uint32_t m;
        if (coop_sim_faults_parse(p->toks.t[1].text, &m))
            return FAIL_AT(
                p, &p->toks.t[1],
                "faults are none, all, seed, 0xMASK, or a list of jitter, split, short-io, eagain, "
                "reset, refuse, clock-jump, alloc, points",
                "bad fault list '%s'", p->toks.t[1].text);
        c->faults = m;
        scn->has_faults = true;
        break;
    }
    case SET_FAULT_RATE:
        if (parse_count(p, 1, "the fault rate (%)", 1, 100, &v))
            return -1;
        c->fault_pct = (uint32_t)v;
        break;
    case SET_TIES:
        if (want_word(p, 1, "fifo or permute"))
            return -1;
        if (is_word(&p->toks.t[1], "fifo"))
            c->permute_ties = false;
        else if (is_word(&p->toks.t[1], "permute"))
            c->permute_ties = true;
        else
            return FAIL_AT(p, &p->toks.t[1], NULL, "ties are fifo or permute, not '%s'", p->toks.t[1].text);
        scn->has_ties = true;
        break;
    case SET_TICK32:
        if (parse_onoff(p, 1, &b))
            return -1;
        c->tick32 = b;
        break;
    case SET_STOP_ON_ERROR:
        if (parse_onoff(p, 1, &b))
            return -1;
        c->stop_on_error = b;
        break;
    case SET_RUN_UNTIL:
        if (parse_dur(p, 1, "a time", &d))
            return -1;
        scn->run_until_ns = d;
        break;
    case SET_LINK: {
        int i = 1;
        if (i >= p->toks.n)
            return want_word(p, i, "latency, rate, max-read or max-write");
        for (; i < p->toks.n; i += 2) {
            if (want_word(p, i, "a link parameter"))
                return -1;
            const struct scn_tok *t = &p->toks.t[i];
            if (is_word(t, "latency")) {
                if (parse_dur(p, i + 1, "a latency", &scn->link_latency_ns))
                    return -1;
            } else if (is_word(t, "rate")) {
                if (parse_count(p, i + 1, "a rate in bytes per second", 1, INT64_MAX, &v))
                    return -1;
                scn->link_rate = (uint64_t)v;
            } else if (is_word(t, "max-read") || is_word(t, "max-write")) {
                if (parse_count(p, i + 1, "a byte count", 1, UINT32_MAX, &v))
                    return -1;
                *(is_word(t, "max-read") ? &scn->link_max_read : &scn->link_max_write) = (uint32_t)v;
            } else {
                return FAIL_AT(p, t, "link takes latency DUR, rate BYTES_PER_S, max-read N, max-write N",
                               "unknown link parameter '%s'", t->text);
            }
        }
        scn->has_link = true;
        return 0;
    }
    case SET_BUFFERS:
        if (parse_count(p, 1, "the send buffer size", 1, 1 << 30, &v))
            return -1;
        scn->send_buf = (size_t)v;
        if (parse_count(p, 2, "the receive buffer size", 1, 1 << 30, &v))
            return -1;
        scn->recv_buf = (size_t)v;
        return no_more(p, 3);
    }
    return no_more(p, 2);
}

/* ---- Timed lines ---- */

static const char *const end_names[] = {
    "done",  "running", "no-tasks",   "hang",       "stopped",
    "until", "failed",  "step-limit", "time-limit", "busy-loop",
};

static int parse_expect(struct parser *p, int i, coop_scn_line *ln)
{
    if (want_word(p, i, "what to expect"))
        return -1;
    const struct scn_tok *t = &p->toks.t[i];
    const char *w = t->text;
    int64_t v;
    if (!strcmp(w, "recv")) {
        ln->op = COOP_SCN_EXPECT_RECV;
        if ((ln->peer = find_peer(p, i + 1)) < 0)
            return -1;
        i += 2;
        if (parse_bytes(p, &i, ln))
            return -1;
        return no_more(p, i);
    }
    if (!strcmp(w, "silent") || !strcmp(w, "closed") || !strcmp(w, "shut") || !strcmp(w, "reset")) {
        ln->op = w[0] == 's' ? (w[1] == 'i' ? COOP_SCN_EXPECT_SILENT : COOP_SCN_EXPECT_SHUT)
                             : (w[0] == 'c' ? COOP_SCN_EXPECT_CLOSED : COOP_SCN_EXPECT_RESET);
        if ((ln->peer = find_peer(p, i + 1)) < 0)
            return -1;
        return no_more(p, i + 2);
    }
    if (!strcmp(w, "state")) {
        ln->op = COOP_SCN_EXPECT_STATE;
        if ((ln->peer = find_peer(p, i + 1)) < 0 || want_word(p, i + 2, "a connection state"))
            return -1;
        int st;
        for (st = COOP_NET_CONNECTING; st <= COOP_NET_REFUSED; st++)
            if (!strcmp(coop_net_state_name((coop_net_state)st), p->toks.t[i + 2].text))
                break;
        if (st > COOP_NET_REFUSED)
            return FAIL_AT(p, &p->toks.t[i + 2],
                           "the states are connecting, open, task-shut, task-closed, task-reset, peer-shut, "
                           "peer-closed, peer-reset, refused",
                           "unknown connection state '%s'", p->toks.t[i + 2].text);
        ln->value = st;
        return no_more(p, i + 3);
    }
    if (!strcmp(w, "trace") || !strcmp(w, "anywhere") || !strcmp(w, "never")) {
        ln->op = w[0] == 't'   ? COOP_SCN_EXPECT_TRACE
                 : w[0] == 'a' ? COOP_SCN_EXPECT_ANYWHERE
                               : COOP_SCN_EXPECT_NEVER;
        return parse_pattern(p, i + 1, ln);
    }
    if (!strcmp(w, "exit")) {
        ln->op = COOP_SCN_EXPECT_EXIT;
        if (want_word(p, i + 1, "a task name") || want_word(p, i + 2, "an exit status, killed or any"))
            return -1;
        ln->name = text_dup(p->toks.t[i + 1].text);
        if (!ln->name)
            return FAIL_AT(p, t, NULL, "out of memory");
        if (is_word(&p->toks.t[i + 2], "killed"))
            ln->killed = true;
        else if (is_word(&p->toks.t[i + 2], "any"))
            ln->any_status = true;
        else if (parse_count(p, i + 2, "an exit status", INT32_MIN, INT32_MAX, &v))
            return -1;
        else
            ln->value = v;
        return no_more(p, i + 3);
    }
    if (!strcmp(w, "end")) {
        ln->op = COOP_SCN_EXPECT_END;
        if (want_word(p, i + 1, "how the run ends"))
            return -1;
        size_t k;
        for (k = 0; k < sizeof(end_names) / sizeof(end_names[0]); k++)
            if (is_word(&p->toks.t[i + 1], end_names[k]))
                break;
        if (k == sizeof(end_names) / sizeof(end_names[0]))
            return FAIL_AT(p, &p->toks.t[i + 1],
                           "a run ends done, running, no-tasks, hang, stopped, until, failed, step-limit, "
                           "time-limit or busy-loop",
                           "unknown end '%s'", p->toks.t[i + 1].text);
        ln->name = text_dup(end_names[k]);
        if (!ln->name)
            return FAIL_AT(p, t, NULL, "out of memory");
        ln->when = COOP_SCN_ANY;
        ln->lo_ns = 0;
        ln->hi_ns = UINT64_MAX;
        return no_more(p, i + 2);
    }
    return FAIL_AT(p, t,
                   "expect recv, silent, closed, shut, reset, state, trace, anywhere, never, exit or end",
                   "unknown expectation '%s'", w);
}

static int parse_action(struct parser *p, int i, coop_scn_line *ln)
{
    const struct scn_tok *t = &p->toks.t[i];
    const char *w = t->text;
    int64_t v;
    uint64_t d;
    coop_scenario *scn = p->scn;
    if (!strcmp(w, "connect")) {
        ln->op = COOP_SCN_CONNECT;
        if (want_word(p, i + 1, "a peer name"))
            return -1;
        const struct scn_tok *nt = &p->toks.t[i + 1];
        if (looks_like_time(nt->text) || strchr(nt->text, '='))
            return FAIL_AT(p, nt, "a peer name starts with a letter, e.g. c1", "bad peer name '%s'",
                           nt->text);
        for (int k = 0; k < scn->npeers; k++)
            if (!strcmp(scn->peers[k], nt->text))
                return FAIL_AT(p, nt, "each peer connects once; name the new one differently",
                               "peer '%s' is already connected", nt->text);
        if (scn->npeers == COOP_SCN_MAX_PEERS)
            return FAIL_AT(p, nt, NULL, "more than %d peers", COOP_SCN_MAX_PEERS);
        if (parse_count(p, i + 2, "a port", 1, 65535, &v))
            return -1;
        scn->peers[scn->npeers] = text_dup(nt->text);
        if (!scn->peers[scn->npeers])
            return FAIL_AT(p, nt, NULL, "out of memory");
        ln->peer = scn->npeers++;
        ln->value = v;
        return no_more(p, i + 3);
    }
    if (!strcmp(w, "send")) {
        ln->op = COOP_SCN_SEND;
        if ((ln->peer = find_peer(p, i + 1)) < 0)
            return -1;
        i += 2;
        if (parse_bytes(p, &i, ln))
            return -1;
        if (i < p->toks.n && is_word(&p->toks.t[i], "chunk")) {
            if (parse_count(p, i + 1, "a chunk size", 1, COOP_SCN_MAX_BYTES, &v))
                return -1;
            ln->chunk = (size_t)v;
            i += 2;
        }
        return no_more(p, i);
    }
    static const struct {
        const char *word;
        coop_scn_op op;
    } peer_ops[] = {
        { "shutdown", COOP_SCN_SHUTDOWN },
        { "close", COOP_SCN_CLOSE },
        { "reset", COOP_SCN_RESET },
        { "stop-reading", COOP_SCN_STOP_READING },
        { "resume-reading", COOP_SCN_RESUME_READING },
    };
    for (size_t k = 0; k < sizeof(peer_ops) / sizeof(peer_ops[0]); k++) {
        if (!strcmp(w, peer_ops[k].word)) {
            ln->op = peer_ops[k].op;
            if ((ln->peer = find_peer(p, i + 1)) < 0)
                return -1;
            return no_more(p, i + 2);
        }
    }
    if (!strcmp(w, "signal")) {
        ln->op = COOP_SCN_SIGNAL;
        if (want_word(p, i + 1, "a signal name"))
            return -1;
        if (strlen(p->toks.t[i + 1].text) > COOP_NAME_MAX)
            return FAIL_AT(p, &p->toks.t[i + 1], NULL, "a signal name has at most %d bytes", COOP_NAME_MAX);
        if (parse_count(p, i + 2, "a signal value", INT64_MIN + 1, INT64_MAX, &v))
            return -1;
        ln->name = text_dup(p->toks.t[i + 1].text);
        ln->value = v;
        if (!ln->name)
            return FAIL_AT(p, t, NULL, "out of memory");
        return no_more(p, i + 3);
    }
    if (!strcmp(w, "kill")) {
        ln->op = COOP_SCN_KILL;
        if (want_word(p, i + 1, "a task name"))
            return -1;
        ln->name = text_dup(p->toks.t[i + 1].text);
        if (!ln->name)
            return FAIL_AT(p, t, NULL, "out of memory");
        return no_more(p, i + 2);
    }
    if (!strcmp(w, "jump")) {
        ln->op = COOP_SCN_JUMP;
        if (parse_dur(p, i + 1, "how far the clock jumps", &d))
            return -1;
        ln->value = (int64_t)d;
        return no_more(p, i + 2);
    }
    if (!strcmp(w, "fault")) {
        if (want_word(p, i + 1, "a fault: reset PEER, jump DUR or net KINDS"))
            return -1;
        const struct scn_tok *k = &p->toks.t[i + 1];
        if (is_word(k, "reset")) {
            ln->op = COOP_SCN_FAULT_RESET;
            if ((ln->peer = find_peer(p, i + 2)) < 0)
                return -1;
            return no_more(p, i + 3);
        }
        if (is_word(k, "jump")) {
            ln->op = COOP_SCN_FAULT_JUMP;
            if (parse_dur(p, i + 2, "how far the clock jumps", &d))
                return -1;
            ln->value = (int64_t)d;
            return no_more(p, i + 3);
        }
        if (is_word(k, "net")) {
            ln->op = COOP_SCN_FAULT_NET;
            uint32_t m;
            if (want_word(p, i + 2, "network fault kinds"))
                return -1;
            const uint32_t net_kinds = COOP_SIM_FAULT_JITTER | COOP_SIM_FAULT_SPLIT |
                                       COOP_SIM_FAULT_SHORT_IO | COOP_SIM_FAULT_EAGAIN |
                                       COOP_SIM_FAULT_RESET | COOP_SIM_FAULT_REFUSE;
            if (coop_sim_faults_parse(p->toks.t[i + 2].text, &m) || (m & ~net_kinds))
                return FAIL_AT(
                    p, &p->toks.t[i + 2],
                    "network faults are none or a list of jitter, split, short-io, eagain, reset, refuse",
                    "bad network fault list '%s'", p->toks.t[i + 2].text);
            ln->value = m;
            return no_more(p, i + 3);
        }
        return FAIL_AT(p, k, "a scripted fault is reset PEER, jump DUR or net KINDS", "unknown fault '%s'",
                       k->text);
    }
    return FAIL_AT(p, t,
                   "a line is a setting (program, seed, ...), an injection (connect, send, close, ...) or an "
                   "expectation (expect ...)",
                   "unknown command '%s'", w);
}

static int push_line(struct parser *p, coop_scn_line **out)
{
    coop_scenario *scn = p->scn;
    if (grow(coop_allocator_libc(), (void **)&scn->lines, &scn->cap, scn->nlines + 1, sizeof(*scn->lines),
             32))
        return -1;
    *out = &scn->lines[scn->nlines++];
    **out = (coop_scn_line){ .peer = -1 };
    return 0;
}

static int parse_line(struct parser *p, const char *s, size_t len)
{
    if (scn_lex_line(s, len, p->lineno, &p->toks, &p->err))
        return -1;
    if (p->toks.n == 0)
        return 0;
    const struct scn_tok *t0 = &p->toks.t[0];
    if (t0->kind != SCN_WORD)
        return FAIL_AT(p, t0, "a line starts with a time, a setting or a command", "unexpected string");
    int k = setting_index(t0->text);
    if (k >= 0)
        return parse_setting(p, k);
    coop_scn_line *ln;
    if (push_line(p, &ln))
        return FAIL_AT(p, t0, NULL, "out of memory");
    ln->line = p->lineno;
    ln->col = t0->col;
    ln->text = malloc(len + 1);
    if (!ln->text)
        return FAIL_AT(p, t0, NULL, "out of memory");
    memcpy(ln->text, s, len);
    ln->text[len] = '\0';
    int i = 0;
    if (looks_like_time(t0->text)) {
        if (parse_time(p, t0, ln))
            return -1;
        i = 1;
        if (i >= p->toks.n)
            return want_word(p, i, "a command after the time");
        if (p->toks.t[i].kind == SCN_WORD && setting_index(p->toks.t[i].text) >= 0)
            return FAIL_AT(p, t0, "settings apply to the whole run; remove the time",
                           "a setting cannot have a time");
    } else {
        ln->when = COOP_SCN_AT;
        ln->at_ns = ln->lo_ns = ln->hi_ns = p->anchor_ns;
    }
    if (want_word(p, i, "a command"))
        return -1;
    bool expect = is_word(&p->toks.t[i], "expect");
    if (expect ? parse_expect(p, i + 1, ln) : parse_action(p, i, ln))
        return -1;
    if (!expect && ln->when != COOP_SCN_AT)
        return FAIL_AT(p, t0, "an injection happens at one instant; windows are for expectations",
                       "an injection needs an exact time");
    if (ln->when == COOP_SCN_AT && ln->at_ns < p->anchor_ns) {
        char a[32], b[32];
        coop_scn_format_time(ln->at_ns, a, sizeof(a));
        coop_scn_format_time(p->anchor_ns, b, sizeof(b));
        return FAIL_AT(p, t0, "lines are in time order; use a window (A..B) to look back",
                       "time goes backwards: %s is before the previous line's %s", a, b);
    }
    /* A window may look back, but never moves the anchor back. */
    if ((ln->when == COOP_SCN_AT || ln->when == COOP_SCN_WINDOW) && ln->at_ns > p->anchor_ns)
        p->anchor_ns = ln->at_ns;
    return 0;
}

void coop_scenario_free(coop_scenario *scn)
{
    if (!scn)
        return;
    free(scn->path);
    free(scn->program);
    for (int i = 0; i < scn->argc; i++)
        free(scn->argv[i]);
    for (int i = 0; i < scn->npeers; i++)
        free(scn->peers[i]);
    for (size_t i = 0; i < scn->nlines; i++) {
        coop_scn_line *ln = &scn->lines[i];
        free(ln->name);
        free(ln->bytes);
        free(ln->text);
        for (int k = 0; k < ln->npat; k++) {
            free(ln->pat[k].key);
            free(ln->pat[k].val);
        }
    }
    free(scn->lines);
    free(scn);
}

int coop_scenario_parse(const char *path, const char *text, size_t len, coop_scenario **out, char *err,
                        size_t errlen)
{
    struct parser p = { .err = { .path = path ? path : "<scenario>", .buf = err, .len = errlen } };
    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    p.scn = calloc(1, sizeof(*p.scn));
    if (!p.scn) {
        scn_error(&p.err, 1, 1, NULL, "out of memory");
        return -COOP_ENOMEM;
    }
    p.scn->run_until_ns = COOP_SCN_NO_TIME;
    p.scn->path = text_dup(p.err.path);
    if (len > COOP_SCN_MAX_FILE) {
        scn_error(&p.err, 1, 1, NULL, "the file is larger than %u bytes", COOP_SCN_MAX_FILE);
        goto fail;
    }
    size_t pos = 0;
    p.lineno = 0;
    while (pos < len) {
        p.lineno++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        if (n > COOP_SCN_MAX_LINE) {
            scn_error(&p.err, p.lineno, COOP_SCN_MAX_LINE + 1, NULL, "line longer than %u bytes",
                      COOP_SCN_MAX_LINE);
            goto fail;
        }
        const char *nul = memchr(text + pos, '\0', n);
        if (nul) {
            scn_error(&p.err, p.lineno, (unsigned)(nul - (text + pos)) + 1, NULL, "NUL byte in the file");
            goto fail;
        }
        int rc = parse_line(&p, text + pos, n);
        scn_toks_fini(&p.toks);
        if (rc)
            goto fail;
        pos += n + (nl != NULL);
    }
    if (!p.scn->program) {
        scn_error(&p.err, p.lineno ? p.lineno : 1, 1, "add a line such as `program echo --port 7000`",
                  "no program line");
        goto fail;
    }
    *out = p.scn;
    return 0;
fail:
    coop_scenario_free(p.scn);
    return -COOP_EINVAL;
}

int coop_scenario_load(const char *path, coop_scenario **out, char *err, size_t errlen)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: error: cannot open the file", path);
        return -COOP_ENOENT;
    }
    char *buf = malloc(COOP_SCN_MAX_FILE + 1);
    if (!buf) {
        fclose(f);
        snprintf(err, errlen, "%s: error: out of memory", path);
        return -COOP_ENOMEM;
    }
    size_t n = fread(buf, 1, COOP_SCN_MAX_FILE + 1, f);
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        snprintf(err, errlen, "%s: error: cannot read the file", path);
        return -COOP_EIO;
    }
    int rc = coop_scenario_parse(path, buf, n, out, err, errlen);
    free(buf);
    return rc;
}
