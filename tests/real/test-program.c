/* Programs on the real backend: lookup, the log helper, and coop_program_run's ends, log lines and signals. */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <dirent.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "coop/program.h"

/* What the tasks below record, and the log lines a run printed. */
static char lines[4096];
static size_t nlines;
static bool cleaned_up;

static void collect(void *ctx, const char *line)
{
    (void)ctx;
    size_t n = strlen(line);
    cr_assert_lt(nlines + n + 1, sizeof(lines));
    memcpy(lines + nlines, line, n);
    lines[nlines + n] = '\n';
    nlines += n + 1;
    lines[nlines] = '\0';
}

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static void setup(void)
{
    nlines = 0;
    lines[0] = '\0';
    cleaned_up = false;
}

TestSuite(program, .init = setup);

/* Each test's state: the env to log through and a step counter. */
struct ticker {
    const coop_program_env *env;
    int n;
};

static int ticker_step(coop_task *t)
{
    struct ticker *k = coop_state(t);
    COOP_BEGIN(t);
    for (k->n = 0; k->n < 3; k->n++) {
        coop_program_log(k->env, t, "tick %d", k->n);
        COOP_CALL(t, coop_wait(t, COOP_MS(2)));
    }
    COOP_END(t);
}

static int spawn_with_env(coop_sched *s, const coop_program_env *env, coop_step_fn step, const char *name,
                          int64_t period_ns)
{
    struct ticker init = { env, 0 };
    coop_task_spec spec = {
        .step = step, .name = name, .state_size = sizeof(init), .init = &init, .period_ns = period_ns
    };
    return coop_spawn(s, &spec) < 0 ? -COOP_ENOMEM : 0;
}

static int ticker_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    cr_assert_eq(argc, 1);
    cr_assert_str_eq(argv[0], "arg");
    coop_program_log(env, NULL, "starting");
    return spawn_with_env(s, env, ticker_step, "ticker", 0);
}

static const coop_program registry[] = {
    { "ticker", "three ticks", ticker_start },
    { NULL, NULL, NULL },
};

Test(program, find_looks_names_up)
{
    cr_assert_eq(coop_program_find(registry, "ticker"), &registry[0]);
    cr_assert_null(coop_program_find(registry, "tick"));
    cr_assert_null(coop_program_find(NULL, "ticker"));
}

static void keep_text(void *ctx, coop_task *t, const char *text)
{
    (void)t;
    snprintf(ctx, 300, "%s", text);
}

Test(program, log_formats_and_truncates)
{
    coop_program_log(NULL, NULL, "no env: nothing happens");
    coop_program_log(&(coop_program_env){ 0 }, NULL, "no log: nothing happens");
    char got[300];
    coop_program_env env = { keep_text, got };
    coop_program_log(&env, NULL, "%s=%d", "x", 42);
    cr_assert_str_eq(got, "x=42");
    char big[400];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    coop_program_log(&env, NULL, "%s", big);
    cr_assert_eq(strlen(got), 255);
}

