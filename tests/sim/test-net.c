/* The virtual network: script-side API, timing, buffers, closing, faults and determinism, in virtual time. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coop/errors.h"
#include "net/net.h"
#include "base/prng.h"

#define MS UINT64_C(1000000)
#define US UINT64_C(1000)
#define SEC UINT64_C(1000000000)
#define RW (COOP_EV_READ | COOP_EV_WRITE)
#define ALL (COOP_EV_READ | COOP_EV_WRITE | COOP_EV_ERROR | COOP_EV_HANGUP)

/* ---- A counting allocator that can fail ---- */

/*
 * What the network under test holds.  live_bytes is the sum of the sizes
 * of the blocks not yet freed; allocs counts the allocations (calls with
 * new_size > 0) so far.  The allocation numbered fail_at (from 0) fails,
 * and with persistent every one after it too; -1 fails none.
 */
struct counting {
    size_t live_bytes;
    long allocs;
    long fail_at;
    bool persistent;
    long failures; /* allocations refused so far */
};

static struct counting mem;

static void *counting_fn(void *ctx, void *ptr, size_t old_size, size_t new_size)
{
    struct counting *m = ctx;
    if (new_size == 0) {
        free(ptr);
        m->live_bytes -= ptr ? old_size : 0;
        return NULL;
    }
    long n = m->allocs++;
    if (m->fail_at >= 0 && (n == m->fail_at || (m->persistent && n > m->fail_at))) {
        m->failures++;
        return NULL;
    }
    void *p = realloc(ptr, new_size);
    if (p)
        m->live_bytes += new_size - (ptr ? old_size : 0);
    return p;
}

static coop_allocator counting(void) { return (coop_allocator){ .fn = counting_fn, .ctx = &mem }; }

/* ---- The fixture: one network, its clock, its PRNG and a trace log ---- */

static uint64_t now_ns;
static coop_prng rng;
static coop_net *net;
static int host; /* the node the tests' tasks run on */
static coop_poller P;

/* Every trace call as one line "t_ns what cN fdN nN", in order. */
static char tlog[1 << 16];
static size_t tlen;

/* What each traced decision was, by its index, so that captures can be checked against it. */
static const char *twhat[4096];
static uint64_t tcount;

static uint64_t on_trace(void *ctx, const char *what, uint32_t conn, uint32_t h, int fd, size_t len)
{
    (void)ctx;
    (void)h;
    if (tcount < sizeof(twhat) / sizeof(twhat[0]))
        twhat[tcount] = what;
    int n = snprintf(tlog + tlen, sizeof(tlog) - tlen, "%llu %s c%u fd%d n%zu\n", (unsigned long long)now_ns,
                     what, conn, fd, len);
    cr_assert(n > 0 && (size_t)n < sizeof(tlog) - tlen, "trace log full");
    tlen += (size_t)n;
    return tcount++;
}

static void make_net(uint64_t seed)
{
    now_ns = 0;
    tlen = 0;
    tcount = 0;
    tlog[0] = '\0';
    coop_prng_seed(&rng, seed, 2);
    net = coop_net_new(&now_ns, &rng, counting());
    cr_assert_not_null(net);
    host = coop_net_host_add(net, UINT32_C(0x0a000001));
    cr_assert_eq(host, 1, "the first node is host 1; host 0 is the world outside");
    P = coop_net_poller(net, (uint32_t)host);
    coop_net_set_trace(net, on_trace, NULL);
}

static void setup(void)
{
    mem = (struct counting){ .fail_at = -1 };
    make_net(42);
}

/* Nothing may stay allocated once the network is gone. */
static void teardown(void)
{
    if (net) {
        coop_net_verify(net);
        coop_net_free(net);
        net = NULL;
    }
    cr_assert_eq(mem.live_bytes, 0, "%zu bytes leaked", mem.live_bytes);
}

TestSuite(net, .init = setup, .fini = teardown);

/* ---- Helpers ---- */

static void set_latency(uint64_t latency_ns, uint64_t bytes_per_sec)
{
    coop_net_link link = { .latency_ns = latency_ns, .bytes_per_sec = bytes_per_sec };
    cr_assert_eq(coop_net_set_link(net, 0, &link), 0);
}

/* Carries out every delivery due up to t, in order, checking the invariants after each; now ends at t. */
static void run_until(uint64_t t)
{
    uint64_t due;
    while (coop_net_next_due(net, &due) && due <= t) {
        if (due > now_ns)
            now_ns = due;
        coop_net_advance(net);
        coop_net_verify(net);
    }
    if (t > now_ns)
        now_ns = t;
}

/* Carries out the next instant's deliveries; false when nothing is pending. */
static bool step(void)
{
    uint64_t due;
    if (!coop_net_next_due(net, &due))
        return false;
    run_until(due);
    return true;
}

static void run_all(void)
{
    for (int guard = 0; step(); guard++)
        cr_assert_lt(guard, 100000, "deliveries never end");
}

static int tlisten(uint16_t port) { return P.ops->listen(P.ctx, "127.0.0.1", port, 16); }
static int tconnect(uint16_t port) { return P.ops->connect(P.ctx, "127.0.0.1", port); }
/* A connection to an address outside the nodes, where peer listeners are. */
static int toutside(uint16_t port) { return P.ops->connect(P.ctx, "192.0.2.1", port); }
static int taccept(int lfd) { return P.ops->accept(P.ctx, lfd); }
static long twrite(int fd, const char *s) { return P.ops->write(P.ctx, fd, s, strlen(s)); }
static long tread(int fd, char *buf, size_t len) { return P.ops->read(P.ctx, fd, buf, len); }
static int tclose(int fd) { return P.ops->close(P.ctx, fd); }

/* The events wait() reports for fd registered with mask (READ|WRITE); fd must not be registered. */
static uint32_t level_mask(int fd, uint32_t mask)
{
    cr_assert_eq(P.ops->add(P.ctx, fd, mask), 0, "add(%d)", fd);
    coop_poll_event ev[64];
    int n = P.ops->wait(P.ctx, 0, ev, 64);
    cr_assert_geq(n, 0);
    uint32_t out = 0;
    for (int i = 0; i < n; i++)
        if (ev[i].fd == fd)
            out = ev[i].events;
    cr_assert_eq(P.ops->del(P.ctx, fd), 0);
    return out;
}

static uint32_t level(int fd) { return level_mask(fd, RW); }

/* A task listener on 40000 and a peer connected to it, accepted; returns the task's fd. */
static int peer_pair(uint32_t *conn)
{
    int lfd = tlisten(0);
    cr_assert_eq(lfd, 3);
    int c = coop_net_peer_connect(net, (uint32_t)host, 40000);
    cr_assert_gt(c, 0);
    run_all();
    int fd = taccept(lfd);
    cr_assert_geq(fd, 0);
    cr_assert_eq(tclose(lfd), 0);
    *conn = (uint32_t)c;
    return fd;
}

static void assert_read(int fd, const char *want)
{
    char buf[256];
    size_t n = strlen(want);
    long r = tread(fd, buf, sizeof(buf));
    cr_assert_eq(r, (long)n, "read gave %ld, wanted %zu", r, n);
    cr_assert_eq(memcmp(buf, want, n), 0);
}

static bool traced(const char *line) { return strstr(tlog, line) != NULL; }

/* ---- Connections and timing ---- */

