/* The run loop: what happens at each instant, in order, the limits that end a run, and how time moves on. */
#include "sim/private.h"

/*
 * Carries out everything due at the current instant other than task
 * steps: scripted events first (in the order they were added), then
 * network deliveries, then readiness wake-ups.  Returns whether anything
 * happened.
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
        (void)coop_poll_io(sim->sched, 0);
    }
    return any;
}

static coop_sim_status check_limits(const coop_sim *sim)
{
    if (coop_is_stopped(sim->sched))
        return COOP_SIM_STOPPED;
    if (sim->cfg.stop_on_error && coop_last_failure(sim->sched))
        return COOP_SIM_FAILED;
    if (sim->steps >= sim->cfg.max_steps)
        return COOP_SIM_STEP_LIMIT;
    if (sim->now_ns - sim->cfg.start_ns > sim->cfg.max_time_ns)
        return COOP_SIM_TIME_LIMIT;
    if (sim->busy >= sim->cfg.busy_steps)
        return COOP_SIM_BUSY_LOOP;
    return COOP_SIM_RUNNING;
}

/*
 * How many steps may run back to back before the loop must look again.
 * Steps at one instant need nothing from the loop in between unless one
 * of them changes the world: a socket call or a scripted event for now
 * breaks the batch (mark_dirty, ev_push), so the order of everything is
 * the same as one step at a time.  A step cost, the seed profile and the
 * clock-jump fault act after every step, so they run steps singly.
 */
static uint64_t batch_size(const coop_sim *sim)
{
    if (sim->cfg.step_cost_ns || sim->cfg.profile == COOP_SIM_SEED || sim->cfg.verify ||
        sim_fault_on(sim, COOP_SIM_FAULT_CLOCK_JUMP))
        return 1;
    uint64_t n = sim->cfg.max_steps - sim->steps;
    uint64_t busy_left = sim->cfg.busy_steps - sim->busy;
    return n < busy_left ? n : busy_left;
}

static void after_steps(coop_sim *sim, uint64_t n)
{
    /* What follows acts per step; batch_size runs several only where it does nothing. */
    if (sim->cfg.verify) {
        coop_verify(sim->sched);
        coop_net_verify(sim->net);
    }
    sim->steps += n;
    sim->busy += n;
    if (sim->cfg.profile == COOP_SIM_SEED)
        sim->next_step_ns = sim->now_ns / 1000000 * 1000000 + 1000000;
    else
        sim->now_ns += sim->cfg.step_cost_ns;
    sim_fault_clock_jump(sim);
}

/* The next instant at which anything can happen, or UINT64_MAX. */
static uint64_t next_instant(coop_sim *sim)
{
    uint64_t next = UINT64_MAX, due;
    if (coop_next_due(sim->sched, &due))
        next = due > sim->next_step_ns ? due : sim->next_step_ns;
    if (sim_next_event(sim, &due) && due < next)
        next = due;
    if (coop_net_next_due(sim->net, &due) && due < next)
        next = due;
    if (next != UINT64_MAX && sim->cfg.profile == COOP_SIM_SEED)
        next = (next + 999999) / 1000000 * 1000000;
    return next;
}

static coop_sim_status run_loop(coop_sim *sim, uint64_t until, bool one_step)
{
    for (;;) {
        coop_sim_status st = check_limits(sim);
        if (st != COOP_SIM_RUNNING)
            return st;
        if (settle(sim))
            sim->busy = 0;
        /* A step cost can carry the clock past the limit; nothing runs after it. */
        if (sim->now_ns > until)
            return COOP_SIM_UNTIL;
        if (sim->now_ns >= sim->next_step_ns) {
            uint64_t ran = coop_run_due(sim->sched, sim_sched_now(sim), one_step ? 1 : batch_size(sim));
            if (ran) {
                after_steps(sim, ran);
                if (one_step)
                    return COOP_SIM_RUNNING;
                continue;
            }
        }
        uint64_t next = next_instant(sim);
        if (next == UINT64_MAX && until == UINT64_MAX)
            return coop_task_count(sim->sched) ? COOP_SIM_HANG : COOP_SIM_DONE;
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
    return run_loop(sim, sim->now_ns + dt_ns, false);
}

coop_sim_status coop_sim_run(coop_sim *sim) { return run_loop(sim, UINT64_MAX, false); }
