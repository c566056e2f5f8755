/* probe: small task programs, one per mode, that exercise each call of the core for the scenario corpus. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "programs.h"

/*
 * Every probe task starts its state with this, so it can log; `arg` carries a mode's parameter (a period, a
 * tid, an fd).  Counters and results that must survive a yield live here too, never in locals.
 */
struct probe {
    const coop_program_env *env;
    int64_t arg;
    int64_t n;
    int64_t fd, cfd;
    uint32_t other;
    char buf[128];
    void *mem; /* leak modes: what coop_mem_alloc gave */
};

#define LOG(t, ...) coop_program_log(((struct probe *)coop_state(t))->env, (t), __VA_ARGS__)

static int64_t spawn(coop_sched *s, const coop_program_env *env, coop_step_fn step, const char *name,
                     int prio, int64_t period_ms, int64_t t2r_ms, int64_t arg)
{
    struct probe init = { .env = env, .arg = arg, .fd = -1, .cfd = -1 };
    coop_task_spec spec = { .step = step,
                            .name = name,
                            .state_size = sizeof(init),
                            .init = &init,
                            .prio = prio,
                            .period_ns = COOP_MS(period_ms),
                            .time2run_ns = COOP_MS(t2r_ms) };
    return coop_spawn(s, &spec);
}

/* ---- get-task-ref, get-task-dict ---- */

static int idler(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait(t, COOP_MS(100)));
    COOP_END(t);
}

static int ref_step(coop_task *t)
{
    struct probe *p = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    COOP_CALL(t, coop_get_task_ref(t));
    LOG(t, "ref tid=%lld", (long long)coop_result(t));
    COOP_CALL(t, coop_get_task_dict(t));
    LOG(t, "dict count=%lld", (long long)coop_result(t));
    {
        coop_task_iter it;
        coop_task_iter_init(&it, coop_task_sched(t));
        p->buf[0] = '\0';
        for (coop_task *o; (o = coop_task_iter_next(&it));) {
            size_t n = strlen(p->buf);
            snprintf(p->buf + n, sizeof(p->buf) - n, "%s%s", n ? "," : "", coop_task_name(o));
        }
    }
    LOG(t, "dict names=%s", p->buf);
    COOP_END(t);
}

/* ---- add-task, create-task ---- */

static int child_step(coop_task *t)
{
    COOP_BEGIN(t);
    LOG(t, "child setup");
    COOP_YIELD(t);
    LOG(t, "child runs");
    COOP_EXIT(t, 3);
    COOP_END(t);
}

static int adder_step(coop_task *t)
{
    struct probe *p = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    {
        struct probe init = { .env = p->env };
        coop_task_spec spec = {
            .step = child_step, .name = "child", .state_size = sizeof(init), .init = &init
        };
        if (p->arg == 0) {
            coop_task *c = coop_task_new(coop_task_sched(t), &spec);
            if (!c)
                COOP_FAIL(t, -COOP_ENOMEM);
            COOP_CALL(t, coop_add_task(t, c));
        } else {
            COOP_CALL(t, coop_create_task(t, &spec));
        }
    }
    LOG(t, "%s resumed with tid %lld", p->arg == 0 ? "AddTask" : "CreateTask", (long long)coop_result(t));
    p->other = (uint32_t)coop_result(t);
    COOP_CALL(t, coop_wait_task(t, p->other));
    LOG(t, "child ended with status %lld", (long long)coop_result(t));
    COOP_END(t);
}

/* ---- kill-task, wait-task ---- */

static int victim_step(coop_task *t)
{
    struct probe *p = coop_state(t);
    COOP_BEGIN(t);
    for (;;) {
        p->n++;
        COOP_YIELD(t);
    }
    COOP_FINALLY(t);
    LOG(t, "cleanup after %lld runs", (long long)p->n);
    COOP_END(t);
}

static int killer_step(coop_task *t)
{
    struct probe *p = coop_state(t);
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait(t, COOP_MS(35)));
    COOP_CALL(t, coop_kill_task(t, (uint32_t)p->arg));
    LOG(t, "KillTask %lld -> %lld", (long long)p->arg, (long long)coop_result(t));
    COOP_CALL(t, coop_kill_task(t, (uint32_t)p->arg));
    LOG(t, "KillTask again -> %lld", (long long)coop_result(t));
    COOP_END(t);
}

