/* stress-client: N loopback connections doing ping-pong with an echo server, verifying every byte. */
#define _GNU_SOURCE /* SOCK_NONBLOCK and SOCK_CLOEXEC under strict C11 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A bound on the message size, so that each connection's buffers are fixed. */
#define MAX_SIZE 65536
#define BATCH 256

/*
 * One connection.  It sends a message of `size` bytes, waits until the
 * same bytes have come back, checks them, and starts the next round.
 * sent and recvd count bytes of the current round; want_out says whether
 * the fd is registered for writability (a send was short).
 */
struct conn {
    int fd; /* -1 once closed */
    bool connected;
    bool want_out;
    bool done; /* finished all its rounds, or the time is up */
    uint32_t sent;
    uint32_t recvd;
    uint64_t round;
};

struct opts {
    uint16_t port;
    int clients;
    uint32_t size;
    uint64_t rounds; /* 0: run for `seconds` instead */
    double seconds;
    double timeout; /* the whole run fails after this long */
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Byte j of round r on connection c; it changes with each, so a stale or crossed reply shows. */
static unsigned char pattern(int c, uint64_t r, uint32_t j)
{
    return (unsigned char)((unsigned)c * 7u + (unsigned)r * 13u + j * 31u + (j >> 8));
}

static void usage(FILE *f)
{
    fprintf(
        f, "usage: stress-client --port P [--clients N] [--rounds M | --seconds D] [--size B] [--timeout S]\n"
           "  --clients N   concurrent connections to 127.0.0.1:P (default 1000)\n"
           "  --rounds M    round trips per connection (default 1000)\n"
           "  --seconds D   instead of rounds: ping-pong for D seconds\n"
           "  --size B      message size in bytes (default 64, at most 65536)\n"
           "  --timeout S   give up and fail after S seconds (default 120)\n");
}

static int parse(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){ .clients = 1000, .size = 64, .rounds = 1000, .timeout = 120 };
    /* Every option takes a value, so they come in pairs. */
    for (int i = 1; i < argc; i += 2) {
        const char *k = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            usage(stderr);
            return -1;
        }
        char *end;
        double d = strtod(v, &end);
        if (*end || d < 0) {
            fprintf(stderr, "stress-client: bad value for %s: '%s'\n", k, v);
            return -1;
        }
        if (strcmp(k, "--port") == 0 && d >= 1 && d <= 65535)
            o->port = (uint16_t)d;
        else if (strcmp(k, "--clients") == 0 && d >= 1 && d <= 1000000)
            o->clients = (int)d;
        else if (strcmp(k, "--rounds") == 0 && d >= 1)
            o->rounds = (uint64_t)d;
        else if (strcmp(k, "--seconds") == 0 && d > 0) {
            o->seconds = d;
            o->rounds = 0;
        } else if (strcmp(k, "--size") == 0 && d >= 1 && d <= MAX_SIZE)
            o->size = (uint32_t)d;
        else if (strcmp(k, "--timeout") == 0 && d > 0)
            o->timeout = d;
        else {
            usage(stderr);
            return -1;
        }
    }
    if (!o->port) {
        usage(stderr);
        return -1;
    }
    return 0;
}

static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int set_events(int ep, struct conn *c, int idx, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.u32 = (uint32_t)idx };
    return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void finish(int ep, struct conn *c, int *live)
{
    if (c->fd >= 0) {
        (void)epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        c->fd = -1;
    }
    if (!c->done) {
        c->done = true;
        (*live)--;
    }
}

