/* Running a program on the real backend: timestamped log lines, a time limit, and SIGINT or SIGTERM as KillOs. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "coop/program.h"
#include "coop/real.h"

/*
 * A run's state.  The scheduler's poller is the real one with two slots
 * replaced: wait() also watches the wake pipe and the deadline, and ends
 * the run from there, between steps, where coop_shutdown is allowed;
 * destroy() first drops the wake pipe, which the real poller must not
 * close.  stopping is set once, with end.
 */
struct run {
    coop_poller_ops ops; /* a copy of the real poller's table, with wait and destroy replaced */
    const coop_poller_ops *real;
    coop_sched *s;
    uint64_t start_ns;
    uint64_t deadline_ns; /* 0: no time limit */
    bool stopping;
    coop_run_end end; /* valid once stopping */
    void (*out)(void *ctx, const char *line);
    void *out_ctx;
    coop_program_env env;
};

/*
 * What the signal handler can reach: static storage only, so there is one
 * run at a time.  The handler sets signalled, then writes a byte to the
 * wake pipe, so a wait that starts after the flag was last checked still
 * returns at once (the self-pipe trick).  Both ends are non-blocking, and
 * -1 while no run watches signals.
 */
static volatile sig_atomic_t signalled;
static int wake_fd[2] = { -1, -1 };
static struct run *active;

static void on_signal(int sig)
{
    (void)sig;
    int saved = errno;
    signalled = 1;
    if (wake_fd[1] >= 0) {
        ssize_t n = write(wake_fd[1], "!", 1);
        (void)n; /* a full pipe already wakes the loop */
    }
    errno = saved;
}

const char *coop_run_end_name(coop_run_end end)
{
    static const char *const names[] = { "ended", "stopped", "interrupted", "time-up", "blocked", "failed" };
    return (unsigned)end < sizeof(names) / sizeof(names[0]) ? names[end] : "?";
}

/* Ends the run if a signal came or the time is up; true once the run is ending. */
static bool run_should_stop(struct run *r)
{
    if (r->stopping)
        return true;
    if (signalled)
        r->end = COOP_RUN_INTERRUPTED;
    else if (r->deadline_ns && coop_now_ns(r->s) >= r->deadline_ns)
        r->end = COOP_RUN_TIME_UP;
    else
        return false;
    r->stopping = true;
    coop_shutdown(r->s);
    return true;
}

static int run_wait(void *ctx, int64_t timeout_ns, coop_poll_event *out, int max)
{
    struct run *r = active;
    if (run_should_stop(r))
        return 0;
    if (r->deadline_ns) {
        uint64_t now = coop_now_ns(r->s);
        int64_t left = now < r->deadline_ns ? (int64_t)(r->deadline_ns - now) : 0;
        if (timeout_ns < 0 || timeout_ns > left)
            timeout_ns = left;
    }
    int n = r->real->wait(ctx, timeout_ns, out, max);
    int kept = 0;
    for (int i = 0; i < n; i++)
        if (out[i].fd != wake_fd[0])
            out[kept++] = out[i];
    if (run_should_stop(r))
        return 0;
    return n < 0 ? n : kept;
}

static void run_destroy(void *ctx)
{
    struct run *r = active;
    if (wake_fd[0] >= 0)
        (void)r->real->del(ctx, wake_fd[0]);
    r->real->destroy(ctx);
}

static void print_line(void *ctx, const char *line)
{
    (void)ctx;
    printf("%s\n", line);
    fflush(stdout);
}

/* "   1.250000 s  led#1                text": the layout of the text trace, in microseconds. */
static void run_log(void *ctx, coop_task *t, const char *text)
{
    struct run *r = ctx;
    uint64_t ns = coop_now_ns(r->s) - r->start_ns;
    char who[COOP_NAME_MAX + 16] = "-";
    if (t)
        snprintf(who, sizeof(who), "%s#%u", coop_task_name(t), (unsigned)coop_task_tid(t));
    char line[400];
    snprintf(line, sizeof(line), "%6llu.%06llu s  %-20s %s", (unsigned long long)(ns / 1000000000u),
             (unsigned long long)(ns % 1000000000u / 1000u), who, text);
    r->out(r->out_ctx, line);
}