static int worker_step(coop_task *t)
{
    struct probe *p = coop_state(t);
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait(t, COOP_MS(p->arg)));
    LOG(t, "worker done");
    COOP_EXIT(t, 7);
    COOP_END(t);
}

static int waiter_step(coop_task *t)
{
    struct probe *p = coop_state(t);
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait(t, COOP_MS(p->arg)));
    COOP_CALL(t, coop_wait_task(t, 99));
    LOG(t, "WaitTask unknown -> %s", coop_strerror((int)coop_result(t)));
    COOP_CALL(t, coop_wait_task(t, coop_task_tid(t)));
    LOG(t, "WaitTask self -> %s", coop_strerror((int)coop_result(t)));
    COOP_CALL(t, coop_wait_task(t, 1));
    if (coop_result(t) < 0)
        LOG(t, "WaitTask worker -> %s", coop_strerror((int)coop_result(t)));
    else
        LOG(t, "WaitTask worker -> status %lld", (long long)coop_result(t));
    COOP_END(t);
}

/* ---- kill-os ---- */

static int stopper_step(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait(t, COOP_MS(50)));
    LOG(t, "KillOs");
    COOP_CALL(t, coop_kill_os(t));
    LOG(t, "never printed");
    COOP_FINALLY(t);
    LOG(t, "stopper cleanup");
    COOP_END(t);
}

/* ---- wait, ticker (periodic), negative period ---- */

static int sleeper_step(coop_task *t)
{
    COOP_BEGIN(t);
    LOG(t, "setup");
    COOP_CALL(t, coop_wait(t, COOP_MS(10)));
    LOG(t, "after 10ms: result %lld", (long long)coop_result(t));
    COOP_CALL(t, coop_wait(t, COOP_MS(20)));
    LOG(t, "after 20ms more");
    COOP_END(t);
}

static int ticker_step(coop_task *t)
{
    struct probe *p = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    for (p->n = 1; p->arg == 0 || p->n <= p->arg; p->n++) {
        LOG(t, "tick %lld", (long long)p->n);
        COOP_YIELD(t);
    }
    COOP_END(t);
}

static int once_step(coop_task *t)
{
    COOP_BEGIN(t);
    LOG(t, "setup");
    COOP_YIELD(t);
    LOG(t, "ran once");
    COOP_YIELD(t);
    LOG(t, "never printed");
    COOP_END(t);
}

/* ---- signals ---- */

static int sig_waiter_step(coop_task *t)
{
    struct probe *p = coop_state(t);
    COOP_BEGIN(t);
    for (;;) {
        COOP_CALL(t, coop_wait_signal(t, "go", COOP_MS(p->arg)));
        if (coop_result(t) == -COOP_ETIMEDOUT) {
            LOG(t, "timed out");
            COOP_EXIT(t, 1);
        }
        LOG(t, "got %s=%lld", coop_result_of(t)->signal, (long long)coop_result_of(t)->value);
        if (coop_result_of(t)->value < 0)
            COOP_EXIT(t, 0);
    }
    COOP_END(t);
}

static int sig_sender_step(coop_task *t)
{
    struct probe *p = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    for (p->n = 1; p->n <= 3; p->n++) {
        COOP_CALL(t, coop_send_signal(t, "go", p->n == 3 ? -1 : p->n, COOP_MS(p->arg)));
        LOG(t, "sent %lld, woke %lld", (long long)p->n, (long long)coop_result(t));
    }
    COOP_END(t);
}

/* b02: a timed-out wait leaves no registration behind. */
static int stale_step(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait_signal(t, "x", COOP_MS(10)));
    LOG(t, "x -> %s", coop_result(t) == -COOP_ETIMEDOUT ? "ETIMEDOUT" : "signal");
    COOP_CALL(t, coop_wait_signal(t, "y", 0));
    LOG(t, "woken by %s=%lld", coop_result_of(t)->signal, (long long)coop_result_of(t)->value);
    COOP_END(t);
}

