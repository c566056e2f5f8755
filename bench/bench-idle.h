/* The idle workload's harness: runs a server in a child process for S seconds and measures the child's CPU time while idle. */
#ifndef COOP_BENCH_IDLE_H
#define COOP_BENCH_IDLE_H

#include "bench.h"

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * The parent forks.  The child sets its server up (a loopback listener,
 * plus whatever timer the library's idiom wants), calls
 * bench_idle_ready(), which sends its own rusage and the port through a
 * pipe, and enters its loop.  The parent lets 100 ms pass so that the
 * loop reaches its first wait, then measures S seconds:
 *   cpu_us        the child's CPU time (user plus system) over exactly
 *                 that window, read from the child's CPU-time clock
 *                 (clock_getcpuclockid), which is what getrusage sums
 *                 but without the cost of the process's exit;
 *   wakeups       voluntary context switches over the window, from
 *                 /proc/PID/status: a loop that blocks in the poller
 *                 gives up the CPU once per wake-up;
 *   rusage_cpu_us user plus system time from wait4() after SIGKILL,
 *                 minus the child's own getrusage at ready: the same
 *                 window plus the settling time and the exit.
 * No client ever connects.
 */

struct bench_idle_msg {
    struct rusage ru; /* the child's RUSAGE_SELF when its server was ready */
    int port;         /* the listener's port, for the record */
};

static int bench_idle_pipe_fd = -1; /* the pipe's write end, in the child */

/* Called by the child's server once it listens, right before it enters its loop. */
static inline void bench_idle_ready(int port)
{
    struct bench_idle_msg m;
    memset(&m, 0, sizeof m);
    getrusage(RUSAGE_SELF, &m.ru);
    m.port = port;
    if (write(bench_idle_pipe_fd, &m, sizeof m) != (ssize_t)sizeof m)
        _exit(3);
    close(bench_idle_pipe_fd);
}

static inline uint64_t bench_tv_us(const struct timeval *tv)
{
    return (uint64_t)tv->tv_sec * 1000000u + (uint64_t)tv->tv_usec;
}

/* Reads voluntary_ctxt_switches from /proc/PID/status; -1 when it cannot. */
static inline long bench_voluntary_switches(pid_t pid)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *key = "\nvoluntary_ctxt_switches:";
    const char *p = strstr(buf, key);
    return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* Reads the CPU time of another process of ours, in nanoseconds. */
static inline uint64_t bench_child_cpu_ns(const char *prog, pid_t pid)
{
    clockid_t clk;
    struct timespec ts;
    int r = clock_getcpuclockid(pid, &clk);
    if (r != 0 || clock_gettime(clk, &ts) != 0)
        bench_die(prog, "reading the server's CPU clock", r);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Sleeps until the monotonic clock passes deadline_ns, whatever signals arrive. */
static inline void bench_sleep_until(uint64_t deadline_ns)
{
    for (;;) {
        uint64_t now = bench_now_ns();
        if (now >= deadline_ns)
            return;
        uint64_t left = deadline_ns - now;
        struct timespec ts = { (time_t)(left / 1000000000u), (long)(left % 1000000000u) };
        nanosleep(&ts, NULL);
    }
}

/*
 * The whole program for one library: parses SECONDS, runs serve() in a
 * child and prints the RESULT line.  serve() must call bench_idle_ready()
 * and then run its loop forever; if it returns, the child exits with 1.
 */
static inline int bench_idle_main(const char *prog, const char *impl, int argc, char **argv,
                                  void (*serve)(const char *))
{
    if (argc != 2)
        bench_usage(prog, "SECONDS");
    uint64_t seconds = bench_arg_count(prog, "SECONDS", argv[1]);
    if (seconds > 3600)
        bench_usage(prog, "SECONDS (at most 3600)");

    int p[2];
    if (pipe(p) != 0)
        bench_die(prog, "pipe", errno);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        bench_die(prog, "fork", errno);
    if (pid == 0) {
        close(p[0]);
        bench_idle_pipe_fd = p[1];
        serve(prog);
        _exit(1);
    }
    close(p[1]);
    struct bench_idle_msg m;
    ssize_t got = read(p[0], &m, sizeof m);
    close(p[0]);
    if (got != (ssize_t)sizeof m) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        bench_die(prog, "the server's setup", (long)got);
    }

    bench_sleep_until(bench_now_ns() + 100000000u);
    uint64_t c0 = bench_child_cpu_ns(prog, pid);
    long sw0 = bench_voluntary_switches(pid);
    bench_sleep_until(bench_now_ns() + seconds * 1000000000u);
    uint64_t c1 = bench_child_cpu_ns(prog, pid);
    long sw1 = bench_voluntary_switches(pid);

    int status = 0;
    if (waitpid(pid, &status, WNOHANG) != 0)
        bench_die(prog, "the server ended by itself", status);
    kill(pid, SIGKILL);
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid)
        bench_die(prog, "wait4", errno);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
        bench_die(prog, "the server's end", status);

    uint64_t ru0 = bench_tv_us(&m.ru.ru_utime) + bench_tv_us(&m.ru.ru_stime);
    uint64_t ru1 = bench_tv_us(&ru.ru_utime) + bench_tv_us(&ru.ru_stime);
    double cpu_us = (double)(c1 - c0) / 1000.0;
    printf("RESULT workload=idle impl=%s seconds=%llu cpu_us=%.1f cpu_us_per_s=%.2f wakeups=%ld "
           "rusage_cpu_us=%llu "
           "rss_kb=%ld port=%d\n",
           impl, (unsigned long long)seconds, cpu_us, cpu_us / (double)seconds,
           sw0 >= 0 && sw1 >= 0 ? sw1 - sw0 : -1, (unsigned long long)(ru1 >= ru0 ? ru1 - ru0 : 0),
           ru.ru_maxrss, m.port);
    return 0;
}

#endif
