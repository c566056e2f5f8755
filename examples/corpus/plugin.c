/* An example of programs loaded at run time: `coop run --load ./libcoop-example-plugin.so FILE`. */
#include "coop/cli.h"

/* The state of the one task: where to log, and how many greetings are left. */
struct hello {
    const coop_program_env *env;
    int left;
};

static int hello_step(coop_task *t)
{
    struct hello *h = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    while (h->left-- > 0) {
        coop_program_log(h->env, t, "hello from a plugin, %d to go", h->left);
        COOP_YIELD(t);
    }
    COOP_END(t);
}

static int hello_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)argv;
    struct hello init = { env, argc > 0 ? 3 : 2 };
    coop_task_spec spec = { .step = hello_step,
                            .name = "hello",
                            .state_size = sizeof(init),
                            .init = &init,
                            .period_ns = COOP_MS(100) };
    return coop_spawn(s, &spec) < 0 ? -COOP_ENOMEM : 0;
}

static const coop_program plugin_programs[] = {
    { "plugin-hello", "greets every 100 ms, twice (three times with an argument)", hello_start },
    { NULL, NULL, NULL },
};

/* The one symbol coop looks for (COOP_REGISTER_SYMBOL). */
__attribute__((visibility("default"))) const coop_program *coop_register_programs(void);
const coop_program *coop_register_programs(void) { return plugin_programs; }
