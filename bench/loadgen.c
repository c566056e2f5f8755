/* Workload 6 load generator: C loopback connections doing 64-byte ping-pong for D seconds, with epoll. */
#define _GNU_SOURCE
#include "bench.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * Each connection writes one message of MSG bytes, reads the echo back in
 * full, checks it byte for byte, and starts over: one round trip at a
 * time per connection.  The generator connects everything first, starts
 * its clocks, sends on every connection and runs for SECONDS, then
 * prints the round trips per second and its own CPU time, so that the
 * client's share of a machine-wide number is known.  It only ever
 * connects to 127.0.0.1, and it stops at the deadline whatever the
 * server does.  Any error, a short echo or a wrong byte exits with 1.
 */

#define LG_MAX_CONNS 10000
#define LG_MAX_MSG 4096
#define LG_CONNECT_NS 5000000000u /* how long all connections may take */

enum lg_phase { LG_CONNECTING, LG_WRITING, LG_READING };

struct lg_conn {
    int fd;
    enum lg_phase phase;
    uint32_t off;  /* bytes written or read of the current message */
    uint64_t seq;  /* messages started on this connection */
    uint64_t done; /* round trips completed */
    unsigned char out[LG_MAX_MSG];
    unsigned char in[LG_MAX_MSG];
};

static const char *g_prog = "loadgen";
static uint32_t g_msg;

static void fill_message(struct lg_conn *c, uint64_t idx)
{
    for (uint32_t i = 0; i < g_msg; i++)
        c->out[i] = (unsigned char)(idx * 31u + c->seq * 7u + i);
    c->seq++;
    c->off = 0;
}

static void set_events(int ep, struct lg_conn *c, uint32_t events, uint64_t idx)
{
    struct epoll_event ev = { .events = events, .data.u64 = idx };
    if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0)
        bench_die(g_prog, "epoll_ctl", errno);
}

/* Writes what is left of the current message; switches to reading once it is all out. */
static void pump_write(int ep, struct lg_conn *c, uint64_t idx)
{
    while (c->off < g_msg) {
        ssize_t n = write(c->fd, c->out + c->off, g_msg - c->off);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (c->phase != LG_WRITING)
                set_events(ep, c, EPOLLOUT, idx);
            c->phase = LG_WRITING;
            return;
        }
        if (n <= 0)
            bench_die(g_prog, "write", errno);
        c->off += (uint32_t)n;
    }
    if (c->phase != LG_READING)
        set_events(ep, c, EPOLLIN, idx);
    c->phase = LG_READING;
    c->off = 0;
}

/* Reads what is available of the echo; returns 1 when a round trip completed. */
static int pump_read(struct lg_conn *c)
{
    while (c->off < g_msg) {
        ssize_t n = read(c->fd, c->in + c->off, g_msg - c->off);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n == 0)
            bench_die(g_prog, "the server closed a connection", 0);
        if (n < 0)
            bench_die(g_prog, "read", errno);
        c->off += (uint32_t)n;
    }
    if (memcmp(c->in, c->out, g_msg) != 0)
        bench_die(g_prog, "the echo differs from the message", (long)c->seq);
    c->done++;
    return 1;
}

int main(int argc, char **argv)
{
    const char *use = "PORT CONNS SECONDS [MSG_BYTES [LABEL]]";
    if (argc < 4 || argc > 6)
        bench_usage(g_prog, use);
    uint64_t port = bench_arg_count(g_prog, "PORT", argv[1]);
    uint64_t nconn = bench_arg_count(g_prog, "CONNS", argv[2]);
    uint64_t seconds = bench_arg_count(g_prog, "SECONDS", argv[3]);
    g_msg = argc > 4 ? (uint32_t)bench_arg_count(g_prog, "MSG_BYTES", argv[4]) : 64;
    const char *label = argc > 5 ? argv[5] : "server";
    if (port > 65535 || nconn > LG_MAX_CONNS || seconds > 3600 || g_msg > LG_MAX_MSG)
        bench_usage(g_prog, "PORT <= 65535, CONNS <= 10000, SECONDS <= 3600, MSG_BYTES <= 4096");

    struct lg_conn *conns = calloc(nconn, sizeof *conns);
    struct epoll_event *evs = calloc(nconn, sizeof *evs);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (!conns || !evs || ep < 0)
        bench_die(g_prog, "setup", errno);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons((uint16_t)port);

    for (uint64_t i = 0; i < nconn; i++) {
        struct lg_conn *c = &conns[i];
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c->fd < 0)
            bench_die(g_prog, "socket", errno);
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) != 0 && errno != EINPROGRESS)
            bench_die(g_prog, "connect", errno);
        c->phase = LG_CONNECTING;
        struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = i };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
            bench_die(g_prog, "epoll_ctl", errno);
    }

    /* Wait until every connection is established, within a bound. */
    uint64_t pending = nconn;
    uint64_t limit = bench_now_ns() + LG_CONNECT_NS;
    while (pending > 0) {
        uint64_t now = bench_now_ns();
        if (now >= limit)
            bench_die(g_prog, "connecting (timed out)", (long)pending);
        int n = epoll_wait(ep, evs, (int)nconn, (int)((limit - now) / 1000000u) + 1);
        if (n < 0 && errno != EINTR)
            bench_die(g_prog, "epoll_wait", errno);
        for (int k = 0; k < n; k++) {
            struct lg_conn *c = &conns[evs[k].data.u64];
            if (c->phase != LG_CONNECTING)
                continue;
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0)
                bench_die(g_prog, "connect", err);
            c->phase = LG_WRITING;
            set_events(ep, c, 0, evs[k].data.u64);
            pending--;
        }
    }

    uint64_t c0 = bench_cpu_ns(), t0 = bench_now_ns();
    uint64_t deadline = t0 + seconds * 1000000000u;
    for (uint64_t i = 0; i < nconn; i++) {
        fill_message(&conns[i], i);
        pump_write(ep, &conns[i], i);
    }
    uint64_t trips = 0;
    for (;;) {
        uint64_t now = bench_now_ns();
        if (now >= deadline)
            break;
        int n = epoll_wait(ep, evs, (int)nconn, (int)((deadline - now) / 1000000u) + 1);
        if (n < 0 && errno != EINTR)
            bench_die(g_prog, "epoll_wait", errno);
        for (int k = 0; k < n; k++) {
            uint64_t idx = evs[k].data.u64;
            struct lg_conn *c = &conns[idx];
            if (c->phase == LG_WRITING) {
                pump_write(ep, c, idx);
            } else if (pump_read(c)) {
                trips++;
                fill_message(c, idx);
                pump_write(ep, c, idx);
            }
        }
    }
    uint64_t t1 = bench_now_ns(), c1 = bench_cpu_ns();

    for (uint64_t i = 0; i < nconn; i++)
        close(conns[i].fd);
    close(ep);
    double secs = (double)(t1 - t0) / 1e9;
    printf(
        "RESULT workload=echo impl=%s conns=%llu seconds=%llu msg_bytes=%u round_trips=%llu rtt_per_s=%.1f "
        "client_cpu_us=%.0f client_cpu_ns_per_rtt=%.1f\n",
        label, (unsigned long long)nconn, (unsigned long long)seconds, g_msg, (unsigned long long)trips,
        (double)trips / secs, (double)(c1 - c0) / 1000.0, trips ? (double)(c1 - c0) / (double)trips : 0.0);
    free(evs);
    free(conns);
    return trips > 0 ? 0 : 1;
}