/* b15: the first send removes every registration of Wait4Signals. */
static int multi_step(coop_task *t)
{
    static const char *const names[] = { "a", "b" };
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait_signals(t, names, 2, 0));
    LOG(t, "first: %s=%lld", coop_result_of(t)->signal, (long long)coop_result_of(t)->value);
    COOP_CALL(t, coop_wait_signal(t, "c", COOP_MS(100)));
    LOG(t, "then c -> %s", coop_result(t) == -COOP_ETIMEDOUT ? "ETIMEDOUT" : coop_result_of(t)->signal);
    COOP_END(t);
}

/* b22 and SendWaitSignal: ping and pong answer each other; neither receives its own send. */
static int pinger_step(coop_task *t)
{
    struct probe *p = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    for (p->n = 1; p->n <= 3; p->n++) {
        COOP_CALL(t, coop_send_wait_signal(t, "ball", p->n, COOP_MS(50)));
        if (coop_result(t) < 0)
            LOG(t, "no answer: %s", coop_strerror((int)coop_result(t)));
        else
            LOG(t, "answer %lld", (long long)coop_result_of(t)->value);
    }
    COOP_END(t);
}

static int ponger_step(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait_signal(t, "ball", 0));
    for (;;) {
        LOG(t, "got %lld", (long long)coop_result_of(t)->value);
        if (coop_result_of(t)->value == 3) {
            COOP_CALL(t, coop_send_signal(t, "ball", 300, 0));
            break;
        }
        COOP_CALL(t, coop_send_wait_signal(t, "ball", coop_result_of(t)->value * 100, COOP_MS(50)));
        if (coop_result(t) < 0)
            break;
    }
    COOP_END(t);
}

/* b04, b14: a periodic sender with resume-after 0 or 1 ms keeps its grid. */
static int grid_sender_step(coop_task *t)
{
    struct probe *p = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    for (p->n = 1; p->n <= 4; p->n++) {
        COOP_CALL(t, coop_send_signal(t, "beat", p->n, COOP_MS(p->arg)));
        LOG(t, "resumed");
        COOP_YIELD(t);
    }
    COOP_END(t);
}

/* ---- b11: a woken periodic task does not burst ---- */

static int periodic_waiter_step(coop_task *t)
{
    struct probe *p = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    COOP_CALL(t, coop_wait_task(t, (uint32_t)p->arg));
    LOG(t, "worker ended: %lld", (long long)coop_result(t));
    for (p->n = 1; p->n <= 3; p->n++) {
        LOG(t, "run %lld", (long long)p->n);
        COOP_YIELD(t);
    }
    COOP_END(t);
}

/* ---- b17, b18: failures ---- */

static int failer_step(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait(t, COOP_MS(20)));
    COOP_FAIL(t, -COOP_EIO);
    COOP_END(t);
}

static int bad_setup_step(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_FAIL(t, -COOP_EINVAL);
    COOP_END(t);
}

static int creator_step(coop_task *t)
{
    struct probe *p = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    {
        struct probe init = { .env = p->env };
        coop_task_spec spec = {
            .step = bad_setup_step, .name = "bad", .state_size = sizeof(init), .init = &init
        };
        COOP_CALL(t, coop_create_task(t, &spec));
    }
    LOG(t, "CreateTask -> %lld; still here", (long long)coop_result(t));
    COOP_END(t);
}

/* ---- b21: a call yielded by the setup takes effect ---- */

static int setup_wait_step(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait(t, COOP_MS(50)));
    LOG(t, "first run");
    COOP_END(t);
}

/* ---- b03: ready order ---- */

static int order_step(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    LOG(t, "prio %d", coop_task_prio(t));
    COOP_END(t);
}

/* ---- streams: a server that uses StreamReaderWriter, StreamWait with a timeout, read and write ---- */