Test(net, peer_connect_reaches_accept_queue_after_latency)
{
    set_latency(10 * MS, 0);
    int lfd = tlisten(0);
    cr_assert_eq(lfd, 3);
    cr_assert_eq(P.ops->local_port(P.ctx, lfd), 40000);
    cr_assert_eq(coop_net_peer_connect(net, (uint32_t)host, 40000), 1);
    cr_assert_eq(coop_net_conn_state(net, 1), COOP_NET_CONNECTING);
    uint64_t due;
    cr_assert(coop_net_next_due(net, &due));
    cr_assert_eq(due, 10 * MS);
    cr_assert_eq(level(lfd), 0);
    cr_assert_eq(taccept(lfd), -COOP_EAGAIN);
    run_until(10 * MS - 1);
    cr_assert_eq(level(lfd), 0);
    run_until(10 * MS);
    cr_assert_eq(level(lfd), COOP_EV_READ);
    cr_assert_eq(coop_net_conn_state(net, 1), COOP_NET_CONNECTING, "not accepted yet");
    int fd = taccept(lfd);
    cr_assert_eq(fd, 4);
    cr_assert_eq(P.ops->local_port(P.ctx, fd), 40000);
    cr_assert_eq(coop_net_conn_state(net, 1), COOP_NET_OPEN);
    cr_assert_eq(level(fd), COOP_EV_WRITE);
    cr_assert_eq(level(lfd), 0);
    cr_assert_eq(coop_net_peer_connect(net, (uint32_t)host, 40001), -COOP_ECONNREFUSED);
    cr_assert_eq(coop_net_conn_count(net), 1);
    cr_assert(!coop_net_next_due(net, NULL));
    cr_assert_eq(tclose(fd), 0);
    cr_assert_eq(tclose(lfd), 0);
}

Test(net, chunks_arrive_at_exact_times)
{
    /* 1 MB/s serialises a byte per microsecond. */
    set_latency(5 * MS, 1000000);
    int lfd = tlisten(0);
    int conn = coop_net_peer_connect(net, (uint32_t)host, 40000);
    static char chunk[3][1000];
    for (int k = 0; k < 3; k++) {
        memset(chunk[k], 'a' + k, sizeof(chunk[k]));
        cr_assert_eq(coop_net_peer_send(net, (uint32_t)conn, chunk[k], sizeof(chunk[k])), 0);
    }
    const uint64_t arrivals[] = { 5 * MS, 6 * MS, 7 * MS, 8 * MS };
    uint64_t due;
    cr_assert(coop_net_next_due(net, &due));
    cr_assert_eq(due, arrivals[0]);
    run_until(5 * MS);
    int fd = taccept(lfd);
    cr_assert_eq(fd, 4);
    char buf[4000];
    cr_assert_eq(tread(fd, buf, sizeof(buf)), -COOP_EAGAIN);
    for (int k = 0; k < 3; k++) {
        cr_assert(coop_net_next_due(net, &due));
        cr_assert_eq(due, arrivals[k + 1], "chunk %d due %llu", k, (unsigned long long)due);
        run_until(due - 1);
        cr_assert_eq(tread(fd, buf, sizeof(buf)), -COOP_EAGAIN);
        run_until(due);
        cr_assert_eq(tread(fd, buf, sizeof(buf)), 1000);
        cr_assert_eq(memcmp(buf, chunk[k], 1000), 0);
    }
    /* Two writes at 10 ms: the second waits for the wire, 500 us behind the first. */
    run_until(10 * MS);
    memset(buf, 'z', 1000);
    cr_assert_eq(P.ops->write(P.ctx, fd, buf, 500), 500);
    cr_assert_eq(P.ops->write(P.ctx, fd, buf, 500), 500);
    run_all();
    cr_assert(traced("15500000 recv c1 fd-1 n500\n16000000 recv c1 fd-1 n500\n"), "%s", tlog);
    cr_assert_eq(tclose(fd), 0);
    cr_assert_eq(tclose(lfd), 0);
}

Test(net, task_connects_to_peer_listener)
{
    set_latency(3 * MS, 0);
    cr_assert_eq(coop_net_peer_listen(net, 0, 8080, COOP_NET_ACCEPT, 0), 0);
    cr_assert_eq(coop_net_peer_listen(net, 0, 8080, COOP_NET_ACCEPT, 0), -COOP_EADDRINUSE);
    cr_assert_eq(coop_net_peer_listen(net, 0, 0, COOP_NET_ACCEPT, 0), -COOP_EINVAL);
    /* Peer listeners live outside the node, whose own ports stay free. */
    cr_assert_eq(tclose(tlisten(8080)), 0);
    int fd = P.ops->connect(P.ctx, "10.1.2.3", 8080);
    cr_assert_eq(fd, 3);
    cr_assert_eq(P.ops->local_port(P.ctx, fd), 49152);
    cr_assert_eq(level(fd), 0, "connecting: neither readable nor writable");
    char buf[16];
    cr_assert_eq(twrite(fd, "early"), -COOP_EAGAIN);
    cr_assert_eq(tread(fd, buf, sizeof(buf)), -COOP_EAGAIN);
    cr_assert_eq(coop_net_peer_accepted(net, 0, 8080, 1), 0);
    run_until(3 * MS);
    cr_assert_eq(coop_net_peer_accepted(net, 0, 8080, 1), 1);
    cr_assert_eq(coop_net_peer_accepted(net, 0, 8080, 2), 0);
    cr_assert_eq(coop_net_peer_accepted(net, 0, 8081, 1), 0);
    cr_assert_eq(coop_net_conn_state(net, 1), COOP_NET_OPEN);
    cr_assert_eq(level(fd), 0, "the SYN-ACK is still on its way");
    run_until(6 * MS);
    cr_assert_eq(level(fd), COOP_EV_WRITE);
    cr_assert_eq(P.ops->sock_error(P.ctx, fd), 0);
    cr_assert_eq(twrite(fd, "hello"), 5);
    cr_assert_eq(coop_net_peer_send(net, 1, "world", 5), 0);
    run_until(9 * MS);
    assert_read(fd, "world");
    cr_assert(traced("9000000 recv c1 fd-1 n5\n"), "%s", tlog);
    cr_assert_eq(tclose(fd), 0);
}

Test(net, task_to_task_handshake_takes_a_round_trip)
{
    set_latency(2 * MS, 0);
    int lfd = tlisten(0);
    int c = tconnect(40000);
    cr_assert_eq(c, 4);
    run_until(2 * MS);
    cr_assert_eq(level(lfd), COOP_EV_READ);
    cr_assert_eq(level(c), 0);
    int s = taccept(lfd);
    cr_assert_eq(s, 5);
    cr_assert_eq(level(s), COOP_EV_WRITE);
    cr_assert_eq(twrite(s, "hi"), 2);
    run_until(4 * MS);
    cr_assert_eq(level(c), RW, "established and the server's bytes arrived with the SYN-ACK's round trip");
    assert_read(c, "hi");
    cr_assert_eq(twrite(c, "yo"), 2);
    run_until(6 * MS);
    assert_read(s, "yo");
    coop_net_capture cap;
    cr_assert_eq(coop_net_capture_of(net, 1, &cap), 0);
    cr_assert_eq(cap.len, 0, "task-to-task connections capture nothing");
    cr_assert_null(cap.bytes);
    cr_assert_eq(coop_net_peer_send(net, 1, "x", 1), -COOP_EINVAL);
    cr_assert_eq(coop_net_peer_close(net, 1), -COOP_EINVAL);
    cr_assert_eq(coop_net_peer_send(net, 9, "x", 1), -COOP_ENOENT);
    cr_assert_eq(tclose(c), 0);
    cr_assert_eq(tclose(s), 0);
    cr_assert_eq(tclose(lfd), 0);
    run_all();
    cr_assert_eq(coop_net_conn_state(net, 1), COOP_NET_TASK_CLOSED);
}

/* ---- Closing ---- */

Test(net, peer_half_close)
{
    uint32_t conn;
    int fd = peer_pair(&conn);
    cr_assert_eq(coop_net_peer_send(net, conn, "abc", 3), 0);
    cr_assert_eq(coop_net_peer_shutdown(net, conn), 0);
    cr_assert_eq(coop_net_conn_state(net, conn), COOP_NET_PEER_SHUT);
    cr_assert_eq(level(fd), RW);
    assert_read(fd, "abc");
    char buf[8];
    cr_assert_eq(tread(fd, buf, sizeof(buf)), 0);
    cr_assert_eq(tread(fd, buf, sizeof(buf)), 0);
    /* The other direction stays open. */
    cr_assert_eq(twrite(fd, "reply"), 5);
    cr_assert_eq(coop_net_peer_send(net, conn, "more", 4), -COOP_EPIPE);
    cr_assert_eq(coop_net_peer_shutdown(net, conn), 0, "a second shutdown changes nothing");
    cr_assert_eq(P.ops->shutdown_write(P.ctx, fd), 0);
    cr_assert_eq(coop_net_conn_state(net, conn), COOP_NET_TASK_SHUT);
    cr_assert_eq(level(fd), RW | COOP_EV_HANGUP, "both directions shut");
    cr_assert_eq(twrite(fd, "x"), -COOP_EPIPE);
    cr_assert_eq(P.ops->shutdown_write(P.ctx, fd), 0);
    coop_net_capture cap;
    cr_assert_eq(coop_net_capture_of(net, conn, &cap), 0);
    cr_assert_eq(cap.len, 5);
    cr_assert_eq(memcmp(cap.bytes, "reply", 5), 0);
    cr_assert_eq(tclose(fd), 0);
    cr_assert_eq(coop_net_conn_state(net, conn), COOP_NET_TASK_CLOSED);
    cr_assert_eq(coop_net_peer_close(net, conn), 0);
    cr_assert_eq(coop_net_conn_state(net, conn), COOP_NET_PEER_CLOSED);
    cr_assert_eq(coop_net_peer_close(net, conn), -COOP_EBADF);
}

