/* buggy-torn-copy: a planted bug of depth 2.  A reader copies a record that its writer has only half written. */
#include "shared.h"

#include "programs.h"

/*
 * The writer publishes a record in two steps: the header first, then the
 * body.  The reader polls for a header (at most POLLS steps), copies the
 * record one chunk per step for COPY_STEPS steps, and then checks that
 * the copy has its body.  Both are due at 10 ms with the same prio; in
 * first-in, first-out order the body lands while the reader is still
 * copying.  Two ordering constraints make the copy torn: the header comes
 * before the reader sees it, and the reader's last chunk before the body.
 * PCT needs the writer first and one change point on its first step; a
 * random walk needs the reader to win COPY_STEPS + 1 ties in a row.
 *
 * The fix (--fixed): the writer writes the body first and the header
 * last, so a reader that sees a header sees a whole record.
 */
#define POLLS 4
#define COPY_STEPS 12

struct world {
    struct buggy_hold hold;
    bool fixed, header, body;
};

struct io {
    const coop_program_env *env;
    struct world *w;
    int i;
};

static int writer(coop_task *t)
{
    struct io *s = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    if (s->w->fixed)
        s->w->body = true;
    else
        s->w->header = true;
    COOP_YIELD(t);
    s->w->header = s->w->body = true;
    coop_program_log(s->env, t, "published");
    buggy_release(s->w);
    COOP_END(t);
}

static int reader(coop_task *t)
{
    struct io *s = coop_state(t);
    COOP_BEGIN(t);
    for (s->i = 0; s->i < POLLS && !s->w->header; s->i++)
        COOP_YIELD(t);
    if (!s->w->header) {
        coop_program_log(s->env, t, "no record");
        buggy_release(s->w);
        COOP_EXIT(t, 0);
    }
    for (s->i = 0; s->i < COPY_STEPS; s->i++)
        COOP_YIELD(t);
    if (!s->w->body) {
        coop_program_log(s->env, t, "the copy is torn: a header without its body");
        buggy_release(s->w);
        COOP_EXIT(t, 1);
    }
    coop_program_log(s->env, t, "copied");
    buggy_release(s->w);
    COOP_END(t);
}

int coop_buggy_torn_copy_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    struct world *w = calloc(1, sizeof(*w));
    if (!w)
        return -COOP_ENOMEM;
    w->fixed = buggy_fixed(argc, argv);
    struct io init = { env, w, 0 };
    return buggy_spawn_two(s, w, &init, sizeof(init), writer, "writer", reader, "reader");
}
