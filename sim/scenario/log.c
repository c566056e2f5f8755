/* The events of a scenario run, recorded with interned names, and patterns matched against them. */
#include "scenario/log.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "coop/trace-convert.h"

/* Pattern keys that name the event's own members rather than a field. */
#define KEY_EV (UINT32_MAX - 1)
#define KEY_T (UINT32_MAX - 2)
#define KEY_NONE UINT32_MAX

void scn_log_init(struct scn_log *log) { memset(log, 0, sizeof(*log)); }

void scn_log_fini(struct scn_log *log)
{
    free(log->ev);
    free(log->f);
    free(log->names);
    free(log->name_off);
    free(log->table);
    memset(log, 0, sizeof(*log));
}

static uint32_t hash_text(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

/* The table slot where text is, or the empty one where it would go. */
static size_t slot_of(const struct scn_log *log, const char *text, size_t n)
{
    size_t mask = log->table_cap - 1;
    for (size_t i = hash_text(text, n) & mask;; i = (i + 1) & mask) {
        uint32_t id = log->table[i];
        if (!id)
            return i;
        const char *name = scn_log_name(log, id - 1);
        if (!strncmp(name, text, n) && !name[n])
            return i;
    }
}

/* Doubles the table (or makes the first one) and files every name again. */
static bool rehash(struct scn_log *log)
{
    size_t cap = log->table_cap ? log->table_cap * 2 : 256;
    uint32_t *t = calloc(cap, sizeof(*t));
    if (!t)
        return false;
    free(log->table);
    log->table = t;
    log->table_cap = cap;
    for (size_t id = 0; id < log->nnames; id++) {
        const char *name = scn_log_name(log, (uint32_t)id);
        log->table[slot_of(log, name, strlen(name))] = (uint32_t)id + 1;
    }
    return true;
}

uint32_t scn_log_find(const struct scn_log *log, const char *text)
{
    if (!log->table_cap)
        return UINT32_MAX;
    uint32_t id = log->table[slot_of(log, text, strlen(text))];
    return id ? id - 1 : UINT32_MAX;
}

/* The id of text, added if new; UINT32_MAX when memory ran out. */
static uint32_t intern(struct scn_log *log, const char *text)
{
    size_t n = strlen(text);
    if ((log->nnames + 1) * 2 > log->table_cap && !rehash(log))
        return UINT32_MAX;
    size_t slot = slot_of(log, text, n);
    if (log->table[slot])
        return log->table[slot] - 1;
    coop_allocator a = coop_allocator_libc();
    if (log->nnames >= UINT32_MAX - 3 ||
        grow(a, (void **)&log->names, &log->names_cap, log->names_len + n + 1, 1, 4096) ||
        grow(a, (void **)&log->name_off, &log->name_cap, log->nnames + 1, sizeof(*log->name_off), 64))
        return UINT32_MAX;
    memcpy(log->names + log->names_len, text, n + 1);
    log->name_off[log->nnames] = log->names_len;
    log->names_len += n + 1;
    log->table[slot] = (uint32_t)++log->nnames;
    return (uint32_t)log->nnames - 1;
}

/*
 * Keys and kinds are the producer's string literals, and task names live
 * as long as their tasks: a pointer seen before maps to its id at once,
 * once the text is confirmed (a pointer may be reused for other text).
 */
static uint32_t intern_key(struct scn_log *log, const char *key)
{
    size_t h = ((uintptr_t)key >> 3) % (sizeof(log->hot) / sizeof(log->hot[0]));
    if (log->hot[h].p == key && !strcmp(scn_log_name(log, log->hot[h].id), key))
        return log->hot[h].id;
    uint32_t id = intern(log, key);
    if (id != UINT32_MAX) {
        log->hot[h].p = key;
        log->hot[h].id = id;
    }
    return id;
}

bool scn_log_add(struct scn_log *log, const coop_sim_event *e)
{
    coop_allocator a = coop_allocator_libc();
    if (log->n >= SCN_LOG_MAX) {
        log->dropped++;
        return false;
    }
    if (log->oom || grow(a, (void **)&log->ev, &log->cap, log->n + 1, sizeof(*log->ev), 1024) ||
        grow(a, (void **)&log->f, &log->fcap, log->nf + e->nfields, sizeof(*log->f), 4096)) {
        log->oom = true;
        return false;
    }
    struct scn_event *r = &log->ev[log->n];
    *r = (struct scn_event){
        .t_ns = e->t_ns, .ev = intern_key(log, e->ev), .n = (uint32_t)e->nfields, .first = log->nf
    };
    bool ok = r->ev != UINT32_MAX;
    for (size_t i = 0; ok && i < e->nfields; i++) {
        const coop_sim_field *src = &e->fields[i];
        struct scn_field *f = &log->f[log->nf + i];
        f->key = intern_key(log, src->key);
        f->type = (uint8_t)src->type;
        switch (src->type) {
        case COOP_SIM_STR:
            if (!src->v.str)
                f->type = SCN_NULL;
            else
                ok = (f->v.str = intern_key(log, src->v.str)) != UINT32_MAX;
            break;
        case COOP_SIM_INT:
            f->v.i = src->v.i;
            break;
        case COOP_SIM_UINT:
            f->v.u = src->v.u;
            break;
        case COOP_SIM_BOOL:
            f->v.b = src->v.b;
            break;
        }
        ok = ok && f->key != UINT32_MAX;
    }
    if (!ok) {
        log->oom = true;
        return false;
    }
    log->nf += e->nfields;
    log->n++;
    return true;
}

void scn_pattern_init(struct scn_pattern *p, const struct scn_log *log, const coop_scn_pair *pairs, int n)
{
    p->pairs = pairs;
    p->n = n;
    for (int k = 0; k < n; k++)
        p->key[k] = !strcmp(pairs[k].key, "ev")     ? KEY_EV
                    : !strcmp(pairs[k].key, "t_ns") ? KEY_T
                                                    : scn_log_find(log, pairs[k].key);
}

/* A '*' matches any run of characters; everything else matches itself. */
static bool glob(const char *pat, const char *s)
{
    const char *star = NULL, *back = NULL;
    while (*s) {
        if (*pat == '*') {
            star = pat++;
            back = s;
        } else if (*pat == *s) {
            pat++;
            s++;
        } else if (star) {
            pat = star + 1;
            s = ++back;
        } else {
            return false;
        }
    }
    while (*pat == '*')
        pat++;
    return !*pat;
}

/* Whether a value, written as text (integers in decimal, true, false, null), matches pat. */
static bool value_matches(const struct scn_log *log, const struct scn_field *f, const char *pat)
{
    char num[32];
    switch (f->type) {
    case COOP_SIM_STR:
        return glob(pat, scn_log_name(log, f->v.str));
    case COOP_SIM_INT:
        snprintf(num, sizeof(num), "%" PRId64, f->v.i);
        return glob(pat, num);
    case COOP_SIM_UINT:
        snprintf(num, sizeof(num), "%" PRIu64, f->v.u);
        return glob(pat, num);
    case COOP_SIM_BOOL:
        return glob(pat, f->v.b ? "true" : "false");
    default:
        return glob(pat, "null");
    }
}

bool scn_log_matches(const struct scn_log *log, size_t i, const struct scn_pattern *p)
{
    const struct scn_event *e = &log->ev[i];
    for (int k = 0; k < p->n; k++) {
        const char *pat = p->pairs[k].val;
        uint32_t key = p->key[k];
        if (key == KEY_EV) {
            if (!glob(pat, scn_log_name(log, e->ev)))
                return false;
            continue;
        }
        if (key == KEY_T) {
            struct scn_field t = { .type = COOP_SIM_UINT, .v.u = e->t_ns };
            if (!value_matches(log, &t, pat))
                return false;
            continue;
        }
        const struct scn_field *f = NULL;
        for (uint32_t j = 0; key != KEY_NONE && j < e->n && !f; j++)
            if (log->f[e->first + j].key == key)
                f = &log->f[e->first + j];
        if (!f || !value_matches(log, f, pat))
            return false;
    }
    return true;
}

void scn_log_write_text(const struct scn_log *log, size_t i, FILE *out)
{
    const struct scn_event *r = &log->ev[i];
    coop_sim_field fields[COOP_SIM_MAX_FIELDS];
    coop_sim_event e = { .seq = i, .t_ns = r->t_ns, .ev = scn_log_name(log, r->ev), .fields = fields };
    for (uint32_t j = 0; j < r->n && j < COOP_SIM_MAX_FIELDS; j++) {
        const struct scn_field *f = &log->f[r->first + j];
        coop_sim_field *o = &fields[e.nfields++];
        o->key = scn_log_name(log, f->key);
        o->type = f->type == SCN_NULL ? COOP_SIM_STR : (coop_sim_ftype)f->type;
        if (f->type == SCN_NULL)
            o->v.str = NULL;
        else if (f->type == COOP_SIM_STR)
            o->v.str = scn_log_name(log, f->v.str);
        else if (f->type == COOP_SIM_INT)
            o->v.i = f->v.i;
        else if (f->type == COOP_SIM_UINT)
            o->v.u = f->v.u;
        else
            o->v.b = f->v.b;
    }
    coop_trace_write_text(out, &e);
}
