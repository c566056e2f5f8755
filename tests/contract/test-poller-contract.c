/* The poller contract: one set of test bodies, run against every poller backend. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "coop/errors.h"
#include "coop/poller.h"
#include "coop/real.h"
#include "net/net.h"
#include "base/prng.h"

/* ---- The counting allocator every backend under test allocates through. ---- */

/*
 * Tracks what the poller under test holds, so that every test ends with a
 * leak check, and fails allocations on request.  live_bytes is the sum of
 * the sizes of the blocks not yet freed; fail_after counts the
 * allocations (calls with new_size > 0) that still succeed, -1 meaning
 * all of them do.
 */
struct counting_alloc {
    size_t live_bytes;
    long fail_after;
    unsigned failures; /* allocations refused so far */
};

static struct counting_alloc g_alloc;

static void *counting_fn(void *ctx, void *ptr, size_t old_size, size_t new_size)
{
    struct counting_alloc *ca = ctx;
    if (new_size == 0) {
        free(ptr);
        ca->live_bytes -= ptr ? old_size : 0;
        return NULL;
    }
    if (ca->fail_after == 0) {
        ca->failures++;
        return NULL;
    }
    if (ca->fail_after > 0)
        ca->fail_after--;
    void *p = realloc(ptr, new_size);
    if (p)
        ca->live_bytes += new_size - (ptr ? old_size : 0);
    return p;
}

static coop_allocator test_allocator(void) { return (coop_allocator){ .fn = counting_fn, .ctx = &g_alloc }; }

/* ---- The backends.  A simulated poller joins by adding one entry. ---- */

/*
 * One poller backend under test.  name is the one its ops table carries.
 * make builds a fresh poller (allocating
 * through test_allocator(), so the leak check sees it).  settle lets
 * time pass when a test is waiting for traffic that is still on its way:
 * a real backend sleeps, a simulated one would advance its clock and
 * deliver what is in flight.
 */
struct backend {
    const char *name;
    int (*make)(coop_poller *out);
    void (*settle)(coop_poller *p);
};

static int make_poll(coop_poller *out) { return coop_poller_poll_new(out, test_allocator()); }

#if defined(COOP_HAVE_EPOLL)
static int make_epoll(coop_poller *out) { return coop_poller_epoll_new(out, test_allocator()); }
#endif

/*
 * A real sleep rather than a wait() in the poller: a registered fd that
 * is always writable would make wait() return at once, and the bounded
 * loops below would then run out of rounds before loopback traffic lands.
 */
static void real_settle(coop_poller *p)
{
    (void)p;
    const struct timespec ms = { 0, 1000000 };
    nanosleep(&ms, NULL);
}

/*
 * The simulated poller runs on its own virtual clock and PRNG, reset by
 * every make_sim().  The clock starts far from zero so that no test can
 * depend on virtual time beginning at 0.  Faults stay off: the contract
 * is about the kernel's behaviour, which the simulator must match.
 */
static uint64_t sim_now_ns;
static coop_prng sim_rng;
static coop_net *sim_net;
static uint32_t sim_host;

/*
 * A host's destroy() closes its fds, as a process exit does, and leaves
 * the network; the network goes with the poller here, as the real ones
 * go with theirs.
 */
static void (*sim_host_destroy)(void *ctx);
static coop_poller_ops sim_ops;

static void sim_destroy(void *ctx)
{
    sim_host_destroy(ctx);
    coop_net_free(sim_net);
    sim_net = NULL;
}

static int make_sim(coop_poller *out)
{
    sim_now_ns = UINT64_C(1000000000);
    coop_prng_seed(&sim_rng, 1, 0);
    sim_net = coop_net_new(&sim_now_ns, &sim_rng, test_allocator());
    if (!sim_net)
        return -COOP_ENOMEM;
    int host = coop_net_host_add(sim_net, UINT32_C(0x0a000001));
    if (host < 0) {
        coop_net_free(sim_net);
        return host;
    }
    sim_host = (uint32_t)host;
    *out = coop_net_poller(sim_net, sim_host);
    sim_ops = *out->ops;
    sim_host_destroy = sim_ops.destroy;
    sim_ops.destroy = sim_destroy;
    out->ops = &sim_ops;
    return 0;
}

/*
 * Time passes only when a test waits: the clock jumps to the next
 * delivery, and everything due at that instant is carried out, including
 * what those deliveries schedule for the same instant.
 */
static void sim_settle(coop_poller *p)
{
    (void)p;
    coop_net *net = sim_net;
    uint64_t due;
    if (coop_net_next_due(net, &due) && due > sim_now_ns)
        sim_now_ns = due;
    while (coop_net_next_due(net, &due) && due <= sim_now_ns)
        coop_net_advance(net);
    coop_net_verify(net);
}

static const struct backend backends[] = {
    { "poll", make_poll, real_settle },
#if defined(COOP_HAVE_EPOLL)
    { "epoll", make_epoll, real_settle },
#endif
    { "sim", make_sim, sim_settle },
};
#define NBACKENDS ((int)(sizeof(backends) / sizeof(backends[0])))

/* ---- The fixture: a poller, a mirror of its registrations, and leak checks. ---- */

#define MAX_FD 4096
#define MIRROR_KNOWN 0x80u
#define ROUNDS 1000    /* settle() calls a test may spend waiting for one event */
#define QUIET_ROUNDS 5 /* wait() calls that must all stay silent in an absence check */
#define MAX_EVENTS 64

/*
 * The state of the running test.  mirror[fd] repeats what the poller
 * should know: 0 for an unknown fd, else MIRROR_KNOWN | the mask.  Every
 * wait() goes through fx_wait(), which checks each event against it.
 * open_fds is the /proc/self/fd count before the poller was made, -1
 * when /proc is not mounted.
 */
struct fixture {
    const struct backend *b;
    coop_poller p;
    int open_fds;
    uint8_t mirror[MAX_FD];
};

static struct fixture F;

static int count_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static coop_poller *fx_begin(int backend_index)
{
    ck_assert_int_lt(backend_index, NBACKENDS);
    memset(&F, 0, sizeof(F));
    g_alloc = (struct counting_alloc){ .fail_after = -1 };
    F.b = &backends[backend_index];
    F.open_fds = count_open_fds();
    ck_assert_int_eq(F.b->make(&F.p), 0);
    ck_assert_int_eq(coop_poller_check(&F.p), 0);
    return &F.p;
}

/* destroy() must close what is still registered; the test closes the rest. */
static void fx_end(void)
{
    F.p.ops->destroy(F.p.ctx);
    F.p = (coop_poller){ 0 };
    ck_assert_msg(count_open_fds() == F.open_fds, "%s: fds leaked: %d open, %d before", F.b->name,
                  count_open_fds(), F.open_fds);
    ck_assert_msg(g_alloc.live_bytes == 0, "%s: %zu bytes leaked", F.b->name, g_alloc.live_bytes);
}

static void mirror_check_fd(int fd)
{
    ck_assert_msg(fd >= 0 && fd < MAX_FD, "fd %d outside the test's range", fd);
}

