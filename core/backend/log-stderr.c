/* The default log hook: each message becomes one "coop: level: msg" line on stderr. */
#include <stdio.h>

#include "backend/backend.h"

static const char *level_name(coop_log_level level)
{
    switch (level) {
    case COOP_LOG_DEBUG:
        return "debug";
    case COOP_LOG_INFO:
        return "info";
    case COOP_LOG_WARN:
        return "warn";
    case COOP_LOG_ERROR:
        return "error";
    }
    return "log";
}

/*
 * One fprintf call per line: stderr is unbuffered, and glibc then formats
 * into a temporary buffer and issues a single write, so lines from several
 * threads or processes do not interleave mid-line.
 */
void coop__log_stderr(void *ctx, coop_log_level level, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "coop: %s: %s\n", level_name(level), msg ? msg : "(null)");
}
