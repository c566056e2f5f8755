/* Streams: fds registered by tasks, readiness wake-ups, and lazy disarming. */
#include "internal.h"

/*
 * Readiness is level-triggered.  An fd stays armed (its interest mask is
 * in the poller) until an event arrives while its task is not waiting on
 * it; then the event is remembered in `pending` and the fd is parked with
 * a mask of 0, so a busy task's ready socket cannot make the loop spin.
 * StreamWait returns a pending event at once, or re-arms parked fds and
 * blocks.  This costs a syscall only when a task is slower than its
 * socket.
 */

static struct coop__fdreg *find_reg(struct coop__calls *c, int fd)
{
    for (uint32_t i = 0; i < c->nfds; i++)
        if (c->fds[i].fd == fd)
            return &c->fds[i];
    return NULL;
}

int coop__stream_register(coop_sched *s, coop_task *t, int fd, uint32_t events)
{
    if (!s->poller.ops)
        return -COOP_ENOSYS;
    if (fd < 0)
        return -COOP_EBADF;
    if ((uint32_t)fd < s->fdcap && s->fdtab[fd] && s->fdtab[fd] != t)
        return -COOP_EBUSY;
    struct coop__calls *c = t->calls;
    struct coop__fdreg *r = find_reg(c, fd);
    if (r) {
        int err = r->armed ? s->poller.ops->mod(s->poller.ctx, fd, events) : 0;
        if (err)
            return err;
        r->interest = (uint8_t)events;
        return 0;
    }
    /*
     * The poller judges the fd first: the fd table is indexed by fd, so
     * growing it for a number the poller then rejects would keep memory
     * in proportion to a garbage value.  A table that cannot grow undoes
     * the poller's registration.
     */
    int err = s->poller.ops->add(s->poller.ctx, fd, events);
    if (err)
        return err;
    uint32_t need = (uint32_t)fd + 1;
    if (need > s->fdcap) {
        uint32_t old = s->fdcap;
        err = coop__grow(s, (void **)&s->fdtab, &s->fdcap, need, sizeof(*s->fdtab));
        if (err)
            goto undo;
        for (uint32_t i = old; i < s->fdcap; i++)
            s->fdtab[i] = NULL;
    }
    if (c->nfds == c->fdcap) {
        uint32_t cap = c->fdcap;
        err = coop__grow(s, (void **)&c->fds, &cap, c->nfds + 1u, sizeof(*c->fds));
        if (err)
            goto undo;
        c->fdcap = (uint16_t)(cap > UINT16_MAX ? UINT16_MAX : cap);
    }
    c->fds[c->nfds++] = (struct coop__fdreg){ fd, (uint8_t)events, 1, 0 };
    s->fdtab[fd] = t;
    s->nio++;
    return 0;
undo:
    (void)s->poller.ops->del(s->poller.ctx, fd);
    return err;
}

static void drop_reg(coop_sched *s, struct coop__calls *c, uint32_t i)
{
    s->fdtab[c->fds[i].fd] = NULL;
    s->nio--;
    /* Shift rather than swap, so that registration order survives. */
    for (uint32_t j = i + 1; j < c->nfds; j++)
        c->fds[j - 1] = c->fds[j];
    c->nfds--;
}

/*
 * Returns 1 when a pending event was handed over at once, 0 when the task
 * must block, or a negative code.  Pending fds are served in registration
 * order, which keeps the choice deterministic.
 */
int coop__stream_wait(coop_sched *s, coop_task *t)
{
    struct coop__calls *c = t->calls;
    if (c->nfds == 0)
        return -COOP_ENOENT;
    for (uint32_t i = 0; i < c->nfds; i++) {
        struct coop__fdreg *r = &c->fds[i];
        if (r->pending) {
            c->res = (coop_call_result){ r->fd, r->pending, NULL };
            r->pending = 0;
            return 1;
        }
    }
    for (uint32_t i = 0; i < c->nfds; i++) {
        struct coop__fdreg *r = &c->fds[i];
        if (!r->armed) {
            int err = s->poller.ops->mod(s->poller.ctx, r->fd, r->interest);
            if (err)
                return err;
            r->armed = 1;
        }
    }
    return 0;
}

