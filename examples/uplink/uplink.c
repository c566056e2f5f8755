/* The sensor node: a sampler that queues readings and an uplink that delivers them, one at a time, to a collector. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "line.h"
#include "uplink.h"

enum awaiting { AWAIT_NOTHING, AWAIT_OK, AWAIT_ACK };

struct sample {
    int64_t n, value;
};

struct uplink {
    struct coop_uplink_options o; /* server and name point into the arrays below */
    char server[16];
    char name[COOP_UPLINK_NAME_MAX + 1];
    int fd;
    int awaiting;         /* enum awaiting */
    bool online;          /* the collector said OK on this connection */
    uint64_t deadline_ns; /* for the answer awaited */
    int64_t backoff_ns;   /* the next wait before a new connection */
    struct sample queue[COOP_UPLINK_QUEUE];
    unsigned head, count;
    struct line_buf in;
};

struct sampler {
    uint32_t uplink_tid;
    int64_t n;
    coop_program_env log;
};

int64_t coop_uplink_sensor(int64_t n) { return 200 + (n * 37) % 50; }

#define ULOG(u, t, ...) coop_program_log(&(u)->o.log, (t), __VA_ARGS__)

/* ---- The uplink ---- */

/*
 * A line this small fits an empty send buffer, so a short write means the
 * collector has stopped reading; the answer's timeout then resets the
 * connection, which is all a stop-and-wait sender can do about it.
 */
static void send_line(struct uplink *u, coop_task *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void send_line(struct uplink *u, coop_task *t, const char *fmt, ...)
{
    char line[LINE_MAX_BYTES];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    long n = coop_write(coop_task_sched(t), u->fd, line, (size_t)len);
    if (n != len)
        ULOG(u, t, "send stalled (%s)", n < 0 ? coop_strerror((int)n) : "short write");
}

static void await(struct uplink *u, coop_task *t, int what)
{
    u->awaiting = what;
    u->deadline_ns = coop_now_ns(coop_task_sched(t)) + (uint64_t)u->o.answer_timeout_ns;
}

static void send_head(struct uplink *u, coop_task *t)
{
    const struct sample *x = &u->queue[u->head];
    send_line(u, t, "S %lld %lld\n", (long long)x->n, (long long)x->value);
    await(u, t, AWAIT_ACK);
}

static void handle_line(struct uplink *u, coop_task *t, const char *line)
{
    long long n;
    if (u->awaiting == AWAIT_OK && !strcmp(line, "OK")) {
        u->online = true;
        u->awaiting = AWAIT_NOTHING;
        ULOG(u, t, "online");
    } else if (u->awaiting == AWAIT_ACK && sscanf(line, "A %lld", &n) == 1 && n == u->queue[u->head].n) {
        u->head = (u->head + 1) % COOP_UPLINK_QUEUE;
        u->count--;
        u->awaiting = AWAIT_NOTHING;
    } else {
        ULOG(u, t, "unexpected \"%s\"", line);
    }
}

/* Ends the connection; reset: abortively, so that the collector cannot keep a half-dead one. */
static void hang_up(struct uplink *u, coop_task *t, bool reset)
{
    coop_sched *s = coop_task_sched(t);
    (void)(reset ? coop_close_reset(s, u->fd) : coop_close(s, u->fd));
    u->fd = -1;
}

/* What woke the uplink during a session; false once the connection is over. */
static bool on_wake(struct uplink *u, coop_task *t)
{
    const coop_call_result *r = coop_result_of(t);
    if (r->signal)
        return true; /* a new sample: the session loop sends it if nothing is awaited */
    if (r->code == -COOP_ETIMEDOUT) {
        ULOG(u, t, "no answer within %lld ms: reset", (long long)(u->o.answer_timeout_ns / 1000000));
        hang_up(u, t, true);
        return false;
    }
    char buf[LINE_MAX_BYTES];
    long n = coop_read(coop_task_sched(t), u->fd, buf, sizeof(buf));
    if (n == -COOP_EAGAIN)
        return true;
    if (n <= 0) {
        ULOG(u, t, "connection lost (%s)", n == 0 ? "end of stream" : coop_strerror((int)n));
        hang_up(u, t, false);
        return false;
    }
    if (!line_feed(&u->in, buf, (size_t)n)) {
        ULOG(u, t, "line too long: reset");
        hang_up(u, t, true);
        return false;
    }
    char line[LINE_MAX_BYTES];
    while (line_take(&u->in, line))
        handle_line(u, t, line);
    return true;
}

/* The time left for the awaited answer; at least 1 ns, since a timeout of 0 means none. */
static int64_t time_left(const struct uplink *u, coop_task *t)
{
    uint64_t now = coop_now_ns(coop_task_sched(t));
    return u->deadline_ns > now ? (int64_t)(u->deadline_ns - now) : 1;
}

static int uplink_step(coop_task *t)
{
    static const char *const sample_signal[] = { "sample" };
    struct uplink *u = coop_state(t);
    COOP_BEGIN(t);
    u->backoff_ns = u->o.backoff_min_ns;
    COOP_YIELD(t); /* no I/O in the setup: the first connection is made by the first step */
    for (;;) {
        COOP_CALL(t, coop_dial(t, u->server, u->o.port, u->o.connect_timeout_ns));
        u->fd = (int)coop_result(t);
        if (u->fd < 0) {
            ULOG(u, t, "connect failed (%s)", coop_strerror(u->fd));
        } else {
            ULOG(u, t, "connected");
            line_reset(&u->in);
            u->online = false;
            send_line(u, t, "HELLO %s\n", u->name);
            await(u, t, AWAIT_OK);
            do {
                if (u->awaiting == AWAIT_NOTHING && u->count > 0)
                    send_head(u, t);
                /* Idle, the uplink also watches its socket, so a reset is noticed at once. */
                if (u->awaiting == AWAIT_NOTHING)
                    COOP_CALL(t, coop_wait_any(t, sample_signal, 1, 0));
                else
                    COOP_CALL(t, coop_wait_any(t, NULL, 0, time_left(u, t)));
            } while (on_wake(u, t));
            if (u->online)
                u->backoff_ns = u->o.backoff_min_ns;
        }
        ULOG(u, t, "retry in %lld ms", (long long)(u->backoff_ns / 1000000));
        COOP_CALL(t, coop_wait(t, u->backoff_ns));
        u->backoff_ns = u->backoff_ns * 2 < u->o.backoff_max_ns ? u->backoff_ns * 2 : u->o.backoff_max_ns;
    }
    COOP_END(t);
}

/* ---- The sampler ---- */

static void enqueue(struct uplink *u, coop_task *sampler, int64_t n)
{
    if (u->count == COOP_UPLINK_QUEUE) {
        ULOG(u, sampler, "queue full: sample %lld dropped", (long long)u->queue[u->head].n);
        u->head = (u->head + 1) % COOP_UPLINK_QUEUE;
        u->count--;
    }
    u->queue[(u->head + u->count) % COOP_UPLINK_QUEUE] = (struct sample){ n, coop_uplink_sensor(n) };
    u->count++;
}

static int sampler_step(coop_task *t)
{
    struct sampler *p = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t); /* the setup: the first sample is taken one period after the start */
    for (;;) {
        p->n++;
        {
            coop_task *up = coop_task_find(coop_task_sched(t), p->uplink_tid);
            if (up)
                enqueue(coop_state(up), t, p->n);
            else
                coop_program_log(&p->log, t, "no uplink: sample %lld lost", (long long)p->n);
        }
        /* Each period ends with the signal, which the uplink hears only when it is idle. */
        COOP_CALL(t, coop_send_signal(t, "sample", p->n, 0));
    }
    COOP_END(t);
}

