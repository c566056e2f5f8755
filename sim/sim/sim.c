/* A simulation: creating one around its nodes and a network, its settings, and freeing it. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "sim/private.h"

const char *coop_sim_status_name(coop_sim_status st)
{
    static const char *const names[] = {
        "running", "until",      "done",       "hang",      "stopped",
        "failed",  "step-limit", "time-limit", "busy-loop", "trace-limit",
    };
    return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}

/* A node name: letters, digits, '-' and '_', not empty, not too long. */
static bool node_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (!n || n > COOP_SIM_NODE_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && name[i] != '-' && name[i] != '_')
            return false;
    return true;
}

/* The nodes and their hosts, in the order given; without any, one node "main" at 10.0.0.1. */
static int add_nodes(coop_sim *sim, const coop_sim_node_spec *specs, size_t n)
{
    static const coop_sim_node_spec main_node = { "main", NULL };
    if (!n) {
        specs = &main_node;
        n = 1;
    }
    if (n > COOP_SIM_NODES_MAX || !specs)
        return -COOP_EINVAL;
    sim->nodes = calloc(n, sizeof(*sim->nodes));
    if (!sim->nodes)
        return -COOP_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        struct sim_node *node = &sim->nodes[i];
        uint32_t addr = (10u << 24) + (uint32_t)i + 1;
        if (!node_name_ok(specs[i].name) || sim_node_find(sim, specs[i].name) ||
            (specs[i].addr && coop_net_addr_parse(specs[i].addr, &addr)))
            return -COOP_EINVAL;
        int host = coop_net_host_add(sim->net, addr);
        if (host < 0)
            return host;
        *node = (struct sim_node){ .sim = sim, .index = (uint32_t)i, .host = (uint32_t)host, .addr = addr };
        memcpy(node->name, specs[i].name, strlen(specs[i].name) + 1);
        node->env.log = sim_log_to_trace;
        node->env.ctx = node;
        sim->nnodes++;
    }
    return 0;
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
    /*
     * The clock saturates at the largest time rather than wrap; keeping
     * the end of the time limit below it makes a saturated clock always
     * past the limit, so such a run ends by time-limit.
     */
    uint64_t room = c->start_ns < UINT64_MAX ? UINT64_MAX - 1 - c->start_ns : 0;
    if (c->max_time_ns > room)
        c->max_time_ns = room;
#ifdef COOP_SIM_VERIFY
    /* Test builds check every invariant after every step, whatever the caller asked. */
    c->verify = true;
#endif
    sim->now_ns = c->start_ns;
    coop_prng_seed(&sim->rng_ties, c->seed, 1);
    coop_prng_seed(&sim->rng_net, c->seed, 2);
    coop_prng_seed(&sim->rng_faults, c->seed, 3);
    coop_prng_seed(&sim->rng_alloc, c->seed, 4);
    sim->faults = sim_fault_mix(c);
    sim->free_slot = UINT32_MAX;
    heap_init(&sim->events, coop_allocator_libc(), NULL, NULL);
    /* The tick adapter's zero is virtual time's zero only below 2^32 ms. */
    if (c->tick32 && c->start_ns >= (UINT64_C(1) << 32) * 1000000)
        goto fail;
    if (sim_trace_init(&sim->trace, c))
        goto fail;
    sim->net = coop_net_new(&sim->now_ns, &sim->rng_net, coop_allocator_libc());
    if (!sim->net || add_nodes(sim, c->nodes, c->nnodes))
        goto fail;
    if (!c->trace_off)
        coop_net_set_trace(sim->net, sim_on_net_event, sim);
    sim_apply_net_faults(sim, sim->faults);
    for (uint32_t i = 0; i < sim->nnodes; i++)
        if (sim_node_boot(sim, &sim->nodes[i]))
            goto fail;
    return sim;
fail:
    coop_sim_free(sim);
    return NULL;
}

void coop_sim_free(coop_sim *sim)
{
    if (!sim)
        return;
    for (uint32_t i = 0; i < sim->nnodes; i++) {
        coop_sched_free(sim->nodes[i].sched);
        sim_reclaim(&sim->nodes[i]);
        sim_node_fini(&sim->nodes[i]);
        sim_node_ties_fini(&sim->nodes[i]);
    }
    sim_ties_fini(sim);
    free(sim->nodes);
    coop_net_free(sim->net);
    sim_events_fini(sim);
    sim_trace_fini(&sim->trace);
    sim_waits_free(sim);
    free(sim);
}

coop_net *coop_sim_net(coop_sim *sim) { return sim->net; }

uint64_t coop_sim_now(const coop_sim *sim) { return sim->now_ns; }

uint64_t coop_sim_steps(const coop_sim *sim) { return sim->steps; }

uint32_t coop_sim_faults(const coop_sim *sim) { return sim->faults; }

bool coop_sim_ties_permuted(const coop_sim *sim) { return sim->cfg.permute_ties; }

uint64_t coop_sim_seed(const coop_sim *sim) { return sim->cfg.seed; }
