/* Thin wrappers from the socket API to the poller backend, with their preconditions. */
#include "internal.h"

#define NEED_POLLER(s)           \
    do {                         \
        if (!(s)->poller.ops)    \
            return -COOP_ENOSYS; \
    } while (0)

int coop_listen(coop_sched *s, const char *addr, uint16_t port, int backlog)
{
    NEED_POLLER(s);
    if (!addr || backlog < 0)
        return -COOP_EINVAL;
    return s->poller.ops->listen(s->poller.ctx, addr, port, backlog);
}

int coop_local_port(coop_sched *s, int fd)
{
    NEED_POLLER(s);
    return s->poller.ops->local_port(s->poller.ctx, fd);
}

int coop_accept(coop_sched *s, int listen_fd)
{
    NEED_POLLER(s);
    return s->poller.ops->accept(s->poller.ctx, listen_fd);
}

int coop_connect(coop_sched *s, const char *addr, uint16_t port)
{
    NEED_POLLER(s);
    if (!addr)
        return -COOP_EINVAL;
    return s->poller.ops->connect(s->poller.ctx, addr, port);
}

int coop_sock_error(coop_sched *s, int fd)
{
    NEED_POLLER(s);
    return s->poller.ops->sock_error(s->poller.ctx, fd);
}

long coop_read(coop_sched *s, int fd, void *buf, size_t len)
{
    NEED_POLLER(s);
    if (!buf && len)
        return -COOP_EINVAL;
    return s->poller.ops->read(s->poller.ctx, fd, buf, len);
}

long coop_write(coop_sched *s, int fd, const void *buf, size_t len)
{
    NEED_POLLER(s);
    if (!buf && len)
        return -COOP_EINVAL;
    return s->poller.ops->write(s->poller.ctx, fd, buf, len);
}

int coop_shutdown_write(coop_sched *s, int fd)
{
    NEED_POLLER(s);
    return s->poller.ops->shutdown_write(s->poller.ctx, fd);
}
