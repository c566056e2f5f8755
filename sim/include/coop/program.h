/* Programs: task code registered by name, so scenarios and the coop command can run it. */
#ifndef COOP_PROGRAM_H
#define COOP_PROGRAM_H

#include <stdarg.h>

#include "coop/coop.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * What a program may use of its host besides the scheduler: a log for
 * what it would show a person (a LED, a line on a console).  In the
 * simulator each log line becomes a trace event; on the real backend it
 * is printed with a timestamp.
 */
typedef struct coop_program_env {
    void (*log)(void *ctx, coop_task *t, const char *text);
    void *ctx;
} coop_program_env;

/* Starts the program: spawns its tasks on s.  Returns 0 or a negative COOP_E* code. */
typedef int (*coop_program_start_fn)(coop_sched *s, const coop_program_env *env, int argc, char **argv);

typedef struct coop_program {
    const char *name;    /* e.g. "seed-2tasks" */
    const char *summary; /* one line for `coop programs` */
    coop_program_start_fn start;
} coop_program;

/* A registry is a NULL-name-terminated array of programs. */
COOP_API const coop_program *coop_program_find(const coop_program *registry, const char *name);

/* Formats a line and hands it to env->log (if any) for task t. */
COOP_API void coop_program_log(const coop_program_env *env, coop_task *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Starts a program inside a simulation: its log lines become "log" trace
 * events.  Defined with the simulator; returns what the program's start
 * function returned.
 */
struct coop_sim;
COOP_API int coop_sim_start(struct coop_sim *sim, const coop_program *program, int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif
