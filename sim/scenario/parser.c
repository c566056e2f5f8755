/* The scenario parser: settings, injections and expectations, line by line, with exact error positions. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "base/text.h"
#include "coop/net.h"
#include "coop/strategy.h"
#include "scenario/scn.h"

/* The settings, each allowed once; their index in coop_scenario.setting_line. */
enum setting {
    SET_PROGRAM,
    SET_SEED,
    SET_TIME_LIMIT,
    SET_STEP_LIMIT,
    SET_STEP_COST,
    SET_PROFILE,
    SET_START,
    SET_FAULTS,
    SET_FAULT_RATE,
    SET_TIES,
    SET_TICK32,
    SET_STOP_ON_ERROR,
    SET_BUSY_LIMIT,
    SET_RUN_UNTIL,
    SET_LINK,
    SET_BUFFERS,
    SET_FAULT_PEERS,
    SET_NODE, /* may appear once per node; its slot holds the first */
    SET_SCHEDULE,
    SET__COUNT
};
_Static_assert(SET__COUNT <= 24, "coop_scenario.setting_line holds 24 settings");

static const char *const setting_names[SET__COUNT] = {
    "program", "seed",       "time-limit",  "step-limit", "step-cost",     "profile",    "start",
    "faults",  "fault-rate", "ties",        "tick32",     "stop-on-error", "busy-limit", "run-until",
    "link",    "buffers",    "fault-peers", "node",       "schedule",
};

/* The parser's state while it walks the file. */
struct parser {
    coop_scenario *scn;
    bool has_node_lines; /* the nodes come from `node` lines rather than `program` */
    struct scn_err err;
    unsigned lineno;
    uint64_t anchor_ns; /* the time relative times count from */
    size_t total_bytes; /* of every send and recv so far, at most COOP_SCN_MAX_TOTAL */
    struct scn_toks toks;
};

#define FAIL_AT(p, tok, hint, ...) (scn_error(&(p)->err, (p)->lineno, (tok)->col, (hint), __VA_ARGS__), -1)

void coop_scn_format_time(uint64_t ns, char *buf, size_t len)
{
    if (ns % 1000000000 == 0)
        snprintf(buf, len, "%llus", (unsigned long long)(ns / 1000000000));
    else if (ns % 1000000 == 0)
        snprintf(buf, len, "%llums", (unsigned long long)(ns / 1000000));
    else if (ns % 1000 == 0)
        snprintf(buf, len, "%lluus", (unsigned long long)(ns / 1000));
    else
        snprintf(buf, len, "%lluns", (unsigned long long)ns);
}

/* ---- Pieces of a line ---- */

static bool is_word(const struct scn_tok *t, const char *w)
{
    return t->kind == SCN_WORD && !strcmp(t->text, w);
}

static int want_word(struct parser *p, int i, const char *what)
{
    if (i >= p->toks.n) {
        const struct scn_tok *last = &p->toks.t[p->toks.n - 1];
        scn_error(&p->err, p->lineno, last->col + (unsigned)strlen(last->text ? last->text : ""), NULL,
                  "missing %s", what);
        return -1;
    }
    if (p->toks.t[i].kind != SCN_WORD)
        return FAIL_AT(p, &p->toks.t[i], NULL, "expected %s, found a string", what);
    return 0;
}

static int no_more(struct parser *p, int i)
{
    if (i < p->toks.n)
        return FAIL_AT(p, &p->toks.t[i], "a comment starts with '#'", "unexpected '%s'",
                       p->toks.t[i].kind == SCN_WORD ? p->toks.t[i].text : "string");
    return 0;
}

static int parse_count(struct parser *p, int i, const char *what, int64_t lo, int64_t hi, int64_t *out)
{
    if (want_word(p, i, what))
        return -1;
    int64_t v;
    if (scn_parse_int(p->toks.t[i].text, lo < 0, &v) || v < lo || v > hi)
        return FAIL_AT(p, &p->toks.t[i], NULL, "%s must be an integer from %lld to %lld", what, (long long)lo,
                       (long long)hi);
    *out = v;
    return 0;
}

static int parse_dur(struct parser *p, int i, const char *what, uint64_t *out)
{
    if (want_word(p, i, what))
        return -1;
    if (scn_parse_duration(p->toks.t[i].text, out))
        return FAIL_AT(p, &p->toks.t[i], "a duration is a number with a unit: 10ns, 5us, 250ms, 1.5s, 2m, 1h",
                       "bad duration '%s'", p->toks.t[i].text);
    return 0;
}

static int parse_onoff(struct parser *p, int i, bool *out)
{
    if (want_word(p, i, "on or off"))
        return -1;
    if (is_word(&p->toks.t[i], "on"))
        *out = true;
    else if (is_word(&p->toks.t[i], "off"))
        *out = false;
    else
        return FAIL_AT(p, &p->toks.t[i], NULL, "expected on or off, found '%s'", p->toks.t[i].text);
    return 0;
}

/* A new peer entry; its name is copied.  Returns its index, or -1 with an error. */
static int add_peer(struct parser *p, const struct scn_tok *t, coop_scn_peer peer)
{
    coop_scenario *scn = p->scn;
    if (scn->npeers == COOP_SCN_MAX_PEERS)
        return FAIL_AT(p, t, NULL, "more than %d peers", COOP_SCN_MAX_PEERS);
    coop_scn_peer copy = peer;
    copy.name = text_dup(t->text);
    copy.addr = peer.addr ? text_dup(peer.addr) : NULL;
    if (!copy.name || (peer.addr && !copy.addr)) {
        free(copy.name);
        free(copy.addr);
        return FAIL_AT(p, t, NULL, "out of memory");
    }
    scn->peers[scn->npeers] = copy;
    return scn->npeers++;
}

static int lookup_peer(const coop_scenario *scn, const char *name)
{
    for (int k = 0; k < scn->npeers; k++)
        if (!strcmp(scn->peers[k].name, name))
            return k;
    return -1;
}

/*
 * A peer named at token i: one declared by its connect or listen line,
 * or NAME.N for the N-th connection (N from 2) that the scripted server
 * whose first one is NAME accepts.
 */
static int find_peer(struct parser *p, int i)
{
    if (want_word(p, i, "a peer name"))
        return -1;
    const struct scn_tok *t = &p->toks.t[i];
    const char *name = t->text;
    int k = lookup_peer(p->scn, name);
    if (k >= 0)
        return k;
    const char *dot = strrchr(name, '.');
    if (dot && dot > name) {
        char base[COOP_SCN_MAX_LINE];
        snprintf(base, sizeof(base), "%.*s", (int)(dot - name), name);
        int b = lookup_peer(p->scn, base);
        int64_t n;
        if (b >= 0 && p->scn->peers[b].accepted && p->scn->peers[b].n == 1 &&
            !scn_parse_int(dot + 1, false, &n) && n >= 2 && n <= UINT32_MAX) {
            coop_scn_peer next = p->scn->peers[b];
            next.n = (uint32_t)n;
            return add_peer(p, t, next);
        }
    }
    char hint[200];
    snprintf(
        hint, sizeof(hint),
        "a peer is declared by its connect or listen line, e.g. `connect %.40s 7000` or `listen %.40s 1883`",
        name, name);
    return FAIL_AT(p, t, hint, "unknown peer '%s'", name);
}

