/* Expectation checks: bytes a peer receives, connection ends, trace patterns, exits, over a recorded run. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coop/net.h"
#include "scenario/run.h"

void scn_quote(FILE *out, const uint8_t *s, size_t len, size_t max)
{
    fputc('"', out);
    for (size_t i = 0; i < len && i < max; i++) {
        uint8_t c = s[i];
        if (c == '\n')
            fputs("\\n", out);
        else if (c == '\r')
            fputs("\\r", out);
        else if (c == '\t')
            fputs("\\t", out);
        else if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(out, "\\x%02x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
    if (len > max)
        fprintf(out, "... (%zu bytes)", len);
}

static bool in_window(const coop_scn_line *ln, uint64_t t)
{
    switch (ln->when) {
    case COOP_SCN_AT:
        return t == ln->at_ns;
    case COOP_SCN_WINDOW:
        return t >= ln->lo_ns && t <= ln->hi_ns;
    case COOP_SCN_BEFORE:
        return t < ln->hi_ns;
    case COOP_SCN_ANY:
        return true;
    }
    return false;
}

/* Evidence at t outside the line's window: early or late. */
static coop_scn_how outside(const coop_scn_line *ln, uint64_t t)
{
    uint64_t lo = ln->when == COOP_SCN_AT ? ln->at_ns : ln->when == COOP_SCN_WINDOW ? ln->lo_ns : 0;
    return t < lo ? COOP_SCN_HOW_EARLY : COOP_SCN_HOW_LATE;
}

const char *coop_scn_how_name(coop_scn_how how)
{
    static const char *const names[] = { "",        "early", "late", "missing", "different",
                                         "present", "crash", "hang", "run" };
    return (unsigned)how < sizeof(names) / sizeof(names[0]) ? names[how] : "";
}

/* "at 1.5s", "within 1s..2s", "before 2s", "at any time" */
static void describe_when(const coop_scn_line *ln, char *buf, size_t len)
{
    char a[32], b[32];
    coop_scn_format_time(ln->lo_ns, a, sizeof(a));
    coop_scn_format_time(ln->hi_ns, b, sizeof(b));
    switch (ln->when) {
    case COOP_SCN_AT:
        snprintf(buf, len, "at %s", a);
        break;
    case COOP_SCN_WINDOW:
        snprintf(buf, len, "within %s..%s", a, b);
        break;
    case COOP_SCN_BEFORE:
        snprintf(buf, len, "before %s", b);
        break;
    case COOP_SCN_ANY:
        snprintf(buf, len, "at any time");
        break;
    }
}

/* Writes into v->why; the message is cut to fit. */
static void why(struct scn_verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void why(struct scn_verdict *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->why, sizeof(v->why), fmt, ap);
    va_end(ap);
}

static void quoted(char *buf, size_t len, const uint8_t *s, size_t n)
{
    char *m = NULL;
    size_t mlen = 0;
    FILE *f = open_memstream(&m, &mlen);
    if (!f) {
        snprintf(buf, len, "?");
        return;
    }
    scn_quote(f, s, n, 48);
    fclose(f);
    snprintf(buf, len, "%s", m ? m : "?");
    free(m);
}

static int64_t conn_of(const struct scn_run *r, int peer)
{
    return coop_sim_peer_conn(r->sim, r->handle[peer]);
}

/* Whether event i matches the pairs; the pattern is compiled each time, against what is recorded now. */
static bool matches(const struct scn_run *r, size_t i, const coop_scn_pair *pairs, int n)
{
    struct scn_pattern p;
    scn_pattern_init(&p, &r->log, pairs, n);
    return scn_log_matches(&r->log, i, &p);
}

/* The first event matching the pairs, or SIZE_MAX. */
static size_t first_match(const struct scn_run *r, const coop_scn_pair *pairs, int n)
{
    struct scn_pattern p;
    scn_pattern_init(&p, &r->log, pairs, n);
    for (size_t i = 0; i < r->log.n; i++)
        if (scn_log_matches(&r->log, i, &p))
            return i;
    return SIZE_MAX;
}

static uint64_t t_of(const struct scn_run *r, size_t i) { return r->log.ev[i].t_ns; }

