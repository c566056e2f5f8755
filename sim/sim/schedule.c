/* Schedules as compact text: writing and reading the choices a run took. */
#include "sim/schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends c at *at when it fits, and counts it either way. */
static void put(char *buf, size_t len, size_t *at, char c)
{
    if (*at + 1 < len)
        buf[*at] = c;
    (*at)++;
}

size_t sim_schedule_format(const uint8_t *v, size_t n, char *buf, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t at = 0;
    /* Trailing zeros are the default and say nothing. */
    while (n && v[n - 1] == 0)
        n--;
    if (n == 0)
        put(buf, len, &at, '0');
    for (size_t i = 0; i < n;) {
        size_t run = 0;
        while (i + run < n && v[i + run] == 0)
            run++;
        if (run >= 4) {
            char num[24];
            int k = snprintf(num, sizeof(num), "x%zu.", run);
            for (int j = 0; j < k; j++)
                put(buf, len, &at, num[j]);
            i += run;
        } else {
            put(buf, len, &at, hex[v[i] & 15]);
            i++;
        }
    }
    if (len)
        buf[at < len ? at : len - 1] = '\0';
    return at;
}

int sim_schedule_parse(const char *text, uint8_t **out, size_t *n)
{
    size_t cap = 16, k = 0;
    uint8_t *v = malloc(cap);
    if (!v)
        return -1;
    for (const char *p = text; *p;) {
        size_t add = 1;
        uint8_t c = 0;
        if (*p == 'x') {
            char *end;
            unsigned long long r = strtoull(p + 1, &end, 10);
            if (end == p + 1 || *end != '.' || r > 1000000)
                goto bad;
            add = (size_t)r;
            p = end + 1;
        } else if (*p >= '0' && *p <= '9') {
            c = (uint8_t)(*p++ - '0');
        } else if (*p >= 'a' && *p <= 'f') {
            c = (uint8_t)(*p++ - 'a' + 10);
        } else {
            goto bad;
        }
        if (k + add > cap) {
            while (k + add > cap)
                cap *= 2;
            uint8_t *nv = realloc(v, cap);
            if (!nv)
                goto bad;
            v = nv;
        }
        memset(v + k, c, add);
        k += add;
    }
    *out = v;
    *n = k;
    return 0;
bad:
    free(v);
    return -1;
}

size_t sim_schedule_format_full(const uint8_t *ties, size_t nt, const uint8_t *faults, size_t nf, char *buf,
                                size_t len)
{
    size_t at = sim_schedule_format(ties, nt, buf, len);
    if (nf == 0)
        return at;
    put(buf, len, &at, '/');
    size_t rest = at < len ? len - at : 0;
    at += sim_schedule_format(faults, nf, rest ? buf + at : NULL, rest);
    if (len)
        buf[at < len ? at : len - 1] = '\0';
    return at;
}

int sim_schedule_parse_full(const char *text, uint8_t **ties, size_t *nt, uint8_t **faults, size_t *nf,
                            bool *has_faults)
{
    const char *slash = strchr(text, '/');
    *faults = NULL;
    *nf = 0;
    *has_faults = slash != NULL;
    if (!slash)
        return sim_schedule_parse(text, ties, nt);
    size_t hn = (size_t)(slash - text);
    char *head = malloc(hn + 1);
    if (!head)
        return -1;
    memcpy(head, text, hn);
    head[hn] = '\0';
    /* Both parts are needed: "/1" and "1/" are malformed, as is a second "/" or a decision above 1. */
    int rc = *head && slash[1] ? sim_schedule_parse(head, ties, nt) : -1;
    free(head);
    if (rc)
        return -1;
    if (sim_schedule_parse(slash + 1, faults, nf)) {
        free(*ties);
        return -1;
    }
    for (size_t i = 0; i < *nf; i++)
        if ((*faults)[i] > 1) {
            free(*ties);
            free(*faults);
            *faults = NULL;
            return -1;
        }
    return 0;
}