/* Node k's address: its own, or 10.0.0.(k + 1), as the simulator gives it. */
static uint32_t node_addr(const coop_scenario *scn, int k)
{
    uint32_t a;
    if (scn->nodes[k].addr && !coop_net_addr_parse(scn->nodes[k].addr, &a))
        return a;
    return (10u << 24) + (uint32_t)k + 1;
}

/* The node named at token i (by name, or "outside" when outside_ok, which gives -1); -2 with an error. */
static int find_node(struct parser *p, int i, bool outside_ok)
{
    if (want_word(p, i, outside_ok ? "a node name or outside" : "a node name"))
        return -2;
    const struct scn_tok *t = &p->toks.t[i];
    if (outside_ok && is_word(t, "outside"))
        return -1;
    for (int k = 0; k < p->scn->nnodes; k++)
        if (!strcmp(p->scn->nodes[k].name, t->text))
            return k;
    (void)FAIL_AT(p, t, "nodes are declared by `node NAME PROGRAM ARGS...` lines, before they are named",
                  "unknown node '%s'", t->text);
    return -2;
}

/*
 * Splits a task or signal name written NAME@NODE, in a scenario with
 * nodes, into the name (copied into ln->name) and the node (ln->node).
 * Without @NODE the name is about the first node for an action, or any
 * node for an expectation (any_node).
 */
static int name_at_node(struct parser *p, int i, coop_scn_line *ln, bool any_node)
{
    const struct scn_tok *t = &p->toks.t[i];
    const char *at = p->scn->nnodes > 1 || p->has_node_lines ? strrchr(t->text, '@') : NULL;
    size_t n = at ? (size_t)(at - t->text) : strlen(t->text);
    ln->node = any_node ? -1 : 0;
    if (at) {
        int k;
        for (k = 0; k < p->scn->nnodes; k++)
            if (!strcmp(p->scn->nodes[k].name, at + 1))
                break;
        if (k == p->scn->nnodes)
            return FAIL_AT(p, t, "name a task or a signal of a node as NAME@NODE", "unknown node '%s'",
                           at + 1);
        ln->node = k;
    }
    if (!n)
        return FAIL_AT(p, t, NULL, "a name is missing before '@'");
    ln->name = malloc(n + 1);
    if (!ln->name)
        return FAIL_AT(p, t, NULL, "out of memory");
    memcpy(ln->name, t->text, n);
    ln->name[n] = '\0';
    return 0;
}

/*
 * An outside address and port written [ADDR:]PORT into ln->addr (NULL:
 * every outside address) and ln->value.
 */
static int parse_addr_port(struct parser *p, int i, coop_scn_line *ln)
{
    if (want_word(p, i, "a port, or ADDR:PORT"))
        return -1;
    const struct scn_tok *t = &p->toks.t[i];
    const char *colon = strrchr(t->text, ':');
    int64_t port;
    if (scn_parse_int(colon ? colon + 1 : t->text, false, &port) || port < 1 || port > 65535)
        return FAIL_AT(p, t,
                       "a port is from 1 to 65535, with an address before it if one is meant: 10.9.0.1:1883",
                       "bad port in '%s'", t->text);
    ln->value = port;
    if (!colon)
        return 0;
    ln->addr = malloc((size_t)(colon - t->text) + 1);
    if (!ln->addr)
        return FAIL_AT(p, t, NULL, "out of memory");
    memcpy(ln->addr, t->text, (size_t)(colon - t->text));
    ln->addr[colon - t->text] = '\0';
    uint32_t a;
    if (coop_net_addr_parse(ln->addr, &a) || a == 0 || a >> 24 == 127)
        return FAIL_AT(p, t, "an outside address is a dotted quad such as 10.9.0.1, not 0.0.0.0 nor loopback",
                       "bad address '%s'", ln->addr);
    for (int k = 0; k < p->scn->nnodes; k++)
        if (node_addr(p->scn, k) == a)
            return FAIL_AT(p, t, "a scripted server listens outside the nodes", "%s is node %s's address",
                           ln->addr, p->scn->nodes[k].name);
    return 0;
}

/*
 * Bytes: one or more "..." or x"..." items, each optionally followed by
 * `* N` to repeat it.  Stops at the first word that is not `*`.
 */
static int parse_bytes(struct parser *p, int *i, coop_scn_line *ln)
{
    size_t cap = 0;
    int start = *i;
    while (*i < p->toks.n && (p->toks.t[*i].kind == SCN_STRING || p->toks.t[*i].kind == SCN_HEX)) {
        const struct scn_tok *t = &p->toks.t[*i];
        int64_t times = 1;
        (*i)++;
        if (*i < p->toks.n && is_word(&p->toks.t[*i], "*")) {
            if (parse_count(p, *i + 1, "a repeat count", 1, COOP_SCN_MAX_BYTES, &times))
                return -1;
            *i += 2;
        }
        if (t->len && (uint64_t)times > (COOP_SCN_MAX_BYTES - ln->len) / t->len)
            return FAIL_AT(p, t, NULL, "more than %u bytes", COOP_SCN_MAX_BYTES);
        size_t add = t->len * (size_t)times;
        if (add > COOP_SCN_MAX_TOTAL - p->total_bytes)
            return FAIL_AT(p, t, NULL, "the file names more than %u bytes in all", COOP_SCN_MAX_TOTAL);
        p->total_bytes += add;
        if (grow(coop_allocator_libc(), (void **)&ln->bytes, &cap, ln->len + add, 1, 16))
            return FAIL_AT(p, t, NULL, "out of memory");
        for (int64_t k = 0; k < times; k++) {
            if (t->len)
                memcpy(ln->bytes + ln->len, t->text, t->len);
            ln->len += t->len;
        }
    }
    if (*i == start) {
        if (*i < p->toks.n)
            return FAIL_AT(p, &p->toks.t[*i], "bytes are written \"text\\n\" or x\"68 69\"",
                           "expected a string of bytes");
        return want_word(p, *i, "a string of bytes");
    }
    if (ln->len == 0)
        return FAIL_AT(p, &p->toks.t[start], NULL, "the bytes are empty");
    return 0;
}

