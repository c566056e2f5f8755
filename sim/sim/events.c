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
    /* An event added during a step for this instant must run before the next step (outside a run, no-op). */
    for (uint32_t i = 0; t_ns <= sim->now_ns && i < sim->nnodes; i++)
        if (sim->nodes[i].sched)
            coop_break(sim->nodes[i].sched);
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
    for (size_t i = 0; i < sim->nstalls; i++)
        free(sim->stalls[i].task);
    free(sim->stalls);
}

int coop_sim_at(coop_sim *sim, uint64_t t_ns, coop_sim_event_fn fn, void *arg)
{
    if (!fn)
        return -COOP_EINVAL;
    return ev_push(sim, t_ns, (struct sim_event){ .kind = EV_CALL, .fn = fn, .arg = arg });
}

/* An event that names a task or a signal on a node; the name is copied. */
static int named_event(coop_sim *sim, uint64_t t_ns, size_t node, enum ev_kind kind, const char *name,
                       int64_t value)
{
    if (!name || node >= sim->nnodes)
        return -COOP_EINVAL;
    char *n = text_dup(name);
    if (!n)
        return -COOP_ENOMEM;
    return ev_push(sim, t_ns,
                   (struct sim_event){ .kind = kind, .node = (uint32_t)node, .name = n, .value = value });
}

int coop_sim_node_signal_at(coop_sim *sim, uint64_t t_ns, size_t node, const char *name, int64_t value)
{
    return named_event(sim, t_ns, node, EV_SIGNAL, name, value);
}

int coop_sim_signal_at(coop_sim *sim, uint64_t t_ns, const char *name, int64_t value)
{
    return named_event(sim, t_ns, 0, EV_SIGNAL, name, value);
}

int coop_sim_node_kill_at(coop_sim *sim, uint64_t t_ns, size_t node, const char *task_name)
{
    return named_event(sim, t_ns, node, EV_KILL, task_name, 0);
}

int coop_sim_kill_at(coop_sim *sim, uint64_t t_ns, const char *task_name)
{
    return named_event(sim, t_ns, 0, EV_KILL, task_name, 0);
}

int coop_sim_stall_at(coop_sim *sim, uint64_t t_ns, size_t node, const char *task_name, uint64_t cost_ns)
{
    /* A stall is noticed through the trace's run events. */
    if (sim->cfg.trace_off || cost_ns > INT64_MAX)
        return -COOP_EINVAL;
    return named_event(sim, t_ns, node, EV_STALL, task_name, (int64_t)cost_ns);
}

int coop_sim_jump_at(coop_sim *sim, uint64_t t_ns, uint64_t dt_ns)
{
    if (dt_ns > INT64_MAX)
        return -COOP_EINVAL;
    return ev_push(sim, t_ns, (struct sim_event){ .kind = EV_JUMP, .value = (int64_t)dt_ns });
}

int coop_sim_crash_at(coop_sim *sim, uint64_t t_ns, size_t node)
{
    if (node >= sim->nnodes)
        return -COOP_EINVAL;
    return ev_push(sim, t_ns, (struct sim_event){ .kind = EV_CRASH, .node = (uint32_t)node });
}

int coop_sim_restart_at(coop_sim *sim, uint64_t t_ns, size_t node)
{
    if (node >= sim->nnodes)
        return -COOP_EINVAL;
    return ev_push(sim, t_ns, (struct sim_event){ .kind = EV_RESTART, .node = (uint32_t)node });
}

/* A node index, or -1 for the world outside, as its host number. */
static int host_of(const coop_sim *sim, int node, uint32_t *host)
{
    if (node < -1 || node >= (int)sim->nnodes)
        return -COOP_EINVAL;
    *host = node < 0 ? 0 : sim->nodes[node].host;
    return 0;
}

int coop_sim_partition_at(coop_sim *sim, uint64_t t_ns, int a, int b, bool cut)
{
    uint32_t ha, hb;
    if (host_of(sim, a, &ha) || host_of(sim, b, &hb) || ha == hb)
        return -COOP_EINVAL;
    return ev_push(sim, t_ns,
                   (struct sim_event){ .kind = cut ? EV_PARTITION : EV_HEAL, .node = ha, .other = hb });
}

int coop_sim_set_link(coop_sim *sim, int a, int b, const coop_net_link *link)
{
    uint32_t ha, hb;
    if (host_of(sim, a, &ha) || host_of(sim, b, &hb))
        return -COOP_EINVAL;
    return coop_net_set_host_link(sim->net, ha, hb, link);
}

