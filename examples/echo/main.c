/* echo-server: the echo tasks on the real backend, with options, a shutdown pipe and a raised fd limit. */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "coop/real.h"
#include "echo.h"

/* The write end of the self-pipe, for the signal handler; -1 when there is none. */
static volatile sig_atomic_t wake_fd = -1;

static void usage(FILE *f)
{
    fprintf(f, "usage: echo-server [--port N] [--idle-timeout-ms N] [--max-clients N] [-v]\n"
               "  --port N             TCP port on 127.0.0.1 (default 7000; 0 picks a free one)\n"
               "  --idle-timeout-ms N  close a client silent this long (default 30000; 0: never)\n"
               "  --max-clients N      close connections beyond N at once (default 4096; 0: no limit)\n"
               "  -v                   log connections and disconnections to stderr\n");
}

/* Parses a decimal number in [0, max]; returns 0 or -COOP_EINVAL. */
static int parse_num(const char *text, unsigned long long max, unsigned long long *out)
{
    if (!text || !*text || *text == '-')
        return -COOP_EINVAL;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end || v > max)
        return -COOP_EINVAL;
    *out = v;
    return 0;
}

struct args {
    uint16_t port;
    uint64_t idle_timeout_ms;
    uint32_t max_clients;
    bool verbose;
};

/* Returns 0, 1 after --help, or -COOP_EINVAL after printing what was wrong. */
static int parse_args(int argc, char **argv, struct args *a)
{
    *a = (struct args){ .port = 7000, .idle_timeout_ms = 30000, .max_clients = 4096 };
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        unsigned long long v = 0;
        if (strcmp(opt, "-v") == 0 || strcmp(opt, "--verbose") == 0) {
            a->verbose = true;
            continue;
        }
        if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0) {
            usage(stdout);
            return 1;
        }
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        int err = -COOP_EINVAL;
        if (strcmp(opt, "--port") == 0) {
            err = parse_num(val, UINT16_MAX, &v);
            a->port = (uint16_t)v;
        } else if (strcmp(opt, "--idle-timeout-ms") == 0) {
            /* Bounded so that the timeout still fits in int64_t nanoseconds. */
            err = parse_num(val, INT64_MAX / 1000000, &v);
            a->idle_timeout_ms = v;
        } else if (strcmp(opt, "--max-clients") == 0) {
            err = parse_num(val, UINT32_MAX, &v);
            a->max_clients = (uint32_t)v;
        } else {
            fprintf(stderr, "echo-server: unknown option '%s'\n", opt);
            usage(stderr);
            return -COOP_EINVAL;
        }
        if (err) {
            fprintf(stderr, "echo-server: %s needs a number in range, got '%s'\n", opt, val ? val : "");
            return err;
        }
        i++;
    }
    return 0;
}

static void log_stderr(void *ctx, coop_task *t, const char *line)
{
    (void)ctx;
    (void)t;
    fprintf(stderr, "echo-server: %s\n", line);
}

/* write() is async-signal-safe, and errno is restored because the handler may interrupt any call. */
static void on_signal(int sig)
{
    (void)sig;
    int saved = errno;
    int fd = wake_fd;
    if (fd >= 0)
        (void)!write(fd, "x", 1);
    errno = saved;
}

/*
 * A flag set by the handler would not be seen while the loop sleeps in
 * epoll_wait(), so the handler writes to a pipe instead, and this task,
 * waiting on the pipe's read end like on any socket, stops the loop.
 */
struct stopper {
    int fd; /* the pipe's read end; closed in the cleanup */
};

static int stopper_step(coop_task *t)
{
    struct stopper *st = coop_state(t);
    COOP_BEGIN(t);
    COOP_CALL(t, coop_stream_reader(t, st->fd));
    if (coop_result(t) < 0)
        COOP_FAIL(t, (int)coop_result(t));
    COOP_CALL(t, coop_stream_wait(t, 0));
    COOP_CALL(t, coop_kill_os(t));
    COOP_FINALLY(t);
    /* Closing here drops the registration, so the core does not close the fd a second time. */
    (void)coop_close(coop_task_sched(t), st->fd);
    COOP_END(t);
}

