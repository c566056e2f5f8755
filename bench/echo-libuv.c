/* Workload 6 peer: a libuv echo server on 127.0.0.1:PORT that stops by itself after a bounded time. */
#define _GNU_SOURCE
#include "bench.h"

#include <uv.h>

/*
 * An idiomatic fast libuv echo server.  Every accepted connection reads
 * into its own 4 KiB buffer (the buffer size of coop's echo example,
 * COOP_ECHO_BUF), and every chunk goes back out with uv_try_write; only
 * what the kernel does not take at once is copied and queued with
 * uv_write.  (The textbook version, malloc(suggested_size) per read and
 * uv_write per chunk, made glibc grow and trim the heap with brk() every
 * few reads.)  It listens on 127.0.0.1 only; PORT 0 picks a free port.
 * Once listening it prints "LISTENING port=N" so that a runner can start
 * the load generator.  It stops after SECONDS (default 60, at most 3600),
 * or at SIGTERM or SIGINT, and then prints a RESULT line with its own CPU
 * time.
 */

#define ECHO_BUF 4096

struct conn {
    uv_tcp_t tcp; /* first: the handle casts back to the connection */
    char buf[ECHO_BUF];
};

struct write_req {
    uv_write_t req;
    uv_buf_t buf; /* the copied rest of a chunk the kernel did not take at once */
};

static uv_loop_t *g_loop;
static uv_tcp_t g_server;
static uv_timer_t g_limit;
static uv_signal_t g_sigterm, g_sigint;
static uint64_t g_accepted, g_bytes, g_queued;

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    struct conn *c = (struct conn *)(void *)h;
    *buf = uv_buf_init(c->buf, sizeof c->buf);
}

static void on_close_free(uv_handle_t *h) { free(h); }

static void on_write(uv_write_t *req, int status)
{
    struct write_req *w = (struct write_req *)(void *)req;
    if (status != 0 && !uv_is_closing((uv_handle_t *)req->handle))
        uv_close((uv_handle_t *)req->handle, on_close_free);
    free(w->buf.base);
    free(w);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    if (n < 0) {
        if (!uv_is_closing((uv_handle_t *)s))
            uv_close((uv_handle_t *)s, on_close_free);
        return;
    }
    g_bytes += (uint64_t)n;
    uv_buf_t out = uv_buf_init(buf->base, (unsigned int)n);
    int sent = n > 0 ? uv_try_write(s, &out, 1) : 0;
    if (sent == UV_EAGAIN)
        sent = 0;
    if (sent < 0) {
        uv_close((uv_handle_t *)s, on_close_free);
        return;
    }
    if (sent == n)
        return;
    /* The kernel took part of it: queue a copy of the rest, since the read buffer is reused. */
    struct write_req *w = malloc(sizeof *w);
    char *rest = malloc((size_t)(n - sent));
    if (!w || !rest) {
        free(w);
        free(rest);
        uv_close((uv_handle_t *)s, on_close_free);
        return;
    }
    memcpy(rest, buf->base + sent, (size_t)(n - sent));
    w->buf = uv_buf_init(rest, (unsigned int)(n - sent));
    g_queued++;
    if (uv_write(&w->req, s, &w->buf, 1, on_write) != 0) {
        free(rest);
        free(w);
        uv_close((uv_handle_t *)s, on_close_free);
    }
}

static void on_connection(uv_stream_t *server, int status)
{
    if (status != 0)
        return;
    struct conn *c = malloc(sizeof *c);
    if (!c)
        return;
    uv_tcp_init(g_loop, &c->tcp);
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        uv_close((uv_handle_t *)&c->tcp, on_close_free);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    g_accepted++;
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void close_any(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (uv_is_closing(h))
        return;
    /* The connections were malloc'd; the server, timer and signals are static. */
    int is_static = h == (uv_handle_t *)&g_server || h == (uv_handle_t *)&g_limit ||
                    h == (uv_handle_t *)&g_sigterm || h == (uv_handle_t *)&g_sigint;
    uv_close(h, is_static ? NULL : on_close_free);
}

static void stop_all(void) { uv_walk(g_loop, close_any, NULL); }

static void on_limit(uv_timer_t *t)
{
    (void)t;
    stop_all();
}

static void on_signal(uv_signal_t *h, int signum)
{
    (void)h;
    (void)signum;
    stop_all();
}

int main(int argc, char **argv)
{
    const char *prog = "echo-libuv";
    if (argc < 2 || argc > 3)
        bench_usage(prog, "PORT [SECONDS]");
    uint64_t port = strcmp(argv[1], "0") == 0 ? 0 : bench_arg_count(prog, "PORT", argv[1]);
    uint64_t seconds = argc > 2 ? bench_arg_count(prog, "SECONDS", argv[2]) : 60;
    if (port > 65535 || seconds > 3600)
        bench_usage(prog, "PORT [SECONDS]: PORT <= 65535, SECONDS <= 3600");

    g_loop = uv_default_loop();
    struct sockaddr_in addr;
    int r = uv_ip4_addr("127.0.0.1", (int)port, &addr);
    if (r == 0)
        r = uv_tcp_init(g_loop, &g_server);
    if (r == 0)
        r = uv_tcp_bind(&g_server, (const struct sockaddr *)&addr, 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)&g_server, 1024, on_connection);
    if (r != 0)
        bench_die(prog, uv_strerror(r), r);
    struct sockaddr_in bound;
    int len = sizeof bound;
    r = uv_tcp_getsockname(&g_server, (struct sockaddr *)&bound, &len);
    if (r != 0)
        bench_die(prog, "uv_tcp_getsockname", r);

    uv_timer_init(g_loop, &g_limit);
    uv_timer_start(&g_limit, on_limit, seconds * 1000u, 0);
    uv_signal_init(g_loop, &g_sigterm);
    uv_signal_start(&g_sigterm, on_signal, SIGTERM);
    uv_signal_init(g_loop, &g_sigint);
    uv_signal_start(&g_sigint, on_signal, SIGINT);

    printf("LISTENING port=%d\n", ntohs(bound.sin_port));
    fflush(stdout);
    uint64_t c0 = bench_cpu_ns(), t0 = bench_now_ns();
    uv_run(g_loop, UV_RUN_DEFAULT);
    uint64_t c1 = bench_cpu_ns(), t1 = bench_now_ns();
    r = uv_loop_close(g_loop);
    if (r != 0)
        bench_die(prog, "uv_loop_close", r);
    printf("RESULT workload=echo-server impl=libuv port=%d seconds_up=%.2f accepted=%llu bytes=%llu "
           "queued_writes=%llu "
           "server_cpu_us=%.0f\n",
           ntohs(bound.sin_port), (double)(t1 - t0) / 1e9, (unsigned long long)g_accepted,
           (unsigned long long)g_bytes, (unsigned long long)g_queued, (double)(c1 - c0) / 1000.0);
    return 0;
}
