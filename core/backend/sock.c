/* The socket operations both real pollers share, and the errno translation. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"

/*
 * errors.h promises Linux's numbers.  Where the host is Linux, check that
 * promise at compile time; the translation below then returns its input
 * for every named code, and only has work to do for errno values coop
 * does not name, or on other systems.
 */
#if defined(__linux__)
_Static_assert(COOP_EPERM == EPERM, "COOP_EPERM");
_Static_assert(COOP_ENOENT == ENOENT, "COOP_ENOENT");
_Static_assert(COOP_ESRCH == ESRCH, "COOP_ESRCH");
_Static_assert(COOP_EINTR == EINTR, "COOP_EINTR");
_Static_assert(COOP_EIO == EIO, "COOP_EIO");
_Static_assert(COOP_E2BIG == E2BIG, "COOP_E2BIG");
_Static_assert(COOP_EBADF == EBADF, "COOP_EBADF");
_Static_assert(COOP_EAGAIN == EAGAIN, "COOP_EAGAIN");
_Static_assert(COOP_ENOMEM == ENOMEM, "COOP_ENOMEM");
_Static_assert(COOP_EBUSY == EBUSY, "COOP_EBUSY");
_Static_assert(COOP_EEXIST == EEXIST, "COOP_EEXIST");
_Static_assert(COOP_EINVAL == EINVAL, "COOP_EINVAL");
_Static_assert(COOP_EMFILE == EMFILE, "COOP_EMFILE");
_Static_assert(COOP_ENOSPC == ENOSPC, "COOP_ENOSPC");
_Static_assert(COOP_EPIPE == EPIPE, "COOP_EPIPE");
_Static_assert(COOP_ERANGE == ERANGE, "COOP_ERANGE");
_Static_assert(COOP_EDEADLK == EDEADLK, "COOP_EDEADLK");
_Static_assert(COOP_ENAMETOOLONG == ENAMETOOLONG, "COOP_ENAMETOOLONG");
_Static_assert(COOP_ENOSYS == ENOSYS, "COOP_ENOSYS");
_Static_assert(COOP_EOVERFLOW == EOVERFLOW, "COOP_EOVERFLOW");
_Static_assert(COOP_ENOTSOCK == ENOTSOCK, "COOP_ENOTSOCK");
_Static_assert(COOP_EADDRINUSE == EADDRINUSE, "COOP_EADDRINUSE");
_Static_assert(COOP_EADDRNOTAVAIL == EADDRNOTAVAIL, "COOP_EADDRNOTAVAIL");
_Static_assert(COOP_ENETUNREACH == ENETUNREACH, "COOP_ENETUNREACH");
_Static_assert(COOP_ECONNABORTED == ECONNABORTED, "COOP_ECONNABORTED");
_Static_assert(COOP_ECONNRESET == ECONNRESET, "COOP_ECONNRESET");
_Static_assert(COOP_ENOTCONN == ENOTCONN, "COOP_ENOTCONN");
_Static_assert(COOP_ETIMEDOUT == ETIMEDOUT, "COOP_ETIMEDOUT");
_Static_assert(COOP_ECONNREFUSED == ECONNREFUSED, "COOP_ECONNREFUSED");
_Static_assert(COOP_EINPROGRESS == EINPROGRESS, "COOP_EINPROGRESS");
_Static_assert(COOP_ECANCELED == ECANCELED, "COOP_ECANCELED");
#endif

int coop__errno_to_coop(int e)
{
    switch (e) {
    case EPERM:
        return COOP_EPERM;
    case ENOENT:
        return COOP_ENOENT;
    case ESRCH:
        return COOP_ESRCH;
    case EINTR:
        return COOP_EINTR;
    case EIO:
        return COOP_EIO;
    case E2BIG:
        return COOP_E2BIG;
    case EBADF:
        return COOP_EBADF;
    case EAGAIN:
        return COOP_EAGAIN;
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
        return COOP_EAGAIN;
#endif
    case ENOMEM:
        return COOP_ENOMEM;
    case EBUSY:
        return COOP_EBUSY;
    case EEXIST:
        return COOP_EEXIST;
    case EINVAL:
        return COOP_EINVAL;
    case EMFILE:
        return COOP_EMFILE;
    case ENOSPC:
        return COOP_ENOSPC;
    case EPIPE:
        return COOP_EPIPE;
    case ERANGE:
        return COOP_ERANGE;
    case EDEADLK:
        return COOP_EDEADLK;
    case ENAMETOOLONG:
        return COOP_ENAMETOOLONG;
    case ENOSYS:
        return COOP_ENOSYS;
    case EOVERFLOW:
        return COOP_EOVERFLOW;
    case ENOTSOCK:
        return COOP_ENOTSOCK;
    case EADDRINUSE:
        return COOP_EADDRINUSE;
    case EADDRNOTAVAIL:
        return COOP_EADDRNOTAVAIL;
    case ENETUNREACH:
        return COOP_ENETUNREACH;
    case ECONNABORTED:
        return COOP_ECONNABORTED;
    case ECONNRESET:
        return COOP_ECONNRESET;
    case ENOTCONN:
        return COOP_ENOTCONN;
    case ETIMEDOUT:
        return COOP_ETIMEDOUT;
    case ECONNREFUSED:
        return COOP_ECONNREFUSED;
    case EINPROGRESS:
        return COOP_EINPROGRESS;
    case ECANCELED:
        return COOP_ECANCELED;
    /* Near relatives, so that callers see a code they already handle. */
    case EACCES:
        return COOP_EPERM;
    case ENFILE:
        return COOP_EMFILE;
    case ENOBUFS:
        return COOP_ENOMEM;
    case EHOSTUNREACH:
        return COOP_ENETUNREACH;
    case EALREADY:
        return COOP_EINPROGRESS;
    default:
        return COOP_EIO;
    }
}

