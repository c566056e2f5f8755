/* Runs `blinker --seconds 1` and checks its exit status and the sequence of its lines, never their times. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * The lines without their "[  t.ttt s] " prefix.  The LEDs toggle every
 * 250, 500 and 1000 ms, ties print in LED order, and at 1 s the stopper
 * runs last; KillOs then ends the tasks in spawn order, and only led3 is
 * still lit.
 */
static const char *const expected[] = {
    "led1 on",  "led1 off", "led2 on",      "led1 on",  "led1 off",
    "led2 off", "led3 on",  "blinker stop", "led3 off",
};
#define NEXPECTED (sizeof(expected) / sizeof(expected[0]))

/* Checks the "[%3u.%03u s] " prefix and returns what follows it, or NULL. */
static const char *strip_time(const char *line)
{
    const char *p = line;
    if (*p++ != '[')
        return NULL;
    while (*p == ' ')
        p++;
    if (*p < '0' || *p > '9')
        return NULL;
    while (*p >= '0' && *p <= '9')
        p++;
    if (*p++ != '.')
        return NULL;
    for (int i = 0; i < 3; i++, p++)
        if (*p < '0' || *p > '9')
            return NULL;
    return strncmp(p, " s] ", 4) == 0 ? p + 4 : NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test-blinker-output PATH-TO-BLINKER\n");
        return 2;
    }
    int pfd[2];
    if (pipe(pfd) != 0) {
        perror("pipe");
        return 1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        dup2(pfd[1], STDOUT_FILENO);
        close(pfd[0]);
        close(pfd[1]);
        execl(argv[1], argv[1], "--seconds", "1", (char *)NULL);
        perror("exec");
        _exit(127);
    }
    close(pfd[1]);
    FILE *f = fdopen(pfd[0], "r");
    if (!f) {
        perror("fdopen");
        return 1;
    }
    int failures = 0;
    size_t n = 0;
    char line[256];
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        printf("%s\n", line);
        const char *what = strip_time(line);
        if (!what) {
            fprintf(stderr, "FAIL: line %zu has no time prefix: '%s'\n", n + 1, line);
            failures++;
        } else if (n >= NEXPECTED || strcmp(what, expected[n]) != 0) {
            fprintf(stderr, "FAIL: line %zu is '%s', expected '%s'\n", n + 1, what,
                    n < NEXPECTED ? expected[n] : "(end)");
            failures++;
        }
        n++;
    }
    fclose(f);
    if (n != NEXPECTED) {
        fprintf(stderr, "FAIL: %zu lines, expected %zu\n", n, NEXPECTED);
        failures++;
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "FAIL: blinker did not exit with status 0 (wait status %d)\n", status);
        failures++;
    }
    return failures ? 1 : 0;
}
