/* Nodes: a scheduler per host of the network, its program, and what a crash and a restart do to them. */
#include <stdlib.h>
#include <string.h>

#include "base/text.h"
#include "sim/private.h"

/*
 * The scheduler's log.  Every failure it would print is already a `fail`
 * trace event with the same facts, and a simulated run must not write to
 * the host's stderr (the scenario runner prints reports of its own).
 */
static void sim_log(void *ctx, coop_log_level level, const char *msg)
{
    (void)ctx;
    (void)level;
    (void)msg;
}

int sim_node_boot(coop_sim *sim, struct sim_node *n)
{
    const coop_sim_config *c = &sim->cfg;
    n->inner = coop_net_poller(sim->net, n->host);
    /* The seed's loop starts with now = 0 and steps only once the tick has moved on. */
    n->next_step_ns = sim->now_ns + (c->profile == COOP_SIM_SEED ? 1000000 : 0);
    n->io_dirty = false;
    coop_config sc = {
        .clock = { &sim_clock_ops, sim },
        .poller = { &sim_poller_ops, n },
        .alloc = { sim_alloc, n },
        .log = sim_log,
        .trace = c->trace_off ? NULL : sim_on_core_event,
        .trace_ctx = n,
        .fault = sim_on_fault_point,
        .fault_ctx = n,
        .seq = c->chooser.pick   ? sim_on_seq_fifo
               : c->permute_ties ? sim_on_seq
                                 : NULL,
        .seq_ctx = n,
        .pick = c->chooser.pick,
        .pick_ctx = c->chooser.ctx,
    };
    if (c->chooser.observe && !sc.trace)
        sc.trace = sim_on_core_event;
    if (c->tick32) {
        /*
         * The adapter extends the counter from its own zero, which equals
         * virtual time's zero as long as the start offset is below 2^32
         * ms, so both clocks agree (the adapter's to the millisecond).
         */
        coop_tick32_init(&n->tick, sim_raw_ms, sim);
        sc.clock = coop_tick32_clock(&n->tick);
    }
    n->starting = true;
    sim_node_ties_fini(n);
    n->sched = coop_sched_new(&sc);
    n->starting = false;
    if (!n->sched)
        return -COOP_ENOMEM;
    coop_set_stop_on_error(n->sched, c->stop_on_error);
    return 0;
}

int sim_node_start(struct sim_node *n)
{
    /*
     * A program that cannot start is a broken scenario, not a finding:
     * allocation faults begin with the run, once the program is up.
     */
    n->starting = true;
    int rc = n->program->start(n->sched, &n->env, n->argc, n->argv);
    n->starting = false;
    return rc;
}

void sim_node_crash(struct sim_node *n)
{
    if (!n->sched)
        return;
    /* The host goes first, so that what the dying tasks still try reaches nothing. */
    (void)coop_net_host_down(n->sim->net, n->host);
    coop_sched_abandon(n->sched);
    n->sched = NULL;
    /* What the program held died with the node: a restart starts from nothing. */
    sim_reclaim(n);
}

void coop_sim_shutdown(coop_sim *sim, coop_sim_leaks *out)
{
    *out = (coop_sim_leaks){ 0 };
    out->tasks = coop_sim_task_count(sim);
    /* Freeing a scheduler kills its tasks and runs their cleanups; none of it is part of the run's trace. */
    sim->muted = true;
    for (uint32_t i = 0; i < sim->nnodes; i++) {
        struct sim_node *n = &sim->nodes[i];
        if (!n->sched)
            continue;
        n->quiet = true;
        coop_sched_free(n->sched);
        n->quiet = false;
        n->sched = NULL;
        out->fds += coop_net_host_open_fds(sim->net, n->host);
        out->bytes += n->live_bytes;
        sim_reclaim(n);
    }
    sim->muted = false;
}

void sim_node_fini(struct sim_node *n)
{
    for (int i = 0; n->argv && i < n->argc; i++)
        free(n->argv[i]);
    free(n->argv);
    n->argv = NULL;
}

struct sim_node *sim_node_find(coop_sim *sim, const char *name)
{
    for (uint32_t i = 0; i < sim->nnodes; i++)
        if (!strcmp(sim->nodes[i].name, name))
            return &sim->nodes[i];
    return NULL;
}

size_t coop_sim_node_count(const coop_sim *sim) { return sim->nnodes; }

int coop_sim_node_index(const coop_sim *sim, const char *name)
{
    for (uint32_t i = 0; i < sim->nnodes; i++)
        if (!strcmp(sim->nodes[i].name, name))
            return (int)i;
    return -COOP_ENOENT;
}

const char *coop_sim_node_name(const coop_sim *sim, size_t node)
{
    return node < sim->nnodes ? sim->nodes[node].name : NULL;
}

coop_sched *coop_sim_node_sched(coop_sim *sim, size_t node)
{
    return node < sim->nnodes ? sim->nodes[node].sched : NULL;
}

coop_sched *coop_sim_sched(coop_sim *sim) { return sim->nodes[0].sched; }

/* Keeps the program and a copy of its arguments, so that a restart can run it again. */
static int keep_program(struct sim_node *n, const coop_program *program, int argc, char **argv)
{
    char **copy = calloc((size_t)argc + 1, sizeof(*copy));
    if (!copy)
        return -COOP_ENOMEM;
    for (int i = 0; i < argc; i++)
        if (!(copy[i] = text_dup(argv[i]))) {
            for (int k = 0; k < i; k++)
                free(copy[k]);
            free(copy);
            return -COOP_ENOMEM;
        }
    sim_node_fini(n);
    n->program = program;
    n->argc = argc;
    n->argv = copy;
    return 0;
}

int coop_sim_node_start(coop_sim *sim, size_t node, const coop_program *program, int argc, char **argv)
{
    if (node >= sim->nnodes || !program || argc < 0 || (argc && !argv))
        return -COOP_EINVAL;
    struct sim_node *n = &sim->nodes[node];
    if (!n->sched)
        return -COOP_ESRCH;
    int err = keep_program(n, program, argc, argv);
    return err ? err : sim_node_start(n);
}

int coop_sim_start(coop_sim *sim, const coop_program *program, int argc, char **argv)
{
    return coop_sim_node_start(sim, 0, program, argc, argv);
}