static int fx_add(int fd, uint32_t events)
{
    int r = F.p.ops->add(F.p.ctx, fd, events);
    if (r == 0) {
        mirror_check_fd(fd);
        F.mirror[fd] = (uint8_t)(MIRROR_KNOWN | events);
    }
    return r;
}

static int fx_mod(int fd, uint32_t events)
{
    int r = F.p.ops->mod(F.p.ctx, fd, events);
    if (r == 0)
        F.mirror[fd] = (uint8_t)(MIRROR_KNOWN | events);
    return r;
}

static int fx_del(int fd)
{
    int r = F.p.ops->del(F.p.ctx, fd);
    if (r == 0)
        F.mirror[fd] = 0;
    return r;
}

static int fx_close(int fd)
{
    if (fd >= 0 && fd < MAX_FD)
        F.mirror[fd] = 0;
    return F.p.ops->close(F.p.ctx, fd);
}

static int fx_abort_close(int fd)
{
    if (fd >= 0 && fd < MAX_FD)
        F.mirror[fd] = 0;
    return F.p.ops->close_reset(F.p.ctx, fd);
}

/*
 * Every wait() checks the general rules: no more than max events, each
 * for an fd registered with a non-zero mask, at most once per call, with
 * no bit outside its mask but ERROR and HANGUP, and never an empty set.
 */
static int fx_wait(int64_t timeout_ns, coop_poll_event *ev, int max)
{
    int n = F.p.ops->wait(F.p.ctx, timeout_ns, ev, max);
    ck_assert_msg(n >= 0 && n <= max, "%s: wait returned %d (max %d)", F.b->name, n, max);
    for (int i = 0; i < n; i++) {
        int fd = ev[i].fd;
        mirror_check_fd(fd);
        uint32_t mask = F.mirror[fd] & ~MIRROR_KNOWN;
        ck_assert_msg(F.mirror[fd] != 0, "%s: event for unregistered fd %d", F.b->name, fd);
        ck_assert_msg(mask != 0, "%s: event for fd %d parked with mask 0", F.b->name, fd);
        ck_assert_msg(ev[i].events != 0, "%s: empty event for fd %d", F.b->name, fd);
        ck_assert_msg((ev[i].events & ~(mask | COOP_EV_ERROR | COOP_EV_HANGUP)) == 0,
                      "%s: fd %d reported 0x%x outside its mask 0x%x", F.b->name, fd, ev[i].events, mask);
        for (int j = 0; j < i; j++)
            ck_assert_msg(ev[j].fd != fd, "%s: fd %d reported twice", F.b->name, fd);
    }
    return n;
}

/* The events reported for fd in one wait(0) call, or 0. */
static uint32_t events_now(int fd)
{
    coop_poll_event ev[MAX_EVENTS];
    int n = fx_wait(0, ev, MAX_EVENTS);
    for (int i = 0; i < n; i++)
        if (ev[i].fd == fd)
            return ev[i].events;
    return 0;
}

/*
 * Waits, within ROUNDS settle() calls, until fd is reported with one of
 * the bits in want, and returns all its events.  fd must be registered;
 * the test fails when the event never comes.
 */
static uint32_t poll_for(int fd, uint32_t want)
{
    for (int round = 0; round <= ROUNDS; round++) {
        uint32_t ev = events_now(fd);
        if (ev & want)
            return ev;
        F.b->settle(&F.p);
    }
    ck_abort_msg("%s: fd %d never reported 0x%x", F.b->name, fd, want);
    return 0;
}

/*
 * Like poll_for(), for an fd in any state: a registered one has its mask
 * widened for the wait, an unknown one is added for it.  Afterwards the
 * registration is as before.
 */
static uint32_t await(int fd, uint32_t want)
{
    mirror_check_fd(fd);
    uint8_t before = F.mirror[fd];
    uint32_t need = want & (COOP_EV_READ | COOP_EV_WRITE);
    if (!need)
        need = COOP_EV_READ;
    if (before)
        ck_assert_int_eq(fx_mod(fd, (before & ~MIRROR_KNOWN) | need), 0);
    else
        ck_assert_int_eq(fx_add(fd, need), 0);
    uint32_t ev = poll_for(fd, want);
    if (before)
        ck_assert_int_eq(fx_mod(fd, before & ~MIRROR_KNOWN), 0);
    else
        ck_assert_int_eq(fx_del(fd), 0);
    return ev;
}

/* Asserts that fd is not reported by QUIET_ROUNDS wait() calls, with settling in between. */
static void assert_quiet(int fd)
{
    for (int round = 0; round < QUIET_ROUNDS; round++) {
        ck_assert_msg(events_now(fd) == 0, "%s: fd %d reported", F.b->name, fd);
        F.b->settle(&F.p);
    }
}

/* Reads exactly len bytes, waiting for READ whenever the socket is empty. */
static void read_exact(int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        long r = F.p.ops->read(F.p.ctx, fd, (char *)buf + got, len - got);
        if (r == -COOP_EAGAIN) {
            await(fd, COOP_EV_READ);
            continue;
        }
        ck_assert_msg(r > 0, "%s: read on fd %d gave %ld (%s)", F.b->name, fd, r, coop_strerror((int)r));
        got += (size_t)r;
    }
}

static void write_all(int fd, const void *buf, size_t len)
{
    size_t put = 0;
    while (put < len) {
        long r = F.p.ops->write(F.p.ctx, fd, (const char *)buf + put, len - put);
        if (r == -COOP_EAGAIN) {
            await(fd, COOP_EV_WRITE);
            continue;
        }
        ck_assert_msg(r > 0, "%s: write on fd %d gave %ld (%s)", F.b->name, fd, r, coop_strerror((int)r));
        put += (size_t)r;
    }
}

/* Reads until end of stream, which must come with no data before it. */
static void read_eof(int fd)
{
    char c;
    for (int round = 0; round <= ROUNDS; round++) {
        long r = F.p.ops->read(F.p.ctx, fd, &c, 1);
        if (r == 0)
            return;
        ck_assert_msg(r == -COOP_EAGAIN, "%s: expected EOF on fd %d, read gave %ld", F.b->name, fd, r);
        await(fd, COOP_EV_READ);
    }
    ck_abort_msg("%s: no EOF on fd %d", F.b->name, fd);
}

static int listen_any(uint16_t *port)
{
    int lfd = F.p.ops->listen(F.p.ctx, "127.0.0.1", 0, 16);
    ck_assert_msg(lfd >= 0, "%s: listen gave %d", F.b->name, lfd);
    int pr = F.p.ops->local_port(F.p.ctx, lfd);
    ck_assert_msg(pr > 0 && pr <= UINT16_MAX, "%s: local_port gave %d", F.b->name, pr);
    *port = (uint16_t)pr;
    return lfd;
}

static int accept_one(int lfd)
{
    for (int round = 0; round <= ROUNDS; round++) {
        int fd = F.p.ops->accept(F.p.ctx, lfd);
        if (fd >= 0)
            return fd;
        ck_assert_msg(fd == -COOP_EAGAIN, "%s: accept gave %d", F.b->name, fd);
        await(lfd, COOP_EV_READ);
    }
    ck_abort_msg("%s: nothing to accept", F.b->name);
    return -1;
}

