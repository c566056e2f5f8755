/* Workload 2 baseline: periodic firings from a bare 4-ary heap with (time, prio, seq) keys and replace-top. */
#define _GNU_SOURCE
#include "bench.h"

#include "base-heap.h"

/*
 * The least a scheduler of periodic tasks must do per firing: read the
 * top of a heap keyed by (due time, prio << 56 | seq), advance the fake
 * clock to that time, call the task through a pointer, add the period to
 * its due time, give it a new seq and sift it down (replace-top).  The
 * periods and first delays are the ones every implementation draws (see
 * bench_periodic_draw), so the order of firings is the same as coop's.
 */

struct pe_task {
    void (*fire)(struct pe_task *t);
    uint64_t period_ns;
    uint64_t count; /* firings so far */
};

static void fire_one(struct pe_task *t) { t->count += 1; }

static void fire_two(struct pe_task *t) { t->count += 2; }

int main(int argc, char **argv)
{
    const char *prog = "periodic-base";
    if (argc != 3 && !(argc == 4 && strcmp(argv[3], "distinct") == 0))
        bench_usage(prog, "TASKS FIRINGS [distinct]");
    uint64_t n = bench_arg_count(prog, "TASKS", argv[1]);
    uint64_t firings = bench_arg_count(prog, "FIRINGS", argv[2]);
    int distinct = argc == 4;
    const uint64_t prio = (uint64_t)10 << 56;

    long rss0 = bench_maxrss_kb();
    struct pe_task *tasks = calloc(n, sizeof *tasks);
    struct base_entry *heap = calloc(n, sizeof *heap);
    if (!tasks || !heap)
        bench_die(prog, "calloc", 0);
    uint64_t lcg = BENCH_SEED, offsets = BENCH_OFFSET_SEED, seq = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint32_t period_ms, delay_ms;
        bench_periodic_draw(&lcg, &period_ms, &delay_ms);
        tasks[i].fire = (i & 1) ? fire_two : fire_one;
        tasks[i].period_ns = (uint64_t)period_ms * 1000000u;
        heap[i].t = (uint64_t)delay_ms * 1000000u + (distinct ? bench_periodic_offset_ns(&offsets) : 0);
        heap[i].ps = prio | seq++;
        heap[i].task = &tasks[i];
    }
    /* Floyd's heap construction: sift down every parent, last first. */
    for (uint64_t i = n / 4 + 1; i-- > 0;)
        base_sift_down(heap, n, i);
    long rss1 = bench_maxrss_kb();

    uint64_t now_ns = 0;
    uint64_t c0 = bench_cpu_ns(), t0 = bench_now_ns();
    for (uint64_t i = 0; i < firings; i++) {
        struct base_entry *top = &heap[0];
        now_ns = top->t;
        struct pe_task *task = top->task;
        task->fire(task);
        top->t += task->period_ns;
        top->ps = prio | seq++;
        base_sift_down(heap, n, 0);
    }
    uint64_t t1 = bench_now_ns(), c1 = bench_cpu_ns();

    uint64_t sum = 0;
    for (uint64_t i = 0; i < n; i++)
        sum += tasks[i].count;
    printf("RESULT workload=periodic impl=%s tasks=%llu firings=%llu ns_per_firing=%.2f "
           "wall_ns_per_firing=%.2f "
           "virtual_ms=%.1f rss_kb=%ld bytes_per_task=%.1f checksum=%llu\n",
           distinct ? "base-distinct" : "base", (unsigned long long)n, (unsigned long long)firings,
           (double)(c1 - c0) / (double)firings, (double)(t1 - t0) / (double)firings, (double)now_ns / 1e6,
           bench_maxrss_kb(), bench_bytes_per(rss0, rss1, n), (unsigned long long)sum);
    free(heap);
    free(tasks);
    return 0;
}
