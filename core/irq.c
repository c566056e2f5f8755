/* Interrupt sources: counters an interrupt handler bumps, delivered as signals at the loop's next turn. */
#include <stdatomic.h>

#include "coop/irq.h"
#include "internal.h"

#if COOP_CONFIG_IRQ_SOURCES > 0

int coop_irq_register(coop_sched *s, const char *signal_name)
{
    if (!signal_name)
        return -COOP_EINVAL;
    if (s->nirq >= COOP_CONFIG_IRQ_SOURCES)
        return -COOP_ENOSPC;
    struct coop__signal *sig = coop__signal_intern(s, signal_name);
    if (!sig)
        return -COOP_ENOMEM;
    struct coop__irq_source *q = &s->irq[s->nirq];
    q->sig = sig;
    q->delivered = atomic_load(&q->raised);
    /* The count is published last, so a handler that sees the id sees a ready source. */
    atomic_store(&s->nirq, s->nirq + 1);
    return (int)s->nirq - 1;
}

/*
 * One writer per source (see irq.h), so a load and a store make the
 * increment: no read-modify-write instruction, which ARMv6-M lacks.  The
 * pending word is stored after the counter, and the loop clears it
 * before it reads the counters, so no raise is ever left undelivered.
 */
void coop_irq_raise(coop_sched *s, int source)
{
    if (source < 0 || (uint32_t)source >= atomic_load_explicit(&s->nirq, memory_order_acquire))
        return;
    struct coop__irq_source *q = &s->irq[source];
    uint32_t r = atomic_load_explicit(&q->raised, memory_order_relaxed);
    atomic_store_explicit(&q->raised, r + 1, memory_order_seq_cst);
    atomic_store_explicit(&s->irq_any, 1, memory_order_seq_cst);
}

bool coop_irq_pending(const coop_sched *s) { return atomic_load(&s->irq_any) != 0; }

int coop_irq_deliver(coop_sched *s)
{
    if (!atomic_load(&s->irq_any))
        return 0;
    atomic_store(&s->irq_any, 0);
    if (!s->current)
        coop__refresh_now(s);
    int woken = 0;
    uint32_t n = atomic_load(&s->nirq);
    for (uint32_t i = 0; i < n; i++) {
        struct coop__irq_source *q = &s->irq[i];
        uint32_t r = atomic_load(&q->raised);
        if (r == q->delivered)
            continue;
        int64_t value = (int64_t)(uint32_t)(r - q->delivered);
        q->delivered = r;
        int w = coop__signal_send(s, q->sig, value);
        COOP__TRACE(s, COOP_TR_SIGNAL, NULL, .signal = q->sig->name, .value = value, .code = w, .fd = -1);
        woken += w;
    }
    return woken;
}

#else

int coop_irq_register(coop_sched *s, const char *signal_name)
{
    (void)s;
    (void)signal_name;
    return -COOP_ENOSYS;
}
void coop_irq_raise(coop_sched *s, int source)
{
    (void)s;
    (void)source;
}
bool coop_irq_pending(const coop_sched *s)
{
    (void)s;
    return false;
}
int coop_irq_deliver(coop_sched *s)
{
    (void)s;
    return 0;
}

#endif
