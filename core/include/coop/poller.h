/* The poller interface: readiness and socket operations, as a versioned table of functions. */
#ifndef COOP_POLLER_H
#define COOP_POLLER_H

#include "coop/export.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Version 2 added close_reset.  The core still accepts a version 1 table,
 * which ends at destroy; coop_close_reset() then fails with -COOP_ENOSYS.
 */
#define COOP_POLLER_VERSION 2

/* Readiness bits.  READ and WRITE keep the seed's values (1 and 4). */
#define COOP_EV_READ 0x1u
#define COOP_EV_WRITE 0x4u
#define COOP_EV_ERROR 0x8u   /* reported only, never requested */
#define COOP_EV_HANGUP 0x10u /* reported only, never requested */

typedef struct coop_poll_event {
    int fd;
    uint32_t events; /* COOP_EV_* bits */
} coop_poll_event;

/*
 * A poller backend.  Every slot is mandatory; coop_poller_check() verifies
 * that.  Failures return a negative COOP_E* code.
 *
 * Readiness is level-triggered: an fd stays reported for as long as it is
 * ready and registered with a non-zero event mask.  add() fails with
 * -COOP_EEXIST for an fd already added, mod() and del() with -COOP_ENOENT
 * for one that is not.  An fd added with an event mask of 0 is known but
 * never reported, which is how the core parks an fd cheaply.
 *
 * wait() blocks up to timeout_ns (negative: forever, 0: do not block) and
 * stores at most max events; it returns how many it stored.  It may return
 * 0 early.  The order of events is the backend's; the core does not depend
 * on it for correctness.
 *
 * The socket operations are non-blocking.  listen() binds and listens on
 * an IPv4 address ("127.0.0.1", "0.0.0.0") and returns the fd; port 0
 * picks a free port, which local_port() then reports.  accept() returns a
 * new non-blocking fd or -COOP_EAGAIN.  connect() returns an fd whose
 * connection may still be in progress; it becomes writable when the
 * connection completes, and sock_error() then tells the outcome.  read()
 * returns the byte count, 0 at end of stream, or -COOP_EAGAIN; write()
 * returns the byte count or -COOP_EAGAIN, -COOP_EPIPE, -COOP_ECONNRESET.
 * Writes never raise SIGPIPE.  close() also removes the fd from the
 * readiness set.  close_reset() closes abortively: the peer sees a reset
 * (RST) instead of an orderly end of stream, and unsent data is dropped.
 */
typedef struct coop_poller_ops {
    uint32_t version; /* COOP_POLLER_VERSION */
    const char *name; /* "epoll", "poll", "sim" */
    int (*add)(void *ctx, int fd, uint32_t events);
    int (*mod)(void *ctx, int fd, uint32_t events);
    int (*del)(void *ctx, int fd);
    int (*wait)(void *ctx, int64_t timeout_ns, coop_poll_event *out, int max);
    int (*listen)(void *ctx, const char *addr, uint16_t port, int backlog);
    int (*local_port)(void *ctx, int fd);
    int (*accept)(void *ctx, int listen_fd);
    int (*connect)(void *ctx, const char *addr, uint16_t port);
    int (*sock_error)(void *ctx, int fd);
    long (*read)(void *ctx, int fd, void *buf, size_t len);
    long (*write)(void *ctx, int fd, const void *buf, size_t len);
    int (*shutdown_write)(void *ctx, int fd);
    int (*close)(void *ctx, int fd);
    void (*destroy)(void *ctx);            /* frees the backend and closes its fds */
    int (*close_reset)(void *ctx, int fd); /* since version 2 */
} coop_poller_ops;

typedef struct coop_poller {
    const coop_poller_ops *ops;
    void *ctx;
} coop_poller;

/* Returns 0 when every slot of its version is set and the version is 1 or 2, else -COOP_EINVAL. */
COOP_API int coop_poller_check(const coop_poller *p);

#ifdef __cplusplus
}
#endif

#endif
