/* The echo server's tasks: an acceptor, and per client an echo loop that applies backpressure. */
#include <stdarg.h>
#include <stdio.h>

#include "echo.h"

/* Connections accepted per wake-up, so that a flood of them cannot starve the clients. */
#define ACCEPT_BATCH 64

/* How long the acceptor rests when accept() fails for want of fds or memory. */
#define ACCEPT_BACKOFF_NS COOP_MS(100)

/* client.why while the task runs; a kill (KillOs, KillTask) leaves it so. */
#define WHY_RUNNING 1

#if defined(__GNUC__) || defined(__clang__)
#define ECHO_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define ECHO_PRINTF(fmt, args)
#endif

/*
 * The acceptor owns the listening socket.  `active` counts the client
 * tasks alive; it is the only thing clients touch in another task's
 * state, and they reach it through coop_task_find() by tid, never by a
 * pointer: tids are never reused, so a client whose acceptor has already
 * ended (KillOs ends tasks in tid order, acceptor first) finds nothing
 * instead of freed memory.
 */
struct acceptor {
    int fd;                  /* the listening socket; closed in the cleanup */
    int new_fd;              /* accepted but not yet handed to a client task; -1: none */
    int batch;               /* connections accepted since the last StreamWait */
    uint32_t active;         /* client tasks alive, counting one being created */
    uint32_t max_clients;    /* 0: no limit */
    int64_t idle_timeout_ns; /* <= 0: none */
    coop_echo_log_fn log;
    void *log_ctx;
    struct coop_echo_stats *stats; /* NULL: no counters */
};

/*
 * One connection.  Bytes buf[off, len) have been read and not yet written
 * back; while there are any, the task is registered for writability only
 * and reads nothing, so a peer that does not read stops being read from
 * and TCP's flow control pushes back on it instead of coop buffering.
 */
struct client {
    int fd;                  /* the connection; closed in the cleanup */
    uint32_t acceptor_tid;   /* whose `active` to decrement at the end */
    int64_t idle_timeout_ns; /* <= 0: none */
    coop_echo_log_fn log;
    void *log_ctx;
    struct coop_echo_stats *stats;
    int why;      /* WHY_RUNNING; 0: peer's end of stream; else a negative COOP_E* code */
    int writing;  /* 1 while registered for writability, 0 for readability */
    uint32_t off; /* first unsent byte of buf */
    uint32_t len; /* end of the read bytes in buf; off == len: nothing pending */
    unsigned char buf[COOP_ECHO_BUF];
};

static void elog(coop_task *t, coop_echo_log_fn log, void *ctx, const char *fmt, ...) ECHO_PRINTF(4, 5);