/* The negated translation of the current errno, the usual failure result. */
static int neg_errno(void) { return -coop__errno_to_coop(errno); }

/*
 * Small writes on a connection go out at once.  A cooperative program
 * writes whole messages, so Nagle's algorithm only adds latency here.
 * Failure is harmless, so it is ignored.
 */
static void set_nodelay(int fd)
{
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int parse_ipv4(const char *addr, uint16_t port, struct sockaddr_in *sa)
{
    if (!addr)
        return -COOP_EINVAL;
    *sa = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port) };
    if (inet_pton(AF_INET, addr, &sa->sin_addr) != 1)
        return -COOP_EINVAL;
    return 0;
}

int coop__sock_listen(void *ctx, const char *addr, uint16_t port, int backlog)
{
    (void)ctx;
    struct sockaddr_in sa;
    int err = parse_ipv4(addr, port, &sa);
    if (err)
        return err;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return neg_errno();
    /* A restarted server must not wait for old connections in TIME_WAIT. */
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
        goto fail;
    if (bind(fd, (const struct sockaddr *)&sa, sizeof(sa)) != 0)
        goto fail;
    if (listen(fd, backlog > 0 ? backlog : SOMAXCONN) != 0)
        goto fail;
    return fd;
fail:
    err = neg_errno();
    (void)coop__sock_close(fd);
    return err;
}

int coop__sock_local_port(void *ctx, int fd)
{
    (void)ctx;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return neg_errno();
    if (ss.ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)&ss)->sin6_port);
    return -COOP_EINVAL;
}

int coop__sock_accept(void *ctx, int listen_fd)
{
    (void)ctx;
    int fd;
    do
        fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return neg_errno();
    set_nodelay(fd);
    return fd;
}

int coop__sock_connect(void *ctx, const char *addr, uint16_t port)
{
    (void)ctx;
    struct sockaddr_in sa;
    int err = parse_ipv4(addr, port, &sa);
    if (err)
        return err;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return neg_errno();
    set_nodelay(fd);
    /*
     * An interrupted connect goes on in the background, exactly like one
     * in progress, so both hand back the fd; writability and sock_error()
     * then tell the outcome.
     */
    if (connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) != 0 && errno != EINPROGRESS &&
        errno != EINTR) {
        err = neg_errno();
        (void)coop__sock_close(fd);
        return err;
    }
    return fd;
}

int coop__sock_error(void *ctx, int fd)
{
    (void)ctx;
    int soerr = 0;
    socklen_t len = sizeof(soerr);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
        return neg_errno();
    return soerr ? -coop__errno_to_coop(soerr) : 0;
}

/* Linux transfers at most this much per call anyway; it keeps the count in a long. */
#define IO_MAX ((size_t)0x7ffff000)

long coop__sock_read(void *ctx, int fd, void *buf, size_t len)
{
    (void)ctx;
    if (len > IO_MAX)
        len = IO_MAX;
    ssize_t n;
    do
        n = read(fd, buf, len);
    while (n < 0 && errno == EINTR);
    return n < 0 ? neg_errno() : (long)n;
}

/*
 * write() on a pipe whose reader has gone raises SIGPIPE, and only sockets
 * know MSG_NOSIGNAL.  So block SIGPIPE in this thread for the one call,
 * and if the write raised it, take it back off the pending set before
 * unblocking, unless it was already pending before we started (then it
 * belongs to someone else).
 */
static ssize_t write_nosigpipe(int fd, const void *buf, size_t len)
{
    sigset_t pipe_set, old_set, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigemptyset(&pending);
    (void)sigpending(&pending);
    int was_pending = sigismember(&pending, SIGPIPE) == 1;
    if (pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set) != 0)
        return write(fd, buf, len);
    ssize_t n;
    do
        n = write(fd, buf, len);
    while (n < 0 && errno == EINTR);
    int saved = errno;
    if (n < 0 && saved == EPIPE && !was_pending) {
        const struct timespec zero = { 0, 0 };
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
            continue;
    }
    (void)pthread_sigmask(SIG_SETMASK, &old_set, NULL);
    errno = saved;
    return n;
}

long coop__sock_write(void *ctx, int fd, const void *buf, size_t len)
{
    (void)ctx;
    if (len > IO_MAX)
        len = IO_MAX;
    ssize_t n;
    do
        n = send(fd, buf, len, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0 && errno == ENOTSOCK)
        n = write_nosigpipe(fd, buf, len);
    return n < 0 ? neg_errno() : (long)n;
}

int coop__sock_shutdown_write(void *ctx, int fd)
{
    (void)ctx;
    return shutdown(fd, SHUT_WR) == 0 ? 0 : neg_errno();
}

/*
 * On Linux the fd is gone even when close() fails with EINTR, and a retry
 * could close an fd another thread has just been given, so EINTR counts
 * as success.
 */
int coop__sock_close(int fd)
{
    if (close(fd) == 0 || errno == EINTR)
        return 0;
    return neg_errno();
}

int coop__sock_linger_zero(int fd)
{
    struct linger l = { .l_onoff = 1, .l_linger = 0 };
    return setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) == 0 ? 0 : neg_errno();
}

int coop__fd_check(int fd)
{
    if (fd < 0 || fcntl(fd, F_GETFD) < 0)
        return -COOP_EBADF;
    return 0;
}