static int64_t or_default(int64_t v, int64_t d) { return v > 0 ? v : d; }

int coop_uplink_start(coop_sched *s, const struct coop_uplink_options *opts)
{
    struct uplink u = { .o = *opts, .fd = -1 };
    const char *name = opts->name ? opts->name : "sensor";
    if (!opts->server || strlen(opts->server) >= sizeof(u.server) || strlen(name) > COOP_UPLINK_NAME_MAX)
        return -COOP_EINVAL;
    strcpy(u.server, opts->server);
    strcpy(u.name, name);
    u.o.server = NULL;
    u.o.name = NULL;
    u.o.port = opts->port ? opts->port : 7000;
    u.o.period_ns = or_default(opts->period_ns, COOP_S(1));
    u.o.connect_timeout_ns = or_default(opts->connect_timeout_ns, COOP_S(2));
    u.o.answer_timeout_ns = or_default(opts->answer_timeout_ns, COOP_S(1));
    u.o.backoff_min_ns = or_default(opts->backoff_min_ns, COOP_MS(500));
    u.o.backoff_max_ns = or_default(opts->backoff_max_ns, COOP_S(30));
    if (u.o.backoff_max_ns < u.o.backoff_min_ns)
        return -COOP_EINVAL;
    int64_t tid = coop_spawn(
        s, &(coop_task_spec){ .step = uplink_step, .name = "uplink", .state_size = sizeof(u), .init = &u });
    if (tid < 0)
        return (int)tid;
    struct sampler p = { .uplink_tid = (uint32_t)tid, .log = opts->log };
    int64_t err = coop_spawn(s, &(coop_task_spec){ .step = sampler_step,
                                                   .name = "sampler",
                                                   .state_size = sizeof(p),
                                                   .init = &p,
                                                   .period_ns = u.o.period_ns,
                                                   .late = opts->late });
    if (err < 0) {
        (void)coop_kill(s, (uint32_t)tid);
        return (int)err;
    }
    return 0;
}
