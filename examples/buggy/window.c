/* buggy-window: a planted bug of depth 3.  A cleaner commits a job in a maintenance window that has just closed. */
#include "shared.h"

#include "programs.h"

/*
 * The door opens a maintenance window in its first step, yields once,
 * and closes it.  The cleaner polls for an open window (at most POLLS
 * steps), prepares a job for PREP_STEPS steps, checking at each that the
 * window is still open (it aborts cleanly if not), and commits in the
 * next step on the strength of its last check.  Both are due at 10 ms
 * with the same prio; in first-in, first-out order the window closes
 * during the preparation and the cleaner aborts.  Three ordering
 * constraints make it commit on a closed window: the door opens before
 * the cleaner looks, the cleaner's last check comes before the door
 * closes, and the door closes before the commit.  PCT needs the door
 * first and two change points (on the door's first step and on the
 * cleaner's last check, in the right relative order); a random walk
 * needs the cleaner to win PREP_STEPS + 1 ties in a row and then lose one.
 *
 * The fix (--fixed): the cleaner holds the window from the moment it sees
 * it open; the door, finding it held, waits for the signal "released".
 */
#define POLLS 4
#define PREP_STEPS 14

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

/* The cleaner's way out: a log line, the hold given back, and the exit status. */
static int leave(struct io *s, coop_task *t, const char *why, int status)
{
    coop_program_log(s->env, t, "%s", why);
    buggy_release(s->w);
    return status;
}

static int cleaner(coop_task *t)
{
    struct io *s = coop_state(t);
    COOP_BEGIN(t);
    for (s->i = 0; s->i < POLLS && !s->w->open; s->i++)
        COOP_YIELD(t);
    if (!s->w->open)
        COOP_EXIT(t, leave(s, t, "no window", 0));
    if (s->w->fixed)
        s->w->holders++;
    for (s->i = 0; s->i < PREP_STEPS; s->i++) {
        COOP_YIELD(t);
        if (!s->w->open)
            COOP_EXIT(t, leave(s, t, "window closed, job aborted", 0));
    }
    COOP_YIELD(t);
    if (!s->w->open)
        COOP_EXIT(t, leave(s, t, "the job was committed after the window closed", 1));
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
    struct io init = { env, w, 0 };
    return buggy_spawn_two(s, w, &init, sizeof(init), door, "door", cleaner, "cleaner");
}
