/* Trace conversion: JSON lines in; JSON lines, the text form or Chrome trace events out. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "coop/trace-convert.h"

int coop_trace_format_parse(const char *name, coop_trace_format *out)
{
    static const char *const names[] = { "jsonl", "text", "chrome" };
    for (int i = 0; i < 3; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (coop_trace_format)i;
            return 0;
        }
    return -1;
}

/* "   1.500000000 s  bartask#1  run  call=Wait" */
void coop_trace_write_text(FILE *out, const coop_sim_event *e)
{
    int64_t tid = 0;
    const char *task = coop_sim_field_str(e, "task");
    char who[96] = "-";
    if (coop_sim_field_int(e, "tid", &tid))
        snprintf(who, sizeof(who), "%s#%" PRId64, task ? task : "?", tid);
    fprintf(out, "%6" PRIu64 ".%09" PRIu64 " s  %-20s %-7s", e->t_ns / 1000000000, e->t_ns % 1000000000, who,
            e->ev);
    for (size_t i = 0; i < e->nfields; i++) {
        const coop_sim_field *f = &e->fields[i];
        if (!strcmp(f->key, "task") || !strcmp(f->key, "tid"))
            continue;
        switch (f->type) {
        case COOP_SIM_STR:
            if (!f->v.str)
                fprintf(out, " %s=null", f->key);
            else
                fprintf(out, strpbrk(f->v.str, " \t=") ? " %s=\"%s\"" : " %s=%s", f->key, f->v.str);
            break;
        case COOP_SIM_INT:
            fprintf(out, " %s=%" PRId64, f->key, f->v.i);
            break;
        case COOP_SIM_UINT:
            fprintf(out, " %s=%" PRIu64, f->key, f->v.u);
            break;
        case COOP_SIM_BOOL:
            fprintf(out, " %s=%s", f->key, f->v.b ? "true" : "false");
            break;
        }
    }
    fputc('\n', out);
}

static void json_string(FILE *out, const char *s)
{
    size_t len = strlen(s);
    char *buf = malloc(6 * len + 1); /* the longest escape of a byte is six bytes */
    fprintf(out, "\"%s\"", buf && json_escape(buf, 6 * len + 1, s, len) != SIZE_MAX ? buf : "?");
    free(buf);
}

/* Writes the fields of e (t_ns and ev are members, not fields) as the members of a JSON object. */
static void json_fields(FILE *out, const coop_sim_event *e, bool first)
{
    for (size_t i = 0; i < e->nfields; i++) {
        const coop_sim_field *f = &e->fields[i];
        if (!first)
            fputc(',', out);
        first = false;
        json_string(out, f->key);
        fputc(':', out);
        switch (f->type) {
        case COOP_SIM_STR:
            if (f->v.str)
                json_string(out, f->v.str);
            else
                fputs("null", out);
            break;
        case COOP_SIM_INT:
            fprintf(out, "%" PRId64, f->v.i);
            break;
        case COOP_SIM_UINT:
            fprintf(out, "%" PRIu64, f->v.u);
            break;
        case COOP_SIM_BOOL:
            fputs(f->v.b ? "true" : "false", out);
            break;
        }
    }
}

/*
 * Chrome trace events.  Each node is a process (pid 1 for the first node
 * seen, or a trace of one node) and each task a thread of it, named when
 * it spawns; the network and the scenario's own events are thread 0,
 * "network".  A step is a complete slice from its run event to the event
 * that ends it (yield, exit, kill, fail), lasting the virtual time in
 * between plus the step's cost (cost_ns of the ending event).  Steps of
 * one node never overlap, so a node has at most one open slice.
 */
#define CHROME_NODES 64
struct chrome {
    bool first;
    char nodes[CHROME_NODES][32]; /* node names by pid - 1; "" is unused */
    int nnodes;
    struct open_step {
        bool open;
        int64_t tid;
        uint64_t t_ns;
    } open[CHROME_NODES];
};

static void chrome_sep(FILE *out, struct chrome *c)
{
    fputs(c->first ? "\n" : ",\n", out);
    c->first = false;
}

static void chrome_meta(FILE *out, struct chrome *c, int pid, int64_t tid, const char *what, const char *name)
{
    chrome_sep(out, c);
    fprintf(out, "{\"ph\":\"M\",\"pid\":%d,\"tid\":%" PRId64 ",\"name\":\"%s\",\"args\":{\"name\":", pid, tid,
            what);
    json_string(out, name);
    fputs("}}", out);
}

/* The pid of the node an event names (1 without one); a node seen for the first time is named. */
static int chrome_pid(FILE *out, struct chrome *c, const coop_sim_event *e)
{
    const char *node = coop_sim_field_str(e, "node");
    if (!node)
        node = "";
    for (int i = 0; i < c->nnodes; i++)
        if (!strncmp(c->nodes[i], node, sizeof(c->nodes[i]) - 1))
            return i + 1;
    if (c->nnodes == CHROME_NODES)
        return CHROME_NODES;
    int pid = ++c->nnodes;
    snprintf(c->nodes[pid - 1], sizeof(c->nodes[pid - 1]), "%s", node);
    chrome_meta(out, c, pid, 0, "process_name", *node ? node : "coop");
    chrome_meta(out, c, pid, 0, "thread_name", "network");
    return pid;
}

/* Virtual nanoseconds as Chrome's microseconds, to the nanosecond. */
static void chrome_us(FILE *out, const char *key, uint64_t ns)
{
    fprintf(out, ",\"%s\":%" PRIu64 ".%03" PRIu64, key, ns / 1000, ns % 1000);
}