static int parse_pattern(struct parser *p, int i, coop_scn_line *ln)
{
    if (i >= p->toks.n)
        return want_word(p, i, "a pattern such as ev=exit task=worker");
    for (; i < p->toks.n; i++) {
        const struct scn_tok *t = &p->toks.t[i];
        if (ln->npat == COOP_SCN_MAX_PATTERN)
            return FAIL_AT(p, t, NULL, "more than %d fields in a pattern", COOP_SCN_MAX_PATTERN);
        coop_scn_pair *pr = &ln->pat[ln->npat];
        if (t->kind == SCN_KEYSTR) {
            if (memchr(t->text, '\0', t->len))
                return FAIL_AT(p, t, NULL, "a pattern value cannot hold a NUL byte");
            pr->key = text_dup(t->key);
            pr->val = text_dup(t->text);
        } else if (t->kind == SCN_WORD) {
            const char *eq = strchr(t->text, '=');
            if (!eq || eq == t->text)
                return FAIL_AT(p, t, "a pattern is key=value pairs, e.g. ev=wake reason=timeout",
                               "expected key=value, found '%s'", t->text);
            pr->key = malloc((size_t)(eq - t->text) + 1);
            if (pr->key) {
                memcpy(pr->key, t->text, (size_t)(eq - t->text));
                pr->key[eq - t->text] = '\0';
            }
            pr->val = text_dup(eq + 1);
        } else {
            return FAIL_AT(p, t, "a pattern is key=value pairs; quote a value as key=\"a b\"",
                           "expected key=value, found a string");
        }
        ln->npat++;
        if (!pr->key || !pr->val)
            return FAIL_AT(p, t, NULL, "out of memory");
    }
    return 0;
}

/* ---- Times ---- */

static int parse_one_time(struct parser *p, const struct scn_tok *t, const char *s, uint64_t *out)
{
    bool rel = *s == '+';
    uint64_t d;
    if (scn_parse_duration(s + rel, &d))
        return FAIL_AT(p, t, "a time is absolute (1.5s, 250ms) or relative to the previous line (+10ms)",
                       "bad time '%s'", s);
    if (rel && d > UINT64_MAX / 4 - p->anchor_ns)
        return FAIL_AT(p, t, NULL, "time out of range");
    *out = rel ? p->anchor_ns + d : d;
    return 0;
}

static bool looks_like_time(const char *s)
{
    return (s[0] >= '0' && s[0] <= '9') || s[0] == '+' || s[0] == '<' || s[0] == '.' || !strcmp(s, "*");
}

/* Parses the time of a timed line into ln (when, at_ns, lo_ns, hi_ns). */
static int parse_time(struct parser *p, const struct scn_tok *t, coop_scn_line *ln)
{
    char buf[128];
    if (t->len >= sizeof(buf))
        return FAIL_AT(p, t, NULL, "time too long");
    memcpy(buf, t->text, t->len + 1);
    ln->at_ns = p->anchor_ns;
    if (!strcmp(buf, "*")) {
        ln->when = COOP_SCN_ANY;
        ln->lo_ns = 0;
        ln->hi_ns = UINT64_MAX;
        return 0;
    }
    if (buf[0] == '<') {
        ln->when = COOP_SCN_BEFORE;
        ln->lo_ns = 0;
        return parse_one_time(p, t, buf + 1, &ln->hi_ns);
    }
    char *dots = strstr(buf, "..");
    char *tilde = strchr(buf, '~');
    if (dots) {
        *dots = '\0';
        ln->when = COOP_SCN_WINDOW;
        if (parse_one_time(p, t, buf, &ln->lo_ns) || parse_one_time(p, t, dots + 2, &ln->hi_ns))
            return -1;
        if (ln->hi_ns < ln->lo_ns)
            return FAIL_AT(p, t, NULL, "the window ends before it starts");
        ln->at_ns = ln->lo_ns;
        return 0;
    }
    if (tilde) {
        *tilde = '\0';
        uint64_t tol;
        if (parse_one_time(p, t, buf, &ln->at_ns))
            return -1;
        if (scn_parse_duration(tilde + 1, &tol))
            return FAIL_AT(p, t, "a tolerance is written 1s~5ms", "bad tolerance '%s'", tilde + 1);
        ln->when = COOP_SCN_WINDOW;
        ln->lo_ns = ln->at_ns > tol ? ln->at_ns - tol : 0;
        ln->hi_ns = ln->at_ns + tol;
        return 0;
    }
    ln->when = COOP_SCN_AT;
    if (parse_one_time(p, t, buf, &ln->at_ns))
        return -1;
    ln->lo_ns = ln->hi_ns = ln->at_ns;
    return 0;
}

/* ---- Settings ---- */

static int setting_index(const char *w)
{
    for (int k = 0; k < SET__COUNT; k++)
        if (!strcmp(setting_names[k], w))
            return k;
    return -1;
}

/* A node entry for a `program` or `node` line; NULL with an error. */
static coop_scn_node *add_node(struct parser *p, const struct scn_tok *t, const char *name, const char *addr)
{
    coop_scenario *scn = p->scn;
    if (scn->nnodes == COOP_SCN_MAX_NODES) {
        (void)FAIL_AT(p, t, NULL, "more than %d nodes", COOP_SCN_MAX_NODES);
        return NULL;
    }
    for (int k = 0; k < scn->nnodes; k++)
        if (!strcmp(scn->nodes[k].name, name)) {
            (void)FAIL_AT(p, t, "each node has its own name", "node '%s' is declared twice", name);
            return NULL;
        }
    coop_scn_node *n = &scn->nodes[scn->nnodes];
    *n = (coop_scn_node){ .name = text_dup(name), .addr = addr ? text_dup(addr) : NULL, .line = p->lineno };
    scn->nnodes++;
    if (!n->name || (addr && !n->addr)) {
        (void)FAIL_AT(p, t, NULL, "out of memory");
        return NULL;
    }
    return n;
}

/* The program name at token i and its arguments after it, for node n (NULL: an error was reported). */
static int parse_program(struct parser *p, int i, coop_scn_node *n)
{
    if (!n || want_word(p, i, "a program name"))
        return -1;
    n->program = text_dup(p->toks.t[i].text);
    if (!n->program)
        return FAIL_AT(p, &p->toks.t[i], NULL, "out of memory");
    for (i++; i < p->toks.n; i++) {
        const struct scn_tok *t = &p->toks.t[i];
        if (n->argc == COOP_SCN_MAX_ARGS)
            return FAIL_AT(p, t, NULL, "more than %d program arguments", COOP_SCN_MAX_ARGS);
        if (t->kind == SCN_HEX || memchr(t->text, '\0', t->len))
            return FAIL_AT(p, t, NULL, "a program argument is a word or a string without NUL bytes");
        if (t->kind == SCN_KEYSTR) {
            size_t len = strlen(t->key) + 1 + t->len + 1;
            char *a = malloc(len);
            if (a)
                snprintf(a, len, "%s=%s", t->key, t->text);
            n->argv[n->argc] = a;
        } else {
            n->argv[n->argc] = text_dup(t->text);
        }
        if (!n->argv[n->argc++])
            return FAIL_AT(p, t, NULL, "out of memory");
    }
    return 0;
}

