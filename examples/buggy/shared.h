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

#endif