/* Event i in the text form, for messages. */
static const char *text_of(const struct scn_run *r, size_t i, char *buf, size_t len)
{
    FILE *f = fmemopen(buf, len, "w");
    if (!f)
        return "?";
    scn_log_write_text(&r->log, i, f);
    fclose(f);
    buf[len - 1] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    return buf;
}

static void advance_cursor(struct scn_run *r, size_t idx)
{
    if (idx != SIZE_MAX && idx + 1 > r->cursor)
        r->cursor = idx + 1;
}

static void check_recv(struct scn_run *r, const coop_scn_line *ln, struct scn_verdict *v, const char *when)
{
    const char *peer = r->scn->peers[ln->peer].name;
    int64_t conn = conn_of(r, ln->peer);
    if (conn <= 0) {
        why(v, "peer %s %s", peer, conn < 0 ? "was refused: nothing listens on its port" : "never connected");
        return;
    }
    coop_net_capture cap;
    if (coop_net_capture_of(coop_sim_net(r->sim), (uint32_t)conn, &cap)) {
        why(v, "peer %s has no connection", peer);
        return;
    }
    size_t off = r->recv_off[ln->peer];
    /* Only bytes written by the end of the window count. */
    size_t avail = 0, last = SIZE_MAX;
    for (size_t k = 0; k < cap.nchunks; k++) {
        if (cap.chunks[k].t_ns > ln->hi_ns)
            break;
        avail = cap.chunks[k].off + cap.chunks[k].len;
    }
    size_t got = avail > off ? avail - off : 0;
    size_t cmp = got < ln->len ? got : ln->len;
    char e[256], g[256];
    quoted(e, sizeof(e), ln->bytes, ln->len);
    if (cmp && memcmp(cap.bytes + off, ln->bytes, cmp)) {
        size_t d = 0;
        while (cap.bytes[off + d] == ln->bytes[d])
            d++;
        quoted(g, sizeof(g), cap.bytes + off, got);
        why(v, "expected %s %s, but byte %zu differs: got %s", e, when, off + d, g);
        v->how = COOP_SCN_HOW_DIFFERENT;
        return;
    }
    if (got < ln->len) {
        quoted(g, sizeof(g), cap.bytes ? cap.bytes + off : (const uint8_t *)"", got);
        char t[32];
        coop_scn_format_time(ln->hi_ns, t, sizeof(t));
        why(v, "expected %s %s, but only %zu of %zu bytes arrived by %s: %s (state %s)", e, when, got,
            ln->len, t, g, coop_net_state_name(coop_net_conn_state(coop_sim_net(r->sim), (uint32_t)conn)));
        return;
    }
    size_t end = off + ln->len - 1;
    for (size_t k = 0; k < cap.nchunks; k++)
        if (end >= cap.chunks[k].off && end < cap.chunks[k].off + cap.chunks[k].len) {
            last = k;
            break;
        }
    uint64_t t = cap.chunks[last].t_ns;
    if (!in_window(ln, t)) {
        char ts[32];
        coop_scn_format_time(t, ts, sizeof(ts));
        why(v, "expected %s %s, but the last of them was written at %s", e, when, ts);
        v->how = outside(ln, t);
        return;
    }
    r->recv_off[ln->peer] += ln->len;
    /* The evidence is the trace event of the write that completed the bytes. */
    advance_cursor(r, cap.chunks[last].ev == UINT64_MAX ? SIZE_MAX : (size_t)cap.chunks[last].ev);
    v->ok = true;
}