/* An outside address for a listener: NULL is every one. */
static int outside_addr(const coop_sim *sim, const char *text, uint32_t *addr)
{
    *addr = 0;
    if (text && (coop_net_addr_parse(text, addr) || *addr == 0 || *addr >> 24 == 127))
        return -COOP_EINVAL;
    for (uint32_t i = 0; text && i < sim->nnodes; i++)
        if (sim->nodes[i].addr == *addr)
            return -COOP_EINVAL;
    return 0;
}

int coop_sim_peer_listen_at(coop_sim *sim, uint64_t t_ns, const char *addr, uint16_t port,
                            coop_net_listen_mode mode, uint64_t accept_delay_ns)
{
    uint32_t a;
    if (outside_addr(sim, addr, &a) || port == 0 || mode > COOP_NET_DROP)
        return -COOP_EINVAL;
    return ev_push(
        sim, t_ns,
        (struct sim_event){
            .kind = EV_LISTEN, .addr = a, .port = port, .value = mode, .delay_ns = accept_delay_ns });
}

int coop_sim_peer_unlisten_at(coop_sim *sim, uint64_t t_ns, const char *addr, uint16_t port)
{
    uint32_t a;
    if (outside_addr(sim, addr, &a) || port == 0)
        return -COOP_EINVAL;
    return ev_push(sim, t_ns, (struct sim_event){ .kind = EV_UNLISTEN, .addr = a, .port = port });
}

/* A new peer handle. */
static int new_peer(coop_sim *sim, struct sim_peer p)
{
    if (sim->npeers >= INT32_MAX || grow(coop_allocator_libc(), (void **)&sim->peers, &sim->peercap,
                                         (size_t)sim->npeers + 1, sizeof(*sim->peers), 16))
        return -COOP_ENOMEM;
    sim->peers[sim->npeers] = p;
    return (int)sim->npeers++;
}

int coop_sim_peer_accepted(coop_sim *sim, const char *addr, uint16_t port, uint32_t n)
{
    uint32_t a;
    if (outside_addr(sim, addr, &a) || port == 0 || n == 0)
        return -COOP_EINVAL;
    return new_peer(sim, (struct sim_peer){ .addr = a, .port = port, .n = n });
}

int coop_sim_peer_connect_node_at(coop_sim *sim, uint64_t t_ns, size_t node, uint16_t port)
{
    if (node >= sim->nnodes)
        return -COOP_EINVAL;
    int peer = new_peer(sim, (struct sim_peer){ 0 });
    if (peer < 0)
        return peer;
    int err =
        ev_push(sim, t_ns,
                (struct sim_event){ .kind = EV_CONNECT, .node = (uint32_t)node, .port = port, .peer = peer });
    if (err) {
        sim->npeers--;
        return err;
    }
    return peer;
}

int coop_sim_peer_connect_at(coop_sim *sim, uint64_t t_ns, uint16_t port)
{
    return coop_sim_peer_connect_node_at(sim, t_ns, 0, port);
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
    const struct sim_peer *p = &sim->peers[peer];
    if (p->port)
        return coop_net_peer_accepted(sim->net, p->addr, p->port, p->n);
    return p->conn;
}

/* A scripted event that the trace records: what, and the node or peer or detail it concerns. */
static void trace_script(coop_sim *sim, const char *what, const struct sim_node *n, int peer,
                         const char *detail)
{
    struct sim_rec l;
    rec_begin(&l, sim->now_ns, "script");
    rec_str(&l, "what", what);
    if (n)
        rec_str(&l, "node", n->name);
    if (peer >= 0)
        rec_int(&l, "peer", peer);
    if (detail)
        rec_str(&l, "detail", detail);
    sim_emit(sim, &l);
}

/* The node's first live task named name, or NULL. */
static coop_task *task_named(struct sim_node *n, const char *name)
{
    coop_task_iter it;
    coop_task_iter_init(&it, n->sched);
    for (coop_task *t; (t = coop_task_iter_next(&it));)
        if (strcmp(coop_task_name(t), name) == 0)
            return t;
    return NULL;
}

static void kill_named(coop_sim *sim, struct sim_node *n, const char *name)
{
    coop_task *t = n->sched ? task_named(n, name) : NULL;
    if (t)
        coop_kill(n->sched, coop_task_tid(t));
    else
        trace_script(sim, "kill-missed", sim->nnodes > 1 ? n : NULL, -1, name);
}

