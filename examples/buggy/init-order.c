/* buggy-init-order: a planted bug of depth 1.  A worker may use a table before the loader has filled it. */
#include "shared.h"

#include "programs.h"

/*
 * The loader fills the table in its first step; the worker warms up for
 * WARM_STEPS steps and then reads it.  Both are due at 10 ms with the
 * same prio, and in first-in, first-out order the loader runs first.  One
 * ordering constraint makes it fail: every step of the worker's warm-up
 * and its read run before the loader's first step.  PCT finds it when
 * it gives the worker the higher priority (one run in two); a random tie
 * order needs the worker to win WARM_STEPS + 1 ties in a row.
 *
 * The fix (--fixed): a worker that finds the table empty waits for the
 * signal "loaded", which the loader sends once it has filled the table.
 * The check and the wait are one step, so no order loses the signal.
 */
#define WARM_STEPS 12

struct world {
    struct buggy_hold hold;
    bool fixed, loaded;
    int table;
};

struct io {
    const coop_program_env *env;
    struct world *w;
    int i;
};

static int loader(coop_task *t)
{
    struct io *s = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    s->w->table = 42;
    s->w->loaded = true;
    if (s->w->fixed)
        COOP_CALL(t, coop_send_signal(t, "loaded", 1, 0));
    coop_program_log(s->env, t, "loaded");
    buggy_release(s->w);
    COOP_END(t);
}

static int worker(coop_task *t)
{
    struct io *s = coop_state(t);
    COOP_BEGIN(t);
    for (s->i = 0; s->i < WARM_STEPS; s->i++)
        COOP_YIELD(t);
    if (!s->w->loaded && s->w->fixed)
        COOP_CALL(t, coop_wait_signal(t, "loaded", 0));
    if (!s->w->loaded) {
        coop_program_log(s->env, t, "the table was used before it was loaded");
        buggy_release(s->w);
        COOP_EXIT(t, 1);
    }
    coop_program_log(s->env, t, "read %d", s->w->table);
    buggy_release(s->w);
    COOP_END(t);
}

int coop_buggy_init_order_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    struct world *w = calloc(1, sizeof(*w));
    if (!w)
        return -COOP_ENOMEM;
    w->fixed = buggy_fixed(argc, argv);
    struct io init = { env, w, 0 };
    return buggy_spawn_two(s, w, &init, sizeof(init), loader, "loader", worker, "worker");
}