/* After the peer closed, one write goes out; the closed peer answers it with a reset, reported as EPIPE. */
Test(net, write_after_peer_close)
{
    uint32_t conn;
    int fd = peer_pair(&conn);
    cr_assert_eq(coop_net_peer_close(net, conn), 0);
    cr_assert_eq(coop_net_conn_state(net, conn), COOP_NET_PEER_CLOSED);
    char buf[4];
    cr_assert_eq(tread(fd, buf, sizeof(buf)), 0);
    cr_assert_eq(level(fd), RW);
    cr_assert_eq(twrite(fd, "x"), 1);
    cr_assert_eq(level(fd), ALL);
    cr_assert_eq(twrite(fd, "x"), -COOP_EPIPE);
    cr_assert_eq(twrite(fd, "x"), -COOP_EPIPE);
    cr_assert_eq(level(fd), RW | COOP_EV_HANGUP);
    cr_assert_eq(coop_net_conn_state(net, conn), COOP_NET_PEER_CLOSED, "the answering reset keeps the close");
    cr_assert(traced("0 reset c1 fd-1 n0\n"), "%s", tlog);
    cr_assert_eq(tclose(fd), 0);
}

Test(net, peer_reset_after_data)
{
    uint32_t conn;
    int fd = peer_pair(&conn);
    cr_assert_eq(coop_net_peer_send(net, conn, "hello", 5), 0);
    cr_assert_eq(coop_net_peer_reset(net, conn), 0);
    cr_assert_eq(coop_net_conn_state(net, conn), COOP_NET_PEER_RESET);
    cr_assert_eq(level(fd), ALL);
    assert_read(fd, "hello");
    char buf[8];
    cr_assert_eq(tread(fd, buf, sizeof(buf)), -COOP_ECONNRESET);
    cr_assert_eq(tread(fd, buf, sizeof(buf)), 0);
    cr_assert_eq(twrite(fd, "x"), -COOP_EPIPE);
    cr_assert_eq(level(fd), RW | COOP_EV_HANGUP);
    cr_assert_eq(P.ops->sock_error(P.ctx, fd), 0);
    cr_assert_eq(coop_net_peer_send(net, conn, "x", 1), -COOP_EPIPE);
    cr_assert_eq(coop_net_peer_reset(net, conn), -COOP_EBADF);
    cr_assert_eq(coop_net_peer_reading(net, conn, false), -COOP_EBADF);
    cr_assert_eq(tclose(fd), 0);
    cr_assert_eq(coop_net_conn_state(net, conn), COOP_NET_PEER_RESET, "resets are final");
}

Test(net, task_close_with_unread_data_resets)
{
    uint32_t conn;
    int fd = peer_pair(&conn);
    cr_assert_eq(coop_net_peer_send(net, conn, "unread", 6), 0);
    cr_assert_eq(tclose(fd), 0);
    cr_assert_eq(coop_net_conn_state(net, conn), COOP_NET_TASK_RESET);
    cr_assert_eq(coop_net_peer_send(net, conn, "x", 1), -COOP_ECONNRESET);
    cr_assert(traced("0 close c1 fd4 n0\n0 reset c1 fd4 n0\n"), "%s", tlog);
    /* Closed cleanly, the peer sees a FIN instead. */
    int lfd = tlisten(0);
    int c2 = coop_net_peer_connect(net, (uint32_t)host, 40000);
    int fd2 = taccept(lfd);
    cr_assert_eq(tclose(fd2), 0);
    cr_assert_eq(coop_net_conn_state(net, (uint32_t)c2), COOP_NET_TASK_CLOSED);
    cr_assert_eq(coop_net_peer_send(net, (uint32_t)c2, "x", 1), 0,
                 "the peer may still send; it gets a reset");
    /* That reset reaches a peer which has seen the FIN and not sent its own: EPIPE, as for a task. */
    cr_assert_eq(coop_net_peer_send(net, (uint32_t)c2, "x", 1), -COOP_EPIPE);
    /* And an abortive close resets with nothing unread. */
    int c3 = coop_net_peer_connect(net, (uint32_t)host, 40000);
    int fd3 = taccept(lfd);
    cr_assert_eq(coop_net_close_reset(net, (uint32_t)host, fd3), 0);
    cr_assert_eq(coop_net_conn_state(net, (uint32_t)c3), COOP_NET_TASK_RESET);
    cr_assert_eq(coop_net_peer_send(net, (uint32_t)c3, "x", 1), -COOP_ECONNRESET);
    cr_assert_eq(coop_net_close_reset(net, (uint32_t)host, fd3), -COOP_EBADF);
    cr_assert_eq(tclose(lfd), 0);
}

Test(net, closing_a_listener_resets_its_queue)
{
    int lfd = tlisten(0);
    int conn = coop_net_peer_connect(net, (uint32_t)host, 40000);
    int c = tconnect(40000);
    cr_assert_eq(c, 4);
    cr_assert_eq(level(c), COOP_EV_WRITE);
    cr_assert_eq(tclose(lfd), 0);
    cr_assert_eq(coop_net_conn_state(net, (uint32_t)conn), COOP_NET_TASK_RESET);
    cr_assert_eq(coop_net_peer_send(net, (uint32_t)conn, "x", 1), -COOP_ECONNRESET);
    cr_assert_eq(level(c), ALL);
    cr_assert_eq(P.ops->sock_error(P.ctx, c), -COOP_ECONNRESET);
    cr_assert_eq(tclose(c), 0);
    /* The port is free again. */
    cr_assert_eq(tlisten(40000), 3);
    cr_assert_eq(tclose(3), 0);
}

/* A connect abandoned before the SYN lands withdraws it; after, the late SYN-ACK is answered with a reset. */
Test(net, close_while_connecting)
{
    set_latency(10 * MS, 0);
    int lfd = tlisten(0);
    int c = tconnect(40000);
    cr_assert_eq(tclose(c), 0);
    cr_assert_eq(coop_net_conn_state(net, 1), COOP_NET_TASK_CLOSED);
    cr_assert(!coop_net_next_due(net, NULL), "the request is withdrawn");
    c = tconnect(40000);
    run_until(15 * MS);
    cr_assert_eq(level(lfd), COOP_EV_READ);
    cr_assert_eq(tclose(c), 0);
    run_until(30 * MS);
    int s = taccept(lfd);
    cr_assert_geq(s, 0);
    char buf[4];
    cr_assert_eq(tread(s, buf, sizeof(buf)), -COOP_ECONNRESET);
    cr_assert_eq(tclose(s), 0);
    cr_assert_eq(tclose(lfd), 0);
}

/* ---- Bounded buffers ---- */