/* The handlers reset themselves (SA_RESETHAND), so a second signal ends a process that does not stop. */
static int signals_watch(struct sigaction old[2])
{
    /* pipe() and fcntl() rather than pipe2(), which not every POSIX system has. */
    if (pipe(wake_fd) != 0)
        return -coop__errno_to_coop(errno);
    for (int i = 0; i < 2; i++) {
        fcntl(wake_fd[i], F_SETFL, fcntl(wake_fd[i], F_GETFL) | O_NONBLOCK);
        fcntl(wake_fd[i], F_SETFD, FD_CLOEXEC);
    }
    signalled = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = (int)SA_RESETHAND;
    sigaction(SIGINT, &sa, &old[0]);
    sigaction(SIGTERM, &sa, &old[1]);
    return 0;
}

static void signals_unwatch(const struct sigaction old[2])
{
    sigaction(SIGINT, &old[0], NULL);
    sigaction(SIGTERM, &old[1], NULL);
    close(wake_fd[0]);
    close(wake_fd[1]);
    wake_fd[0] = wake_fd[1] = -1;
    signalled = 0;
}

static coop_run_end end_of(coop_loop_result lr)
{
    switch (lr) {
    case COOP_LOOP_EMPTY:
        return COOP_RUN_ENDED;
    case COOP_LOOP_STOPPED:
        return COOP_RUN_STOPPED;
    case COOP_LOOP_FAILED:
        return COOP_RUN_FAILED;
    case COOP_LOOP_BLOCKED:
        break;
    }
    return COOP_RUN_BLOCKED;
}

/* Sets the scheduler up with the run's poller; 0, or a negative COOP_E* code with nothing left to free. */
static int run_sched_new(struct run *r)
{
    coop_config cfg;
    int err = coop_config_real(&cfg);
    if (err)
        return err;
    r->real = cfg.poller.ops;
    r->ops = *cfg.poller.ops;
    r->ops.wait = run_wait;
    r->ops.destroy = run_destroy;
    cfg.poller.ops = &r->ops;
    if (wake_fd[0] >= 0 && (err = r->real->add(cfg.poller.ctx, wake_fd[0], COOP_EV_READ)) != 0) {
        r->real->destroy(cfg.poller.ctx);
        return err;
    }
    r->s = coop_sched_new(&cfg);
    if (!r->s) {
        run_destroy(cfg.poller.ctx);
        return -COOP_ENOMEM;
    }
    return 0;
}

int coop_program_run(const coop_program *program, int argc, char **argv, const coop_run_options *opts,
                     coop_run_result *res)
{
    static const coop_run_options defaults;
    if (!opts)
        opts = &defaults;
    if (!program || !program->start || !res)
        return -COOP_EINVAL;
    if (active)
        return -COOP_EBUSY;
    struct run r = { .out = opts->out ? opts->out : print_line, .out_ctx = opts->out_ctx };
    r.env = (coop_program_env){ .log = run_log, .ctx = &r };
    active = &r;
    struct sigaction old[2];
    int err = opts->keep_signals ? 0 : signals_watch(old);
    bool watching = err == 0 && !opts->keep_signals;
    if (err == 0)
        err = run_sched_new(&r);
    if (err == 0) {
        r.start_ns = coop_now_ns(r.s);
        if (opts->duration_ns > 0)
            r.deadline_ns = r.start_ns + (uint64_t)opts->duration_ns;
        err = program->start(r.s, &r.env, argc, argv);
    }
    if (err == 0) {
        coop_loop_result lr = coop_mainloop(r.s, opts->stop_on_error, NULL);
        memset(res, 0, sizeof(*res));
        res->end = r.stopping ? r.end : end_of(lr);
        res->elapsed_ns = coop_now_ns(r.s) - r.start_ns;
        const coop_report *f = coop_last_failure(r.s);
        if (f) {
            res->failed = true;
            res->failure = *f;
        }
    }
    if (r.s)
        coop_sched_free(r.s);
    if (watching)
        signals_unwatch(old);
    active = NULL;
    return err;
}
