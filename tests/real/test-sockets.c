/* The socket API through the scheduler on the real backend, the default instance, and the stderr log. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <string.h>

#include "coop/real.h"
#include "harness.h"

static void setup_real(void)
{
    coop_poller p;
    cr_assert_eq(coop_poller_default_new(&p, coop_allocator_libc()), 0);
    h_setup_with(p);
}

TestSuite(sockets, .init = setup_real, .fini = h_teardown);

/* Polls for real until nothing is left to do at the current virtual time, at most `rounds` times. */
static void pump(int rounds)
{
    for (int i = 0; i < rounds && coop_task_count(H.s); i++) {
        h_run(h_ms(), 1000);
        coop_poll_io(H.s, COOP_MS(20));
        h_run(h_ms(), 1000);
    }
}

struct server {
    int lfd, cfd;
    char buf[16];
    long n;
};

/* Accepts one connection, reads "ping", answers "pong", half-closes, and reads the peer's EOF. */
static int server(coop_task *t)
{
    struct server *st = coop_state(t);
    coop_sched *s = coop_task_sched(t);
    COOP_BEGIN(t);
    COOP_CALL(t, coop_stream_reader(t, st->lfd));
    do {
        COOP_CALL(t, coop_stream_wait(t, 0));
        st->cfd = coop_accept(s, st->lfd);
    } while (st->cfd == -COOP_EAGAIN);
    cr_assert_geq(st->cfd, 0);
    COOP_CALL(t, coop_stream_reader(t, st->cfd));
    st->n = 0;
    while (st->n < 4) {
        COOP_CALL(t, coop_stream_wait(t, 0));
        if (coop_result(t) == st->cfd) {
            long n = coop_read(s, st->cfd, st->buf + st->n, 4 - (size_t)st->n);
            if (n > 0)
                st->n += n;
        }
    }
    h_log(t, "got %.4s", st->buf);
    cr_assert_eq(coop_write(s, st->cfd, "pong", 4), 4);
    cr_assert_eq(coop_shutdown_write(s, st->cfd), 0);
    for (;;) {
        COOP_CALL(t, coop_stream_wait(t, 0));
        if (coop_result(t) == st->cfd && coop_read(s, st->cfd, st->buf, sizeof(st->buf)) == 0)
            break;
    }
    h_log(t, "peer closed");
    COOP_END(t);
}

struct client {
    int port, fd;
    char buf[8];
    long n;
};

static int client(coop_task *t)
{
    struct client *c = coop_state(t);
    coop_sched *s = coop_task_sched(t);
    COOP_BEGIN(t);
    c->fd = coop_connect(s, "127.0.0.1", (uint16_t)c->port);
    cr_assert_geq(c->fd, 0);
    COOP_CALL(t, coop_stream_writer(t, c->fd));
    COOP_CALL(t, coop_stream_wait(t, 0));
    cr_assert_eq(coop_sock_error(s, c->fd), 0);
    cr_assert_eq(coop_write(s, c->fd, "ping", 4), 4);
    COOP_CALL(t, coop_stream_reader(t, c->fd));
    c->n = 0;
    for (;;) {
        COOP_CALL(t, coop_stream_wait(t, 0));
        {
            long n = coop_read(s, c->fd, c->buf + c->n, sizeof(c->buf) - (size_t)c->n);
            if (n == 0)
                break;
            if (n > 0)
                c->n += n;
        }
    }
    h_log(t, "got %.*s then eof", (int)c->n, c->buf);
    cr_assert_eq(coop_close(s, c->fd), 0);
    COOP_END(t);
}

Test(sockets, listen_accept_connect_read_write_shutdown)
{
    int lfd = coop_listen(H.s, "127.0.0.1", 0, 16);
    cr_assert_geq(lfd, 0);
    int port = coop_local_port(H.s, lfd);
    cr_assert_gt(port, 0);
    struct server srv = { .lfd = lfd, .cfd = -1 };
    coop_task_spec sspec = { .step = server, .name = "srv", .state_size = sizeof(srv), .init = &srv };
    cr_assert_gt(coop_spawn(H.s, &sspec), 0);
    struct client cli = { .port = port, .fd = -1 };
    coop_task_spec cspec = { .step = client, .name = "cli", .state_size = sizeof(cli), .init = &cli };
    cr_assert_gt(coop_spawn(H.s, &cspec), 0);
    pump(200);
    cr_assert_eq(coop_task_count(H.s), 0);
    cr_assert_str_eq(H.log, "0 srv got ping\n0 cli got pong then eof\n0 srv peer closed\n");
}

Test(sockets, bad_arguments_are_rejected)
{
    cr_assert_eq(coop_listen(H.s, NULL, 0, 1), -COOP_EINVAL);
    cr_assert_eq(coop_listen(H.s, "127.0.0.1", 0, -1), -COOP_EINVAL);
    cr_assert_eq(coop_connect(H.s, NULL, 1), -COOP_EINVAL);
    cr_assert_eq(coop_read(H.s, 0, NULL, 1), -COOP_EINVAL);
    cr_assert_eq(coop_write(H.s, 0, NULL, 1), -COOP_EINVAL);
}

TestSuite(nopoller, .init = h_setup, .fini = h_teardown);