Test(net, stopped_peer_fills_buffers_until_eagain)
{
    coop_net_set_buffers(net, 1000, 2000);
    uint32_t conn;
    int fd = peer_pair(&conn);
    cr_assert_eq(coop_net_peer_reading(net, conn, false), 0);
    static char buf[4000];
    memset(buf, 'q', sizeof(buf));
    /* Each write takes what fits in the send buffer; the peer's receive buffer takes 2000. */
    cr_assert_eq(P.ops->write(P.ctx, fd, buf, sizeof(buf)), 1000);
    cr_assert_eq(P.ops->write(P.ctx, fd, buf, sizeof(buf)), 1000);
    cr_assert_eq(P.ops->write(P.ctx, fd, buf, sizeof(buf)), 1000);
    cr_assert_eq(P.ops->write(P.ctx, fd, buf, sizeof(buf)), -COOP_EAGAIN);
    cr_assert_eq(level(fd), 0);
    run_all();
    cr_assert_eq(level(fd), 0, "time alone does not drain a peer that does not read");
    cr_assert(!traced(" recv "), "%s", tlog);
    cr_assert_eq(coop_net_peer_reading(net, conn, true), 0);
    cr_assert(traced("0 recv c1 fd-1 n2000\n0 recv c1 fd-1 n1000\n"), "%s", tlog);
    cr_assert_eq(level(fd), COOP_EV_WRITE);
    cr_assert_eq(P.ops->write(P.ctx, fd, buf, sizeof(buf)), 1000);
    coop_net_capture cap;
    cr_assert_eq(coop_net_capture_of(net, conn, &cap), 0);
    cr_assert_eq(cap.len, 4000);
    cr_assert_eq(cap.nchunks, 4);
    /* Closing while the peer holds unread bytes resets (as the kernel would). */
    cr_assert_eq(coop_net_peer_reading(net, conn, false), 0);
    cr_assert_eq(P.ops->write(P.ctx, fd, buf, 10), 10);
    cr_assert_eq(coop_net_peer_close(net, conn), 0);
    cr_assert_eq(coop_net_conn_state(net, conn), COOP_NET_PEER_RESET);
    cr_assert_eq(level(fd), ALL);
    cr_assert_eq(tclose(fd), 0);
}

/* Writable again once the free send space is half of what it holds, as Linux's sk_stream_is_writeable(). */
Test(net, writable_threshold)
{
    coop_net_set_buffers(net, 1000, 2000);
    int lfd = tlisten(0);
    int c = tconnect(40000);
    int s = taccept(lfd);
    static char buf[4000];
    cr_assert_eq(P.ops->write(P.ctx, c, buf, sizeof(buf)), 1000);
    cr_assert_eq(P.ops->write(P.ctx, c, buf, sizeof(buf)), 1000);
    cr_assert_eq(P.ops->write(P.ctx, c, buf, sizeof(buf)), 1000);
    cr_assert_eq(P.ops->write(P.ctx, c, buf, sizeof(buf)), -COOP_EAGAIN);
    cr_assert_eq(level(c), 0);
    /* 332 read: 668 remain queued and 332 free < 334. */
    cr_assert_eq(tread(s, buf, 332), 332);
    cr_assert_eq(level(c), 0);
    /* One more: 667 queued and 333 free >= 333. */
    cr_assert_eq(tread(s, buf, 1), 1);
    cr_assert_eq(level(c), COOP_EV_WRITE);
    cr_assert_eq(P.ops->write(P.ctx, c, buf, sizeof(buf)), 333);
    cr_assert_eq(tclose(c), 0);
    cr_assert_eq(tclose(s), 0);
    cr_assert_eq(tclose(lfd), 0);
}

/* At most 61 data segments per direction are in flight; the rest wait in the send buffer. */
Test(net, segments_in_flight_are_bounded)
{
    set_latency(1 * MS, 0);
    int lfd = tlisten(0);
    int conn = coop_net_peer_connect(net, (uint32_t)host, 40000);
    for (int i = 0; i < 100; i++)
        cr_assert_eq(coop_net_peer_send(net, (uint32_t)conn, "b", 1), 0);
    run_until(1 * MS);
    int fd = taccept(lfd);
    char buf[128];
    cr_assert_eq(tread(fd, buf, sizeof(buf)), 60, "the SYN holds one of the 61 slots");
    run_until(2 * MS);
    cr_assert_eq(tread(fd, buf, sizeof(buf)), 40);
    cr_assert_eq(tclose(fd), 0);
    cr_assert_eq(tclose(lfd), 0);
}

/* ---- The capture ---- */

Test(net, capture_records_bytes_and_times)
{
    set_latency(1 * MS, 0);
    cr_assert_eq(coop_net_peer_listen(net, 0, 9000, COOP_NET_ACCEPT, 0), 0);
    int fd = toutside(9000);
    run_until(2 * MS);
    cr_assert_eq(twrite(fd, "ab"), 2);
    run_until(5 * MS);
    cr_assert_eq(twrite(fd, "cde"), 3);
    run_until(9 * MS);
    cr_assert_eq(twrite(fd, "f"), 1);
    cr_assert_eq(tclose(fd), 0);
    run_all();
    coop_net_capture cap;
    cr_assert_eq(coop_net_capture_of(net, 1, &cap), 0);
    cr_assert_eq(cap.len, 6);
    cr_assert_eq(memcmp(cap.bytes, "abcdef", 6), 0);
    cr_assert_eq(cap.nchunks, 3);
    const coop_net_chunk want[] = { { .t_ns = 2 * MS, .off = 0, .len = 2 },
                                    { .t_ns = 5 * MS, .off = 2, .len = 3 },
                                    { .t_ns = 9 * MS, .off = 5, .len = 1 } };
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(cap.chunks[i].t_ns, want[i].t_ns);
        cr_assert_eq(cap.chunks[i].off, want[i].off);
        cr_assert_eq(cap.chunks[i].len, want[i].len);
        /* Each chunk names the trace event of its write. */
        cr_assert_lt(cap.chunks[i].ev, tcount);
        cr_assert_str_eq(twhat[cap.chunks[i].ev], "send");
        cr_assert(i == 0 || cap.chunks[i].ev > cap.chunks[i - 1].ev);
    }
    cr_assert_eq(coop_net_conn_state(net, 1), COOP_NET_TASK_CLOSED);
    cr_assert_eq(coop_net_capture_of(net, 2, &cap), -COOP_ENOENT);
    cr_assert_eq(coop_net_capture_of(net, 0, &cap), -COOP_ENOENT);
}

/* ---- Refused connections ---- */

Test(net, refused_without_listener)
{
    int fd = tconnect(9);
    cr_assert_eq(fd, 3, "connect() hands back the fd at once");
    cr_assert_eq(coop_net_conn_state(net, 1), COOP_NET_REFUSED);
    cr_assert_eq(level_mask(fd, COOP_EV_WRITE), COOP_EV_WRITE | COOP_EV_ERROR | COOP_EV_HANGUP);
    cr_assert_eq(level(fd), ALL);
    cr_assert_eq(P.ops->sock_error(P.ctx, fd), -COOP_ECONNREFUSED);
    cr_assert_eq(P.ops->sock_error(P.ctx, fd), 0);
    cr_assert_eq(level(fd), RW | COOP_EV_HANGUP);
    char buf[4];
    cr_assert_eq(tread(fd, buf, sizeof(buf)), 0);
    cr_assert_eq(twrite(fd, "x"), -COOP_EPIPE);
    cr_assert_eq(P.ops->shutdown_write(P.ctx, fd), -COOP_ENOTCONN);
    cr_assert(traced("0 connect c1 fd3 n0\n0 refuse c1 fd3 n0\n"), "%s", tlog);
    cr_assert_eq(tclose(fd), 0);
    cr_assert_eq(coop_net_peer_connect(net, (uint32_t)host, 9), -COOP_ECONNREFUSED);
    cr_assert_eq(coop_net_conn_count(net), 1);
}

/* The refusal is decided when the request lands and reported when the reset is back: a round trip. */
Test(net, refusal_takes_a_round_trip)
{
    set_latency(10 * MS, 0);
    cr_assert_eq(coop_net_peer_listen(net, 0, 7000, COOP_NET_REFUSE, 0), 0);
    int fd = toutside(7000);
    run_until(10 * MS);
    cr_assert_eq(coop_net_conn_state(net, 1), COOP_NET_REFUSED);
    cr_assert_eq(level(fd), 0);
    run_until(20 * MS - 1);
    cr_assert_eq(level(fd), 0);
    run_until(20 * MS);
    cr_assert_eq(level(fd), ALL);
    char buf[4];
    cr_assert_eq(tread(fd, buf, sizeof(buf)), -COOP_ECONNREFUSED);
    cr_assert_eq(tread(fd, buf, sizeof(buf)), 0);
    cr_assert_eq(coop_net_peer_accepted(net, 0, 7000, 1), 0);
    cr_assert_eq(tclose(fd), 0);
}

