/* The simulated world: hosts and addresses, scripted servers and rules, partitions, crashes, and the ready set. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "base/prng.h"
#include "coop/errors.h"
#include "net/net.h"

#define MS UINT64_C(1000000)
#define SEC UINT64_C(1000000000)
#define ADDR(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static uint64_t now_ns;
static coop_prng rng;
static coop_net *net;
static int h1, h2;       /* two nodes: 10.0.0.1 and 10.0.0.2 */
static coop_poller A, B; /* their pollers */

static char tlog[1 << 20];
static size_t tlen;

static uint64_t on_trace(void *ctx, const char *what, uint32_t conn, uint32_t host, int fd, size_t len)
{
    (void)ctx;
    int n = snprintf(tlog + tlen, sizeof(tlog) - tlen, "%llu %s c%u h%u fd%d n%zu\n",
                     (unsigned long long)now_ns, what, conn, host, fd, len);
    cr_assert(n > 0 && (size_t)n < sizeof(tlog) - tlen, "trace log full");
    tlen += (size_t)n;
    return 0;
}

static void setup(void)
{
    now_ns = 0;
    tlen = 0;
    tlog[0] = '\0';
    coop_prng_seed(&rng, 7, 2);
    net = coop_net_new(&now_ns, &rng, coop_allocator_libc());
    cr_assert_not_null(net);
    h1 = coop_net_host_add(net, ADDR(10, 0, 0, 1));
    h2 = coop_net_host_add(net, ADDR(10, 0, 0, 2));
    cr_assert_eq(h1, 1);
    cr_assert_eq(h2, 2);
    A = coop_net_poller(net, (uint32_t)h1);
    B = coop_net_poller(net, (uint32_t)h2);
    coop_net_set_trace(net, on_trace, NULL);
    coop_net_link link = { .latency_ns = 1 * MS };
    cr_assert_eq(coop_net_set_link(net, 0, &link), 0);
}

static void teardown(void)
{
    coop_net_verify(net);
    coop_net_free(net);
    net = NULL;
}

TestSuite(world, .init = setup, .fini = teardown);

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

/* The events a wait of p reports for fd, registering it for reading and writing first if need be. */
static uint32_t level(coop_poller *p, int fd)
{
    int r = p->ops->add(p->ctx, fd, COOP_EV_READ | COOP_EV_WRITE);
    cr_assert(r == 0 || r == -COOP_EEXIST);
    coop_poll_event ev[64];
    int n = p->ops->wait(p->ctx, 0, ev, 64);
    for (int i = 0; i < n; i++)
        if (ev[i].fd == fd)
            return ev[i].events;
    return 0;
}

static bool traced(const char *line) { return strstr(tlog, line) != NULL; }

Test(world, addresses_route_to_their_node_and_each_node_has_its_own_fds_and_ports)
{
    int la = A.ops->listen(A.ctx, "0.0.0.0", 7000, 4);
    int lb = B.ops->listen(B.ctx, "0.0.0.0", 7000, 4);
    cr_assert_eq(la, 3, "fds are per node");
    cr_assert_eq(lb, 3, "and so are ports");
    int c = A.ops->connect(A.ctx, "10.0.0.2", 7000);
    cr_assert_eq(c, 4);
    run_until(1 * MS);
    cr_assert_eq(level(&B, lb), COOP_EV_READ, "the request reached node 2, one latency later");
    cr_assert_eq(level(&A, la), 0, "not node 1's own listener");
    int s = B.ops->accept(B.ctx, lb);
    cr_assert_eq(s, 4);
    run_until(2 * MS);
    cr_assert_eq(A.ops->write(A.ctx, c, "ab", 2), 2);
    run_until(3 * MS);
    char buf[4];
    cr_assert_eq(B.ops->read(B.ctx, s, buf, sizeof(buf)), 2);
    /* Loopback and 0.0.0.0 stay on the node itself. */
    int self = B.ops->connect(B.ctx, "127.0.0.1", 7000);
    run_until(4 * MS);
    cr_assert_eq(B.ops->accept(B.ctx, lb), 6);
    cr_assert_eq(B.ops->sock_error(B.ctx, self), 0);
    cr_assert(traced("h2 fd5"), "%s", tlog);
}

