/* A node's memory: the allocator its scheduler and program use, with the alloc fault, a count of live bytes, and reclaiming what is left. */
#include <stddef.h>
#include <stdlib.h>

#include "sim/private.h"

/*
 * Every block handed out carries this header in front of it, which puts
 * it on its node's list of live blocks: what is still on the list once
 * the scheduler is freed is what the program never gave back, and the
 * node reclaims it as an operating system would, so a program's leak
 * never becomes the simulator's.  HDR keeps the block's alignment.
 */
struct sim_block {
    struct sim_block *prev, *next;
};
#define ALIGN _Alignof(max_align_t)
#define HDR ((sizeof(struct sim_block) + ALIGN - 1) / ALIGN * ALIGN)

static void link_block(struct sim_node *n, struct sim_block *b)
{
    b->prev = NULL;
    b->next = n->blocks;
    if (n->blocks)
        n->blocks->prev = b;
    n->blocks = b;
}

static void unlink_block(struct sim_node *n, struct sim_block *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        n->blocks = b->next;
    if (b->next)
        b->next->prev = b->prev;
}

/*
 * The scheduler's allocator.  With the allocation fault on, a new block
 * (never a free, never a shrink) fails at the fault rate, except while
 * the node boots or its program starts; the failure is traced so that a
 * replay shows why a call returned -ENOMEM.
 */
void *sim_alloc(void *ctx, void *ptr, size_t old_size, size_t new_size)
{
    struct sim_node *n = ctx;
    coop_sim *sim = n->sim;
    struct sim_block *b = ptr ? (struct sim_block *)((char *)ptr - HDR) : NULL;
    if (new_size == 0) {
        if (b) {
            n->live_bytes -= old_size;
            unlink_block(n, b);
            free(b);
        }
        return NULL;
    }
    if (new_size > old_size && !n->starting && sim_fault_on(sim, COOP_SIM_FAULT_ALLOC) &&
        sim_fault_decide(sim, &sim->rng_alloc, COOP_SIM_FAULT_ALLOC, sim->cfg.fault_pct)) {
        sim_trace_fault(sim, n, "alloc", NULL, 0, true);
        return NULL;
    }
    if (new_size > SIZE_MAX - HDR)
        return NULL;
    /* The block may move: it leaves the list first, and goes back on it whatever realloc did. */
    if (b)
        unlink_block(n, b);
    struct sim_block *nb = realloc(b, HDR + new_size);
    if (!nb) {
        if (b)
            link_block(n, b);
        return NULL;
    }
    link_block(n, nb);
    n->live_bytes += new_size - (b ? old_size : 0);
    return (char *)nb + HDR;
}

void sim_reclaim(struct sim_node *n)
{
    while (n->blocks) {
        struct sim_block *b = n->blocks;
        n->blocks = b->next;
        free(b);
    }
    n->live_bytes = 0;
}