/* node NAME [ADDR] PROGRAM ARGS...: one node of a scenario with several. */
static int parse_node(struct parser *p)
{
    coop_scenario *scn = p->scn;
    const struct scn_tok *t0 = &p->toks.t[0];
    if (scn->setting_line[SET_PROGRAM])
        return FAIL_AT(p, t0, "a scenario has one `program` line or `node` lines, not both",
                       "`node` after `program` on line %u", scn->setting_line[SET_PROGRAM]);
    if (want_word(p, 1, "a node name"))
        return -1;
    const struct scn_tok *nt = &p->toks.t[1];
    size_t len = strlen(nt->text);
    bool ok = len && len <= COOP_SIM_NODE_NAME_MAX && strcmp(nt->text, "outside");
    for (size_t k = 0; ok && k < len; k++)
        ok = (nt->text[k] >= 'a' && nt->text[k] <= 'z') || (nt->text[k] >= 'A' && nt->text[k] <= 'Z') ||
             (nt->text[k] >= '0' && nt->text[k] <= '9') || nt->text[k] == '-' || nt->text[k] == '_';
    if (!ok)
        return FAIL_AT(p, nt,
                       "a node name is letters, digits, '-' and '_', at most 31 of them, and not outside",
                       "bad node name '%s'", nt->text);
    int i = 2;
    const char *addr = NULL;
    uint32_t a;
    if (i < p->toks.n && p->toks.t[i].kind == SCN_WORD && !coop_net_addr_parse(p->toks.t[i].text, &a)) {
        if (a == 0 || a >> 24 == 127)
            return FAIL_AT(p, &p->toks.t[i], NULL, "a node's address cannot be 0.0.0.0 or loopback");
        addr = p->toks.t[i++].text;
    }
    if (!scn->setting_line[SET_NODE])
        scn->setting_line[SET_NODE] = p->lineno;
    p->has_node_lines = true;
    coop_scn_node *n = add_node(p, nt, nt->text, addr);
    for (int k = 0; n && k < scn->nnodes - 1; k++)
        if (node_addr(scn, k) == node_addr(scn, scn->nnodes - 1))
            return FAIL_AT(p, nt, "each node has its own address", "node %s has the address of node %s",
                           nt->text, scn->nodes[k].name);
    return parse_program(p, i, n);
}

/* The link parameters from token i on into l. */
static int parse_link_params(struct parser *p, int i, coop_net_link *l)
{
    int64_t v;
    if (i >= p->toks.n)
        return want_word(p, i, "latency, rate, max-read or max-write");
    for (; i < p->toks.n; i += 2) {
        if (want_word(p, i, "a link parameter"))
            return -1;
        const struct scn_tok *t = &p->toks.t[i];
        if (is_word(t, "latency")) {
            if (parse_dur(p, i + 1, "a latency", &l->latency_ns))
                return -1;
        } else if (is_word(t, "rate")) {
            if (parse_count(p, i + 1, "a rate in bytes per second", 1, INT64_MAX, &v))
                return -1;
            l->bytes_per_sec = (uint64_t)v;
        } else if (is_word(t, "max-read") || is_word(t, "max-write")) {
            if (parse_count(p, i + 1, "a byte count", 1, UINT32_MAX, &v))
                return -1;
            *(is_word(t, "max-read") ? &l->max_read : &l->max_write) = (uint32_t)v;
        } else {
            return FAIL_AT(p, t, "link takes latency DUR, rate BYTES_PER_S, max-read N, max-write N",
                           "unknown link parameter '%s'", t->text);
        }
    }
    return 0;
}

/* link between A B PARAMS...: the link of connections between two nodes (or a node and outside). */
static int parse_link_between(struct parser *p)
{
    coop_scenario *scn = p->scn;
    int a = find_node(p, 2, true), b = a < -1 ? -2 : find_node(p, 3, true);
    if (b < -1)
        return -1;
    if (a == b)
        return FAIL_AT(p, &p->toks.t[3], NULL, "a link joins two different places");
    for (int k = 0; k < scn->nlinks; k++)
        if ((scn->links[k].a == a && scn->links[k].b == b) || (scn->links[k].a == b && scn->links[k].b == a))
            return FAIL_AT(p, &p->toks.t[2], NULL, "the link between %s and %s is set twice",
                           p->toks.t[2].text, p->toks.t[3].text);
    if (scn->nlinks == COOP_SCN_MAX_LINKS)
        return FAIL_AT(p, &p->toks.t[0], NULL, "more than %d links", COOP_SCN_MAX_LINKS);
    coop_scn_link *l = &scn->links[scn->nlinks];
    *l = (coop_scn_link){ .a = a, .b = b };
    if (parse_link_params(p, 4, &l->link))
        return -1;
    scn->nlinks++;
    return 0;
}

