/*
 * Which tasks' tie order differed from first-in, first-out, with ties
 * permuted: each key the seq hook draws is noted with the task it is for
 * (its due time, prio and first-in, first-out counter); a task that runs
 * while another task of its tie, queued before it, still waits, ran out
 * of that order.  Only runs with ties permuted pay for it.
 */
#include <stdlib.h>
#include <string.h>

#include "sim/private.h"

struct sim_tie {
    uint64_t due_ns, counter;
    uint32_t prio;
    bool queued;
};

void sim_tie_keyed(struct sim_node *n, uint64_t counter)
{
    if (!n->sched)
        return;
    uint64_t due;
    uint32_t prio;
    uint32_t tid = coop_sched_seq_task(n->sched, &due, &prio);
    if (!tid)
        return;
    if (tid >= n->tiecap) {
        uint32_t cap = n->tiecap ? n->tiecap : 16;
        while (cap <= tid)
            cap *= 2;
        struct sim_tie *v = realloc(n->ties, cap * sizeof(*v));
        if (!v)
            return;
        memset(v + n->tiecap, 0, (cap - n->tiecap) * sizeof(*v));
        n->ties = v;
        n->tiecap = cap;
    }
    n->ties[tid] = (struct sim_tie){ due, counter, prio, true };
}

/* Adds name to the sorted set, once. */
static void note_name(coop_sim *sim, const char *name)
{
    size_t lo = 0, hi = sim->ntie_names;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(sim->tie_names[mid], name);
        if (!c)
            return;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (sim->ntie_names == sim->tie_names_cap) {
        size_t cap = sim->tie_names_cap ? sim->tie_names_cap * 2 : 8;
        char **v = realloc(sim->tie_names, cap * sizeof(*v));
        if (!v)
            return;
        sim->tie_names = v;
        sim->tie_names_cap = cap;
    }
    char *s = strdup(name);
    if (!s)
        return;
    memmove(sim->tie_names + lo + 1, sim->tie_names + lo, (sim->ntie_names - lo) * sizeof(char *));
    sim->tie_names[lo] = s;
    sim->ntie_names++;
}

void sim_tie_event(struct sim_node *n, const coop_trace_event *e)
{
    if (!e->tid || e->tid >= n->tiecap)
        return;
    struct sim_tie *me = &n->ties[e->tid];
    if (e->kind == COOP_TR_EXIT || e->kind == COOP_TR_KILL) {
        me->queued = false;
        return;
    }
    if (e->kind != COOP_TR_RUN || !me->queued)
        return;
    me->queued = false;
    for (uint32_t k = 1; k < n->tiecap; k++) {
        const struct sim_tie *o = &n->ties[k];
        if (o->queued && o->due_ns == me->due_ns && o->prio == me->prio && o->counter < me->counter) {
            note_name(n->sim, e->task ? e->task : "?");
            return;
        }
    }
}

void sim_node_ties_fini(struct sim_node *n)
{
    free(n->ties);
    n->ties = NULL;
    n->tiecap = 0;
}

void sim_ties_fini(coop_sim *sim)
{
    for (size_t i = 0; i < sim->ntie_names; i++)
        free(sim->tie_names[i]);
    free(sim->tie_names);
    sim->tie_names = NULL;
    sim->ntie_names = sim->tie_names_cap = 0;
}

size_t coop_sim_ties_differed(const coop_sim *sim, char *buf, size_t len)
{
    size_t need = 0;
    bool full = false;
    if (len)
        buf[0] = '\0';
    for (size_t i = 0; i < sim->ntie_names; i++) {
        const char *s = sim->tie_names[i];
        size_t l = strlen(s) + (i ? 1 : 0);
        full = full || need + l >= len;
        if (!full) {
            if (i)
                buf[need] = ',';
            memcpy(buf + need + (i ? 1 : 0), s, strlen(s) + 1);
        }
        need += l;
    }
    return need;
}

uint32_t coop_sim_faults_fired(const coop_sim *sim) { return sim->fired; }