Test(net, refuse_fault)
{
    coop_net_faults f = { .refuse_pct = 100 };
    coop_net_set_faults(net, &f);
    cr_assert_eq(coop_net_peer_listen(net, 0, 7000, COOP_NET_ACCEPT, 0), 0);
    int fd = toutside(7000);
    cr_assert_eq(coop_net_conn_state(net, 1), COOP_NET_REFUSED);
    cr_assert_eq(P.ops->sock_error(P.ctx, fd), -COOP_ECONNREFUSED);
    cr_assert(traced("0 fault:refuse c1 fd3 n0\n0 refuse c1 fd3 n0\n"), "%s", tlog);
    /* A peer's request to a task listener is not faulted unless peers are. */
    int lfd = tlisten(0);
    int conn = coop_net_peer_connect(net, (uint32_t)host, 40000);
    cr_assert_eq(conn, 2);
    cr_assert_neq(coop_net_conn_state(net, 2), COOP_NET_REFUSED);
    int afd = taccept(lfd);
    cr_assert_geq(afd, 0);
    cr_assert_eq(tclose(afd), 0);
    /* With peers faulted, it is refused on arrival. */
    f.peers = true;
    coop_net_set_faults(net, &f);
    conn = coop_net_peer_connect(net, (uint32_t)host, 40000);
    cr_assert_eq(conn, 3);
    cr_assert_eq(coop_net_conn_state(net, 3), COOP_NET_REFUSED);
    cr_assert_eq(coop_net_peer_send(net, 3, "x", 1), -COOP_ECONNREFUSED);
    cr_assert_eq(taccept(lfd), -COOP_EAGAIN);
    cr_assert_eq(tclose(fd), 0);
    cr_assert_eq(tclose(lfd), 0);
}

/* ---- Accept queue ---- */

/* backlog 1 holds two connections; a third request retries 1 s later, with the bytes sent behind it. */
Test(net, full_accept_queue_retries)
{
    int lfd = P.ops->listen(P.ctx, "0.0.0.0", 0, 1);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(coop_net_peer_connect(net, (uint32_t)host, 40000), i + 1);
    cr_assert_eq(coop_net_peer_send(net, 3, "late", 4), 0);
    int a = taccept(lfd);
    cr_assert_geq(a, 0);
    uint64_t due;
    cr_assert(coop_net_next_due(net, &due));
    cr_assert_eq(due, 1 * SEC);
    run_until(1 * SEC);
    int b = taccept(lfd), c = taccept(lfd);
    cr_assert_geq(b, 0);
    cr_assert_geq(c, 0);
    cr_assert_eq(taccept(lfd), -COOP_EAGAIN);
    assert_read(c, "late");
    cr_assert_eq(coop_net_conn_state(net, 3), COOP_NET_OPEN);
    cr_assert_eq(tclose(a), 0);
    cr_assert_eq(tclose(b), 0);
    cr_assert_eq(tclose(c), 0);
    cr_assert_eq(tclose(lfd), 0);
}

/* With no accept at all, the request retries at 1, 3, 7, 15, 31 and 63 s, then gives up. */
Test(net, full_accept_queue_times_out)
{
    int lfd = P.ops->listen(P.ctx, "127.0.0.1", 0, 1);
    cr_assert_eq(coop_net_peer_connect(net, (uint32_t)host, 40000), 1);
    cr_assert_eq(coop_net_peer_connect(net, (uint32_t)host, 40000), 2);
    cr_assert_eq(coop_net_peer_connect(net, (uint32_t)host, 40000), 3);
    int c = tconnect(40000);
    const uint64_t retries[] = { 1, 3, 7, 15, 31, 63 };
    for (int i = 0; i < 6; i++) {
        uint64_t due;
        cr_assert(coop_net_next_due(net, &due));
        cr_assert_eq(due, retries[i] * SEC, "retry %d at %llu", i, (unsigned long long)due);
        run_until(due);
    }
    cr_assert(!coop_net_next_due(net, NULL));
    cr_assert_eq(coop_net_conn_state(net, 3), COOP_NET_REFUSED);
    cr_assert_eq(coop_net_peer_send(net, 3, "x", 1), -COOP_ETIMEDOUT);
    cr_assert_eq(coop_net_conn_state(net, 4), COOP_NET_REFUSED);
    cr_assert_eq(P.ops->sock_error(P.ctx, c), -COOP_ETIMEDOUT);
    cr_assert_eq(tclose(c), 0);
    cr_assert_eq(tclose(lfd), 0);
}

/* A request retried after a full queue carries the bytes queued behind it, which keep their order. */
Test(net, retried_request_keeps_bytes_behind_it)
{
    set_latency(1 * MS, 0);
    int lfd = P.ops->listen(P.ctx, "127.0.0.1", 0, 1);
    cr_assert_eq(coop_net_peer_connect(net, (uint32_t)host, 40000), 1);
    cr_assert_eq(coop_net_peer_connect(net, (uint32_t)host, 40000), 2);
    cr_assert_eq(coop_net_peer_connect(net, (uint32_t)host, 40000), 3);
    cr_assert_eq(coop_net_peer_send(net, 3, "one", 3), 0);
    cr_assert_eq(coop_net_peer_send(net, 3, "two", 3), 0);
    run_until(1 * MS);
    uint64_t due;
    cr_assert(coop_net_next_due(net, &due));
    cr_assert_eq(due, 1 * MS + 1 * SEC);
    int a = taccept(lfd);
    run_until(due);
    int b = taccept(lfd), c = taccept(lfd);
    cr_assert_geq(c, 0);
    assert_read(c, "onetwo");
    cr_assert_eq(tclose(a), 0);
    cr_assert_eq(tclose(b), 0);
    cr_assert_eq(tclose(c), 0);
    cr_assert_eq(tclose(lfd), 0);
}

/* Bytes in flight toward an end that has just aborted are dropped there, without an answer. */
Test(net, data_crossing_an_abort)
{
    set_latency(1 * MS, 0);
    int lfd = tlisten(0);
    int conn = coop_net_peer_connect(net, (uint32_t)host, 40000);
    run_until(1 * MS);
    int fd = taccept(lfd);
    cr_assert_eq(coop_net_peer_send(net, (uint32_t)conn, "late", 4), 0);
    cr_assert_eq(coop_net_close_reset(net, (uint32_t)host, fd), 0);
    run_all();
    cr_assert_eq(coop_net_conn_state(net, (uint32_t)conn), COOP_NET_TASK_RESET);
    cr_assert_eq(coop_net_peer_send(net, (uint32_t)conn, "x", 1), -COOP_ECONNRESET);
    cr_assert_eq(coop_net_peer_shutdown(net, (uint32_t)conn), -COOP_ECONNRESET);
    cr_assert_eq(coop_net_peer_reading(net, (uint32_t)conn, true), 0,
                 "a dead peer end may still toggle reading");
    cr_assert_eq(coop_net_peer_close(net, (uint32_t)conn), 0);
    cr_assert_eq(coop_net_peer_shutdown(net, (uint32_t)conn), -COOP_EPIPE);
    cr_assert_eq(coop_net_peer_shutdown(net, 99), -COOP_ENOENT);
    cr_assert_eq(coop_net_peer_reading(net, 99, true), -COOP_ENOENT);
    cr_assert_eq(coop_net_peer_reset(net, 99), -COOP_ENOENT);
    cr_assert_eq(coop_net_peer_send(net, 0, "x", 1), -COOP_ENOENT);
    int c = tconnect(40000);
    run_all();
    cr_assert_eq(coop_net_peer_shutdown(net, 2), -COOP_EINVAL, "conn 2 joins two tasks");
    cr_assert_eq(coop_net_peer_reading(net, 2, true), -COOP_EINVAL);
    cr_assert_eq(tclose(c), 0);
    cr_assert_eq(tclose(lfd), 0);
    run_all();
}

