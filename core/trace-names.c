/* Names of calls, wake reasons and trace events, for logs and traces. */
#include "internal.h"

const char *coop_call_name(int call)
{
    static const char *const names[COOP_CALL__COUNT] = {
        [COOP_CALL_NONE] = "yield",
        [COOP_CALL_GET_TASK_REF] = "GetTaskRef",
        [COOP_CALL_GET_TASK_DICT] = "GetTaskDict",
        [COOP_CALL_ADD_TASK] = "AddTask",
        [COOP_CALL_CREATE_TASK] = "CreateTask",
        [COOP_CALL_KILL_TASK] = "KillTask",
        [COOP_CALL_WAIT_TASK] = "WaitTask",
        [COOP_CALL_KILL_OS] = "KillOs",
        [COOP_CALL_WAIT] = "Wait",
        [COOP_CALL_SEND_SIGNAL] = "SendSignal",
        [COOP_CALL_WAIT_SIGNAL] = "Wait4Signal",
        [COOP_CALL_WAIT_SIGNALS] = "Wait4Signals",
        [COOP_CALL_SEND_WAIT_SIGNAL] = "SendWaitSignal",
        [COOP_CALL_STREAM_REGISTER] = "StreamRegister",
        [COOP_CALL_STREAM_WAIT] = "StreamWait",
        [COOP_CALL_DIAL] = "Dial",
        [COOP_CALL_WAIT_ANY] = "WaitAny",
    };
    return call >= 0 && call < COOP_CALL__COUNT ? names[call] : "?";
}

const char *coop_wake_name(int reason)
{
    switch (reason) {
    case COOP_WAKE_TIMER:
        return "timer";
    case COOP_WAKE_SIGNAL:
        return "signal";
    case COOP_WAKE_IO:
        return "io";
    case COOP_WAKE_TASK_EXIT:
        return "task_exit";
    case COOP_WAKE_TIMEOUT:
        return "timeout";
    default:
        return "?";
    }
}

const char *coop_trace_kind_name(int kind)
{
    switch (kind) {
    case COOP_TR_SPAWN:
        return "spawn";
    case COOP_TR_RUN:
        return "run";
    case COOP_TR_YIELD:
        return "yield";
    case COOP_TR_WAKE:
        return "wake";
    case COOP_TR_EXIT:
        return "exit";
    case COOP_TR_KILL:
        return "kill";
    case COOP_TR_FAIL:
        return "fail";
    case COOP_TR_SIGNAL:
        return "signal";
    case COOP_TR_IO:
        return "io";
    default:
        return "?";
    }
}