static int parse_setting(struct parser *p, int k)
{
    coop_scenario *scn = p->scn;
    const struct scn_tok *t0 = &p->toks.t[0];
    if (k == SET_NODE)
        return parse_node(p);
    if (k == SET_LINK && p->toks.n > 1 && is_word(&p->toks.t[1], "between"))
        return parse_link_between(p);
    if (k == SET_PROGRAM && p->has_node_lines)
        return FAIL_AT(p, t0, "a scenario has one `program` line or `node` lines, not both",
                       "`program` after `node` lines");
    if (scn->setting_line[k]) {
        char hint[96];
        snprintf(hint, sizeof(hint), "the first one is on line %u", scn->setting_line[k]);
        return FAIL_AT(p, t0, hint, "`%s` is set twice", setting_names[k]);
    }
    scn->setting_line[k] = p->lineno;
    coop_sim_config *c = &scn->cfg;
    int64_t v;
    uint64_t d;
    bool b;
    switch (k) {
    case SET_PROGRAM:
        return parse_program(p, 1, add_node(p, t0, "main", NULL));
    case SET_SEED:
        if (parse_count(p, 1, "the seed", 0, INT64_MAX, &v))
            return -1;
        c->seed = (uint64_t)v;
        scn->has_seed = true;
        break;
    case SET_TIME_LIMIT:
        if (parse_dur(p, 1, "a time limit", &d))
            return -1;
        if (!d)
            return FAIL_AT(p, &p->toks.t[1], NULL, "the time limit must be above 0");
        c->max_time_ns = d;
        break;
    case SET_STEP_LIMIT:
        if (parse_count(p, 1, "the step limit", 1, INT64_MAX, &v))
            return -1;
        c->max_steps = (uint64_t)v;
        break;
    case SET_BUSY_LIMIT:
        if (parse_count(p, 1, "the busy-loop limit", 1, INT64_MAX, &v))
            return -1;
        c->busy_steps = (uint64_t)v;
        break;
    case SET_STEP_COST:
        if (parse_dur(p, 1, "a step cost", &d))
            return -1;
        c->step_cost_ns = d;
        break;
    case SET_PROFILE:
        if (want_word(p, 1, "a profile (seed or zero)"))
            return -1;
        if (is_word(&p->toks.t[1], "seed"))
            c->profile = COOP_SIM_SEED;
        else if (is_word(&p->toks.t[1], "zero"))
            c->profile = COOP_SIM_ZERO_COST;
        else
            return FAIL_AT(p, &p->toks.t[1], "the profiles are seed and zero", "unknown profile '%s'",
                           p->toks.t[1].text);
        break;
    case SET_START:
        if (parse_dur(p, 1, "the clock's start offset", &d))
            return -1;
        c->start_ns = d;
        break;
    case SET_FAULTS: {
        if (want_word(p, 1, "a fault list"))
            return -1;
        uint32_t m;
        if (coop_sim_faults_parse(p->toks.t[1].text, &m))
            return FAIL_AT(
                p, &p->toks.t[1],
                "faults are none, all, seed, 0xMASK, or a list of jitter, split, short-io, eagain, "
                "reset, refuse, clock-jump, alloc, points",
                "bad fault list '%s'", p->toks.t[1].text);
        c->faults = m;
        scn->has_faults = true;
        break;
    }
    case SET_FAULT_RATE:
        if (parse_count(p, 1, "the fault rate (%)", 1, 100, &v))
            return -1;
        c->fault_pct = (uint32_t)v;
        break;
    case SET_TIES:
        if (want_word(p, 1, "fifo or permute"))
            return -1;
        if (is_word(&p->toks.t[1], "fifo"))
            c->permute_ties = false;
        else if (is_word(&p->toks.t[1], "permute"))
            c->permute_ties = true;
        else
            return FAIL_AT(p, &p->toks.t[1], NULL, "ties are fifo or permute, not '%s'", p->toks.t[1].text);
        scn->has_ties = true;
        break;
    case SET_TICK32:
        if (parse_onoff(p, 1, &b))
            return -1;
        c->tick32 = b;
        break;
    case SET_STOP_ON_ERROR:
        if (parse_onoff(p, 1, &b))
            return -1;
        c->stop_on_error = b;
        break;
    case SET_FAULT_PEERS:
        if (parse_onoff(p, 1, &b))
            return -1;
        c->fault_peers = b;
        break;
    case SET_RUN_UNTIL:
        if (parse_dur(p, 1, "a time", &d))
            return -1;
        scn->run_until_ns = d;
        break;
    case SET_LINK:
        if (parse_link_params(p, 1, &scn->link))
            return -1;
        scn->has_link = true;
        return 0;
    case SET_SCHEDULE: {
        if (want_word(p, 1, "a schedule (as coop explore prints it, e.g. 1x12.3)"))
            return -1;
        coop_strategy *st = coop_strategy_replay(p->toks.t[1].text);
        coop_strategy_free(st);
        if (!st)
            return FAIL_AT(p, &p->toks.t[1],
                           "a schedule is hex digits, one per choice, with xN. for a run of N zeros",
                           "bad schedule '%s'", p->toks.t[1].text);
        scn->schedule = strdup(p->toks.t[1].text);
        if (!scn->schedule)
            return FAIL_AT(p, &p->toks.t[1], NULL, "out of memory");
        break;
    }
    case SET_BUFFERS:
        if (parse_count(p, 1, "the send buffer size", 1, 1 << 30, &v))
            return -1;
        scn->send_buf = (size_t)v;
        if (parse_count(p, 2, "the receive buffer size", 1, 1 << 30, &v))
            return -1;
        scn->recv_buf = (size_t)v;
        return no_more(p, 3);
    }
    return no_more(p, 2);
}

/* ---- Timed lines ---- */

static const char *const end_names[] = {
    "done",   "running",    "no-tasks",   "hang",      "stopped",     "until",
    "failed", "step-limit", "time-limit", "busy-loop", "trace-limit",
};

static int parse_expect(struct parser *p, int i, coop_scn_line *ln)
{
    if (want_word(p, i, "what to expect"))
        return -1;
    const struct scn_tok *t = &p->toks.t[i];
    const char *w = t->text;
    int64_t v;
    if (!strcmp(w, "recv")) {
        ln->op = COOP_SCN_EXPECT_RECV;
        if ((ln->peer = find_peer(p, i + 1)) < 0)
            return -1;
        i += 2;
        if (parse_bytes(p, &i, ln))
            return -1;
        return no_more(p, i);
    }
    if (!strcmp(w, "silent") || !strcmp(w, "closed") || !strcmp(w, "shut") || !strcmp(w, "reset")) {
        ln->op = w[0] == 's' ? (w[1] == 'i' ? COOP_SCN_EXPECT_SILENT : COOP_SCN_EXPECT_SHUT)
                             : (w[0] == 'c' ? COOP_SCN_EXPECT_CLOSED : COOP_SCN_EXPECT_RESET);
        if ((ln->peer = find_peer(p, i + 1)) < 0)
            return -1;
        return no_more(p, i + 2);
    }
    if (!strcmp(w, "connect")) {
        ln->op = COOP_SCN_EXPECT_CONNECT;
        if ((ln->peer = find_peer(p, i + 1)) < 0)
            return -1;
        if (!p->scn->peers[ln->peer].accepted)
            return FAIL_AT(p, &p->toks.t[i + 1],
                           "expect connect is about a connection a scripted server accepted",
                           "peer '%s' is a client", p->scn->peers[ln->peer].name);
        return no_more(p, i + 2);
    }
    if (!strcmp(w, "state")) {
        ln->op = COOP_SCN_EXPECT_STATE;
        if ((ln->peer = find_peer(p, i + 1)) < 0 || want_word(p, i + 2, "a connection state"))
            return -1;
        int st;
        for (st = COOP_NET_CONNECTING; st <= COOP_NET_TIMED_OUT; st++)
            if (!strcmp(coop_net_state_name((coop_net_state)st), p->toks.t[i + 2].text))
                break;
        if (st > COOP_NET_TIMED_OUT)
            return FAIL_AT(p, &p->toks.t[i + 2],
                           "the states are connecting, open, task-shut, task-closed, task-reset, peer-shut, "
                           "peer-closed, peer-reset, refused, timed-out",
                           "unknown connection state '%s'", p->toks.t[i + 2].text);
        ln->value = st;
        return no_more(p, i + 3);
    }
    if (!strcmp(w, "trace") || !strcmp(w, "anywhere") || !strcmp(w, "never") || !strcmp(w, "sometimes")) {
        ln->op = w[0] == 't'   ? COOP_SCN_EXPECT_TRACE
                 : w[0] == 'a' ? COOP_SCN_EXPECT_ANYWHERE
                 : w[0] == 's' ? COOP_SCN_EXPECT_SOMETIMES
                               : COOP_SCN_EXPECT_NEVER;
        return parse_pattern(p, i + 1, ln);
    }
    if (!strcmp(w, "exit")) {
        ln->op = COOP_SCN_EXPECT_EXIT;
        if (want_word(p, i + 1, "a task name") || want_word(p, i + 2, "an exit status, killed or any") ||
            name_at_node(p, i + 1, ln, true))
            return -1;
        if (is_word(&p->toks.t[i + 2], "killed"))
            ln->killed = true;
        else if (is_word(&p->toks.t[i + 2], "any"))
            ln->any_status = true;
        else if (parse_count(p, i + 2, "an exit status", INT32_MIN, INT32_MAX, &v))
            return -1;
        else
            ln->value = v;
        return no_more(p, i + 3);
    }
    if (!strcmp(w, "end")) {
        ln->op = COOP_SCN_EXPECT_END;
        if (want_word(p, i + 1, "how the run ends"))
            return -1;
        size_t k;
        for (k = 0; k < sizeof(end_names) / sizeof(end_names[0]); k++)
            if (is_word(&p->toks.t[i + 1], end_names[k]))
                break;
        if (k == sizeof(end_names) / sizeof(end_names[0]))
            return FAIL_AT(p, &p->toks.t[i + 1],
                           "a run ends done, running, no-tasks, hang, stopped, until, failed, step-limit, "
                           "time-limit, busy-loop or trace-limit",
                           "unknown end '%s'", p->toks.t[i + 1].text);
        ln->name = text_dup(end_names[k]);
        if (!ln->name)
            return FAIL_AT(p, t, NULL, "out of memory");
        ln->when = COOP_SCN_ANY;
        ln->lo_ns = 0;
        ln->hi_ns = UINT64_MAX;
        return no_more(p, i + 2);
    }
    if (!strcmp(w, "leak")) {
        /* What the program leaves behind is known once the run is over: like an end, it has no time. */
        ln->op = COOP_SCN_EXPECT_LEAK;
        if (want_word(p, i + 1, "what leaks: fds, bytes or tasks"))
            return -1;
        const struct scn_tok *k = &p->toks.t[i + 1];
        if (!is_word(k, "fds") && !is_word(k, "bytes") && !is_word(k, "tasks"))
            return FAIL_AT(p, k, "a program leaks fds, bytes or tasks", "unknown leak '%s'", k->text);
        ln->name = text_dup(k->text);
        if (!ln->name)
            return FAIL_AT(p, t, NULL, "out of memory");
        ln->value = -1;
        if (i + 2 < p->toks.n && parse_count(p, i + 2, "the amount leaked", 0, INT64_MAX, &ln->value))
            return -1;
        ln->when = COOP_SCN_ANY;
        ln->lo_ns = 0;
        ln->hi_ns = UINT64_MAX;
        return no_more(p, i + 2 + (ln->value >= 0));
    }
    return FAIL_AT(
        p, t,
        "expect recv, silent, closed, shut, reset, state, connect, trace, anywhere, never, sometimes, exit, "
        "end or leak",
        "unknown expectation '%s'", w);
}

