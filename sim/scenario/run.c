/* The scenario runner: schedules a scenario's injections, runs the simulation, and checks expectations in file order. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "coop/net.h"
#include "coop/strategy.h"
#include "coop/trace-convert.h"
#include "scenario/run.h"

#define TAIL_LINES 16

static void on_event(void *ctx, const coop_sim_event *e)
{
    struct scn_run *r = ctx;
    scn_log_add(&r->log, e);
    if (r->ov && r->ov->observe)
        r->ov->observe(r->ov->observe_ctx, r->sim, e);
}

/* The largest trace kept in memory for the caller, in bytes: as large as a golden trace may be. */
#define JSONL_MAX ((size_t)256 << 20)

/*
 * Where the trace's JSON lines go: kept whole when the caller asks for
 * them (keep), and handed to the caller's sink as they come (sink).
 * After the end event, closed: what freeing the simulation traces (the
 * kills of tasks still alive) comes after the end.
 */
struct jsonl_buf {
    bool keep;
    char *p;
    size_t len, cap;
    bool oom; /* memory ran out, or the trace outgrew JSONL_MAX: nothing is kept */
    coop_sim_line_fn sink;
    void *sink_ctx;
    bool closed;
};

static void on_line(void *ctx, const char *line, size_t len)
{
    struct jsonl_buf *b = ctx;
    if (b->closed)
        return;
    if (b->sink)
        b->sink(b->sink_ctx, line, len);
    if (!b->keep || b->oom)
        return;
    if (b->len + len + 1 > JSONL_MAX ||
        grow(coop_allocator_libc(), (void **)&b->p, &b->cap, b->len + len + 1, 1, 65536)) {
        b->oom = true;
        free(b->p);
        *b = (struct jsonl_buf){ .keep = true, .oom = true, .sink = b->sink, .sink_ctx = b->sink_ctx };
        return;
    }
    memcpy(b->p + b->len, line, len);
    b->p[b->len + len] = '\n';
    b->len += len + 1;
}

/* ---- Scripted faults ---- */

/* What a scripted fault event needs; owned by the run, one per fault line. */
struct fault_arg {
    struct scn_run *run;
    const coop_scn_line *ln;
};

static void fault_event(coop_sim *sim, void *arg)
{
    struct fault_arg *fa = arg;
    const coop_scn_line *ln = fa->ln;
    coop_net *net = coop_sim_net(sim);
    switch (ln->op) {
    case COOP_SCN_FAULT_RESET: {
        int64_t conn = coop_sim_peer_conn(sim, fa->run->handle[ln->peer]);
        coop_sim_field f[3] = {
            { .key = "kind", .type = COOP_SIM_STR, .v.str = "reset" },
            { .key = "conn", .type = COOP_SIM_INT, .v.i = conn },
            { .key = "fired", .type = COOP_SIM_BOOL, .v.b = conn > 0 },
        };
        coop_sim_emit(sim, "fault", f, 3);
        if (conn > 0)
            (void)coop_net_peer_reset(net, (uint32_t)conn);
        break;
    }
    case COOP_SCN_FAULT_JUMP: {
        coop_sim_field f[3] = {
            { .key = "kind", .type = COOP_SIM_STR, .v.str = "clock-jump" },
            { .key = "ns", .type = COOP_SIM_INT, .v.i = ln->value },
            { .key = "fired", .type = COOP_SIM_BOOL, .v.b = true },
        };
        coop_sim_emit(sim, "fault", f, 3);
        (void)coop_sim_jump_at(sim, coop_sim_now(sim), (uint64_t)ln->value);
        break;
    }
    case COOP_SCN_FAULT_NET: {
        coop_sim_set_net_faults(sim, (uint32_t)ln->value);
        coop_sim_field f[3] = {
            { .key = "kind", .type = COOP_SIM_STR, .v.str = "net" },
            { .key = "mask", .type = COOP_SIM_UINT, .v.u = (uint32_t)ln->value },
            { .key = "fired", .type = COOP_SIM_BOOL, .v.b = true },
        };
        coop_sim_emit(sim, "fault", f, 3);
        break;
    }
    default:
        break;
    }
}

