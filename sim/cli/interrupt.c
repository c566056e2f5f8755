/* Interruption: a first SIGINT or SIGTERM asks the command to wrap up, a second one ends it at once. */
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "pool.h"

static volatile sig_atomic_t first_signal;
static volatile sig_atomic_t worker_pid[CLI_MAX_WORKERS];
static int wake_pipe[2] = { -1, -1 };
/* What SIGINT and SIGTERM did before, restored when the command is done: coop_main may be one call of many. */
static struct sigaction old_int, old_term;

static void on_signal(int sig)
{
    if (first_signal) {
        /* Only async-signal-safe calls here: kill and _exit. */
        for (size_t i = 0; i < CLI_MAX_WORKERS; i++)
            if (worker_pid[i] > 0)
                kill((pid_t)worker_pid[i], SIGKILL);
        _exit(128 + sig);
    }
    first_signal = sig;
    if (wake_pipe[1] >= 0) {
        char c = 1;
        ssize_t w = write(wake_pipe[1], &c, 1);
        (void)w;
    }
}

void cli_interrupt_install(void)
{
    if (wake_pipe[0] < 0 && pipe(wake_pipe) == 0) {
        for (int k = 0; k < 2; k++) {
            fcntl(wake_pipe[k], F_SETFL, O_NONBLOCK);
            fcntl(wake_pipe[k], F_SETFD, FD_CLOEXEC);
        }
    }
    struct sigaction sa = { 0 };
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    first_signal = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
}

void cli_interrupt_uninstall(void)
{
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
}

int cli_interrupted(void) { return first_signal; }

int cli_interrupt_fd(void) { return wake_pipe[0]; }

void cli_interrupt_track(size_t slot, int pid)
{
    if (slot < CLI_MAX_WORKERS)
        worker_pid[slot] = pid;
}

uint64_t cli_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
