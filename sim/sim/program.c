/* Programs in the simulator: starting one, with its log lines recorded as trace events. */

#include "sim/private.h"

static void log_to_trace(void *ctx, coop_task *t, const char *text)
{
    coop_sim *sim = ctx;
    struct sim_rec l;
    rec_begin(&l, sim->now_ns, "log");
    if (t) {
        rec_str(&l, "task", coop_task_name(t));
        rec_uint(&l, "tid", coop_task_tid(t));
    }
    rec_str(&l, "text", text);
    sim_emit(sim, &l);
}

int coop_sim_start(coop_sim *sim, const coop_program *program, int argc, char **argv)
{
    sim->env.log = log_to_trace;
    sim->env.ctx = sim;
    return program->start(sim->sched, &sim->env, argc, argv);
}
