/* greeter: accepts clients, writes "hello\n" to each, and closes the connection. */
#include "greeter.h"

#include <stdlib.h>
#include <string.h>

/* What survives a yield: where to log, and the listening socket. */
struct greeter {
    const coop_program_env *env;
    int fd;
};

static int greeter_step(coop_task *t)
{
    struct greeter *g = coop_state(t);
    coop_sched *s = coop_task_sched(t);
    COOP_BEGIN(t);
    COOP_CALL(t, coop_stream_reader(t, g->fd));
    for (;;) {
        COOP_CALL(t, coop_stream_wait(t, 0));
        for (int client; (client = coop_accept(s, g->fd)) >= 0;) {
            /* Six bytes on a fresh connection fit in any send buffer. */
            long n = coop_write(s, client, "hello\n", 6);
            coop_program_log(g->env, t, "greeted fd %d (%ld bytes)", client, n);
            coop_close(s, client);
        }
    }
    COOP_END(t);
}

int greeter_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    long port = 7000;
    if (argc == 2 && strcmp(argv[0], "--port") == 0)
        port = strtol(argv[1], NULL, 10);
    else if (argc != 0)
        return -COOP_EINVAL;
    if (port < 0 || port > 65535)
        return -COOP_EINVAL;
    int fd = coop_listen(s, "127.0.0.1", (uint16_t)port, 16);
    if (fd < 0)
        return fd;
    struct greeter init = { env, fd };
    coop_task_spec spec = {
        .step = greeter_step, .name = "greeter", .state_size = sizeof(init), .init = &init
    };
    if (coop_spawn(s, &spec) < 0) {
        coop_close(s, fd);
        return -COOP_ENOMEM;
    }
    return 0;
}

const coop_program greeter_programs[] = {
    { "greeter", "says hello to each client, then hangs up", greeter_start },
    { NULL, NULL, NULL },
};
