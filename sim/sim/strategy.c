/* One run's chooser: PCT's priorities and change points, a random walk, or a written schedule; each records its choices. */
#include <stdlib.h>

#include "base/grow.h"
#include "base/prng.h"
#include "coop/strategy.h"
#include "sim/schedule.h"

#define PCT_DEPTH_MAX 16

/*
 * A run's chooser.  taken holds the index chosen at each choice point so
 * far (ntaken of them); replay holds the schedule followed (nreplay
 * choices, then 0s).  PCT's priorities are per tid, assigned when a tid
 * is first seen: initial ones are at least depth, so that the priority i
 * a change point gives (1 <= i < depth) is below every initial one.
 */
struct coop_strategy {
    coop_strategy_kind kind;
    uint8_t *taken;
    size_t ntaken, takencap;
    bool overflow; /* a choice could not be recorded: the written schedule is incomplete */
    uint8_t *replay;
    size_t nreplay;
    /* Fault decisions: those taken (1: fired), and the written ones followed when fault_replay is set. */
    uint8_t *ftaken;
    size_t nftaken, ftakencap;
    bool fault_replay;
    uint8_t *freplay;
    size_t nfreplay;
    uint32_t fault_at[PCT_DEPTH_MAX]; /* PCT: the fault decisions (1-based) that fire, 0: none */
    coop_prng rng;
    uint32_t depth;
    uint32_t change_at[PCT_DEPTH_MAX]; /* change point i+1 at choice point change_at[i] (1-based), 0: none */
    struct pct_prio {
        uint32_t tid;
        uint64_t prio; /* higher runs first */
    } * prios;
    size_t nprios, priocap;
};

static void record(coop_strategy *st, uint32_t k)
{
    if (grow(coop_allocator_libc(), (void **)&st->taken, &st->takencap, st->ntaken + 1, 1, 64)) {
        st->overflow = true;
        return;
    }
    st->taken[st->ntaken++] = (uint8_t)k;
}

static void record_fault(coop_strategy *st, bool fired)
{
    if (grow(coop_allocator_libc(), (void **)&st->ftaken, &st->ftakencap, st->nftaken + 1, 1, 64)) {
        st->overflow = true;
        return;
    }
    st->ftaken[st->nftaken++] = fired;
}

static struct pct_prio *prio_of(coop_strategy *st, uint32_t tid)
{
    for (size_t i = 0; i < st->nprios; i++)
        if (st->prios[i].tid == tid)
            return &st->prios[i];
    if (grow(coop_allocator_libc(), (void **)&st->prios, &st->priocap, st->nprios + 1, sizeof(*st->prios), 8))
        return NULL;
    struct pct_prio *p = &st->prios[st->nprios++];
    p->tid = tid;
    p->prio = st->depth + (uint64_t)coop_prng_next(&st->rng);
    return p;
}

static uint32_t pick_pct(coop_strategy *st, const uint32_t *tids, uint32_t n)
{
    uint32_t best = 0;
    uint64_t best_prio = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct pct_prio *p = prio_of(st, tids[i]);
        uint64_t v = p ? p->prio : 0;
        /* On equal priorities the ready order decides, so the choice stays a function of the seed. */
        if (i == 0 || v > best_prio) {
            best = i;
            best_prio = v;
        }
    }
    uint32_t point = (uint32_t)st->ntaken + 1;
    for (uint32_t i = 0; i + 1 < st->depth; i++) {
        if (st->change_at[i] == point) {
            struct pct_prio *p = prio_of(st, tids[best]);
            if (p)
                p->prio = i + 1;
        }
    }
    return best;
}

static uint32_t on_pick(void *ctx, const uint32_t *tids, uint32_t n)
{
    coop_strategy *st = ctx;
    uint32_t k = 0;
    if (st->kind == COOP_STRATEGY_PCT) {
        k = pick_pct(st, tids, n);
    } else if (st->kind == COOP_STRATEGY_RANDOM) {
        k = coop_prng_below(&st->rng, n);
    } else if (st->ntaken < st->nreplay) {
        k = st->replay[st->ntaken];
        /* A schedule written for another program may name a task that is not there: the ready order's. */
        if (k >= n)
            k = 0;
    }
    record(st, k);
    return k;
}

