/* The run loop: what happens at each instant, in order, the limits that end a run, and how time moves on. */
#include "sim/private.h"

/*
 * Carries out everything due at the current instant other than task
 * steps: scripted events first (in the order they were added), then
 * network deliveries, then readiness wake-ups, node by node.  Returns
 * whether anything happened.
 */
static bool settle(coop_sim *sim)
{
    bool any = false;
    for (;;) {
        bool round = false;
        if (sim_run_due_events(sim))
            round = true;
        uint64_t due;
        if (coop_net_next_due(sim->net, &due) && due <= sim->now_ns) {
            coop_net_advance(sim->net);
            round = true;
        }
        if (!round)
            break;
        any = true;
    }
    if (any || sim->io_dirty) {
        sim->io_dirty = false;
        for (uint32_t i = 0; i < sim->nnodes; i++)
            if (sim->nodes[i].sched)
                (void)coop_poll_io(sim->nodes[i].sched, 0);
    }
    return any;
}

size_t coop_sim_task_count(const coop_sim *sim)
{
    size_t n = 0;
    for (uint32_t i = 0; i < sim->nnodes; i++)
        if (sim->nodes[i].sched)
            n += coop_task_count(sim->nodes[i].sched);
    return n;
}

static coop_sim_status check_limits(const coop_sim *sim)
{
    /* Stopped: KillOs on every node, none of them down (a down node may still be restarted). */
    bool stopped = true;
    for (uint32_t i = 0; i < sim->nnodes; i++) {
        coop_sched *s = sim->nodes[i].sched;
        if (!s || !coop_is_stopped(s))
            stopped = false;
        if (s && sim->cfg.stop_on_error && coop_last_failure(s))
            return COOP_SIM_FAILED;
    }
    if (stopped)
        return COOP_SIM_STOPPED;
    if (sim->steps >= sim->cfg.max_steps)
        return COOP_SIM_STEP_LIMIT;
    if (sim->now_ns - sim->cfg.start_ns > sim->cfg.max_time_ns)
        return COOP_SIM_TIME_LIMIT;
    if (sim->busy >= sim->cfg.busy_steps)
        return COOP_SIM_BUSY_LOOP;
    if (sim->cfg.max_events && sim->trace.count >= sim->cfg.max_events)
        return COOP_SIM_TRACE_LIMIT;
    return COOP_SIM_RUNNING;
}

/*
 * How many steps may run back to back before the loop must look again.
 * Steps at one instant need nothing from the loop in between unless one
 * of them changes the world: a socket call or a scripted event for now
 * breaks the batch (mark_dirty, ev_push), so the order of everything is
 * the same as one step at a time.  A step cost, the seed profile, an
 * armed stall, verification and the clock-jump fault act after every
 * step, so they run steps singly.
 */
static uint64_t batch_size(const coop_sim *sim)
{
    if (sim->cfg.step_cost_ns || sim->cfg.profile == COOP_SIM_SEED || sim->cfg.verify || sim->nstalls ||
        sim_fault_on(sim, COOP_SIM_FAULT_CLOCK_JUMP))
        return 1;
    uint64_t n = sim->cfg.max_steps - sim->steps;
    uint64_t busy_left = sim->cfg.busy_steps - sim->busy;
    if (busy_left < n)
        n = busy_left;
    /* Every step traces at least its run event, so the event limit is looked at in time. */
    if (sim->cfg.max_events && !sim->cfg.trace_off) {
        uint64_t events_left =
            sim->trace.count < sim->cfg.max_events ? sim->cfg.max_events - sim->trace.count : 0;
        if (events_left < n)
            n = events_left ? events_left : 1;
    }
    return n;
}

