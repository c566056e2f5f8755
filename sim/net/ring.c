/* Byte rings: each direction's landed and unsent bytes in one growable circular buffer. */
#include <string.h>

#include "net/private.h"

/*
 * Makes room for extra more bytes in dir's ring, growing it up to limit
 * bytes in all.  Returns how many of them fit (all of them, unless memory
 * ran out).
 */
size_t net_ring_reserve(coop_net *net, struct net_dir *dir, size_t extra, size_t limit)
{
    size_t used = dir->rcv_len + dir->snd_len;
    if (dir->cap - used >= extra)
        return extra;
    size_t need = used + extra;
    size_t ncap = dir->cap ? dir->cap : NET_RING_MIN;
    while (ncap < need && ncap <= SIZE_MAX / 2)
        ncap *= 2;
    if (ncap < need)
        ncap = need;
    if (ncap > limit)
        ncap = limit;
    uint8_t *nb = ncap > dir->cap ? mem_alloc(net, ncap) : NULL;
    if (!nb)
        return dir->cap - used;
    /* The ring becomes linear in the new block, oldest byte first. */
    size_t first = min_size(used, dir->cap - dir->head);
    if (used) {
        memcpy(nb, dir->buf + dir->head, first);
        memcpy(nb + first, dir->buf, used - first);
    }
    mem_free(net, dir->buf, dir->cap);
    dir->buf = nb;
    dir->cap = ncap;
    dir->head = 0;
    return min_size(extra, ncap - used);
}

/* Appends n bytes (which fit) after the sender's last byte. */
void net_ring_append(struct net_dir *dir, const uint8_t *src, size_t n)
{
    size_t tail = (dir->head + dir->rcv_len + dir->snd_len) % (dir->cap ? dir->cap : 1);
    size_t first = min_size(n, dir->cap - tail);
    memcpy(dir->buf + tail, src, first);
    memcpy(dir->buf, src + first, n - first);
    dir->snd_len += n;
}

/* Copies out (if dst) and removes the first n landed bytes. */
void net_ring_consume(struct net_dir *dir, uint8_t *dst, size_t n)
{
    sim_assert(n <= dir->rcv_len);
    if (dst && n) {
        size_t first = min_size(n, dir->cap - dir->head);
        memcpy(dst, dir->buf + dir->head, first);
        memcpy(dst + first, dir->buf, n - first);
    }
    dir->rcv_len -= n;
    dir->head = dir->cap ? (dir->head + n) % dir->cap : 0;
    if (dir->rcv_len + dir->snd_len == 0)
        dir->head = 0;
}