Test(world, a_listener_bound_to_loopback_refuses_other_nodes)
{
    int lb = B.ops->listen(B.ctx, "127.0.0.1", 8000, 4);
    cr_assert_geq(lb, 3);
    cr_assert_eq(B.ops->listen(B.ctx, "10.0.0.1", 8001, 4), -COOP_EADDRNOTAVAIL, "not node 2's address");
    int c = A.ops->connect(A.ctx, "10.0.0.2", 8000);
    run_until(2 * MS);
    cr_assert_eq(A.ops->sock_error(A.ctx, c), -COOP_ECONNREFUSED, "a reset, one round trip later");
}

Test(world, outside_addresses_reach_scripted_servers_or_are_refused)
{
    cr_assert_eq(coop_net_peer_listen(net, ADDR(192, 0, 2, 9), 1883, COOP_NET_ACCEPT, 0), 0);
    cr_assert_eq(coop_net_peer_listen(net, 0, 1883, COOP_NET_REFUSE, 0), 0, "every other address refuses");
    int c1 = A.ops->connect(A.ctx, "192.0.2.9", 1883);
    int c2 = A.ops->connect(A.ctx, "192.0.2.10", 1883);
    int c3 = A.ops->connect(A.ctx, "192.0.2.9", 1884);
    run_until(2 * MS);
    cr_assert_eq(A.ops->sock_error(A.ctx, c1), 0);
    cr_assert_eq(level(&A, c1) & COOP_EV_WRITE, COOP_EV_WRITE, "connected");
    cr_assert_eq(A.ops->sock_error(A.ctx, c2), -COOP_ECONNREFUSED, "the refusing rule");
    cr_assert_eq(A.ops->sock_error(A.ctx, c3), -COOP_ECONNREFUSED, "nobody at that port");
    cr_assert_eq(coop_net_peer_accepted(net, ADDR(192, 0, 2, 9), 1883, 1), 1);
}

Test(world, a_slow_server_accepts_after_its_delay)
{
    cr_assert_eq(coop_net_peer_listen(net, 0, 1883, COOP_NET_ACCEPT, 50 * MS), 0);
    int c = A.ops->connect(A.ctx, "192.0.2.1", 1883);
    run_until(50 * MS);
    cr_assert_eq(coop_net_peer_accepted(net, 0, 1883, 1), 0, "not yet: arrived at 1 ms, accepted at 51 ms");
    run_until(51 * MS);
    cr_assert_eq(coop_net_peer_accepted(net, 0, 1883, 1), 1);
    run_until(52 * MS);
    cr_assert_eq(level(&A, c), COOP_EV_WRITE);
}

Test(world, a_dropping_rule_makes_connect_time_out_after_63_s)
{
    cr_assert_eq(coop_net_peer_listen(net, 0, 1883, COOP_NET_DROP, 0), 0);
    int c = A.ops->connect(A.ctx, "192.0.2.1", 1883);
    const uint64_t tries[] = { 1, 1001, 3001, 7001, 15001, 31001, 63001 };
    for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
        uint64_t due;
        cr_assert(coop_net_next_due(net, &due));
        cr_assert_eq(due, tries[i] * MS, "request %zu arrives at %llu", i, (unsigned long long)due);
        cr_assert_eq(level(&A, c), 0, "still connecting");
        run_until(due);
    }
    cr_assert(!coop_net_next_due(net, NULL));
    cr_assert_eq(A.ops->sock_error(A.ctx, c), -COOP_ETIMEDOUT);
    cr_assert_eq(coop_net_conn_state(net, 1), COOP_NET_REFUSED);
    cr_assert(traced("63001000000 timeout c1 h1 fd3 n0"), "%s", tlog);
}

