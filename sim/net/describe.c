/* The network as a text snapshot: every listener and connection, both ends, and the bytes between them. */
#include <stdio.h>

#include "net/private.h"

static void addr_text(uint32_t a, char *buf, size_t len)
{
    snprintf(buf, len, "%u.%u.%u.%u", (unsigned)(a >> 24), (unsigned)(a >> 16 & 255),
             (unsigned)(a >> 8 & 255), (unsigned)(a & 255));
}

/* One end: "10.0.0.1 fd 4", "peer c1", "10.0.0.1 (gone)". */
static void end_text(const coop_net *net, const struct net_conn *c, int side, coop_net_name_fn name,
                     void *ctx, char *buf, size_t len)
{
    const struct net_end *e = &c->end[side];
    char a[16];
    if (e->kind == END_PEER || e->host == 0) {
        const char *n = name ? name(ctx, c->id) : NULL;
        if (n)
            snprintf(buf, len, "peer %s", n);
        else
            snprintf(buf, len, "peer (unnamed)");
        return;
    }
    addr_text(e->host < net->nhosts ? net->hosts[e->host]->addr : 0, a, sizeof(a));
    if (e->kind == END_TASK && e->gone)
        snprintf(buf, len, "%s (gone)", a);
    else if (e->kind == END_TASK && e->closed)
        snprintf(buf, len, "%s (closed)", a);
    else if (e->kind == END_TASK && e->fd >= 0)
        snprintf(buf, len, "%s fd %d", a, e->fd);
    else
        snprintf(buf, len, "%s (not accepted yet)", a);
}

/* The flags of end side: "fin-sent", "fin-received", "reset", "closed", "reading-stopped". */
static void end_flags(const struct net_conn *c, int side, FILE *out)
{
    const struct net_end *e = &c->end[side];
    const struct net_dir *d = &c->dir[side];
    bool any = false;
#define FLAG(cond, text)                                  \
    do {                                                  \
        if (cond) {                                       \
            fprintf(out, "%s%s", any ? "," : " [", text); \
            any = true;                                   \
        }                                                 \
    } while (0)
    FLAG(d->fin_queued && !d->fin_sent, "fin-queued");
    FLAG(d->fin_sent, "fin-sent");
    FLAG(e->fin_landed, "fin-received");
    FLAG(e->dead, "reset");
    FLAG(e->closed && !e->dead, "closed");
    FLAG(e->kind == END_PEER && !e->reading && !e->closed, "not-reading");
    FLAG(e->so_error != 0, "error");
#undef FLAG
    if (any)
        fputc(']', out);
}

void coop_net_describe(const coop_net *net, FILE *out, coop_net_name_fn name, void *ctx)
{
    bool any = false;
    for (uint32_t i = 0; i < net->nls; i++) {
        const struct net_listener *l = &net->ls[i];
        if (!l->port)
            continue;
        if (!any)
            fputs("listeners:\n", out);
        any = true;
        char a[16];
        if (l->peer) {
            static const char *const modes[] = { "accepts", "refuses", "drops" };
            if (l->addr)
                addr_text(l->addr, a, sizeof(a));
            fprintf(out, "  peer server at %s port %u %s (%u accepted)\n",
                    l->addr ? a : "every outside address", (unsigned)l->port,
                    l->mode < 3 ? modes[l->mode] : "?", l->accepted);
        } else {
            addr_text(l->host < net->nhosts ? net->hosts[l->host]->addr : 0, a, sizeof(a));
            fprintf(out, "  %s fd %d port %u: %u waiting to be accepted (backlog %u)\n", a, l->fd,
                    (unsigned)l->port, l->q_len, l->backlog);
        }
    }
    fprintf(out, "connections: %u\n", net->nconns);
    for (uint32_t id = 1; id <= net->nconns; id++) {
        const struct net_conn *c = conn_get(net, id);
        if (!c)
            continue;
        char a[96], b[96];
        end_text(net, c, 0, name, ctx, a, sizeof(a));
        end_text(net, c, 1, name, ctx, b, sizeof(b));
        fprintf(out, "  conn %u %s: %s -> %s port %u\n", id, coop_net_state_name(c->state), a, b,
                (unsigned)c->port);
        for (int d = 0; d < 2; d++) {
            const struct net_dir *dir = &c->dir[d];
            fprintf(out, "    %s -> %s: %zu in flight, %zu unread at the receiver", d ? b : a, d ? a : b,
                    dir->snd_len, dir->rcv_len);
            end_flags(c, d, out);
            fputc('\n', out);
        }
    }
}