static int rw_server_step(coop_task *t)
{
    struct probe *p = coop_state(t);
    coop_sched *s = coop_task_sched(t);
    COOP_BEGIN(t);
    p->fd = coop_listen(s, "127.0.0.1", (uint16_t)p->arg, 4);
    if (p->fd < 0)
        COOP_FAIL(t, (int)p->fd);
    COOP_CALL(t, coop_stream_reader(t, (int)p->fd));
    LOG(t, "StreamReader -> %lld", (long long)coop_result(t));
    COOP_CALL(t, coop_stream_wait(t, 0));
    p->cfd = coop_accept(s, (int)p->fd);
    LOG(t, "accepted fd %lld", (long long)p->cfd);
    if (p->cfd < 0)
        COOP_FAIL(t, (int)p->cfd);
    /* One client only: the listener goes, so StreamWait reports the client alone. */
    (void)coop_close(s, (int)p->fd);
    p->fd = -1;
    COOP_CALL(t, coop_stream_reader(t, (int)p->cfd));
    for (;;) {
        COOP_CALL(t, coop_stream_wait(t, COOP_MS(100)));
        if (coop_result(t) == -COOP_ETIMEDOUT) {
            LOG(t, "quiet for 100ms");
            break;
        }
        {
            long n = coop_read(s, (int)p->cfd, p->buf, sizeof(p->buf) - 8);
            if (n == -COOP_EAGAIN)
                continue;
            if (n <= 0)
                break;
            p->n = n;
        }
        /* Reading and writing: StreamWait then answers at once, as the socket is writable. */
        COOP_CALL(t, coop_stream_reader_writer(t, (int)p->cfd));
        LOG(t, "StreamReaderWriter -> %lld", (long long)coop_result(t));
        COOP_CALL(t, coop_stream_wait(t, 0));
        LOG(t, "ready events %lld", (long long)coop_result_of(t)->value);
        {
            char out[160];
            int m = snprintf(out, sizeof(out), "ok:%.*s", (int)p->n, p->buf);
            (void)coop_write(s, (int)p->cfd, out, (size_t)m);
        }
        COOP_CALL(t, coop_stream_writer(t, (int)p->cfd));
        LOG(t, "StreamWriter -> %lld", (long long)coop_result(t));
        COOP_CALL(t, coop_stream_reader(t, (int)p->cfd));
    }
    COOP_FINALLY(t);
    if (p->cfd >= 0)
        (void)coop_close(s, (int)p->cfd);
    if (p->fd >= 0)
        (void)coop_close(s, (int)p->fd);
    COOP_END(t);
}

/* ---- b08: readiness never wakes a task that waits on a signal ---- */

static int io_or_signal_step(coop_task *t)
{
    struct probe *p = coop_state(t);
    coop_sched *s = coop_task_sched(t);
    COOP_BEGIN(t);
    p->fd = coop_listen(s, "127.0.0.1", (uint16_t)p->arg, 4);
    if (p->fd < 0)
        COOP_FAIL(t, (int)p->fd);
    COOP_CALL(t, coop_stream_reader(t, (int)p->fd));
    COOP_CALL(t, coop_wait_signal(t, "go", 0));
    LOG(t, "woken by %s", coop_result_of(t)->signal);
    COOP_CALL(t, coop_stream_wait(t, 0));
    LOG(t, "fd %lld ready, events %lld", (long long)coop_result(t), (long long)coop_result_of(t)->value);
    COOP_FINALLY(t);
    if (p->fd >= 0)
        (void)coop_close(s, (int)p->fd);
    COOP_END(t);
}

/* ---- b23: several fds per task; StreamWait says which one is ready ---- */

static int two_fds_step(coop_task *t)
{
    struct probe *p = coop_state(t);
    coop_sched *s = coop_task_sched(t);
    COOP_BEGIN(t);
    p->fd = coop_listen(s, "127.0.0.1", (uint16_t)p->arg, 4);
    p->cfd = coop_listen(s, "127.0.0.1", (uint16_t)(p->arg + 1), 4);
    if (p->fd < 0 || p->cfd < 0)
        COOP_FAIL(t, -COOP_EADDRINUSE);
    COOP_CALL(t, coop_stream_reader(t, (int)p->fd));
    COOP_CALL(t, coop_stream_reader(t, (int)p->cfd));
    for (p->n = 0; p->n < 2; p->n++) {
        COOP_CALL(t, coop_stream_wait(t, 0));
        LOG(t, "fd %lld is ready", (long long)coop_result(t));
        {
            int c = coop_accept(s, (int)coop_result(t));
            if (c >= 0)
                (void)coop_close(s, c);
        }
    }
    COOP_FINALLY(t);
    if (p->fd >= 0)
        (void)coop_close(s, (int)p->fd);
    if (p->cfd >= 0)
        (void)coop_close(s, (int)p->cfd);
    COOP_END(t);
}

