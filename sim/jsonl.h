/* A reader for the trace's JSON lines: one flat object per line, values that are strings, integers or booleans. */
#ifndef COOP_SIM_JSONL_H
#define COOP_SIM_JSONL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSONL_MAX_FIELDS 24
#define JSONL_MAX_STR 512

/*
 * One parsed line.  Only the trace's own shape is accepted: an object of
 * unique keys whose values are strings, integers, true, false or null,
 * without nesting.  Strings are unescaped into `text`.  Anything else is
 * an error with the column where it was found, so a damaged or foreign
 * file is reported, never guessed at.
 */
struct jsonl_field {
    const char *key;
    enum { JSONL_STR, JSONL_INT, JSONL_BOOL, JSONL_NULL } type;
    const char *str; /* JSONL_STR */
    int64_t num;     /* JSONL_INT, JSONL_BOOL (0 or 1) */
};

struct jsonl_obj {
    struct jsonl_field f[JSONL_MAX_FIELDS];
    int n;
    char text[JSONL_MAX_STR * 4]; /* unescaped keys and strings */
};

/* Parses line[0..len); returns 0, or -1 with *col (1-based) and *msg set. */
int jsonl_parse(const char *line, size_t len, struct jsonl_obj *o, size_t *col, const char **msg);
const struct jsonl_field *jsonl_get(const struct jsonl_obj *o, const char *key);
const char *jsonl_str(const struct jsonl_obj *o, const char *key); /* NULL if absent or not a string */
bool jsonl_int(const struct jsonl_obj *o, const char *key, int64_t *out);

#endif
