/* Error codes returned by coop as negative values, independent of <errno.h>. */
#ifndef COOP_ERRORS_H
#define COOP_ERRORS_H

#include "coop/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The core must build without an OS, so it cannot include <errno.h>.  These
 * constants carry Linux's numbers; the real backend checks at compile time
 * that they agree with the host's errno values and translates where they
 * do not.  Functions return -COOP_Exxx on failure.
 */
#define COOP_EPERM 1
#define COOP_ENOENT 2
#define COOP_ESRCH 3
#define COOP_EINTR 4
#define COOP_EIO 5
#define COOP_EBADF 9
#define COOP_EAGAIN 11
#define COOP_ENOMEM 12
#define COOP_EBUSY 16
#define COOP_EEXIST 17
#define COOP_EINVAL 22
#define COOP_EMFILE 24
#define COOP_ENOSPC 28
#define COOP_EPIPE 32
#define COOP_ERANGE 34
#define COOP_EDEADLK 35
#define COOP_ENAMETOOLONG 36
#define COOP_ENOSYS 38
#define COOP_E2BIG 7
#define COOP_EOVERFLOW 75
#define COOP_ENOTSOCK 88
#define COOP_EADDRINUSE 98
#define COOP_EADDRNOTAVAIL 99
#define COOP_ENETUNREACH 101
#define COOP_ECONNABORTED 103
#define COOP_ECONNRESET 104
#define COOP_ENOTCONN 107
#define COOP_ETIMEDOUT 110
#define COOP_ECONNREFUSED 111
#define COOP_EINPROGRESS 115
#define COOP_ECANCELED 125

/* Returns a short constant name such as "EAGAIN" for a code (sign ignored). */
COOP_API const char *coop_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif
