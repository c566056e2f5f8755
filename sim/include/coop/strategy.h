/* Search strategies over the scheduler's choice points: PCT, replay of a written schedule, and exhaustive search. */
#ifndef COOP_STRATEGY_H
#define COOP_STRATEGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coop/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A choice point is a dispatch where two or more tasks are due with the
 * same time and prio (coop_pick_fn).  A schedule is the index chosen at
 * each choice point, in order; past its end every choice is 0, the ready
 * order's own.  Its compact text is one hex digit per choice, with a run
 * of four or more zeros written "xN." (N in decimal) and trailing zeros
 * dropped: "1x12.3" is a 1, twelve 0s, then a 3.  The empty schedule is
 * written "0".
 *
 * Fault decisions (coop_sim_chooser.fault) are choice points too, with
 * two options: 0, the fault does not fire, and 1, it fires.  They are
 * written after the tie choices, behind a "/", in the same compact form:
 * "1x12.3/x5.1" takes the ties as above and fires the sixth fault
 * decision of the run alone.  A schedule without "/" leaves the fault
 * decisions to the seed, as schedules did before they recorded them.
 */
#define COOP_SCHEDULE_TEXT_MAX 4096

typedef enum coop_strategy_kind {
    COOP_STRATEGY_REPLAY, /* follow a written schedule */
    COOP_STRATEGY_RANDOM, /* a random walk: each choice uniform among the tie */
    COOP_STRATEGY_PCT     /* probabilistic concurrency testing */
} coop_strategy_kind;

/* One run's chooser: it records every choice, so that the run's schedule can be written out. */
typedef struct coop_strategy coop_strategy;

/* A chooser that follows text (see above); NULL on a malformed schedule or no memory. */
COOP_API coop_strategy *coop_strategy_replay(const char *text);
/*
 * A random walk for one run: every choice is uniform among the tied
 * tasks, and every fault fires at its configured rate, drawn from seed.
 */
COOP_API coop_strategy *coop_strategy_random(uint64_t seed);
/*
 * PCT (Burckhardt et al., ASPLOS 2010) for one run: every task gets a
 * random priority when first seen, the highest-priority task of a tie
 * runs, and at depth-1 choice points drawn at random from 1..steps the
 * chosen task drops to a priority below every initial one.  A bug that
 * needs depth ordering constraints is found by each run with probability
 * at least 1/(n * steps^(depth-1)) for n tasks, when steps bounds the
 * run's choice points.  depth >= 1; steps >= 1.
 */
COOP_API coop_strategy *coop_strategy_pct(uint64_t seed, uint32_t depth, uint32_t steps);
/*
 * PCT with faults: as coop_strategy_pct (the same priorities and change
 * points), and of the run's fault decisions exactly the ones at faults
 * distinct positions drawn at random from 1..fault_steps fire, no other.
 * A bug that needs depth ordering constraints and faults specific fault
 * decisions (the i-th of the run, for faults given i) to fire, and no
 * other, is found by each run with probability at least
 * 1/(n * steps^(depth-1)) * 1/C(fault_steps, faults) when fault_steps
 * bounds the run's fault decisions (see docs/exploring.md).
 * faults <= 16.
 */
COOP_API coop_strategy *coop_strategy_pct_faults(uint64_t seed, uint32_t depth, uint32_t steps,
                                                 uint32_t faults, uint32_t fault_steps);
COOP_API void coop_strategy_free(coop_strategy *st);
/* The chooser to hand to coop_sim_config.chooser (or coop_scn_overrides.chooser). */
COOP_API coop_sim_chooser coop_strategy_chooser(coop_strategy *st);
/* The tie choice points seen so far. */
COOP_API uint32_t coop_strategy_points(const coop_strategy *st);
/* The fault decisions seen so far. */
COOP_API uint32_t coop_strategy_fault_points(const coop_strategy *st);
/* Writes the choices taken so far as compact text; returns the length the whole text needs. */
COOP_API size_t coop_strategy_format(const coop_strategy *st, char *buf, size_t len);

/*
 * Exhaustive search: a depth-first walk over the choice points, one run
 * per schedule, replaying a prefix and taking new choices past it.
 *
 * Which orders cannot differ depends on what tasks share.  The simulator
 * sees calls, not memory, so by default every two steps are dependent
 * and every order of every tie is run.  With calls_only, the program
 * promises that its tasks share state only through calls: two steps are
 * then dependent when they touch a common signal, fd or task (a step
 * touches its own task; calls whose target the events do not name, such
 * as a signal wait, touch every signal, fd or task; a task list touches
 * everything).  A sleep set (Godefroid) skips a choice whose step is
 * independent of everything run since it was explored as an alternative:
 * such orders cannot differ.  Runs that find every choice asleep are
 * redundant and not counted.
 */
typedef struct coop_dfs coop_dfs;

COOP_API coop_dfs *coop_dfs_new(bool calls_only);
COOP_API void coop_dfs_free(coop_dfs *d);
/*
 * Fault decisions are choice points too, not firing first: along one
 * path at most max_fired of them fire (1 unless set; 0: none), and past
 * that they do not branch.  A step in which a fault is decided counts as
 * touching everything.
 */
COOP_API void coop_dfs_set_faults(coop_dfs *d, uint32_t max_fired);
/* The chooser for the next run; call coop_dfs_next after each run. */
COOP_API coop_sim_chooser coop_dfs_chooser(coop_dfs *d);
/*
 * Ends a run: returns whether it counted as a distinct schedule (false
 * for a redundant one), and moves to the next schedule.
 */
COOP_API bool coop_dfs_end_run(coop_dfs *d);
/* Whether schedules remain to be run. */
COOP_API bool coop_dfs_more(const coop_dfs *d);
/* The schedule of the run just ended (before coop_dfs_end_run) as compact text; as coop_strategy_format. */
COOP_API size_t coop_dfs_format(const coop_dfs *d, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
