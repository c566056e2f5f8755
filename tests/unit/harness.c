/* The unit-test harness: virtual clock, counting allocator, logging and run drivers. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct harness H;

static uint64_t virtual_now(void *ctx)
{
    (void)ctx;
    return H.now_ns;
}

static const coop_clock_ops virtual_clock = { COOP_CLOCK_VERSION, "test", virtual_now };

/* Counts blocks and can fail the Nth allocation, to test every -ENOMEM path. */
static void *counting_alloc(void *ctx, void *ptr, size_t old_size, size_t new_size)
{
    (void)ctx;
    if (new_size == 0) {
        if (ptr)
            H.frees++;
        H.bytes -= ptr ? old_size : 0;
        free(ptr);
        return NULL;
    }
    if (H.fail_after && H.allocs + 1 >= H.fail_after)
        return NULL;
    void *p = realloc(ptr, new_size);
    if (!p)
        return NULL;
    if (!ptr)
        H.allocs++;
    H.bytes += new_size - (ptr ? old_size : 0);
    if (H.bytes > H.peak_bytes)
        H.peak_bytes = H.bytes;
    return p;
}

static void quiet_log(void *ctx, coop_log_level level, const char *msg)
{
    (void)ctx;
    if (level >= COOP_LOG_WARN)
        h_note("log %s", msg);
}

static void trace_hook(void *ctx, const coop_trace_event *ev)
{
    (void)ctx;
    if (H.trace_extra)
        H.trace_extra(ev);
    if (H.trace_wakes && ev->kind == COOP_TR_WAKE)
        h_note("%llu wake %s %s", (unsigned long long)(ev->t_ns / 1000000), ev->task,
               coop_wake_name(ev->reason));
}

void h_setup_with(coop_poller poller)
{
    memset(&H, 0, sizeof(H));
    coop_config cfg = {
        .clock = { &virtual_clock, NULL },
        .poller = poller,
        .alloc = { counting_alloc, NULL },
        .log = quiet_log,
        .trace = trace_hook,
    };
    H.s = coop_sched_new(&cfg);
    cr_assert(H.s != NULL);
}

void h_setup(void) { h_setup_with((coop_poller){ NULL, NULL }); }

void h_teardown(void)
{
    if (H.s) {
        coop_verify(H.s);
        coop_sched_free(H.s);
    }
    H.s = NULL;
    H.fail_after = 0;
    cr_expect_eq(H.allocs, H.frees, "leaked %llu blocks", (unsigned long long)(H.allocs - H.frees));
}

static void vappend(const char *fmt, va_list ap)
{
    size_t room = sizeof(H.log) - H.len;
    int n = vsnprintf(H.log + H.len, room, fmt, ap);
    if (n > 0)
        H.len += (size_t)n < room ? (size_t)n : room - 1;
}

void h_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vappend(fmt, ap);
    va_end(ap);
    if (H.len + 1 < sizeof(H.log))
        H.log[H.len++] = '\n', H.log[H.len] = '\0';
}

void h_log(coop_task *t, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    h_note("%llu %s %s", (unsigned long long)(H.now_ns / 1000000), coop_task_name(t), msg);
}

void h_set_ms(uint64_t ms)
{
    cr_assert(ms * 1000000 >= H.now_ns);
    H.now_ns = ms * 1000000;
}

uint64_t h_ms(void) { return H.now_ns / 1000000; }

uint64_t h_run(uint64_t until_ms, uint64_t step_limit)
{
    uint64_t steps = 0, until = until_ms * 1000000;
    while (steps < step_limit && !coop_is_stopped(H.s)) {
        steps += coop_run_due(H.s, H.now_ns, step_limit - steps);
        coop_verify(H.s);
        uint64_t due;
        if (!coop_next_due(H.s, &due) || due > until)
            break;
        if (due > H.now_ns)
            H.now_ns = due;
    }
    return steps;
}

uint64_t h_run_seed(uint64_t until_ms, uint64_t step_limit)
{
    uint64_t steps = 0, tick = h_ms() + 1;
    while (steps < step_limit && !coop_is_stopped(H.s) && tick <= until_ms) {
        H.now_ns = tick * 1000000;
        if (coop_run_due(H.s, H.now_ns, 1)) {
            steps++;
            coop_verify(H.s);
            tick++;
            continue;
        }
        uint64_t due;
        if (!coop_next_due(H.s, &due))
            break;
        uint64_t due_tick = (due + 999999) / 1000000;
        tick = due_tick > tick ? due_tick : tick + 1;
    }
    return steps;
}

int64_t h_spawn(const char *name, coop_step_fn step, size_t state_size, int prio, int64_t period_ms,
                int64_t time2run_ms)
{
    coop_task_spec spec = {
        .step = step,
        .name = name,
        .state_size = state_size,
        .prio = prio,
        .period_ns = COOP_MS(period_ms),
        .time2run_ns = COOP_MS(time2run_ms),
    };
    return coop_spawn(H.s, &spec);
}

uint64_t h_sleep_calls, h_slept_ns;

static int no_fd(void *ctx, int fd, uint32_t ev)
{
    (void)ctx;
    (void)ev;
    if (H.poller_takes_fds && H.poller_fd_limit && fd >= H.poller_fd_limit)
        return -COOP_EBADF;
    return H.poller_takes_fds ? 0 : -COOP_ENOSYS;
}
static int no_del(void *ctx, int fd)
{
    (void)ctx;
    (void)fd;
    return -COOP_ENOSYS;
}
static int fd_del(void *ctx, int fd)
{
    (void)ctx;
    (void)fd;
    return H.poller_takes_fds ? 0 : -COOP_ENOSYS;
}
static int sleep_wait(void *ctx, int64_t timeout_ns, coop_poll_event *out, int max)
{
    (void)ctx;
    (void)out;
    (void)max;
    h_sleep_calls++;
    cr_assert(timeout_ns >= 0, "the loop would sleep forever");
    H.now_ns += (uint64_t)timeout_ns;
    h_slept_ns += (uint64_t)timeout_ns;
    return 0;
}
static int no_listen(void *ctx, const char *a, uint16_t p, int b)
{
    (void)ctx;
    (void)a;
    (void)p;
    (void)b;
    return -COOP_ENOSYS;
}
static int no_connect(void *ctx, const char *a, uint16_t p)
{
    (void)ctx;
    (void)a;
    (void)p;
    return -COOP_ENOSYS;
}
static long no_read(void *ctx, int fd, void *b, size_t n)
{
    (void)ctx;
    (void)fd;
    (void)b;
    (void)n;
    return -COOP_ENOSYS;
}
static long no_write(void *ctx, int fd, const void *b, size_t n)
{
    (void)ctx;
    (void)fd;
    (void)b;
    (void)n;
    return -COOP_ENOSYS;
}
static void no_destroy(void *ctx) { (void)ctx; }

static const coop_poller_ops sleep_ops = {
    .version = COOP_POLLER_VERSION,
    .name = "sleep",
    .add = no_fd,
    .mod = no_fd,
    .del = fd_del,
    .wait = sleep_wait,
    .listen = no_listen,
    .local_port = no_del,
    .accept = no_del,
    .connect = no_connect,
    .sock_error = no_del,
    .read = no_read,
    .write = no_write,
    .shutdown_write = no_del,
    .close = no_del,
    .destroy = no_destroy,
    .close_reset = no_del,
};

coop_poller h_sleep_poller(void)
{
    h_sleep_calls = h_slept_ns = 0;
    return (coop_poller){ &sleep_ops, NULL };
}
