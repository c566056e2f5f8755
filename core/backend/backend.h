/* Internal declarations shared by the real backend's files; never installed. */
#ifndef COOP_BACKEND_H
#define COOP_BACKEND_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "coop/alloc.h"
#include "coop/errors.h"
#include "coop/poller.h"
#include "coop/sched.h"

/* The default log hook of builds with libc: one line per message on stderr. */
void coop__log_stderr(void *ctx, coop_log_level level, const char *msg);

/*
 * Translates a host errno value to the matching COOP_E* constant (positive).
 * On Linux this is the identity for every constant errors.h names; an
 * errno with no counterpart becomes COOP_EIO, so a caller can always
 * return the negated result.
 */
int coop__errno_to_coop(int e);

/*
 * The socket operations both pollers share.  They ignore ctx, which lets
 * the ops tables point at them directly.  Each returns what poller.h
 * documents, with errors as negative COOP_E* codes.
 */
int coop__sock_listen(void *ctx, const char *addr, uint16_t port, int backlog);
int coop__sock_local_port(void *ctx, int fd);
int coop__sock_accept(void *ctx, int listen_fd);
int coop__sock_connect(void *ctx, const char *addr, uint16_t port);
int coop__sock_error(void *ctx, int fd);
long coop__sock_read(void *ctx, int fd, void *buf, size_t len);
long coop__sock_write(void *ctx, int fd, const void *buf, size_t len);
int coop__sock_shutdown_write(void *ctx, int fd);
/* Closes fd; the pollers call it after dropping the fd from their set. */
int coop__sock_close(int fd);
/* Arms SO_LINGER with a zero timeout, so that the close which follows sends a reset. */
int coop__sock_linger_zero(int fd);
/* 0 when fd is an open descriptor, else -COOP_EBADF. */
int coop__fd_check(int fd);

/* An allocator whose fn is NULL means malloc, as in coop_config. */
static inline coop_allocator coop__alloc_or_libc(coop_allocator a)
{
    return a.fn ? a : coop_allocator_libc();
}

/*
 * Grows the array *v of *cap elements of elem bytes to hold at least need
 * elements, doubling from a minimum of 8.  On failure *v and *cap are
 * untouched and the result is -COOP_ENOMEM.
 */
static inline int coop__bk_grow(coop_allocator a, void **v, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    uint64_t n = *cap ? *cap : 8;
    while (n < need)
        n *= 2;
    if (n > UINT32_MAX || n > SIZE_MAX / elem)
        return -COOP_ENOMEM;
    void *p = a.fn(a.ctx, *v, (size_t)*cap * elem, (size_t)n * elem);
    if (!p)
        return -COOP_ENOMEM;
    *v = p;
    *cap = (uint32_t)n;
    return 0;
}

/*
 * The millisecond timeout poll() and epoll_wait() take.  A negative
 * timeout means forever (-1) and 0 means do not block.  Anything else
 * rounds up, so a timeout of 1 ns sleeps 1 ms: rounding down to 0 would
 * turn a loop waiting for a close deadline into a busy loop.
 */
static inline int coop__timeout_ms(int64_t timeout_ns)
{
    if (timeout_ns < 0)
        return -1;
    int64_t ms = timeout_ns / 1000000 + (timeout_ns % 1000000 != 0);
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* The requestable readiness bits; ERROR and HANGUP are only reported. */
#define COOP__EV_REQUESTABLE (COOP_EV_READ | COOP_EV_WRITE)

#endif