int main(int argc, char **argv)
{
    struct opts o;
    if (parse(argc, argv, &o) != 0)
        return 2;
    raise_fd_limit();

    struct conn *conns = calloc((size_t)o.clients, sizeof(*conns));
    unsigned char *out = malloc(o.size), *in = malloc(MAX_SIZE);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (!conns || !out || !in || ep < 0) {
        fprintf(stderr, "stress-client: out of memory or epoll: %s\n", strerror(errno));
        return 1;
    }
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(o.port) };
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);

    uint64_t errors = 0, mismatches = 0, trips = 0;
    int live = 0;
    uint64_t start = now_ns();
    for (int i = 0; i < o.clients; i++) {
        struct conn *c = &conns[i];
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c->fd < 0) {
            fprintf(stderr, "stress-client: socket %d: %s\n", i, strerror(errno));
            errors++;
            c->done = true;
            continue;
        }
        int one = 1;
        (void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 && errno != EINPROGRESS) {
            fprintf(stderr, "stress-client: connect %d: %s\n", i, strerror(errno));
            errors++;
            close(c->fd);
            c->fd = -1;
            c->done = true;
            continue;
        }
        struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = (uint32_t)i };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
            fprintf(stderr, "stress-client: epoll_ctl %d: %s\n", i, strerror(errno));
            errors++;
            close(c->fd);
            c->fd = -1;
            c->done = true;
            continue;
        }
        c->want_out = true;
        live++;
    }

    uint64_t deadline = start + (uint64_t)(o.timeout * 1e9);
    uint64_t stop_at = o.rounds ? UINT64_MAX : start + (uint64_t)(o.seconds * 1e9);
    bool timed_out = false;
    struct epoll_event evs[BATCH];
    while (live > 0) {
        uint64_t t = now_ns();
        if (t >= deadline) {
            timed_out = true;
            break;
        }
        int n = epoll_wait(ep, evs, BATCH, 100);
        if (n < 0 && errno != EINTR) {
            fprintf(stderr, "stress-client: epoll_wait: %s\n", strerror(errno));
            errors++;
            break;
        }
        bool time_up = now_ns() >= stop_at;
        for (int k = 0; k < n; k++) {
            int idx = (int)evs[k].data.u32;
            struct conn *c = &conns[idx];
            if (c->fd < 0)
                continue;
            if (!c->connected) {
                int soerr = 0;
                socklen_t len = sizeof(soerr);
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
                if (soerr) {
                    fprintf(stderr, "stress-client: connect %d: %s\n", idx, strerror(soerr));
                    errors++;
                    finish(ep, c, &live);
                    continue;
                }
                c->connected = true;
            }
            /* Send what is left of this round's message. */
            bool failed = false;
            while (c->sent < o.size) {
                for (uint32_t j = c->sent; j < o.size; j++)
                    out[j] = pattern(idx, c->round, j);
                ssize_t w = send(c->fd, out + c->sent, o.size - c->sent, MSG_NOSIGNAL);
                if (w < 0 && errno == EINTR)
                    continue;
                if (w < 0 && errno == EAGAIN)
                    break;
                if (w < 0) {
                    fprintf(stderr, "stress-client: send %d: %s\n", idx, strerror(errno));
                    failed = true;
                    break;
                }
                c->sent += (uint32_t)w;
            }
            /* Read what has come back, never more than this round's message. */
            while (!failed && c->recvd < c->sent) {
                ssize_t r = recv(c->fd, in, c->sent - c->recvd, 0);
                if (r < 0 && errno == EINTR)
                    continue;
                if (r < 0 && errno == EAGAIN)
                    break;
                if (r <= 0) {
                    fprintf(stderr, "stress-client: recv %d: %s\n", idx,
                            r == 0 ? "early end of stream" : strerror(errno));
                    failed = true;
                    break;
                }
                for (ssize_t j = 0; j < r; j++) {
                    if (in[j] != pattern(idx, c->round, c->recvd + (uint32_t)j)) {
                        if (mismatches++ < 10)
                            fprintf(stderr, "stress-client: conn %d round %llu byte %u differs\n", idx,
                                    (unsigned long long)c->round, c->recvd + (unsigned)j);
                        failed = true;
                        break;
                    }
                }
                c->recvd += (uint32_t)r;
            }
            if (failed) {
                errors++;
                finish(ep, c, &live);
                continue;
            }
            if (c->recvd == o.size) {
                trips++;
                c->round++;
                c->sent = c->recvd = 0;
                if ((o.rounds && c->round == o.rounds) || time_up) {
                    finish(ep, c, &live);
                    continue;
                }
                /* The next round starts at the next wake-up, which writability gives at once. */
                if (!c->want_out && set_events(ep, c, idx, EPOLLOUT | EPOLLIN) == 0)
                    c->want_out = true;
                continue;
            }
            bool need_out = c->sent < o.size;
            if (need_out != c->want_out) {
                if (set_events(ep, c, idx, need_out ? EPOLLOUT | EPOLLIN : EPOLLIN) != 0) {
                    errors++;
                    finish(ep, c, &live);
                    continue;
                }
                c->want_out = need_out;
            }
        }
    }
    double elapsed = (double)(now_ns() - start) / 1e9;
    /* Connections still open here were cut off by the timeout; in rounds mode, short ones count too. */
    int unfinished = 0;
    for (int i = 0; i < o.clients; i++) {
        bool short_run = o.rounds && conns[i].round != o.rounds;
        if (conns[i].fd >= 0 || short_run)
            unfinished++;
        if (conns[i].fd >= 0)
            close(conns[i].fd);
    }
    if (timed_out)
        fprintf(stderr, "stress-client: timed out after %.1f s\n", o.timeout);
    printf(
        "clients %d, size %u, round trips %llu, errors %llu, mismatches %llu, unfinished %d, elapsed %.3f s, "
        "%.0f round trips/s\n",
        o.clients, o.size, (unsigned long long)trips, (unsigned long long)errors,
        (unsigned long long)mismatches, unfinished, elapsed, elapsed > 0 ? (double)trips / elapsed : 0.0);
    close(ep);
    free(conns);
    free(out);
    free(in);
    return errors || mismatches || unfinished || timed_out ? 1 : 0;
}
