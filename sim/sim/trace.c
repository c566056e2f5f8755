/* Trace events: building them field by field, rendering them as JSON lines, hashing them, and keeping the last few. */
#include "sim/trace.h"

#include <stdlib.h>
#include <string.h>

#include "base/json.h"

void rec_begin(struct sim_rec *r, uint64_t t_ns, const char *ev)
{
    r->ev = (coop_sim_event){ .t_ns = t_ns, .ev = ev, .fields = r->f };
    r->cut = false;
}

static coop_sim_field *add(struct sim_rec *r, const char *key, coop_sim_ftype type)
{
    if (r->ev.nfields == COOP_SIM_MAX_FIELDS) {
        r->cut = true;
        return NULL;
    }
    coop_sim_field *f = &r->f[r->ev.nfields++];
    f->key = key;
    f->type = type;
    return f;
}

void rec_str(struct sim_rec *r, const char *key, const char *val)
{
    coop_sim_field *f = add(r, key, COOP_SIM_STR);
    if (f)
        f->v.str = val;
}

void rec_int(struct sim_rec *r, const char *key, int64_t val)
{
    coop_sim_field *f = add(r, key, COOP_SIM_INT);
    if (f)
        f->v.i = val;
}

void rec_uint(struct sim_rec *r, const char *key, uint64_t val)
{
    coop_sim_field *f = add(r, key, COOP_SIM_UINT);
    if (f)
        f->v.u = val;
}

void rec_bool(struct sim_rec *r, const char *key, bool val)
{
    coop_sim_field *f = add(r, key, COOP_SIM_BOOL);
    if (f)
        f->v.b = val;
}

/* The room kept at the end of a line for the truncation mark and the closing brace. */
#define TRUNC_MARK ",\"trunc\":true"
#define LINE_ROOM (COOP_SIM_LINE_MAX - sizeof(TRUNC_MARK) - 1)

/* A line being written: each append either fits whole before LINE_ROOM or fails and writes nothing. */
struct out {
    char *buf;
    size_t len;
};

static bool out_raw(struct out *o, const char *s, size_t n)
{
    if (n >= LINE_ROOM - o->len)
        return false;
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    return true;
}

static bool out_str(struct out *o, const char *s)
{
    size_t w = json_escape(o->buf + o->len, LINE_ROOM - o->len, s, strlen(s));
    if (w == SIZE_MAX)
        return false;
    o->len += w;
    return true;
}

/* Writes v in decimal at the end of buf[32] and returns where it starts: snprintf costs more than the rest of a field. */
static const char *decimal(char *buf, uint64_t v, bool neg)
{
    char *p = buf + 31;
    *p = '\0';
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (neg)
        *--p = '-';
    return p;
}

/* Appends `,"key":value` (without the comma for the first field), or nothing when it does not fit. */
static bool out_field(struct out *o, const coop_sim_field *f, bool first)
{
    size_t mark = o->len;
    char num[32];
    bool ok =
        (first || out_raw(o, ",", 1)) && out_raw(o, "\"", 1) && out_str(o, f->key) && out_raw(o, "\":", 2);
    switch (f->type) {
    case COOP_SIM_STR:
        ok = ok && (f->v.str ? out_raw(o, "\"", 1) && out_str(o, f->v.str) && out_raw(o, "\"", 1)
                             : out_raw(o, "null", 4));
        break;
    case COOP_SIM_INT: {
        /* The magnitude of INT64_MIN does not fit in int64_t, so it is taken in unsigned arithmetic. */
        uint64_t mag = f->v.i < 0 ? 0 - (uint64_t)f->v.i : (uint64_t)f->v.i;
        const char *d = decimal(num, mag, f->v.i < 0);
        ok = ok && out_raw(o, d, (size_t)(num + 31 - d));
        break;
    }
    case COOP_SIM_UINT: {
        const char *d = decimal(num, f->v.u, false);
        ok = ok && out_raw(o, d, (size_t)(num + 31 - d));
        break;
    }
    case COOP_SIM_BOOL:
        ok = ok && (f->v.b ? out_raw(o, "true", 4) : out_raw(o, "false", 5));
        break;
    }
    if (!ok)
        o->len = mark;
    return ok;
}

size_t trace_render(const coop_sim_event *e, bool cut, char *buf)
{
    struct out o = { buf, 0 };
    coop_sim_field head[2] = {
        { .key = "t_ns", .type = COOP_SIM_UINT, .v.u = e->t_ns },
        { .key = "ev", .type = COOP_SIM_STR, .v.str = e->ev },
    };
    buf[o.len++] = '{';
    for (size_t i = 0; !cut && i < 2 + e->nfields; i++)
        cut = !out_field(&o, i < 2 ? &head[i] : &e->fields[i - 2], i == 0);
    if (cut) {
        memcpy(buf + o.len, TRUNC_MARK, sizeof(TRUNC_MARK) - 1);
        o.len += sizeof(TRUNC_MARK) - 1;
    }
    buf[o.len++] = '}';
    buf[o.len] = '\0';
    return o.len;
}

int sim_trace_init(struct sim_trace *tr, const coop_sim_config *cfg)
{
    memset(tr, 0, sizeof(*tr));
    tr->hash = UINT64_C(14695981039346656037);
    tr->cap = cfg->trace_tail ? cfg->trace_tail : 1;
    tr->tail = calloc(tr->cap, COOP_SIM_LINE_MAX);
    tr->on_line = cfg->on_line;
    tr->line_ctx = cfg->on_line_ctx;
    tr->on_event = cfg->on_event;
    tr->event_ctx = cfg->on_event_ctx;
    return tr->tail ? 0 : -1;
}

void sim_trace_fini(struct sim_trace *tr)
{
    free(tr->tail);
    tr->tail = NULL;
}

static uint64_t fnv(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

void sim_trace_emit(struct sim_trace *tr, struct sim_rec *r)
{
    /* The line is rendered straight into its slot of the tail ring. */
    uint32_t slot = (tr->head + tr->n) % tr->cap;
    if (tr->n == tr->cap) {
        slot = tr->head;
        tr->head = (tr->head + 1) % tr->cap;
    } else {
        tr->n++;
    }
    char *line = tr->tail + (size_t)slot * COOP_SIM_LINE_MAX;
    size_t len = trace_render(&r->ev, r->cut, line);
    tr->hash = fnv(fnv(tr->hash, line, len), "\n", 1);
    r->ev.seq = tr->count++;
    r->ev.line = line;
    r->ev.len = len;
    if (tr->on_line)
        tr->on_line(tr->line_ctx, line, len);
    if (tr->on_event)
        tr->on_event(tr->event_ctx, &r->ev);
}

const char *sim_trace_tail(const struct sim_trace *tr, size_t i)
{
    if (i >= tr->n)
        return NULL;
    return tr->tail + (size_t)((tr->head + i) % tr->cap) * COOP_SIM_LINE_MAX;
}

const coop_sim_field *coop_sim_field_of(const coop_sim_event *e, const char *key)
{
    for (size_t i = 0; i < e->nfields; i++)
        if (strcmp(e->fields[i].key, key) == 0)
            return &e->fields[i];
    return NULL;
}

const char *coop_sim_field_str(const coop_sim_event *e, const char *key)
{
    const coop_sim_field *f = coop_sim_field_of(e, key);
    return f && f->type == COOP_SIM_STR ? f->v.str : NULL;
}

bool coop_sim_field_int(const coop_sim_event *e, const char *key, int64_t *out)
{
    const coop_sim_field *f = coop_sim_field_of(e, key);
    if (f && f->type == COOP_SIM_INT)
        *out = f->v.i;
    else if (f && f->type == COOP_SIM_UINT && f->v.u <= INT64_MAX)
        *out = (int64_t)f->v.u;
    else
        return false;
    return true;
}
