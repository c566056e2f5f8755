/* The events of a scenario run, recorded in structured form for the expectations that look back over them. */
#ifndef COOP_SIM_SCN_LOG_H
#define COOP_SIM_SCN_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "coop/scenario.h"

/*
 * One field of a recorded event.  key is a name id; a string value is a
 * name id too, since task names, event kinds and reasons repeat on every
 * event and are stored once.  type is a coop_sim_ftype, or SCN_NULL.
 */
#define SCN_NULL 255
struct scn_field {
    uint32_t key;
    uint8_t type;
    union {
        int64_t i;
        uint64_t u;
        uint32_t str;
        bool b;
    } v;
};

/* One recorded event: its time, its kind (a name id), and its fields f[first..first + n). */
struct scn_event {
    uint64_t t_ns;
    uint32_t ev;
    uint32_t n;
    size_t first;
};

/*
 * Every event of a run, in trace order (event i is the trace's event i),
 * up to SCN_LOG_MAX of them: later ones are counted in `dropped` only.
 * Names are interned: names holds them NUL-terminated, name_off[id] says
 * where each starts, and an open-addressing table finds them by text.
 */
struct scn_log {
    struct scn_event *ev;
    size_t n, cap;
    struct scn_field *f;
    size_t nf, fcap;
    char *names;
    size_t names_len, names_cap;
    size_t *name_off;
    size_t nnames, name_cap;
    uint32_t *table; /* id + 1 per slot, 0 when empty; a power of two in size */
    size_t table_cap;
    /* Recently interned keys by the producer's pointer: a speed-up only, confirmed by the text. */
    struct {
        const char *p;
        uint32_t id;
    } hot[64];
    bool oom;         /* an event could not be stored; the run fails */
    uint64_t dropped; /* events past SCN_LOG_MAX, not stored */
};
/*
 * The run stops after COOP_SCN_MAX_EVENTS events; the expect and end
 * events that follow, and the rest of a step's events, still fit.
 */
#define SCN_LOG_MAX ((size_t)COOP_SCN_MAX_EVENTS + 65536)

void scn_log_init(struct scn_log *log);
void scn_log_fini(struct scn_log *log);
/* Records e as the next event; false (and oom set) when memory ran out. */
bool scn_log_add(struct scn_log *log, const coop_sim_event *e);
/* The text of a name id. */
static inline const char *scn_log_name(const struct scn_log *log, uint32_t id)
{
    return log->names + log->name_off[id];
}
/* The id of a name already recorded, or UINT32_MAX. */
uint32_t scn_log_find(const struct scn_log *log, const char *text);

/* A pattern compiled against a log: each key's id, looked up once. */
struct scn_pattern {
    const coop_scn_pair *pairs;
    int n;
    uint32_t key[COOP_SCN_MAX_PATTERN + 2];
};
void scn_pattern_init(struct scn_pattern *p, const struct scn_log *log, const coop_scn_pair *pairs, int n);
/* Whether event i has every key of the pattern with a value that matches ('*' matches any run). */
bool scn_log_matches(const struct scn_log *log, size_t i, const struct scn_pattern *p);

/* Writes event i in the trace's text form (one line). */
void scn_log_write_text(const struct scn_log *log, size_t i, FILE *out);

#endif