static void chrome_event(FILE *out, struct chrome *c, const coop_sim_event *e, int pid, int64_t tid,
                         uint64_t t_ns, const char *name, bool slice, uint64_t dur_ns)
{
    chrome_sep(out, c);
    fprintf(out, "{\"ph\":\"%s\",\"pid\":%d,\"tid\":%" PRId64, slice ? "X" : "i", pid, tid);
    chrome_us(out, "ts", t_ns);
    fputs(",\"name\":", out);
    json_string(out, name);
    if (slice)
        chrome_us(out, "dur", dur_ns);
    else
        fputs(",\"s\":\"t\"", out);
    fputs(",\"args\":{\"ev\":", out);
    json_string(out, e->ev);
    json_fields(out, e, false);
    fputs("}}", out);
}

static void write_chrome(FILE *out, struct chrome *c, const coop_sim_event *e)
{
    int64_t tid = 0;
    uint64_t t = e->t_ns;
    bool has_tid = coop_sim_field_int(e, "tid", &tid) && coop_sim_field_str(e, "task");
    const char *ev = e->ev;
    int pid = chrome_pid(out, c, e);
    struct open_step *st = &c->open[pid - 1];
    if (!has_tid)
        tid = 0;
    if (!strcmp(ev, "spawn") && has_tid)
        chrome_meta(out, c, pid, tid, "thread_name", coop_sim_field_str(e, "task"));
    if (!strcmp(ev, "run") && has_tid) {
        *st = (struct open_step){ true, tid, t };
        return;
    }
    bool ends = !strcmp(ev, "yield") || !strcmp(ev, "exit") || !strcmp(ev, "kill") || !strcmp(ev, "fail");
    if (ends && has_tid && st->open && st->tid == tid) {
        int64_t cost = 0;
        if (!coop_sim_field_int(e, "cost_ns", &cost) || cost < 0)
            cost = 0;
        /* A damaged trace may go back in time; a slice then has no length rather than a huge one. */
        uint64_t dur = t >= st->t_ns ? t - st->t_ns : 0;
        dur = dur > UINT64_MAX - (uint64_t)cost ? UINT64_MAX : dur + (uint64_t)cost;
        const char *call = coop_sim_field_str(e, "call");
        chrome_event(out, c, e, pid, tid, st->t_ns, call ? call : ev, true, dur);
        st->open = false;
        if (!strcmp(ev, "yield"))
            return;
    }
    if (strcmp(ev, "yield"))
        chrome_event(out, c, e, pid, tid, t, ev, false, 0);
}

/* A trace being written in one format, event by event. */
struct coop_trace_writer {
    FILE *out;
    coop_trace_format fmt;
    coop_trace_reader *reader;
    struct chrome chrome;
};

coop_trace_writer *coop_trace_writer_new(FILE *out, coop_trace_format fmt)
{
    coop_trace_writer *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    *w = (coop_trace_writer){ .out = out, .fmt = fmt, .reader = coop_trace_reader_new() };
    if (!w->reader) {
        free(w);
        return NULL;
    }
    w->chrome.first = true;
    if (fmt == COOP_TRACE_CHROME)
        fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", out);
    return w;
}

int coop_trace_writer_line(coop_trace_writer *w, const char *line, size_t len, size_t *col, const char **msg)
{
    const coop_sim_event *e = NULL;
    if (coop_trace_parse(w->reader, line, len, &e, col, msg))
        return -1;
    if (w->fmt == COOP_TRACE_JSONL) {
        fwrite(line, 1, len, w->out);
        if (!len || line[len - 1] != '\n')
            fputc('\n', w->out);
    } else if (w->fmt == COOP_TRACE_TEXT) {
        coop_trace_write_text(w->out, e);
    } else {
        write_chrome(w->out, &w->chrome, e);
    }
    return 0;
}

int coop_trace_writer_finish(coop_trace_writer *w)
{
    if (!w)
        return 0;
    if (w->fmt == COOP_TRACE_CHROME)
        fputs("\n]}\n", w->out);
    int rc = ferror(w->out) ? -1 : 0;
    coop_trace_reader_free(w->reader);
    free(w);
    return rc;
}

long coop_trace_read_line(FILE *in, char *buf)
{
    size_t n = 0;
    for (int ch; (ch = getc(in)) != EOF;) {
        if (n == COOP_TRACE_LINE_MAX + 1)
            return -1;
        buf[n++] = (char)ch;
        if (ch == '\n')
            break;
    }
    return n > COOP_TRACE_LINE_MAX && buf[n - 1] != '\n' ? -1 : (long)n;
}

int coop_trace_convert(FILE *in, const char *in_name, FILE *out, coop_trace_format fmt, char *err,
                       size_t errlen)
{
    char *line = malloc(COOP_TRACE_BUF);
    coop_trace_writer *w = coop_trace_writer_new(out, fmt);
    int rc = 0;
    if (!line || !w) {
        snprintf(err, errlen, "%s: error: out of memory", in_name);
        rc = -1;
    }
    unsigned long lineno = 0;
    for (long n; !rc && (n = coop_trace_read_line(in, line)) != 0;) {
        lineno++;
        size_t col = COOP_TRACE_LINE_MAX + 1;
        const char *msg = "line too long";
        if (n < 0 || coop_trace_writer_line(w, line, (size_t)n, &col, &msg)) {
            snprintf(err, errlen, "%s:%lu:%zu: error: %s", in_name, lineno, col, msg);
            rc = -1;
        }
    }
    if (!rc && ferror(in)) {
        snprintf(err, errlen, "%s: error: cannot read", in_name);
        rc = -1;
    }
    if (coop_trace_writer_finish(w) && !rc) {
        snprintf(err, errlen, "%s: error: cannot write the output", in_name);
        rc = -1;
    }
    free(line);
    return rc;
}
