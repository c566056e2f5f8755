/* Reading trace lines back: the trace's flat JSON objects, parsed strictly into events, with a column for every error. */
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/text.h"
#include "coop/trace-convert.h"

/*
 * What one parsed line refers to.  Keys and string values are unescaped
 * into text; the event and its fields point into it until the next parse.
 */
struct coop_trace_reader {
    coop_sim_event ev;
    coop_sim_field f[COOP_TRACE_MAX_FIELDS];
    char text[COOP_TRACE_LINE_MAX + 1];
};

struct parser {
    const char *s;
    size_t len, pos;
    coop_trace_reader *r;
    size_t used; /* bytes of r->text in use */
    const char *msg;
};

coop_trace_reader *coop_trace_reader_new(void) { return calloc(1, sizeof(coop_trace_reader)); }

void coop_trace_reader_free(coop_trace_reader *r) { free(r); }

static void skip_ws(struct parser *p)
{
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\r'))
        p->pos++;
}

static bool fail(struct parser *p, const char *msg)
{
    p->msg = msg;
    return false;
}

static bool put(struct parser *p, const char *s, size_t n)
{
    if (n >= sizeof(p->r->text) - p->used)
        return fail(p, "line too long");
    memcpy(p->r->text + p->used, s, n);
    p->used += n;
    return true;
}

/* Appends code point cp as UTF-8. */
static bool put_utf8(struct parser *p, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xc0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xe0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        b[0] = (char)(0xf0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return put(p, b, n);
}

/* Four hex digits of a \u escape. */
static bool hex4(struct parser *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = p->pos < p->len ? text_hexval((unsigned char)p->s[p->pos]) : -1;
        if (h < 0)
            return fail(p, "bad \\u escape");
        v = v * 16 + (uint32_t)h;
        p->pos++;
    }
    *out = v;
    return true;
}

/* A \u escape (after the u), with a surrogate pair joined into one code point. */
static bool parse_u(struct parser *p)
{
    uint32_t v;
    if (!hex4(p, &v))
        return false;
    if (v == 0)
        return fail(p, "\\u0000 is not allowed");
    if (v >= 0xdc00 && v <= 0xdfff)
        return fail(p, "a low surrogate without a high one");
    if (v >= 0xd800 && v <= 0xdbff) {
        uint32_t lo;
        if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
            return fail(p, "a high surrogate without a low one");
        p->pos += 2;
        if (!hex4(p, &lo))
            return false;
        if (lo < 0xdc00 || lo > 0xdfff)
            return fail(p, "a high surrogate without a low one");
        v = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
    }
    return put_utf8(p, v);
}

/* Reads a string at pos into r->text, NUL-terminated, and stores where it starts. */
static bool parse_string(struct parser *p, const char **out)
{
    if (p->pos >= p->len || p->s[p->pos] != '"')
        return fail(p, "expected a string");
    p->pos++;
    size_t start = p->used;
    while (p->pos < p->len && p->s[p->pos] != '"') {
        const unsigned char *c = (const unsigned char *)p->s + p->pos;
        if (*c < 0x20)
            return fail(p, "control character in a string");
        if (*c != '\\') {
            size_t n = utf8_seq_len(c, p->len - p->pos);
            if (!n)
                return fail(p, "invalid UTF-8 in a string");
            if (!put(p, p->s + p->pos, n))
                return false;
            p->pos += n;
            continue;
        }
        if (++p->pos >= p->len)
            return fail(p, "unfinished escape");
        char e = p->s[p->pos++];
        const char *simple = e ? strchr("\"\\/bfnrt", e) : NULL;
        if (simple) {
            if (!put(p, &"\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"], 1))
                return false;
        } else if (e == 'u') {
            if (!parse_u(p))
                return false;
        } else {
            return fail(p, "unknown escape");
        }
    }
    if (p->pos >= p->len)
        return fail(p, "unterminated string");
    p->pos++;
    if (!put(p, "", 1))
        return false;
    *out = p->r->text + start;
    return true;
}

/* An integer: a negative one is signed, any other unsigned. */
static bool parse_int(struct parser *p, coop_sim_field *f)
{
    bool neg = p->pos < p->len && p->s[p->pos] == '-';
    p->pos += neg;
    if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
        return fail(p, "expected a value");
    uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : UINT64_MAX;
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
        unsigned d = (unsigned)(p->s[p->pos++] - '0');
        if (v > (limit - d) / 10)
            return fail(p, "integer out of range");
        v = v * 10 + d;
    }
    if (p->pos < p->len && (p->s[p->pos] == '.' || p->s[p->pos] == 'e' || p->s[p->pos] == 'E'))
        return fail(p, "only integers are allowed");
    if (neg) {
        f->type = COOP_SIM_INT;
        f->v.i = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        f->type = COOP_SIM_UINT;
        f->v.u = v;
    }
    return true;
}

