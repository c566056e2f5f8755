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

/* Chrome trace events: the open step of each task, so that the event ending it can close the slice. */
struct chrome {
    bool first;
    int64_t open_tid[64]; /* tids with an open slice... kept small: steps never nest */
    uint64_t open_t[64];
    int nopen;
};

static void chrome_event(FILE *out, struct chrome *c, const char *ph, int64_t tid, uint64_t t_ns,
                         const char *name, uint64_t dur_ns)
{
    fputs(c->first ? "\n" : ",\n", out);
    c->first = false;
    fprintf(out,
            "{\"ph\":\"%s\",\"pid\":1,\"tid\":%" PRId64 ",\"ts\":%" PRIu64 ".%03" PRIu64 ",\"name\":", ph,
            tid, t_ns / 1000, t_ns % 1000);
    json_string(out, name);
    if (ph[0] == 'X')
        fprintf(out, ",\"dur\":%" PRIu64 ".%03" PRIu64, dur_ns / 1000, dur_ns % 1000);
    if (ph[0] == 'i')
        fputs(",\"s\":\"t\"", out);
    fputc('}', out);
}

static void write_chrome(FILE *out, struct chrome *c, const coop_sim_event *e)
{
    int64_t tid = 0;
    uint64_t t = e->t_ns;
    bool has_tid = coop_sim_field_int(e, "tid", &tid);
    const char *ev = e->ev;
    if (!strcmp(ev, "spawn") && has_tid) {
        const char *task = coop_sim_field_str(e, "task");
        fputs(c->first ? "\n" : ",\n", out);
        c->first = false;
        fprintf(
            out,
            "{\"ph\":\"M\",\"pid\":1,\"tid\":%" PRId64 ",\"name\":\"thread_name\",\"args\":{\"name\":", tid);
        json_string(out, task ? task : "?");
        fputs("}}", out);
    }
    if (!strcmp(ev, "run") && has_tid) {
        if (c->nopen < 64) {
            c->open_tid[c->nopen] = tid;
            c->open_t[c->nopen++] = t;
        }
        return;
    }
    bool ends = !strcmp(ev, "yield") || !strcmp(ev, "exit") || !strcmp(ev, "kill") || !strcmp(ev, "fail");
    for (int i = 0; ends && has_tid && i < c->nopen; i++) {
        if (c->open_tid[i] != tid)
            continue;
        const char *call = coop_sim_field_str(e, "call");
        chrome_event(out, c, "X", tid, c->open_t[i], call ? call : ev, t - c->open_t[i]);
        c->open_tid[i] = c->open_tid[--c->nopen];
        c->open_t[i] = c->open_t[c->nopen];
        if (strcmp(ev, "yield"))
            break;
        return;
    }
    if (strcmp(ev, "run") && strcmp(ev, "yield"))
        chrome_event(out, c, "i", has_tid ? tid : 0, t, ev, 0);
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
    coop_trace_reader *r = coop_trace_reader_new();
    int rc = 0;
    if (!line || !r) {
        snprintf(err, errlen, "%s: error: out of memory", in_name);
        rc = -1;
    }
    struct chrome c = { .first = true };
    if (!rc && fmt == COOP_TRACE_CHROME)
        fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", out);
    unsigned long lineno = 0;
    for (long n; !rc && (n = coop_trace_read_line(in, line)) != 0;) {
        lineno++;
        size_t col = COOP_TRACE_LINE_MAX + 1;
        const char *msg = "line too long";
        const coop_sim_event *e = NULL;
        if (n < 0 || coop_trace_parse(r, line, (size_t)n, &e, &col, &msg)) {
            snprintf(err, errlen, "%s:%lu:%zu: error: %s", in_name, lineno, col, msg);
            rc = -1;
        } else if (fmt == COOP_TRACE_JSONL) {
            fwrite(line, 1, (size_t)n, out);
        } else if (fmt == COOP_TRACE_TEXT) {
            coop_trace_write_text(out, e);
        } else {
            write_chrome(out, &c, e);
        }
    }
    if (!rc && ferror(in)) {
        snprintf(err, errlen, "%s: error: cannot read", in_name);
        rc = -1;
    }
    if (fmt == COOP_TRACE_CHROME && line && r)
        fputs("\n]}\n", out);
    free(line);
    coop_trace_reader_free(r);
    return rc;
}
