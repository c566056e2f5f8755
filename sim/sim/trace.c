/* Trace lines: building JSON objects field by field, hashing them, and keeping the last few. */
#include "sim/trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(struct sim_line *l, const char *s, size_t n)
{
    if (l->full)
        return;
    /* Keep room for the closing brace and the truncation marker. */
    if (l->len + n + 16 >= sizeof(l->buf)) {
        l->full = true;
        return;
    }
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void puts_(struct sim_line *l, const char *s) { put(l, s, strlen(s)); }

static void put_key(struct sim_line *l, const char *key)
{
    put(l, ",\"", 2);
    puts_(l, key);
    put(l, "\":", 2);
}

/* JSON string escaping: quotes, backslashes and control bytes; other bytes pass through. */
static void put_string(struct sim_line *l, const char *s)
{
    put(l, "\"", 1);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(l, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            put(l, esc, 6);
        } else {
            put(l, (const char *)&c, 1);
        }
    }
    put(l, "\"", 1);
}

void sim_line_begin(struct sim_line *l, uint64_t t_ns, const char *ev)
{
    l->len = 0;
    l->full = false;
    char num[32];
    snprintf(num, sizeof(num), "{\"t_ns\":%llu", (unsigned long long)t_ns);
    puts_(l, num);
    put_key(l, "ev");
    put_string(l, ev);
}

void sim_line_str(struct sim_line *l, const char *key, const char *val)
{
    put_key(l, key);
    if (val)
        put_string(l, val);
    else
        puts_(l, "null");
}

void sim_line_int(struct sim_line *l, const char *key, int64_t val)
{
    char num[32];
    snprintf(num, sizeof(num), "%lld", (long long)val);
    put_key(l, key);
    puts_(l, num);
}

void sim_line_uint(struct sim_line *l, const char *key, uint64_t val)
{
    char num[32];
    snprintf(num, sizeof(num), "%llu", (unsigned long long)val);
    put_key(l, key);
    puts_(l, num);
}

void sim_line_bool(struct sim_line *l, const char *key, bool val)
{
    put_key(l, key);
    puts_(l, val ? "true" : "false");
}

void sim_line_raw(struct sim_line *l, const char *fields)
{
    if (fields && *fields) {
        put(l, ",", 1);
        puts_(l, fields);
    }
}

void sim_line_end(struct sim_line *l)
{
    if (l->full) {
        const char *mark = ",\"trunc\":true";
        memcpy(l->buf + l->len, mark, strlen(mark));
        l->len += strlen(mark);
    }
    l->buf[l->len++] = '}';
    l->buf[l->len] = '\0';
}

int sim_trace_init(struct sim_trace *tr, uint32_t tail, coop_sim_line_fn sink, void *ctx)
{
    memset(tr, 0, sizeof(*tr));
    tr->hash = UINT64_C(14695981039346656037);
    tr->cap = tail ? tail : 1;
    tr->tail = calloc(tr->cap, COOP_SIM_LINE_MAX);
    tr->sink = sink;
    tr->sink_ctx = ctx;
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

void sim_trace_emit(struct sim_trace *tr, const struct sim_line *l)
{
    tr->hash = fnv(fnv(tr->hash, l->buf, l->len), "\n", 1);
    tr->count++;
    uint32_t slot = (tr->head + tr->n) % tr->cap;
    if (tr->n == tr->cap) {
        slot = tr->head;
        tr->head = (tr->head + 1) % tr->cap;
    } else {
        tr->n++;
    }
    memcpy(tr->tail + (size_t)slot * COOP_SIM_LINE_MAX, l->buf, l->len + 1);
    if (tr->sink)
        tr->sink(tr->sink_ctx, l->buf, l->len);
}

const char *sim_trace_tail(const struct sim_trace *tr, size_t i)
{
    if (i >= tr->n)
        return NULL;
    return tr->tail + (size_t)((tr->head + i) % tr->cap) * COOP_SIM_LINE_MAX;
}
