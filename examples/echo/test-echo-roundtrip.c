/* Echo round trip: the echo tasks and client tasks share one real scheduler; bytes, backpressure, idle close, fds. */
#define _GNU_SOURCE /* for SO_RCVBUF and dirent in strict C11 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "coop/real.h"
#include "echo.h"

#define LOOPBACK "127.0.0.1"
#define SMALL_CLIENTS 5
#define SMALL_TOTAL (64u * 1024u) /* bytes each small client sends, in SMALL_CHUNK pieces */
#define SMALL_CHUNK 100u
#define BIG_TOTAL (1024u * 1024u)
#define BIG_RCVBUF 8192            /* keeps the big client's window small, so the server's writes fill up */
#define SERVER_SNDBUF 16384        /* the server's end of the big connection; see shrink_server_end() */
#define FIND_TRIES 5000            /* 1 ms apart: how long to wait for the server's side of a connection */
#define STEP_TIMEOUT_NS COOP_S(20) /* a wait this long means the test is stuck */
#define WATCHDOG_NS COOP_S(60)
#define IDLE_TIMEOUT_NS COOP_MS(200)
#define LINGER 2 /* clients of server A still connected when KillOs ends everything */

static int failures;

#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                   \
            fputc('\n', stderr);                                            \
            failures++;                                                     \
        }                                                                   \
    } while (0)

/* Counts this process's open fds; the directory's own fd is counted every time, so it cancels out. */
static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* Byte i of stream `seed`: not periodic in any small power of two, so a lost or doubled chunk shows. */
static unsigned char pattern(uint64_t i, unsigned seed)
{
    return (unsigned char)((i * 131u) ^ (i >> 7) ^ (i >> 15) ^ (seed * 77u));
}

/* What a client task leaves behind, since its own state is freed when it ends. */
struct outcome {
    int status;      /* 0: still running or killed; 1: passed; negative: the COOP_E* code it failed with */
    int line;        /* where it failed */
    uint64_t echoed; /* bytes received back and verified */
};

struct xfer {
    uint16_t port;
    unsigned seed;
    uint64_t total;  /* bytes to send and to receive back */
    uint32_t chunk;  /* largest single write */
    bool fill_first; /* write without reading until the server's writes have met EAGAIN */
    const struct coop_echo_stats *server; /* the server's counters, for fill_first */
    bool shrink_peer;                     /* shrink the send buffer of the server's end, once it exists */
    int tries;
    int rcvbuf; /* > 0: SO_RCVBUF of the client socket */
    struct outcome *out;
    int fd; /* -1 until connected; closed in the cleanup */
    bool reading_only;
    uint64_t sent;
    uint64_t recvd;
    unsigned char buf[16384];
};

#define XFER_FAIL(t, x, err)                                   \
    do {                                                       \
        (x)->out->status = (err) < 0 ? (int)(err) : -COOP_EIO; \
        (x)->out->line = __LINE__;                             \
        COOP_EXIT((t), (x)->out->status);                      \
    } while (0)

/* Writes pattern bytes until everything is sent or the socket is full. */
static int send_some(coop_sched *s, struct xfer *x)
{
    while (x->sent < x->total) {
        uint64_t left = x->total - x->sent;
        size_t n = left < x->chunk ? (size_t)left : x->chunk;
        if (n > sizeof(x->buf))
            n = sizeof(x->buf);
        for (size_t i = 0; i < n; i++)
            x->buf[i] = pattern(x->sent + i, x->seed);
        long w = coop_write(s, x->fd, x->buf, n);
        if (w == -COOP_EAGAIN)
            return 0;
        if (w < 0)
            return (int)w;
        x->sent += (uint64_t)w;
    }
    return 0;
}

