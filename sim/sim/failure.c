/* The message a test adapter shows when a check fails inside a simulation, cut to fit its framework. */
#include <stdio.h>
#include <string.h>

#include "coop/sim.h"

/*
 * A bounded writer.  used never passes cap - 1, so the text is always
 * NUL-terminated; a line that does not fit whole is not written at all,
 * except that put_line() cuts one longer than COOP_SIM_MSG_LINE_MAX and
 * marks the cut with "...".
 */
struct msg {
    char *buf;
    size_t cap, used;
};

static size_t room(const struct msg *m) { return m->cap > m->used + 1 ? m->cap - m->used - 1 : 0; }

/* Appends "PREFIX TEXT\n", TEXT cut to COOP_SIM_MSG_LINE_MAX bytes; false when it does not fit. */
static bool put_line(struct msg *m, const char *prefix, const char *text)
{
    size_t n = strlen(text), p = strlen(prefix);
    bool cut = n > COOP_SIM_MSG_LINE_MAX;
    if (cut)
        n = COOP_SIM_MSG_LINE_MAX;
    size_t need = p + n + (cut ? 3 : 0) + 1;
    if (need > room(m))
        return false;
    char *at = m->buf + m->used;
    memcpy(at, prefix, p);
    memcpy(at + p, text, n);
    if (cut)
        memcpy(at + p + n, "...", 3);
    at[need - 1] = '\n';
    at[need] = '\0';
    m->used += need;
    return true;
}

/* The bytes put_line() would take for this line. */
static size_t line_cost(const char *prefix, const char *text)
{
    size_t n = strlen(text);
    return strlen(prefix) + (n > COOP_SIM_MSG_LINE_MAX ? COOP_SIM_MSG_LINE_MAX + 3 : n) + 1;
}

/* The room kept for the trace tail's heading when tasks are listed. */
#define HEADING_ROOM 80

size_t coop_sim_failure_message(const coop_sim *sim, const char *what, const char *cond, char *buf,
                                size_t len)
{
    struct msg m = { buf, len, 0 };
    if (!buf || !len)
        return 0;
    buf[0] = '\0';
    char line[COOP_SIM_MSG_LINE_MAX + 64];
    /* The what is the caller's own text: cut it here, so that the seed and time always show. */
    snprintf(line, sizeof(line), "simulation failed: %.200s (seed %llu, t=%llu ns)", what ? what : "?",
             (unsigned long long)coop_sim_seed(sim), (unsigned long long)coop_sim_now(sim));
    put_line(&m, "", line);
    if (cond)
        put_line(&m, "  condition: ", cond);
    snprintf(line, sizeof(line), "--seed %llu --faults 0x%x --ties %s",
             (unsigned long long)coop_sim_seed(sim), (unsigned)coop_sim_faults(sim),
             coop_sim_ties_permuted(sim) ? "permute" : "fifo");
    put_line(&m, "  reproduce: ", line);

    /* Tasks, node by node in tid order, as long as half of what is left remains for the trace. */
    size_t ntasks = coop_sim_task_count(sim), shown = 0;
    snprintf(line, sizeof(line),
             "at t=%llu ns after %llu steps, %zu task(s) alive:", (unsigned long long)coop_sim_now(sim),
             (unsigned long long)coop_sim_steps(sim), ntasks);
    put_line(&m, "", line);
    size_t keep = room(&m) / 2 + HEADING_ROOM;
    size_t nnodes = coop_sim_node_count(sim);
    bool full = false;
    for (size_t k = 0; k < nnodes && !full; k++) {
        coop_sched *s = coop_sim_node_sched((coop_sim *)sim, k);
        coop_task_iter it;
        if (!s)
            continue;
        coop_task_iter_init(&it, s);
        for (coop_task *t; !full && (t = coop_task_iter_next(&it));) {
            char wait[256];
            coop_task_describe_wait(t, wait, sizeof(wait));
            snprintf(line, sizeof(line), "%s%s%s (tid %u): waits on %s", coop_task_name(t),
                     nnodes > 1 ? "@" : "", nnodes > 1 ? coop_sim_node_name(sim, k) : "",
                     (unsigned)coop_task_tid(t), wait);
            full = line_cost("  ", line) + keep > room(&m);
            if (!full) {
                put_line(&m, "  ", line);
                shown++;
            }
        }
    }
    if (shown < ntasks) {
        snprintf(line, sizeof(line), "... and %zu more", ntasks - shown);
        put_line(&m, "  ", line);
    }

    /* The newest trace events that fit, oldest first, and how many older ones were left out. */
    size_t n = coop_sim_tail_count(sim), kept = 0, cost = 0;
    while (kept < n) {
        size_t c = line_cost("  ", coop_sim_tail_line(sim, n - 1 - kept));
        if (cost + c + HEADING_ROOM > room(&m))
            break;
        cost += c;
        kept++;
    }
    if (kept < n)
        snprintf(line, sizeof(line), "last %zu trace events (%zu older ones left out to fit):", kept,
                 n - kept);
    else
        snprintf(line, sizeof(line), "last %zu trace events:", kept);
    put_line(&m, "", line);
    for (size_t i = n - kept; i < n; i++)
        put_line(&m, "  ", coop_sim_tail_line(sim, i));
    return m.used;
}
