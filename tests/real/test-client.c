/* The client calls on real sockets: Dial, WaitAny and the abortive close, against the epoll and the poll poller. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "coop/real.h"
#include "harness.h"

/* A listener the test owns, outside the scheduler, so the task under test is the only client. */
static int listener = -1;
static uint16_t listener_port;

static int open_fd_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    cr_assert_not_null(d);
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static uint16_t listen_loopback(int backlog, int *fd_out)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(fd, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    cr_assert_eq(listen(fd, backlog), 0);
    socklen_t len = sizeof(a);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *fd_out = fd;
    return ntohs(a.sin_port);
}

/* A port on which nobody listens: bound, then closed. */
static uint16_t dead_port(void)
{
    int fd;
    uint16_t port = listen_loopback(1, &fd);
    close(fd);
    return port;
}

static void setup_epoll(void)
{
    coop_poller p;
    cr_assert_eq(coop_poller_epoll_new(&p, coop_allocator_libc()), 0);
    h_setup_with(p);
    listener_port = listen_loopback(16, &listener);
}

static void setup_poll(void)
{
    coop_poller p;
    cr_assert_eq(coop_poller_poll_new(&p, coop_allocator_libc()), 0);
    h_setup_with(p);
    listener_port = listen_loopback(16, &listener);
}

static void teardown(void)
{
    h_teardown();
    close(listener);
}

/* Real I/O at a fixed virtual time: wait for readiness, then run what it woke. */
static void pump(int rounds)
{
    for (int i = 0; i < rounds && coop_task_count(H.s); i++) {
        h_run(h_ms(), 1000);
        coop_poll_io(H.s, COOP_MS(20));
        h_run(h_ms(), 1000);
    }
}

static int accept_blocking(void)
{
    int fd;
    do
        fd = accept(listener, NULL, NULL);
    while (fd < 0 && errno == EINTR);
    cr_assert_geq(fd, 0);
    return fd;
}

struct dialer {
    uint16_t port;
    int64_t timeout_ns;
    int fd;
};

/* Dials, logs the outcome, and on success sends "hi" and logs what comes back before EOF. */
static int dialer(coop_task *t)
{
    struct dialer *d = coop_state(t);
    coop_sched *s = coop_task_sched(t);
    COOP_BEGIN(t);
    COOP_CALL(t, coop_dial(t, "127.0.0.1", d->port, d->timeout_ns));
    d->fd = (int)coop_result(t);
    if (d->fd < 0) {
        h_log(t, "dial %s", coop_strerror(d->fd));
        /* Alive until told, so the test sees that the failed Dial itself left no fd behind. */
        COOP_CALL(t, coop_wait_signal(t, "end", 0));
        COOP_EXIT(t, 0);
    }
    h_log(t, "connected");
    cr_assert_eq(coop_write(s, d->fd, "hi", 2), 2);
    /* Dial left the fd registered as a reader: StreamWait needs no StreamReader first. */
    for (;;) {
        COOP_CALL(t, coop_stream_wait(t, 0));
        {
            char buf[16];
            long n = coop_read(s, d->fd, buf, sizeof(buf));
            if (n == 0)
                break;
            if (n > 0)
                h_log(t, "read %.*s", (int)n, buf);
        }
    }
    h_log(t, "eof");
    COOP_END(t);
}

static void spawn_dialer(uint16_t port, int64_t timeout_ns)
{
    struct dialer d = { .port = port, .timeout_ns = timeout_ns, .fd = -1 };
    coop_task_spec spec = { .step = dialer, .name = "D", .state_size = sizeof(d), .init = &d };
    cr_assert_gt(coop_spawn(H.s, &spec), 0);
}

static void dial_connects_and_leaves_a_reader(void)
{
    spawn_dialer(listener_port, COOP_S(5));
    pump(50);
    cr_assert_str_eq(H.log, "0 D connected\n");
    int peer = accept_blocking();
    char buf[2];
    cr_assert_eq(read(peer, buf, 2), 2);
    cr_assert_eq(write(peer, "yo", 2), 2);
    close(peer);
    pump(50);
    cr_assert_eq(coop_task_count(H.s), 0);
    cr_assert_str_eq(H.log, "0 D connected\n0 D read yo\n0 D eof\n");
}

static void dial_to_a_dead_port_is_refused_and_leaves_no_fd(void)
{
    int before = open_fd_count();
    spawn_dialer(dead_port(), 0);
    pump(50);
    cr_assert_str_eq(H.log, "0 D dial ECONNREFUSED\n");
    cr_assert_eq(open_fd_count(), before);
    cr_assert(!coop_has_io(H.s));
    cr_assert_eq(coop_signal(H.s, "end", 0), 1);
    h_run(h_ms(), 10);
    cr_assert_eq(coop_task_count(H.s), 0);
}

