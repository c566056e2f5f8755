/* Workload 1 baseline: the physical limit of a yield, an indirect call through a FIFO ring or a (time, prio, seq) heap. */
#define _GNU_SOURCE
#include "bench.h"

#include "base-heap.h"

/*
 * The baseline does the least a scheduler must do per step and nothing
 * more: take the next task, call its step function through a pointer, and
 * queue it again.  "ring" uses a FIFO ring of task pointers, the best a
 * scheduler with a plain ready list can do.  "heap" uses a 4-ary min-heap
 * keyed by (time, prio << 56 | seq), the key coop orders its ready queue
 * by: every step replaces the top with a new seq and sifts it down, which
 * is the cost of keeping that order in a heap.  The tasks live in one
 * array, which is kinder to the cache than any allocator would be.
 */

struct pp_task {
    void (*step)(struct pp_task *t);
    uint64_t count; /* steps this task has run */
};

/* Two step functions, so that the compiler cannot turn the indirect call into a direct one. */
static void step_one(struct pp_task *t) { t->count += 1; }

static void step_two(struct pp_task *t) { t->count += 2; }

static uint64_t run_ring(struct pp_task **ring, uint64_t mask, uint64_t *head, uint64_t k, uint64_t steps)
{
    uint64_t h = *head;
    for (uint64_t i = 0; i < steps; i++) {
        struct pp_task *t = ring[h & mask];
        t->step(t);
        ring[(h + k) & mask] = t;
        h++;
    }
    *head = h;
    return steps;
}

static uint64_t run_heap(struct base_entry *heap, uint64_t k, uint64_t *seq, uint64_t steps)
{
    const uint64_t prio = (uint64_t)10 << 56;
    for (uint64_t i = 0; i < steps; i++) {
        struct pp_task *t = heap[0].task;
        t->step(t);
        heap[0].ps = prio | (*seq)++;
        base_sift_down(heap, k, 0);
    }
    return steps;
}

int main(int argc, char **argv)
{
    const char *prog = "pingpong-base";
    if (argc != 4)
        bench_usage(prog, "ring|heap TASKS STEPS");
    int use_heap = strcmp(argv[1], "heap") == 0;
    if (!use_heap && strcmp(argv[1], "ring") != 0)
        bench_usage(prog, "ring|heap TASKS STEPS");
    uint64_t k = bench_arg_count(prog, "TASKS", argv[2]);
    uint64_t steps = bench_arg_count(prog, "STEPS", argv[3]);

    long rss0 = bench_maxrss_kb();
    struct pp_task *tasks = calloc(k, sizeof *tasks);
    uint64_t cap = 1;
    while (cap < k)
        cap *= 2;
    struct pp_task **ring = NULL;
    struct base_entry *heap = NULL;
    if (use_heap)
        heap = calloc(k, sizeof *heap);
    else
        ring = calloc(cap, sizeof *ring);
    if (!tasks || (!ring && !heap))
        bench_die(prog, "calloc", 0);
    uint64_t seq = 0;
    for (uint64_t i = 0; i < k; i++) {
        tasks[i].step = (i & 1) ? step_two : step_one;
        if (use_heap) {
            /* Entries pushed in seq order already form a heap. */
            heap[i].t = 0;
            heap[i].ps = (uint64_t)10 << 56 | seq++;
            heap[i].task = &tasks[i];
        } else {
            ring[i] = &tasks[i];
        }
    }
    long rss1 = bench_maxrss_kb();

    /* One untimed round, so that every task has been touched once. */
    uint64_t head = 0;
    if (use_heap)
        run_heap(heap, k, &seq, k);
    else
        run_ring(ring, cap - 1, &head, k, k);

    uint64_t t0 = bench_now_ns();
    uint64_t ran = use_heap ? run_heap(heap, k, &seq, steps) : run_ring(ring, cap - 1, &head, k, steps);
    uint64_t t1 = bench_now_ns();

    uint64_t sum = 0;
    for (uint64_t i = 0; i < k; i++)
        sum += tasks[i].count;
    printf("RESULT workload=pingpong impl=%s tasks=%llu steps=%llu ns_per_step=%.2f rss_kb=%ld "
           "bytes_per_task=%.1f checksum=%llu\n",
           use_heap ? "base-heap" : "base-ring", (unsigned long long)k, (unsigned long long)ran,
           (double)(t1 - t0) / (double)ran, bench_maxrss_kb(), bench_bytes_per(rss0, rss1, k),
           (unsigned long long)sum);
    free(heap);
    free(ring);
    free(tasks);
    return 0;
}
