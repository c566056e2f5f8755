/* The real backend's poller choice: epoll where the build found it, else poll. */
#include "backend/backend.h"
#include "coop/real.h"

#if !defined(COOP_HAVE_EPOLL)
/* real.h declares it on every system, so a build without epoll says so at run time. */
int coop_poller_epoll_new(coop_poller *out, coop_allocator alloc)
{
    (void)out;
    (void)alloc;
    return -COOP_ENOSYS;
}
#endif

int coop_poller_default_new(coop_poller *out, coop_allocator alloc)
{
#if defined(COOP_HAVE_EPOLL) && !defined(COOP_DEFAULT_POLLER_POLL)
    return coop_poller_epoll_new(out, alloc);
#else
    return coop_poller_poll_new(out, alloc);
#endif
}
