/* The poll(2) poller: a dense pollfd array plus an fd-to-slot map, level-triggered. */
#include <errno.h>
#include <poll.h>

#include "backend/backend.h"
#include "coop/real.h"

/*
 * The poller's state.  Every fd the poller knows has exactly one slot in
 * pfds[0..n), and slot_of[fd] is that slot; every other entry of slot_of
 * is -1, so add, mod and del cost O(1) (del moves the last slot into the
 * hole).  A slot whose mask is 0 holds ~fd, which is negative, because
 * poll() skips negative fds entirely: with events 0 it would still report
 * POLLERR and POLLHUP, and a parked fd must never be reported.
 */
struct pollp {
    coop_allocator alloc;
    struct pollfd *pfds; /* n slots in use, cap allocated */
    uint32_t n, cap;
    int32_t *slot_of; /* fd -> slot, or -1; slot_cap entries */
    uint32_t slot_cap;
    uint32_t cursor; /* slot where the next scan starts; < n, or 0 */
};

static short to_poll_events(uint32_t events)
{
    short ev = 0;
    if (events & COOP_EV_READ)
        ev |= POLLIN;
    if (events & COOP_EV_WRITE)
        ev |= POLLOUT;
    return ev;
}

/*
 * A hangup also reads as READ, so a reader wakes up and sees its EOF.
 * READ and WRITE are reported only when requested; ERROR and HANGUP
 * always are, as with epoll.  POLLNVAL (an fd closed behind the poller's
 * back) reads as an error, so that whoever holds it finds out.
 */
static uint32_t from_poll_events(short revents, short requested)
{
    uint32_t ev = 0;
    uint32_t mask = COOP_EV_ERROR | COOP_EV_HANGUP;
    if (requested & POLLIN)
        mask |= COOP_EV_READ;
    if (requested & POLLOUT)
        mask |= COOP_EV_WRITE;
    if (revents & POLLIN)
        ev |= COOP_EV_READ;
    if (revents & POLLOUT)
        ev |= COOP_EV_WRITE;
    if (revents & POLLHUP)
        ev |= COOP_EV_HANGUP | COOP_EV_READ;
    if (revents & (POLLERR | POLLNVAL))
        ev |= COOP_EV_ERROR;
    return ev & mask;
}

static int slot_find(const struct pollp *pp, int fd)
{
    if (fd < 0 || (uint32_t)fd >= pp->slot_cap)
        return -1;
    return pp->slot_of[fd];
}

static void slot_set(struct pollfd *pfd, int fd, uint32_t events)
{
    pfd->fd = events ? fd : ~fd;
    pfd->events = to_poll_events(events);
    pfd->revents = 0;
}

static int pollp_add(void *ctx, int fd, uint32_t events)
{
    struct pollp *pp = ctx;
    if (fd < 0)
        return -COOP_EBADF;
    if (events & ~COOP__EV_REQUESTABLE)
        return -COOP_EINVAL;
    if (slot_find(pp, fd) >= 0)
        return -COOP_EEXIST;
    /* epoll_ctl() rejects a closed fd at once; poll() would only report POLLNVAL later. */
    int err = coop__fd_check(fd);
    if (err)
        return err;
    /* Grow both arrays before changing anything, so a failure leaves no trace. */
    uint32_t old_cap = pp->slot_cap;
    err = coop__bk_grow(pp->alloc, (void **)&pp->slot_of, &pp->slot_cap, (uint32_t)fd + 1u,
                        sizeof(*pp->slot_of));
    if (err)
        return err;
    for (uint32_t i = old_cap; i < pp->slot_cap; i++)
        pp->slot_of[i] = -1;
    err = coop__bk_grow(pp->alloc, (void **)&pp->pfds, &pp->cap, pp->n + 1u, sizeof(*pp->pfds));
    if (err)
        return err;
    slot_set(&pp->pfds[pp->n], fd, events);
    pp->slot_of[fd] = (int32_t)pp->n;
    pp->n++;
    return 0;
}

static int pollp_mod(void *ctx, int fd, uint32_t events)
{
    struct pollp *pp = ctx;
    if (events & ~COOP__EV_REQUESTABLE)
        return -COOP_EINVAL;
    int slot = slot_find(pp, fd);
    if (slot < 0)
        return -COOP_ENOENT;
    slot_set(&pp->pfds[slot], fd, events);
    return 0;
}

static int pollp_del(void *ctx, int fd)
{
    struct pollp *pp = ctx;
    int slot = slot_find(pp, fd);
    if (slot < 0)
        return -COOP_ENOENT;
    uint32_t last = --pp->n;
    if ((uint32_t)slot != last) {
        struct pollfd moved = pp->pfds[last];
        pp->pfds[slot] = moved;
        pp->slot_of[moved.fd < 0 ? ~moved.fd : moved.fd] = slot;
    }
    pp->slot_of[fd] = -1;
    if (pp->cursor >= pp->n)
        pp->cursor = 0;
    return 0;
}

/*
 * The scan starts where the previous one stopped storing, so when more
 * fds are ready than fit in out, the ones late in the array still get
 * their turn.
 */
static int pollp_wait(void *ctx, int64_t timeout_ns, coop_poll_event *out, int max)
{
    struct pollp *pp = ctx;
    if (!out || max <= 0)
        return -COOP_EINVAL;
    int ready = poll(pp->pfds, (nfds_t)pp->n, coop__timeout_ms(timeout_ns));
    if (ready < 0)
        return errno == EINTR ? 0 : -coop__errno_to_coop(errno);
    int stored = 0;
    uint32_t slot = pp->cursor;
    for (uint32_t k = 0; k < pp->n && ready > 0; k++, slot = slot + 1 < pp->n ? slot + 1 : 0) {
        const struct pollfd *pfd = &pp->pfds[slot];
        if (!pfd->revents)
            continue;
        ready--;
        uint32_t ev = from_poll_events(pfd->revents, pfd->events);
        if (!ev)
            continue;
        out[stored++] = (coop_poll_event){ .fd = pfd->fd, .events = ev };
        if (stored == max) {
            pp->cursor = slot + 1 < pp->n ? slot + 1 : 0;
            break;
        }
    }
    return stored;
}

static int pollp_close(void *ctx, int fd)
{
    (void)pollp_del(ctx, fd);
    return coop__sock_close(fd);
}

/* A socket that cannot linger (not a TCP socket) still closes: nothing is left open. */
static int pollp_close_reset(void *ctx, int fd)
{
    int err = coop__sock_linger_zero(fd);
    int closed = pollp_close(ctx, fd);
    return err ? err : closed;
}

static void pollp_destroy(void *ctx)
{
    struct pollp *pp = ctx;
    coop_allocator a = pp->alloc;
    for (uint32_t i = 0; i < pp->n; i++) {
        int fd = pp->pfds[i].fd;
        (void)coop__sock_close(fd < 0 ? ~fd : fd);
    }
    a.fn(a.ctx, pp->pfds, (size_t)pp->cap * sizeof(*pp->pfds), 0);
    a.fn(a.ctx, pp->slot_of, (size_t)pp->slot_cap * sizeof(*pp->slot_of), 0);
    a.fn(a.ctx, pp, sizeof(*pp), 0);
}

static const coop_poller_ops pollp_ops = {
    .version = COOP_POLLER_VERSION,
    .name = "poll",
    .add = pollp_add,
    .mod = pollp_mod,
    .del = pollp_del,
    .wait = pollp_wait,
    .listen = coop__sock_listen,
    .local_port = coop__sock_local_port,
    .accept = coop__sock_accept,
    .connect = coop__sock_connect,
    .sock_error = coop__sock_error,
    .read = coop__sock_read,
    .write = coop__sock_write,
    .shutdown_write = coop__sock_shutdown_write,
    .close = pollp_close,
    .destroy = pollp_destroy,
    .close_reset = pollp_close_reset,
};

int coop_poller_poll_new(coop_poller *out, coop_allocator alloc)
{
    if (!out)
        return -COOP_EINVAL;
    alloc = coop__alloc_or_libc(alloc);
    struct pollp *pp = alloc.fn(alloc.ctx, NULL, 0, sizeof(*pp));
    if (!pp)
        return -COOP_ENOMEM;
    *pp = (struct pollp){ .alloc = alloc };
    *out = (coop_poller){ .ops = &pollp_ops, .ctx = pp };
    return 0;
}