/* Waits until a connect() has completed, and checks that it succeeded. */
static void await_connected(int fd)
{
    await(fd, COOP_EV_WRITE);
    ck_assert_int_eq(F.p.ops->sock_error(F.p.ctx, fd), 0);
}

/* A connected pair over loopback; no fd of it is registered. */
struct pair {
    int c; /* the connecting side */
    int s; /* the accepted side */
};

static struct pair make_pair(void)
{
    uint16_t port;
    int lfd = listen_any(&port);
    struct pair pr;
    pr.c = F.p.ops->connect(F.p.ctx, "127.0.0.1", port);
    ck_assert_msg(pr.c >= 0, "%s: connect gave %d", F.b->name, pr.c);
    pr.s = accept_one(lfd);
    await_connected(pr.c);
    ck_assert_int_eq(fx_close(lfd), 0);
    return pr;
}

static void close_pair(struct pair pr)
{
    ck_assert_int_eq(fx_close(pr.c), 0);
    ck_assert_int_eq(fx_close(pr.s), 0);
}

/* ---- The contract. ---- */

#define OPS_WITHOUT(slot)                                           \
    do {                                                            \
        coop_poller_ops o = *p->ops;                                \
        o.slot = NULL;                                              \
        coop_poller broken = { &o, p->ctx };                        \
        ck_assert_int_eq(coop_poller_check(&broken), -COOP_EINVAL); \
    } while (0)

START_TEST(ops_table)
{
    coop_poller *p = fx_begin(_i);
    ck_assert_uint_eq(p->ops->version, COOP_POLLER_VERSION);
    ck_assert_str_eq(p->ops->name, F.b->name);
    OPS_WITHOUT(name);
    OPS_WITHOUT(add);
    OPS_WITHOUT(mod);
    OPS_WITHOUT(del);
    OPS_WITHOUT(wait);
    OPS_WITHOUT(listen);
    OPS_WITHOUT(local_port);
    OPS_WITHOUT(accept);
    OPS_WITHOUT(connect);
    OPS_WITHOUT(sock_error);
    OPS_WITHOUT(read);
    OPS_WITHOUT(write);
    OPS_WITHOUT(shutdown_write);
    OPS_WITHOUT(close);
    OPS_WITHOUT(destroy);
    OPS_WITHOUT(close_reset);
    coop_poller_ops o = *p->ops;
    o.version = COOP_POLLER_VERSION + 1;
    coop_poller wrong = { &o, p->ctx };
    ck_assert_int_eq(coop_poller_check(&wrong), -COOP_EINVAL);
    o.version = 0;
    ck_assert_int_eq(coop_poller_check(&wrong), -COOP_EINVAL);
    /* A version 1 table ends at destroy: it is still accepted without close_reset. */
    o = *p->ops;
    o.version = 1;
    o.close_reset = NULL;
    ck_assert_int_eq(coop_poller_check(&wrong), 0);
    ck_assert_int_eq(coop_poller_check(NULL), -COOP_EINVAL);
    fx_end();
}
END_TEST

START_TEST(registration_errors)
{
    fx_begin(_i);
    uint16_t port;
    int lfd = listen_any(&port);
    ck_assert_int_eq(fx_add(lfd, COOP_EV_READ), 0);
    ck_assert_int_eq(fx_add(lfd, COOP_EV_READ), -COOP_EEXIST);
    ck_assert_int_eq(fx_add(lfd, 0), -COOP_EEXIST);
    ck_assert_int_eq(fx_mod(lfd, COOP_EV_WRITE), 0);
    ck_assert_int_eq(fx_mod(lfd, 0), 0);
    ck_assert_int_eq(fx_add(lfd, COOP_EV_READ), -COOP_EEXIST);
    ck_assert_int_eq(fx_del(lfd), 0);
    ck_assert_int_eq(fx_del(lfd), -COOP_ENOENT);
    ck_assert_int_eq(fx_mod(lfd, COOP_EV_READ), -COOP_ENOENT);
    ck_assert_int_eq(fx_mod(lfd, 0), -COOP_ENOENT);
    /* A parked add is an add: it too makes the fd known. */
    ck_assert_int_eq(fx_add(lfd, 0), 0);
    ck_assert_int_eq(fx_add(lfd, COOP_EV_WRITE), -COOP_EEXIST);
    ck_assert_int_eq(fx_del(lfd), 0);
    ck_assert_int_eq(fx_add(lfd, COOP_EV_READ | COOP_EV_WRITE), 0);
    ck_assert_int_eq(fx_del(lfd), 0);
    /* An fd far beyond anything the poller has seen is simply unknown. */
    ck_assert_int_eq(fx_mod(MAX_FD - 1, COOP_EV_READ), -COOP_ENOENT);
    ck_assert_int_eq(fx_del(MAX_FD - 1), -COOP_ENOENT);
    ck_assert_int_lt(F.p.ops->add(F.p.ctx, -1, COOP_EV_READ), 0);
    ck_assert_int_eq(fx_close(lfd), 0);
    fx_end();
}
END_TEST

START_TEST(listen_errors)
{
    fx_begin(_i);
    uint16_t port;
    int lfd = listen_any(&port);
    ck_assert_int_eq(F.p.ops->listen(F.p.ctx, "not an address", 0, 16), -COOP_EINVAL);
    ck_assert_int_eq(F.p.ops->connect(F.p.ctx, "127.0.0.300", port), -COOP_EINVAL);
    /* SO_REUSEADDR does not let two sockets listen on one port. */
    ck_assert_int_eq(F.p.ops->listen(F.p.ctx, "127.0.0.1", port, 16), -COOP_EADDRINUSE);
    ck_assert_int_eq(F.p.ops->accept(F.p.ctx, lfd), -COOP_EAGAIN);
    ck_assert_int_eq(fx_close(lfd), 0);
    fx_end();
}
END_TEST

START_TEST(connect_accept_ready)
{
    fx_begin(_i);
    uint16_t port;
    int lfd = listen_any(&port);
    ck_assert_int_eq(fx_add(lfd, COOP_EV_READ), 0);
    assert_quiet(lfd);
    int c = F.p.ops->connect(F.p.ctx, "127.0.0.1", port);
    ck_assert_int_ge(c, 0);
    ck_assert(poll_for(lfd, COOP_EV_READ) & COOP_EV_READ);
    int s = accept_one(lfd);
    ck_assert_int_eq(F.p.ops->local_port(F.p.ctx, s), port);
    /* Once the only pending connection is taken, the listener goes quiet again. */
    assert_quiet(lfd);
    ck_assert_int_eq(fx_add(c, COOP_EV_WRITE), 0);
    ck_assert(poll_for(c, COOP_EV_WRITE) & COOP_EV_WRITE);
    ck_assert_int_eq(F.p.ops->sock_error(F.p.ctx, c), 0);
    /* A fresh connection is writable on both ends and readable on neither. */
    ck_assert_int_eq(fx_add(s, COOP_EV_READ | COOP_EV_WRITE), 0);
    ck_assert_uint_eq(poll_for(s, COOP_EV_WRITE), COOP_EV_WRITE);
    ck_assert_int_eq(fx_mod(c, COOP_EV_READ), 0);
    assert_quiet(c);
    ck_assert_int_eq(fx_close(lfd), 0);
    ck_assert_int_eq(fx_close(c), 0);
    ck_assert_int_eq(fx_close(s), 0);
    fx_end();
}
END_TEST

