/* Runs the tests registered through the stand-in criterion.h, each in its own child process. */
#include <criterion/criterion.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TESTS 512
#define MAX_SUITES 64

static struct mini_test tests[MAX_TESTS];
static int ntests;
static struct {
    const char *name;
    struct mini_suite_opts o;
} suites[MAX_SUITES];
static int nsuites;
static int failures; /* in the child: failed expectations so far */

void mini_register_test(const char *suite, const char *name, void (*fn)(void), struct mini_suite_opts o)
{
    if (ntests == MAX_TESTS) {
        fprintf(stderr, "too many tests; raise MAX_TESTS\n");
        exit(2);
    }
    tests[ntests++] = (struct mini_test){ suite, name, fn, o.init, o.fini };
}

void mini_register_suite(const char *suite, struct mini_suite_opts o)
{
    if (nsuites == MAX_SUITES) {
        fprintf(stderr, "too many suites; raise MAX_SUITES\n");
        exit(2);
    }
    suites[nsuites].name = suite;
    suites[nsuites].o = o;
    nsuites++;
}

void mini_fail(const char *file, int line, int fatal, const char *expr, const char *fmt, ...)
{
    fprintf(stderr, "%s:%d: assertion failed: %s", file, line, expr);
    if (fmt[1]) {
        va_list ap;
        va_start(ap, fmt);
        fputc(':', stderr);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
    }
    fputc('\n', stderr);
    failures++;
    if (fatal)
        _exit(1);
}

/* A test's own init and fini win over its suite's, as in Criterion. */
static void run_one(const struct mini_test *t)
{
    void (*init)(void) = t->init, (*fini)(void) = t->fini;
    for (int i = 0; i < nsuites; i++) {
        if (strcmp(suites[i].name, t->suite) == 0) {
            if (!init)
                init = suites[i].o.init;
            if (!fini)
                fini = suites[i].o.fini;
        }
    }
    if (init)
        init();
    t->fn();
    if (fini)
        fini();
    fflush(NULL);
    _exit(failures ? 1 : 0);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv; /* Criterion's options, such as --jobs=1, are accepted and ignored. */
    int failed = 0;
    for (int i = 0; i < ntests; i++) {
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 2;
        }
        if (pid == 0)
            run_one(&tests[i]);
        int status = 0;
        if (waitpid(pid, &status, 0) < 0) {
            perror("waitpid");
            return 2;
        }
        bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (!ok) {
            failed++;
            if (WIFSIGNALED(status))
                fprintf(stderr, "%s::%s: killed by signal %d\n", tests[i].suite, tests[i].name,
                        WTERMSIG(status));
        }
        printf("[%s] %s::%s\n", ok ? "PASS" : "FAIL", tests[i].suite, tests[i].name);
    }
    printf("Synthesis: Tested: %d | Passing: %d | Failing: %d\n", ntests, ntests - failed, failed);
    return failed ? 1 : 0;
}
