/* The real backend put together: a config with the monotonic clock and default poller, and the default scheduler. */
#include <stdlib.h>
#include <string.h>

#include "coop/real.h"
#include "internal.h"

int coop_config_real(coop_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->clock = coop_clock_monotonic();
    cfg->alloc = coop_allocator_libc();
    return coop_poller_default_new(&cfg->poller, cfg->alloc);
}

static coop_sched *default_sched;

static void free_default(void)
{
    coop_sched_free(default_sched);
    default_sched = NULL;
}

/* Not thread-safe, like the rest of a scheduler: one thread owns it. */
coop_sched *coop_default(void)
{
    if (default_sched)
        return default_sched;
    coop_config cfg;
    if (coop_config_real(&cfg) != 0)
        return NULL;
    default_sched = coop_sched_new(&cfg);
    if (!default_sched) {
        cfg.poller.ops->destroy(cfg.poller.ctx);
        return NULL;
    }
    atexit(free_default);
    return default_sched;
}