START_TEST(round_trip)
{
    fx_begin(_i);
    struct pair pr = make_pair();
    char buf[16];
    write_all(pr.c, "ping", 4);
    read_exact(pr.s, buf, 4);
    ck_assert_mem_eq(buf, "ping", 4);
    write_all(pr.s, "pong!", 5);
    read_exact(pr.c, buf, 5);
    ck_assert_mem_eq(buf, "pong!", 5);
    ck_assert_int_eq(F.p.ops->write(F.p.ctx, pr.c, buf, 0), 0);
    close_pair(pr);
    fx_end();
}
END_TEST

START_TEST(empty_read_eagain)
{
    fx_begin(_i);
    struct pair pr = make_pair();
    char buf[8];
    ck_assert_int_eq(F.p.ops->read(F.p.ctx, pr.s, buf, sizeof(buf)), -COOP_EAGAIN);
    ck_assert_int_eq(F.p.ops->read(F.p.ctx, pr.c, buf, sizeof(buf)), -COOP_EAGAIN);
    /* Draining a socket brings the EAGAIN back. */
    write_all(pr.c, "abc", 3);
    read_exact(pr.s, buf, 3);
    ck_assert_int_eq(F.p.ops->read(F.p.ctx, pr.s, buf, sizeof(buf)), -COOP_EAGAIN);
    close_pair(pr);
    fx_end();
}
END_TEST

#define CHUNK 65536
#define FILL_LIMIT ((size_t)256 << 20) /* bytes; far beyond any socket buffer */

static unsigned char pattern_byte(size_t offset) { return (unsigned char)(offset * 7u + offset / 251u); }

/*
 * Writes until the kernel pushes back, then drains the peer until the
 * writer is reported writable again.  The data must arrive intact and in
 * order.
 */
START_TEST(fill_and_drain)
{
    fx_begin(_i);
    struct pair pr = make_pair();
    static unsigned char buf[CHUNK];
    size_t written = 0;
    long r;
    for (;;) {
        for (size_t i = 0; i < CHUNK; i++)
            buf[i] = pattern_byte(written + i);
        r = F.p.ops->write(F.p.ctx, pr.c, buf, CHUNK);
        if (r < 0)
            break;
        ck_assert_int_gt(r, 0);
        written += (size_t)r;
        ck_assert_msg(written < FILL_LIMIT, "%s: the socket never filled", F.b->name);
    }
    ck_assert_int_eq(r, -COOP_EAGAIN);
    ck_assert_int_gt(written, 0);
    /* Full means not writable; the level does not flicker. */
    ck_assert_int_eq(fx_add(pr.c, COOP_EV_WRITE), 0);
    assert_quiet(pr.c);
    ck_assert_int_eq(fx_add(pr.s, COOP_EV_READ), 0);
    size_t got = 0;
    bool writable = false;
    while (!writable) {
        ck_assert_msg(got < written, "%s: drained everything, still not writable", F.b->name);
        ck_assert(poll_for(pr.s, COOP_EV_READ) & COOP_EV_READ);
        r = F.p.ops->read(F.p.ctx, pr.s, buf, CHUNK);
        ck_assert_int_gt(r, 0);
        /* One assertion per chunk: each ck_assert costs a message to the runner. */
        long bad = -1;
        for (long i = 0; i < r && bad < 0; i++)
            if (buf[i] != pattern_byte(got + (size_t)i))
                bad = i;
        ck_assert_msg(bad < 0, "%s: byte %zu corrupted", F.b->name, got + (size_t)bad);
        got += (size_t)r;
        if (events_now(pr.c) & COOP_EV_WRITE)
            writable = true;
    }
    r = F.p.ops->write(F.p.ctx, pr.c, "x", 1);
    ck_assert_int_eq(r, 1);
    close_pair(pr);
    fx_end();
}
END_TEST

START_TEST(eof_after_close)
{
    fx_begin(_i);
    struct pair pr = make_pair();
    write_all(pr.c, "bye", 3);
    ck_assert_int_eq(fx_close(pr.c), 0);
    char buf[8];
    /* Data sent before the close is still delivered, then the end. */
    read_exact(pr.s, buf, 3);
    ck_assert_mem_eq(buf, "bye", 3);
    read_eof(pr.s);
    /* The end of stream is a level too: it stays readable and stays at 0. */
    ck_assert_int_eq(fx_add(pr.s, COOP_EV_READ), 0);
    ck_assert(poll_for(pr.s, COOP_EV_READ) & COOP_EV_READ);
    ck_assert(events_now(pr.s) & COOP_EV_READ);
    ck_assert_int_eq(F.p.ops->read(F.p.ctx, pr.s, buf, sizeof(buf)), 0);
    ck_assert_int_eq(fx_close(pr.s), 0);
    fx_end();
}
END_TEST

START_TEST(shutdown_write_half_close)
{
    fx_begin(_i);
    struct pair pr = make_pair();
    write_all(pr.c, "req", 3);
    ck_assert_int_eq(F.p.ops->shutdown_write(F.p.ctx, pr.c), 0);
    char buf[8];
    read_exact(pr.s, buf, 3);
    ck_assert_mem_eq(buf, "req", 3);
    read_eof(pr.s);
    /* The other direction stays open. */
    write_all(pr.s, "reply", 5);
    read_exact(pr.c, buf, 5);
    ck_assert_mem_eq(buf, "reply", 5);
    /* Writing after one's own shutdown fails, without SIGPIPE. */
    ck_assert_int_eq(F.p.ops->write(F.p.ctx, pr.c, "x", 1), -COOP_EPIPE);
    ck_assert_int_eq(fx_close(pr.s), 0);
    read_eof(pr.c);
    ck_assert_int_eq(fx_close(pr.c), 0);
    fx_end();
}
END_TEST

/*
 * A refused connection shows either at once, as connect()'s result, or
 * later: the fd is reported (WRITE, ERROR or HANGUP) and sock_error()
 * names the cause, once.
 */
START_TEST(connect_refused)
{
    fx_begin(_i);
    uint16_t port;
    int lfd = listen_any(&port);
    ck_assert_int_eq(fx_close(lfd), 0);
    int c = F.p.ops->connect(F.p.ctx, "127.0.0.1", port);
    if (c >= 0) {
        ck_assert_int_eq(fx_add(c, COOP_EV_WRITE), 0);
        uint32_t ev = poll_for(c, COOP_EV_WRITE | COOP_EV_ERROR | COOP_EV_HANGUP);
        /* Linux reports a refused connect as all of these at once. */
        ck_assert_uint_eq(ev, COOP_EV_WRITE | COOP_EV_ERROR | COOP_EV_HANGUP);
        ck_assert_int_eq(F.p.ops->sock_error(F.p.ctx, c), -COOP_ECONNREFUSED);
        ck_assert_int_eq(F.p.ops->sock_error(F.p.ctx, c), 0);
        ck_assert_int_eq(fx_close(c), 0);
    } else {
        ck_assert_int_eq(c, -COOP_ECONNREFUSED);
    }
    fx_end();
}
END_TEST