static int parse_action(struct parser *p, int i, coop_scn_line *ln)
{
    const struct scn_tok *t = &p->toks.t[i];
    const char *w = t->text;
    int64_t v;
    uint64_t d;
    coop_scenario *scn = p->scn;
    if (!strcmp(w, "connect") || !strcmp(w, "listen")) {
        bool listen = w[0] == 'l';
        ln->op = listen ? COOP_SCN_LISTEN : COOP_SCN_CONNECT;
        if (want_word(p, i + 1, "a peer name"))
            return -1;
        const struct scn_tok *nt = &p->toks.t[i + 1];
        if (looks_like_time(nt->text) || strchr(nt->text, '=') || strchr(nt->text, '.'))
            return FAIL_AT(p, nt, "a peer name starts with a letter and has no '.', e.g. c1",
                           "bad peer name '%s'", nt->text);
        if (lookup_peer(scn, nt->text) >= 0)
            return FAIL_AT(p, nt, "each peer is declared once; name the new one differently",
                           "peer '%s' is already declared", nt->text);
        if (listen) {
            if (parse_addr_port(p, i + 2, ln))
                return -1;
            i += 3;
            if (i < p->toks.n && is_word(&p->toks.t[i], "delay")) {
                if (parse_dur(p, i + 1, "how long the server takes to accept", &ln->delay_ns))
                    return -1;
                i += 2;
            }
            for (int k = 0; k < scn->npeers; k++)
                if (scn->peers[k].accepted && scn->peers[k].n == 1 && scn->peers[k].port == ln->value &&
                    !scn->peers[k].addr == !ln->addr && (!ln->addr || !strcmp(scn->peers[k].addr, ln->addr)))
                    return FAIL_AT(p, nt, "the connections of one server are NAME, NAME.2, NAME.3 ...",
                                   "peer '%s' already names this server's first connection",
                                   scn->peers[k].name);
            ln->peer = add_peer(
                p, nt,
                (coop_scn_peer){ .accepted = true, .addr = ln->addr, .port = (uint16_t)ln->value, .n = 1 });
            return ln->peer < 0 ? -1 : no_more(p, i);
        }
        /* connect PEER [NODE:]PORT */
        const struct scn_tok *pt = i + 2 < p->toks.n ? &p->toks.t[i + 2] : NULL;
        const char *colon = pt && pt->kind == SCN_WORD ? strrchr(pt->text, ':') : NULL;
        ln->node = 0;
        if (colon) {
            int k;
            for (k = 0; k < scn->nnodes; k++)
                if (strlen(scn->nodes[k].name) == (size_t)(colon - pt->text) &&
                    !strncmp(scn->nodes[k].name, pt->text, (size_t)(colon - pt->text)))
                    break;
            if (k == scn->nnodes)
                return FAIL_AT(p, pt,
                               "a peer connects to NODE:PORT, e.g. server:7000, or to the first node's PORT",
                               "unknown node in '%s'", pt->text);
            ln->node = k;
            if (scn_parse_int(colon + 1, false, &v) || v < 1 || v > 65535)
                return FAIL_AT(p, pt, NULL, "a port must be an integer from 1 to 65535");
        } else if (parse_count(p, i + 2, "a port", 1, 65535, &v)) {
            return -1;
        }
        ln->value = v;
        ln->peer = add_peer(p, nt, (coop_scn_peer){ 0 });
        return ln->peer < 0 ? -1 : no_more(p, i + 3);
    }
    if (!strcmp(w, "refuse") || !strcmp(w, "drop") || !strcmp(w, "unlisten")) {
        ln->op = w[0] == 'r' ? COOP_SCN_REFUSE : w[0] == 'd' ? COOP_SCN_DROP : COOP_SCN_UNLISTEN;
        if (parse_addr_port(p, i + 1, ln))
            return -1;
        return no_more(p, i + 2);
    }
    if (!strcmp(w, "partition") || !strcmp(w, "heal")) {
        ln->op = w[0] == 'p' ? COOP_SCN_PARTITION : COOP_SCN_HEAL;
        if ((ln->node = find_node(p, i + 1, true)) < -1 || (ln->other = find_node(p, i + 2, true)) < -1)
            return -1;
        if (ln->node == ln->other)
            return FAIL_AT(p, &p->toks.t[i + 2], NULL, "a partition separates two different places");
        return no_more(p, i + 3);
    }
    if (!strcmp(w, "crash") || !strcmp(w, "restart")) {
        ln->op = w[0] == 'c' ? COOP_SCN_CRASH : COOP_SCN_RESTART;
        if ((ln->node = find_node(p, i + 1, false)) < 0)
            return -1;
        return no_more(p, i + 2);
    }
    if (!strcmp(w, "stall")) {
        ln->op = COOP_SCN_STALL;
        if (want_word(p, i + 1, "a task name") || name_at_node(p, i + 1, ln, false) ||
            parse_dur(p, i + 2, "how long the step takes", &d))
            return -1;
        if (d > INT64_MAX)
            return FAIL_AT(p, &p->toks.t[i + 2], NULL, "a stall is at most 292 years");
        ln->value = (int64_t)d;
        return no_more(p, i + 3);
    }
    if (!strcmp(w, "send")) {
        ln->op = COOP_SCN_SEND;
        if ((ln->peer = find_peer(p, i + 1)) < 0)
            return -1;
        i += 2;
        if (parse_bytes(p, &i, ln))
            return -1;
        if (i < p->toks.n && is_word(&p->toks.t[i], "chunk")) {
            if (parse_count(p, i + 1, "a chunk size", 1, COOP_SCN_MAX_BYTES, &v))
                return -1;
            ln->chunk = (size_t)v;
            i += 2;
        }
        return no_more(p, i);
    }
    static const struct {
        const char *word;
        coop_scn_op op;
    } peer_ops[] = {
        { "shutdown", COOP_SCN_SHUTDOWN },
        { "close", COOP_SCN_CLOSE },
        { "reset", COOP_SCN_RESET },
        { "stop-reading", COOP_SCN_STOP_READING },
        { "resume-reading", COOP_SCN_RESUME_READING },
    };
    for (size_t k = 0; k < sizeof(peer_ops) / sizeof(peer_ops[0]); k++) {
        if (!strcmp(w, peer_ops[k].word)) {
            ln->op = peer_ops[k].op;
            if ((ln->peer = find_peer(p, i + 1)) < 0)
                return -1;
            return no_more(p, i + 2);
        }
    }
    if (!strcmp(w, "signal")) {
        ln->op = COOP_SCN_SIGNAL;
        if (want_word(p, i + 1, "a signal name") || name_at_node(p, i + 1, ln, false))
            return -1;
        if (strlen(ln->name) > COOP_NAME_MAX)
            return FAIL_AT(p, &p->toks.t[i + 1], NULL, "a signal name has at most %d bytes", COOP_NAME_MAX);
        if (parse_count(p, i + 2, "a signal value", INT64_MIN + 1, INT64_MAX, &v))
            return -1;
        ln->value = v;
        return no_more(p, i + 3);
    }
    if (!strcmp(w, "kill")) {
        ln->op = COOP_SCN_KILL;
        if (want_word(p, i + 1, "a task name") || name_at_node(p, i + 1, ln, false))
            return -1;
        return no_more(p, i + 2);
    }
    if (!strcmp(w, "jump")) {
        ln->op = COOP_SCN_JUMP;
        if (parse_dur(p, i + 1, "how far the clock jumps", &d))
            return -1;
        ln->value = (int64_t)d;
        return no_more(p, i + 2);
    }
    if (!strcmp(w, "fault")) {
        if (want_word(p, i + 1, "a fault: reset PEER, jump DUR or net KINDS"))
            return -1;
        const struct scn_tok *k = &p->toks.t[i + 1];
        if (is_word(k, "reset")) {
            ln->op = COOP_SCN_FAULT_RESET;
            if ((ln->peer = find_peer(p, i + 2)) < 0)
                return -1;
            return no_more(p, i + 3);
        }
        if (is_word(k, "jump")) {
            ln->op = COOP_SCN_FAULT_JUMP;
            if (parse_dur(p, i + 2, "how far the clock jumps", &d))
                return -1;
            ln->value = (int64_t)d;
            return no_more(p, i + 3);
        }
        if (is_word(k, "net")) {
            ln->op = COOP_SCN_FAULT_NET;
            uint32_t m;
            if (want_word(p, i + 2, "network fault kinds"))
                return -1;
            const uint32_t net_kinds = COOP_SIM_FAULT_JITTER | COOP_SIM_FAULT_SPLIT |
                                       COOP_SIM_FAULT_SHORT_IO | COOP_SIM_FAULT_EAGAIN |
                                       COOP_SIM_FAULT_RESET | COOP_SIM_FAULT_REFUSE;
            if (coop_sim_faults_parse(p->toks.t[i + 2].text, &m) || (m & ~net_kinds))
                return FAIL_AT(
                    p, &p->toks.t[i + 2],
                    "network faults are none or a list of jitter, split, short-io, eagain, reset, refuse",
                    "bad network fault list '%s'", p->toks.t[i + 2].text);
            ln->value = m;
            return no_more(p, i + 3);
        }
        return FAIL_AT(p, k, "a scripted fault is reset PEER, jump DUR or net KINDS", "unknown fault '%s'",
                       k->text);
    }
    return FAIL_AT(p, t,
                   "a line is a setting (program, seed, ...), an injection (connect, send, close, ...) or an "
                   "expectation (expect ...)",
                   "unknown command '%s'", w);
}

