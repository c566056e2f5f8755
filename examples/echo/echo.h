/* The echo server as coop tasks: one acceptor plus one task per client, on any poller. */
#ifndef COOP_EXAMPLES_ECHO_H
#define COOP_EXAMPLES_ECHO_H

#include <stdint.h>

#include "coop/coop.h"

/* Bytes each client task can hold between a read and the matching write. */
#define COOP_ECHO_BUF 4096

/* The address the server listens on when the options name none. */
#define COOP_ECHO_DEFAULT_ADDR "127.0.0.1"

/*
 * Receives one log line, without a trailing newline, and the task it is
 * about.  The shape is that of coop_program_env's log, so a simulator
 * program can pass its log straight through.
 */
typedef void (*coop_echo_log_fn)(void *ctx, coop_task *t, const char *line);

/*
 * Counters kept by the tasks when the options point at them.  The caller
 * owns the struct and it must outlive the scheduler, because client tasks
 * update it from their cleanup, which coop_sched_free() still runs.
 */
struct coop_echo_stats {
    uint64_t accepted;      /* connections that got a client task */
    uint64_t rejected;      /* connections closed at once: over max_clients or no memory */
    uint64_t closed;        /* client tasks that have ended, for any reason */
    uint64_t eof;           /* of those, ended by the peer's end of stream */
    uint64_t idle_closed;   /* of those, closed by the idle timeout */
    uint64_t errors;        /* of those, ended by a read or write error */
    uint64_t write_blocked; /* times a write met -COOP_EAGAIN, so reading paused */
    uint64_t bytes;         /* bytes echoed back */
    uint32_t active;        /* client tasks alive now */
};

/* A zeroed struct is a valid configuration: loopback, any port, no limits. */
struct coop_echo_options {
    const char *addr;        /* IPv4 address to listen on; NULL: COOP_ECHO_DEFAULT_ADDR */
    uint16_t port;           /* 0: the poller picks a free port */
    int backlog;             /* listen backlog; 0: the poller's default */
    int64_t idle_timeout_ns; /* a client silent this long is closed; <= 0: never */
    uint32_t max_clients;    /* connections beyond this are closed at once; 0: no limit */
    coop_echo_log_fn log;    /* connection events; NULL: silent */
    void *log_ctx;
    struct coop_echo_stats *stats; /* NULL: no counters */
};

/*
 * Listens with coop_listen() on the scheduler's poller and spawns the
 * acceptor task, which spawns one task per client.  The tasks use the coop
 * API only, so they run unchanged on any poller.  Returns the port the
 * server listens on, or a negative COOP_E* code.  The server runs until
 * its tasks are killed (KillOs, coop_shutdown(), coop_sched_free()).
 */
int coop_echo_start(coop_sched *s, const struct coop_echo_options *opts);

#endif