START_TEST(mask_zero_never_reported)
{
    fx_begin(_i);
    struct pair pr = make_pair();
    write_all(pr.c, "x", 1);
    /* Parked from the start: readable, writable, and still silent. */
    ck_assert_int_eq(fx_add(pr.s, 0), 0);
    assert_quiet(pr.s);
    ck_assert_int_eq(fx_mod(pr.s, COOP_EV_READ), 0);
    ck_assert(poll_for(pr.s, COOP_EV_READ) & COOP_EV_READ);
    ck_assert_int_eq(fx_mod(pr.s, 0), 0);
    assert_quiet(pr.s);
    /* Not even an error or a hangup reaches a parked fd. */
    ck_assert_int_eq(fx_abort_close(pr.c), 0);
    ck_assert_int_eq(fx_mod(pr.s, COOP_EV_READ), 0);
    ck_assert(poll_for(pr.s, COOP_EV_ERROR | COOP_EV_HANGUP));
    ck_assert_int_eq(fx_mod(pr.s, 0), 0);
    assert_quiet(pr.s);
    ck_assert_int_eq(fx_mod(pr.s, COOP_EV_WRITE), 0);
    ck_assert(poll_for(pr.s, COOP_EV_ERROR | COOP_EV_HANGUP));
    ck_assert_int_eq(fx_close(pr.s), 0);
    fx_end();
}
END_TEST

START_TEST(del_stops_reports)
{
    fx_begin(_i);
    struct pair pr = make_pair();
    write_all(pr.c, "data", 4);
    ck_assert_int_eq(fx_add(pr.s, COOP_EV_READ | COOP_EV_WRITE), 0);
    ck_assert(poll_for(pr.s, COOP_EV_READ) & COOP_EV_READ);
    ck_assert_int_eq(fx_del(pr.s), 0);
    assert_quiet(pr.s);
    /* del() only forgets the fd: it stays open, with its data. */
    char buf[4];
    read_exact(pr.s, buf, 4);
    ck_assert_mem_eq(buf, "data", 4);
    close_pair(pr);
    fx_end();
}
END_TEST

/*
 * wait(0) on fds that are not ready returns 0 events.  Nothing here reads
 * a clock: a blocking wait(0) shows up as the test's timeout.
 */
START_TEST(timeout_zero_does_not_block)
{
    fx_begin(_i);
    coop_poll_event ev[MAX_EVENTS];
    ck_assert_int_eq(fx_wait(0, ev, MAX_EVENTS), 0);
    struct pair pr = make_pair();
    ck_assert_int_eq(fx_add(pr.s, COOP_EV_READ), 0);
    ck_assert_int_eq(fx_add(pr.c, COOP_EV_READ), 0);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(fx_wait(0, ev, MAX_EVENTS), 0);
    /* A tiny positive timeout is a real, short wait, not an error. */
    ck_assert_int_eq(fx_wait(1, ev, MAX_EVENTS), 0);
    close_pair(pr);
    fx_end();
}
END_TEST

START_TEST(level_triggered)
{
    fx_begin(_i);
    struct pair pr = make_pair();
    write_all(pr.c, "0123456789", 10);
    ck_assert_int_eq(fx_add(pr.s, COOP_EV_READ), 0);
    ck_assert(poll_for(pr.s, COOP_EV_READ) & COOP_EV_READ);
    /* Unread data keeps being reported, with no new traffic. */
    for (int i = 0; i < 3; i++)
        ck_assert(events_now(pr.s) & COOP_EV_READ);
    char buf[10];
    ck_assert_int_eq(F.p.ops->read(F.p.ctx, pr.s, buf, 4), 4);
    ck_assert(events_now(pr.s) & COOP_EV_READ);
    read_exact(pr.s, buf + 4, 6);
    ck_assert_mem_eq(buf, "0123456789", 10);
    assert_quiet(pr.s);
    /* Writability is a level too. */
    ck_assert_int_eq(fx_add(pr.c, COOP_EV_WRITE), 0);
    ck_assert(poll_for(pr.c, COOP_EV_WRITE) & COOP_EV_WRITE);
    for (int i = 0; i < 3; i++)
        ck_assert(events_now(pr.c) & COOP_EV_WRITE);
    close_pair(pr);
    fx_end();
}
END_TEST

START_TEST(close_removes_from_set)
{
    fx_begin(_i);
    struct pair pr = make_pair();
    write_all(pr.c, "x", 1);
    ck_assert_int_eq(fx_add(pr.s, COOP_EV_READ), 0);
    ck_assert(poll_for(pr.s, COOP_EV_READ) & COOP_EV_READ);
    int old = pr.s;
    ck_assert_int_eq(fx_close(pr.s), 0);
    assert_quiet(old);
    ck_assert_int_eq(fx_del(old), -COOP_ENOENT);
    ck_assert_int_eq(fx_mod(old, COOP_EV_READ), -COOP_ENOENT);
    /* The number is free again; the kernel hands it out next, and add() must accept it. */
    uint16_t port;
    int lfd = listen_any(&port);
    ck_assert_int_eq(fx_add(lfd, COOP_EV_READ), 0);
    assert_quiet(lfd);
    /* A parked fd is closed just as well. */
    ck_assert_int_eq(fx_mod(lfd, 0), 0);
    ck_assert_int_eq(fx_close(lfd), 0);
    ck_assert_int_eq(fx_del(lfd), -COOP_ENOENT);
    ck_assert_int_eq(fx_close(pr.c), 0);
    fx_end();
}
END_TEST

/*
 * An abortive close (RST) on the peer is reported as ERROR or HANGUP,
 * the next read fails with ECONNRESET, and the socket then reads as ended
 * and refuses writes with EPIPE.
 */
START_TEST(peer_reset)
{
    fx_begin(_i);
    struct pair pr = make_pair();
    ck_assert_int_eq(fx_add(pr.s, COOP_EV_READ), 0);
    ck_assert_int_eq(fx_abort_close(pr.c), 0);
    uint32_t ev = poll_for(pr.s, COOP_EV_ERROR | COOP_EV_HANGUP);
    ck_assert(ev & COOP_EV_READ);
    char buf[4];
    ck_assert_int_eq(F.p.ops->read(F.p.ctx, pr.s, buf, sizeof(buf)), -COOP_ECONNRESET);
    ck_assert_int_eq(F.p.ops->read(F.p.ctx, pr.s, buf, sizeof(buf)), 0);
    ck_assert_int_eq(F.p.ops->write(F.p.ctx, pr.s, "x", 1), -COOP_EPIPE);
    ck_assert_int_eq(F.p.ops->sock_error(F.p.ctx, pr.s), 0);
    ck_assert_int_eq(fx_close(pr.s), 0);
    fx_end();
}
END_TEST

