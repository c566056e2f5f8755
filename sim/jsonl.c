/* Parsing the trace's flat JSON objects, strictly, with a column for every error. */
#include "jsonl.h"

#include <string.h>

struct parser {
    const char *s;
    size_t len, pos;
    struct jsonl_obj *o;
    size_t used; /* bytes of o->text in use */
    const char *msg;
};

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

static bool put(struct parser *p, char c)
{
    if (p->used + 1 >= sizeof(p->o->text))
        return fail(p, "line too long");
    p->o->text[p->used++] = c;
    return true;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads a string at pos into o->text and stores where it starts; \u escapes above 0x7f become UTF-8. */
static bool parse_string(struct parser *p, const char **out)
{
    if (p->pos >= p->len || p->s[p->pos] != '"')
        return fail(p, "expected a string");
    p->pos++;
    *out = p->o->text + p->used;
    while (p->pos < p->len && p->s[p->pos] != '"') {
        unsigned char c = (unsigned char)p->s[p->pos++];
        if (c < 0x20)
            return fail(p, "control character in a string");
        if (c != '\\') {
            if (!put(p, (char)c))
                return false;
            continue;
        }
        if (p->pos >= p->len)
            return fail(p, "unfinished escape");
        char e = p->s[p->pos++];
        const char *simple = strchr("\"\\/bfnrt", e);
        if (simple && e) {
            static const char map[] = "\"\\/\b\f\n\r\t";
            if (!put(p, map[simple - "\"\\/bfnrt"]))
                return false;
        } else if (e == 'u') {
            unsigned v = 0;
            for (int i = 0; i < 4; i++) {
                int h = p->pos < p->len ? hexval(p->s[p->pos]) : -1;
                if (h < 0)
                    return fail(p, "bad \\u escape");
                v = v * 16 + (unsigned)h;
                p->pos++;
            }
            if (v == 0)
                return fail(p, "\\u0000 is not allowed");
            if (v < 0x80) {
                if (!put(p, (char)v))
                    return false;
            } else if (v < 0x800) {
                if (!put(p, (char)(0xc0 | (v >> 6))) || !put(p, (char)(0x80 | (v & 0x3f))))
                    return false;
            } else if (!put(p, (char)(0xe0 | (v >> 12))) || !put(p, (char)(0x80 | ((v >> 6) & 0x3f))) ||
                       !put(p, (char)(0x80 | (v & 0x3f)))) {
                return false;
            }
        } else {
            return fail(p, "unknown escape");
        }
    }
    if (p->pos >= p->len)
        return fail(p, "unterminated string");
    p->pos++;
    return put(p, '\0');
}

static bool parse_int(struct parser *p, int64_t *out)
{
    bool neg = false;
    if (p->pos < p->len && p->s[p->pos] == '-') {
        neg = true;
        p->pos++;
    }
    if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
        return fail(p, "expected a value");
    uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
        unsigned d = (unsigned)(p->s[p->pos++] - '0');
        if (v > (limit - d) / 10)
            return fail(p, "integer out of range");
        v = v * 10 + d;
    }
    if (p->pos < p->len && (p->s[p->pos] == '.' || p->s[p->pos] == 'e' || p->s[p->pos] == 'E'))
        return fail(p, "only integers are allowed");
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
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

static bool parse_value(struct parser *p, struct jsonl_field *f)
{
    if (p->pos < p->len && p->s[p->pos] == '"') {
        f->type = JSONL_STR;
        return parse_string(p, &f->str);
    }
    if (word(p, "true") || word(p, "false")) {
        f->type = JSONL_BOOL;
        f->num = p->s[p->pos - 4] == 't'; /* "true" is four letters long, "false" five */
        return true;
    }
    if (word(p, "null")) {
        f->type = JSONL_NULL;
        return true;
    }
    if (p->pos < p->len && (p->s[p->pos] == '{' || p->s[p->pos] == '['))
        return fail(p, "nested values are not allowed");
    f->type = JSONL_INT;
    return parse_int(p, &f->num);
}

int jsonl_parse(const char *line, size_t len, struct jsonl_obj *o, size_t *col, const char **msg)
{
    struct parser p = { line, len, 0, o, 0, NULL };
    o->n = 0;
    skip_ws(&p);
    bool ok = p.pos < len && line[p.pos] == '{';
    if (!ok)
        fail(&p, "expected '{'");
    else
        p.pos++;
    skip_ws(&p);
    if (ok && p.pos < len && line[p.pos] == '}') {
        p.pos++;
    } else {
        while (ok) {
            if (o->n == JSONL_MAX_FIELDS) {
                ok = fail(&p, "too many fields");
                break;
            }
            struct jsonl_field *f = &o->f[o->n];
            skip_ws(&p);
            ok = parse_string(&p, &f->key);
            if (!ok)
                break;
            for (int i = 0; i < o->n; i++)
                if (strcmp(o->f[i].key, f->key) == 0)
                    ok = fail(&p, "duplicate key");
            skip_ws(&p);
            if (ok && (p.pos >= len || line[p.pos++] != ':'))
                ok = fail(&p, "expected ':'");
            skip_ws(&p);
            ok = ok && parse_value(&p, f);
            if (!ok)
                break;
            o->n++;
            skip_ws(&p);
            if (p.pos < len && line[p.pos] == ',') {
                p.pos++;
                continue;
            }
            if (p.pos < len && line[p.pos] == '}') {
                p.pos++;
                break;
            }
            ok = fail(&p, "expected ',' or '}'");
        }
    }
    skip_ws(&p);
    if (ok && p.pos < len && line[p.pos] != '\n')
        ok = fail(&p, "text after the object");
    if (ok)
        return 0;
    *col = p.pos + 1;
    *msg = p.msg;
    return -1;
}

const struct jsonl_field *jsonl_get(const struct jsonl_obj *o, const char *key)
{
    for (int i = 0; i < o->n; i++)
        if (strcmp(o->f[i].key, key) == 0)
            return &o->f[i];
    return NULL;
}

const char *jsonl_str(const struct jsonl_obj *o, const char *key)
{
    const struct jsonl_field *f = jsonl_get(o, key);
    return f && f->type == JSONL_STR ? f->str : NULL;
}

bool jsonl_int(const struct jsonl_obj *o, const char *key, int64_t *out)
{
    const struct jsonl_field *f = jsonl_get(o, key);
    if (!f || f->type != JSONL_INT)
        return false;
    *out = f->num;
    return true;
}