static void check_silent(struct scn_run *r, const coop_scn_line *ln, struct scn_verdict *v, const char *when)
{
    int64_t conn = conn_of(r, ln->peer);
    coop_net_capture cap = { 0 };
    if (conn > 0)
        (void)coop_net_capture_of(coop_sim_net(r->sim), (uint32_t)conn, &cap);
    size_t off = r->recv_off[ln->peer];
    uint64_t lo = ln->when == COOP_SCN_AT ? 0 : ln->lo_ns;
    for (size_t k = 0; k < cap.nchunks; k++) {
        const coop_net_chunk *c = &cap.chunks[k];
        if (c->off + c->len <= off || c->t_ns < lo || c->t_ns > ln->hi_ns)
            continue;
        size_t from = c->off > off ? c->off : off;
        char g[256], ts[32];
        quoted(g, sizeof(g), cap.bytes + from, c->off + c->len - from);
        coop_scn_format_time(c->t_ns, ts, sizeof(ts));
        why(v, "expected no more bytes %s, but the program wrote %s at %s", when, g, ts);
        v->how = COOP_SCN_HOW_PRESENT;
        return;
    }
    v->ok = true;
}

/* expect closed / shut / reset: the program's end did it, seen as a net event with a task fd. */
static void check_end(struct scn_run *r, const coop_scn_line *ln, struct scn_verdict *v, const char *when)
{
    const char *what = ln->op == COOP_SCN_EXPECT_CLOSED ? "close"
                       : ln->op == COOP_SCN_EXPECT_SHUT ? "shutdown"
                                                        : "reset";
    int64_t conn = conn_of(r, ln->peer);
    if (conn <= 0) {
        why(v, "peer %s %s", r->scn->peers[ln->peer].name, conn < 0 ? "was refused" : "never connected");
        return;
    }
    char connbuf[24];
    snprintf(connbuf, sizeof(connbuf), "%" PRId64, conn);
    coop_scn_pair pat[4] = { { "ev", "net" }, { "what", (char *)what }, { "conn", connbuf }, { "fd", "*" } };
    size_t i = first_match(r, pat, 4);
    if (i != SIZE_MAX && in_window(ln, t_of(r, i))) {
        advance_cursor(r, i);
        v->ok = true;
        return;
    }
    if (i != SIZE_MAX) {
        char ts[32];
        coop_scn_format_time(t_of(r, i), ts, sizeof(ts));
        why(v, "expected the program to %s the connection %s, but it did at %s", what, when, ts);
        v->how = outside(ln, t_of(r, i));
        return;
    }
    why(v, "expected the program to %s the connection %s, but it did not (state %s)", what, when,
        coop_net_state_name(coop_net_conn_state(coop_sim_net(r->sim), (uint32_t)conn)));
}

/* expect connect: the scripted server accepted the program's connection as this peer, in the window. */
static void check_connect(struct scn_run *r, const coop_scn_line *ln, struct scn_verdict *v, const char *when)
{
    const coop_scn_peer *pe = &r->scn->peers[ln->peer];
    int64_t conn = conn_of(r, ln->peer);
    if (conn <= 0) {
        why(v,
            "expected the program to connect as %s %s, but the server has accepted fewer than %u connections",
            pe->name, when, pe->n);
        return;
    }
    char connbuf[24];
    snprintf(connbuf, sizeof(connbuf), "%" PRId64, conn);
    coop_scn_pair pat[3] = { { "ev", "net" }, { "what", "accept" }, { "conn", connbuf } };
    size_t i = first_match(r, pat, 3);
    if (i != SIZE_MAX && in_window(ln, t_of(r, i))) {
        advance_cursor(r, i);
        v->ok = true;
    } else if (i != SIZE_MAX) {
        char ts[32];
        coop_scn_format_time(t_of(r, i), ts, sizeof(ts));
        why(v, "expected the program to connect as %s %s, but the server accepted it at %s", pe->name, when,
            ts);
        v->how = outside(ln, t_of(r, i));
    } else {
        why(v, "expected the program to connect as %s %s, but it did not", pe->name, when);
    }
}

