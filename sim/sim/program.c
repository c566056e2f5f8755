/* Programs in the simulator: what their log lines become. */
#include "sim/private.h"

void sim_log_to_trace(void *ctx, coop_task *t, const char *text)
{
    struct sim_node *n = ctx;
    coop_sim *sim = n->sim;
    if (n->quiet)
        return;
    struct sim_rec l;
    sim_rec_begin(sim, &l, "log", n);
    if (t) {
        rec_str(&l, "task", coop_task_name(t));
        rec_uint(&l, "tid", coop_task_tid(t));
    }
    rec_str(&l, "text", text);
    sim_emit(sim, &l);
}
