/* A simulation: creating one around a scheduler and a network, its settings, and freeing it. */
#include <stdlib.h>

#include "sim/private.h"

const char *coop_sim_status_name(coop_sim_status st)
{
    static const char *const names[] = {
        "running", "until", "done", "hang", "stopped", "failed", "step-limit", "time-limit", "busy-loop",
    };
    return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}

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

coop_sim *coop_sim_new(const coop_sim_config *cfg)
{
    coop_sim *sim = calloc(1, sizeof(*sim));
    if (!sim)
        return NULL;
    sim->cfg = cfg ? *cfg : (coop_sim_config){ 0 };
    coop_sim_config *c = &sim->cfg;
    if (!c->max_steps)
        c->max_steps = 100000000;
    if (!c->max_time_ns)
        c->max_time_ns = UINT64_C(24) * 3600 * 1000000000;
    if (!c->busy_steps)
        c->busy_steps = 1000000;
    if (!c->fault_pct)
        c->fault_pct = 5;
    if (c->fault_pct > 100)
        c->fault_pct = 100;
    if (!c->trace_tail)
        c->trace_tail = 40;
#ifdef COOP_SIM_VERIFY
    /* Test builds check every invariant after every step, whatever the caller asked. */
    c->verify = true;
#endif
    sim->now_ns = c->start_ns;
    /* The seed's loop starts with now = 0 and steps only once the tick has moved on. */
    sim->next_step_ns = c->start_ns + (c->profile == COOP_SIM_SEED ? 1000000 : 0);
    coop_prng_seed(&sim->rng_ties, c->seed, 1);
    coop_prng_seed(&sim->rng_net, c->seed, 2);
    coop_prng_seed(&sim->rng_faults, c->seed, 3);
    coop_prng_seed(&sim->rng_alloc, c->seed, 4);
    sim->faults = sim_fault_mix(c);
    sim->free_slot = UINT32_MAX;
    heap_init(&sim->events, coop_allocator_libc(), NULL, NULL);
    if (sim_trace_init(&sim->trace, c))
        goto fail;
    sim->net = coop_net_new(&sim->now_ns, &sim->rng_net, coop_allocator_libc());
    if (!sim->net)
        goto fail;
    if (!c->trace_off)
        coop_net_set_trace(sim->net, sim_on_net_event, sim);
    sim->inner = coop_net_poller(sim->net);
    sim_apply_net_faults(sim, sim->faults);

    coop_config sc = {
        .clock = { &sim_clock_ops, sim },
        .poller = { &sim_poller_ops, sim },
        .alloc = { sim_alloc, sim },
        .log = sim_log,
        .trace = c->trace_off ? NULL : sim_on_core_event,
        .trace_ctx = sim,
        .fault = sim_on_fault_point,
        .fault_ctx = sim,
        .seq = c->permute_ties ? sim_on_seq : NULL,
        .seq_ctx = sim,
    };
    if (c->tick32) {
        coop_tick32_init(&sim->tick, sim_raw_ms, sim);
        /*
         * The adapter extends the counter from its own zero, which equals
         * virtual time's zero as long as the start offset is below 2^32
         * ms, so both clocks agree (the adapter's to the millisecond).
         */
        sc.clock = coop_tick32_clock(&sim->tick);
    }
    if (c->tick32 && c->start_ns >= (UINT64_C(1) << 32) * 1000000)
        goto fail;
    /* From here on the scheduler owns the network: its poller's destroy() frees it. */
    sim->sched = coop_sched_new(&sc);
    if (!sim->sched)
        goto fail;
    coop_set_stop_on_error(sim->sched, c->stop_on_error);
    return sim;
fail:
    if (sim->net)
        coop_net_free(sim->net);
    sim_trace_fini(&sim->trace);
    heap_fini(&sim->events);
    free(sim);
    return NULL;
}

void coop_sim_free(coop_sim *sim)
{
    if (!sim)
        return;
    coop_sched_free(sim->sched);
    sim_events_fini(sim);
    sim_trace_fini(&sim->trace);
    free(sim);
}

coop_sched *coop_sim_sched(coop_sim *sim) { return sim->sched; }

coop_net *coop_sim_net(coop_sim *sim) { return sim->net; }

uint64_t coop_sim_now(const coop_sim *sim) { return sim->now_ns; }

uint64_t coop_sim_steps(const coop_sim *sim) { return sim->steps; }

uint32_t coop_sim_faults(const coop_sim *sim) { return sim->faults; }

uint64_t coop_sim_seed(const coop_sim *sim) { return sim->cfg.seed; }
