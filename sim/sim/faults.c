/* Faults: the one table of fault kinds and their rates, and the hooks through which the seed decides them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/private.h"

/*
 * Every fault kind, in bit order, with its name and what its rate is.
 * `per_mille` kinds draw per mille of the fault rate instead of per cent,
 * and the network's rates scale the configured rate (pct) by num / den,
 * never below 1 %.  This table is the only place that knows them.
 */
static const struct fault_kind {
    uint32_t bit;
    const char *name;
    uint32_t num, den; /* the network's rate: pct * num / den */
} kinds[] = {
    { COOP_SIM_FAULT_JITTER, "jitter", 0, 1 },     /* up to 2 ms per delivery, whatever the rate */
    { COOP_SIM_FAULT_SPLIT, "split", 4, 1 },       /* per delivery */
    { COOP_SIM_FAULT_SHORT_IO, "short-io", 4, 1 }, /* per read or write */
    { COOP_SIM_FAULT_EAGAIN, "eagain", 2, 1 },     /* per read or write */
    { COOP_SIM_FAULT_RESET, "reset", 1, 5 },       /* per data delivery */
    { COOP_SIM_FAULT_REFUSE, "refuse", 1, 1 },     /* per connection request */
    { COOP_SIM_FAULT_CLOCK_JUMP, "clock-jump", 0, 1 }, { COOP_SIM_FAULT_ALLOC, "alloc", 0, 1 },
    { COOP_SIM_FAULT_POINTS, "points", 0, 1 },
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))
_Static_assert(NKINDS == 9 && COOP_SIM_FAULTS_ALL == 0x1ffu, "every fault kind has a row");

/* The largest extra latency the jitter fault adds to one delivery. */
#define JITTER_MAX_NS UINT64_C(2000000)

const char *coop_sim_fault_name(uint32_t bit)
{
    for (size_t k = 0; k < NKINDS; k++)
        if (kinds[k].bit == bit)
            return kinds[k].name;
    return NULL;
}

uint32_t sim_fault_bit(const char *name)
{
    /* The names the network and the fault points trace, where they differ from the table's. */
    if (!strcmp(name, "short"))
        return COOP_SIM_FAULT_SHORT_IO;
    if (!strcmp(name, "point"))
        return COOP_SIM_FAULT_POINTS;
    for (size_t k = 0; k < NKINDS; k++)
        if (!strcmp(kinds[k].name, name))
            return kinds[k].bit;
    return 0;
}

int coop_sim_faults_parse(const char *text, uint32_t *mask)
{
    if (!strcmp(text, "none")) {
        *mask = 0;
        return 0;
    }
    if (!strcmp(text, "all")) {
        *mask = COOP_SIM_FAULTS_ALL;
        return 0;
    }
    if (!strcmp(text, "seed")) {
        *mask = COOP_SIM_FAULTS_FROM_SEED;
        return 0;
    }
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        char *end;
        unsigned long long v = strtoull(text + 2, &end, 16);
        if (!text[2] || *end || !strchr("0123456789abcdefABCDEF", text[2]) ||
            v & ~(unsigned long long)COOP_SIM_FAULTS_ALL)
            return -COOP_EINVAL;
        *mask = (uint32_t)v;
        return 0;
    }
    uint32_t m = 0;
    for (const char *p = text;;) {
        size_t n = strcspn(p, ",");
        size_t k = 0;
        while (k < NKINDS && !(strlen(kinds[k].name) == n && !strncmp(kinds[k].name, p, n)))
            k++;
        if (k == NKINDS)
            return -COOP_EINVAL;
        m |= kinds[k].bit;
        p += n;
        if (!*p)
            break;
        if (!*++p)
            return -COOP_EINVAL;
    }
    *mask = m;
    return 0;
}

size_t coop_sim_faults_format(uint32_t mask, char *buf, size_t len)
{
    size_t n = 0;
    if (len)
        buf[0] = '\0';
    if (!(mask & COOP_SIM_FAULTS_ALL))
        return (size_t)snprintf(buf, len, "none");
    for (size_t k = 0; k < NKINDS; k++)
        if (mask & kinds[k].bit) {
            int w = snprintf(n < len ? buf + n : NULL, n < len ? len - n : 0, "%s%s", n ? "," : "",
                             kinds[k].name);
            n += w > 0 ? (size_t)w : 0;
        }
    return n;
}