/* Reads until the socket is empty and checks every byte; -COOP_EIO on a wrong byte or an early end. */
static int recv_some(coop_sched *s, struct xfer *x)
{
    for (;;) {
        long n = coop_read(s, x->fd, x->buf, sizeof(x->buf));
        if (n == -COOP_EAGAIN)
            return 0;
        if (n < 0)
            return (int)n;
        if (n == 0 || x->recvd + (uint64_t)n > x->sent) {
            fprintf(stderr, "seed %u: %s after %llu of %llu bytes\n", x->seed,
                    n == 0 ? "early end" : "bytes never sent", (unsigned long long)x->recvd,
                    (unsigned long long)x->total);
            return -COOP_EIO;
        }
        for (long i = 0; i < n; i++) {
            if (x->buf[i] != pattern(x->recvd + (uint64_t)i, x->seed)) {
                fprintf(stderr, "seed %u: byte %llu differs\n", x->seed,
                        (unsigned long long)(x->recvd + (uint64_t)i));
                return -COOP_EIO;
            }
        }
        x->recvd += (uint64_t)n;
        x->out->echoed = x->recvd;
    }
}

/* Connects and waits for the outcome; returns 0 or a negative code.  Shared by every client kind. */
static int connect_now(coop_sched *s, int *fd, uint16_t port, int rcvbuf)
{
    *fd = coop_connect(s, LOOPBACK, port);
    if (*fd < 0)
        return *fd;
    /* The test may use the OS directly; the echo tasks may not. */
    if (rcvbuf > 0 && setsockopt(*fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) != 0)
        return -COOP_EIO;
    return 0;
}

static int port_of(int fd, bool peer)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int r =
        peer ? getpeername(fd, (struct sockaddr *)&sa, &len) : getsockname(fd, (struct sockaddr *)&sa, &len);
    return r == 0 && sa.sin_family == AF_INET ? ntohs(sa.sin_port) : -1;
}

/*
 * On loopback Linux sizes an accepted socket's send buffer from the
 * 64 KiB segment size, to well over 1 MiB, so a 1 MiB payload could sit
 * there whole and the server would never see EAGAIN.  The server and the
 * test share this process, so the test finds the server's end of its
 * connection (the socket whose peer is our local port) and gives it a
 * small fixed send buffer.  Returns 1 when done, 0 when the server has
 * not accepted the connection yet.
 */
static int shrink_server_end(int client_fd, uint16_t server_port)
{
    int ours = port_of(client_fd, false);
    for (int fd = 0; fd < 1024 && ours > 0; fd++) {
        if (fd == client_fd || port_of(fd, false) != server_port || port_of(fd, true) != ours)
            continue;
        int size = SERVER_SNDBUF;
        return setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)) == 0 ? 1 : -COOP_EIO;
    }
    return 0;
}

static int xfer_step(coop_task *t)
{
    struct xfer *x = coop_state(t);
    coop_sched *s = coop_task_sched(t);
    int err;
    COOP_BEGIN(t);
    err = connect_now(s, &x->fd, x->port, x->rcvbuf);
    if (err)
        XFER_FAIL(t, x, err);
    COOP_CALL(t, coop_stream_writer(t, x->fd));
    COOP_CALL(t, coop_stream_wait(t, STEP_TIMEOUT_NS));
    if (coop_result(t) < 0)
        XFER_FAIL(t, x, coop_result(t));
    err = coop_sock_error(s, x->fd);
    if (err)
        XFER_FAIL(t, x, err);
    if (x->shrink_peer) {
        for (x->tries = 0; (err = shrink_server_end(x->fd, x->port)) == 0; x->tries++) {
            if (x->tries == FIND_TRIES)
                XFER_FAIL(t, x, -COOP_ETIMEDOUT);
            COOP_CALL(t, coop_wait(t, COOP_MS(1)));
        }
        if (err < 0)
            XFER_FAIL(t, x, err);
    }
    if (x->fill_first) {
        /*
         * Not reading fills our receive buffer, then the server's send
         * buffer; the server's writes then meet EAGAIN and it must stop
         * reading.  Writing on and not reading until the server's counter
         * says so makes that certain, however slow the machine.
         */
        for (x->tries = 0; x->server->write_blocked == 0; x->tries++) {
            if (x->tries == FIND_TRIES)
                XFER_FAIL(t, x, -COOP_ETIMEDOUT);
            err = send_some(s, x);
            if (err)
                XFER_FAIL(t, x, err);
            COOP_CALL(t, coop_wait(t, COOP_MS(1)));
        }
    }
    COOP_CALL(t, coop_stream_reader_writer(t, x->fd));
    for (;;) {
        err = send_some(s, x);
        if (err)
            XFER_FAIL(t, x, err);
        err = recv_some(s, x);
        if (err)
            XFER_FAIL(t, x, err);
        if (x->recvd == x->total)
            break;
        if (x->sent == x->total && !x->reading_only) {
            /* Level-triggered writability would wake us for nothing from now on. */
            x->reading_only = true;
            COOP_CALL(t, coop_stream_reader(t, x->fd));
        }
        COOP_CALL(t, coop_stream_wait(t, STEP_TIMEOUT_NS));
        if (coop_result(t) < 0)
            XFER_FAIL(t, x, coop_result(t));
    }
    /* Our end of stream must make the server close its side, with nothing more to say. */
    err = coop_shutdown_write(s, x->fd);
    if (err)
        XFER_FAIL(t, x, err);
    COOP_CALL(t, coop_stream_reader(t, x->fd));
    for (;;) {
        COOP_CALL(t, coop_stream_wait(t, STEP_TIMEOUT_NS));
        if (coop_result(t) < 0)
            XFER_FAIL(t, x, coop_result(t));
        {
            long n = coop_read(s, x->fd, x->buf, sizeof(x->buf));
            if (n == 0)
                break;
            if (n != -COOP_EAGAIN)
                XFER_FAIL(t, x, n < 0 ? n : -COOP_EIO);
        }
    }
    x->out->status = 1;
    COOP_FINALLY(t);
    if (x->fd >= 0)
        (void)coop_close(s, x->fd);
    COOP_END(t);
}