Test(world, a_partition_loses_segments_which_are_sent_again_after_it_heals)
{
    int lb = B.ops->listen(B.ctx, "0.0.0.0", 7000, 4);
    int c = A.ops->connect(A.ctx, "10.0.0.2", 7000);
    run_until(2 * MS);
    int s = B.ops->accept(B.ctx, lb);
    cr_assert_geq(s, 0);
    cr_assert_eq(coop_net_partition(net, (uint32_t)h1, (uint32_t)h2, true), 0);
    cr_assert_eq(A.ops->write(A.ctx, c, "x", 1), 1);
    /* Lost at 3 ms, sent again at 203 ms, 603 ms, ... (200 ms doubling). */
    run_until(500 * MS);
    cr_assert(traced("3000000 lost c1 h1 fd3 n1"), "%s", tlog);
    cr_assert(traced("203000000 lost c1 h1 fd3 n1"), "%s", tlog);
    cr_assert_eq(coop_net_partition(net, (uint32_t)h2, (uint32_t)h1, false), 0, "either way round");
    run_until(602 * MS);
    cr_assert_eq(level(&B, s) & COOP_EV_READ, 0, "the next try is at 603 ms");
    run_until(603 * MS);
    cr_assert_eq(level(&B, s) & COOP_EV_READ, COOP_EV_READ);
}

Test(world, a_segment_lost_sixteen_times_times_the_connection_out)
{
    int lb = B.ops->listen(B.ctx, "0.0.0.0", 7000, 4);
    int c = A.ops->connect(A.ctx, "10.0.0.2", 7000);
    run_until(2 * MS);
    cr_assert_geq(B.ops->accept(B.ctx, lb), 0);
    cr_assert_eq(coop_net_partition(net, (uint32_t)h1, (uint32_t)h2, true), 0);
    cr_assert_eq(A.ops->write(A.ctx, c, "x", 1), 1);
    run_until(3600 * SEC);
    cr_assert_eq(coop_net_conn_state(net, 1), COOP_NET_TIMED_OUT);
    cr_assert_eq(A.ops->sock_error(A.ctx, c), -COOP_ETIMEDOUT);
    cr_assert_str_eq(coop_net_state_name(COOP_NET_TIMED_OUT), "timed-out");
}

Test(world, a_crashed_host_is_silent_and_once_up_answers_old_connections_with_a_reset)
{
    int lb = B.ops->listen(B.ctx, "0.0.0.0", 7000, 4);
    int c = A.ops->connect(A.ctx, "10.0.0.2", 7000);
    run_until(2 * MS);
    cr_assert_geq(B.ops->accept(B.ctx, lb), 0);
    cr_assert_eq(coop_net_host_down(net, (uint32_t)h2), 0);
    cr_assert_eq(B.ops->write(B.ctx, 4, "x", 1), -COOP_EBADF, "its fds are gone");
    cr_assert_eq(level(&A, c), COOP_EV_WRITE, "node 1 has heard nothing");
    cr_assert_eq(A.ops->write(A.ctx, c, "x", 1), 1);
    run_until(1 * SEC);
    cr_assert(traced("3000000 lost c1 h1 fd3 n1"), "down: the segment is lost, %s", tlog);
    cr_assert_eq(coop_net_host_up(net, (uint32_t)h2), 0);
    /* The try at 1.403 s reaches the host, which knows no such connection. */
    run_until(2 * SEC);
    cr_assert_eq(A.ops->sock_error(A.ctx, c), -COOP_ECONNRESET);
    cr_assert_eq(B.ops->listen(B.ctx, "0.0.0.0", 7000, 4), 3, "the host starts with nothing open");
}

Test(world, a_node_down_never_answers_a_connect)
{
    cr_assert_eq(coop_net_host_down(net, (uint32_t)h2), 0);
    int c = A.ops->connect(A.ctx, "10.0.0.2", 7000);
    run_until(10 * SEC);
    cr_assert_eq(level(&A, c), 0, "still trying");
    cr_assert_eq(coop_net_peer_connect(net, (uint32_t)h2, 7000), 2, "a peer's request is sent as well");
    cr_assert_eq(coop_net_host_down(net, 0), -COOP_EINVAL, "the world outside does not crash");
}

