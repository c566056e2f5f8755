/* The firmware example's tasks, written once for the board and the simulator: no libc, no OS. */
#include "app.h"

/* The state every task keeps: where to print, and a counter. */
struct fw_task {
    coop_fw_print_fn print;
    void *ctx;
    int32_t n;
};

/* Formats "text N" without printf, which a small firmware does not link, and without 64-bit division. */
static void say(coop_task *t, const char *text, int32_t v)
{
    struct fw_task *f = coop_state(t);
    char line[48];
    size_t i = 0;
    while (*text && i < sizeof(line) - 14)
        line[i++] = *text++;
    line[i++] = ' ';
    uint32_t u = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
    if (v < 0)
        line[i++] = '-';
    char digits[10];
    size_t nd = 0;
    do {
        digits[nd++] = (char)('0' + (uint32_t)(u % 10u));
        u /= 10u;
    } while (u);
    while (nd)
        line[i++] = digits[--nd];
    line[i] = '\0';
    f->print(f->ctx, t, line);
}

static int blink(coop_task *t)
{
    struct fw_task *f = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    for (;;) {
        f->n++;
        say(t, (f->n & 1) ? "led on" : "led off", f->n);
        COOP_YIELD(t);
    }
    COOP_END(t);
}

/* Sleeps until the timer interrupt's signal; the value is how many raises it stands for. */
static int sampler(coop_task *t)
{
    struct fw_task *f = coop_state(t);
    COOP_BEGIN(t);
    for (;;) {
        COOP_CALL(t, coop_wait_signal(t, COOP_FW_TIMER_SIGNAL, 0));
        f->n += (int32_t)coop_result_of(t)->value;
        say(t, "sample", f->n);
        COOP_CALL(t, coop_send_signal(t, "sample", f->n, 0));
    }
    COOP_END(t);
}

static int logger(coop_task *t)
{
    COOP_BEGIN(t);
    for (;;) {
        COOP_CALL(t, coop_wait_signal(t, "sample", COOP_MS(400)));
        if (coop_result(t) == -COOP_ETIMEDOUT)
            say(t, "no sample for ms", 400);
        else
            say(t, "logged", (int32_t)coop_result_of(t)->value);
    }
    COOP_END(t);
}

static int stopper(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    say(t, "stop at", COOP_FW_RUN_MS);
    COOP_CALL(t, coop_kill_os(t));
    COOP_END(t);
}

int coop_fw_app_start(coop_sched *s, coop_fw_print_fn print, void *ctx)
{
    struct fw_task init = { print, ctx, 0 };
    const coop_task_spec specs[] = {
        { .step = blink, .name = "blink", .period_ns = COOP_MS(100), .prio = 5 },
        { .step = sampler, .name = "sampler", .prio = 3 },
        { .step = logger, .name = "logger", .prio = 4 },
        { .step = stopper, .name = "stop", .time2run_ns = COOP_MS(COOP_FW_RUN_MS), .prio = 1 },
    };
    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
        coop_task_spec spec = specs[i];
        spec.state_size = sizeof(init);
        spec.init = &init;
        int64_t tid = coop_spawn(s, &spec);
        if (tid < 0)
            return (int)tid;
    }
    return 0;
}
