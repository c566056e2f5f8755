/* The programs the coop command registers: the seed demos, the echo server, the blinker, probes and planted bugs. */
#ifndef COOP_EXAMPLES_PROGRAMS_H
#define COOP_EXAMPLES_PROGRAMS_H

#include "coop/program.h"

/* Every built-in program, NULL-name-terminated. */
extern const coop_program coop_builtin_programs[];

/* probe MODE [ARG]: small programs that exercise one call or one fixed seed bug each (see probe.c). */
int coop_probe_start(coop_sched *s, const coop_program_env *env, int argc, char **argv);
/* buggy-handoff: a planted ordering bug that only a tie permutation reveals (see examples/buggy/). */
int coop_buggy_handoff_start(coop_sched *s, const coop_program_env *env, int argc, char **argv);
/* Planted ordering bugs of depth 1, 2 and 3, each with a fix behind --fixed (see examples/buggy/). */
int coop_buggy_init_order_start(coop_sched *s, const coop_program_env *env, int argc, char **argv);
int coop_buggy_retry_start(coop_sched *s, const coop_program_env *env, int argc, char **argv);
int coop_buggy_torn_copy_start(coop_sched *s, const coop_program_env *env, int argc, char **argv);
int coop_buggy_window_start(coop_sched *s, const coop_program_env *env, int argc, char **argv);

#endif
