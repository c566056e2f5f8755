/* The progress bar of long runs, on a terminal only: done and total, failures, rate, elapsed time and ETA. */
#include <inttypes.h>

#include "cli.h"
#include "pool.h"

/* Without a terminal, a plain line this often: a CI log shows a long sweep is alive without filling up. */
#define PLAIN_EVERY_NS (10 * UINT64_C(1000000000))

void cli_progress_init(struct cli_progress *p, bool on, const char *unit)
{
    *p = (struct cli_progress){ .on = on, .unit = unit, .start_ns = cli_now_ns() };
    p->last_ns = p->start_ns;
}

void cli_progress_draw(struct cli_progress *p, uint64_t done, uint64_t total, uint64_t failed)
{
    uint64_t now = cli_now_ns(), elapsed = now - p->start_ns;
    if (!p->on && (!p->plain || now - p->last_ns < PLAIN_EVERY_NS))
        return;
    p->last_ns = now;
    int width = 24, fill = total ? (int)((double)done * width / (double)total) : width;
    double rate = elapsed ? (double)done * 1e9 / (double)elapsed : 0.0;
    char el[32], eta[32] = "?";
    cli_format_wall(elapsed, el, sizeof(el));
    if (rate > 0 && done <= total) {
        double left_s = (double)(total - done) / rate;
        /* Beyond a year the estimate says nothing useful, and would not fit the type. */
        if (left_s < 3e7)
            cli_format_wall((uint64_t)(left_s * 1e9), eta, sizeof(eta));
    }
    if (!p->on) {
        fprintf(stderr, "%" PRIu64 "/%" PRIu64 " %s, %" PRIu64 " failed, %.0f/s, %s elapsed, ETA %s\n", done,
                total, p->unit, failed, rate, el, eta);
        return;
    }
    /* \033[K clears what a longer previous line left. */
    fprintf(stderr,
            "\r[%.*s%*s] %" PRIu64 "/%" PRIu64 " %s, %" PRIu64 " failed, %.0f/s, %s elapsed, ETA %s\033[K",
            fill, "########################", width - fill, "", done, total, p->unit, failed, rate, el, eta);
    fflush(stderr);
    p->drawn = true;
}

void cli_progress_clear(struct cli_progress *p)
{
    if (!p->on || !p->drawn)
        return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    p->drawn = false;
}
