/* Introspection: what a task waits on, in parts (coop/introspect.h); nothing here runs on the hot path. */
#include "coop/introspect.h"
#include "internal.h"

void coop_task_wait_info(const coop_task *t, coop_wait_info *out)
{
    *out = (coop_wait_info){ .where = COOP_WHERE_ENDED, .kind = COOP_WAITS_NOTHING, .fd = -1 };
    const struct coop__calls *c = t->calls;
    if (t->where == COOP__DETACHED || t->where == COOP__DEAD)
        return;
    if (c)
        out->nfds = c->nfds;
    switch (t->where) {
    case COOP__RUNNING:
        out->where = COOP_WHERE_RUNNING;
        return;
    case COOP__READY:
        out->where = COOP_WHERE_READY;
        return;
    case COOP__TIMED:
        /* Without a ring for its prio, a task due now waits in the heap: still ready. */
        if (t->time2run_ns <= coop__sched_of(t)->now_ns) {
            out->where = COOP_WHERE_READY;
            return;
        }
        out->where = COOP_WHERE_DUE;
        out->has_deadline = true;
        out->deadline_ns = t->time2run_ns;
        return;
    default:
        break;
    }
    out->where = COOP_WHERE_BLOCKED;
    if (COOP__INDEXED(t)) {
        out->has_deadline = true;
        out->deadline_ns = t->time2run_ns;
    }
    switch (c->block) {
    case COOP__BLOCK_TASK:
        out->kind = COOP_WAITS_TASK;
        out->tid = c->wait_tid;
        break;
    case COOP__BLOCK_DIAL:
        out->kind = COOP_WAITS_DIAL;
        out->fd = c->dial_fd;
        break;
    case COOP__BLOCK_IO:
        out->kind = COOP_WAITS_IO;
        break;
    case COOP__BLOCK_ANY:
        out->kind = COOP_WAITS_ANY;
        out->nsignals = c->nregs;
        break;
    default:
        out->kind = COOP_WAITS_SIGNAL;
        out->nsignals = c->nregs;
        break;
    }
}

const char *coop_task_wait_signal(const coop_task *t, uint32_t i)
{
    const struct coop__calls *c = t->calls;
    if (t->where != COOP__BLOCKED || !c || i >= c->nregs)
        return NULL;
    return c->regs[i].sig->name;
}

int coop_task_wait_fd(const coop_task *t, uint32_t i, unsigned *interest, unsigned *pending)
{
    const struct coop__calls *c = t->calls;
    if (t->where == COOP__DETACHED || t->where == COOP__DEAD || !c || i >= c->nfds)
        return -1;
    if (interest)
        *interest = c->fds[i].interest;
    if (pending)
        *pending = c->fds[i].pending;
    return c->fds[i].fd;
}