static int stream_user(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_CALL(t, coop_stream_reader(t, 0));
    h_log(t, "register %lld", (long long)coop_result(t));
    COOP_CALL(t, coop_stream_wait(t, 0));
    h_log(t, "wait %lld", (long long)coop_result(t));
    COOP_END(t);
}

Test(nopoller, every_socket_call_fails_with_enosys)
{
    char c;
    cr_assert_eq(coop_listen(H.s, "127.0.0.1", 0, 1), -COOP_ENOSYS);
    cr_assert_eq(coop_local_port(H.s, 0), -COOP_ENOSYS);
    cr_assert_eq(coop_accept(H.s, 0), -COOP_ENOSYS);
    cr_assert_eq(coop_connect(H.s, "127.0.0.1", 1), -COOP_ENOSYS);
    cr_assert_eq(coop_sock_error(H.s, 0), -COOP_ENOSYS);
    cr_assert_eq(coop_read(H.s, 0, &c, 1), -COOP_ENOSYS);
    cr_assert_eq(coop_write(H.s, 0, &c, 1), -COOP_ENOSYS);
    cr_assert_eq(coop_shutdown_write(H.s, 0), -COOP_ENOSYS);
    cr_assert_eq(coop_close(H.s, 0), -COOP_ENOSYS);
    cr_assert_eq(coop_poll_io(H.s, 0), -COOP_ENOSYS);
    h_spawn("T", stream_user, 0, 10, 0, 0);
    h_run(0, 10);
    cr_assert_str_eq(H.log, "0 T register -38\n0 T wait -38\n");
}

static int ends_at_once(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    COOP_END(t);
}

Test(realsched, the_default_instance_runs_tasks_on_real_time)
{
    coop_sched *s = coop_default();
    cr_assert_not_null(s);
    cr_assert_eq(coop_default(), s, "one instance per process");
    cr_assert_gt(coop_spawn(s, &(coop_task_spec){ .step = ends_at_once }), 0);
    cr_assert_eq(coop_mainloop(s, true, NULL), COOP_LOOP_EMPTY);
    uint64_t a = coop_now_ns(s), b = coop_now_ns(s);
    cr_assert_leq(a, b);
}

static int fails_at_once(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_FAIL(t, -COOP_EPIPE);
    COOP_END(t);
}

Test(realsched, the_default_log_writes_failures_to_stderr, .init = cr_redirect_stderr)
{
    coop_config cfg;
    cr_assert_eq(coop_config_real(&cfg), 0);
    coop_sched *s = coop_sched_new(&cfg);
    cr_assert_not_null(s);
    cr_assert_gt(coop_spawn(s, &(coop_task_spec){ .step = fails_at_once, .name = "doomed" }), 0);
    const coop_report *r = coop_last_failure(s);
    cr_assert_not_null(r);
    char expect[256];
    snprintf(expect, sizeof(expect),
             "coop: error: task doomed (tid 1) failed with EPIPE at %s:%u, last resumed at line 0\n", r->file,
             r->line);
    coop_sched_free(s);
    fflush(stderr);
    cr_assert_stderr_eq_str(expect);
}

#include <errno.h>

#include "backend/backend.h"

Test(realsched, every_errno_translates_to_a_coop_code)
{
    static const struct {
        int e, coop;
    } same[] = {
        { EPERM, COOP_EPERM },
        { ENOENT, COOP_ENOENT },
        { ESRCH, COOP_ESRCH },
        { EINTR, COOP_EINTR },
        { EIO, COOP_EIO },
        { E2BIG, COOP_E2BIG },
        { EBADF, COOP_EBADF },
        { EAGAIN, COOP_EAGAIN },
        { ENOMEM, COOP_ENOMEM },
        { EBUSY, COOP_EBUSY },
        { EEXIST, COOP_EEXIST },
        { EINVAL, COOP_EINVAL },
        { EMFILE, COOP_EMFILE },
        { ENOSPC, COOP_ENOSPC },
        { EPIPE, COOP_EPIPE },
        { ERANGE, COOP_ERANGE },
        { EDEADLK, COOP_EDEADLK },
        { ENAMETOOLONG, COOP_ENAMETOOLONG },
        { ENOSYS, COOP_ENOSYS },
        { EOVERFLOW, COOP_EOVERFLOW },
        { ENOTSOCK, COOP_ENOTSOCK },
        { EADDRINUSE, COOP_EADDRINUSE },
        { EADDRNOTAVAIL, COOP_EADDRNOTAVAIL },
        { ENETUNREACH, COOP_ENETUNREACH },
        { ECONNABORTED, COOP_ECONNABORTED },
        { ECONNRESET, COOP_ECONNRESET },
        { ENOTCONN, COOP_ENOTCONN },
        { ETIMEDOUT, COOP_ETIMEDOUT },
        { ECONNREFUSED, COOP_ECONNREFUSED },
        { EINPROGRESS, COOP_EINPROGRESS },
        { ECANCELED, COOP_ECANCELED },
        /* Near relatives map to a code callers already handle. */
        { EACCES, COOP_EPERM },
        { ENFILE, COOP_EMFILE },
        { ENOBUFS, COOP_ENOMEM },
        { EHOSTUNREACH, COOP_ENETUNREACH },
        { EALREADY, COOP_EINPROGRESS },
        { EXDEV, COOP_EIO },
    };
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
        cr_assert_eq(coop__errno_to_coop(same[i].e), same[i].coop, "errno %d", same[i].e);
}
