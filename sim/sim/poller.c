/* The poller the scheduler sees: the network's, forwarded, with a note of every call that may change readiness. */
#include "sim/private.h"

/*
 * Every call forwards to the node's host poller.  Calls that can change
 * readiness (of this node's fds or, through the network, another's) mark
 * the simulation dirty, so the loop asks the nodes for ready fds only
 * after something changed instead of after every step.
 */
#define SIM(ctx) ((struct sim_node *)(ctx))
#define FWD_DIRTY(call) (mark_dirty(SIM(ctx)), SIM(ctx)->inner.ops->call)

/* Readiness may have changed, so the rest of a batch of steps waits for the loop to settle first. */
static void mark_dirty(struct sim_node *n)
{
    n->sim->io_dirty = true;
    coop_break(n->sched);
}
static int fwd_add(void *ctx, int fd, uint32_t ev) { return FWD_DIRTY(add)(SIM(ctx)->inner.ctx, fd, ev); }
static int fwd_mod(void *ctx, int fd, uint32_t ev) { return FWD_DIRTY(mod)(SIM(ctx)->inner.ctx, fd, ev); }
static int fwd_del(void *ctx, int fd) { return FWD_DIRTY(del)(SIM(ctx)->inner.ctx, fd); }
static int fwd_wait(void *ctx, int64_t timeout_ns, coop_poll_event *out, int max)
{
    return SIM(ctx)->inner.ops->wait(SIM(ctx)->inner.ctx, timeout_ns, out, max);
}
static int fwd_listen(void *ctx, const char *addr, uint16_t port, int backlog)
{
    return FWD_DIRTY(listen)(SIM(ctx)->inner.ctx, addr, port, backlog);
}
static int fwd_local_port(void *ctx, int fd)
{
    return SIM(ctx)->inner.ops->local_port(SIM(ctx)->inner.ctx, fd);
}
static int fwd_accept(void *ctx, int fd) { return FWD_DIRTY(accept)(SIM(ctx)->inner.ctx, fd); }
static int fwd_connect(void *ctx, const char *addr, uint16_t port)
{
    return FWD_DIRTY(connect)(SIM(ctx)->inner.ctx, addr, port);
}
static int fwd_sock_error(void *ctx, int fd) { return FWD_DIRTY(sock_error)(SIM(ctx)->inner.ctx, fd); }
static long fwd_read(void *ctx, int fd, void *buf, size_t len)
{
    return FWD_DIRTY(read)(SIM(ctx)->inner.ctx, fd, buf, len);
}
static long fwd_write(void *ctx, int fd, const void *buf, size_t len)
{
    return FWD_DIRTY(write)(SIM(ctx)->inner.ctx, fd, buf, len);
}
static int fwd_shutdown_write(void *ctx, int fd)
{
    return FWD_DIRTY(shutdown_write)(SIM(ctx)->inner.ctx, fd);
}
static int fwd_close(void *ctx, int fd) { return FWD_DIRTY(close)(SIM(ctx)->inner.ctx, fd); }
static int fwd_close_reset(void *ctx, int fd) { return FWD_DIRTY(close_reset)(SIM(ctx)->inner.ctx, fd); }
/* The simulation owns the network and frees it after every node: a node's scheduler leaves it be. */
static void fwd_destroy(void *ctx) { (void)ctx; }

const coop_poller_ops sim_poller_ops = {
    .version = COOP_POLLER_VERSION,
    .name = "sim",
    .add = fwd_add,
    .mod = fwd_mod,
    .del = fwd_del,
    .wait = fwd_wait,
    .listen = fwd_listen,
    .local_port = fwd_local_port,
    .accept = fwd_accept,
    .connect = fwd_connect,
    .sock_error = fwd_sock_error,
    .read = fwd_read,
    .write = fwd_write,
    .shutdown_write = fwd_shutdown_write,
    .close = fwd_close,
    .destroy = fwd_destroy,
    .close_reset = fwd_close_reset,
};