static void check_pattern(struct scn_run *r, const coop_scn_line *ln, struct scn_verdict *v, const char *when,
                          const coop_scn_pair *pat, int npat, bool ordered, bool move)
{
    struct scn_pattern p;
    scn_pattern_init(&p, &r->log, pat, npat);
    size_t from = ordered ? r->cursor : 0;
    char text[512];
    for (size_t i = from; i < r->log.n; i++) {
        if (in_window(ln, t_of(r, i)) && scn_log_matches(&r->log, i, &p)) {
            if (move)
                advance_cursor(r, i);
            v->ok = true;
            return;
        }
    }
    /* Say what came closest: a match at another time, or one before the previous expectation. */
    for (size_t i = 0; i < r->log.n; i++) {
        if (!scn_log_matches(&r->log, i, &p))
            continue;
        char ts[32];
        coop_scn_format_time(t_of(r, i), ts, sizeof(ts));
        if (i < from && in_window(ln, t_of(r, i))) {
            why(v,
                "expected it %s after the previous expectation's evidence (trace event %zu), but it came "
                "before, as event %zu: %s",
                when, from, i + 1, text_of(r, i, text, sizeof(text)));
            v->how = COOP_SCN_HOW_EARLY;
        } else if (i >= from || !ordered) {
            why(v, "expected it %s, but it happened at %s: %s", when, ts, text_of(r, i, text, sizeof(text)));
            v->how = outside(ln, t_of(r, i));
        } else {
            continue;
        }
        return;
    }
    /* The closest event in the window: the one that matches the most pairs, the first pair (often ev) included. */
    size_t best = SIZE_MAX;
    int best_n = 0;
    for (size_t i = 0; npat > 1 && i < r->log.n; i++) {
        if (!in_window(ln, t_of(r, i)) || !matches(r, i, pat, 1))
            continue;
        int n = 0;
        for (int k = 1; k < npat; k++)
            n += matches(r, i, &pat[k], 1);
        if (n > best_n) {
            best_n = n;
            best = i;
        }
    }
    if (best != SIZE_MAX)
        why(v, "expected it %s, but no trace event matches; the closest (%d of %d pairs): %s", when,
            best_n + 1, npat, text_of(r, best, text, sizeof(text)));
    else
        why(v, "expected it %s, but no trace event matches", when);
}

static void check(struct scn_run *r, const coop_scn_line *ln, struct scn_verdict *v);

void scn_check(struct scn_run *r, const coop_scn_line *ln, struct scn_verdict *v)
{
    v->ok = false;
    v->how = COOP_SCN_HOW_MISSING;
    v->why[0] = '\0';
    check(r, ln, v);
    if (v->ok || v->how != COOP_SCN_HOW_MISSING)
        return;
    /* No evidence at all: say why when the run shows it, a task that failed first or a run stuck. */
    coop_scn_pair fail[1] = { { "ev", "fail" } };
    if (first_match(r, fail, 1) != SIZE_MAX)
        v->how = COOP_SCN_HOW_CRASH;
    else if (r->ended && r->end == COOP_SIM_HANG)
        v->how = COOP_SCN_HOW_HANG;
}

bool scn_came_late(struct scn_run *r, const coop_scn_line *ln)
{
    if (ln->hi_ns == UINT64_MAX || ln->op == COOP_SCN_EXPECT_NEVER || ln->op == COOP_SCN_EXPECT_SILENT ||
        ln->op == COOP_SCN_EXPECT_STATE || ln->op == COOP_SCN_EXPECT_END)
        return false;
    coop_scn_line any = *ln;
    any.when = COOP_SCN_ANY;
    any.hi_ns = UINT64_MAX;
    struct scn_verdict *v = malloc(sizeof(*v));
    if (!v)
        return false;
    v->ok = false;
    v->how = COOP_SCN_HOW_MISSING;
    check(r, &any, v);
    bool ok = v->ok;
    free(v);
    return ok;
}