static bool matches(const char *text, const char *pattern)
{
    regex_t re;
    cr_assert_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NEWLINE | REG_NOSUB), 0);
    bool ok = regexec(&re, text, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

Test(program, a_program_that_ends_prints_timestamped_lines)
{
    int fds = open_fds();
    char *argv[] = { "arg", NULL };
    coop_run_result res;
    coop_run_options o = { .out = collect };
    cr_assert_eq(coop_program_run(&registry[0], 1, argv, &o, &res), 0);
    cr_assert_eq(res.end, COOP_RUN_ENDED);
    cr_assert_str_eq(coop_run_end_name(res.end), "ended");
    cr_assert_not(res.failed);
    cr_assert(matches(lines, "^ +0\\.[0-9]{6} s  -                    starting\n"
                             " +0\\.[0-9]{6} s  ticker#1             tick 0\n"
                             " +0\\.[0-9]{6} s  ticker#1             tick 1\n"
                             " +0\\.[0-9]{6} s  ticker#1             tick 2\n$"),
              "%s", lines);
    cr_assert_eq(open_fds(), fds, "the run left an fd open");
}

Test(program, without_options_lines_go_to_standard_output, .init = cr_redirect_stdout)
{
    char *argv[] = { "arg", NULL };
    coop_run_result res;
    cr_assert_eq(coop_program_run(&registry[0], 1, argv, NULL, &res), 0);
    fflush(stdout);
    char out[1024] = "";
    size_t n = fread(out, 1, sizeof(out) - 1, cr_get_redirected_stdout());
    out[n] = '\0';
    cr_assert(matches(out, "ticker#1 +tick 2\n$"), "%s", out);
}

static int killos_step(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    COOP_CALL(t, coop_kill_os(t));
    COOP_END(t);
}

static int killos_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return spawn_with_env(s, env, killos_step, "killer", 0);
}

Test(program, killos_stops_the_run)
{
    coop_run_result res;
    coop_run_options o = { .out = collect };
    cr_assert_eq(coop_program_run(&(coop_program){ "k", "", killos_start }, 0, NULL, &o, &res), 0);
    cr_assert_eq(res.end, COOP_RUN_STOPPED);
}

static int failing_step(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    COOP_FAIL(t, -COOP_EIO);
    COOP_END(t);
}

static int failing_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    int err = spawn_with_env(s, env, failing_step, "broken", 0);
    return err ? err : spawn_with_env(s, env, ticker_step, "ticker", 0);
}

Test(program, a_failing_step_is_reported_and_the_rest_runs_on)
{
    coop_run_result res;
    coop_run_options o = { .out = collect };
    cr_assert_eq(coop_program_run(&(coop_program){ "f", "", failing_start }, 0, NULL, &o, &res), 0);
    cr_assert_eq(res.end, COOP_RUN_ENDED);
    cr_assert(res.failed);
    cr_assert_str_eq(res.failure.name, "broken");
    cr_assert_eq(res.failure.error, -COOP_EIO);
    cr_assert(strstr(lines, "tick 2") != NULL, "%s", lines);
}

Test(program, stop_on_error_ends_the_run_at_the_failure)
{
    coop_run_result res;
    coop_run_options o = { .out = collect, .stop_on_error = true };
    cr_assert_eq(coop_program_run(&(coop_program){ "f", "", failing_start }, 0, NULL, &o, &res), 0);
    cr_assert_eq(res.end, COOP_RUN_FAILED);
    cr_assert(strstr(lines, "tick 2") == NULL, "%s", lines);
}

static int stuck_step(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait_signal(t, "never", 0));
    COOP_FINALLY(t);
    cleaned_up = true;
    COOP_END(t);
}

static int stuck_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return spawn_with_env(s, env, stuck_step, "stuck", 0);
}

Test(program, a_program_waiting_on_nothing_is_blocked)
{
    coop_run_result res;
    coop_run_options o = { .out = collect };
    cr_assert_eq(coop_program_run(&(coop_program){ "s", "", stuck_start }, 0, NULL, &o, &res), 0);
    cr_assert_eq(res.end, COOP_RUN_BLOCKED);
    cr_assert(cleaned_up, "freeing the scheduler runs the cleanup");
}

static int forever_step(coop_task *t)
{
    COOP_BEGIN(t);
    for (;;)
        COOP_YIELD(t);
    COOP_FINALLY(t);
    cleaned_up = true;
    COOP_END(t);
}

static int forever_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return spawn_with_env(s, env, forever_step, "forever", COOP_MS(5));
}

Test(program, the_duration_ends_a_program_that_would_run_forever)
{
    coop_run_result res;
    coop_run_options o = { .out = collect, .duration_ns = COOP_MS(30), .keep_signals = true };
    cr_assert_eq(coop_program_run(&(coop_program){ "f", "", forever_start }, 0, NULL, &o, &res), 0);
    cr_assert_eq(res.end, COOP_RUN_TIME_UP);
    cr_assert(cleaned_up, "the tasks' cleanup runs when the time is up");
}

