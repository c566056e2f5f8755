/* Streams on real sockets: every stream rule, run against both the epoll and the poll poller. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "coop/real.h"
#include "harness.h"

/* A socketpair with both ends non-blocking; the test writes to [1], tasks use [0]. */
static int pair_a[2], pair_b[2];

static void make_pair(int sv[2])
{
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
}

static bool fd_open(int fd) { return fcntl(fd, F_GETFD) != -1; }

static void setup_epoll(void)
{
    coop_poller p;
    cr_assert_eq(coop_poller_epoll_new(&p, coop_allocator_libc()), 0);
    h_setup_with(p);
    make_pair(pair_a);
    make_pair(pair_b);
}

static void setup_poll(void)
{
    coop_poller p;
    cr_assert_eq(coop_poller_poll_new(&p, coop_allocator_libc()), 0);
    h_setup_with(p);
    make_pair(pair_a);
    make_pair(pair_b);
}

/* Closes whatever the test left open; fds a task owned were closed by the core. */
static void teardown_pairs(void)
{
    h_teardown();
    for (int i = 0; i < 2; i++) {
        close(pair_a[i]);
        close(pair_b[i]);
    }
}

struct reader {
    int fd;
    char buf[64];
};

/* Registers its fd, waits, and logs what it reads, until end of stream. */
static int reader(coop_task *t)
{
    struct reader *r = coop_state(t);
    COOP_BEGIN(t);
    COOP_CALL(t, coop_stream_reader(t, r->fd));
    h_log(t, "register %lld", (long long)coop_result(t));
    for (;;) {
        COOP_CALL(t, coop_stream_wait(t, 0));
        {
            long n = coop_read(coop_task_sched(t), r->fd, r->buf, sizeof(r->buf) - 1);
            if (n == -COOP_EAGAIN) {
                h_log(t, "spurious");
                continue;
            }
            if (n <= 0) {
                h_log(t, "eof %ld", n);
                break;
            }
            r->buf[n] = '\0';
            h_log(t, "read '%s'", r->buf);
        }
    }
    COOP_END(t);
}

static int64_t spawn_reader(const char *name, int fd)
{
    struct reader init = { .fd = fd };
    coop_task_spec spec = { .step = reader, .name = name, .state_size = sizeof(init), .init = &init };
    return coop_spawn(H.s, &spec);
}

/* Polls for real until the loop has nothing more to do at the current virtual time. */
static void pump(int rounds)
{
    for (int i = 0; i < rounds; i++) {
        h_run(h_ms(), 1000);
        coop_poll_io(H.s, COOP_MS(20));
        h_run(h_ms(), 1000);
    }
}