static int push_line(struct parser *p, coop_scn_line **out)
{
    coop_scenario *scn = p->scn;
    if (grow(coop_allocator_libc(), (void **)&scn->lines, &scn->cap, scn->nlines + 1, sizeof(*scn->lines),
             32))
        return -1;
    *out = &scn->lines[scn->nlines++];
    **out = (coop_scn_line){ .peer = -1, .node = -1, .other = -1 };
    return 0;
}

static int parse_line(struct parser *p, const char *s, size_t len)
{
    if (scn_lex_line(s, len, p->lineno, &p->toks, &p->err))
        return -1;
    if (p->toks.n == 0)
        return 0;
    const struct scn_tok *t0 = &p->toks.t[0];
    if (t0->kind != SCN_WORD)
        return FAIL_AT(p, t0, "a line starts with a time, a setting or a command", "unexpected string");
    int k = setting_index(t0->text);
    if (k >= 0)
        return parse_setting(p, k);
    coop_scn_line *ln;
    if (push_line(p, &ln))
        return FAIL_AT(p, t0, NULL, "out of memory");
    ln->line = p->lineno;
    ln->col = t0->col;
    ln->text = malloc(len + 1);
    if (!ln->text)
        return FAIL_AT(p, t0, NULL, "out of memory");
    memcpy(ln->text, s, len);
    ln->text[len] = '\0';
    int i = 0;
    if (looks_like_time(t0->text)) {
        if (parse_time(p, t0, ln))
            return -1;
        i = 1;
        if (i >= p->toks.n)
            return want_word(p, i, "a command after the time");
        if (p->toks.t[i].kind == SCN_WORD && setting_index(p->toks.t[i].text) >= 0)
            return FAIL_AT(p, t0, "settings apply to the whole run; remove the time",
                           "a setting cannot have a time");
    } else {
        ln->when = COOP_SCN_AT;
        ln->at_ns = ln->lo_ns = ln->hi_ns = p->anchor_ns;
    }
    if (want_word(p, i, "a command"))
        return -1;
    bool expect = is_word(&p->toks.t[i], "expect");
    if (expect ? parse_expect(p, i + 1, ln) : parse_action(p, i, ln))
        return -1;
    if (!expect && ln->when != COOP_SCN_AT)
        return FAIL_AT(p, t0, "an injection happens at one instant; windows are for expectations",
                       "an injection needs an exact time");
    if (ln->when == COOP_SCN_AT && ln->at_ns < p->anchor_ns) {
        char a[32], b[32];
        coop_scn_format_time(ln->at_ns, a, sizeof(a));
        coop_scn_format_time(p->anchor_ns, b, sizeof(b));
        return FAIL_AT(p, t0, "lines are in time order; use a window (A..B) to look back",
                       "time goes backwards: %s is before the previous line's %s", a, b);
    }
    /* A window may look back, but never moves the anchor back. */
    if ((ln->when == COOP_SCN_AT || ln->when == COOP_SCN_WINDOW) && ln->at_ns > p->anchor_ns)
        p->anchor_ns = ln->at_ns;
    return 0;
}

