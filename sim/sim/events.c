/* Scripted events: the queue of what happens at given virtual times, from signals to peer actions. */
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "base/text.h"
#include "sim/private.h"

/*
 * Queues e for t_ns.  The event goes into a free slot of the pool and its
 * key into the heap; both have room before anything changes, so a failure
 * leaves the queue as it was (and frees what e owns).
 */
static int ev_push(coop_sim *sim, uint64_t t_ns, struct sim_event e)
{
    uint32_t slot = sim->free_slot;
    int err = heap_reserve(&sim->events, sim->events.n + 1);
    if (!err && slot == UINT32_MAX) {
        err = grow(coop_allocator_libc(), (void **)&sim->pool, &sim->poolcap, (size_t)sim->npool + 1,
                   sizeof(*sim->pool), 64);
        slot = sim->npool;
    }
    if (err) {
        free(e.name);
        free(e.data);
        return err;
    }
    if (slot == sim->npool)
        sim->npool++;
    else
        sim->free_slot = sim->pool[slot].next_free;
    sim->pool[slot] = e;
    heap_push(&sim->events, (struct heap_ent){ .t = t_ns, .seq = sim->ev_seq++, .id = slot });
    /* An event added during a step for this instant must run before the next step. */
    if (t_ns <= sim->now_ns && sim->sched)
        coop_break(sim->sched);
    return 0;
}

/* Takes the earliest event out of the queue; its slot is free again. */
static struct sim_event ev_pop(coop_sim *sim)
{
    struct heap_ent top = heap_remove(&sim->events, 0);
    struct sim_event e = sim->pool[top.id];
    sim->pool[top.id].next_free = sim->free_slot;
    sim->free_slot = top.id;
    return e;
}

bool sim_next_event(const coop_sim *sim, uint64_t *t_ns)
{
    const struct heap_ent *top = heap_top(&sim->events);
    if (top && t_ns)
        *t_ns = top->t;
    return top != NULL;
}

void sim_events_fini(coop_sim *sim)
{
    while (sim->events.n) {
        struct sim_event e = ev_pop(sim);
        free(e.name);
        free(e.data);
    }
    heap_fini(&sim->events);
    free(sim->pool);
    free(sim->peers);
}

int coop_sim_at(coop_sim *sim, uint64_t t_ns, coop_sim_event_fn fn, void *arg)
{
    if (!fn)
        return -COOP_EINVAL;
    return ev_push(sim, t_ns, (struct sim_event){ .kind = EV_CALL, .fn = fn, .arg = arg });
}

int coop_sim_signal_at(coop_sim *sim, uint64_t t_ns, const char *name, int64_t value)
{
    char *n = name ? text_dup(name) : NULL;
    if (!n)
        return name ? -COOP_ENOMEM : -COOP_EINVAL;
    return ev_push(sim, t_ns, (struct sim_event){ .kind = EV_SIGNAL, .name = n, .value = value });
}

int coop_sim_kill_at(coop_sim *sim, uint64_t t_ns, const char *task_name)
{
    char *n = task_name ? text_dup(task_name) : NULL;
    if (!n)
        return task_name ? -COOP_ENOMEM : -COOP_EINVAL;
    return ev_push(sim, t_ns, (struct sim_event){ .kind = EV_KILL, .name = n });
}

int coop_sim_jump_at(coop_sim *sim, uint64_t t_ns, uint64_t dt_ns)
{
    return ev_push(sim, t_ns, (struct sim_event){ .kind = EV_JUMP, .value = (int64_t)dt_ns });
}

int coop_sim_peer_connect_at(coop_sim *sim, uint64_t t_ns, uint16_t port)
{
    if (grow(coop_allocator_libc(), (void **)&sim->peers, &sim->peercap, (size_t)sim->npeers + 1,
             sizeof(*sim->peers), 16))
        return -COOP_ENOMEM;
    int peer = (int)sim->npeers;
    int err = ev_push(sim, t_ns, (struct sim_event){ .kind = EV_CONNECT, .port = port, .peer = peer });
    if (err)
        return err;
    sim->peers[sim->npeers++] = 0;
    return peer;
}

static int peer_event(coop_sim *sim, uint64_t t_ns, int peer, enum ev_kind kind, int64_t value)
{
    if (peer < 0 || (uint32_t)peer >= sim->npeers)
        return -COOP_EINVAL;
    return ev_push(sim, t_ns, (struct sim_event){ .kind = kind, .peer = peer, .value = value });
}

