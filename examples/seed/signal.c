/* seed-signal: a blinker, three tasks waiting on the signal "Hello", and a sender counting up. */
#include "seed.h"

struct waiter {
    struct seed_task base;
    int index;
    int count;
};

static int wait0(coop_task *t)
{
    struct waiter *w = coop_state(t);
    COOP_BEGIN(t);
    for (;;) {
        coop_program_log(w->base.env, t, "led 0 toggle");
        w->count++;
        COOP_YIELD(t);
    }
    COOP_END(t);
}

static int hello_waiter(coop_task *t)
{
    struct waiter *w = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    for (;;) {
        COOP_CALL(t, coop_wait_signal(t, "Hello", 0));
        coop_program_log(w->base.env, t, "wait%d got %lld", w->index, (long long)coop_result_of(t)->value);
        if (w->index == 3 && coop_result_of(t)->value == 10)
            COOP_CALL(t, coop_kill_os(t));
    }
    COOP_END(t);
}

static int sender(coop_task *t)
{
    struct waiter *w = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    for (;;) {
        coop_program_log(w->base.env, t, "led 2 toggle, sending %d", w->count);
        COOP_CALL(t, coop_send_signal(t, "Hello", w->count, COOP_MS(1)));
        COOP_YIELD(t);
        w->count++;
    }
    COOP_END(t);
}

int coop_seed_signal(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct waiter w0 = { { env }, 0, 0 };
    int64_t r = coop_seed_spawn(s, env, wait0, &w0, sizeof(w0), NULL, 0, 1000, 0);
    for (int i = 1; i <= 3 && r > 0; i++) {
        struct waiter w = { { env }, i, 0 };
        r = coop_seed_spawn(s, env, hello_waiter, &w, sizeof(w), NULL, 0, 100, 0);
    }
    struct waiter snd = { { env }, 0, 0 };
    if (r > 0)
        r = coop_seed_spawn(s, env, sender, &snd, sizeof(snd), NULL, 0, 1000, 0);
    return r < 0 ? (int)r : 0;
}
