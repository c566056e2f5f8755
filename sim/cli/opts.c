/* Reading the command line: strict numbers and durations, unknown options with a suggestion, and times as printed. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_parse_u64(const char *s, uint64_t *out)
{
    /* Digits only: strtoull would take a sign or leading space, and clamp what overflows. */
    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno == ERANGE)
        return -1;
    *out = v;
    return 0;
}

int cli_parse_duration(const char *s, uint64_t *out)
{
    static const struct {
        const char *name;
        uint64_t ns;
    } units[] = { { "ns", 1 },         { "us", 1000 },       { "ms", 1000000 },
                  { "s", 1000000000 }, { "m", 60000000000 }, { "h", 3600000000000 } };
    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long whole = strtoull(s, &end, 10);
    if (errno == ERANGE)
        return -1;
    uint64_t frac = 0, scale = 1;
    if (*end == '.') {
        if (end[1] < '0' || end[1] > '9')
            return -1;
        for (end++; *end >= '0' && *end <= '9'; end++) {
            if (scale < 1000000000u) {
                frac = frac * 10 + (uint64_t)(*end - '0');
                scale *= 10;
            }
        }
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].name) != 0)
            continue;
        uint64_t unit = units[i].ns;
        if (whole > UINT64_MAX / unit)
            return -1;
        uint64_t part = unit / scale * frac;
        if (whole * unit > UINT64_MAX - part)
            return -1;
        *out = whole * unit + part;
        return 0;
    }
    return -1;
}

/* The edit distance of a and b, both short; larger than any bound of interest when they are long. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40)
        return 99;
    size_t row[41];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *cli_suggest(const char *word, const char *const *names, size_t n)
{
    const char *best = NULL;
    size_t best_d = 0;
    size_t bound = strlen(word) / 3 + 1;
    if (bound > 3)
        bound = 3;
    for (size_t i = 0; i < n; i++) {
        size_t d = distance(word, names[i]);
        if (d <= bound && (!best || d < best_d)) {
            best = names[i];
            best_d = d;
        }
    }
    return best;
}

void cli_bad_option(const char *cmd, int ch, int optopt_, const char *arg, const struct option *longs)
{
    if (ch == ':') {
        fprintf(stderr, "coop %s: error: option '%s' needs a value\n", cmd, arg);
        return;
    }
    if (arg[0] == '-' && arg[1] != '-') {
        fprintf(stderr, "coop %s: error: unknown option '-%c'\n", cmd, optopt_ ? optopt_ : arg[1]);
        return;
    }
    /* "--name=value" or "--name": the name is what may be mistyped. */
    char name[64];
    const char *s = arg + 2;
    size_t len = strcspn(s, "=");
    if (len >= sizeof(name))
        len = sizeof(name) - 1;
    memcpy(name, s, len);
    name[len] = '\0';
    const char *names[64];
    size_t n = 0;
    bool known = false;
    for (const struct option *o = longs; o->name && n < 64; o++) {
        names[n++] = o->name;
        known |= !strcmp(o->name, name);
    }
    if (known) {
        fprintf(stderr, "coop %s: error: option '--%s' takes no value\n", cmd, name);
        return;
    }
    /* getopt_long takes an unambiguous prefix; one that fits several names lands here. */
    size_t fits = 0;
    for (size_t i = 0; i < n; i++)
        fits += len && !strncmp(names[i], name, len);
    if (fits > 1) {
        fprintf(stderr, "coop %s: error: option '--%s' is ambiguous:", cmd, name);
        for (size_t i = 0; i < n; i++)
            if (!strncmp(names[i], name, len))
                fprintf(stderr, " --%s", names[i]);
        fputc('\n', stderr);
        return;
    }
    const char *near = cli_suggest(name, names, n);
    if (near)
        fprintf(stderr, "coop %s: error: unknown option '--%s' (did you mean '--%s'?)\n", cmd, name, near);
    else
        fprintf(stderr, "coop %s: error: unknown option '--%s' (`coop help %s` lists them)\n", cmd, name,
                cmd);
}

const char *cli_one_scenario(const char *cmd, int argc, char **argv, const char *help)
{
    if (optind == argc) {
        fprintf(stderr, "coop %s: error: no scenario given\n\n%s", cmd, help);
        return NULL;
    }
    if (optind + 1 < argc) {
        fprintf(stderr, "coop %s: error: one scenario at a time\n", cmd);
        return NULL;
    }
    return argv[optind];
}

void cli_format_wall(uint64_t ns, char *buf, size_t len)
{
    /*
     * Rounded for a person, in the units the scenario language writes:
     * "250us", "12ms", "1.5s", then minutes and hours past 100 s.
     */
    if (ns < 1000000u) {
        snprintf(buf, len, "%" PRIu64 "us", (ns + 500u) / 1000u);
    } else if (ns < 1000000000u) {
        snprintf(buf, len, "%" PRIu64 "ms", (ns + 500000u) / 1000000u);
    } else if (ns < 100 * UINT64_C(1000000000)) {
        uint64_t ms = (ns + 500000u) / 1000000u;
        int n = snprintf(buf, len, "%" PRIu64 ".%03" PRIu64, ms / 1000u, ms % 1000u);
        /* "1.500" is written "1.5", and "2.000" "2". */
        while (n > 0 && (size_t)n < len && buf[n - 1] == '0')
            buf[--n] = '\0';
        if (n > 0 && (size_t)n < len && buf[n - 1] == '.')
            buf[--n] = '\0';
        if ((size_t)n + 1 < len) {
            buf[n] = 's';
            buf[n + 1] = '\0';
        }
    } else {
        uint64_t s = (ns + 500000000u) / 1000000000u;
        if (s < 3600)
            snprintf(buf, len, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
        else
            snprintf(buf, len, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s % 3600 / 60);
    }
}
