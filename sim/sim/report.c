/* Reports: what every live task waits on and the tail of the trace, for hangs and test adapters. */
#include <stdarg.h>
#include <stdio.h>

#include "sim/private.h"

struct report {
    char *buf;
    size_t len, need;
};

static void rprintf(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rprintf(struct report *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = r->need < r->len ? r->len - r->need : 0;
    int n = vsnprintf(room ? r->buf + r->need : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        r->need += (size_t)n;
}

size_t coop_sim_report(const coop_sim *sim, char *buf, size_t len)
{
    struct report r = { buf, len, 0 };
    if (len)
        buf[0] = '\0';
    rprintf(&r, "at t=%llu ns after %llu steps, %zu task(s) alive:\n", (unsigned long long)sim->now_ns,
            (unsigned long long)sim->steps, coop_sim_task_count(sim));
    for (uint32_t i = 0; i < sim->nnodes; i++) {
        const struct sim_node *n = &sim->nodes[i];
        if (sim->nnodes > 1)
            rprintf(&r, " node %s:%s\n", n->name, n->sched ? "" : " down");
        if (!n->sched)
            continue;
        coop_task_iter it;
        coop_task_iter_init(&it, n->sched);
        for (coop_task *t; (t = coop_task_iter_next(&it));) {
            char what[256];
            coop_task_describe_wait(t, what, sizeof(what));
            rprintf(&r, "  %s (tid %u): waits on %s\n", coop_task_name(t), coop_task_tid(t), what);
        }
    }
    rprintf(&r, "last %u trace events:\n", (unsigned)sim->trace.n);
    for (size_t i = 0; i < sim->trace.n; i++)
        rprintf(&r, "  %s\n", sim_trace_tail(&sim->trace, i));
    return r.need;
}
