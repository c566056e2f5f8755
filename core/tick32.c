/* The 32-bit tick adapter: a wrapping millisecond counter made into a monotonic 64-bit clock. */
#include "coop/tick32.h"

void coop_tick32_init(coop_tick32 *a, uint32_t (*read_ms)(void *ctx), void *ctx)
{
    a->read_ms = read_ms;
    a->ctx = ctx;
    a->last = 0;
    a->wraps = 0;
    a->started = 0;
}

uint64_t coop_tick32_now_ms(coop_tick32 *a)
{
    uint32_t raw = a->read_ms(a->ctx);
    /* Unsigned comparison: a smaller reading can only mean the counter wrapped. */
    if (a->started && raw < a->last)
        a->wraps++;
    a->started = 1;
    a->last = raw;
    return (a->wraps << 32) + raw;
}

static uint64_t tick32_now_ns(void *ctx) { return coop_tick32_now_ms(ctx) * UINT64_C(1000000); }

static const coop_clock_ops tick32_ops = { COOP_CLOCK_VERSION, "tick32", tick32_now_ns };

coop_clock coop_tick32_clock(coop_tick32 *a) { return (coop_clock){ &tick32_ops, a }; }