/* Arms a stall: the event's name is handed over to the stall. */
static void arm_stall(coop_sim *sim, struct sim_event *e)
{
    if (grow(coop_allocator_libc(), (void **)&sim->stalls, &sim->stallcap, sim->nstalls + 1,
             sizeof(*sim->stalls), 4)) {
        trace_script(sim, "stall-dropped", &sim->nodes[e->node], -1, e->name);
        return;
    }
    sim->stalls[sim->nstalls++] = (struct sim_stall){ e->node, e->name, (uint64_t)e->value };
    e->name = NULL;
}

void sim_stall_step(coop_sim *sim, const struct sim_node *n, const char *task)
{
    for (size_t i = 0; i < sim->nstalls;) {
        struct sim_stall *st = &sim->stalls[i];
        if (st->node != n->index || strcmp(st->task, task) != 0) {
            i++;
            continue;
        }
        sim->pending_cost_ns = sat_add(sim->pending_cost_ns, st->cost_ns);
        free(st->task);
        memmove(st, st + 1, (sim->nstalls - i - 1) * sizeof(*st));
        sim->nstalls--;
    }
}

/* A node that crashed comes back: its host is up, and its program runs again on a fresh scheduler. */
static void restart(coop_sim *sim, struct sim_node *n)
{
    if (n->sched)
        return;
    (void)coop_net_host_up(sim->net, n->host);
    trace_script(sim, "restart", n, -1, NULL);
    if (sim_node_boot(sim, n)) {
        trace_script(sim, "restart-failed", n, -1, "out of memory");
        return;
    }
    int rc = n->program ? sim_node_start(n) : 0;
    if (rc < 0)
        trace_script(sim, "restart-failed", n, -1, coop_strerror(rc));
}

static void run_event(coop_sim *sim, struct sim_event *e)
{
    struct sim_node *node = &sim->nodes[e->node];
    int64_t conn = e->kind >= EV_SEND ? coop_sim_peer_conn(sim, e->peer) : 0;
    switch (e->kind) {
    case EV_CALL:
        e->fn(sim, e->arg);
        break;
    case EV_SIGNAL:
        if (node->sched)
            coop_signal(node->sched, e->name, e->value);
        break;
    case EV_KILL:
        kill_named(sim, node, e->name);
        break;
    case EV_JUMP:
        sim->now_ns = sat_add(sim->now_ns, (uint64_t)e->value);
        trace_script(sim, "jump", NULL, -1, NULL);
        break;
    case EV_STALL:
        arm_stall(sim, e);
        break;
    case EV_CRASH:
        trace_script(sim, "crash", node, -1, NULL);
        sim_node_crash(node);
        break;
    case EV_RESTART:
        restart(sim, node);
        break;
    case EV_PARTITION:
    case EV_HEAL:
        (void)coop_net_partition(sim->net, e->node, e->other, e->kind == EV_PARTITION);
        trace_script(sim, e->kind == EV_PARTITION ? "partition" : "heal",
                     e->node ? &sim->nodes[e->node - 1] : NULL, -1,
                     e->other ? sim->nodes[e->other - 1].name : "outside");
        break;
    case EV_LISTEN:
        if (coop_net_peer_listen(sim->net, e->addr, e->port, (coop_net_listen_mode)e->value, e->delay_ns))
            trace_script(sim, "listen-failed", NULL, -1, NULL);
        break;
    case EV_UNLISTEN:
        (void)coop_net_peer_unlisten(sim->net, e->addr, e->port);
        break;
    case EV_CONNECT: {
        int c = coop_net_peer_connect(sim->net, node->host, e->port);
        sim->peers[e->peer].conn = c > 0 ? c : -1;
        break;
    }
    case EV_SEND: {
        size_t chunk = e->chunk ? e->chunk : e->len;
        for (size_t off = 0; conn > 0 && off < e->len; off += chunk)
            coop_net_peer_send(sim->net, (uint32_t)conn, e->data + off,
                               e->len - off < chunk ? e->len - off : chunk);
        break;
    }
    case EV_SHUTDOWN:
        if (conn > 0)
            coop_net_peer_shutdown(sim->net, (uint32_t)conn);
        break;
    case EV_CLOSE:
        if (conn > 0)
            coop_net_peer_close(sim->net, (uint32_t)conn);
        break;
    case EV_RESET:
        if (conn > 0)
            coop_net_peer_reset(sim->net, (uint32_t)conn);
        break;
    case EV_READING:
        if (conn > 0)
            coop_net_peer_reading(sim->net, (uint32_t)conn, e->value != 0);
        break;
    }
    if (conn <= 0 && e->kind >= EV_SEND)
        trace_script(sim, "no-connection", NULL, e->peer, NULL);
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
