/* blinker: the blinker tasks on the real backend, printing to stdout. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blinker.h"
#include "coop/real.h"

/* The longest run accepted, so that the duration fits in int64_t nanoseconds with room to spare. */
#define MAX_SECONDS 86400ull

static void usage(FILE *f)
{
    fprintf(f, "usage: blinker [--seconds N]\n"
               "  --seconds N  stop after N seconds (default 5; 0: run until interrupted)\n");
}

/* Flushing each line lets a pipe reader see the blinks as they happen. */
static void print_line(void *ctx, coop_task *t, const char *line)
{
    (void)t;
    FILE *f = ctx;
    fprintf(f, "%s\n", line);
    fflush(f);
}

int main(int argc, char **argv)
{
    unsigned long long seconds = 5;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--seconds") != 0 || i + 1 >= argc) {
            usage(stderr);
            return 2;
        }
        const char *val = argv[++i];
        char *end;
        errno = 0;
        seconds = strtoull(val, &end, 10);
        if (!*val || *val == '-' || *end || errno || seconds > MAX_SECONDS) {
            fprintf(stderr, "blinker: --seconds needs a number from 0 to %llu, got '%s'\n", MAX_SECONDS, val);
            return 2;
        }
    }

    coop_config cfg;
    int err = coop_config_real(&cfg);
    if (err) {
        fprintf(stderr, "blinker: no poller: %s\n", coop_strerror(err));
        return 1;
    }
    coop_sched *s = coop_sched_new(&cfg);
    if (!s) {
        cfg.poller.ops->destroy(cfg.poller.ctx);
        fprintf(stderr, "blinker: cannot create the scheduler\n");
        return 1;
    }
    struct coop_blinker_options opts = {
        .duration_ns = COOP_S(seconds),
        .out = print_line,
        .out_ctx = stdout,
    };
    int status = 1;
    err = coop_blinker_start(s, &opts);
    if (err) {
        fprintf(stderr, "blinker: cannot start: %s\n", coop_strerror(err));
    } else {
        coop_loop_result lr = coop_mainloop(s, false, NULL);
        status = lr == COOP_LOOP_STOPPED ? 0 : 1;
        if (status)
            fprintf(stderr, "blinker: the loop ended unexpectedly (%d)\n", (int)lr);
    }
    coop_sched_free(s);
    return status;
}