/*
 * A listener whose accept queue is full drops new SYNs, so the connect
 * stays in progress: the timeout, on the virtual clock, must end it and
 * close the fd.
 */
static void dial_times_out_and_closes_its_fd(void)
{
    int full;
    uint16_t port = listen_loopback(0, &full);
    int filler[4];
    for (int i = 0; i < 4; i++) {
        filler[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = { .sin_family = AF_INET,
                                 .sin_port = htons(port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        (void)connect(filler[i], (struct sockaddr *)&a, sizeof(a));
    }
    int before = open_fd_count();
    spawn_dialer(port, COOP_MS(300));
    pump(3);
    cr_assert_str_eq(H.log, "", "the connect must still be in progress");
    h_run(299, 1000);
    cr_assert_str_eq(H.log, "");
    h_run(300, 1000);
    cr_assert_str_eq(H.log, "300 D dial ETIMEDOUT\n");
    cr_assert_eq(open_fd_count(), before);
    cr_assert(!coop_has_io(H.s));
    cr_assert_eq(coop_signal(H.s, "end", 0), 1);
    h_run(300, 10);
    cr_assert_eq(coop_task_count(H.s), 0);
    for (int i = 0; i < 4; i++)
        close(filler[i]);
    close(full);
}

struct any_waiter {
    int fd;
    int rounds;
};

/* Waits on a signal and its fd at once and logs which one woke it, each time. */
static int any_waiter(coop_task *t)
{
    struct any_waiter *w = coop_state(t);
    static const char *const names[] = { "cmd", "stop" };
    COOP_BEGIN(t);
    COOP_CALL(t, coop_stream_reader(t, w->fd));
    for (w->rounds = 0; w->rounds < 3; w->rounds++) {
        COOP_CALL(t, coop_wait_any(t, names, 2, COOP_MS(100)));
        {
            const coop_call_result *r = coop_result_of(t);
            if (r->signal) {
                h_log(t, "signal %s %lld", r->signal, (long long)r->value);
            } else if (r->code >= 0) {
                char buf[8];
                long n = coop_read(coop_task_sched(t), w->fd, buf, sizeof(buf));
                h_log(t, "fd %s %.*s", r->code == w->fd ? "mine" : "other", (int)(n > 0 ? n : 0), buf);
            } else {
                h_log(t, "%s", coop_strerror((int)r->code));
            }
        }
    }
    COOP_END(t);
}

static void wait_any_says_whether_a_signal_or_an_fd_woke_the_task(void)
{
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    struct any_waiter w = { .fd = sv[0] };
    coop_task_spec spec = { .step = any_waiter, .name = "W", .state_size = sizeof(w), .init = &w };
    cr_assert_gt(coop_spawn(H.s, &spec), 0);
    h_run(0, 100);
    cr_assert_eq(write(sv[1], "abc", 3), 3);
    pump(5);
    h_set_ms(10);
    cr_assert_eq(coop_signal(H.s, "stop", 7), 1);
    h_run(10, 100);
    h_run(200, 100);
    cr_assert_str_eq(H.log, "0 W fd mine abc\n10 W signal stop 7\n110 W ETIMEDOUT\n");
    cr_assert_eq(coop_task_count(H.s), 0);
    close(sv[1]);
}

/* An fd event that came while the task was busy is served by WaitAny before it blocks. */
static void wait_any_serves_an_earlier_event_first(void)
{
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    struct any_waiter w = { .fd = sv[0] };
    coop_task_spec spec = { .step = any_waiter, .name = "W", .state_size = sizeof(w), .init = &w };
    cr_assert_gt(coop_spawn(H.s, &spec), 0);
    /* Registered but not yet waiting: the event is parked as pending. */
    cr_assert_eq(write(sv[1], "x", 1), 1);
    coop_poll_io(H.s, COOP_MS(20));
    h_run(0, 100);
    cr_assert_str_eq(H.log, "0 W fd mine x\n");
    cr_assert_eq(coop_kill(H.s, 1), 1);
    close(sv[1]);
}

struct resetter {
    int fd;
};

static int resetter(coop_task *t)
{
    struct resetter *r = coop_state(t);
    COOP_BEGIN(t);
    h_log(t, "reset %d", coop_close_reset(coop_task_sched(t), r->fd));
    COOP_END(t);
}

static void close_reset_makes_the_peer_see_a_reset(void)
{
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons(listener_port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    cr_assert_eq(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
    int peer = accept_blocking();
    /* The fd the task resets is the accepted one, given to the scheduler's poller. */
    struct resetter r = { .fd = peer };
    coop_task_spec spec = { .step = resetter, .name = "R", .state_size = sizeof(r), .init = &r };
    cr_assert_gt(coop_spawn(H.s, &spec), 0);
    h_run(0, 10);
    cr_assert_str_eq(H.log, "0 R reset 0\n");
    char buf[4];
    ssize_t n = read(c, buf, sizeof(buf));
    cr_assert_eq(n, -1);
    cr_assert_eq(errno, ECONNRESET);
    close(c);
}

/* A Dial whose step ends without yielding it must not leave its connecting fd open. */
static int dial_unyielded(coop_task *t)
{
    COOP_BEGIN(t);
    (void)coop_dial(t, "127.0.0.1", listener_port, 0);
    COOP_EXIT(t, 0);
    COOP_END(t);
}

static void a_dial_never_yielded_closes_its_fd(void)
{
    int before = open_fd_count();
    cr_assert_gt(coop_spawn(H.s, &(coop_task_spec){ .step = dial_unyielded, .name = "U" }), 0);
    h_run(0, 10);
    cr_assert_eq(coop_task_count(H.s), 0);
    cr_assert_eq(open_fd_count(), before);
}

static int describe_then_wait(coop_task *t)
{
    struct dialer *d = coop_state(t);
    static const char *const names[] = { "cmd" };
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait_any(t, NULL, 0, 0));
    h_log(t, "nothing to wait for: %s", coop_strerror((int)coop_result(t)));
    COOP_CALL(t, coop_dial(t, "127.0.0.1", d->port, 0));
    d->fd = (int)coop_result(t);
    COOP_CALL(t, coop_wait_any(t, names, 1, 0));
    COOP_END(t);
}

/* Hang reports say what a task in Dial or WaitAny waits for. */
static void waits_are_described(void)
{
    struct dialer d = { .fd = -1 };
    int full;
    d.port = listen_loopback(0, &full);
    int filler = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons(d.port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    (void)connect(filler, (struct sockaddr *)&a, sizeof(a));
    int64_t tid = coop_spawn(
        H.s,
        &(coop_task_spec){ .step = describe_then_wait, .name = "W", .state_size = sizeof(d), .init = &d });
    cr_assert_gt(tid, 0);
    h_run(0, 10);
    cr_assert_str_eq(H.log, "0 W nothing to wait for: ENOENT\n");
    char buf[96];
    coop_task *t = coop_task_find(H.s, (uint32_t)tid);
    coop_task_describe_wait(t, buf, sizeof(buf));
    cr_assert(!strncmp(buf, "connect on fd ", 14), "%s", buf);
    /* Let the connection complete (the queue slot frees when the filler is accepted). */
    int accepted = accept(full, NULL, NULL);
    cr_assert_geq(accepted, 0);
    /* The kernel resends the dropped connection request after its own timeout (about 1 s). */
    for (int i = 0; i < 500 && ((struct dialer *)coop_state(t))->fd < 0; i++)
        pump(1);
    coop_task_describe_wait(t, buf, sizeof(buf));
    char want[64];
    snprintf(want, sizeof(want), "signal 'cmd', fd %d", ((struct dialer *)coop_state(t))->fd);
    cr_assert_str_eq(buf, want);
    cr_assert_eq(coop_kill(H.s, (uint32_t)tid), 1);
    close(accepted);
    close(filler);
    close(full);
}

#define CLIENT_TESTS(SUITE)                                                                           \
    TestSuite(SUITE, .init = setup_##SUITE, .fini = teardown);                                        \
    Test(SUITE, dial_connects_and_leaves_a_reader) { dial_connects_and_leaves_a_reader(); }           \
    Test(SUITE, dial_to_a_dead_port_is_refused_and_leaves_no_fd)                                      \
    {                                                                                                 \
        dial_to_a_dead_port_is_refused_and_leaves_no_fd();                                            \
    }                                                                                                 \
    Test(SUITE, dial_times_out_and_closes_its_fd) { dial_times_out_and_closes_its_fd(); }             \
    Test(SUITE, wait_any_says_whether_a_signal_or_an_fd_woke_the_task)                                \
    {                                                                                                 \
        wait_any_says_whether_a_signal_or_an_fd_woke_the_task();                                      \
    }                                                                                                 \
    Test(SUITE, wait_any_serves_an_earlier_event_first) { wait_any_serves_an_earlier_event_first(); } \
    Test(SUITE, close_reset_makes_the_peer_see_a_reset) { close_reset_makes_the_peer_see_a_reset(); } \
    Test(SUITE, a_dial_never_yielded_closes_its_fd) { a_dial_never_yielded_closes_its_fd(); }         \
    Test(SUITE, waits_are_described) { waits_are_described(); }

CLIENT_TESTS(epoll)
CLIENT_TESTS(poll)
