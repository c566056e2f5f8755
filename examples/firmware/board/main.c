/* The board port: SysTick as the clock and the timer interrupt, a static arena, semihosting output. */
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "board.h"
#include "coop/coop.h"
#include "semihost.h"

#ifndef BOARD_HZ
#error "BOARD_HZ: the core clock SysTick counts, set by the build"
#endif

/* ---- The clock: SysTick every millisecond, extended to 64 bits by coop_tick32. ---- */

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

static volatile uint32_t ticks; /* milliseconds since start; written by the handler only */
static coop_sched *sched;
static int timer_source = -1;
static uint32_t countdown = COOP_FW_TIMER_MS; /* handler-only: ticks to the next timer raise */

/* The one interrupt: a tick, and every COOP_FW_TIMER_MS ticks a raise of the timer source. */
void systick_handler(void);
void systick_handler(void)
{
    ticks = ticks + 1;
    if (--countdown == 0) {
        countdown = COOP_FW_TIMER_MS;
        if (timer_source >= 0)
            coop_irq_raise(sched, timer_source);
    }
}

static uint32_t read_ms(void *ctx)
{
    (void)ctx;
    return ticks;
}

/* ---- Memory: a bump arena; freeing or growing the newest block reuses its space. ---- */

#define ARENA_BYTES 6144
static _Alignas(8) unsigned char arena[ARENA_BYTES];
static size_t arena_top, arena_last; /* the end of the used part; where the newest block starts */

/*
 * The allocator contract (coop/alloc.h): blocks aligned to 8 bytes on a
 * 32-bit target, realloc-like growth, frees with the size.  A bump arena
 * suffices here because the tasks live for the whole run and the core
 * does not allocate in its steady state; only the newest block is ever
 * given back.
 */
static void *arena_alloc(void *ctx, void *ptr, size_t old_size, size_t new_size)
{
    (void)ctx;
    unsigned char *p = ptr;
    size_t need = (new_size + 7u) & ~(size_t)7u;
    if (p && p == arena + arena_last) {
        /* The newest block: grow, shrink or free in place. */
        if (new_size == 0) {
            arena_top = arena_last;
            return NULL;
        }
        if (arena_last + need > ARENA_BYTES)
            return NULL;
        arena_top = arena_last + need;
        return p;
    }
    if (new_size == 0)
        return NULL; /* an older block stays where it is */
    if (arena_top + need > ARENA_BYTES)
        return NULL;
    unsigned char *q = arena + arena_top;
    arena_last = arena_top;
    arena_top += need;
    for (size_t i = 0; p && i < old_size && i < new_size; i++)
        q[i] = p[i];
    return q;
}

/* ---- Output: "<ms> <task> <what>" lines, the format the simulator's trace is compared in. ---- */

static void put_uint(char **p, uint32_t v)
{
    char d[10];
    int n = 0;
    do {
        d[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n)
        *(*p)++ = d[--n];
}

static void put_str(char **p, char *end, const char *s)
{
    while (*s && *p < end)
        *(*p)++ = *s++;
}

/* Nanoseconds to milliseconds with 32-bit division only: 10^6 = 2^6 * 15625. */
static uint32_t ms_of(uint64_t ns) { return (uint32_t)(ns >> 6) / 15625u; }

static void emit(uint64_t t_ns, const char *task, const char *what, const char *text)
{
    char line[96], *p = line, *end = line + sizeof(line) - 2;
    put_uint(&p, ms_of(t_ns));
    put_str(&p, end, " ");
    put_str(&p, end, task ? task : "-");
    put_str(&p, end, " ");
    put_str(&p, end, what);
    if (text) {
        put_str(&p, end, " ");
        put_str(&p, end, text);
    }
    *p++ = '\n';
    *p = '\0';
    sh_puts(line);
}

/* The loop's time at the step under way, not the clock, which may have ticked since. */
static uint64_t step_ns;

static void print(void *ctx, coop_task *t, const char *text)
{
    (void)ctx;
    emit(step_ns, coop_task_name(t), "says", text);
}

/* Every step, as the simulator's trace records it. */
static void trace(void *ctx, const coop_trace_event *ev)
{
    (void)ctx;
    step_ns = ev->t_ns;
    if (ev->kind == COOP_TR_RUN)
        emit(ev->t_ns, ev->task, "run", NULL);
}

/* ---- Tickless idle: sleep in WFI until the next due task or a raise. ---- */

static void idle_wait(void *ctx, int64_t timeout_ns)
{
    (void)timeout_ns;
    coop_sched *s = ctx;
    uint64_t due_ns = 0;
    bool timed = coop_next_due(s, &due_ns);
    for (;;) {
        /* Masked, so that a raise between the check and WFI still ends the WFI. */
        __asm__ volatile("cpsid i" ::: "memory");
        if (coop_irq_pending(s) || (timed && (uint64_t)ticks * 1000000u >= due_ns)) {
            __asm__ volatile("cpsie i" ::: "memory");
            return;
        }
        __asm__ volatile("wfi\n\tcpsie i" ::: "memory");
    }
}

void coop__assert_fail(const char *expr, const char *file, unsigned line)
{
    (void)line;
    sh_puts("assertion failed: ");
    sh_puts(expr);
    sh_puts(" at ");
    sh_puts(file);
    sh_puts("\n");
    sh_exit(1);
}

static void report(const char *what, uint32_t v)
{
    char line[64], *p = line, *end = line + sizeof(line) - 2;
    put_str(&p, end, "# ");
    put_str(&p, end, what);
    put_str(&p, end, " ");
    put_uint(&p, v);
    *p++ = '\n';
    *p = '\0';
    sh_puts(line);
}

int main(void)
{
    static coop_tick32 tick;
    coop_tick32_init(&tick, read_ms, NULL);
    coop_config cfg = {
        .clock = coop_tick32_clock(&tick),
        .alloc = { arena_alloc, NULL },
        .trace = trace,
    };
    sched = coop_sched_new(&cfg);
    if (!sched)
        return 1;
    int src = coop_irq_register(sched, COOP_FW_TIMER_SIGNAL);
    if (src < 0)
        return 2;
    coop_set_idle_wait_hook(sched, idle_wait, sched);
    if (coop_fw_app_start(sched, print, NULL) != 0)
        return 3;

    SYST_RVR = BOARD_HZ / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = 7u; /* the core clock, the interrupt, enabled */
    timer_source = src;

    coop_loop_result r = coop_mainloop(sched, true, NULL);
    SYST_CSR = 0;
    report("idle turns", (uint32_t)coop_idle_count(sched));
    report("arena bytes", (uint32_t)arena_top);
    coop_sched_free(sched);
    report("stack bytes", board_stack_used());
    return r == COOP_LOOP_STOPPED ? 0 : 4;
}
