/* Virtual time: the clock the scheduler reads, and the 32-bit tick it reads in tick32 mode. */
#include "sim/private.h"

static uint64_t sim_clock_now(void *ctx) { return ((coop_sim *)ctx)->now_ns; }

const coop_clock_ops sim_clock_ops = { COOP_CLOCK_VERSION, "virtual", sim_clock_now };

uint32_t sim_raw_ms(void *ctx) { return (uint32_t)(((coop_sim *)ctx)->now_ns / 1000000); }

uint64_t sim_sched_now(const coop_sim *sim)
{
    return sim->cfg.tick32 ? sim->now_ns / 1000000 * 1000000 : sim->now_ns;
}