/* Jitter beyond 2^32 ns takes the 64-bit draw; order is kept all the same. */
Test(net, long_jitter)
{
    coop_net_faults f = { .jitter_ns = 10 * SEC };
    coop_net_set_faults(net, &f);
    set_latency(1 * MS, 0);
    int lfd = tlisten(0);
    int conn = coop_net_peer_connect(net, (uint32_t)host, 40000);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(coop_net_peer_send(net, (uint32_t)conn, &"abcde"[i], 1), 0);
    run_all();
    cr_assert_leq(now_ns, 1 * MS + 10 * SEC);
    cr_assert_gt(now_ns, 1 * MS);
    int fd = taccept(lfd);
    assert_read(fd, "abcde");
    cr_assert_eq(tclose(fd), 0);
    cr_assert_eq(tclose(lfd), 0);
}

/* ---- Short reads and writes from the link ---- */

Test(net, link_limits_reads_and_writes)
{
    uint32_t conn;
    int fd = peer_pair(&conn);
    coop_net_link link = { .max_read = 2, .max_write = 3 };
    cr_assert_eq(coop_net_set_link(net, conn, &link), 0);
    cr_assert_eq(coop_net_set_link(net, 99, &link), -COOP_ENOENT);
    cr_assert_eq(coop_net_set_link(net, 0, NULL), -COOP_EINVAL);
    cr_assert_eq(twrite(fd, "hello"), 3);
    cr_assert_eq(twrite(fd, "lo"), 2);
    cr_assert_eq(coop_net_peer_send(net, conn, "abcde", 5), 0);
    assert_read(fd, "ab");
    assert_read(fd, "cd");
    assert_read(fd, "e");
    coop_net_capture cap;
    cr_assert_eq(coop_net_capture_of(net, conn, &cap), 0);
    cr_assert_eq(cap.len, 5);
    cr_assert_eq(memcmp(cap.bytes, "hello", 5), 0);
    cr_assert_eq(tclose(fd), 0);
}

/* ---- Faults, each with a fixed seed and an exact outcome ---- */

/* A network seeded with 7 and the given faults, and a peer connection on it; returns the task's fd. */
static int faulty_pair(const coop_net_faults *f, uint64_t latency_ns, uint32_t *conn)
{
    coop_net_free(net);
    make_net(7);
    set_latency(latency_ns, 0);
    coop_net_set_faults(net, f);
    return peer_pair(conn);
}

Test(net, split_fault)
{
    coop_net_faults f = { .split_pct = 100 };
    uint32_t conn;
    int fd = faulty_pair(&f, 0, &conn);
    cr_assert_eq(coop_net_peer_send(net, conn, "abcdefgh", 8), 0);
    assert_read(fd, "abc");
    char buf[8];
    cr_assert_eq(tread(fd, buf, sizeof(buf)), -COOP_EAGAIN);
    run_until(1 * US);
    assert_read(fd, "defgh");
    cr_assert(traced("0 fault:split c1 fd-1 n8\n"), "%s", tlog);
    cr_assert_eq(tclose(fd), 0);
}

Test(net, short_io_fault)
{
    coop_net_faults f = { .short_io_pct = 100 };
    uint32_t conn;
    int fd = faulty_pair(&f, 0, &conn);
    cr_assert_eq(coop_net_peer_send(net, conn, "abcdefgh", 8), 0);
    assert_read(fd, "abc");
    assert_read(fd, "de");
    assert_read(fd, "fg");
    assert_read(fd, "h");
    /* Writing the rest each time: 8 bytes offered, then what remains. */
    const char *msg = "12345678";
    const long want[] = { 2, 5, 1 };
    size_t done = 0;
    for (int i = 0; i < 3; i++) {
        long r = twrite(fd, msg + done);
        cr_assert_eq(r, want[i], "write %d gave %ld", i, r);
        done += (size_t)r;
    }
    cr_assert_eq(done, 8, "the last single byte cannot be shortened");
    coop_net_capture cap;
    cr_assert_eq(coop_net_capture_of(net, conn, &cap), 0);
    cr_assert_eq(cap.len, 8);
    cr_assert_eq(memcmp(cap.bytes, "12345678", 8), 0);
    cr_assert_eq(tclose(fd), 0);
}

Test(net, eagain_fault)
{
    coop_net_faults f = { .eagain_pct = 50 };
    uint32_t conn;
    int fd = faulty_pair(&f, 0, &conn);
    char buf[8];
    /* Nothing to read: no draw, a plain EAGAIN. */
    cr_assert_eq(tread(fd, buf, 1), -COOP_EAGAIN);
    cr_assert(!traced("fault:eagain"));
    cr_assert_eq(coop_net_peer_send(net, conn, "abcdefgh", 8), 0);
    const long want[] = { -COOP_EAGAIN, 1, 1, -COOP_EAGAIN, -COOP_EAGAIN, -COOP_EAGAIN, -COOP_EAGAIN, 1 };
    for (int i = 0; i < 8; i++)
        cr_assert_eq(tread(fd, buf, 1), want[i], "read %d", i);
    cr_assert_eq(level(fd), RW, "the data is still there, and reported");
    cr_assert_eq(tclose(fd), 0);
}

Test(net, jitter_fault_keeps_order)
{
    coop_net_faults f = { .jitter_ns = 10 * MS };
    coop_net_free(net);
    make_net(7);
    set_latency(1 * MS, 0);
    coop_net_set_faults(net, &f);
    int lfd = tlisten(0);
    int conn = coop_net_peer_connect(net, (uint32_t)host, 40000);
    const char *alphabet = "abcdefghijklmnopqrst";
    for (int i = 0; i < 20; i++)
        cr_assert_eq(coop_net_peer_send(net, (uint32_t)conn, alphabet + i, 1), 0);
    char got[32];
    size_t n = 0;
    int fd = -1;
    uint64_t prev = 0, due, last = 0;
    while (coop_net_next_due(net, &due)) {
        cr_assert_geq(due, prev, "a later delivery never arrives first");
        prev = due;
        run_until(due);
        if (fd < 0)
            fd = taccept(lfd);
        long r = tread(fd, got + n, sizeof(got) - n);
        if (r > 0) {
            n += (size_t)r;
            last = due;
        }
    }
    cr_assert_eq(n, 20);
    cr_assert_eq(memcmp(got, alphabet, 20), 0);
    cr_assert_eq(last, 10477097, "last byte at %llu", (unsigned long long)last);
    cr_assert_eq(tclose(fd), 0);
    cr_assert_eq(tclose(lfd), 0);
}

/* The reset fault hits what the program sends, and what a peer sends only when peers are faulted. */
Test(net, reset_fault_spares_peers)
{
    coop_net_faults f = { .reset_pct = 100 };
    uint32_t conn;
    int fd = faulty_pair(&f, 0, &conn);
    cr_assert_eq(coop_net_peer_send(net, conn, "x", 1), 0);
    assert_read(fd, "x");
    cr_assert_eq(coop_net_conn_state(net, conn), COOP_NET_OPEN);
    cr_assert_eq(twrite(fd, "y"), 1);
    run_all();
    cr_assert_eq(coop_net_conn_state(net, conn), COOP_NET_PEER_RESET);
    cr_assert_eq(tclose(fd), 0);
}

Test(net, reset_fault)
{
    coop_net_faults f = { .reset_pct = 100, .peers = true };
    uint32_t conn;
    int fd = faulty_pair(&f, 0, &conn);
    cr_assert_eq(coop_net_peer_send(net, conn, "x", 1), 0);
    cr_assert_eq(coop_net_conn_state(net, conn), COOP_NET_PEER_RESET);
    cr_assert_eq(level(fd), ALL);
    char buf[4];
    cr_assert_eq(tread(fd, buf, sizeof(buf)), -COOP_ECONNRESET, "the data never arrives");
    cr_assert_eq(coop_net_peer_send(net, conn, "y", 1), -COOP_ECONNRESET);
    cr_assert(traced("0 fault:reset c1 fd4 n1\n"), "%s", tlog);
    cr_assert_eq(tclose(fd), 0);
}

