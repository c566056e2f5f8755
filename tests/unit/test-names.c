/* Names for errors, calls, wake reasons and trace events: complete, and "?" outside the range. */
#include <criterion/criterion.h>
#include <errno.h>

#include "coop/coop.h"

Test(names, every_error_code_has_its_errno_name)
{
    static const struct {
        int code;
        const char *name;
    } codes[] = {
        { COOP_EPERM, "EPERM" },
        { COOP_ENOENT, "ENOENT" },
        { COOP_ESRCH, "ESRCH" },
        { COOP_EINTR, "EINTR" },
        { COOP_EIO, "EIO" },
        { COOP_EBADF, "EBADF" },
        { COOP_EAGAIN, "EAGAIN" },
        { COOP_ENOMEM, "ENOMEM" },
        { COOP_EBUSY, "EBUSY" },
        { COOP_EEXIST, "EEXIST" },
        { COOP_EINVAL, "EINVAL" },
        { COOP_EMFILE, "EMFILE" },
        { COOP_ENOSPC, "ENOSPC" },
        { COOP_EPIPE, "EPIPE" },
        { COOP_ERANGE, "ERANGE" },
        { COOP_EDEADLK, "EDEADLK" },
        { COOP_ENAMETOOLONG, "ENAMETOOLONG" },
        { COOP_ENOSYS, "ENOSYS" },
        { COOP_E2BIG, "E2BIG" },
        { COOP_EOVERFLOW, "EOVERFLOW" },
        { COOP_ENOTSOCK, "ENOTSOCK" },
        { COOP_EADDRINUSE, "EADDRINUSE" },
        { COOP_EADDRNOTAVAIL, "EADDRNOTAVAIL" },
        { COOP_ENETUNREACH, "ENETUNREACH" },
        { COOP_ECONNABORTED, "ECONNABORTED" },
        { COOP_ECONNRESET, "ECONNRESET" },
        { COOP_ENOTCONN, "ENOTCONN" },
        { COOP_ETIMEDOUT, "ETIMEDOUT" },
        { COOP_ECONNREFUSED, "ECONNREFUSED" },
        { COOP_EINPROGRESS, "EINPROGRESS" },
        { COOP_ECANCELED, "ECANCELED" },
    };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        cr_assert_str_eq(coop_strerror(codes[i].code), codes[i].name);
        cr_assert_str_eq(coop_strerror(-codes[i].code), codes[i].name, "the sign is ignored");
    }
    cr_assert_str_eq(coop_strerror(4095), "E?");
    /* On Linux the codes are the host's own errno values. */
    cr_assert_eq(COOP_EAGAIN, EAGAIN);
    cr_assert_eq(COOP_ECANCELED, ECANCELED);
    cr_assert_eq(COOP_ECONNREFUSED, ECONNREFUSED);
}

Test(names, calls_wakes_and_events)
{
    cr_assert_str_eq(coop_call_name(COOP_CALL_NONE), "yield");
    cr_assert_str_eq(coop_call_name(COOP_CALL_SEND_WAIT_SIGNAL), "SendWaitSignal");
    for (int c = 0; c < COOP_CALL__COUNT; c++)
        cr_assert_str_neq(coop_call_name(c), "?");
    cr_assert_str_eq(coop_call_name(COOP_CALL__COUNT), "?");
    cr_assert_str_eq(coop_call_name(-1), "?");
    const char *wakes[] = { "timer", "signal", "io", "task_exit", "timeout" };
    for (int w = 0; w < 5; w++)
        cr_assert_str_eq(coop_wake_name(w), wakes[w]);
    cr_assert_str_eq(coop_wake_name(99), "?");
    const char *kinds[] = { "spawn", "run", "yield", "wake", "exit", "kill", "fail", "signal", "io" };
    for (int k = 0; k < 9; k++)
        cr_assert_str_eq(coop_trace_kind_name(k), kinds[k]);
    cr_assert_str_eq(coop_trace_kind_name(99), "?");
}
