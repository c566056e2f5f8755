/* What the command says of an item whose worker crashed or ran out of time: the signal, the task, the last events. */
#include <inttypes.h>
#include <signal.h>
#include <string.h>

#include "cli.h"
#include "pool.h"

const char *cli_signal_name(int sig)
{
    static const struct {
        int sig;
        const char *name;
    } names[] = { { SIGSEGV, "SIGSEGV" }, { SIGBUS, "SIGBUS" },   { SIGFPE, "SIGFPE" },
                  { SIGILL, "SIGILL" },   { SIGABRT, "SIGABRT" }, { SIGKILL, "SIGKILL" },
                  { SIGTRAP, "SIGTRAP" }, { SIGSYS, "SIGSYS" },   { SIGTERM, "SIGTERM" },
                  { SIGINT, "SIGINT" },   { SIGPIPE, "SIGPIPE" }, { SIGXCPU, "SIGXCPU" },
                  { SIGXFSZ, "SIGXFSZ" }, { SIGQUIT, "SIGQUIT" }, { SIGALRM, "SIGALRM" },
                  { SIGUSR1, "SIGUSR1" }, { SIGUSR2, "SIGUSR2" } };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].sig == sig)
            return names[i].name;
    return "a signal";
}

/* "task crasher#1", with its node when there are several, or a sentence for no task. */
static void where(FILE *out, const struct cli_watch *w)
{
    if (!w->tid) {
        fputs("before any task step (in the program's start or the simulator)", out);
        return;
    }
    if (!w->in_step)
        fputs("between steps (in the simulator), after a step of ", out);
    else
        fputs("while ", out);
    fprintf(out, "task %s#%" PRIu32, w->task, w->tid);
    if (w->node[0])
        fprintf(out, " on node %s", w->node);
    if (w->in_step)
        fputs(" was running", out);
    if (w->resume)
        fprintf(out, ", resumed at line %u", w->resume);
    else
        fputs(w->in_step ? ", in its setup or first step" : "", out);
}

void cli_write_death(FILE *out, const struct cli_outcome *o, uint64_t timeout_ns)
{
    const struct cli_watch *w = o->watch;
    char t[32];
    if (o->kind == CLI_OUT_TIMEOUT) {
        cli_format_wall(timeout_ns, t, sizeof(t));
        fprintf(out, "  still running after %s (the --timeout) ", t);
        where(out, w);
        fputs("; its worker was killed\n", out);
    } else if (o->signal) {
        fprintf(out, "  the worker died of %s (%s) ", cli_signal_name(o->signal), strsignal(o->signal));
        where(out, w);
        fputs("\n", out);
    } else {
        fprintf(out, "  the worker ended with exit status %d ", o->exit_status);
        where(out, w);
        fputs(" (task code called exit, or a sanitizer stopped it: see standard error)\n", out);
    }
    if (!w->nev)
        return;
    uint64_t first = w->nev > CLI_WATCH_TAIL ? w->nev - CLI_WATCH_TAIL : 0;
    fprintf(out, "  last %" PRIu64 " trace events:\n", w->nev - first);
    for (uint64_t i = first; i < w->nev; i++)
        fprintf(out, "    %s\n", w->tail[i % CLI_WATCH_TAIL]);
}

void cli_death_signature(char *buf, size_t len, const struct cli_outcome *o)
{
    const struct cli_watch *w = o->watch;
    char what[48];
    if (o->kind == CLI_OUT_TIMEOUT)
        snprintf(what, sizeof(what), "timeout");
    else if (o->signal)
        snprintf(what, sizeof(what), "crash %s", cli_signal_name(o->signal));
    else
        snprintf(what, sizeof(what), "crash exit %d", o->exit_status);
    if (w->tid && w->in_step)
        snprintf(buf, len, "%s in task %s (resumed at line %u)", what, w->task, w->resume);
    else
        snprintf(buf, len, "%s outside any task step", what);
}
