/* The blinker's tasks: LEDs that toggle on their period grid, and the stopper that ends the run. */
#include <stdbool.h>
#include <stdio.h>

#include "blinker.h"

static const int64_t default_periods_ns[] = { COOP_MS(250), COOP_MS(500), COOP_MS(1000) };

/* What every task of one blinker shares, copied into each task's state. */
struct output {
    uint64_t start_ns;       /* coop_now_ns() when the blinker started */
    coop_blinker_out_fn out; /* NULL: silent */
    void *ctx;
};

struct led {
    struct output o;
    bool on;
};

struct stopper {
    struct output o;
};

/* Prints "[  1.250 s] who what", the time counted from the blinker's start. */
static void emit(coop_task *t, const struct output *o, const char *who, const char *what)
{
    if (!o->out)
        return;
    uint64_t ms = (coop_now_ns(coop_task_sched(t)) - o->start_ns) / 1000000u;
    char line[96];
    snprintf(line, sizeof(line), "[%3llu.%03llu s] %s %s", (unsigned long long)(ms / 1000),
             (unsigned long long)(ms % 1000), who, what);
    o->out(o->ctx, t, line);
}

static int led_step(coop_task *t)
{
    struct led *l = coop_state(t);
    COOP_BEGIN(t);
    /* The setup ends here; a periodic task first runs one period after it starts. */
    COOP_YIELD(t);
    for (;;) {
        l->on = !l->on;
        emit(t, &l->o, coop_task_name(t), l->on ? "on" : "off");
        COOP_YIELD(t);
    }
    COOP_FINALLY(t);
    /* However the run ends, no LED is left lit. */
    if (l->on) {
        l->on = false;
        emit(t, &l->o, coop_task_name(t), "off");
    }
    COOP_END(t);
}

static int stopper_step(coop_task *t)
{
    struct stopper *st = coop_state(t);
    COOP_BEGIN(t);
    /* Its time2run is the duration, so the first run after the setup is the moment to stop. */
    COOP_YIELD(t);
    emit(t, &st->o, "blinker", "stop");
    COOP_CALL(t, coop_kill_os(t));
    COOP_END(t);
}

int coop_blinker_start(coop_sched *s, const struct coop_blinker_options *opts)
{
    static const struct coop_blinker_options defaults;
    if (!s)
        return -COOP_EINVAL;
    if (!opts)
        opts = &defaults;
    const int64_t *periods = opts->nleds ? opts->periods_ns : default_periods_ns;
    size_t n = opts->nleds ? opts->nleds : sizeof(default_periods_ns) / sizeof(default_periods_ns[0]);
    if (n > COOP_BLINKER_MAX_LEDS)
        return -COOP_E2BIG;
    if (!periods)
        return -COOP_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (periods[i] <= 0)
            return -COOP_EINVAL;

    struct output o = { coop_now_ns(s), opts->out, opts->out_ctx };
    int64_t tids[COOP_BLINKER_MAX_LEDS + 1];
    size_t spawned = 0;
    int64_t err = 0;
    for (size_t i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof(name), "led%u", (unsigned)(i + 1));
        struct led init = { .o = o, .on = false };
        /*
         * coop_spawn() reads the clock for each task, so the grids of the
         * LEDs may start nanoseconds apart, in spawn order.  Priorities in
         * the same order make ties break the same way, so LEDs due "at
         * the same time" always print in LED order.  Catching up rather
         * than skipping keeps every toggle even after a stall, so the
         * sequence of lines never depends on the machine's speed.
         */
        coop_task_spec spec = {
            .step = led_step,
            .name = name,
            .state_size = sizeof(init),
            .init = &init,
            .prio = COOP_PRIO_DEFAULT + (int)i,
            .period_ns = periods[i],
            .late = COOP_LATE_CATCH_UP,
        };
        err = coop_spawn(s, &spec);
        if (err < 0)
            goto fail;
        tids[spawned++] = err;
    }
    if (opts->duration_ns > 0) {
        /* Spawned last and at the lowest priority, it runs after every LED due at the same moment. */
        struct stopper init = { .o = o };
        coop_task_spec spec = {
            .step = stopper_step,
            .name = "blinker-stop",
            .state_size = sizeof(init),
            .init = &init,
            .prio = COOP_PRIO_LOWEST,
            .time2run_ns = opts->duration_ns,
        };
        err = coop_spawn(s, &spec);
        if (err < 0)
            goto fail;
    }
    return 0;
fail:
    while (spawned)
        (void)coop_kill(s, (uint32_t)tids[--spawned]);
    return (int)err;
}
