/* buggy-retry: a planted bug that needs a fault and an ordering.  A failed deposit is visible while it is undone. */
#include "shared.h"

#include "programs.h"

/*
 * The sender deposits a value into a slot the receiver polls.  The
 * deposit passes a fault point ("deposit"); when the fault fires, the
 * sender marks the slot partial, undoes that one step later and deposits
 * again one step after that.  The receiver first sets up for WAIT steps,
 * then polls the slot for at most POLLS steps, and fails when it finds a
 * partial deposit.  Both are due at 10 ms with the same prio.
 *
 * Without the fault every order passes; with it, first-in, first-out
 * order passes too (the receiver is still setting up while the partial
 * deposit is undone).  The bug needs the fault and one ordering
 * constraint: the receiver's first poll between the sender's failed step
 * and the next.  PCT finds it with depth 2 (the sender first, a change
 * point on its first step) and the fault fired, under --faults points.
 *
 * The fix (--fixed): a failed deposit is undone in the step that failed,
 * so nothing partial is ever seen.
 */
#define WAIT 3
#define POLLS 8

enum slot { SLOT_EMPTY, SLOT_PARTIAL, SLOT_FULL };

struct world {
    struct buggy_hold hold;
    bool fixed;
    enum slot slot;
};

struct io {
    const coop_program_env *env;
    struct world *w;
    int i;
};

static int sender(coop_task *t)
{
    struct io *s = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    if (coop_fault_point(t, "deposit")) {
        if (!s->w->fixed) {
            s->w->slot = SLOT_PARTIAL;
            COOP_YIELD(t);
            s->w->slot = SLOT_EMPTY;
        }
        COOP_YIELD(t);
        coop_program_log(s->env, t, "the deposit failed; again");
    }
    s->w->slot = SLOT_FULL;
    coop_program_log(s->env, t, "deposited");
    buggy_release(s->w);
    COOP_END(t);
}

static int receiver(coop_task *t)
{
    struct io *s = coop_state(t);
    COOP_BEGIN(t);
    for (s->i = 0; s->i < WAIT; s->i++)
        COOP_YIELD(t);
    for (s->i = 0; s->i < POLLS && s->w->slot != SLOT_FULL; s->i++) {
        if (s->w->slot == SLOT_PARTIAL) {
            coop_program_log(s->env, t, "read a partial deposit");
            buggy_release(s->w);
            COOP_EXIT(t, 1);
        }
        COOP_YIELD(t);
    }
    coop_program_log(s->env, t, s->w->slot == SLOT_FULL ? "received" : "nothing deposited yet");
    buggy_release(s->w);
    COOP_END(t);
}

int coop_buggy_retry_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    struct world *w = calloc(1, sizeof(*w));
    if (!w)
        return -COOP_ENOMEM;
    w->fixed = buggy_fixed(argc, argv);
    struct io init = { env, w, 0 };
    return buggy_spawn_two(s, w, &init, sizeof(init), sender, "sender", receiver, "receiver");
}