Test(world, links_between_hosts)
{
    coop_net_link slow = { .latency_ns = 20 * MS };
    cr_assert_eq(coop_net_set_host_link(net, (uint32_t)h2, (uint32_t)h1, &slow), 0);
    int lb = B.ops->listen(B.ctx, "0.0.0.0", 7000, 4);
    int la = A.ops->listen(A.ctx, "0.0.0.0", 7000, 4);
    (void)A.ops->connect(A.ctx, "10.0.0.2", 7000);
    (void)A.ops->connect(A.ctx, "127.0.0.1", 7000);
    run_until(1 * MS);
    cr_assert_eq(level(&A, la), COOP_EV_READ, "within node 1: the default link");
    cr_assert_eq(level(&B, lb), 0, "between the nodes: their own link");
    run_until(20 * MS);
    cr_assert_eq(level(&B, lb), COOP_EV_READ);
    cr_assert_eq(coop_net_set_host_link(net, 1, 9, &slow), -COOP_EINVAL);
}

Test(world, hosts_are_checked)
{
    cr_assert_eq(coop_net_host_add(net, ADDR(10, 0, 0, 1)), -COOP_EADDRINUSE);
    cr_assert_eq(coop_net_host_add(net, ADDR(127, 0, 0, 2)), -COOP_EINVAL);
    cr_assert_eq(coop_net_host_add(net, 0), -COOP_EINVAL);
    cr_assert_null(coop_net_poller(net, 0).ops, "the outside world has no tasks");
    cr_assert_null(coop_net_poller(net, 7).ops);
    uint32_t a;
    cr_assert_eq(coop_net_addr_parse("10.0.0.7", &a), 0);
    cr_assert_eq(a, ADDR(10, 0, 0, 7));
    cr_assert_eq(coop_net_addr_parse("10.0.0", &a), -COOP_EINVAL);
}

/*
 * Many idle fds and a few busy ones: a wait reports exactly the ready
 * ones, in ascending order, and one that fills its output starts the next
 * wait after the last fd it reported.
 */
Test(world, the_ready_set_reports_ready_fds_in_order_whatever_their_number)
{
    int lb = B.ops->listen(B.ctx, "0.0.0.0", 7000, 4096);
    enum { N = 3000 };
    static int fds[N];
    for (int i = 0; i < N; i++) {
        fds[i] = A.ops->connect(A.ctx, "10.0.0.2", 7000);
        cr_assert_eq(fds[i], 3 + i);
        cr_assert_eq(A.ops->add(A.ctx, fds[i], COOP_EV_READ), 0);
    }
    run_until(2 * MS);
    for (int i = 0; i < N; i++)
        cr_assert_geq(B.ops->accept(B.ctx, lb), 0);
    run_until(3 * MS);
    coop_poll_event ev[8];
    cr_assert_eq(A.ops->wait(A.ctx, 0, ev, 8), 0, "connected, nothing to read");
    /* Peers write to five of them: their fds on B are 4 + i. */
    const int busy[] = { 2999, 7, 64, 1092, 1000 };
    for (size_t k = 0; k < 5; k++)
        cr_assert_eq(B.ops->write(B.ctx, 4 + busy[k], "z", 1), 1);
    run_until(4 * MS);
    cr_assert_eq(A.ops->wait(A.ctx, 0, ev, 3), 3);
    cr_assert_eq(ev[0].fd, 3 + 7);
    cr_assert_eq(ev[1].fd, 3 + 64);
    cr_assert_eq(ev[2].fd, 3 + 1000);
    cr_assert_eq(A.ops->wait(A.ctx, 0, ev, 2), 2, "after a full wait, the next starts after its last fd");
    cr_assert_eq(ev[0].fd, 3 + 1092);
    cr_assert_eq(ev[1].fd, 3 + 2999);
    cr_assert_eq(A.ops->wait(A.ctx, 0, ev, 4), 4, "and wraps around, in ascending order");
    cr_assert_eq(ev[0].fd, 3 + 7);
    cr_assert_eq(ev[3].fd, 3 + 1092);
    char c;
    cr_assert_eq(A.ops->read(A.ctx, 3 + 64, &c, 1), 1);
    cr_assert_eq(A.ops->wait(A.ctx, 0, ev, 8), 4, "a read that empties an fd takes it out at once");
}