/* The first operation after the reset reports it, whichever it is. */
START_TEST(peer_reset_write_first)
{
    fx_begin(_i);
    struct pair pr = make_pair();
    ck_assert_int_eq(fx_add(pr.s, COOP_EV_WRITE), 0);
    ck_assert_int_eq(fx_abort_close(pr.c), 0);
    uint32_t ev = poll_for(pr.s, COOP_EV_ERROR | COOP_EV_HANGUP);
    ck_assert(ev & COOP_EV_WRITE);
    ck_assert_int_eq(F.p.ops->write(F.p.ctx, pr.s, "x", 1), -COOP_ECONNRESET);
    ck_assert_int_eq(F.p.ops->write(F.p.ctx, pr.s, "x", 1), -COOP_EPIPE);
    char buf[4];
    ck_assert_int_eq(F.p.ops->read(F.p.ctx, pr.s, buf, sizeof(buf)), 0);
    ck_assert_int_eq(fx_close(pr.s), 0);
    fx_end();
}
END_TEST

/*
 * Closing a socket that still holds unread data resets the connection
 * (RFC 2525, section 2.17) instead of ending it, with no SO_LINGER.
 */
START_TEST(close_with_unread_data_resets)
{
    fx_begin(_i);
    struct pair pr = make_pair();
    write_all(pr.c, "unread", 6);
    await(pr.s, COOP_EV_READ);
    ck_assert_int_eq(fx_close(pr.s), 0);
    ck_assert_int_eq(fx_add(pr.c, COOP_EV_READ), 0);
    poll_for(pr.c, COOP_EV_ERROR | COOP_EV_HANGUP);
    char buf[8];
    ck_assert_int_eq(F.p.ops->read(F.p.ctx, pr.c, buf, sizeof(buf)), -COOP_ECONNRESET);
    ck_assert_int_eq(fx_close(pr.c), 0);
    fx_end();
}
END_TEST

/*
 * After an orderly close by the peer, a write still succeeds: the data
 * goes out, and the peer answers it with RST.  A reset that arrives after
 * the peer's FIN makes the next write fail with EPIPE, not ECONNRESET
 * (Linux's tcp_reset() in CLOSE_WAIT).  SIGPIPE would kill the test.
 */
START_TEST(write_after_peer_close)
{
    fx_begin(_i);
    struct pair pr = make_pair();
    ck_assert_int_eq(fx_close(pr.s), 0);
    read_eof(pr.c);
    long r = 0;
    for (int round = 0; round <= ROUNDS && r >= 0; round++) {
        r = F.p.ops->write(F.p.ctx, pr.c, "x", 1);
        if (r >= 0)
            F.b->settle(&F.p);
    }
    ck_assert_msg(r == -COOP_EPIPE, "%s: write gave %ld", F.b->name, r);
    ck_assert_int_eq(F.p.ops->write(F.p.ctx, pr.c, "x", 1), -COOP_EPIPE);
    ck_assert_int_eq(fx_close(pr.c), 0);
    fx_end();
}
END_TEST

/* Data that arrived before a reset is still read first; then the reset, then the end. */
START_TEST(reset_after_data_keeps_data)
{
    fx_begin(_i);
    struct pair pr = make_pair();
    write_all(pr.c, "hello", 5);
    await(pr.s, COOP_EV_READ);
    ck_assert_int_eq(fx_abort_close(pr.c), 0);
    await(pr.s, COOP_EV_ERROR | COOP_EV_HANGUP);
    char buf[8];
    ck_assert_int_eq(F.p.ops->read(F.p.ctx, pr.s, buf, sizeof(buf)), 5);
    ck_assert_mem_eq(buf, "hello", 5);
    ck_assert_int_eq(F.p.ops->read(F.p.ctx, pr.s, buf, sizeof(buf)), -COOP_ECONNRESET);
    ck_assert_int_eq(F.p.ops->read(F.p.ctx, pr.s, buf, sizeof(buf)), 0);
    ck_assert_int_eq(fx_close(pr.s), 0);
    fx_end();
}
END_TEST

/* sock_error() reports a pending error once and clears it, so a later read sees only the end. */
START_TEST(sock_error_consumes_reset)
{
    fx_begin(_i);
    struct pair pr = make_pair();
    ck_assert_int_eq(F.p.ops->sock_error(F.p.ctx, pr.s), 0);
    ck_assert_int_eq(fx_abort_close(pr.c), 0);
    await(pr.s, COOP_EV_ERROR | COOP_EV_HANGUP);
    ck_assert_int_eq(F.p.ops->sock_error(F.p.ctx, pr.s), -COOP_ECONNRESET);
    ck_assert_int_eq(F.p.ops->sock_error(F.p.ctx, pr.s), 0);
    char buf[4];
    ck_assert_int_eq(F.p.ops->read(F.p.ctx, pr.s, buf, sizeof(buf)), 0);
    ck_assert_int_eq(fx_close(pr.s), 0);
    fx_end();
}
END_TEST

#define RW (COOP_EV_READ | COOP_EV_WRITE)

/*
 * The exact event sets of a READ|WRITE registration through a half close
 * and a full close, as Linux reports them.  A simulated poller must give
 * the same: HANGUP means both directions are shut, not "the peer closed";
 * a socket that shut its own writing stays reported writable, although a
 * write there fails with EPIPE.
 */
START_TEST(event_sets_half_close)
{
    fx_begin(_i);
    struct pair pr = make_pair();
    ck_assert_int_eq(fx_add(pr.c, RW), 0);
    ck_assert_int_eq(fx_add(pr.s, RW), 0);
    ck_assert_uint_eq(poll_for(pr.s, COOP_EV_WRITE), COOP_EV_WRITE);
    ck_assert_uint_eq(poll_for(pr.c, COOP_EV_WRITE), COOP_EV_WRITE);
    ck_assert_int_eq(F.p.ops->shutdown_write(F.p.ctx, pr.c), 0);
    ck_assert_uint_eq(poll_for(pr.s, COOP_EV_READ), RW);
    ck_assert_uint_eq(events_now(pr.c), COOP_EV_WRITE);
    ck_assert_int_eq(F.p.ops->shutdown_write(F.p.ctx, pr.s), 0);
    ck_assert_uint_eq(poll_for(pr.s, COOP_EV_HANGUP), RW | COOP_EV_HANGUP);
    ck_assert_uint_eq(poll_for(pr.c, COOP_EV_HANGUP), RW | COOP_EV_HANGUP);
    close_pair(pr);
    fx_end();
}
END_TEST

/*
 * A reset is ERROR and HANGUP, with READ and WRITE, until an operation
 * consumes the error; then only the HANGUP (and READ, WRITE) remain.
 */
START_TEST(event_sets_reset)
{
    fx_begin(_i);
    struct pair pr = make_pair();
    ck_assert_int_eq(fx_add(pr.s, RW), 0);
    ck_assert_int_eq(fx_abort_close(pr.c), 0);
    ck_assert_uint_eq(poll_for(pr.s, COOP_EV_ERROR), RW | COOP_EV_ERROR | COOP_EV_HANGUP);
    char buf[4];
    ck_assert_int_eq(F.p.ops->read(F.p.ctx, pr.s, buf, sizeof(buf)), -COOP_ECONNRESET);
    ck_assert_uint_eq(events_now(pr.s), RW | COOP_EV_HANGUP);
    /* The mask still filters READ and WRITE, but never ERROR or HANGUP. */
    ck_assert_int_eq(fx_mod(pr.s, COOP_EV_WRITE), 0);
    ck_assert_uint_eq(events_now(pr.s), COOP_EV_WRITE | COOP_EV_HANGUP);
    ck_assert_int_eq(fx_close(pr.s), 0);
    fx_end();
}
END_TEST

