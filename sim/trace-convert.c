/* Trace conversion: JSON lines in; JSON lines, the text form or Chrome trace events out. */
#include "coop/trace-convert.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"

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

static bool is_core_field(const char *key)
{
    return !strcmp(key, "t_ns") || !strcmp(key, "ev") || !strcmp(key, "task") || !strcmp(key, "tid");
}

/* "   1.500000000 s  bartask#1  run  call=Wait" */
static void write_text(FILE *out, const struct jsonl_obj *o)
{
    int64_t t = 0, tid = 0;
    jsonl_int(o, "t_ns", &t);
    const char *task = jsonl_str(o, "task");
    char who[96] = "-";
    if (jsonl_int(o, "tid", &tid))
        snprintf(who, sizeof(who), "%s#%" PRId64, task ? task : "?", tid);
    const char *ev = jsonl_str(o, "ev");
    fprintf(out, "%6" PRId64 ".%09" PRId64 " s  %-20s %-7s", t / 1000000000, t % 1000000000, who,
            ev ? ev : "?");
    for (int i = 0; i < o->n; i++) {
        const struct jsonl_field *f = &o->f[i];
        if (is_core_field(f->key))
            continue;
        switch (f->type) {
        case JSONL_STR:
            fprintf(out, strpbrk(f->str, " \t=") ? " %s=\"%s\"" : " %s=%s", f->key, f->str);
            break;
        case JSONL_INT:
            fprintf(out, " %s=%" PRId64, f->key, f->num);
            break;
        case JSONL_BOOL:
            fprintf(out, " %s=%s", f->key, f->num ? "true" : "false");
            break;
        case JSONL_NULL:
            fprintf(out, " %s=null", f->key);
            break;
        }
    }
    fputc('\n', out);
}

static void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

/* Chrome trace events: the open step of each task, so that the event ending it can close the slice. */
struct chrome {
    bool first;
    int64_t open_tid[64]; /* tids with an open slice... kept small: steps never nest */
    int64_t open_t[64];
    int nopen;
};

static void chrome_event(FILE *out, struct chrome *c, const char *ph, int64_t tid, int64_t t_ns,
                         const char *name, int64_t dur_ns)
{
    fputs(c->first ? "\n" : ",\n", out);
    c->first = false;
    fprintf(out,
            "{\"ph\":\"%s\",\"pid\":1,\"tid\":%" PRId64 ",\"ts\":%" PRId64 ".%03" PRId64 ",\"name\":", ph,
            tid, t_ns / 1000, t_ns % 1000);
    json_string(out, name);
    if (ph[0] == 'X')
        fprintf(out, ",\"dur\":%" PRId64 ".%03" PRId64, dur_ns / 1000, dur_ns % 1000);
    if (ph[0] == 'i')
        fputs(",\"s\":\"t\"", out);
    fputc('}', out);
}

static void write_chrome(FILE *out, struct chrome *c, const struct jsonl_obj *o)
{
    int64_t t = 0, tid = 0;
    jsonl_int(o, "t_ns", &t);
    bool has_tid = jsonl_int(o, "tid", &tid);
    const char *ev = jsonl_str(o, "ev");
    if (!ev)
        return;
    if (!strcmp(ev, "spawn") && has_tid) {
        const char *task = jsonl_str(o, "task");
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
        const char *call = jsonl_str(o, "call");
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

int coop_trace_convert(FILE *in, const char *in_name, FILE *out, coop_trace_format fmt, char *err,
                       size_t errlen)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long lineno = 0;
    /* Not static: explore converts traces on several threads at once. */
    struct jsonl_obj *objp = malloc(sizeof(*objp));
    if (!objp) {
        snprintf(err, errlen, "%s: error: out of memory", in_name);
        return -1;
    }

    struct chrome c = { .first = true };
    int rc = 0;
    if (fmt == COOP_TRACE_CHROME)
        fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", out);
    while ((n = getline(&line, &cap, in)) > 0) {
        lineno++;
        size_t col = 1;
        const char *msg = NULL;
        if (jsonl_parse(line, (size_t)n, objp, &col, &msg) == 0 &&
            (!jsonl_str(objp, "ev") || !jsonl_get(objp, "t_ns")))
            msg = "a trace event needs \"t_ns\" and \"ev\"";
        if (msg) {
            snprintf(err, errlen, "%s:%lu:%zu: error: %s", in_name, lineno, col, msg);
            rc = -1;
            break;
        }
        if (fmt == COOP_TRACE_JSONL)
            fwrite(line, 1, (size_t)n, out);
        else if (fmt == COOP_TRACE_TEXT)
            write_text(out, objp);
        else
            write_chrome(out, &c, objp);
    }
    if (fmt == COOP_TRACE_CHROME)
        fputs("\n]}\n", out);
    free(line);
    free(objp);
    return rc;
}