/*
 * A client that connects and says nothing.  It passes when the server
 * closes the connection: end of stream, or a reset.  When `after` is set
 * it connects only once the server counts that many clients, so that it
 * is sure to meet the max_clients limit.
 */
struct idler {
    uint16_t port;
    const struct coop_echo_stats *after_stats; /* NULL: connect at once */
    uint32_t after_active;
    struct outcome *out;
    int fd;
    char byte;
};

static int idler_step(coop_task *t)
{
    struct idler *d = coop_state(t);
    coop_sched *s = coop_task_sched(t);
    int err;
    COOP_BEGIN(t);
    if (d->after_stats) {
        while (d->after_stats->active < d->after_active)
            COOP_CALL(t, coop_wait(t, COOP_MS(1)));
    }
    err = connect_now(s, &d->fd, d->port, 0);
    if (err)
        XFER_FAIL(t, d, err);
    COOP_CALL(t, coop_stream_reader(t, d->fd));
    for (;;) {
        COOP_CALL(t, coop_stream_wait(t, STEP_TIMEOUT_NS));
        if (coop_result(t) < 0)
            XFER_FAIL(t, d, coop_result(t));
        {
            long n = coop_read(s, d->fd, &d->byte, 1);
            if (n == 0 || n == -COOP_ECONNRESET)
                break;
            if (n != -COOP_EAGAIN)
                XFER_FAIL(t, d, n < 0 ? n : -COOP_EIO);
        }
    }
    d->out->status = 1;
    COOP_FINALLY(t);
    if (d->fd >= 0)
        (void)coop_close(s, d->fd);
    COOP_END(t);
}

/* Waits for every client, then stops the loop; the servers die with KillOs. */
#define MAX_CLIENTS 16
struct driver {
    uint32_t tids[MAX_CLIENTS];
    int n;
    int i;
    /* KillOs waits until server A holds this many connections, so that it ends live clients too. */
    const struct coop_echo_stats *linger_stats;
    uint32_t linger;
};

static int driver_step(coop_task *t)
{
    struct driver *dr = coop_state(t);
    COOP_BEGIN(t);
    for (dr->i = 0; dr->i < dr->n; dr->i++)
        COOP_CALL(t, coop_wait_task(t, dr->tids[dr->i]));
    while (dr->linger_stats->active < dr->linger)
        COOP_CALL(t, coop_wait(t, COOP_MS(1)));
    COOP_CALL(t, coop_kill_os(t));
    COOP_END(t);
}