/*
 * A Dial's fd became writable or failed: the socket's error says which.
 * On success the fd stays registered, as a reader, since a client's next
 * wait is for the answer to what it writes.
 */
static void dial_done(coop_sched *s, coop_task *t, struct coop__fdreg *r, uint32_t events)
{
    int fd = r->fd;
    int err = s->poller.ops->sock_error(s->poller.ctx, fd);
    if (err == 0 && s->poller.ops->mod(s->poller.ctx, fd, COOP_EV_READ) == 0) {
        r->interest = COOP_EV_READ;
        t->calls->res = (coop_call_result){ fd, events, NULL };
    } else {
        (void)coop_close(s, fd);
        t->calls->res = (coop_call_result){ err ? err : -COOP_ECONNREFUSED, events, NULL };
    }
    coop__make_ready(s, t, COOP_WAKE_IO, NULL, fd);
}

void coop__stream_event(coop_sched *s, int fd, uint32_t events)
{
    coop_task *t = fd >= 0 && (uint32_t)fd < s->fdcap ? s->fdtab[fd] : NULL;
    COOP__TRACE(s, COOP_TR_IO, t, .fd = fd, .value = events);
    if (!t) {
        /* Nobody holds it any more: stop the reports. */
        (void)s->poller.ops->del(s->poller.ctx, fd);
        return;
    }
    struct coop__calls *c = t->calls;
    struct coop__fdreg *r = find_reg(c, fd);
    coop_assert(r != NULL);
    if (t->where == COOP__BLOCKED && (c->block == COOP__BLOCK_IO || c->block == COOP__BLOCK_ANY)) {
        c->res = (coop_call_result){ fd, events, NULL };
        coop__make_ready(s, t, COOP_WAKE_IO, NULL, fd);
        return;
    }
    if (t->where == COOP__BLOCKED && c->block == COOP__BLOCK_DIAL && fd == c->dial_fd) {
        dial_done(s, t, r, events);
        return;
    }
    r->pending |= (uint8_t)events;
    if (r->armed && s->poller.ops->mod(s->poller.ctx, fd, 0) == 0)
        r->armed = 0;
}

/* A task that ends closes its fds, as the seed does. */
void coop__stream_drop_all(coop_sched *s, coop_task *t)
{
    struct coop__calls *c = t->calls;
    if (!c)
        return;
    while (c->nfds) {
        int fd = c->fds[0].fd;
        drop_reg(s, c, 0);
        (void)s->poller.ops->close(s->poller.ctx, fd);
    }
    coop__free(s, c->fds, (size_t)c->fdcap * sizeof(*c->fds));
    c->fds = NULL;
    c->fdcap = 0;
}

/* Drops the registration of whichever task holds the fd, before the fd goes. */
static void forget_fd(coop_sched *s, int fd)
{
    coop_task *t = fd >= 0 && (uint32_t)fd < s->fdcap ? s->fdtab[fd] : NULL;
    if (!t)
        return;
    struct coop__calls *c = t->calls;
    for (uint32_t i = 0; i < c->nfds; i++)
        if (c->fds[i].fd == fd) {
            drop_reg(s, c, i);
            return;
        }
}

int coop_close(coop_sched *s, int fd)
{
    if (!s->poller.ops)
        return -COOP_ENOSYS;
    forget_fd(s, fd);
    return s->poller.ops->close(s->poller.ctx, fd);
}

int coop_close_reset(coop_sched *s, int fd)
{
    if (!s->poller.ops || s->poller.ops->version < 2)
        return -COOP_ENOSYS;
    forget_fd(s, fd);
    return s->poller.ops->close_reset(s->poller.ctx, fd);
}

void coop__streams_free(coop_sched *s)
{
    coop__free(s, s->fdtab, (size_t)s->fdcap * sizeof(*s->fdtab));
    s->fdtab = NULL;
    s->fdcap = 0;
}
