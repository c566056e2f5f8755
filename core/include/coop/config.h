/* Build-time sizes of the scheduler: defaults for a host, each overridable with -D for a small target. */
#ifndef COOP_CONFIG_H
#define COOP_CONFIG_H

/*
 * Define these with -D for the library and for every file that includes
 * coop's headers (the meson options do both through the dependency), so
 * that both sides agree.  docs/porting.md lists the small configuration
 * and what each setting costs.
 */

/* Interrupt sources (coop/irq.h) a scheduler can register; 0 leaves the mechanism out. */
#ifndef COOP_CONFIG_IRQ_SOURCES
#define COOP_CONFIG_IRQ_SOURCES 8
#endif

/*
 * Ready rings: priorities 1..N each get a FIFO that tasks due exactly now
 * enter in O(1); a task with a higher-numbered priority goes through the
 * heap, in the same order.  0: every task goes through the heap.
 */
#ifndef COOP_CONFIG_RINGS
#define COOP_CONFIG_RINGS 100
#endif

/* Heap chains reachable for appending, for periodic tasks sharing a grid: 1 << N slots (N from 0 to 12). */
#ifndef COOP_CONFIG_CHAIN_BITS
#define COOP_CONFIG_CHAIN_BITS 7
#endif

/*
 * 1: timers wait in a heap whose entries cache their task's key (24 bytes
 * where pointers have 4), and periodic tasks sharing a grid chain behind
 * one entry, so sifting a big heap never touches a task record.  0: they
 * wait in a list through their records, sorted by walking it, which costs
 * no memory beyond the records; meant for a few tasks.
 */
#ifndef COOP_CONFIG_HEAP_KEYS
#define COOP_CONFIG_HEAP_KEYS 1
#endif

/* 1: interned signal names and task kinds are found by hash; 0: by a linear search, for a few of them. */
#ifndef COOP_CONFIG_HASH_TABLES
#define COOP_CONFIG_HASH_TABLES 1
#endif

/* 1: coop_config.pick, the tie-choice hook that exploration drives, is honoured; 0: left out (it must be NULL). */
#ifndef COOP_CONFIG_TIE_HOOK
#define COOP_CONFIG_TIE_HOOK 1
#endif

/* Blocks up to this many bytes (a multiple of 8) come from per-size slabs; 0: every block from the allocator. */
#ifndef COOP_CONFIG_SLAB_MAX
#define COOP_CONFIG_SLAB_MAX 512
#endif

/* Streams and the poller: 0 leaves them out, and the stream and socket calls answer -COOP_ENOSYS. */
#ifndef COOP_CONFIG_STREAMS
#define COOP_CONFIG_STREAMS 1
#endif

/* Recently used signal names remembered by address, to skip hashing: a power of two from 1 to 64. */
#ifndef COOP_CONFIG_SIGNAL_CACHE
#define COOP_CONFIG_SIGNAL_CACHE 8
#endif

/*
 * The longest log line the core formats (a failing step's report), in
 * bytes; 0: no message at all (the report and the trace event remain),
 * which leaves the error names and the number formatting out.
 */
#ifndef COOP_CONFIG_LOG_LINE
#define COOP_CONFIG_LOG_LINE 256
#endif

/* The longest task name (COOP_NAME_MAX); the failure report keeps a copy, so it sizes the scheduler. */
#ifndef COOP_CONFIG_NAME_MAX
#define COOP_CONFIG_NAME_MAX 63
#endif

/* Names one Wait4Signals may wait on (COOP_MAX_WAIT_SIGNALS); the pending call holds that many. */
#ifndef COOP_CONFIG_MAX_WAIT_SIGNALS
#define COOP_CONFIG_MAX_WAIT_SIGNALS 16
#endif

/* 1: the trace hook (coop_config.trace) gets every event; 0: tracing is left out and the hook is never called. */
#ifndef COOP_CONFIG_TRACE
#define COOP_CONFIG_TRACE 1
#endif

/* 1: a failed assertion passes its expression and file to the hook; 0: only its line, to save code space. */
#ifndef COOP_CONFIG_ASSERT_TEXT
#define COOP_CONFIG_ASSERT_TEXT 1
#endif

#endif