/* ---- fault points ---- */

static int buggify_step(coop_task *t)
{
    struct probe *p = coop_state(t);
    COOP_BEGIN(t);
    COOP_YIELD(t);
    for (p->n = 1; p->n <= 8; p->n++) {
        LOG(t, "check %lld: %s", (long long)p->n, coop_fault_point(t, "slow-path") ? "fault" : "normal");
        COOP_YIELD(t);
    }
    COOP_END(t);
}

/* ---- leaks: what a task leaves behind when it ends ---- */

/*
 * leak-fd, leak-memory and tidy: a task that opens a listener at port
 * `arg` and takes 64 bytes from coop_mem_alloc, waits 10 ms, then ends.
 * The leaky modes forget one of them; tidy gives both back.
 */
static int leaker_step(coop_task *t)
{
    struct probe *p = coop_state(t);
    coop_sched *s = coop_task_sched(t);
    COOP_BEGIN(t);
    p->fd = coop_listen(s, "0.0.0.0", (uint16_t)p->arg, 4);
    p->mem = coop_mem_alloc(s, 64);
    LOG(t, "listening on fd %lld, %s memory", (long long)p->fd, p->mem ? "with" : "without");
    COOP_CALL(t, coop_wait(t, COOP_MS(10)));
    if (p->n != 1 && p->fd >= 0)
        (void)coop_close(s, (int)p->fd);
    if (p->n != 2)
        coop_mem_free(s, p->mem, 64);
    COOP_END(t);
}

/* ---- the modes ---- */

