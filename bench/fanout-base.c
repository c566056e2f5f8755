/* Workload 3 baseline: one sender wakes N waiters by walking a FIFO list, setting a flag and appending to a ready ring. */
#define _GNU_SOURCE
#include "bench.h"

/*
 * The least a signal with N waiters costs per wake-up.  The waiters form
 * a singly linked FIFO list in registration order.  A send walks the
 * list, stores the value, sets each waiter's flag and appends it to a
 * ready ring, then empties the list.  Draining the ring calls each waiter
 * through a pointer; the waiter clears its flag, reads the value and
 * appends itself to the list again, which is its next registration.
 * That is the same work per wake-up that coop's fan-out measures, minus
 * the names, the priorities and the bookkeeping a scheduler needs.
 */

struct fo_waiter;
struct fo_list {
    struct fo_waiter *head, *tail;
};

struct fo_waiter {
    void (*step)(struct fo_waiter *w, struct fo_list *l);
    struct fo_waiter *next; /* in the waiter list; NULL at the tail */
    int woken;              /* set by the send, cleared by the step */
    int64_t value;          /* the value the send delivered */
    int64_t sum;            /* sum of the values received */
};

static inline void list_append(struct fo_list *l, struct fo_waiter *w)
{
    w->next = NULL;
    if (l->tail)
        l->tail->next = w;
    else
        l->head = w;
    l->tail = w;
}

static void waiter_step_one(struct fo_waiter *w, struct fo_list *l)
{
    w->woken = 0;
    w->sum += w->value;
    list_append(l, w);
}

static void waiter_step_two(struct fo_waiter *w, struct fo_list *l)
{
    w->woken = 0;
    w->sum += 2 * w->value;
    list_append(l, w);
}

int main(int argc, char **argv)
{
    const char *prog = "fanout-base";
    if (argc != 3)
        bench_usage(prog, "WAITERS ROUNDS");
    uint64_t n = bench_arg_count(prog, "WAITERS", argv[1]);
    uint64_t rounds = bench_arg_count(prog, "ROUNDS", argv[2]);

    long rss0 = bench_maxrss_kb();
    uint64_t cap = 1;
    while (cap < n)
        cap *= 2;
    struct fo_waiter *ws = calloc(n, sizeof *ws);
    struct fo_waiter **ring = calloc(cap, sizeof *ring);
    if (!ws || !ring)
        bench_die(prog, "calloc", 0);
    struct fo_list list = { NULL, NULL };
    for (uint64_t i = 0; i < n; i++) {
        ws[i].step = (i & 1) ? waiter_step_two : waiter_step_one;
        list_append(&list, &ws[i]);
    }
    long rss1 = bench_maxrss_kb();

    uint64_t delivered = 0, head = 0, tail = 0;
    uint64_t t0 = bench_now_ns();
    for (uint64_t r = 0; r < rounds; r++) {
        for (struct fo_waiter *w = list.head; w; w = w->next) {
            w->value = (int64_t)r;
            w->woken = 1;
            ring[tail++ & (cap - 1)] = w;
            delivered++;
        }
        list.head = list.tail = NULL;
        while (head != tail) {
            struct fo_waiter *w = ring[head++ & (cap - 1)];
            w->step(w, &list);
        }
    }
    uint64_t t1 = bench_now_ns();

    int64_t sum = 0;
    for (uint64_t i = 0; i < n; i++)
        sum += ws[i].sum + ws[i].woken;
    printf("RESULT workload=fanout impl=base waiters=%llu rounds=%llu wakeups=%llu ns_per_wakeup=%.2f "
           "rss_kb=%ld "
           "bytes_per_task=%.1f checksum=%lld\n",
           (unsigned long long)n, (unsigned long long)rounds, (unsigned long long)delivered,
           (double)(t1 - t0) / (double)delivered, bench_maxrss_kb(), bench_bytes_per(rss0, rss1, n),
           (long long)sum);
    free(ring);
    free(ws);
    return 0;
}
