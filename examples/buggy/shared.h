/* What the planted bugs share: a block of state that their tasks hold together and the last one frees. */
#ifndef COOP_EXAMPLES_BUGGY_SHARED_H
#define COOP_EXAMPLES_BUGGY_SHARED_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "coop/coop.h"
#include "coop/program.h"

/*
 * Each program's tasks share one malloc'd block (a program may run many
 * times in one process, so nothing lives in static storage).  users
 * counts the tasks holding it; the last task to end frees it.
 */
struct buggy_hold {
    int users;
};

/* Whether argv holds --fixed: the program then runs its documented fix. */
static inline bool buggy_fixed(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--fixed"))
            return true;
    return false;
}

/* Drops one task's hold; the last one frees the block, whose first member is the hold. */
static inline void buggy_release(void *block)
{
    struct buggy_hold *h = block;
    if (--h->users == 0)
        free(block);
}

/*
 * Starts a planted bug's two tasks, both due at 10 ms, each with its own
 * copy of init (size bytes); block (its hold first, with two users) is
 * freed if neither could start, and released once if only the first did.
 */
static inline int buggy_spawn_two(coop_sched *s, void *block, const void *init, size_t size, coop_step_fn a,
                                  const char *a_name, coop_step_fn b, const char *b_name)
{
    ((struct buggy_hold *)block)->users = 2;
    coop_task_spec first = {
        .step = a, .name = a_name, .state_size = size, .init = init, .time2run_ns = COOP_MS(10)
    };
    coop_task_spec second = {
        .step = b, .name = b_name, .state_size = size, .init = init, .time2run_ns = COOP_MS(10)
    };
    int64_t r = coop_spawn(s, &first);
    if (r < 0) {
        free(block);
        return (int)r;
    }
    r = coop_spawn(s, &second);
    if (r < 0)
        buggy_release(block);
    return r < 0 ? (int)r : 0;
}

#endif