/* Raises SIGINT from inside a step; the run ends at the next wait, and the handler is gone after it. */
static int interrupting_step(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    raise(SIGINT);
    for (;;)
        COOP_YIELD(t);
    COOP_FINALLY(t);
    cleaned_up = true;
    COOP_END(t);
}

static int interrupting_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return spawn_with_env(s, env, interrupting_step, "ctrl-c", COOP_MS(5));
}

static void on_test_signal(int sig) { (void)sig; }

Test(program, sigint_interrupts_the_run_and_the_old_handler_comes_back)
{
    signal(SIGINT, on_test_signal);
    int fds = open_fds();
    coop_run_result res;
    coop_run_options o = { .out = collect };
    cr_assert_eq(coop_program_run(&(coop_program){ "i", "", interrupting_start }, 0, NULL, &o, &res), 0);
    cr_assert_eq(res.end, COOP_RUN_INTERRUPTED);
    cr_assert(cleaned_up, "an interrupted program's cleanup runs");
    struct sigaction now;
    sigaction(SIGINT, NULL, &now);
    cr_assert_eq(now.sa_handler, on_test_signal);
    cr_assert_eq(open_fds(), fds, "the wake pipe is closed");
}

/* Listens, then waits for a client that never comes: only a signal can end this run. */
static int listener_step(coop_task *t)
{
    COOP_BEGIN(t);
    {
        int fd = coop_listen(coop_task_sched(t), "127.0.0.1", 0, 4);
        if (fd < 0)
            COOP_FAIL(t, fd);
        COOP_CALL(t, coop_stream_reader(t, fd));
    }
    COOP_CALL(t, coop_stream_wait(t, 0));
    COOP_FINALLY(t);
    cleaned_up = true;
    COOP_END(t);
}

static int listener_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return spawn_with_env(s, env, listener_step, "listener", 0);
}

Test(program, sigterm_wakes_a_loop_blocked_in_the_poller)
{
    pid_t parent = getpid();
    pid_t child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        /* Whether the signal comes before or during the wait, the run ends the same way. */
        nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
        kill(parent, SIGTERM);
        _exit(0);
    }
    coop_run_result res;
    coop_run_options o = { .out = collect };
    cr_assert_eq(coop_program_run(&(coop_program){ "l", "", listener_start }, 0, NULL, &o, &res), 0);
    waitpid(child, NULL, 0);
    cr_assert_eq(res.end, COOP_RUN_INTERRUPTED);
    cr_assert(cleaned_up);
}

static int start_fails(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cr_assert_eq(spawn_with_env(s, env, stuck_step, "orphan", 0), 0);
    return -COOP_EINVAL;
}

static int nested_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)s;
    (void)env;
    coop_run_result res;
    return coop_program_run(&registry[0], argc, argv, NULL, &res);
}

Test(program, errors_come_back_without_a_run)
{
    int fds = open_fds();
    coop_run_result res;
    coop_run_options o = { .out = collect };
    cr_assert_eq(coop_program_run(&(coop_program){ "e", "", start_fails }, 0, NULL, &o, &res), -COOP_EINVAL);
    cr_assert(cleaned_up, "the tasks a failed start spawned are cleaned up");
    cr_assert_eq(coop_program_run(&(coop_program){ "n", "", nested_start }, 0, NULL, &o, &res), -COOP_EBUSY);
    cr_assert_eq(coop_program_run(NULL, 0, NULL, &o, &res), -COOP_EINVAL);
    cr_assert_eq(coop_program_run(&registry[0], 0, NULL, &o, NULL), -COOP_EINVAL);
    cr_assert_eq(open_fds(), fds);
    cr_assert_str_eq(coop_run_end_name((coop_run_end)99), "?");
}