static bool on_fault(void *ctx, uint32_t kind, uint32_t pct)
{
    coop_strategy *st = ctx;
    (void)kind;
    bool fire = false;
    uint32_t point = (uint32_t)st->nftaken + 1;
    if (st->kind == COOP_STRATEGY_PCT) {
        for (uint32_t i = 0; i < PCT_DEPTH_MAX; i++)
            fire |= st->fault_at[i] == point;
    } else if (st->kind == COOP_STRATEGY_RANDOM) {
        fire = coop_prng_chance(&st->rng, pct, 100);
    } else if (st->nftaken < st->nfreplay) {
        fire = st->freplay[st->nftaken] != 0;
    }
    record_fault(st, fire);
    return fire;
}

coop_strategy *coop_strategy_replay(const char *text)
{
    coop_strategy *st = calloc(1, sizeof(*st));
    if (!st)
        return NULL;
    st->kind = COOP_STRATEGY_REPLAY;
    if (sim_schedule_parse_full(text, &st->replay, &st->nreplay, &st->freplay, &st->nfreplay,
                                &st->fault_replay)) {
        free(st);
        return NULL;
    }
    return st;
}

coop_strategy *coop_strategy_random(uint64_t seed)
{
    coop_strategy *st = calloc(1, sizeof(*st));
    if (!st)
        return NULL;
    st->kind = COOP_STRATEGY_RANDOM;
    coop_prng_seed(&st->rng, seed, 5);
    return st;
}

coop_strategy *coop_strategy_pct(uint64_t seed, uint32_t depth, uint32_t steps)
{
    coop_strategy *st = calloc(1, sizeof(*st));
    if (!st)
        return NULL;
    st->kind = COOP_STRATEGY_PCT;
    st->depth = depth < 1 ? 1 : depth > PCT_DEPTH_MAX ? PCT_DEPTH_MAX : depth;
    if (steps < 1)
        steps = 1;
    coop_prng_seed(&st->rng, seed, 7);
    /* depth-1 distinct change points; label i goes to the i-th drawn, so labels fall in random order. */
    for (uint32_t i = 0; i + 1 < st->depth && i < steps; i++) {
        uint32_t c;
        bool again;
        do {
            c = 1 + coop_prng_below(&st->rng, steps);
            again = false;
            for (uint32_t j = 0; j < i; j++)
                again |= st->change_at[j] == c;
        } while (again);
        st->change_at[i] = c;
    }
    return st;
}

coop_strategy *coop_strategy_pct_faults(uint64_t seed, uint32_t depth, uint32_t steps, uint32_t faults,
                                        uint32_t fault_steps)
{
    coop_strategy *st = coop_strategy_pct(seed, depth, steps);
    if (!st)
        return NULL;
    if (faults > PCT_DEPTH_MAX)
        faults = PCT_DEPTH_MAX;
    if (fault_steps < 1)
        fault_steps = 1;
    /* A stream of its own, so that the priorities and change points are those coop_strategy_pct draws. */
    coop_prng rng;
    coop_prng_seed(&rng, seed, 11);
    for (uint32_t i = 0; i < faults && i < fault_steps; i++) {
        uint32_t c;
        bool again;
        do {
            c = 1 + coop_prng_below(&rng, fault_steps);
            again = false;
            for (uint32_t j = 0; j < i; j++)
                again |= st->fault_at[j] == c;
        } while (again);
        st->fault_at[i] = c;
    }
    return st;
}

void coop_strategy_free(coop_strategy *st)
{
    if (!st)
        return;
    free(st->taken);
    free(st->replay);
    free(st->ftaken);
    free(st->freplay);
    free(st->prios);
    free(st);
}

coop_sim_chooser coop_strategy_chooser(coop_strategy *st)
{
    /* A written schedule without fault decisions leaves them to the seed, as before schedules had any. */
    bool faults = st->kind != COOP_STRATEGY_REPLAY || st->fault_replay;
    return (coop_sim_chooser){ on_pick, NULL, st, faults ? on_fault : NULL };
}

uint32_t coop_strategy_points(const coop_strategy *st) { return (uint32_t)st->ntaken; }

uint32_t coop_strategy_fault_points(const coop_strategy *st) { return (uint32_t)st->nftaken; }

size_t coop_strategy_format(const coop_strategy *st, char *buf, size_t len)
{
    return sim_schedule_format_full(st->taken, st->ntaken, st->ftaken, st->nftaken, buf, len);
}
