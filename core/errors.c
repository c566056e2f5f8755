/* The names of the COOP_E* error codes, for logs and traces. */
#include "coop/errors.h"

const char *coop_strerror(int err)
{
    /* Negating in unsigned arithmetic keeps INT_MIN defined; it is no code anyway. */
    unsigned code = err < 0 ? 0u - (unsigned)err : (unsigned)err;
    switch (code) {
    case COOP_EPERM:
        return "EPERM";
    case COOP_ENOENT:
        return "ENOENT";
    case COOP_ESRCH:
        return "ESRCH";
    case COOP_EINTR:
        return "EINTR";
    case COOP_EIO:
        return "EIO";
    case COOP_E2BIG:
        return "E2BIG";
    case COOP_EBADF:
        return "EBADF";
    case COOP_EAGAIN:
        return "EAGAIN";
    case COOP_ENOMEM:
        return "ENOMEM";
    case COOP_EBUSY:
        return "EBUSY";
    case COOP_EEXIST:
        return "EEXIST";
    case COOP_EINVAL:
        return "EINVAL";
    case COOP_EMFILE:
        return "EMFILE";
    case COOP_ENOSPC:
        return "ENOSPC";
    case COOP_EPIPE:
        return "EPIPE";
    case COOP_ERANGE:
        return "ERANGE";
    case COOP_EDEADLK:
        return "EDEADLK";
    case COOP_ENAMETOOLONG:
        return "ENAMETOOLONG";
    case COOP_ENOSYS:
        return "ENOSYS";
    case COOP_EOVERFLOW:
        return "EOVERFLOW";
    case COOP_ENOTSOCK:
        return "ENOTSOCK";
    case COOP_EADDRINUSE:
        return "EADDRINUSE";
    case COOP_EADDRNOTAVAIL:
        return "EADDRNOTAVAIL";
    case COOP_ENETUNREACH:
        return "ENETUNREACH";
    case COOP_ECONNABORTED:
        return "ECONNABORTED";
    case COOP_ECONNRESET:
        return "ECONNRESET";
    case COOP_ENOTCONN:
        return "ENOTCONN";
    case COOP_ETIMEDOUT:
        return "ETIMEDOUT";
    case COOP_ECONNREFUSED:
        return "ECONNREFUSED";
    case COOP_EINPROGRESS:
        return "EINPROGRESS";
    case COOP_ECANCELED:
        return "ECANCELED";
    default:
        return "E?";
    }
}
