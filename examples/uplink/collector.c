/* The collector: accepts sensor nodes and acknowledges every sample they send, one task per node. */
#include <stdio.h>
#include <string.h>

#include "line.h"
#include "uplink.h"

struct acceptor {
    uint16_t port;
    int lfd, cfd; /* cfd: the connection being handed to a new task */
    coop_program_env log;
};

struct node {
    int fd;
    char name[COOP_UPLINK_NAME_MAX + 1];
    struct line_buf in;
    coop_program_env log;
};

/* Answers one line; false when the node broke the protocol. */
static bool answer(struct node *d, coop_task *t, const char *line)
{
    char reply[LINE_MAX_BYTES];
    long long n, v;
    char name[COOP_UPLINK_NAME_MAX + 1];
    if (sscanf(line, "HELLO %31s", name) == 1) {
        strcpy(d->name, name);
        coop_program_log(&d->log, t, "%s says hello", d->name);
        strcpy(reply, "OK\n");
    } else if (d->name[0] && sscanf(line, "S %lld %lld", &n, &v) == 2) {
        coop_program_log(&d->log, t, "%s sample %lld = %lld", d->name, n, v);
        snprintf(reply, sizeof(reply), "A %lld\n", n);
    } else {
        coop_program_log(&d->log, t, "bad line \"%s\"", line);
        return false;
    }
    /* Answers are a few bytes and one is outstanding at a time: they always fit the send buffer. */
    (void)coop_write(coop_task_sched(t), d->fd, reply, strlen(reply));
    return true;
}

static int node_step(coop_task *t)
{
    struct node *d = coop_state(t);
    COOP_BEGIN(t);
    COOP_CALL(t, coop_stream_reader(t, d->fd));
    for (;;) {
        COOP_CALL(t, coop_stream_wait(t, 0));
        {
            char buf[LINE_MAX_BYTES], line[LINE_MAX_BYTES];
            long n = coop_read(coop_task_sched(t), d->fd, buf, sizeof(buf));
            if (n == -COOP_EAGAIN)
                continue;
            if (n <= 0) {
                coop_program_log(&d->log, t, "%s gone (%s)", d->name[0] ? d->name : "node",
                                 n == 0 ? "end of stream" : coop_strerror((int)n));
                break;
            }
            if (!line_feed(&d->in, buf, (size_t)n))
                break;
            bool ok = true;
            while (ok && line_take(&d->in, line))
                ok = answer(d, t, line);
            if (!ok)
                break;
        }
    }
    /* The task's fd closes as it ends. */
    COOP_END(t);
}

static int acceptor_step(coop_task *t)
{
    struct acceptor *a = coop_state(t);
    coop_sched *s = coop_task_sched(t);
    COOP_BEGIN(t);
    COOP_CALL(t, coop_stream_reader(t, a->lfd));
    for (;;) {
        COOP_CALL(t, coop_stream_wait(t, 0));
        a->cfd = coop_accept(s, a->lfd);
        if (a->cfd < 0)
            continue;
        {
            struct node d = { .fd = a->cfd, .log = a->log };
            COOP_CALL(t, coop_create_task(t, &(coop_task_spec){ .step = node_step,
                                                                .name = "node",
                                                                .state_size = sizeof(d),
                                                                .init = &d }));
        }
        if (coop_result(t) < 0) {
            coop_program_log(&a->log, t, "no task for a node (%s)", coop_strerror((int)coop_result(t)));
            (void)coop_close(s, a->cfd);
        }
    }
    COOP_END(t);
}

int coop_collector_start(coop_sched *s, const struct coop_collector_options *opts)
{
    struct acceptor a = { .port = opts->port ? opts->port : 7000, .log = opts->log };
    a.lfd = coop_listen(s, "0.0.0.0", a.port, 16);
    if (a.lfd < 0)
        return a.lfd;
    int64_t tid = coop_spawn(
        s,
        &(coop_task_spec){ .step = acceptor_step, .name = "collector", .state_size = sizeof(a), .init = &a });
    if (tid < 0) {
        (void)coop_close(s, a.lfd);
        return (int)tid;
    }
    return 0;
}
