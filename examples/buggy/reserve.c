/* buggy-reserve: a planted bug of depth 2.  A booker checks for a free seat, yields, and books on what it saw. */
#include "shared.h"

#include "programs.h"

/*
 * One seat is left.  The booker reads the count of free seats, yields
 * once (asking for payment), and books the seat on the strength of what
 * it read.  A walk-in browses for BROWSE_STEPS steps, then books in one
 * step if a seat is free.  Both are due at 10 ms with the same prio; in
 * first-in, first-out order the booker books long before the walk-in
 * looks.  Two ordering constraints make the seat sold twice: the
 * booker's read comes before the walk-in's booking, and the walk-in's
 * booking before the booker's.  PCT needs the booker first and one
 * change point on the booker's first two steps; a random tie order needs
 * the walk-in to win about BROWSE_STEPS ties in a row.
 *
 * The fix (--fixed): the booker checks again when it books, in the same
 * step as the booking, and reports "sold out" when the seat is gone.
 */
#define BROWSE_STEPS 16

struct world {
    struct buggy_hold hold;
    bool fixed;
    int free_seats, sold;
};

struct io {
    const coop_program_env *env;
    struct world *w;
    int i, seen;
};

/* Sells the seat; a seat sold twice is the failure this program plants. */
static int sell(struct io *s, coop_task *t)
{
    s->w->free_seats--;
    if (++s->w->sold > 1) {
        coop_program_log(s->env, t, "the last seat was sold twice");
        return 1;
    }
    coop_program_log(s->env, t, "booked");
    return 0;
}

static int booker(coop_task *t)
{
    struct io *s = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    s->seen = s->w->free_seats;
    COOP_YIELD(t);
    if (s->seen > 0 && (!s->w->fixed || s->w->free_seats > 0)) {
        int rc = sell(s, t);
        buggy_release(s->w);
        COOP_EXIT(t, rc);
    }
    coop_program_log(s->env, t, "sold out");
    buggy_release(s->w);
    COOP_END(t);
}

static int walkin(coop_task *t)
{
    struct io *s = coop_state(t);
    COOP_BEGIN(t);
    for (s->i = 0; s->i < BROWSE_STEPS; s->i++)
        COOP_YIELD(t);
    if (s->w->free_seats > 0) {
        int rc = sell(s, t);
        buggy_release(s->w);
        COOP_EXIT(t, rc);
    }
    coop_program_log(s->env, t, "sold out");
    buggy_release(s->w);
    COOP_END(t);
}

int coop_buggy_reserve_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    struct world *w = calloc(1, sizeof(*w));
    if (!w)
        return -COOP_ENOMEM;
    w->fixed = buggy_fixed(argc, argv);
    w->free_seats = 1;
    w->hold.users = 2;
    struct io init = { env, w, 0, 0 };
    coop_task_spec b = { .step = booker,
                         .name = "booker",
                         .state_size = sizeof(init),
                         .init = &init,
                         .time2run_ns = COOP_MS(10) };
    coop_task_spec k = { .step = walkin,
                         .name = "walkin",
                         .state_size = sizeof(init),
                         .init = &init,
                         .time2run_ns = COOP_MS(10) };
    int64_t r = coop_spawn(s, &b);
    if (r < 0) {
        free(w);
        return (int)r;
    }
    r = coop_spawn(s, &k);
    if (r < 0)
        buggy_release(w);
    return r < 0 ? (int)r : 0;
}
