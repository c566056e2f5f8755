/* Introspection: what a task waits on, in parts, for tools that show a scheduler's state. */
#ifndef COOP_INTROSPECT_H
#define COOP_INTROSPECT_H

#include <stdbool.h>
#include <stdint.h>

#include "coop/export.h"
#include "coop/task.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where a task stands. */
typedef enum coop_task_where {
    COOP_WHERE_RUNNING, /* its step, or the handling of its call, is under way */
    COOP_WHERE_READY,   /* due now: it runs when its turn comes */
    COOP_WHERE_DUE,     /* due at a later time (a period, Wait, or a plain yield's next tick) */
    COOP_WHERE_BLOCKED, /* waiting for what coop_wait_info.kind says, maybe with a deadline */
    COOP_WHERE_ENDED    /* ended, or not yet added */
} coop_task_where;

/* What a blocked task waits for. */
typedef enum coop_wait_kind {
    COOP_WAITS_NOTHING, /* not blocked */
    COOP_WAITS_SIGNAL,  /* one or more signals (coop_task_wait_signal) */
    COOP_WAITS_TASK,    /* another task's end (coop_wait_info.tid) */
    COOP_WAITS_IO,      /* its registered fds (coop_task_wait_fd) */
    COOP_WAITS_ANY,     /* WaitAny: its signals and its registered fds */
    COOP_WAITS_DIAL     /* a connect on coop_wait_info.fd */
} coop_wait_kind;

typedef struct coop_wait_info {
    coop_task_where where;
    coop_wait_kind kind;
    bool has_deadline;    /* blocked with a timeout, or due at a later time */
    uint64_t deadline_ns; /* the timeout or the due time, when has_deadline */
    uint32_t tid;         /* COOP_WAITS_TASK: the task waited for */
    int fd;               /* COOP_WAITS_DIAL: the connecting fd; else -1 */
    uint32_t nsignals;    /* signal names it waits on (blocked on signals, or WaitAny) */
    uint32_t nfds;        /* fds it registered, whether or not it waits on them now */
} coop_wait_info;

/*
 * Fills *out with what the task waits on.  It reads the task's record
 * and nothing else: no allocation, and the scheduler's hot path is not
 * involved.  coop_task_describe_wait writes the same in words.
 */
COOP_API void coop_task_wait_info(const coop_task *t, coop_wait_info *out);
/* The i-th signal name it waits on (i < nsignals), in registration order; NULL past the end. */
COOP_API const char *coop_task_wait_signal(const coop_task *t, uint32_t i);
/*
 * The i-th fd it registered (i < nfds), in registration order, with the
 * events it wants (COOP_EV_READ, COOP_EV_WRITE) in *interest and those
 * seen while it was not waiting in *pending (either may be NULL); -1
 * past the end.
 */
COOP_API int coop_task_wait_fd(const coop_task *t, uint32_t i, unsigned *interest, unsigned *pending);

#ifdef __cplusplus
}
#endif

#endif
