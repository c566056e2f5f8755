/* Helpers shared by the benchmark programs: arguments, clocks, memory, a small LCG and the RESULT line. */
#ifndef COOP_BENCH_H
#define COOP_BENCH_H

/*
 * Every program includes this header first, after defining _GNU_SOURCE,
 * so that the POSIX clocks and getrusage are declared under -std=c11.
 * The helpers are static inline so that each program stays one file.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* Reads CLOCK_MONOTONIC in nanoseconds; the programs call it around the measured loop only. */
static inline uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Reads the CPU time of the whole process (user plus system) in nanoseconds. */
static inline uint64_t bench_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The peak resident set size so far, in KiB, as getrusage reports it. */
static inline long bench_maxrss_kb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1;
    return ru.ru_maxrss;
}

/* Bytes per object from two peak-RSS readings taken around the creation of n objects. */
static inline double bench_bytes_per(long rss_before_kb, long rss_after_kb, uint64_t n)
{
    if (n == 0 || rss_after_kb < rss_before_kb)
        return 0.0;
    return (double)(rss_after_kb - rss_before_kb) * 1024.0 / (double)n;
}

/* Prints the usage line and exits with status 2, the convention for a usage error. */
static inline void bench_usage(const char *prog, const char *args)
{
    fprintf(stderr, "usage: %s %s\n", prog, args);
    exit(2);
}

/*
 * Parses a positive whole count such as "1000", "1e6" or "2.5e5".  A size
 * that is not a whole number, not positive or above 1e12 is a usage error.
 */
static inline uint64_t bench_arg_count(const char *prog, const char *what, const char *s)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v >= 1.0) || v > 1e12 || v != (double)(uint64_t)v) {
        fprintf(stderr, "%s: %s must be a whole number from 1 to 1e12, not '%s'\n", prog, what, s);
        exit(2);
    }
    return (uint64_t)v;
}

/* A 64-bit LCG (Knuth's MMIX constants); the high bits are the output.  No program uses rand(). */
static inline uint32_t bench_lcg(uint64_t *state)
{
    *state = *state * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)(*state >> 33);
}

/* The seed every program starts its LCG from, so that all of them draw the same sequence. */
#define BENCH_SEED 0x636f6f70u

/*
 * The periodic workload's task parameters, drawn in the same order by every
 * implementation: a period from the set below and a first delay from 1 to
 * the period, both in milliseconds.  The delays spread the tasks over
 * their periods, so that firings do not all land on the same instants.
 */
static const uint32_t bench_periods_ms[] = { 1, 2, 5, 10, 20, 50, 100 };

static inline void bench_periodic_draw(uint64_t *lcg, uint32_t *period_ms, uint32_t *delay_ms)
{
    uint32_t p = bench_periods_ms[bench_lcg(lcg) % (sizeof bench_periods_ms / sizeof bench_periods_ms[0])];
    *period_ms = p;
    *delay_ms = 1 + bench_lcg(lcg) % p;
}

/*
 * The "distinct" variant of the periodic workload gives every task's first
 * delay an extra offset below a millisecond, from a second LCG so that the
 * draws above stay the same.  No two tasks then share a due time, and no
 * scheduler can batch equal deadlines: every firing pays for its own
 * place in the queue.
 */
#define BENCH_OFFSET_SEED 0x6a697474u

static inline uint32_t bench_periodic_offset_ns(uint64_t *lcg) { return bench_lcg(lcg) % 1000000u; }

/* Dies with a message; the programs have nothing to clean up when a setup call fails. */
static inline void bench_die(const char *prog, const char *what, long code)
{
    fprintf(stderr, "%s: %s failed (%ld)\n", prog, what, code);
    exit(1);
}

#endif