static void check(struct scn_run *r, const coop_scn_line *ln, struct scn_verdict *v)
{
    char when[96];
    describe_when(ln, when, sizeof(when));
    switch (ln->op) {
    case COOP_SCN_EXPECT_RECV:
        check_recv(r, ln, v, when);
        return;
    case COOP_SCN_EXPECT_SILENT:
        check_silent(r, ln, v, when);
        return;
    case COOP_SCN_EXPECT_CLOSED:
    case COOP_SCN_EXPECT_SHUT:
    case COOP_SCN_EXPECT_RESET:
        check_end(r, ln, v, when);
        return;
    case COOP_SCN_EXPECT_STATE: {
        int64_t conn = conn_of(r, ln->peer);
        coop_net_state st = conn > 0 ? coop_net_conn_state(coop_sim_net(r->sim), (uint32_t)conn)
                                     : (conn < 0 ? COOP_NET_REFUSED : COOP_NET_CONNECTING);
        if ((int64_t)st == ln->value) {
            v->ok = true;
            return;
        }
        why(v, "expected state %s %s, but it is %s", coop_net_state_name((coop_net_state)ln->value), when,
            coop_net_state_name(st));
        v->how = COOP_SCN_HOW_DIFFERENT;
        return;
    }
    case COOP_SCN_EXPECT_CONNECT:
        check_connect(r, ln, v, when);
        return;
    case COOP_SCN_EXPECT_TRACE:
        check_pattern(r, ln, v, when, ln->pat, ln->npat, true, true);
        return;
    case COOP_SCN_EXPECT_ANYWHERE:
    case COOP_SCN_EXPECT_SOMETIMES:
        check_pattern(r, ln, v, when, ln->pat, ln->npat, false, false);
        return;
    case COOP_SCN_EXPECT_NEVER: {
        struct scn_pattern p;
        scn_pattern_init(&p, &r->log, ln->pat, ln->npat);
        for (size_t i = 0; i < r->log.n; i++) {
            if (in_window(ln, t_of(r, i)) && scn_log_matches(&r->log, i, &p)) {
                char text[512];
                why(v, "expected no such event %s, but found: %s", when, text_of(r, i, text, sizeof(text)));
                v->how = COOP_SCN_HOW_PRESENT;
                return;
            }
        }
        v->ok = true;
        return;
    }
    case COOP_SCN_EXPECT_EXIT: {
        char status[32];
        snprintf(status, sizeof(status), "%" PRId64, ln->value);
        /* ev, task, then the node when the line names one, then the status when it counts. */
        coop_scn_pair pat[4] = { { "ev", ln->killed ? "kill" : "exit" }, { "task", ln->name } };
        int n = 2;
        if (ln->node >= 0 && r->scn->nnodes > 1)
            pat[n++] = (coop_scn_pair){ "node", r->scn->nodes[ln->node].name };
        int who = n; /* the pairs that name the task */
        if (!ln->killed && !ln->any_status)
            pat[n++] = (coop_scn_pair){ "status", status };
        check_pattern(r, ln, v, when, pat, n, false, true);
        if (!v->ok && ln->any_status) {
            pat[0].val = "kill";
            struct scn_verdict v2;
            v2.ok = false;
            check_pattern(r, ln, &v2, when, pat, who, false, true);
            v->ok = v2.ok;
        }
        if (!v->ok) {
            /* Say how the task really ended, if it did. */
            for (int k = 0; k < 2 && !v->ok; k++) {
                pat[0].val = k ? "kill" : "exit";
                size_t i = first_match(r, pat, who);
                if (i != SIZE_MAX) {
                    char text[512];
                    size_t l = strlen(v->why);
                    snprintf(v->why + l, sizeof(v->why) - l, "; the task ended thus: %s",
                             text_of(r, i, text, sizeof(text)));
                    if (v->how == COOP_SCN_HOW_MISSING)
                        v->how = COOP_SCN_HOW_DIFFERENT;
                    return;
                }
            }
            size_t l = strlen(v->why);
            snprintf(v->why + l, sizeof(v->why) - l, "; task '%s' has not ended", ln->name);
        }
        return;
    }
    case COOP_SCN_EXPECT_END: {
        const char *want = ln->name;
        size_t alive = coop_sim_task_count(r->sim);
        const char *got = coop_sim_status_name(r->end);
        bool ok;
        if (!strcmp(want, "running"))
            ok = alive > 0 && (r->end == COOP_SIM_HANG || r->end == COOP_SIM_UNTIL);
        else if (!strcmp(want, "no-tasks"))
            ok = alive == 0;
        else
            ok = !strcmp(want, got);
        if (ok) {
            v->ok = true;
            return;
        }
        why(v, "expected the run to end %s, but it ended %s with %zu task(s) alive", want, got, alive);
        v->how = COOP_SCN_HOW_DIFFERENT;
        return;
    }
    default:
        why(v, "not an expectation");
        return;
    }
}
