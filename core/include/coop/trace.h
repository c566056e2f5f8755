/* The trace hook: every decision the scheduler makes, as a stream of events. */
#ifndef COOP_TRACE_H
#define COOP_TRACE_H

#include "coop/export.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum coop_trace_kind {
    COOP_TR_SPAWN,  /* a task joined; code = prio, value = period_ns */
    COOP_TR_RUN,    /* a step starts */
    COOP_TR_YIELD,  /* a step ended with a call; call = COOP_CALL_* */
    COOP_TR_WAKE,   /* a blocked task became ready; reason = COOP_WAKE_* */
    COOP_TR_EXIT,   /* a task ended by itself; code = exit status */
    COOP_TR_KILL,   /* a task was killed; code = killer tid (0: outside) */
    COOP_TR_FAIL,   /* a step failed; code = error, file/line where */
    COOP_TR_SIGNAL, /* a signal was sent; signal, value, code = woken */
    COOP_TR_IO      /* the poller reported an fd; fd, value = events */
} coop_trace_kind;

/* The calls a task can yield, as recorded by COOP_TR_YIELD. */
typedef enum coop_call_kind {
    COOP_CALL_NONE = 0, /* a plain yield */
    COOP_CALL_GET_TASK_REF,
    COOP_CALL_GET_TASK_DICT,
    COOP_CALL_ADD_TASK,
    COOP_CALL_CREATE_TASK,
    COOP_CALL_KILL_TASK,
    COOP_CALL_WAIT_TASK,
    COOP_CALL_KILL_OS,
    COOP_CALL_WAIT,
    COOP_CALL_SEND_SIGNAL,
    COOP_CALL_WAIT_SIGNAL,
    COOP_CALL_WAIT_SIGNALS,
    COOP_CALL_SEND_WAIT_SIGNAL,
    COOP_CALL_STREAM_REGISTER,
    COOP_CALL_STREAM_WAIT,
    COOP_CALL_DIAL,
    COOP_CALL_WAIT_ANY,
    COOP_CALL__COUNT
} coop_call_kind;

/* Why a blocked task became ready, as recorded by COOP_TR_WAKE. */
typedef enum coop_wake_reason {
    COOP_WAKE_TIMER,
    COOP_WAKE_SIGNAL,
    COOP_WAKE_IO,
    COOP_WAKE_TASK_EXIT,
    COOP_WAKE_TIMEOUT
} coop_wake_reason;

typedef struct coop_trace_event {
    coop_trace_kind kind;
    uint64_t t_ns;
    uint32_t tid;     /* 0 when no task is involved */
    const char *task; /* the task's name, or NULL */
    int call;         /* COOP_TR_YIELD */
    int reason;       /* COOP_TR_WAKE */
    int64_t code;
    int64_t value;
    const char *signal; /* COOP_TR_SIGNAL, and WAKE by a signal */
    int fd;             /* COOP_TR_IO, and WAKE by I/O; -1 otherwise */
    const char *file;   /* COOP_TR_FAIL */
    unsigned line;      /* COOP_TR_FAIL; for RUN, the resume line */
} coop_trace_event;

typedef void (*coop_trace_fn)(void *ctx, const coop_trace_event *ev);

COOP_API const char *coop_call_name(int call);
COOP_API const char *coop_wake_name(int reason);
COOP_API const char *coop_trace_kind_name(int kind);

#ifdef __cplusplus
}
#endif

#endif
