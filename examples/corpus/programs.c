/* The built-in registry, with the adapters that fit the echo server and the blinker to coop_program. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "blinker.h"
#include "echo.h"
#include "programs.h"
#include "seed.h"
#include "uplink.h"

/* The largest count of milliseconds that is still a count of nanoseconds in int64_t. */
#define MS_MAX (INT64_MAX / 1000000)

/* Parses a non-negative decimal argument no larger than MS_MAX; -1 when it is not one. */
static int64_t num_arg(const char *s)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    return (*s >= '0' && *s <= '9' && !*end && !errno && v >= 0 && v <= MS_MAX) ? v : -1;
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
                errno = 0;
                long long v = strtoll(p, &end, 10);
                if (end == p || errno || v <= 0 || v > MS_MAX || o.nleds == COOP_BLINKER_MAX_LEDS)
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

/* "ADDR:PORT" into addr (at least 16 bytes) and a port; false when it is not that. */
static bool split_server(const char *arg, char *addr, uint16_t *port)
{
    const char *colon = strrchr(arg, ':');
    int64_t p = colon ? num_arg(colon + 1) : -1;
    size_t len = colon ? (size_t)(colon - arg) : 0;
    if (p < 1 || p > 65535 || len == 0 || len >= 16)
        return false;
    memcpy(addr, arg, len);
    addr[len] = '\0';
    *port = (uint16_t)p;
    return true;
}

/* uplink --server ADDR:PORT [--name NAME] [--period-ms N] [--connect-timeout-ms N] [--answer-timeout-ms N]
 *        [--backoff-ms MIN,MAX] [--late catch-up|skip] */
static int uplink_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    char addr[16];
    struct coop_uplink_options o = { .log = *env };
    for (int i = 0; i < argc; i += 2) {
        const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        int64_t v = val ? num_arg(val) : -1;
        long long lo, hi;
        char rest;
        if (!val)
            return -COOP_EINVAL;
        if (!strcmp(opt, "--server") && split_server(val, addr, &o.port))
            o.server = addr;
        else if (!strcmp(opt, "--name"))
            o.name = val;
        else if (!strcmp(opt, "--period-ms") && v > 0)
            o.period_ns = COOP_MS(v);
        else if (!strcmp(opt, "--connect-timeout-ms") && v > 0)
            o.connect_timeout_ns = COOP_MS(v);
        else if (!strcmp(opt, "--answer-timeout-ms") && v > 0)
            o.answer_timeout_ns = COOP_MS(v);
        else if (!strcmp(opt, "--backoff-ms") && sscanf(val, "%lld,%lld%c", &lo, &hi, &rest) == 2 && lo > 0 &&
                 hi >= lo && hi <= 86400000)
            o.backoff_min_ns = COOP_MS(lo), o.backoff_max_ns = COOP_MS(hi);
        else if (!strcmp(opt, "--late") && (!strcmp(val, "catch-up") || !strcmp(val, "skip")))
            o.late = !strcmp(val, "skip") ? COOP_LATE_SKIP : COOP_LATE_CATCH_UP;
        else
            return -COOP_EINVAL;
    }
    return coop_uplink_start(s, &o);
}

/* collector [--port N] */
static int collector_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    struct coop_collector_options o = { .log = *env };
    for (int i = 0; i < argc; i += 2) {
        int64_t v = i + 1 < argc ? num_arg(argv[i + 1]) : -1;
        if (strcmp(argv[i], "--port") || v < 1 || v > 65535)
            return -COOP_EINVAL;
        o.port = (uint16_t)v;
    }
    return coop_collector_start(s, &o);
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
    { "uplink",
      "a sensor node reporting to a collector: --server ADDR:PORT [--period-ms N] (see examples/uplink)",
      uplink_start },
    { "collector", "acknowledges the samples of uplink nodes: [--port N (7000)]", collector_start },
    { "firmware", "the firmware example's tasks; send the signal \"timer\" to sample", firmware_start },
    { "probe", "small programs for the corpus: probe MODE [ARG] (see examples/corpus/probe.c)",
      coop_probe_start },
    { "buggy-handoff", "planted bug: a signal lost when the producer runs first", coop_buggy_handoff_start },
    { "buggy-init-order", "planted bug of depth 1: a table used before it is loaded [--fixed]",
      coop_buggy_init_order_start },
    { "buggy-torn-copy", "planted bug of depth 2: a record copied half written [--fixed]",
      coop_buggy_torn_copy_start },
    { "buggy-window", "planted bug of depth 3: a job committed after its window closed [--fixed]",
      coop_buggy_window_start },
    { "buggy-retry", "planted bug needing a fault (points) and an ordering: a failed deposit seen [--fixed]",
      coop_buggy_retry_start },
    { NULL, NULL, NULL },
};