/* After n steps of node `node`: verification, the step costs, the seed's tick, and the clock-jump fault. */
static void after_steps(coop_sim *sim, struct sim_node *node, uint64_t n)
{
    /* What follows acts per step; batch_size runs several only where it does nothing. */
    if (sim->cfg.verify) {
        for (uint32_t i = 0; i < sim->nnodes; i++)
            if (sim->nodes[i].sched)
                coop_verify(sim->nodes[i].sched);
        coop_net_verify(sim->net);
    }
    sim->steps += n;
    sim->busy += n;
    uint64_t cost = sim->cfg.profile == COOP_SIM_SEED ? 0 : sim->cfg.step_cost_ns;
    sim->now_ns = sat_add(sim->now_ns, sat_add(cost, sim->pending_cost_ns));
    sim->pending_cost_ns = 0;
    if (sim->cfg.profile == COOP_SIM_SEED)
        node->next_step_ns = sim->now_ns / 1000000 * 1000000 + 1000000;
    sim_fault_clock_jump(sim);
}

/* The next instant at which anything can happen, or UINT64_MAX. */
static uint64_t next_instant(coop_sim *sim)
{
    uint64_t next = UINT64_MAX, due;
    for (uint32_t i = 0; i < sim->nnodes; i++) {
        const struct sim_node *n = &sim->nodes[i];
        if (n->sched && coop_next_due(n->sched, &due)) {
            uint64_t at = due > n->next_step_ns ? due : n->next_step_ns;
            if (at < next)
                next = at;
        }
    }
    if (sim_next_event(sim, &due) && due < next)
        next = due;
    if (coop_net_next_due(sim->net, &due) && due < next)
        next = due;
    if (next != UINT64_MAX && sim->cfg.profile == COOP_SIM_SEED)
        next = next > UINT64_MAX - 999999 ? UINT64_MAX : (next + 999999) / 1000000 * 1000000;
    return next;
}

/*
 * Runs the steps due now on the first node that has any (nodes in their
 * order: within an instant, node 0's steps come before node 1's).
 * Returns how many ran.
 */
static uint64_t step_nodes(coop_sim *sim, bool one_step)
{
    for (uint32_t i = 0; i < sim->nnodes; i++) {
        struct sim_node *n = &sim->nodes[i];
        if (!n->sched || sim->now_ns < n->next_step_ns)
            continue;
        uint64_t ran = coop_run_due(n->sched, sim_sched_now(sim), one_step ? 1 : batch_size(sim));
        if (ran) {
            after_steps(sim, n, ran);
            return ran;
        }
    }
    return 0;
}

static coop_sim_status run_loop(coop_sim *sim, uint64_t until, bool one_step)
{
    for (;;) {
        coop_sim_status st = check_limits(sim);
        if (st != COOP_SIM_RUNNING)
            return st;
        if (settle(sim))
            sim->busy = 0;
        /* A scripted jump can carry the clock past the limit; no step runs beyond it. */
        if (sim->now_ns - sim->cfg.start_ns > sim->cfg.max_time_ns)
            return COOP_SIM_TIME_LIMIT;
        /* A step cost can carry the clock past the limit; nothing runs after it. */
        if (sim->now_ns > until)
            return COOP_SIM_UNTIL;
        if (step_nodes(sim, one_step)) {
            if (one_step)
                return COOP_SIM_RUNNING;
            continue;
        }
        uint64_t next = next_instant(sim);
        if (next == UINT64_MAX && until == UINT64_MAX)
            return coop_sim_task_count(sim) ? COOP_SIM_HANG : COOP_SIM_DONE;
        if (next > until) {
            if (until > sim->now_ns)
                sim->now_ns = until;
            return COOP_SIM_UNTIL;
        }
        /* next <= now happens only when records of ended tasks were dropped: look again. */
        if (next > sim->now_ns) {
            sim->now_ns = next;
            sim->busy = 0;
        }
    }
}

coop_sim_status coop_sim_step(coop_sim *sim) { return run_loop(sim, UINT64_MAX, true); }

coop_sim_status coop_sim_run_until(coop_sim *sim, uint64_t t_ns) { return run_loop(sim, t_ns, false); }

coop_sim_status coop_sim_advance(coop_sim *sim, uint64_t dt_ns)
{
    return run_loop(sim, sat_add(sim->now_ns, dt_ns), false);
}

coop_sim_status coop_sim_run(coop_sim *sim) { return run_loop(sim, UINT64_MAX, false); }