static int schedule(struct scn_run *r, struct fault_arg *fargs)
{
    const coop_scenario *scn = r->scn;
    coop_sim *sim = r->sim;
    size_t nf = 0;
    /* A server's connections have their handles from the start; a client's comes with its connect line. */
    for (int k = 0; k < scn->npeers; k++) {
        const coop_scn_peer *pe = &scn->peers[k];
        if (pe->accepted && (r->handle[k] = coop_sim_peer_accepted(sim, pe->addr, pe->port, pe->n)) < 0)
            return r->handle[k];
    }
    for (size_t i = 0; i < scn->nlines; i++) {
        const coop_scn_line *ln = &scn->lines[i];
        uint64_t t = ln->at_ns;
        int h = ln->peer >= 0 ? r->handle[ln->peer] : -1;
        int rc = 0;
        switch (ln->op) {
        case COOP_SCN_CONNECT:
            rc = coop_sim_peer_connect_node_at(sim, t, (size_t)ln->node, (uint16_t)ln->value);
            if (rc >= 0)
                r->handle[ln->peer] = rc;
            break;
        case COOP_SCN_LISTEN:
        case COOP_SCN_REFUSE:
        case COOP_SCN_DROP:
            /* A server or rule replaces whatever was at that address and port. */
            rc = coop_sim_peer_unlisten_at(sim, t, ln->addr, (uint16_t)ln->value);
            if (rc >= 0)
                rc = coop_sim_peer_listen_at(sim, t, ln->addr, (uint16_t)ln->value,
                                             ln->op == COOP_SCN_LISTEN   ? COOP_NET_ACCEPT
                                             : ln->op == COOP_SCN_REFUSE ? COOP_NET_REFUSE
                                                                         : COOP_NET_DROP,
                                             ln->delay_ns);
            break;
        case COOP_SCN_UNLISTEN:
            rc = coop_sim_peer_unlisten_at(sim, t, ln->addr, (uint16_t)ln->value);
            break;
        case COOP_SCN_PARTITION:
        case COOP_SCN_HEAL:
            rc = coop_sim_partition_at(sim, t, ln->node, ln->other, ln->op == COOP_SCN_PARTITION);
            break;
        case COOP_SCN_CRASH:
            rc = coop_sim_crash_at(sim, t, (size_t)ln->node);
            break;
        case COOP_SCN_RESTART:
            rc = coop_sim_restart_at(sim, t, (size_t)ln->node);
            break;
        case COOP_SCN_STALL:
            rc = coop_sim_stall_at(sim, t, (size_t)ln->node, ln->name, (uint64_t)ln->value);
            break;
        case COOP_SCN_SEND:
            rc = coop_sim_peer_send_at(sim, t, h, ln->bytes, ln->len, ln->chunk);
            break;
        case COOP_SCN_SHUTDOWN:
            rc = coop_sim_peer_shutdown_at(sim, t, h);
            break;
        case COOP_SCN_CLOSE:
            rc = coop_sim_peer_close_at(sim, t, h);
            break;
        case COOP_SCN_RESET:
            rc = coop_sim_peer_reset_at(sim, t, h);
            break;
        case COOP_SCN_STOP_READING:
        case COOP_SCN_RESUME_READING:
            rc = coop_sim_peer_reading_at(sim, t, h, ln->op == COOP_SCN_RESUME_READING);
            break;
        case COOP_SCN_SIGNAL:
            rc = coop_sim_node_signal_at(sim, t, (size_t)ln->node, ln->name, ln->value);
            break;
        case COOP_SCN_KILL:
            rc = coop_sim_node_kill_at(sim, t, (size_t)ln->node, ln->name);
            break;
        case COOP_SCN_JUMP:
            rc = coop_sim_jump_at(sim, t, (uint64_t)ln->value);
            break;
        case COOP_SCN_FAULT_RESET:
        case COOP_SCN_FAULT_JUMP:
        case COOP_SCN_FAULT_NET:
            fargs[nf] = (struct fault_arg){ r, ln };
            rc = coop_sim_at(sim, t, fault_event, &fargs[nf++]);
            break;
        default:
            break; /* expectations are checked, not scheduled */
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ---- Reporting ---- */

static bool is_expect(coop_scn_op op) { return op >= COOP_SCN_EXPECT_RECV; }

/* The line as written, without its time: "expect recv c1 \"hi\"". */
static const char *what_of(const coop_scn_line *ln)
{
    const char *s = ln->text;
    const char *e = strstr(s, "expect");
    return e ? e : s;
}

static void emit_expect(struct scn_run *r, const coop_scn_line *ln, bool ok, int reached)
{
    char what[600];
    snprintf(what, sizeof(what), "%s", what_of(ln));
    /* Trailing comments and blanks are not part of what was expected. */
    char *hash = NULL;
    bool in_str = false;
    for (char *p = what; *p; p++) {
        if (*p == '"' && (p == what || p[-1] != '\\'))
            in_str = !in_str;
        if (*p == '#' && !in_str) {
            hash = p;
            break;
        }
    }
    if (hash)
        *hash = '\0';
    for (size_t n = strlen(what); n && (what[n - 1] == ' ' || what[n - 1] == '\t' || what[n - 1] == '\r');)
        what[--n] = '\0';
    coop_sim_field f[4] = {
        { .key = "line", .type = COOP_SIM_UINT, .v.u = ln->line },
        { .key = "ok", .type = COOP_SIM_BOOL, .v.b = ok },
        { .key = "reached", .type = COOP_SIM_BOOL, .v.b = reached > 0 },
        { .key = "what", .type = COOP_SIM_STR, .v.str = what },
    };
    /* `reached` only for `expect sometimes`, whose run never fails on it. */
    if (reached < 0)
        f[2] = f[3];
    coop_sim_emit(r->sim, "expect", f, reached < 0 ? 3 : 4);
}

int coop_scn_convert(const char *jsonl, size_t len, int fmt, char **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    FILE *o = open_memstream(out, outlen);
    if (!o)
        return -1;
    int rc = 0;
    if (len) {
        FILE *in = fmemopen((void *)jsonl, len, "r");
        char err[256];
        rc = in ? coop_trace_convert(in, "trace", o, (coop_trace_format)fmt, err, sizeof(err)) : -1;
        if (in)
            fclose(in);
    }
    fclose(o);
    return rc;
}

/* Writes the last TAIL_LINES trace events, in the text form, indented. */
static void write_tail(FILE *out, const struct scn_run *r)
{
    size_t n = r->log.n, from = n > TAIL_LINES ? n - TAIL_LINES : 0;
    fprintf(out, "  trace tail (last %zu of %zu events):\n", n - from, n);
    for (size_t i = from; i < n; i++) {
        fputs("    ", out);
        scn_log_write_text(&r->log, i, out);
    }
}

/* The first event at or after t (n when none): the log is in time order. */
static size_t first_at(const struct scn_log *log, uint64_t t)
{
    size_t lo = 0, hi = log->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (log->ev[mid].t_ns < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

#define WINDOW_BEFORE 8 /* events shown before the window opens */
#define WINDOW_MAX 24   /* events shown in all; the middle is left out beyond that */

/*
 * Writes the events around a failed expectation's window: a few before
 * it opens, then those up to its deadline (the expectation's own event,
 * at the deadline, included), with a marker where it opens and where
 * its deadline falls, and "..." where events are left out.
 */
static void write_window(FILE *out, const struct scn_run *r, const coop_scn_line *ln, size_t own_end)
{
    const struct scn_log *log = &r->log;
    size_t n = log->n, open = first_at(log, ln->lo_ns);
    size_t from = open > WINDOW_BEFORE ? open - WINDOW_BEFORE : 0;
    size_t to = ln->hi_ns == UINT64_MAX ? n : first_at(log, ln->hi_ns + 1);
    /* What the run did after the expectation's own event, at the same instant, comes after its deadline. */
    if (own_end > from && own_end < to)
        to = own_end;
    char lo[32], hi[32];
    coop_scn_format_time(ln->lo_ns, lo, sizeof(lo));
    coop_scn_format_time(ln->hi_ns, hi, sizeof(hi));
    fprintf(out, "  trace around line %u (window %s..%s; %zu of %zu events):\n", ln->line, lo, hi, to - from,
            n);
    if (from)
        fprintf(out, "    ... %zu earlier events\n", from);
    size_t cut_from = to, cut_to = to;
    if (to - from > WINDOW_MAX) {
        cut_from = from + WINDOW_MAX / 2;
        cut_to = to - WINDOW_MAX / 2;
    }
    for (size_t i = from; i < to; i++) {
        if (i == cut_from) {
            fprintf(out, "    ... %zu events left out\n", cut_to - cut_from);
            i = cut_to - 1;
            continue;
        }
        if (i == open && ln->lo_ns)
            fprintf(out, "    --- %s: the window of line %u opens ---\n", lo, ln->line);
        fputs("    ", out);
        scn_log_write_text(log, i, out);
    }
    if (to == open && ln->lo_ns)
        fprintf(out, "    --- %s: the window of line %u opens ---\n", lo, ln->line);
    fprintf(out, "    --- %s: the deadline of line %u ---\n", hi, ln->line);
    if (to < n)
        fprintf(out, "    ... %zu later events\n", n - to);
}

/* ---- Failures ---- */

/*
 * Where a run's failures go: the first is reported in full and gives the
 * run its signature (for grouping), the others a line each.
 */
struct failures {
    coop_scn_result *res;
    FILE *out;
    const char *path;
    bool first_written;
    const coop_scn_line *first;    /* the first failing line, whose signature is made once the run is over */
    size_t cursor;                 /* where ordered expectations searched from when it was checked */
    const coop_scn_line *first_ln; /* the first failure's line, when a line with a deadline failed first */
    size_t first_end;              /* events in the log once that line's own event was added */
};

/* The keyword of an expectation line: "recv" of "expect recv c1 ...". */
static void kind_of(const coop_scn_line *ln, char *buf, size_t len)
{
    const char *w = what_of(ln);
    if (!strncmp(w, "expect", 6))
        w += 6;
    w += strspn(w, " \t");
    snprintf(buf, len, "%.*s", (int)strcspn(w, " \t\r#"), w);
}

static void fail_line(struct failures *f, const coop_scn_line *ln, const struct scn_verdict *v, size_t cursor)
{
    const char *why = v->why;
    f->res->failed++;
    if (f->first_written) {
        fprintf(f->out, "  %s:%u:%u: also failed: %s\n", f->path, ln->line, ln->col, what_of(ln));
        return;
    }
    f->first_written = true;
    if (ln->op != COOP_SCN_EXPECT_LEAK && ln->hi_ns != UINT64_MAX)
        f->first_ln = ln;
    f->res->failed_line = ln->line;
    f->res->failed_col = ln->col;
    fprintf(f->out, "  %s:%u:%u: expectation failed: %s\n    %s\n", f->path, ln->line, ln->col, ln->text,
            why);
    f->first = ln;
    f->cursor = cursor;
    kind_of(ln, f->res->failed_kind, sizeof(f->res->failed_kind));
    f->res->failed_how = v->how;
}

/*
 * Once the run is over: evidence that a line missed by its deadline may
 * have come later, which makes the failure late; then the signature,
 * "line 14: expect recv: late".
 */
static void finish_signature(struct failures *f, struct scn_run *r)
{
    const coop_scn_line *ln = f->first;
    if (!ln || f->res->signature)
        return;
    coop_scn_result *res = f->res;
    if (res->failed_how == COOP_SCN_HOW_MISSING || res->failed_how == COOP_SCN_HOW_HANG) {
        size_t cursor = r->cursor, off = ln->peer >= 0 ? r->recv_off[ln->peer] : 0;
        r->cursor = f->cursor;
        if (scn_came_late(r, ln)) {
            res->failed_how = COOP_SCN_HOW_LATE;
            fprintf(f->out, "  %s:%u:%u: the evidence came after the window\n", f->path, ln->line, ln->col);
        }
        r->cursor = cursor;
        if (ln->peer >= 0)
            r->recv_off[ln->peer] = off;
    }
    char sig[160];
    snprintf(sig, sizeof(sig), "line %u: expect %s: %s", ln->line, res->failed_kind,
             coop_scn_how_name(res->failed_how));
    res->signature = strdup(sig);
}

/* A failure of the run as a whole, which no line of the file states: a limit, a leak. */
static void fail_run(struct failures *f, const char *sig, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail_run(struct failures *f, const char *sig, const char *fmt, ...)
{
    f->res->failed++;
    f->res->others++;
    fprintf(f->out, "  %s: %s", f->path, f->first_written ? "also failed: " : "");
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f->out, fmt, ap);
    va_end(ap);
    fputc('\n', f->out);
    if (!f->first_written) {
        f->first_written = true;
        f->res->signature = strdup(sig);
        snprintf(f->res->failed_kind, sizeof(f->res->failed_kind), "%s", sig);
        f->res->failed_how = COOP_SCN_HOW_RUN;
    }
}

/* The `expect end` line that names how the run ended, if any. */
static bool end_expected(const coop_scenario *scn, coop_sim_status end)
{
    for (size_t i = 0; i < scn->nlines; i++)
        if (scn->lines[i].op == COOP_SCN_EXPECT_END && !strcmp(scn->lines[i].name, coop_sim_status_name(end)))
            return true;
    return false;
}

/*
 * A run that a limit or a busy loop stopped did not finish what it was
 * doing: that fails it, unless the scenario expects that very end.
 */
static void check_limit_end(struct scn_run *r, struct failures *f)
{
    coop_sim_status end = r->end;
    if ((end != COOP_SIM_STEP_LIMIT && end != COOP_SIM_TIME_LIMIT && end != COOP_SIM_BUSY_LOOP &&
         end != COOP_SIM_TRACE_LIMIT) ||
        end_expected(r->scn, end))
        return;
    char t[32];
    coop_scn_format_time(coop_sim_now(r->sim), t, sizeof(t));
    const char *name = coop_sim_status_name(end);
    char sig[64], hint[160];
    snprintf(sig, sizeof(sig), "run ended %s", name);
    if (end == COOP_SIM_BUSY_LOOP)
        snprintf(hint, sizeof(hint),
                 "a task ran many steps with no time passing; add `expect end busy-loop` "
                 "if that is what the scenario shows");
    else if (coop_sim_now(r->sim) == UINT64_MAX)
        snprintf(hint, sizeof(hint),
                 "the clock reached the largest virtual time, 2^64 - 1 ns, and stops there");
    else
        snprintf(hint, sizeof(hint), "a run that should stop at its %s says so with `expect end %s`", name,
                 name);
    fail_run(f, sig, "the run ended %s at %s, which the scenario does not expect\n    hint: %s", name, t,
             hint);
}

/*
 * What the program left behind once its tasks ended and ran their
 * cleanups: fds and bytes fail the run unless an `expect leak` line
 * states them; tasks alive are only checked when a line states them
 * (a server that keeps waiting is the usual end of a scenario).
 */
static void check_leaks(struct scn_run *r, const coop_sim_leaks *lk, struct failures *f,
                        struct scn_verdict *v)
{
    static const char *const kinds[3] = { "fds", "bytes", "tasks" };
    uint64_t amount[3] = { lk->fds, lk->bytes, lk->tasks };
    for (int k = 0; k < 3; k++) {
        bool stated = false;
        for (size_t i = 0; i < r->scn->nlines; i++) {
            const coop_scn_line *ln = &r->scn->lines[i];
            if (ln->op != COOP_SCN_EXPECT_LEAK || strcmp(ln->name, kinds[k]))
                continue;
            stated = true;
            v->ok = ln->value < 0 ? amount[k] > 0 : amount[k] == (uint64_t)ln->value;
            if (!v->ok && ln->value < 0)
                snprintf(v->why, sizeof(v->why), "expected the program to leave %s behind, but it left none",
                         kinds[k]);
            else if (!v->ok)
                snprintf(v->why, sizeof(v->why),
                         "expected the program to leave %" PRId64 " %s behind, but it left %" PRIu64,
                         ln->value, kinds[k], amount[k]);
            f->res->checked++;
            emit_expect(r, ln, v->ok, -1);
            if (!v->ok) {
                v->how = COOP_SCN_HOW_DIFFERENT;
                fail_line(f, ln, v, r->cursor);
            }
        }
        if (stated || !amount[k] || k == 2)
            continue;
        char sig[32];
        snprintf(sig, sizeof(sig), "leak %s", kinds[k]);
        if (k == 0)
            fail_run(f, sig,
                     "the program left %" PRIu64 " fd(s) open once its tasks had ended\n"
                     "    hint: close them, or state it with `expect leak fds %" PRIu64 "`",
                     amount[k], amount[k]);
        else
            fail_run(f, sig,
                     "the program never freed %" PRIu64 " byte(s) it had from coop_mem_alloc\n"
                     "    hint: free them, or state it with `expect leak bytes %" PRIu64 "`",
                     amount[k], amount[k]);
    }
}

/* The live tasks and what each waits on, for a report: taken before the end frees them. */
static char *task_list(const coop_sim *sim)
{
    char *buf = malloc(2048);
    if (!buf)
        return NULL;
    coop_sim_report(sim, buf, 2048);
    /* Only the task list: the tail follows in the text form. */
    char *tail = strstr(buf, "last ");
    if (tail)
        *tail = '\0';
    return buf;
}

/* ---- The run ---- */

/* "PATH:LINE:COL: error: program 'NAME' failed to start: ..." for a program whose start function failed. */
static char *start_error(const coop_scenario *scn, const coop_scn_node *n, int code)
{
    char *m = NULL;
    size_t mlen = 0;
    FILE *f = open_memstream(&m, &mlen);
    if (!f)
        return NULL;
    fprintf(f, "%s:%u:1: error: program '%s' failed to start: %s\n", scn->path, n->line, n->program,
            coop_strerror(code));
    if (code == -COOP_EINVAL)
        fprintf(f, "  hint: it rejected its arguments; `coop programs` says what each program takes\n");
    fclose(f);
    return m;
}

/* The time a stop point (--until) ends the run at, or UINT64_MAX. */
static uint64_t stop_ns(const struct scn_run *r)
{
    return r->ov && r->ov->until_time_set ? r->ov->until_ns : UINT64_MAX;
}

static bool stop_point(const coop_scn_overrides *ov)
{
    return ov && (ov->until_step_set || ov->until_time_set);
}

static coop_sim_status advance_to(struct scn_run *r, uint64_t t)
{
    if (t != UINT64_MAX && t > stop_ns(r)) {
        (void)advance_to(r, stop_ns(r));
        if (!r->ended) {
            r->ended = true;
            r->end = COOP_SIM_UNTIL;
        }
        return r->end;
    }
    if (!r->ended && t != UINT64_MAX && t >= coop_sim_now(r->sim)) {
        coop_sim_status st = coop_sim_run_until(r->sim, t);
        if (st != COOP_SIM_UNTIL) {
            r->ended = true;
            r->end = st;
        }
    }
    return r->end;
}

/* ---- Stop points ---- */

#define WORLD_EVENTS 12 /* trace events shown after the world */

/*
 * Runs to the stop point, following the script's own times but checking
 * no expectation, then writes the world and the last events into
 * res->world.
 */
static void run_to_stop(struct scn_run *r, coop_scn_result *res)
{
    const coop_scn_overrides *ov = r->ov;
    const coop_scenario *scn = r->scn;
    r->end = COOP_SIM_RUNNING;
    if (ov->until_step_set && !ov->until_step) {
        r->ended = true; /* step 0: the world before the first step */
        r->end = COOP_SIM_STEP_LIMIT;
    }
    for (size_t i = 0; i < scn->nlines && !r->ended; i++)
        if (is_expect(scn->lines[i].op) && scn->lines[i].op != COOP_SCN_EXPECT_LEAK)
            advance_to(r, scn->lines[i].hi_ns);
    if (!r->ended) {
        /* The scenario's own `run until`, or the stop time when it comes first. */
        uint64_t until = scn->run_until_ns != COOP_SCN_NO_TIME ? scn->run_until_ns : UINT64_MAX;
        if (until > stop_ns(r))
            until = stop_ns(r);
        r->end = coop_sim_now(r->sim) <= until ? coop_sim_run_until(r->sim, until) : COOP_SIM_UNTIL;
        r->ended = true;
    }
    res->end = r->end;
    res->end_ns = coop_sim_now(r->sim);
    res->steps = coop_sim_steps(r->sim);
    res->reached = ov->until_step_set ? r->end == COOP_SIM_STEP_LIMIT && res->steps == ov->until_step
                                      : r->end == COOP_SIM_UNTIL && res->end_ns == ov->until_ns;
    res->passed = true;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return;
    const char *names[COOP_SCN_MAX_PEERS + 1] = { 0 };
    size_t nnames = 0;
    for (int k = 0; k < scn->npeers; k++) {
        int h = r->handle[k];
        if (h >= 0 && h < COOP_SCN_MAX_PEERS + 1) {
            names[h] = scn->peers[k].name;
            if ((size_t)h + 1 > nnames)
                nnames = (size_t)h + 1;
        }
    }
    coop_sim_describe(r->sim, f, names, nnames);
    size_t n = r->log.n, from = n > WORLD_EVENTS ? n - WORLD_EVENTS : 0;
    fprintf(f, "last %zu of %zu trace events:\n", n - from, n);
    for (size_t i = from; i < n; i++) {
        fputs("  ", f);
        scn_log_write_text(&r->log, i, f);
    }
    fclose(f);
    res->world = text;
}

int coop_scenario_run(const coop_scenario *scn, const coop_program *registry, const coop_scn_overrides *ov,
                      bool keep_trace, coop_scn_result *res)
{
    *res = (coop_scn_result){ 0 };
    const coop_program *progs[COOP_SCN_MAX_NODES];
    for (int k = 0; k < scn->nnodes; k++) {
        const coop_scn_node *n = &scn->nodes[k];
        if ((progs[k] = coop_program_find(registry, n->program)))
            continue;
        char *m = NULL;
        size_t mlen = 0;
        FILE *f = open_memstream(&m, &mlen);
        if (f) {
            fprintf(f, "%s:%u:1: error: no program named '%s'\n  hint: the programs are:", scn->path, n->line,
                    n->program);
            for (const coop_program *p = registry; p && p->name; p++)
                fprintf(f, " %s", p->name);
            fputc('\n', f);
            fclose(f);
        }
        res->report = m;
        return -COOP_ENOENT;
    }
    struct scn_run *r = calloc(1, sizeof(*r));
    struct fault_arg *fargs = calloc(scn->nlines + 1, sizeof(*fargs));
    struct scn_verdict *v = malloc(sizeof(*v));
    if (!r || !fargs || !v) {
        free(r);
        free(fargs);
        free(v);
        return -COOP_ENOMEM;
    }
    r->scn = scn;
    r->ov = ov;
    coop_sim_config cfg = scn->cfg;
    if (ov && ov->seed_set)
        cfg.seed = ov->seed;
    if (ov && ov->faults_set)
        cfg.faults = ov->faults;
    if (ov && ov->ties_set)
        cfg.permute_ties = ov->permute_ties;
    /* A stop after step N is the step limit, which the loop checks right after each step. */
    if (ov && ov->until_step_set && ov->until_step && (!cfg.max_steps || ov->until_step < cfg.max_steps))
        cfg.max_steps = ov->until_step;
    /* A written schedule replays through a chooser of its own, whose choices come back in res->schedule. */
    /* The command line's schedule outranks the file's `schedule` line. */
    const char *sched = ov && ov->schedule ? ov->schedule : scn->schedule;
    coop_strategy *replay = sched && !(ov && ov->chooser) ? coop_strategy_replay(sched) : NULL;
    if (ov && ov->chooser)
        cfg.chooser = *ov->chooser;
    else if (replay)
        cfg.chooser = coop_strategy_chooser(replay);
    coop_sim_node_spec specs[COOP_SCN_MAX_NODES];
    for (int k = 0; k < scn->nnodes; k++)
        specs[k] = (coop_sim_node_spec){ scn->nodes[k].name, scn->nodes[k].addr };
    cfg.nodes = specs;
    cfg.nnodes = (size_t)scn->nnodes;
    struct jsonl_buf jsonl = { .keep = keep_trace,
                               .sink = ov ? ov->on_line : NULL,
                               .sink_ctx = ov ? ov->on_line_ctx : NULL };
    scn_log_init(&r->log);
    cfg.on_event = on_event;
    cfg.on_event_ctx = r;
    cfg.max_events = COOP_SCN_MAX_EVENTS;
    if (jsonl.keep || jsonl.sink) {
        cfg.on_line = on_line;
        cfg.on_line_ctx = &jsonl;
    }
    int rc = 0;
    res->seed = cfg.seed;
    res->faults = cfg.faults;
    res->permute_ties = cfg.permute_ties;
    r->sim = coop_sim_new(&cfg);
    if (!r->sim) {
        /* The parser checked every setting the simulator checks; memory is what is left. */
        rc = -COOP_ENOMEM;
        res->report = strdup("the simulator could not be created: out of memory\n");
        goto out;
    }
    res->seed = cfg.seed;
    res->faults = coop_sim_faults(r->sim);
    res->permute_ties = cfg.permute_ties;
    if (scn->has_link)
        (void)coop_net_set_link(coop_sim_net(r->sim), 0, &scn->link);
    for (int k = 0; k < scn->nlinks; k++)
        (void)coop_sim_set_link(r->sim, scn->links[k].a, scn->links[k].b, &scn->links[k].link);
    if (scn->send_buf)
        coop_net_set_buffers(coop_sim_net(r->sim), scn->send_buf, scn->recv_buf);
    if (stop_point(ov) && coop_sim_track_waits(r->sim)) {
        rc = -COOP_ENOMEM;
        res->report = strdup("the simulator could not be created: out of memory\n");
        goto out;
    }
    rc = schedule(r, fargs);
    if (rc < 0) {
        res->report = strdup("out of memory while scheduling the script\n");
        goto out;
    }

    char *rep = NULL;
    size_t replen = 0;
    FILE *out = open_memstream(&rep, &replen);
    if (!out) {
        rc = -COOP_ENOMEM;
        goto out;
    }
    r->end = COOP_SIM_RUNNING;
    struct failures fails = { .res = res, .out = out, .path = scn->path };
    for (int k = 0; k < scn->nnodes; k++) {
        const coop_scn_node *n = &scn->nodes[k];
        char *argv[COOP_SCN_MAX_ARGS + 1];
        for (int i = 0; i <= n->argc; i++)
            argv[i] = n->argv[i];
        int started = coop_sim_node_start(r->sim, (size_t)k, progs[k], n->argc, argv);
        if (started >= 0)
            continue;
        /* The program refused what the file gave it: an error in the file, like a parse error. */
        fclose(out);
        free(rep);
        res->report = start_error(scn, n, started);
        rc = started == -COOP_ENOMEM ? -COOP_ENOMEM : -COOP_EINVAL;
        goto out;
    }
    if (stop_point(ov)) {
        fclose(out);
        free(rep);
        run_to_stop(r, res);
        goto out;
    }
    size_t *cursor_at = calloc(scn->nlines + 1, sizeof(*cursor_at));
    unsigned *reached = calloc(scn->nlines + 1, sizeof(*reached));
    size_t nreached = 0;
    if (!reached)
        nreached = scn->nlines; /* nothing is recorded */
    /* Expectations with a deadline, in file order; those checked at the end are remembered. */
    for (size_t pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < scn->nlines; i++) {
            const coop_scn_line *ln = &scn->lines[i];
            if (!is_expect(ln->op) || ln->op == COOP_SCN_EXPECT_LEAK)
                continue;
            bool at_end = ln->hi_ns == UINT64_MAX;
            /* A line checked at the end sees the order as it stood at its place in the file. */
            if (pass == 0 && cursor_at)
                cursor_at[i] = r->cursor;
            if (at_end != (pass == 1))
                continue;
            if (pass == 1 && cursor_at)
                r->cursor = cursor_at[i];
            advance_to(r, ln->hi_ns);
            scn_check(r, ln, v);
            res->checked++;
            if (ln->op == COOP_SCN_EXPECT_SOMETIMES) {
                /* Reached or not, the run goes on: a sweep asks that some seed reach it. */
                emit_expect(r, ln, true, v->ok);
                if (v->ok && nreached < scn->nlines)
                    reached[nreached++] = ln->line;
                continue;
            }
            emit_expect(r, ln, v->ok, -1);
            if (!v->ok)
                fail_line(&fails, ln, v, r->cursor);
            if (fails.first_ln == ln && !fails.first_end)
                fails.first_end = r->log.n;
        }
        if (pass == 0 && !r->ended) {
            coop_sim_status st = scn->run_until_ns != COOP_SCN_NO_TIME
                                     ? (coop_sim_now(r->sim) < scn->run_until_ns
                                            ? coop_sim_run_until(r->sim, scn->run_until_ns)
                                            : COOP_SIM_UNTIL)
                                     : coop_sim_run(r->sim);
            r->end = st;
            r->ended = true;
        }
    }
    free(cursor_at);
    if (reached && nreached) {
        /* File order: the lines checked at the end came after the others. */
        for (size_t a = 1; a < nreached; a++)
            for (size_t b = a; b && reached[b - 1] > reached[b]; b--) {
                unsigned x = reached[b];
                reached[b] = reached[b - 1];
                reached[b - 1] = x;
            }
        res->sometimes_reached = reached;
        res->nsometimes_reached = nreached;
    } else {
        free(reached);
    }
    finish_signature(&fails, r);
    bool brief = ov && ov->brief;
    char *tasks = brief || !coop_sim_task_count(r->sim) ? NULL : task_list(r->sim);
    coop_sim_leaks leaks;
    coop_sim_shutdown(r->sim, &leaks);
    if (leaks.fds || leaks.bytes) {
        coop_sim_field lf[2] = {
            { .key = "fds", .type = COOP_SIM_UINT, .v.u = leaks.fds },
            { .key = "bytes", .type = COOP_SIM_UINT, .v.u = leaks.bytes },
        };
        coop_sim_emit(r->sim, "leak", lf, 2);
    }
    check_leaks(r, &leaks, &fails, v);
    check_limit_end(r, &fails);
    coop_sim_field endf[2] = {
        { .key = "status", .type = COOP_SIM_STR, .v.str = coop_sim_status_name(r->end) },
        { .key = "steps", .type = COOP_SIM_UINT, .v.u = coop_sim_steps(r->sim) },
    };
    coop_sim_emit(r->sim, "end", endf, 2);
    if (r->log.oom)
        fail_run(&fails, "trace storage", "out of memory while recording the trace");
    if (keep_trace && jsonl.oom)
        fail_run(&fails, "trace storage",
                 "the trace outgrew the %zu MiB kept in memory to compare it; a golden trace must be shorter",
                 JSONL_MAX >> 20);
    res->passed = res->failed == 0;
    res->end = r->end;
    res->end_ns = coop_sim_now(r->sim);
    res->steps = coop_sim_steps(r->sim);
    res->trace_hash = coop_sim_trace_hash(r->sim);
    res->faults_fired = coop_sim_faults_fired(r->sim);
    size_t tl = coop_sim_ties_differed(r->sim, NULL, 0);
    if ((res->ties_differed = malloc(tl + 1)))
        coop_sim_ties_differed(r->sim, res->ties_differed, tl + 1);
    if (!res->passed) {
        char t[32], fl[128];
        coop_scn_format_time(res->end_ns, t, sizeof(t));
        char others[64] = "";
        if (res->others)
            snprintf(others, sizeof(others), " and %d other check(s)", res->others);
        fprintf(out,
                "  %d of %d expectations%s failed; the run ended %s at %s after %" PRIu64
                " steps (seed %" PRIu64 ", faults %s, ties %s)\n",
                res->failed - res->others, res->checked, others, coop_sim_status_name(res->end), t,
                res->steps, res->seed, (coop_sim_faults_format(res->faults, fl, sizeof(fl)), fl),
                res->permute_ties ? "permute" : "fifo");
        if (res->signature)
            fprintf(out, "  signature: %s\n", res->signature);
        if (tasks) {
            char *buf = tasks;
            for (char *line = buf, *nl; *line; line = nl + 1) {
                nl = strchr(line, '\n');
                if (!nl)
                    break;
                fprintf(out, "  %.*s\n", (int)(nl - line), line);
            }
        }
        if (!brief && fails.first_ln)
            write_window(out, r, fails.first_ln, fails.first_end);
        else if (!brief)
            write_tail(out, r);
        if (!res->signature)
            res->signature = strdup("trace storage");
    }
    free(tasks);
    fclose(out);
    res->report = rep;
    if (keep_trace && !jsonl.oom) {
        res->jsonl = jsonl.p;
        res->jsonl_len = jsonl.len;
    } else {
        free(jsonl.p);
    }
    jsonl = (struct jsonl_buf){ .closed = true };
out:
    if (r->sim)
        coop_sim_free(r->sim);
    if (replay) {
        char taken[COOP_SCHEDULE_TEXT_MAX];
        if (coop_strategy_format(replay, taken, sizeof(taken)) < sizeof(taken))
            res->schedule = strdup(taken);
        coop_strategy_free(replay);
    }
    free(jsonl.p);
    scn_log_fini(&r->log);
    free(r);
    free(fargs);
    free(v);
    return rc;
}

void coop_scn_result_fini(coop_scn_result *res)
{
    free(res->report);
    free(res->signature);
    free(res->jsonl);
    free(res->schedule);
    free(res->ties_differed);
    free(res->sometimes_reached);
    free(res->world);
    *res = (coop_scn_result){ 0 };
}