/* With every fault off, a whole script draws nothing from the PRNG. */
Test(net, faults_off_draw_nothing)
{
    set_latency(1 * MS, 1000000);
    coop_prng before = rng;
    uint32_t conn;
    int fd = peer_pair(&conn);
    cr_assert_eq(coop_net_peer_send(net, conn, "hello", 5), 0);
    run_all();
    assert_read(fd, "hello");
    cr_assert_eq(twrite(fd, "bye"), 3);
    cr_assert_eq(coop_net_peer_close(net, conn), 0);
    cr_assert_eq(tclose(fd), 0);
    run_all();
    cr_assert_eq(rng.state, before.state);
    cr_assert_eq(rng.inc, before.inc);
}

/* ---- Determinism ---- */

/* A busy script with every fault on; returns a copy of the trace and the capture of conn 1. */
static void faulty_script(uint64_t seed, char **trace_out, uint8_t **cap_out, size_t *cap_len)
{
    coop_net_free(net);
    make_net(seed);
    coop_net_faults f = { .jitter_ns = 3 * MS,
                          .split_pct = 30,
                          .short_io_pct = 30,
                          .eagain_pct = 20,
                          .reset_pct = 2,
                          .refuse_pct = 10 };
    coop_net_set_faults(net, &f);
    set_latency(1 * MS, 2000000);
    int lfd = tlisten(0);
    cr_assert_eq(coop_net_peer_listen(net, 0, 9000, COOP_NET_ACCEPT, 0), 0);
    int out = toutside(9000);
    for (int i = 0; i < 6; i++)
        (void)coop_net_peer_connect(net, (uint32_t)host, 40000);
    int fds[8];
    int nfd = 0;
    static char buf[2048];
    for (int round = 0; round < 200 && step(); round++) {
        int fd;
        while (nfd < 8 && (fd = taccept(lfd)) >= 0)
            fds[nfd++] = fd;
        for (uint32_t conn = 2; conn <= coop_net_conn_count(net); conn++) {
            memset(buf, 'a' + (int)(round % 26), 300);
            (void)coop_net_peer_send(net, conn, buf, 300);
        }
        for (int i = 0; i < nfd; i++) {
            long r = tread(fds[i], buf, sizeof(buf));
            if (r > 0)
                (void)P.ops->write(P.ctx, fds[i], buf, (size_t)r);
        }
        (void)twrite(out, "tick");
    }
    coop_net_capture cap;
    cr_assert_eq(coop_net_capture_of(net, 1, &cap), 0);
    *cap_len = cap.len;
    *cap_out = malloc(cap.len + 1);
    if (cap.len)
        memcpy(*cap_out, cap.bytes, cap.len);
    *trace_out = malloc(tlen + 1);
    memcpy(*trace_out, tlog, tlen + 1);
    for (int i = 0; i < nfd; i++)
        cr_assert_eq(tclose(fds[i]), 0);
    cr_assert_eq(tclose(out), 0);
    cr_assert_eq(tclose(lfd), 0);
}

Test(net, same_seed_same_run)
{
    char *t1, *t2, *t3;
    uint8_t *c1, *c2, *c3;
    size_t l1, l2, l3;
    faulty_script(1234, &t1, &c1, &l1);
    faulty_script(1234, &t2, &c2, &l2);
    faulty_script(4321, &t3, &c3, &l3);
    cr_assert_str_eq(t1, t2);
    cr_assert_eq(l1, l2);
    cr_assert_eq(memcmp(c1, c2, l1), 0);
    cr_assert(strstr(t1, "fault:split") && strstr(t1, "fault:short") && strstr(t1, "fault:eagain") &&
                  strstr(t1, "fault:jitter"),
              "the script exercises the faults");
    cr_assert_str_neq(t1, t3, "another seed, another run");
    free(t1);
    free(t2);
    free(t3);
    free(c1);
    free(c2);
    free(c3);
}

/* ---- fds, states, readiness, the trace ---- */

Test(net, fds_are_lowest_free_and_reused)
{
    int lfd = tlisten(0);
    cr_assert_eq(lfd, 3);
    int c = tconnect(40000);
    cr_assert_eq(c, 4);
    int s = taccept(lfd);
    cr_assert_eq(s, 5);
    cr_assert_eq(tclose(c), 0);
    cr_assert_eq(tconnect(40000), 4);
    cr_assert_eq(tclose(lfd), 0);
    cr_assert_eq(tlisten(40001), 3);
    cr_assert_eq(P.ops->local_port(P.ctx, 3), 40001);
    cr_assert_eq(tlisten(0), 6, "port 0 picks the lowest free port from 40000");
    cr_assert_eq(P.ops->local_port(P.ctx, 6), 40000);
    /* Unknown fds. */
    char buf[4];
    cr_assert_eq(tread(99, buf, sizeof(buf)), -COOP_EBADF);
    cr_assert_eq(twrite(99, "x"), -COOP_EBADF);
    cr_assert_eq(tclose(99), -COOP_EBADF);
    cr_assert_eq(tclose(2), -COOP_EBADF);
    cr_assert_eq(taccept(99), -COOP_EBADF);
    cr_assert_eq(P.ops->local_port(P.ctx, 99), -COOP_EBADF);
    cr_assert_eq(P.ops->sock_error(P.ctx, -1), -COOP_EBADF);
    cr_assert_eq(P.ops->shutdown_write(P.ctx, 99), -COOP_EBADF);
    cr_assert_eq(P.ops->add(P.ctx, 99, COOP_EV_READ), -COOP_EBADF);
    cr_assert_eq(P.ops->add(P.ctx, -1, COOP_EV_READ), -COOP_EBADF);
    cr_assert_eq(P.ops->add(P.ctx, 3, COOP_EV_ERROR), -COOP_EINVAL);
    cr_assert_eq(P.ops->mod(P.ctx, 99, COOP_EV_READ), -COOP_ENOENT);
    cr_assert_eq(P.ops->del(P.ctx, 99), -COOP_ENOENT);
    /* Listeners are not connections. */
    cr_assert_eq(tread(3, buf, sizeof(buf)), -COOP_ENOTCONN);
    cr_assert_eq(twrite(3, "x"), -COOP_EPIPE);
    cr_assert_eq(taccept(s), -COOP_EINVAL);
    cr_assert_eq(P.ops->sock_error(P.ctx, 3), 0);
    cr_assert_eq(P.ops->shutdown_write(P.ctx, 3), 0);
    /* Addresses. */
    cr_assert_eq(P.ops->listen(P.ctx, "127.0.0.01", 0, 1), -COOP_EINVAL);
    cr_assert_eq(P.ops->listen(P.ctx, "127.0.0", 0, 1), -COOP_EINVAL);
    cr_assert_eq(P.ops->listen(P.ctx, NULL, 0, 1), -COOP_EINVAL);
    cr_assert_eq(P.ops->connect(P.ctx, "1.2.3.4.5", 1), -COOP_EINVAL);
    cr_assert_eq(tclose(3), 0);
    cr_assert_eq(tclose(4), 0);
    cr_assert_eq(tclose(s), 0);
    cr_assert_eq(tclose(6), 0);
}

Test(net, state_names)
{
    const char *names[] = { "connecting", "open",        "task-shut",  "task-closed", "task-reset",
                            "peer-shut",  "peer-closed", "peer-reset", "refused" };
    for (int st = COOP_NET_CONNECTING; st <= COOP_NET_REFUSED; st++)
        cr_assert_str_eq(coop_net_state_name((coop_net_state)st), names[st]);
    cr_assert_str_eq(coop_net_state_name((coop_net_state)99), "?");
    cr_assert_eq(coop_net_conn_state(net, 0), COOP_NET_REFUSED);
    cr_assert_eq(coop_net_conn_state(net, 7), COOP_NET_REFUSED);
}

