/* The core's side of the poller interface: the check made when a backend is registered. */
#include "internal.h"

int coop_poller_check(const coop_poller *p)
{
    if (!p || !p->ops)
        return -COOP_EINVAL;
    const coop_poller_ops *o = p->ops;
    if (o->version < 1 || o->version > COOP_POLLER_VERSION || !o->name)
        return -COOP_EINVAL;
    /* poller.h makes every slot mandatory, so the wrappers never test for NULL. */
    if (!o->add || !o->mod || !o->del || !o->wait || !o->listen || !o->local_port || !o->accept ||
        !o->connect || !o->sock_error || !o->read || !o->write || !o->shutdown_write || !o->close ||
        !o->destroy)
        return -COOP_EINVAL;
    if (o->version >= 2 && !o->close_reset)
        return -COOP_EINVAL;
    return 0;
}