/* fx_end() checks that destroy() closed every fd left registered, parked or not. */
START_TEST(destroy_closes_registered)
{
    fx_begin(_i);
    uint16_t port;
    int lfd = listen_any(&port);
    int c = F.p.ops->connect(F.p.ctx, "127.0.0.1", port);
    ck_assert_int_ge(c, 0);
    int s = accept_one(lfd);
    ck_assert_int_eq(fx_add(lfd, COOP_EV_READ), 0);
    ck_assert_int_eq(fx_add(c, 0), 0);
    ck_assert_int_eq(fx_add(s, COOP_EV_READ | COOP_EV_WRITE), 0);
    fx_end();
}
END_TEST

#define NCONN 20

/*
 * Many fds, removed from the middle: every registered fd is reported and
 * every removed one is not, and max bounds each call.
 */
START_TEST(many_fds)
{
    fx_begin(_i);
    uint16_t port;
    int lfd = listen_any(&port);
    int c[NCONN], s[NCONN];
    for (int i = 0; i < NCONN; i++) {
        c[i] = F.p.ops->connect(F.p.ctx, "127.0.0.1", port);
        ck_assert_int_ge(c[i], 0);
        s[i] = accept_one(lfd);
    }
    ck_assert_int_eq(fx_close(lfd), 0);
    for (int i = 0; i < NCONN; i++) {
        await_connected(c[i]);
        ck_assert_int_eq(fx_add(c[i], COOP_EV_WRITE), 0);
        ck_assert_int_eq(fx_add(s[i], COOP_EV_WRITE), 0);
    }
    for (int i = 0; i < NCONN; i += 2) {
        ck_assert_int_eq(fx_del(c[i]), 0);
        ck_assert_int_eq(fx_mod(s[i], 0), 0);
    }
    for (int i = 0; i < NCONN; i += 3)
        ck_assert_int_eq(fx_close(c[i]), 0);
    /* Each remaining fd is writable, so small batches must cover them all. */
    coop_poll_event ev[3];
    int seen = 0;
    bool reported[MAX_FD] = { false };
    for (int round = 0; round < ROUNDS && seen < NCONN; round++) {
        int n = fx_wait(0, ev, 3);
        for (int k = 0; k < n; k++)
            if (!reported[ev[k].fd]) {
                reported[ev[k].fd] = true;
                seen++;
            }
    }
    int expected = 0;
    for (int i = 0; i < NCONN; i++) {
        bool c_live = i % 2 != 0 && i % 3 != 0;
        bool s_live = i % 2 != 0;
        expected += c_live + s_live;
        if (c_live)
            ck_assert_msg(reported[c[i]], "%s: c[%d] never reported", F.b->name, i);
        if (s_live)
            ck_assert_msg(reported[s[i]], "%s: s[%d] never reported", F.b->name, i);
    }
    ck_assert_int_eq(seen, expected);
    for (int i = 0; i < NCONN; i++) {
        if (i % 3 != 0)
            ck_assert_int_eq(fx_close(c[i]), 0);
        ck_assert_int_eq(fx_close(s[i]), 0);
    }
    fx_end();
}
END_TEST

#define NLISTEN 24

/*
 * listen() through a backend that keeps its sockets in user space (the
 * simulator) needs memory too.  Its failure must be -COOP_ENOMEM, and the
 * same call succeeds once memory is back; the kernel's listen() never
 * goes through the allocator, so the real backends never take this path.
 */
static int listen_retrying(uint16_t *port)
{
    int lfd = F.p.ops->listen(F.p.ctx, "127.0.0.1", 0, 16);
    if (lfd != -COOP_ENOMEM) {
        ck_assert_msg(lfd >= 0, "%s: listen gave %d", F.b->name, lfd);
        int pr = F.p.ops->local_port(F.p.ctx, lfd);
        ck_assert_msg(pr > 0 && pr <= UINT16_MAX, "%s: local_port gave %d", F.b->name, pr);
        *port = (uint16_t)pr;
        return lfd;
    }
    long saved = g_alloc.fail_after;
    g_alloc.fail_after = -1;
    lfd = listen_any(port);
    g_alloc.fail_after = saved;
    return lfd;
}

/*
 * Every allocation a registration needs may fail.  The failure must be
 * -COOP_ENOMEM with the poller unchanged, and the same add() succeeds
 * once memory is back.  A backend that never allocates passes trivially.
 */
START_TEST(allocation_failures)
{
    const struct backend *b = &backends[_i];
    for (long fail_at = 0; fail_at < 16; fail_at++) {
        memset(&F, 0, sizeof(F));
        g_alloc = (struct counting_alloc){ .fail_after = fail_at };
        F.b = b;
        F.open_fds = count_open_fds();
        int r = b->make(&F.p);
        if (r != 0) {
            ck_assert_int_eq(r, -COOP_ENOMEM);
            ck_assert_uint_eq(g_alloc.live_bytes, 0);
            continue;
        }
        for (int i = 0; i < NLISTEN; i++) {
            uint16_t port;
            int lfd = listen_retrying(&port);
            r = fx_add(lfd, i % 2 ? COOP_EV_READ : 0);
            if (r == 0)
                continue;
            ck_assert_int_eq(r, -COOP_ENOMEM);
            ck_assert_int_eq(fx_mod(lfd, COOP_EV_READ), -COOP_ENOENT);
            ck_assert_int_eq(fx_del(lfd), -COOP_ENOENT);
            long saved = g_alloc.fail_after;
            g_alloc.fail_after = -1;
            ck_assert_int_eq(fx_add(lfd, COOP_EV_READ), 0);
            g_alloc.fail_after = saved;
        }
        /* Everything registered before and after the failures is intact. */
        coop_poll_event ev[MAX_EVENTS];
        ck_assert_int_eq(fx_wait(0, ev, MAX_EVENTS), 0);
        fx_end();
    }
}
END_TEST

START_TEST(default_poller)
{
    coop_poller p;
    g_alloc = (struct counting_alloc){ .fail_after = -1 };
    ck_assert_int_eq(coop_poller_default_new(&p, test_allocator()), 0);
    ck_assert_int_eq(coop_poller_check(&p), 0);
#if defined(COOP_HAVE_EPOLL) && !defined(COOP_DEFAULT_POLLER_POLL)
    ck_assert_str_eq(p.ops->name, "epoll");
#else
    ck_assert_str_eq(p.ops->name, "poll");
#endif
    p.ops->destroy(p.ctx);
    ck_assert_uint_eq(g_alloc.live_bytes, 0);
    /* A zeroed allocator means malloc. */
    ck_assert_int_eq(coop_poller_default_new(&p, (coop_allocator){ 0 }), 0);
    p.ops->destroy(p.ctx);
    g_alloc.fail_after = 0;
    ck_assert_int_eq(coop_poller_poll_new(&p, test_allocator()), -COOP_ENOMEM);
}
END_TEST

