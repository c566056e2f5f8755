/* The epoll poller: level-triggered epoll with a table of the fds it knows. */
#include <errno.h>
#include <sys/epoll.h>

#include "backend/backend.h"
#include "coop/real.h"

/* The table's mark for a known fd, above every COOP_EV_* bit. */
#define KNOWN 0x80u
_Static_assert((COOP__EV_REQUESTABLE & KNOWN) == 0, "KNOWN must not clash with COOP_EV_*");

/* Events fetched per epoll_wait() call; a larger max just gets fewer. */
#define BATCH 256

/*
 * The kernel's interest list cannot say whether an fd is in it without a
 * syscall, and it cannot hold a parked fd at all: epoll always reports
 * EPOLLERR and EPOLLHUP, even for an fd registered with events 0.  So the
 * poller keeps its own table.  masks[fd] is 0 for an fd it does not know,
 * else KNOWN | the COOP_EV_* mask.  An fd is in the kernel's interest list
 * exactly when its mask is non-zero; a parked fd (mask 0) is only in the
 * table.  nknown counts the non-zero entries, so destroy() can stop early.
 */
struct epollp {
    coop_allocator alloc;
    int epfd;       /* the epoll instance, owned */
    uint8_t *masks; /* fd -> 0, or KNOWN | COOP_EV_* bits; cap entries */
    uint32_t cap;
    uint32_t nknown; /* entries of masks that are non-zero */
};

static uint32_t to_epoll_events(uint32_t events)
{
    uint32_t ev = 0;
    if (events & COOP_EV_READ)
        ev |= EPOLLIN;
    if (events & COOP_EV_WRITE)
        ev |= EPOLLOUT;
    return ev;
}

/* The same rules as the poll poller's: see from_poll_events() there. */
static uint32_t from_epoll_events(uint32_t revents, uint32_t requested)
{
    uint32_t ev = 0;
    if (revents & EPOLLIN)
        ev |= COOP_EV_READ;
    if (revents & EPOLLOUT)
        ev |= COOP_EV_WRITE;
    if (revents & EPOLLHUP)
        ev |= COOP_EV_HANGUP | COOP_EV_READ;
    if (revents & EPOLLERR)
        ev |= COOP_EV_ERROR;
    return ev & (requested | COOP_EV_ERROR | COOP_EV_HANGUP);
}

static uint32_t mask_of(const struct epollp *ep, int fd)
{
    if (fd < 0 || (uint32_t)fd >= ep->cap)
        return 0;
    return ep->masks[fd];
}

static int ctl(struct epollp *ep, int op, int fd, uint32_t events)
{
    struct epoll_event ev = { .events = to_epoll_events(events), .data.fd = fd };
    return epoll_ctl(ep->epfd, op, fd, &ev) == 0 ? 0 : -coop__errno_to_coop(errno);
}

static int epollp_add(void *ctx, int fd, uint32_t events)
{
    struct epollp *ep = ctx;
    if (fd < 0)
        return -COOP_EBADF;
    if (events & ~COOP__EV_REQUESTABLE)
        return -COOP_EINVAL;
    if (mask_of(ep, fd))
        return -COOP_EEXIST;
    uint32_t old_cap = ep->cap;
    int err = coop__bk_grow(ep->alloc, (void **)&ep->masks, &ep->cap, (uint32_t)fd + 1u, sizeof(*ep->masks));
    if (err)
        return err;
    for (uint32_t i = old_cap; i < ep->cap; i++)
        ep->masks[i] = 0;
    /* A parked fd stays out of the kernel, but must still be an open fd. */
    err = events ? ctl(ep, EPOLL_CTL_ADD, fd, events) : coop__fd_check(fd);
    if (err)
        return err;
    ep->masks[fd] = (uint8_t)(KNOWN | events);
    ep->nknown++;
    return 0;
}

static int epollp_mod(void *ctx, int fd, uint32_t events)
{
    struct epollp *ep = ctx;
    if (events & ~COOP__EV_REQUESTABLE)
        return -COOP_EINVAL;
    uint32_t old = mask_of(ep, fd);
    if (!old)
        return -COOP_ENOENT;
    old &= ~KNOWN;
    int err = 0;
    if (old && events)
        err = ctl(ep, EPOLL_CTL_MOD, fd, events);
    else if (events)
        err = ctl(ep, EPOLL_CTL_ADD, fd, events);
    else if (old)
        err = ctl(ep, EPOLL_CTL_DEL, fd, 0);
    if (err)
        return err;
    ep->masks[fd] = (uint8_t)(KNOWN | events);
    return 0;
}

