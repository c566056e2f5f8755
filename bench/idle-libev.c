/* Workload 7 on libev: an idle server, a loopback listener plus a repeating 1 s timer, and the CPU it burns. */
#define _GNU_SOURCE
#include "bench-idle.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <ev.h>

/*
 * The idiomatic idle libev server: an ev_io watching a non-blocking
 * listening socket on 127.0.0.1, and an ev_timer that repeats every
 * second.  No client connects; a connection would be accepted and closed.
 * See bench-idle.h for what is measured.
 */

static ev_io g_accept;
static ev_timer g_tick;
static uint64_t g_ticks;

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    for (;;) {
        int c = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0)
            return;
        close(c);
    }
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
    g_ticks++;
}

static void serve(const char *prog)
{
    struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
    if (!loop)
        bench_die(prog, "ev_default_loop", 0);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        bench_die(prog, "socket", errno);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 128) != 0)
        bench_die(prog, "bind or listen", errno);
    socklen_t len = sizeof addr;
    if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0)
        bench_die(prog, "getsockname", errno);
    ev_io_init(&g_accept, on_accept, fd, EV_READ);
    ev_io_start(loop, &g_accept);
    ev_timer_init(&g_tick, on_tick, 1.0, 1.0);
    ev_timer_start(loop, &g_tick);
    bench_idle_ready(ntohs(addr.sin_port));
    ev_run(loop, 0);
}

int main(int argc, char **argv) { return bench_idle_main("idle-libev", "libev", argc, argv, serve); }