/* When more fds are ready than max, successive calls take turns, each call in ascending order. */
Test(net, wait_takes_turns)
{
    for (int i = 0; i < 5; i++) {
        int lfd = tlisten(0);
        cr_assert_eq(lfd, 3 + i);
        cr_assert_gt(coop_net_peer_connect(net, (uint32_t)host, (uint16_t)(40000 + i)), 0);
        cr_assert_eq(P.ops->add(P.ctx, lfd, COOP_EV_READ), 0);
    }
    coop_poll_event ev[2];
    const int want[][2] = { { 3, 4 }, { 5, 6 }, { 3, 7 }, { 4, 5 } };
    for (int call = 0; call < 4; call++) {
        cr_assert_eq(P.ops->wait(P.ctx, -1, ev, 2), 2);
        cr_assert_eq(ev[0].fd, want[call][0], "call %d: %d", call, ev[0].fd);
        cr_assert_eq(ev[1].fd, want[call][1], "call %d: %d", call, ev[1].fd);
        cr_assert_eq(ev[0].events, COOP_EV_READ);
    }
    cr_assert_eq(P.ops->wait(P.ctx, 0, ev, 0), -COOP_EINVAL);
    cr_assert_eq(P.ops->wait(P.ctx, 0, NULL, 2), -COOP_EINVAL);
    cr_assert_eq(P.ops->mod(P.ctx, 4, 0), 0);
    coop_poll_event all[8];
    cr_assert_eq(P.ops->wait(P.ctx, 0, all, 8), 4, "a parked fd is not reported");
    cr_assert_eq(now_ns, 0, "wait() never moves time");
    for (int i = 0; i < 5; i++)
        cr_assert_eq(tclose(3 + i), 0);
}

Test(net, trace_callback)
{
    int lfd = tlisten(0);
    int conn = coop_net_peer_connect(net, (uint32_t)host, 40000);
    int fd = taccept(lfd);
    cr_assert_eq(twrite(fd, "hi"), 2);
    cr_assert_eq(coop_net_peer_send(net, (uint32_t)conn, "yo", 2), 0);
    cr_assert_eq(P.ops->shutdown_write(P.ctx, fd), 0);
    cr_assert_eq(coop_net_peer_close(net, (uint32_t)conn), 0);
    cr_assert_eq(tclose(fd), 0);
    int c = tconnect(9);
    cr_assert_eq(tclose(c), 0);
    cr_assert_eq(tclose(lfd), 0);
    cr_assert_str_eq(tlog, "0 connect c1 fd-1 n0\n"
                           "0 accept c1 fd4 n0\n"
                           "0 send c1 fd4 n2\n"
                           "0 recv c1 fd-1 n2\n"
                           "0 shutdown c1 fd4 n0\n"
                           "0 close c1 fd-1 n0\n"
                           "0 close c1 fd4 n0\n"
                           "0 reset c1 fd4 n0\n"
                           "0 connect c2 fd4 n0\n"
                           "0 refuse c2 fd4 n0\n"
                           "0 close c2 fd4 n0\n"
                           "0 close c0 fd3 n0\n");
    cr_assert_eq(coop_net_conn_state(net, 1), COOP_NET_TASK_RESET, "closed with \"yo\" unread");
    coop_net_set_trace(net, NULL, NULL);
    cr_assert_eq(tlisten(0), 3);
    cr_assert_eq(tclose(3), 0);
    cr_assert_eq(tlen, strlen(tlog), "no callback once unset");
}

/* ---- Creation and memory ---- */

Test(net, creation_needs_its_arguments)
{
    coop_prng r;
    coop_prng_seed(&r, 1, 1);
    uint64_t t = 0;
    cr_assert_null(coop_net_new(NULL, &r, counting()));
    cr_assert_null(coop_net_new(&t, NULL, counting()));
    cr_assert_null(coop_net_new(&t, &r, (coop_allocator){ 0 }), "a zeroed allocator is refused");
    coop_net_free(NULL);
}

static char big[3000];

/*
 * Writes len bytes of big to fd.  Short of memory, a write may be short
 * (a valid outcome) or fail with -COOP_ENOMEM once; the next call then
 * has memory again.
 */
static void put_all(int fd, size_t len)
{
    size_t done = 0;
    int failed = 0;
    while (done < len) {
        long r = P.ops->write(P.ctx, fd, big + done, len - done);
        if (r == -COOP_ENOMEM) {
            cr_assert_eq(failed++, 0);
            continue;
        }
        cr_assert_gt(r, 0, "write on fd %d gave %ld", fd, r);
        done += (size_t)r;
    }
}

/*
 * Runs through every path that allocates: creation, listen, a peer
 * listener, connect, accept, a peer connect, task writes toward a peer
 * (ring and capture), task writes toward a task, and peer sends.  Each
 * call either succeeds or fails with -COOP_ENOMEM; after a failure the
 * same call succeeds once memory is back (a one-shot failure), and its
 * result is what it would have been, so the failure left nothing behind.
 */
static void alloc_script(void)
{
    now_ns = 0;
    coop_prng_seed(&rng, 3, 3);
    net = coop_net_new(&now_ns, &rng, counting());
    if (!net)
        return;
    host = coop_net_host_add(net, UINT32_C(0x0a000001));
    if (host < 0) {
        coop_net_free(net);
        net = NULL;
        return;
    }
    P = coop_net_poller(net, (uint32_t)host);
#define RETRY(expr, want)                                                                             \
    do {                                                                                              \
        long r_ = (long)(expr);                                                                       \
        if (r_ == -COOP_ENOMEM) {                                                                     \
            coop_net_verify(net);                                                                     \
            r_ = (long)(expr);                                                                        \
        }                                                                                             \
        cr_assert_eq(r_, (long)(want), "%s gave %ld (allocation %ld fails)", #expr, r_, mem.fail_at); \
    } while (0)
    for (int round = 0; round < 2; round++) {
        int base = 3 + 5 * round;
        RETRY(tlisten(0), base);
        RETRY(coop_net_peer_listen(net, 0, (uint16_t)(9000 + round), COOP_NET_ACCEPT, 0), 0);
        RETRY(toutside((uint16_t)(9000 + round)), base + 1);
        RETRY(tconnect((uint16_t)(40000 + round)), base + 2);
        RETRY(taccept(base), base + 3);
        RETRY(coop_net_peer_connect(net, (uint32_t)host, (uint16_t)(40000 + round)), 3 * round + 3);
        RETRY(taccept(base), base + 4);
        for (int i = 0; i < 3; i++) {
            put_all(base + 1, sizeof(big));
            put_all(base + 2, sizeof(big));
            RETRY(coop_net_peer_send(net, (uint32_t)(3 * round + 3), big, sizeof(big)), 0);
        }
        coop_net_verify(net);
    }
#undef RETRY
    coop_net_free(net);
    net = NULL;
}

Test(net, allocation_failures)
{
    coop_net_free(net);
    net = NULL;
    long fail_at;
    for (fail_at = 0;; fail_at++) {
        cr_assert_lt(fail_at, 1000);
        mem = (struct counting){ .fail_at = fail_at };
        alloc_script();
        cr_assert_eq(mem.live_bytes, 0, "allocation %ld failing leaked %zu bytes", fail_at, mem.live_bytes);
        if (mem.failures == 0)
            break;
        cr_assert_eq(mem.failures, 1);
    }
    cr_assert_gt(fail_at, 15, "the script allocates on every path (%ld allocations)", fail_at);
    /* A persistent failure from each point on: every call fails cleanly, nothing crashes or leaks. */
    for (long at = 0; at < fail_at; at++) {
        mem = (struct counting){ .fail_at = at, .persistent = true };
        now_ns = 0;
        coop_net *n = coop_net_new(&now_ns, &rng, counting());
        int h = n ? coop_net_host_add(n, UINT32_C(0x0a000001)) : -1;
        if (h > 0) {
            coop_poller p = coop_net_poller(n, (uint32_t)h);
            int lfd = p.ops->listen(p.ctx, "127.0.0.1", 0, 4);
            int c = p.ops->connect(p.ctx, "127.0.0.1", 40000);
            int s = lfd >= 0 ? p.ops->accept(p.ctx, lfd) : -1;
            int pc = coop_net_peer_connect(n, (uint32_t)h, 40000);
            if (c >= 0)
                (void)p.ops->write(p.ctx, c, big, 100);
            if (pc > 0)
                (void)coop_net_peer_send(n, (uint32_t)pc, "abc", 3);
            (void)s;
            coop_net_verify(n);
            p.ops->destroy(p.ctx);
        }
        coop_net_free(n);
        cr_assert_eq(mem.live_bytes, 0, "persistent failure from %ld leaked %zu bytes", at, mem.live_bytes);
    }
    mem = (struct counting){ .fail_at = -1 };
}
