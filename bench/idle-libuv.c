/* Workload 7 on libuv: an idle server, a loopback listener plus a repeating 1 s timer, and the CPU it burns. */
#define _GNU_SOURCE
#include "bench-idle.h"

#include <uv.h>

/*
 * The idiomatic idle libuv server: a uv_tcp_t listening on 127.0.0.1 and
 * a uv_timer_t that repeats every second, the housekeeping tick most
 * servers keep.  No client connects; a connection would be accepted and
 * closed.  See bench-idle.h for what is measured.
 */

static uv_tcp_t g_server;
static uv_timer_t g_tick;
static uint64_t g_ticks;

static void on_close(uv_handle_t *h) { free(h); }

static void on_connection(uv_stream_t *server, int status)
{
    if (status != 0)
        return;
    uv_tcp_t *c = malloc(sizeof *c);
    if (!c)
        return;
    uv_tcp_init(server->loop, c);
    (void)uv_accept(server, (uv_stream_t *)c);
    uv_close((uv_handle_t *)c, on_close);
}

static void on_tick(uv_timer_t *t)
{
    (void)t;
    g_ticks++;
}

static void serve(const char *prog)
{
    uv_loop_t *loop = uv_default_loop();
    struct sockaddr_in addr;
    int r = uv_ip4_addr("127.0.0.1", 0, &addr);
    if (r == 0)
        r = uv_tcp_init(loop, &g_server);
    if (r == 0)
        r = uv_tcp_bind(&g_server, (const struct sockaddr *)&addr, 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)&g_server, 128, on_connection);
    if (r != 0)
        bench_die(prog, uv_strerror(r), r);
    struct sockaddr_in bound;
    int len = sizeof bound;
    r = uv_tcp_getsockname(&g_server, (struct sockaddr *)&bound, &len);
    if (r != 0)
        bench_die(prog, "uv_tcp_getsockname", r);
    uv_timer_init(loop, &g_tick);
    uv_timer_start(&g_tick, on_tick, 1000, 1000);
    bench_idle_ready(ntohs(bound.sin_port));
    uv_run(loop, UV_RUN_DEFAULT);
}

int main(int argc, char **argv) { return bench_idle_main("idle-libuv", "libuv", argc, argv, serve); }
