/* Workload 4, simulator speed: a reference firmware of 50 periodic tasks plus 10 echoing connections (and idle ones), in virtual time. */
#define _GNU_SOURCE
#include "bench.h"

#include "coop/program.h"
#include "coop/sim.h"
#include "echo.h"
#include "net/net.h"

/*
 * The firmware: 50 tasks with 10 ms periods, each doing a little work,
 * and the echo example serving 10 connections whose peers each send 64
 * bytes every 100 ms.  It runs for a given number of virtual seconds
 * with zero-cost steps, the first two of them untimed (the connections
 * are made then); the result is virtual seconds per wall second.
 * With --trace the full JSON trace is built and hashed as in a scenario
 * run; without it the trace is off, as in a pure speed run.  --idle N
 * adds N connections that stay open and silent (each one an echo client
 * task blocked on its fd), to show that the cost of a step does not grow
 * with connections that have nothing to do.
 */
#define TASKS 50
#define CONNS 10

struct worker {
    uint64_t count;
};

static int worker(coop_task *t)
{
    struct worker *w = coop_state(t);
    COOP_BEGIN(t);
    for (;;) {
        w->count++;
        COOP_YIELD(t);
    }
    COOP_END(t);
}

struct peer_loop {
    int peer;
    uint64_t period_ns;
};

static struct peer_loop loops[CONNS];
static const char payload[64] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde";

/* Sends one message and schedules the next, so the script stays small however long the run. */
static void send_tick(coop_sim *sim, void *arg)
{
    struct peer_loop *l = arg;
    uint32_t conn = (uint32_t)coop_sim_peer_conn(sim, l->peer);
    if (conn)
        coop_net_peer_send(coop_sim_net(sim), conn, payload, sizeof(payload));
    coop_sim_at(sim, coop_sim_now(sim) + l->period_ns, send_tick, l);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        bench_usage(argv[0], "VIRTUAL_SECONDS [--trace] [--idle N]");
    uint64_t seconds = bench_arg_count(argv[0], "VIRTUAL_SECONDS", argv[1]);
    bool trace = false;
    uint64_t idle = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--trace"))
            trace = true;
        else if (!strcmp(argv[i], "--idle") && i + 1 < argc)
            idle = bench_arg_count(argv[0], "N", argv[++i]);
        else
            bench_usage(argv[0], "VIRTUAL_SECONDS [--trace] [--idle N]");
    }

    coop_sim *sim = coop_sim_new(&(coop_sim_config){ .trace_off = !trace, .max_steps = UINT64_MAX / 2 });
    if (!sim)
        bench_die(argv[0], "coop_sim_new", -1);
    coop_sched *s = coop_sim_sched(sim);
    for (int i = 0; i < TASKS; i++) {
        coop_task_spec spec = { .step = worker,
                                .state_size = sizeof(struct worker),
                                .period_ns = COOP_MS(10) };
        if (coop_spawn(s, &spec) < 0)
            bench_die(argv[0], "coop_spawn", -1);
    }
    struct coop_echo_options opts = { .port = 7000 };
    int port = coop_echo_start(s, &opts);
    if (port < 0)
        bench_die(argv[0], "coop_echo_start", port);
    /* The idle ones connect in the first second, a few per millisecond, and never send. */
    for (uint64_t i = 0; i < idle; i++)
        if (coop_sim_peer_connect_at(sim, COOP_US(100) * i, (uint16_t)port) < 0)
            bench_die(argv[0], "coop_sim_peer_connect_at", -1);
    for (int i = 0; i < CONNS; i++) {
        loops[i].peer = coop_sim_peer_connect_at(sim, COOP_MS(1) * (uint64_t)i, (uint16_t)port);
        loops[i].period_ns = COOP_MS(100);
        coop_sim_at(sim, COOP_MS(5) + COOP_MS(1) * (uint64_t)i, send_tick, &loops[i]);
    }

    /* The first two virtual seconds (every connection made) are not timed: the row is about steady work. */
    const uint64_t warmup = 2;
    if (seconds <= warmup || coop_sim_run_until(sim, COOP_S(warmup)) != COOP_SIM_UNTIL)
        bench_die(argv[0], "warm-up", -1);
    uint64_t steps0 = coop_sim_steps(sim);
    uint64_t t0 = bench_now_ns();
    coop_sim_status st = coop_sim_run_until(sim, COOP_S(seconds));
    uint64_t wall = bench_now_ns() - t0;
    if (st != COOP_SIM_UNTIL)
        bench_die(argv[0], coop_sim_status_name(st), -1);
    uint64_t steps = coop_sim_steps(sim) - steps0;
    seconds -= warmup;

    uint64_t echoed = 0;
    for (int i = 0; i < CONNS; i++) {
        coop_net_capture cap;
        int64_t conn = coop_sim_peer_conn(sim, loops[i].peer);
        if (conn > 0 && coop_net_capture_of(coop_sim_net(sim), (uint32_t)conn, &cap) == 0)
            echoed += cap.len;
    }
    double wall_s = (double)wall / 1e9;
    printf("RESULT workload=simspeed impl=%s idle=%llu virtual_s=%llu wall_s=%.3f vs_per_s=%.0f steps=%llu "
           "ns_per_step=%.1f echoed_bytes=%llu\n",
           trace ? "coop-traced" : "coop", (unsigned long long)idle, (unsigned long long)seconds, wall_s,
           (double)seconds / wall_s, (unsigned long long)steps, (double)wall / (double)steps,
           (unsigned long long)echoed);
    coop_sim_free(sim);
    return 0;
}