static void elog(coop_task *t, coop_echo_log_fn log, void *ctx, const char *fmt, ...)
{
    if (!log)
        return;
    char line[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    log(ctx, t, line);
}

/*
 * Writes buf[off, len) until it is all sent or the socket is full.
 * Returns 0 either way, or a negative COOP_E* code when the connection is
 * broken.
 */
static int flush_pending(coop_sched *s, struct client *c)
{
    while (c->off < c->len) {
        long n = coop_write(s, c->fd, c->buf + c->off, c->len - c->off);
        if (n == -COOP_EAGAIN)
            return 0;
        if (n < 0)
            return (int)n;
        c->off += (uint32_t)n;
        if (c->stats)
            c->stats->bytes += (uint64_t)n;
    }
    c->off = c->len = 0;
    return 0;
}

static const char *why_text(int why)
{
    if (why == WHY_RUNNING)
        return "shut down";
    if (why == 0)
        return "end of stream";
    if (why == -COOP_ETIMEDOUT)
        return "idle timeout";
    return coop_strerror(why);
}

/* Records why the client ends, then ends it; the cleanup reads `why`. */
#define CLIENT_END(t, c, reason)  \
    do {                          \
        (c)->why = (reason);      \
        COOP_EXIT((t), (c)->why); \
    } while (0)

static int client_step(coop_task *t)
{
    struct client *c = coop_state(t);
    coop_sched *s = coop_task_sched(t);
    COOP_BEGIN(t);
    c->why = WHY_RUNNING;
    elog(t, c->log, c->log_ctx, "client fd %d connected (tid %u)", c->fd, coop_task_tid(t));
    COOP_CALL(t, coop_stream_reader(t, c->fd));
    if (coop_result(t) < 0)
        CLIENT_END(t, c, (int)coop_result(t));
    for (;;) {
        COOP_CALL(t, coop_stream_wait(t, c->idle_timeout_ns > 0 ? c->idle_timeout_ns : 0));
        /* -COOP_ETIMEDOUT lands here too: the peer neither sent nor read for the whole timeout. */
        if (coop_result(t) < 0)
            CLIENT_END(t, c, (int)coop_result(t));
        if (c->off == c->len) {
            long n = coop_read(s, c->fd, c->buf, sizeof(c->buf));
            /* StreamWait may wake spuriously; waiting again is the answer. */
            if (n == -COOP_EAGAIN)
                continue;
            if (n <= 0)
                CLIENT_END(t, c, (int)n);
            c->off = 0;
            c->len = (uint32_t)n;
        }
        {
            int err = flush_pending(s, c);
            if (err < 0)
                CLIENT_END(t, c, err);
        }
        if (c->off < c->len && !c->writing) {
            c->writing = 1;
            if (c->stats)
                c->stats->write_blocked++;
            COOP_CALL(t, coop_stream_writer(t, c->fd));
            if (coop_result(t) < 0)
                CLIENT_END(t, c, (int)coop_result(t));
        } else if (c->off == c->len && c->writing) {
            c->writing = 0;
            COOP_CALL(t, coop_stream_reader(t, c->fd));
            if (coop_result(t) < 0)
                CLIENT_END(t, c, (int)coop_result(t));
        }
    }
    COOP_FINALLY(t);
    /*
     * The fd is closed here rather than left to the core.  The core's
     * end-of-task code runs this cleanup first and only then closes the
     * fds still registered to the task; coop_close() drops the
     * registration as it closes, so the core finds nothing left and the fd
     * is closed exactly once.  Closing here also covers a task that ended
     * before its registration took effect, whose fd the core never knew.
     */
    (void)coop_close(s, c->fd);
    {
        coop_task *acc = coop_task_find(s, c->acceptor_tid);
        if (acc)
            ((struct acceptor *)coop_state(acc))->active--;
    }
    if (c->stats) {
        c->stats->closed++;
        c->stats->active--;
        if (c->why == 0)
            c->stats->eof++;
        else if (c->why == -COOP_ETIMEDOUT)
            c->stats->idle_closed++;
        else if (c->why != WHY_RUNNING)
            c->stats->errors++;
    }
    elog(t, c->log, c->log_ctx, "client fd %d closed: %s", c->fd, why_text(c->why));
    COOP_END(t);
}

/*
 * Builds the client task for a->new_fd and yields it as CreateTask.  The
 * constructor copies the initial state at once, so the 4 KiB of it may
 * live on this function's stack.
 */
static int create_client(coop_task *t, const struct acceptor *a)
{
    struct client init = {
        .fd = a->new_fd,
        .acceptor_tid = coop_task_tid(t),
        .idle_timeout_ns = a->idle_timeout_ns,
        .log = a->log,
        .log_ctx = a->log_ctx,
        .stats = a->stats,
        .why = WHY_RUNNING,
    };
    coop_task_spec spec = {
        .step = client_step, .name = "echo-client", .state_size = sizeof(init), .init = &init
    };
    return coop_create_task(t, &spec);
}

/* Failures of accept() that concern one connection only, or pass by themselves. */
static bool accept_error_is_transient(int err)
{
    return err == -COOP_ECONNABORTED || err == -COOP_ECONNRESET || err == -COOP_EPERM || err == -COOP_EINTR ||
           err == -COOP_EIO;
}

static int acceptor_step(coop_task *t)
{
    struct acceptor *a = coop_state(t);
    coop_sched *s = coop_task_sched(t);
    COOP_BEGIN(t);
    COOP_CALL(t, coop_stream_reader(t, a->fd));
    if (coop_result(t) < 0)
        COOP_FAIL(t, (int)coop_result(t));
    for (;;) {
        COOP_CALL(t, coop_stream_wait(t, 0));
        if (coop_result(t) < 0)
            COOP_FAIL(t, (int)coop_result(t));
        for (a->batch = 0; a->batch < ACCEPT_BATCH; a->batch++) {
            a->new_fd = coop_accept(s, a->fd);
            if (a->new_fd == -COOP_EAGAIN) {
                a->new_fd = -1;
                break;
            }
            if (a->new_fd == -COOP_EMFILE || a->new_fd == -COOP_ENOMEM) {
                /* The connection stays in the backlog; retrying at once would spin on a readable socket. */
                elog(t, a->log, a->log_ctx, "accept: %s; retrying in 100 ms", coop_strerror(a->new_fd));
                a->new_fd = -1;
                COOP_CALL(t, coop_wait(t, ACCEPT_BACKOFF_NS));
                break;
            }
            if (a->new_fd < 0) {
                int err = a->new_fd;
                a->new_fd = -1;
                if (accept_error_is_transient(err))
                    continue;
                COOP_FAIL(t, err);
            }
            if (a->max_clients && a->active >= a->max_clients) {
                elog(t, a->log, a->log_ctx, "client fd %d rejected: %u clients already", a->new_fd,
                     a->active);
                (void)coop_close(s, a->new_fd);
                a->new_fd = -1;
                if (a->stats)
                    a->stats->rejected++;
                continue;
            }
            /*
             * Counted before the task exists, because its setup runs inside
             * CreateTask and may already end it, whose cleanup then counts
             * it out again.
             */
            a->active++;
            if (a->stats)
                a->stats->active++;
            COOP_CALL(t, create_client(t, a));
            if (coop_result(t) < 0) {
                /* The task never ran, so its cleanup did not close the fd. */
                elog(t, a->log, a->log_ctx, "client fd %d rejected: %s", a->new_fd,
                     coop_strerror((int)coop_result(t)));
                (void)coop_close(s, a->new_fd);
                a->active--;
                if (a->stats) {
                    a->stats->active--;
                    a->stats->rejected++;
                }
            } else if (a->stats) {
                a->stats->accepted++;
            }
            a->new_fd = -1;
        }
    }
    COOP_FINALLY(t);
    /*
     * A kill between CreateTask and the resume that reads its result leaves
     * new_fd set; the result, still in place, says whether the client task
     * took the fd over or never ran.
     */
    if (a->new_fd >= 0 && coop_result(t) < 0)
        (void)coop_close(s, a->new_fd);
    /* As for clients: closing here drops the registration, so the core does not close it again. */
    (void)coop_close(s, a->fd);
    COOP_END(t);
}

int coop_echo_start(coop_sched *s, const struct coop_echo_options *opts)
{
    static const struct coop_echo_options defaults;
    if (!s)
        return -COOP_EINVAL;
    if (!opts)
        opts = &defaults;
    int fd = coop_listen(s, opts->addr ? opts->addr : COOP_ECHO_DEFAULT_ADDR, opts->port, opts->backlog);
    if (fd < 0)
        return fd;
    int port = coop_local_port(s, fd);
    if (port < 0)
        goto fail;
    struct acceptor init = {
        .fd = fd,
        .new_fd = -1,
        .max_clients = opts->max_clients,
        .idle_timeout_ns = opts->idle_timeout_ns,
        .log = opts->log,
        .log_ctx = opts->log_ctx,
        .stats = opts->stats,
    };
    coop_task_spec spec = {
        .step = acceptor_step, .name = "echo-acceptor", .state_size = sizeof(init), .init = &init
    };
    int64_t tid = coop_spawn(s, &spec);
    if (tid < 0) {
        port = (int)tid;
        goto fail;
    }
    return port;
fail:
    (void)coop_close(s, fd);
    return port;
}
