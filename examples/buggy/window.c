/* buggy-window: a planted bug of depth 3.  A cleaner starts work in a maintenance window that closes under it. */
#include "shared.h"

#include "programs.h"

/*
 * The door opens a maintenance window in its first step, yields once,
 * and closes it.  The cleaner sweeps for SWEEP_STEPS steps, then looks:
 * if the window is open it starts a job that needs the window across one
 * yield, and checks at the end of the job that it still is.  Both are due
 * at 10 ms with the same prio; in first-in, first-out order the window
 * has closed long before the cleaner looks, and it skips the job.  Three
 * ordering constraints make it fail: the door opens before the cleaner
 * looks, the cleaner looks before the door closes, and the door closes
 * before the cleaner's job ends.  PCT needs the door first and two change
 * points (one on the door's first two steps, one on the cleaner's look,
 * with the right relative order); a random tie order needs the cleaner
 * to win about SWEEP_STEPS ties in a row and then lose two.
 *
 * The fix (--fixed): the cleaner holds the window while it works; the
 * door, finding it held, waits for the signal "released" before closing.
 */
#define SWEEP_STEPS 20

struct world {
    struct buggy_hold hold;
    bool fixed, open;
    int holders;
};

struct io {
    const coop_program_env *env;
    struct world *w;
    int i;
};

static int door(coop_task *t)
{
    struct io *s = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    s->w->open = true;
    COOP_YIELD(t);
    if (s->w->holders > 0)
        COOP_CALL(t, coop_wait_signal(t, "released", 0));
    s->w->open = false;
    coop_program_log(s->env, t, "closed");
    buggy_release(s->w);
    COOP_END(t);
}

static int cleaner(coop_task *t)
{
    struct io *s = coop_state(t);
    COOP_BEGIN(t);
    for (s->i = 0; s->i < SWEEP_STEPS; s->i++)
        COOP_YIELD(t);
    if (!s->w->open) {
        coop_program_log(s->env, t, "window closed, job skipped");
        buggy_release(s->w);
        COOP_EXIT(t, 0);
    }
    if (s->w->fixed)
        s->w->holders++;
    COOP_YIELD(t);
    if (!s->w->open) {
        coop_program_log(s->env, t, "the window closed during the job");
        buggy_release(s->w);
        COOP_EXIT(t, 1);
    }
    coop_program_log(s->env, t, "job done");
    if (s->w->fixed) {
        s->w->holders--;
        COOP_CALL(t, coop_send_signal(t, "released", 1, 0));
    }
    buggy_release(s->w);
    COOP_END(t);
}

int coop_buggy_window_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    struct world *w = calloc(1, sizeof(*w));
    if (!w)
        return -COOP_ENOMEM;
    w->fixed = buggy_fixed(argc, argv);
    w->hold.users = 2;
    struct io init = { env, w, 0 };
    coop_task_spec d = {
        .step = door, .name = "door", .state_size = sizeof(init), .init = &init, .time2run_ns = COOP_MS(10)
    };
    coop_task_spec c = { .step = cleaner,
                         .name = "cleaner",
                         .state_size = sizeof(init),
                         .init = &init,
                         .time2run_ns = COOP_MS(10) };
    int64_t r = coop_spawn(s, &d);
    if (r < 0) {
        free(w);
        return (int)r;
    }
    r = coop_spawn(s, &c);
    if (r < 0)
        buggy_release(w);
    return r < 0 ? (int)r : 0;
}
