/*
 * A sensor node and the collector it reports to: the client side of the
 * socket API (Dial, WaitAny, the abortive close) in a small firmware.
 *
 * The protocol is line based.  The node connects, says "HELLO NAME" and
 * waits for "OK"; then it sends each sample as "S N VALUE" and waits for
 * "A N" before it sends the next one (stop and wait).  A connect that
 * fails, a connection that ends, and an answer that does not come in
 * time all lead to a new connection after a back-off that doubles from
 * its minimum to its maximum, and starts again at the minimum once the
 * collector has said OK.  A collector that does not answer in time gets
 * a reset, so that neither side keeps a half-dead connection.
 */
#ifndef COOP_EXAMPLES_UPLINK_H
#define COOP_EXAMPLES_UPLINK_H

#include <stdint.h>

#include "coop/coop.h"
#include "coop/program.h"

/* Samples kept while the collector is unreachable; the oldest is dropped when a new one finds no room. */
#define COOP_UPLINK_QUEUE 8
#define COOP_UPLINK_NAME_MAX 31

/* Zeroed fields take the defaults in brackets. */
struct coop_uplink_options {
    const char *server;         /* the collector's IPv4 address (required) */
    uint16_t port;              /* [7000] */
    const char *name;           /* the node's name in HELLO ["sensor"] */
    int64_t period_ns;          /* between samples [1 s] */
    int64_t connect_timeout_ns; /* [2 s] */
    int64_t answer_timeout_ns;  /* for OK and for each A [1 s] */
    int64_t backoff_min_ns;     /* [500 ms] */
    int64_t backoff_max_ns;     /* [30 s] */
    coop_late_policy late;      /* the sampler's [catch up] */
    coop_program_env log;       /* where log lines go, copied; zeroed: silent */
};

/*
 * Spawns "uplink" (the connection) and "sampler" (a periodic task that
 * reads the sensor, queues the reading and signals "sample").  Returns 0
 * or a negative COOP_E* code, and then no task is left behind.
 */
int coop_uplink_start(coop_sched *s, const struct coop_uplink_options *opts);

/* The sensor: a reading that depends only on the sample's number, so runs compare exactly. */
int64_t coop_uplink_sensor(int64_t n);

struct coop_collector_options {
    uint16_t port;        /* [7000] */
    coop_program_env log; /* copied; zeroed: silent */
};

/*
 * Spawns "collector", which accepts nodes and answers each in a task of
 * its own ("node"): OK to HELLO, "A N" to "S N VALUE", logging every
 * sample.  Returns 0 or a negative COOP_E* code.
 */
int coop_collector_start(coop_sched *s, const struct coop_collector_options *opts);

#endif