#define STREAM_TESTS(SUITE)                                                                 \
    TestSuite(SUITE, .init = setup_##SUITE, .fini = teardown_pairs);                        \
    Test(SUITE, a_reader_wakes_when_data_arrives) { t_reader_wakes(); }                     \
    Test(SUITE, several_fds_per_task_and_stream_wait_says_which) { t_several_fds(); }       \
    Test(SUITE, stream_wait_times_out_on_virtual_time) { t_timeout(); }                     \
    Test(SUITE, events_while_busy_are_kept_for_the_next_wait) { t_pending(); }              \
    Test(SUITE, a_killed_task_closes_its_own_fds_only) { t_kill_closes(); }                 \
    Test(SUITE, an_fd_belongs_to_one_task) { t_busy(); }                                    \
    Test(SUITE, io_never_wakes_a_task_waiting_on_a_signal) { t_no_spurious_signal_wake(); } \
    Test(SUITE, close_drops_the_registration) { t_close(); }

static void t_reader_wakes(void)
{
    spawn_reader("R", pair_a[0]);
    pump(1);
    cr_assert_eq(write(pair_a[1], "hello", 5), 5);
    pump(2);
    close(pair_a[1]);
    pair_a[1] = -1;
    pump(2);
    cr_assert_str_eq(H.log, "0 R register 0\n0 R read 'hello'\n0 R eof 0\n");
}

struct two {
    int fds[2];
    int n;
};

static int two_fds(coop_task *t)
{
    struct two *st = coop_state(t);
    COOP_BEGIN(t);
    COOP_CALL(t, coop_stream_reader(t, st->fds[0]));
    COOP_CALL(t, coop_stream_reader(t, st->fds[1]));
    for (st->n = 0; st->n < 2; st->n++) {
        COOP_CALL(t, coop_stream_wait(t, 0));
        {
            char c;
            int which = coop_result(t) == st->fds[0] ? 0 : coop_result(t) == st->fds[1] ? 1 : -1;
            long n = coop_read(coop_task_sched(t), (int)coop_result(t), &c, 1);
            h_log(t, "fd %d ready (events %lld), read %ld '%c'", which, (long long)coop_result_of(t)->value,
                  n, c);
        }
    }
    COOP_END(t);
}

static void t_several_fds(void)
{
    struct two init = { { pair_a[0], pair_b[0] }, 0 };
    coop_task_spec spec = { .step = two_fds, .name = "T", .state_size = sizeof(init), .init = &init };
    cr_assert_gt(coop_spawn(H.s, &spec), 0);
    pump(1);
    cr_assert_eq(write(pair_b[1], "b", 1), 1);
    pump(2);
    cr_assert_eq(write(pair_a[1], "a", 1), 1);
    pump(2);
    cr_assert_str_eq(H.log, "0 T fd 1 ready (events 1), read 1 'b'\n0 T fd 0 ready (events 1), read 1 'a'\n");
}

struct waiter_fd {
    int fd;
};

static int wait_with_timeout(coop_task *t)
{
    struct waiter_fd *w = coop_state(t);
    COOP_BEGIN(t);
    COOP_CALL(t, coop_stream_wait(t, COOP_MS(10)));
    h_log(t, "no fds: %lld", (long long)coop_result(t));
    COOP_CALL(t, coop_stream_reader(t, w->fd));
    COOP_CALL(t, coop_stream_wait(t, COOP_MS(100)));
    h_log(t, "timed wait: %lld", (long long)coop_result(t));
    COOP_END(t);
}

static void t_timeout(void)
{
    struct waiter_fd init = { pair_a[0] };
    coop_task_spec spec = {
        .step = wait_with_timeout, .name = "T", .state_size = sizeof(init), .init = &init
    };
    cr_assert_gt(coop_spawn(H.s, &spec), 0);
    pump(1);
    cr_assert_eq(coop_poll_io(H.s, 0), 0);
    h_run(1000, 100);
    cr_assert_str_eq(H.log, "0 T no fds: -2\n100 T timed wait: -110\n");
    cr_assert(!fd_open(pair_a[0]), "the task ended, so its fd was closed");
    pair_a[0] = -1;
}

struct busy {
    int fd;
    int n;
};

/* Registers, then stays busy for three steps before it waits. */
static int busy_then_wait(coop_task *t)
{
    struct busy *b = coop_state(t);
    COOP_BEGIN(t);
    COOP_CALL(t, coop_stream_reader(t, b->fd));
    for (b->n = 0; b->n < 3; b->n++)
        COOP_CALL(t, coop_wait(t, COOP_MS(1)));
    COOP_CALL(t, coop_stream_wait(t, 0));
    h_log(t, "ready fd matches: %d", coop_result(t) == b->fd);
    COOP_END(t);
}

static void t_pending(void)
{
    struct busy init = { pair_a[0], 0 };
    coop_task_spec spec = { .step = busy_then_wait, .name = "B", .state_size = sizeof(init), .init = &init };
    cr_assert_gt(coop_spawn(H.s, &spec), 0);
    cr_assert_eq(write(pair_a[1], "x", 1), 1);
    /* The event arrives while B is not waiting: it is remembered, and the fd is parked. */
    cr_assert_eq(coop_poll_io(H.s, COOP_MS(100)), 1);
    cr_assert_eq(coop_poll_io(H.s, 0), 0, "a parked fd is not reported again");
    h_run(100, 100);
    cr_assert_str_eq(H.log, "3 B ready fd matches: 1\n");
    pair_a[0] = -1;
}

struct owner {
    int fd;
};

static int hold_fd(coop_task *t)
{
    struct owner *o = coop_state(t);
    COOP_BEGIN(t);
    COOP_CALL(t, coop_stream_reader_writer(t, o->fd));
    h_log(t, "register %lld", (long long)coop_result(t));
    COOP_CALL(t, coop_wait_signal(t, "never", 0));
    COOP_END(t);
}

static int64_t spawn_holder(const char *name, int fd)
{
    struct owner init = { fd };
    coop_task_spec spec = { .step = hold_fd, .name = name, .state_size = sizeof(init), .init = &init };
    return coop_spawn(H.s, &spec);
}

/* b07 fixed: the victim's fd is closed, never another task's. */
static void t_kill_closes(void)
{
    int64_t victim = spawn_holder("V", pair_a[0]);
    spawn_holder("O", pair_b[0]);
    h_run(0, 100);
    cr_assert_eq(coop_kill(H.s, (uint32_t)victim), 1);
    cr_assert(!fd_open(pair_a[0]));
    cr_assert(fd_open(pair_b[0]));
    pair_a[0] = -1;
    coop_sched_free(H.s);
    H.s = NULL;
    cr_assert(!fd_open(pair_b[0]), "freeing the scheduler ends O, which closes its fd");
    pair_b[0] = -1;
    coop_config cfg = { .clock = coop_clock_monotonic() };
    H.s = coop_sched_new(&cfg);
}

static void t_busy(void)
{
    spawn_holder("A", pair_a[0]);
    spawn_holder("B", pair_a[0]);
    h_run(0, 100);
    cr_assert_str_eq(H.log, "0 A register 0\n0 B register -16\n");
}

struct sigwait {
    int fd;
};

static int signal_waiter_with_fd(coop_task *t)
{
    struct sigwait *w = coop_state(t);
    COOP_BEGIN(t);
    COOP_CALL(t, coop_stream_reader(t, w->fd));
    COOP_CALL(t, coop_wait_signal(t, "s", 0));
    h_log(t, "woke with %s", coop_result_of(t)->signal ? coop_result_of(t)->signal : "(none)");
    COOP_END(t);
}

/* b08 fixed: a ready fd wakes only a task in StreamWait, never one waiting on a signal. */
static void t_no_spurious_signal_wake(void)
{
    struct sigwait init = { pair_a[0] };
    coop_task_spec spec = {
        .step = signal_waiter_with_fd, .name = "W", .state_size = sizeof(init), .init = &init
    };
    cr_assert_gt(coop_spawn(H.s, &spec), 0);
    h_run(0, 100);
    cr_assert_eq(write(pair_a[1], "x", 1), 1);
    pump(2);
    cr_assert_str_eq(H.log, "");
    h_set_ms(5);
    coop_signal(H.s, "s", 1);
    h_run(5, 100);
    cr_assert_str_eq(H.log, "5 W woke with s\n");
    pair_a[0] = -1;
}

static void t_close(void)
{
    spawn_holder("A", pair_a[0]);
    h_run(0, 100);
    cr_assert(coop_has_io(H.s));
    cr_assert_eq(coop_close(H.s, pair_a[0]), 0);
    cr_assert(!coop_has_io(H.s));
    pair_a[0] = -1;
    spawn_holder("B", pair_b[0]);
    h_run(0, 100);
    cr_assert_str_eq(H.log, "0 A register 0\n0 B register 0\n");
    char c;
    cr_assert_eq(coop_read(H.s, pair_b[0], &c, 1), -COOP_EAGAIN);
}

STREAM_TESTS(epoll)
STREAM_TESTS(poll)