static int watchdog_step(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    fprintf(stderr, "FAIL: the watchdog fired; the test is stuck\n");
    failures++;
    COOP_CALL(t, coop_kill_os(t));
    COOP_END(t);
}

static uint32_t spawn(coop_sched *s, const char *name, coop_step_fn step, size_t size, const void *init)
{
    coop_task_spec spec = { .step = step, .name = name, .state_size = size, .init = init };
    int64_t tid = coop_spawn(s, &spec);
    CHECK(tid > 0, "spawning %s: %lld", name, (long long)tid);
    return tid > 0 ? (uint32_t)tid : 0;
}

static void log_line(void *ctx, coop_task *t, const char *line)
{
    fprintf(stderr, "[%s] %s: %s\n", (const char *)ctx, coop_task_name(t), line);
}

int main(int argc, char **argv)
{
    bool verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
    int fds_before = count_fds();
    CHECK(fds_before > 0, "cannot count fds");

    coop_config cfg;
    int err = coop_config_real(&cfg);
    CHECK(err == 0, "coop_config_real: %s", coop_strerror(err));
    if (err)
        return 1;
    coop_sched *s = coop_sched_new(&cfg);
    CHECK(s != NULL, "coop_sched_new");
    if (!s)
        return 1;

    /* Server A moves the data; its idle timeout is long so that a slow machine cannot trip it. */
    struct coop_echo_stats sa = { 0 };
    struct coop_echo_options oa = { .port = 0,
                                    .idle_timeout_ns = COOP_S(30),
                                    .stats = &sa,
                                    .log = verbose ? log_line : NULL,
                                    .log_ctx = "A" };
    int port_a = coop_echo_start(s, &oa);
    CHECK(port_a > 0, "coop_echo_start A: %d", port_a);

    /* Server B closes idle clients after 200 ms and takes at most two. */
    struct coop_echo_stats sb = { 0 };
    struct coop_echo_options ob = { .port = 0,
                                    .idle_timeout_ns = IDLE_TIMEOUT_NS,
                                    .max_clients = 2,
                                    .stats = &sb,
                                    .log = verbose ? log_line : NULL,
                                    .log_ctx = "B" };
    int port_b = coop_echo_start(s, &ob);
    CHECK(port_b > 0 && port_b != port_a, "coop_echo_start B: %d", port_b);
    if (port_a <= 0 || port_b <= 0) {
        coop_sched_free(s);
        return 1;
    }

    static struct outcome small[SMALL_CLIENTS], big, idle[2], rejected, linger[LINGER];
    static struct xfer x; /* 16 KiB: a static template keeps it off the stack */
    struct driver dr = { .n = 0, .linger_stats = &sa, .linger = LINGER };
    for (int i = 0; i < SMALL_CLIENTS; i++) {
        x = (struct xfer){ .port = (uint16_t)port_a,
                           .seed = (unsigned)i + 1,
                           .total = SMALL_TOTAL,
                           .chunk = SMALL_CHUNK,
                           .out = &small[i],
                           .fd = -1 };
        dr.tids[dr.n++] = spawn(s, "small", xfer_step, sizeof(x), &x);
    }
    x = (struct xfer){ .port = (uint16_t)port_a,
                       .seed = 99,
                       .total = BIG_TOTAL,
                       .chunk = sizeof(x.buf),
                       .fill_first = true,
                       .server = &sa,
                       .shrink_peer = true,
                       .rcvbuf = BIG_RCVBUF,
                       .out = &big,
                       .fd = -1 };
    dr.tids[dr.n++] = spawn(s, "big", xfer_step, sizeof(x), &x);
    for (int i = 0; i < 2; i++) {
        struct idler d = { .port = (uint16_t)port_b, .out = &idle[i], .fd = -1 };
        dr.tids[dr.n++] = spawn(s, "idle", idler_step, sizeof(d), &d);
    }
    {
        struct idler d = {
            .port = (uint16_t)port_b, .after_stats = &sb, .after_active = 2, .out = &rejected, .fd = -1
        };
        dr.tids[dr.n++] = spawn(s, "third", idler_step, sizeof(d), &d);
    }
    /* Still connected at KillOs: the kill path must close both ends and count them out. */
    for (int i = 0; i < LINGER; i++) {
        struct idler d = { .port = (uint16_t)port_a, .out = &linger[i], .fd = -1 };
        spawn(s, "linger", idler_step, sizeof(d), &d);
    }
    spawn(s, "driver", driver_step, sizeof(dr), &dr);
    {
        coop_task_spec spec = { .step = watchdog_step, .name = "watchdog", .time2run_ns = WATCHDOG_NS };
        CHECK(coop_spawn(s, &spec) > 0, "spawning the watchdog");
    }

    coop_loop_result lr = coop_mainloop(s, false, NULL);
    CHECK(lr == COOP_LOOP_STOPPED, "the loop returned %d", (int)lr);
    const coop_report *fail = coop_last_failure(s);
    CHECK(fail == NULL, "task %s failed with %s at line %u", fail ? fail->name : "",
          fail ? coop_strerror(fail->error) : "", fail ? fail->line : 0);
    coop_sched_free(s);

    for (int i = 0; i < SMALL_CLIENTS; i++)
        CHECK(small[i].status == 1 && small[i].echoed == SMALL_TOTAL,
              "small client %d: status %d (%s) at line %d, %llu bytes", i, small[i].status,
              coop_strerror(small[i].status), small[i].line, (unsigned long long)small[i].echoed);
    CHECK(big.status == 1 && big.echoed == BIG_TOTAL, "big client: status %d (%s) at line %d, %llu bytes",
          big.status, coop_strerror(big.status), big.line, (unsigned long long)big.echoed);
    for (int i = 0; i < 2; i++)
        CHECK(idle[i].status == 1, "idle client %d: status %d (%s) at line %d", i, idle[i].status,
              coop_strerror(idle[i].status), idle[i].line);
    CHECK(rejected.status == 1, "third client: status %d (%s) at line %d", rejected.status,
          coop_strerror(rejected.status), rejected.line);

    /*
     * Server A: every data client ended by its own end of stream, the big
     * one made the server wait, and the lingering ones were shut down.
     */
    for (int i = 0; i < LINGER; i++)
        CHECK(linger[i].status == 0, "lingering client %d: status %d, but KillOs should have ended it", i,
              linger[i].status);
    CHECK(sa.accepted == SMALL_CLIENTS + 1 + LINGER, "A accepted %llu", (unsigned long long)sa.accepted);
    CHECK(sa.eof == SMALL_CLIENTS + 1, "A saw %llu ends of stream", (unsigned long long)sa.eof);
    CHECK(sa.errors == 0 && sa.idle_closed == 0 && sa.rejected == 0,
          "A: %llu errors, %llu idle, %llu rejected", (unsigned long long)sa.errors,
          (unsigned long long)sa.idle_closed, (unsigned long long)sa.rejected);
    CHECK(sa.bytes == (uint64_t)SMALL_CLIENTS * SMALL_TOTAL + BIG_TOTAL, "A echoed %llu bytes",
          (unsigned long long)sa.bytes);
    CHECK(sa.write_blocked > 0, "A never had to wait for a slow reader");
    CHECK(sa.active == 0 && sa.closed == sa.accepted, "A: %u active, %llu closed", sa.active,
          (unsigned long long)sa.closed);
    /* Server B: two clients closed for idleness, the third turned away. */
    CHECK(sb.accepted == 2 && sb.idle_closed == 2 && sb.rejected == 1,
          "B: %llu accepted, %llu idle, %llu rejected", (unsigned long long)sb.accepted,
          (unsigned long long)sb.idle_closed, (unsigned long long)sb.rejected);
    CHECK(sb.active == 0, "B: %u active", sb.active);

    int fds_after = count_fds();
    CHECK(fds_after == fds_before, "fds: %d before, %d after", fds_before, fds_after);
    if (verbose)
        fprintf(stderr, "A: %llu bytes, %llu blocked writes; fds %d -> %d\n", (unsigned long long)sa.bytes,
                (unsigned long long)sa.write_blocked, fds_before, fds_after);
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    else
        printf("ok\n");
    return failures ? 1 : 0;
}