/*
 * The fd leaves the table even when the kernel refuses the removal: that
 * happens when the fd was closed behind the poller's back, and the kernel
 * has then dropped it already (unless a dup of it lives on; wait() ignores
 * reports for fds the table does not hold for that reason).
 */
static int epollp_del(void *ctx, int fd)
{
    struct epollp *ep = ctx;
    uint32_t old = mask_of(ep, fd);
    if (!old)
        return -COOP_ENOENT;
    if (old & ~KNOWN)
        (void)ctl(ep, EPOLL_CTL_DEL, fd, 0);
    ep->masks[fd] = 0;
    ep->nknown--;
    return 0;
}

static int epollp_wait(void *ctx, int64_t timeout_ns, coop_poll_event *out, int max)
{
    struct epollp *ep = ctx;
    if (!out || max <= 0)
        return -COOP_EINVAL;
    struct epoll_event evs[BATCH];
    int n = epoll_wait(ep->epfd, evs, max < BATCH ? max : BATCH, coop__timeout_ms(timeout_ns));
    if (n < 0)
        return errno == EINTR ? 0 : -coop__errno_to_coop(errno);
    int stored = 0;
    for (int i = 0; i < n; i++) {
        int fd = evs[i].data.fd;
        uint32_t mask = mask_of(ep, fd) & ~KNOWN;
        uint32_t ev = mask ? from_epoll_events(evs[i].events, mask) : 0;
        if (ev)
            out[stored++] = (coop_poll_event){ .fd = fd, .events = ev };
    }
    return stored;
}

/* The fd leaves the interest list before it is closed, as poller.h promises. */
static int epollp_close(void *ctx, int fd)
{
    (void)epollp_del(ctx, fd);
    return coop__sock_close(fd);
}

/* A socket that cannot linger (not a TCP socket) still closes: nothing is left open. */
static int epollp_close_reset(void *ctx, int fd)
{
    int err = coop__sock_linger_zero(fd);
    int closed = epollp_close(ctx, fd);
    return err ? err : closed;
}

static void epollp_destroy(void *ctx)
{
    struct epollp *ep = ctx;
    coop_allocator a = ep->alloc;
    for (uint32_t fd = 0; fd < ep->cap && ep->nknown; fd++) {
        if (ep->masks[fd]) {
            ep->nknown--;
            (void)coop__sock_close((int)fd);
        }
    }
    (void)coop__sock_close(ep->epfd);
    a.fn(a.ctx, ep->masks, (size_t)ep->cap * sizeof(*ep->masks), 0);
    a.fn(a.ctx, ep, sizeof(*ep), 0);
}

static const coop_poller_ops epollp_ops = {
    .version = COOP_POLLER_VERSION,
    .name = "epoll",
    .add = epollp_add,
    .mod = epollp_mod,
    .del = epollp_del,
    .wait = epollp_wait,
    .listen = coop__sock_listen,
    .local_port = coop__sock_local_port,
    .accept = coop__sock_accept,
    .connect = coop__sock_connect,
    .sock_error = coop__sock_error,
    .read = coop__sock_read,
    .write = coop__sock_write,
    .shutdown_write = coop__sock_shutdown_write,
    .close = epollp_close,
    .destroy = epollp_destroy,
    .close_reset = epollp_close_reset,
};

int coop_poller_epoll_new(coop_poller *out, coop_allocator alloc)
{
    if (!out)
        return -COOP_EINVAL;
    alloc = coop__alloc_or_libc(alloc);
    struct epollp *ep = alloc.fn(alloc.ctx, NULL, 0, sizeof(*ep));
    if (!ep)
        return -COOP_ENOMEM;
    *ep = (struct epollp){ .alloc = alloc, .epfd = epoll_create1(EPOLL_CLOEXEC) };
    if (ep->epfd < 0) {
        int err = -coop__errno_to_coop(errno);
        alloc.fn(alloc.ctx, ep, sizeof(*ep), 0);
        return err;
    }
    *out = (coop_poller){ .ops = &epollp_ops, .ctx = ep };
    return 0;
}
