/* Programs that misbehave the way user code does, loaded with --load: one crashes, one never yields, one keeps state in statics. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "coop/cli.h"

/*
 * Creates the file $COOP_TEST_MARK, when that is set: how a test learns
 * that the command has got this far, however slowly it runs (valgrind).
 */
static void mark(void)
{
    const char *path = getenv("COOP_TEST_MARK");
    int fd = path ? open(path, O_WRONLY | O_CREAT, 0644) : -1;
    if (fd >= 0)
        close(fd);
}

/* The state of each task: where to log, steps left, and (keeper) the run it belongs to. */
struct plain {
    const coop_program_env *env;
    int left;
    unsigned run;
};

/* After two steps, reads through a null pointer: the worker dies of SIGSEGV in this task's third step. */
static int crash_step(coop_task *t)
{
    struct plain *p = coop_state(t);
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait(t, COOP_MS(10)));
    coop_program_log(p->env, t, "about to crash");
    COOP_CALL(t, coop_wait(t, COOP_MS(10)));
    {
        int *volatile nowhere = NULL;
        p->left = *nowhere;
    }
    COOP_END(t);
}

/* Its second step never returns: no virtual time passes, so only a wall-clock limit ends it. */
static int spin_step(coop_task *t)
{
    struct plain *p = coop_state(t);
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait(t, COOP_MS(5)));
    coop_program_log(p->env, t, "spinning");
    mark();
    for (volatile unsigned long n = 0;; n++)
        p->left = (int)n;
    COOP_END(t);
}

/* Crashes only when the seed's fault point says so: some seeds of a sweep crash, most pass. */
static int flaky_step(coop_task *t)
{
    struct plain *p = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    if (coop_fault_point(t, "crash")) {
        int *volatile nowhere = NULL;
        p->left = *nowhere;
    }
    COOP_END(t);
}

/* Fails when the seed's fault point says so, and marks its hundredth run in a process. */
static unsigned failer_runs;

static int failer_step(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    if (++failer_runs == 100)
        mark();
    if (coop_fault_point(t, "fail"))
        COOP_FAIL(t, -COOP_EINVAL);
    COOP_END(t);
}

/*
 * The obvious way to write a plugin: the environment and a run's identity
 * kept in statics.  Two runs sharing one process at the same time would
 * overwrite each other's; each worker being a process, they never do.
 */
static const coop_program_env *kept_env;
static unsigned kept_run, runs;

static int keep_step(coop_task *t)
{
    struct plain *p = coop_state(t);
    COOP_BEGIN(t);
    while (p->left-- > 0) {
        /* Another run that started meanwhile in this process would have changed it. */
        if (kept_run != p->run)
            COOP_FAIL(t, -COOP_EINVAL);
        COOP_YIELD(t);
    }
    coop_program_log(kept_env, t, "kept");
    COOP_END(t);
}

static int start_one(coop_sched *s, const coop_program_env *env, coop_step_fn step, const char *name,
                     int left)
{
    struct plain init = { env, left, kept_run };
    coop_task_spec spec = {
        .step = step, .name = name, .state_size = sizeof(init), .init = &init, .period_ns = 0
    };
    return coop_spawn(s, &spec) < 0 ? -COOP_ENOMEM : 0;
}

static int crash_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return start_one(s, env, crash_step, "crasher", 0);
}

static int spin_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return start_one(s, env, spin_step, "spinner", 0);
}

static int flaky_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return start_one(s, env, flaky_step, "flaky", 0);
}

static int failer_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return start_one(s, env, failer_step, "failer", 0);
}

static int keep_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    kept_env = env;
    kept_run = ++runs;
    return start_one(s, env, keep_step, "keeper", 200);
}

static const coop_program programs[] = {
    { "crasher", "reads through a null pointer in its third step", crash_start },
    { "spinner", "its second step never returns", spin_start },
    { "keeper", "keeps its environment and run number in statics", keep_start },
    { "flaky", "crashes when its fault point fires", flaky_start },
    { "failer", "fails when its fault point fires", failer_start },
    { NULL, NULL, NULL },
};

__attribute__((visibility("default"))) const coop_program *coop_register_programs(void);
const coop_program *coop_register_programs(void) { return programs; }