static bool word(struct parser *p, const char *w)
{
    size_t n = strlen(w);
    if (p->len - p->pos >= n && memcmp(p->s + p->pos, w, n) == 0) {
        p->pos += n;
        return true;
    }
    return false;
}

static bool parse_value(struct parser *p, coop_sim_field *f)
{
    if (p->pos < p->len && p->s[p->pos] == '"') {
        f->type = COOP_SIM_STR;
        return parse_string(p, &f->v.str);
    }
    if (word(p, "true") || word(p, "false")) {
        f->type = COOP_SIM_BOOL;
        f->v.b = p->s[p->pos - 4] == 't'; /* the "t" of "true"; "false" has an "a" there */
        return true;
    }
    if (word(p, "null")) {
        f->type = COOP_SIM_STR;
        f->v.str = NULL;
        return true;
    }
    if (p->pos < p->len && (p->s[p->pos] == '{' || p->s[p->pos] == '['))
        return fail(p, "nested values are not allowed");
    return parse_int(p, f);
}

/* The members of the object, after its '{'. */
static bool parse_members(struct parser *p, size_t *n)
{
    coop_trace_reader *r = p->r;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == '}') {
        p->pos++;
        return true;
    }
    for (;;) {
        if (*n == COOP_TRACE_MAX_FIELDS)
            return fail(p, "too many fields");
        coop_sim_field *f = &r->f[*n];
        skip_ws(p);
        if (!parse_string(p, &f->key))
            return false;
        for (size_t i = 0; i < *n; i++)
            if (strcmp(r->f[i].key, f->key) == 0)
                return fail(p, "duplicate key");
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos++] != ':')
            return fail(p, "expected ':'");
        skip_ws(p);
        if (!parse_value(p, f))
            return false;
        (*n)++;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == '}') {
            p->pos++;
            return true;
        }
        return fail(p, "expected ',' or '}'");
    }
}

/* Moves t_ns and ev out of the field list into the event, as the trace's first two fields. */
static bool lift_head(struct parser *p, size_t n)
{
    coop_trace_reader *r = p->r;
    r->ev = (coop_sim_event){ .fields = r->f };
    bool have_t = false;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const coop_sim_field *f = &r->f[i];
        if (!strcmp(f->key, "t_ns")) {
            if (f->type != COOP_SIM_UINT)
                return fail(p, "\"t_ns\" must be a non-negative integer");
            r->ev.t_ns = f->v.u;
            have_t = true;
        } else if (!strcmp(f->key, "ev")) {
            if (f->type != COOP_SIM_STR || !f->v.str)
                return fail(p, "\"ev\" must be a string");
            r->ev.ev = f->v.str;
        } else {
            r->f[k++] = *f;
        }
    }
    if (!have_t || !r->ev.ev)
        return fail(p, "a trace event needs \"t_ns\" and \"ev\"");
    r->ev.nfields = k;
    return true;
}

int coop_trace_parse(coop_trace_reader *r, const char *line, size_t len, const coop_sim_event **out,
                     size_t *col, const char **msg)
{
    struct parser p = { line, len, 0, r, 0, NULL };
    size_t n = 0;
    if (len > COOP_TRACE_LINE_MAX) {
        p.pos = COOP_TRACE_LINE_MAX;
        fail(&p, "line too long");
    } else {
        skip_ws(&p);
        bool ok = p.pos < len && line[p.pos] == '{' ? (p.pos++, true) : fail(&p, "expected '{'");
        ok = ok && parse_members(&p, &n);
        skip_ws(&p);
        if (ok && p.pos < len && line[p.pos] != '\n')
            ok = fail(&p, "text after the object");
        /* A missing or mistyped t_ns or ev is the object's fault as a whole: column 1. */
        if (ok && !lift_head(&p, n))
            p.pos = 0;
        else if (ok) {
            r->ev.line = line;
            r->ev.len = len && line[len - 1] == '\n' ? len - 1 : len;
            *out = &r->ev;
            return 0;
        }
    }
    *col = p.pos + 1;
    *msg = p.msg;
    return -1;
}