int coop_sim_peer_send_at(coop_sim *sim, uint64_t t_ns, int peer, const void *buf, size_t len, size_t chunk)
{
    if (peer < 0 || (uint32_t)peer >= sim->npeers || (!buf && len))
        return -COOP_EINVAL;
    uint8_t *d = malloc(len ? len : 1);
    if (!d)
        return -COOP_ENOMEM;
    if (len)
        memcpy(d, buf, len);
    return ev_push(
        sim, t_ns,
        (struct sim_event){ .kind = EV_SEND, .peer = peer, .data = d, .len = len, .chunk = chunk });
}

int coop_sim_peer_shutdown_at(coop_sim *sim, uint64_t t_ns, int peer)
{
    return peer_event(sim, t_ns, peer, EV_SHUTDOWN, 0);
}

int coop_sim_peer_close_at(coop_sim *sim, uint64_t t_ns, int peer)
{
    return peer_event(sim, t_ns, peer, EV_CLOSE, 0);
}

int coop_sim_peer_reset_at(coop_sim *sim, uint64_t t_ns, int peer)
{
    return peer_event(sim, t_ns, peer, EV_RESET, 0);
}

int coop_sim_peer_reading_at(coop_sim *sim, uint64_t t_ns, int peer, bool reading)
{
    return peer_event(sim, t_ns, peer, EV_READING, reading);
}

int64_t coop_sim_peer_conn(const coop_sim *sim, int peer)
{
    if (peer < 0 || (uint32_t)peer >= sim->npeers)
        return -1;
    return sim->peers[peer];
}

static void trace_script(coop_sim *sim, const char *what, int peer, const char *detail)
{
    struct sim_rec l;
    rec_begin(&l, sim->now_ns, "script");
    rec_str(&l, "what", what);
    if (peer >= 0)
        rec_int(&l, "peer", peer);
    if (detail)
        rec_str(&l, "detail", detail);
    sim_emit(sim, &l);
}

static void kill_named(coop_sim *sim, const char *name)
{
    coop_task_iter it;
    coop_task_iter_init(&it, sim->sched);
    for (coop_task *t; (t = coop_task_iter_next(&it));) {
        if (strcmp(coop_task_name(t), name) == 0) {
            coop_kill(sim->sched, coop_task_tid(t));
            return;
        }
    }
    trace_script(sim, "kill-missed", -1, name);
}

static void run_event(coop_sim *sim, struct sim_event *e)
{
    uint32_t conn = e->peer >= 0 && (uint32_t)e->peer < sim->npeers && sim->peers[e->peer] > 0
                        ? (uint32_t)sim->peers[e->peer]
                        : 0;
    switch (e->kind) {
    case EV_CALL:
        e->fn(sim, e->arg);
        break;
    case EV_SIGNAL:
        coop_signal(sim->sched, e->name, e->value);
        break;
    case EV_KILL:
        kill_named(sim, e->name);
        break;
    case EV_JUMP:
        sim->now_ns += (uint64_t)e->value;
        trace_script(sim, "jump", -1, NULL);
        break;
    case EV_CONNECT: {
        int c = coop_net_peer_connect(sim->net, e->port);
        sim->peers[e->peer] = c > 0 ? c : -1;
        break;
    }
    case EV_SEND: {
        size_t chunk = e->chunk ? e->chunk : e->len;
        for (size_t off = 0; conn && off < e->len; off += chunk)
            coop_net_peer_send(sim->net, conn, e->data + off, e->len - off < chunk ? e->len - off : chunk);
        break;
    }
    case EV_SHUTDOWN:
        if (conn)
            coop_net_peer_shutdown(sim->net, conn);
        break;
    case EV_CLOSE:
        if (conn)
            coop_net_peer_close(sim->net, conn);
        break;
    case EV_RESET:
        if (conn)
            coop_net_peer_reset(sim->net, conn);
        break;
    case EV_READING:
        if (conn)
            coop_net_peer_reading(sim->net, conn, e->value != 0);
        break;
    }
    if (!conn && e->kind >= EV_SEND)
        trace_script(sim, "no-connection", e->peer, NULL);
    free(e->name);
    free(e->data);
}

bool sim_run_due_events(coop_sim *sim)
{
    bool any = false;
    for (const struct heap_ent *top; (top = heap_top(&sim->events)) && top->t <= sim->now_ns;) {
        struct sim_event e = ev_pop(sim);
        run_event(sim, &e);
        any = true;
    }
    return any;
}