uint32_t sim_fault_mix(const coop_sim_config *cfg)
{
    if (!(cfg->faults & COOP_SIM_FAULTS_FROM_SEED))
        return cfg->faults & COOP_SIM_FAULTS_ALL;
    /* The seed's choice never includes allocation failures: they stop most programs at start. */
    coop_prng mix;
    coop_prng_seed(&mix, cfg->seed, 5);
    return coop_prng_next(&mix) & COOP_SIM_FAULTS_ALL & ~(uint32_t)COOP_SIM_FAULT_ALLOC;
}

/* The network's rate for one fault kind of mask, in per cent. */
static uint32_t net_rate(uint32_t mask, uint32_t pct, uint32_t bit)
{
    if (!(mask & bit))
        return 0;
    size_t k = 0;
    while (kinds[k].bit != bit)
        k++;
    uint32_t r = pct * kinds[k].num / kinds[k].den;
    return r ? r : 1;
}

_Static_assert((uint32_t)NET_FAULT_SPLIT == (uint32_t)COOP_SIM_FAULT_SPLIT &&
                   (uint32_t)NET_FAULT_SHORT_IO == (uint32_t)COOP_SIM_FAULT_SHORT_IO &&
                   (uint32_t)NET_FAULT_EAGAIN == (uint32_t)COOP_SIM_FAULT_EAGAIN &&
                   (uint32_t)NET_FAULT_RESET == (uint32_t)COOP_SIM_FAULT_RESET &&
                   (uint32_t)NET_FAULT_REFUSE == (uint32_t)COOP_SIM_FAULT_REFUSE,
               "the network names its faults by the simulator's bits");

bool sim_fault_decide(coop_sim *sim, coop_prng *rng, uint32_t kind, uint32_t pct)
{
    if (sim->cfg.chooser.fault)
        return sim->cfg.chooser.fault(sim->cfg.chooser.ctx, kind, pct);
    return coop_prng_chance(rng, pct, 100);
}

void sim_apply_net_faults(coop_sim *sim, uint32_t mask)
{
    uint32_t pct = sim->cfg.fault_pct;
    coop_net_faults f = {
        .jitter_ns = mask & COOP_SIM_FAULT_JITTER ? JITTER_MAX_NS : 0,
        .split_pct = net_rate(mask, pct, COOP_SIM_FAULT_SPLIT),
        .short_io_pct = net_rate(mask, pct, COOP_SIM_FAULT_SHORT_IO),
        .eagain_pct = net_rate(mask, pct, COOP_SIM_FAULT_EAGAIN),
        .reset_pct = net_rate(mask, pct, COOP_SIM_FAULT_RESET),
        .refuse_pct = net_rate(mask, pct, COOP_SIM_FAULT_REFUSE),
        .peers = sim->cfg.fault_peers,
        .decide = sim->cfg.chooser.fault,
        .decide_ctx = sim->cfg.chooser.ctx,
    };
    coop_net_set_faults(sim->net, &f);
}

void coop_sim_set_net_faults(coop_sim *sim, uint32_t mask) { sim_apply_net_faults(sim, mask); }

bool sim_on_fault_point(void *ctx, const char *site, uint32_t tid)
{
    struct sim_node *n = ctx;
    coop_sim *sim = n->sim;
    bool fired = sim_fault_on(sim, COOP_SIM_FAULT_POINTS) &&
                 sim_fault_decide(sim, &sim->rng_faults, COOP_SIM_FAULT_POINTS, sim->cfg.fault_pct);
    sim_trace_fault(sim, n, "point", site, tid, fired);
    return fired;
}

uint64_t sim_on_seq(void *ctx, uint64_t counter)
{
    struct sim_node *n = ctx;
    sim_tie_keyed(n, counter);
    return coop_prng_next64(&n->sim->rng_ties) >> 9;
}

/* With a chooser, ties keep first-in, first-out order until it picks: the counter itself. */
uint64_t sim_on_seq_fifo(void *ctx, uint64_t counter)
{
    (void)ctx;
    return counter;
}
/* The clock-jump fault: per step, fault_pct per mille, a jump of 1 ms to 101 ms. */
void sim_fault_clock_jump(coop_sim *sim)
{
    if (sim_fault_on(sim, COOP_SIM_FAULT_CLOCK_JUMP) &&
        coop_prng_chance(&sim->rng_faults, sim->cfg.fault_pct, 1000)) {
        sim->now_ns = sat_add(sim->now_ns, 1000000 + coop_prng_below(&sim->rng_faults, 100000000));
        sim_trace_fault(sim, NULL, "clock-jump", NULL, 0, true);
    }
}
