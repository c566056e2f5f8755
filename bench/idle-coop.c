/* Workload 7 on coop: an idle server, one listener task in StreamWait, and the CPU it burns. */
#define _GNU_SOURCE
#include "bench-idle.h"

#include "coop/coop.h"
#include "coop/real.h"

/*
 * The coop idle server is one task on the real backend: its setup listens
 * on 127.0.0.1, registers the fd with StreamReader, and then loops on
 * StreamWait without a timeout.  There is no timer, so with no client the
 * loop should block in the poller for the whole run.  A connection would
 * be accepted and closed.  See bench-idle.h for what is measured.
 */

struct listener {
    int fd; /* the listening socket, or a negative COOP_E* code */
};

static int listener_step(coop_task *t)
{
    struct listener *l = coop_state(t);
    coop_sched *s = coop_task_sched(t);
    COOP_BEGIN(t);
    l->fd = coop_listen(s, "127.0.0.1", 0, 128);
    if (l->fd < 0)
        COOP_FAIL(t, l->fd);
    COOP_CALL(t, coop_stream_reader(t, l->fd));
    if (coop_result(t) != 0)
        COOP_FAIL(t, (int)coop_result(t));
    for (;;) {
        COOP_CALL(t, coop_stream_wait(t, 0));
        if (coop_result(t) < 0)
            COOP_FAIL(t, (int)coop_result(t));
        for (;;) {
            int c = coop_accept(s, l->fd);
            if (c < 0)
                break;
            coop_close(s, c);
        }
    }
    COOP_END(t);
}

static void serve(const char *prog)
{
    coop_config cfg;
    int r = coop_config_real(&cfg);
    if (r != 0)
        bench_die(prog, "coop_config_real", r);
    coop_sched *s = coop_sched_new(&cfg);
    if (!s)
        bench_die(prog, "coop_sched_new", 0);
    const coop_task_spec spec = {
        .step = listener_step,
        .name = "listener",
        .state_size = sizeof(struct listener),
        .init = &(struct listener){ .fd = -1 },
    };
    int64_t tid = coop_spawn(s, &spec);
    if (tid < 0)
        bench_die(prog, "coop_spawn", (long)tid);
    coop_task *t = coop_task_find(s, (uint32_t)tid);
    if (!t)
        bench_die(prog, "the listener's setup", 0);
    struct listener *l = coop_state(t);
    int port = l->fd >= 0 ? coop_local_port(s, l->fd) : -1;
    if (port <= 0)
        bench_die(prog, "coop_listen or coop_local_port", port);
    bench_idle_ready(port);
    coop_loop_result lr = coop_mainloop(s, true, NULL);
    bench_die(prog, "coop_mainloop returned", (long)lr);
}

int main(int argc, char **argv) { return bench_idle_main("idle-coop", "coop", argc, argv, serve); }