/*
 * What the file as a whole says about virtual time that no single line
 * shows: the tick adapter's range, and scripted jumps that would carry
 * the clock past the largest time (2^64 - 1 ns).  Each jump happens at
 * its line's time or, when earlier jumps carried the clock beyond it, at
 * once; the sum is therefore known before the run.
 */
static int check_clock(struct parser *p)
{
    const coop_scenario *scn = p->scn;
    if (scn->cfg.tick32 && scn->cfg.start_ns >= (UINT64_C(1) << 32) * 1000000) {
        scn_error(&p->err, scn->setting_line[SET_START], 1,
                  "the 32-bit millisecond tick wraps at 4294967296ms (about 49.7 days)",
                  "with tick32 on, the start offset must be below 2^32 ms");
        return -1;
    }
    uint64_t clock = scn->cfg.start_ns;
    for (size_t i = 0; i < scn->nlines; i++) {
        const coop_scn_line *ln = &scn->lines[i];
        if (ln->op != COOP_SCN_JUMP && ln->op != COOP_SCN_FAULT_JUMP)
            continue;
        if (ln->at_ns > clock)
            clock = ln->at_ns;
        if ((uint64_t)ln->value > UINT64_MAX - clock) {
            scn_error(&p->err, ln->line, ln->col, "virtual time is 64-bit nanoseconds: about 584 years",
                      "this jump carries the clock past the largest time");
            return -1;
        }
        clock += (uint64_t)ln->value;
    }
    return 0;
}

void coop_scenario_free(coop_scenario *scn)
{
    if (!scn)
        return;
    free(scn->path);
    free(scn->schedule);
    for (int k = 0; k < scn->nnodes; k++) {
        coop_scn_node *n = &scn->nodes[k];
        free(n->name);
        free(n->addr);
        free(n->program);
        for (int i = 0; i < n->argc; i++)
            free(n->argv[i]);
    }
    for (int i = 0; i < scn->npeers; i++) {
        free(scn->peers[i].name);
        free(scn->peers[i].addr);
    }
    for (size_t i = 0; i < scn->nlines; i++) {
        coop_scn_line *ln = &scn->lines[i];
        free(ln->name);
        free(ln->addr);
        free(ln->bytes);
        free(ln->text);
        for (int k = 0; k < ln->npat; k++) {
            free(ln->pat[k].key);
            free(ln->pat[k].val);
        }
    }
    free(scn->lines);
    free(scn);
}

int coop_scenario_parse(const char *path, const char *text, size_t len, coop_scenario **out, char *err,
                        size_t errlen)
{
    struct parser p = { .err = { .path = path ? path : "<scenario>", .buf = err, .len = errlen } };
    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    p.scn = calloc(1, sizeof(*p.scn));
    if (!p.scn) {
        scn_error(&p.err, 1, 1, NULL, "out of memory");
        return -COOP_ENOMEM;
    }
    p.scn->run_until_ns = COOP_SCN_NO_TIME;
    p.scn->path = text_dup(p.err.path);
    if (len > COOP_SCN_MAX_FILE) {
        scn_error(&p.err, 1, 1, NULL, "the file is larger than %u bytes", COOP_SCN_MAX_FILE);
        goto fail;
    }
    /* A byte-order mark says the file is UTF-8, which it must be anyway: it is skipped. */
    if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) {
        text += 3;
        len -= 3;
    }
    size_t pos = 0;
    p.lineno = 0;
    while (pos < len) {
        p.lineno++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        if (n > COOP_SCN_MAX_LINE) {
            scn_error(&p.err, p.lineno, COOP_SCN_MAX_LINE + 1, NULL, "line longer than %u bytes",
                      COOP_SCN_MAX_LINE);
            goto fail;
        }
        const char *nul = memchr(text + pos, '\0', n);
        if (nul) {
            scn_error(&p.err, p.lineno, (unsigned)(nul - (text + pos)) + 1, NULL, "NUL byte in the file");
            goto fail;
        }
        int rc = parse_line(&p, text + pos, n);
        scn_toks_fini(&p.toks);
        if (rc)
            goto fail;
        pos += n + (nl != NULL);
    }
    if (!p.scn->nnodes) {
        scn_error(&p.err, p.lineno ? p.lineno : 1, 1, "add a line such as `program echo --port 7000`",
                  "no program line");
        goto fail;
    }
    if (check_clock(&p))
        goto fail;
    *out = p.scn;
    return 0;
fail:
    coop_scenario_free(p.scn);
    return -COOP_EINVAL;
}

int coop_scenario_load(const char *path, coop_scenario **out, char *err, size_t errlen)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: error: cannot open the file: %s", path, strerror(errno));
        return -COOP_ENOENT;
    }
    char *buf = malloc(COOP_SCN_MAX_FILE + 1);
    if (!buf) {
        fclose(f);
        snprintf(err, errlen, "%s: error: out of memory", path);
        return -COOP_ENOMEM;
    }
    errno = 0;
    size_t n = fread(buf, 1, COOP_SCN_MAX_FILE + 1, f);
    bool bad = ferror(f);
    int why = errno;
    fclose(f);
    if (bad) {
        free(buf);
        snprintf(err, errlen, "%s: error: cannot read the file: %s", path, strerror(why ? why : EIO));
        return -COOP_EIO;
    }
    int rc = coop_scenario_parse(path, buf, n, out, err, errlen);
    free(buf);
    return rc;
}