/* ---- Rules of the real backend that the contract cannot observe. ---- */

/* Rounding a short timeout down to 0 ms would turn a wait for a close deadline into a busy loop. */
START_TEST(timeout_rounding)
{
    ck_assert_int_eq(coop__timeout_ms(-1), -1);
    ck_assert_int_eq(coop__timeout_ms(INT64_MIN), -1);
    ck_assert_int_eq(coop__timeout_ms(0), 0);
    ck_assert_int_eq(coop__timeout_ms(1), 1);
    ck_assert_int_eq(coop__timeout_ms(999999), 1);
    ck_assert_int_eq(coop__timeout_ms(1000000), 1);
    ck_assert_int_eq(coop__timeout_ms(1000001), 2);
    ck_assert_int_eq(coop__timeout_ms(INT64_MAX), INT_MAX);
}
END_TEST

START_TEST(errno_translation)
{
    ck_assert_int_eq(coop__errno_to_coop(EAGAIN), COOP_EAGAIN);
    ck_assert_int_eq(coop__errno_to_coop(EWOULDBLOCK), COOP_EAGAIN);
    ck_assert_int_eq(coop__errno_to_coop(ECONNREFUSED), COOP_ECONNREFUSED);
    ck_assert_int_eq(coop__errno_to_coop(EACCES), COOP_EPERM);
    ck_assert_int_eq(coop__errno_to_coop(ENOBUFS), COOP_ENOMEM);
    ck_assert_int_eq(coop__errno_to_coop(EPROTO), COOP_EIO);
    ck_assert_str_eq(coop_strerror(-COOP_EAGAIN), "EAGAIN");
    ck_assert_str_eq(coop_strerror(COOP_ECONNRESET), "ECONNRESET");
    ck_assert_str_eq(coop_strerror(-COOP_E2BIG), "E2BIG");
    ck_assert_str_eq(coop_strerror(0), "E?");
    ck_assert_str_eq(coop_strerror(9999), "E?");
    ck_assert_str_eq(coop_strerror(INT_MIN), "E?");
}
END_TEST

/*
 * Pipes know no MSG_NOSIGNAL; write() falls back to a plain write with
 * SIGPIPE blocked and leaves no SIGPIPE pending behind it.
 */
START_TEST(pipe_write_no_sigpipe)
{
    int fds[2];
    ck_assert_int_eq(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    ck_assert_int_eq(coop__sock_write(NULL, fds[1], "hi", 2), 2);
    char buf[4];
    ck_assert_int_eq(coop__sock_read(NULL, fds[0], buf, sizeof(buf)), 2);
    ck_assert_int_eq(coop__sock_read(NULL, fds[0], buf, sizeof(buf)), -COOP_EAGAIN);
    ck_assert_int_eq(coop__sock_close(fds[0]), 0);
    ck_assert_int_eq(coop__sock_write(NULL, fds[1], "hi", 2), -COOP_EPIPE);
    sigset_t pending;
    ck_assert_int_eq(sigpending(&pending), 0);
    ck_assert_int_eq(sigismember(&pending, SIGPIPE), 0);
    ck_assert_int_eq(coop__sock_close(fds[1]), 0);
    ck_assert_int_eq(coop__sock_close(fds[1]), -COOP_EBADF);
}
END_TEST

START_TEST(clock_and_allocator)
{
    coop_clock c = coop_clock_monotonic();
    ck_assert_uint_eq(c.ops->version, COOP_CLOCK_VERSION);
    ck_assert_str_eq(c.ops->name, "monotonic");
    uint64_t prev = c.ops->now_ns(c.ctx);
    for (int i = 0; i < 1000; i++) {
        uint64_t now = c.ops->now_ns(c.ctx);
        ck_assert_uint_ge(now, prev);
        prev = now;
    }
    coop_allocator a = coop_allocator_libc();
    char *p = a.fn(a.ctx, NULL, 0, 4);
    ck_assert_ptr_nonnull(p);
    memcpy(p, "abc", 4);
    p = a.fn(a.ctx, p, 4, 4096);
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(p, "abc");
    ck_assert_ptr_null(a.fn(a.ctx, p, 4096, 0));
}
END_TEST

/* ---- Registration. ---- */

static void add_contract(TCase *tc, int i)
{
    tcase_add_loop_test(tc, ops_table, i, i + 1);
    tcase_add_loop_test(tc, registration_errors, i, i + 1);
    tcase_add_loop_test(tc, listen_errors, i, i + 1);
    tcase_add_loop_test(tc, connect_accept_ready, i, i + 1);
    tcase_add_loop_test(tc, round_trip, i, i + 1);
    tcase_add_loop_test(tc, empty_read_eagain, i, i + 1);
    tcase_add_loop_test(tc, fill_and_drain, i, i + 1);
    tcase_add_loop_test(tc, eof_after_close, i, i + 1);
    tcase_add_loop_test(tc, shutdown_write_half_close, i, i + 1);
    tcase_add_loop_test(tc, connect_refused, i, i + 1);
    tcase_add_loop_test(tc, mask_zero_never_reported, i, i + 1);
    tcase_add_loop_test(tc, del_stops_reports, i, i + 1);
    tcase_add_loop_test(tc, timeout_zero_does_not_block, i, i + 1);
    tcase_add_loop_test(tc, level_triggered, i, i + 1);
    tcase_add_loop_test(tc, close_removes_from_set, i, i + 1);
    tcase_add_loop_test(tc, peer_reset, i, i + 1);
    tcase_add_loop_test(tc, peer_reset_write_first, i, i + 1);
    tcase_add_loop_test(tc, close_with_unread_data_resets, i, i + 1);
    tcase_add_loop_test(tc, write_after_peer_close, i, i + 1);
    tcase_add_loop_test(tc, reset_after_data_keeps_data, i, i + 1);
    tcase_add_loop_test(tc, sock_error_consumes_reset, i, i + 1);
    tcase_add_loop_test(tc, event_sets_half_close, i, i + 1);
    tcase_add_loop_test(tc, event_sets_reset, i, i + 1);
    tcase_add_loop_test(tc, destroy_closes_registered, i, i + 1);
    tcase_add_loop_test(tc, many_fds, i, i + 1);
    tcase_add_loop_test(tc, allocation_failures, i, i + 1);
}

/* One test case per backend, named after it, so a failure names its backend. */
static Suite *contract_suite(void)
{
    Suite *s = suite_create("poller-contract");
    for (int i = 0; i < NBACKENDS; i++) {
        TCase *tc = tcase_create(backends[i].name);
        tcase_set_timeout(tc, 30);
        add_contract(tc, i);
        suite_add_tcase(s, tc);
    }
    TCase *tc = tcase_create("real");
    tcase_add_test(tc, default_poller);
    tcase_add_test(tc, timeout_rounding);
    tcase_add_test(tc, errno_translation);
    tcase_add_test(tc, pipe_write_no_sigpipe);
    tcase_add_test(tc, clock_and_allocator);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(contract_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