/* 1000 clients need more fds than the usual soft limit of 1024; the hard limit is ours to take. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
        return;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        fprintf(stderr, "echo-server: cannot raise the fd limit: %s\n", strerror(errno));
}

static int install_handlers(void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    struct args args;
    int r = parse_args(argc, argv, &args);
    if (r != 0)
        return r > 0 ? 0 : 2;
    raise_fd_limit();

    coop_config cfg;
    int err = coop_config_real(&cfg);
    if (err) {
        fprintf(stderr, "echo-server: no poller: %s\n", coop_strerror(err));
        return 1;
    }
    coop_sched *s = coop_sched_new(&cfg);
    if (!s) {
        cfg.poller.ops->destroy(cfg.poller.ctx);
        fprintf(stderr, "echo-server: cannot create the scheduler\n");
        return 1;
    }

    int status = 1;
    int pipefd[2] = { -1, -1 };
    /* Client tasks update it from their cleanup, so it lives until after coop_sched_free(). */
    struct coop_echo_stats stats = { 0 };
    if (pipe2(pipefd, O_NONBLOCK | O_CLOEXEC) != 0) {
        fprintf(stderr, "echo-server: pipe: %s\n", strerror(errno));
        goto out;
    }
    struct stopper st = { pipefd[0] };
    coop_task_spec spec = { .step = stopper_step, .name = "stopper", .state_size = sizeof(st), .init = &st };
    int64_t tid = coop_spawn(s, &spec);
    if (tid < 0) {
        fprintf(stderr, "echo-server: cannot start the stopper: %s\n", coop_strerror((int)tid));
        (void)close(pipefd[0]);
        goto out;
    }
    /* From here on the stopper task owns the read end. */
    wake_fd = pipefd[1];
    if (install_handlers(on_signal) != 0) {
        fprintf(stderr, "echo-server: sigaction: %s\n", strerror(errno));
        goto out;
    }

    struct coop_echo_options opts = {
        .port = args.port,
        .idle_timeout_ns = (int64_t)args.idle_timeout_ms * 1000000,
        .max_clients = args.max_clients,
        .log = args.verbose ? log_stderr : NULL,
        .stats = &stats,
    };
    int port = coop_echo_start(s, &opts);
    if (port < 0) {
        fprintf(stderr, "echo-server: cannot listen on %s:%u: %s\n", COOP_ECHO_DEFAULT_ADDR, args.port,
                coop_strerror(port));
        goto out;
    }
    printf("listening on %s:%d\n", COOP_ECHO_DEFAULT_ADDR, port);
    fflush(stdout);

    coop_loop_result lr = coop_mainloop(s, false, NULL);
    status = lr == COOP_LOOP_STOPPED ? 0 : 1;
    if (status)
        fprintf(stderr, "echo-server: the loop ended unexpectedly (%d)\n", (int)lr);
    if (args.verbose)
        fprintf(stderr,
                "echo-server: %llu accepted, %llu rejected, %llu closed (%llu eof, %llu idle, %llu errors), "
                "%llu bytes echoed, %llu blocked writes\n",
                (unsigned long long)stats.accepted, (unsigned long long)stats.rejected,
                (unsigned long long)stats.closed, (unsigned long long)stats.eof,
                (unsigned long long)stats.idle_closed, (unsigned long long)stats.errors,
                (unsigned long long)stats.bytes, (unsigned long long)stats.write_blocked);

out:
    /* The handlers go first, so that none can write to a pipe that is being closed. */
    (void)install_handlers(SIG_DFL);
    wake_fd = -1;
    /* Kills what is left; each cleanup still runs and closes its fds. */
    coop_sched_free(s);
    if (pipefd[1] >= 0)
        (void)close(pipefd[1]);
    return status;
}