static int start_mode(coop_sched *s, const coop_program_env *env, const char *mode, int64_t arg)
{
    int64_t r = 0;
#define SPAWN(...)                          \
    do {                                    \
        if (r >= 0)                         \
            r = spawn(s, env, __VA_ARGS__); \
    } while (0)
    if (!strcmp(mode, "get-task-ref")) {
        SPAWN(idler, "idle-a", 0, 0, 0, 0);
        SPAWN(idler, "idle-b", 0, 0, 0, 0);
        SPAWN(ref_step, "asker", 0, 0, 5, 0);
    } else if (!strcmp(mode, "add-task") || !strcmp(mode, "create-task")) {
        SPAWN(adder_step, "parent", 0, 0, 0, mode[0] == 'a' ? 0 : 1);
    } else if (!strcmp(mode, "kill-task")) {
        SPAWN(victim_step, "victim", 0, 10, 0, 0);
        SPAWN(killer_step, "killer", 0, 0, 0, 1);
    } else if (!strcmp(mode, "wait-task")) {
        SPAWN(worker_step, "worker", 0, 0, 0, arg ? arg : 30);
        SPAWN(waiter_step, "waiter", 0, 0, 0, 10);
    } else if (!strcmp(mode, "kill-os")) {
        SPAWN(victim_step, "first", 0, 20, 0, 0);
        SPAWN(victim_step, "second", 0, 30, 0, 0);
        SPAWN(stopper_step, "stopper", 0, 0, 0, 0);
        SPAWN(victim_step, "fourth", 0, 0, 1000, 0);
    } else if (!strcmp(mode, "wait")) {
        SPAWN(sleeper_step, "sleeper", 0, 0, 0, 0);
    } else if (!strcmp(mode, "ticker") || !strcmp(mode, "ticker-skip")) {
        r = spawn(s, env, ticker_step, "ticker", 0, arg ? arg : 100, 0, 0);
        if (r > 0 && mode[6] == '-')
            coop_task_set_late_policy(coop_task_find(s, (uint32_t)r), COOP_LATE_SKIP);
    } else if (!strcmp(mode, "once")) {
        SPAWN(once_step, "once", 0, -1, 0, 0);
    } else if (!strcmp(mode, "signals")) {
        SPAWN(sig_waiter_step, "w1", 0, 0, 0, 0);
        SPAWN(sig_waiter_step, "w2", 0, 0, 0, 0);
        SPAWN(sig_sender_step, "sender", 0, 0, 10, arg);
    } else if (!strcmp(mode, "wait-signal")) {
        SPAWN(sig_waiter_step, "waiter", 0, 0, 0, arg ? arg : 100);
    } else if (!strcmp(mode, "stale-signal")) {
        SPAWN(stale_step, "waiter", 0, 0, 0, 0);
    } else if (!strcmp(mode, "wait-signals")) {
        SPAWN(multi_step, "multi", 0, 0, 0, 0);
    } else if (!strcmp(mode, "ping-pong")) {
        SPAWN(ponger_step, "pong", 0, 0, 0, 0);
        SPAWN(pinger_step, "ping", 0, 0, 10, 0);
    } else if (!strcmp(mode, "grid-sender")) {
        SPAWN(grid_sender_step, "sender", 0, 100, 0, arg);
        SPAWN(sig_waiter_step, "listener", 0, 0, 0, 0);
    } else if (!strcmp(mode, "no-burst")) {
        SPAWN(worker_step, "worker", 0, 0, 0, 95);
        SPAWN(periodic_waiter_step, "periodic", 0, 10, 0, 1);
    } else if (!strcmp(mode, "fail-step")) {
        SPAWN(failer_step, "failer", 0, 0, 0, 0);
        SPAWN(ticker_step, "bystander", 0, 10, 0, 5);
    } else if (!strcmp(mode, "fail-setup")) {
        SPAWN(creator_step, "creator", 0, 0, 0, 0);
    } else if (!strcmp(mode, "setup-call")) {
        SPAWN(setup_wait_step, "setup-waits", 0, 0, 0, 0);
    } else if (!strcmp(mode, "ready-order")) {
        SPAWN(order_step, "low", 30, 0, 10, 0);
        SPAWN(order_step, "high", 1, 0, 10, 0);
        SPAWN(order_step, "mid", 20, 0, 10, 0);
        SPAWN(order_step, "early", 50, 0, 5, 0);
    } else if (!strcmp(mode, "rw-server")) {
        SPAWN(rw_server_step, "server", 0, 0, 0, arg ? arg : 7100);
    } else if (!strcmp(mode, "io-or-signal")) {
        SPAWN(io_or_signal_step, "listener", 0, 0, 0, arg ? arg : 7200);
    } else if (!strcmp(mode, "two-fds")) {
        SPAWN(two_fds_step, "listener", 0, 0, 0, arg ? arg : 7300);
    } else if (!strcmp(mode, "buggify")) {
        SPAWN(buggify_step, "buggify", 0, 10, 0, 0);
    } else if (!strcmp(mode, "tidy") || !strcmp(mode, "leak-fd") || !strcmp(mode, "leak-memory")) {
        r = spawn(s, env, leaker_step, "leaker", 0, 0, 0, arg ? arg : 7400);
        coop_task *t = r > 0 ? coop_task_find(s, (uint32_t)r) : NULL;
        if (t)
            ((struct probe *)coop_state(t))->n = mode[0] == 't' ? 0 : mode[5] == 'f' ? 1 : 2;
    } else {
        return -COOP_EINVAL;
    }
#undef SPAWN
    return r < 0 ? (int)r : 0;
}

int coop_probe_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    if (argc < 1 || argc > 2)
        return -COOP_EINVAL;
    int64_t arg = 0;
    if (argc == 2) {
        char *end;
        arg = strtoll(argv[1], &end, 10);
        /*
         * The modes take the number as milliseconds: it must stay in range
         * once made nanoseconds (strtoll's clamped values fail this too).
         */
        if (*end || end == argv[1] || arg > INT64_MAX / 1000000 || arg < -(INT64_MAX / 1000000))
            return -COOP_EINVAL;
    }
    return start_mode(s, env, argv[0], arg);
}
