/* The built-in registry, with the adapters that fit the echo server and the blinker to coop_program. */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "blinker.h"
#include "echo.h"
#include "programs.h"
#include "seed.h"

/* Parses a non-negative decimal argument; -1 when it is not one. */
static int64_t num_arg(const char *s)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    return (*s && !*end && v >= 0) ? v : -1;
}

/* echo [--port N] [--idle-ms N] [--max-clients N] */
static int echo_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    struct coop_echo_options o = { .port = 7000, .log = env->log, .log_ctx = env->ctx };
    /* Options come in pairs: a name and its number. */
    for (int i = 0; i < argc; i += 2) {
        int64_t v = i + 1 < argc ? num_arg(argv[i + 1]) : -1;
        if (v < 0)
            return -COOP_EINVAL;
        if (!strcmp(argv[i], "--port") && v <= 65535)
            o.port = (uint16_t)v;
        else if (!strcmp(argv[i], "--idle-ms"))
            o.idle_timeout_ns = COOP_MS(v);
        else if (!strcmp(argv[i], "--max-clients") && v <= UINT32_MAX)
            o.max_clients = (uint32_t)v;
        else
            return -COOP_EINVAL;
    }
    int port = coop_echo_start(s, &o);
    return port < 0 ? port : 0;
}

/* blinker [--duration-ms N] [--periods-ms A,B,...] */
static int blinker_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    int64_t periods[COOP_BLINKER_MAX_LEDS];
    struct coop_blinker_options o = { .out = env->log, .out_ctx = env->ctx };
    for (int i = 0; i < argc; i += 2) {
        if (i + 1 >= argc)
            return -COOP_EINVAL;
        if (!strcmp(argv[i], "--duration-ms")) {
            int64_t v = num_arg(argv[i + 1]);
            if (v < 0)
                return -COOP_EINVAL;
            o.duration_ns = COOP_MS(v);
        } else if (!strcmp(argv[i], "--periods-ms")) {
            const char *p = argv[i + 1];
            o.nleds = 0;
            o.periods_ns = periods;
            while (*p) {
                char *end;
                long long v = strtoll(p, &end, 10);
                if (end == p || v <= 0 || o.nleds == COOP_BLINKER_MAX_LEDS)
                    return -COOP_EINVAL;
                periods[o.nleds++] = COOP_MS(v);
                p = *end == ',' ? end + 1 : end;
                if (*end && *end != ',')
                    return -COOP_EINVAL;
            }
        } else {
            return -COOP_EINVAL;
        }
    }
    return coop_blinker_start(s, &o);
}

/*
 * firmware: the firmware example's tasks, unchanged (examples/firmware).  On
 * the board a timer interrupt raises "timer"; here a scenario sends it.
 */
static int firmware_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)argv;
    if (argc)
        return -COOP_EINVAL;
    return coop_fw_app_start(s, env->log, env->ctx);
}

/* The seed demos come first, in their own order; then the examples, the probes and the planted bugs. */
const coop_program coop_builtin_programs[] = {
    { "seed-2tasks", "two named periodic tasks; bartask ends everything with KillOs", coop_seed_2tasks },
    { "seed-4tasks", "four LED tasks with staggered starts and a killer at 10 s", coop_seed_4tasks },
    { "seed-createkilldye", "a master task creates a task, kills it, then KillOs", coop_seed_createkilldye },
    { "seed-gettaskref", "a task changes its own period through GetTaskRef (Morse code)",
      coop_seed_gettaskref },
    { "seed-4speed", "six counting tasks and an evaluator: steps per second", coop_seed_4speed },
    { "seed-signal", "three waiters and a sender on the signal \"Hello\"", coop_seed_signal },
    { "echo", "the echo server: [--port N (7000)] [--idle-ms N] [--max-clients N]", echo_start },
    { "blinker", "periodic LED tasks: [--duration-ms N] [--periods-ms A,B,...]", blinker_start },
    { "firmware", "the firmware example's tasks; send the signal \"timer\" to sample", firmware_start },
    { "probe", "small programs for the corpus: probe MODE [ARG] (see examples/corpus/probe.c)",
      coop_probe_start },
    { "buggy-handoff", "planted bug: a signal lost when the producer runs first", coop_buggy_handoff_start },
    { NULL, NULL, NULL },
};
