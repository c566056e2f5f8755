/* What a worker notes on its shared page while a run goes on: the step under way and the last trace lines. */
#include <string.h>

#include "pool.h"

/* The page of this worker process; each worker is a process, so one per process. */
struct cli_watch *cli__watch_page;

static void copy_name(char *dst, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= CLI_WATCH_NAME)
        n = CLI_WATCH_NAME - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Events that end a task's step: after them no task code runs until the next "run". */
static bool ends_step(const char *ev)
{
    return !strcmp(ev, "yield") || !strcmp(ev, "exit") || !strcmp(ev, "kill") || !strcmp(ev, "fail");
}

static void observe(void *ctx, coop_sim *sim, const coop_sim_event *e)
{
    struct cli_watch *w = ctx;
    if (sim && !w->have_sim) {
        w->have_sim = true;
        w->seed = coop_sim_seed(sim);
        w->faults = coop_sim_faults(sim);
        w->permute_ties = coop_sim_ties_permuted(sim);
    }
    size_t len = e->len < CLI_WATCH_LINE - 1 ? e->len : CLI_WATCH_LINE - 1;
    char *slot = w->tail[w->nev % CLI_WATCH_TAIL];
    memcpy(slot, e->line, len);
    slot[len] = '\0';
    w->nev++;
    /* Most events neither start nor end a step: they cost the copy above and this test. */
    bool run = !strcmp(e->ev, "run");
    int64_t tid;
    if ((!run && !(w->in_step && ends_step(e->ev))) || !coop_sim_field_int(e, "tid", &tid))
        return;
    if (run) {
        const char *node = coop_sim_field_str(e, "node");
        w->in_step = true;
        w->tid = (uint32_t)tid;
        copy_name(w->task, coop_sim_field_str(e, "task"));
        copy_name(w->node, node);
        w->resume = 0;
        /* The trace does not carry the resume point; the task itself still knows it. */
        int idx = node && sim ? coop_sim_node_index(sim, node) : 0;
        coop_sched *s = sim && idx >= 0 ? coop_sim_node_sched(sim, (size_t)idx) : NULL;
        coop_task *t = s ? coop_task_find(s, (uint32_t)tid) : NULL;
        if (t)
            w->resume = coop_task_resume_line(t);
    } else if ((uint32_t)tid == w->tid) {
        w->in_step = false;
    }
}

void cli_watch_observe(coop_scn_overrides *ov)
{
    ov->observe = cli__watch_page ? observe : NULL;
    ov->observe_ctx = cli__watch_page;
}
