/* The worker pool: forked worker processes take chunks of items; a crash or a hang costs one item, not the run. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "pool.h"

/* A worker flushes its results at least this often, and tries to make a chunk last about as long. */
#define FLUSH_NS 20000000u
#define FLUSH_BYTES 65536u
#define MAX_CHUNK 4096u
#define TICK_NS 100000000u

/* A record on a worker's result pipe: this header, then `len` bytes that the job wrote. */
struct rec_head {
    uint64_t item;
    uint64_t wall_ns;
    uint32_t kind; /* REC_* */
    uint32_t len;
};
enum { REC_RESULT = 1, REC_CHUNK_END = 2 };

/*
 * One worker.  While busy it owns the items [next, first + count): those
 * of its chunk not yet reported.  pid is 0 when the slot has no worker.
 */
struct slot {
    pid_t pid;
    int job_fd, res_fd; /* -1 when closed */
    struct cli_watch *page;
    bool busy;
    uint64_t first, count, next;
    struct cli_msg in; /* bytes read and not yet parsed, from in.pos */
};

struct range {
    uint64_t first, count;
};

struct pool {
    const struct cli_pool_cfg *cfg;
    struct cli_pool_end *end;
    struct slot slots[CLI_MAX_WORKERS];
    int nslots;
    uint64_t next; /* the first item never handed out */
    struct range *redo;
    size_t nredo, capredo;
    uint64_t timed_ns, timed; /* total wall time of the items reported, and their number */
    bool taking;
    unsigned idle_deaths; /* workers that died between items: too many means they cannot live */
};

static ssize_t write_full(int fd, const void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, (const char *)buf + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        done += (size_t)w;
    }
    return (ssize_t)done;
}

static ssize_t read_full(int fd, void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t r = read(fd, (char *)buf + done, len - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return (ssize_t)done;
        done += (size_t)r;
    }
    return (ssize_t)done;
}

/* ---- The worker side ---- */

static void reset_page(struct cli_watch *w)
{
    w->have_sim = w->in_step = false;
    w->seed = 0;
    w->faults = 0;
    w->permute_ties = false;
    w->tid = 0;
    w->resume = 0;
    w->task[0] = w->node[0] = '\0';
    w->nev = 0;
}

static void put_record(struct cli_msg *batch, uint64_t item, uint64_t wall_ns, uint32_t kind,
                       const struct cli_msg *out)
{
    struct rec_head h = { item, wall_ns, kind, out ? (uint32_t)out->len : 0 };
    cli_msg_put(batch, &h, sizeof(h));
    if (out)
        cli_msg_put(batch, out->p, out->len);
}

static void flush(int fd, struct cli_msg *batch)
{
    /* A parent that is gone cannot be told anything: the worker ends. */
    if (batch->bad || write_full(fd, batch->p, batch->len) < 0)
        _exit(3);
    batch->len = 0;
}

static _Noreturn void worker_main(const struct cli_pool_cfg *cfg, struct cli_watch *w, int jfd, int rfd)
{
    cli__watch_page = w;
    struct cli_msg out = { 0 }, batch = { 0 };
    uint64_t range[2];
    while (read_full(jfd, range, sizeof(range)) == (ssize_t)sizeof(range)) {
        uint64_t flushed = cli_now_ns();
        for (uint64_t i = range[0]; i < range[0] + range[1]; i++) {
            if (atomic_load(&w->stop))
                break;
            reset_page(w);
            uint64_t t0 = cli_now_ns();
            atomic_store(&w->started_ns, t0);
            atomic_store(&w->item, i);
            out.len = out.pos = 0;
            cfg->job(cfg->ctx, i, &out);
            uint64_t now = cli_now_ns();
            atomic_store(&w->item, CLI_WATCH_IDLE);
            /* A result too large to send whole is sent as nothing, which the parent reports. */
            if (out.bad || out.len > UINT32_MAX)
                out.len = 0;
            put_record(&batch, i, now - t0, REC_RESULT, &out);
            out.bad = false;
            if (batch.len >= FLUSH_BYTES || now - flushed >= FLUSH_NS) {
                flush(rfd, &batch);
                flushed = now;
            }
        }
        put_record(&batch, 0, 0, REC_CHUNK_END, NULL);
        flush(rfd, &batch);
    }
    cli_msg_fini(&out);
    cli_msg_fini(&batch);
    close(jfd);
    close(rfd);
    /*
     * exit, not _exit: coverage counters are written by exit handlers.  The
     * parent flushed its stdio buffers before the fork, so none is written twice.
     */
    exit(0);
}

/* ---- The parent side ---- */

static bool have_work(const struct pool *p) { return p->nredo || p->next < p->cfg->n; }

static void stop_taking(struct pool *p)
{
    p->taking = false;
    for (int k = 0; k < p->nslots; k++)
        atomic_store(&p->slots[k].page->stop, 1);
}

static void requeue(struct pool *p, uint64_t first, uint64_t end)
{
    if (first >= end)
        return;
    if (p->nredo == p->capredo) {
        size_t cap = p->capredo ? p->capredo * 2 : 8;
        struct range *v = realloc(p->redo, cap * sizeof(*v));
        if (!v) {
            /* Nowhere to remember them: these items are counted as not run. */
            return;
        }
        p->redo = v;
        p->capredo = cap;
    }
    p->redo[p->nredo++] = (struct range){ first, end - first };
}

static int spawn(struct pool *p, int k)
{
    struct slot *s = &p->slots[k];
    int jp[2], rp[2];
    if (pipe(jp))
        return -1;
    if (pipe(rp)) {
        close(jp[0]);
        close(jp[1]);
        return -1;
    }
    reset_page(s->page);
    atomic_store(&s->page->item, CLI_WATCH_IDLE);
    atomic_store(&s->page->stop, p->taking ? 0 : 1);
    /* Output buffered now would otherwise be written twice, once by each process. */
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(jp[0]);
        close(jp[1]);
        close(rp[0]);
        close(rp[1]);
        return -1;
    }
    if (pid == 0) {
#ifdef __linux__
        /* A worker stuck in a loop must not outlive a parent that was killed. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
        /* The parent decides what an interruption means; a worker only stops when told. */
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        signal(SIGPIPE, SIG_DFL);
        close(jp[1]);
        close(rp[0]);
        /* The other workers' pipes must close when they end, so no copy may stay here. */
        for (int o = 0; o < p->nslots; o++) {
            if (o == k)
                continue;
            if (p->slots[o].job_fd >= 0)
                close(p->slots[o].job_fd);
            if (p->slots[o].res_fd >= 0)
                close(p->slots[o].res_fd);
        }
        worker_main(p->cfg, s->page, jp[0], rp[1]);
    }
    close(jp[0]);
    close(rp[1]);
    s->pid = pid;
    s->job_fd = jp[1];
    s->res_fd = rp[0];
    fcntl(s->res_fd, F_SETFL, fcntl(s->res_fd, F_GETFL) | O_NONBLOCK);
    s->busy = false;
    s->in.len = s->in.pos = 0;
    cli_interrupt_track((size_t)k, (int)pid);
    return 0;
}

static uint64_t chunk_size(const struct pool *p)
{
    uint64_t c = 1;
    if (p->timed) {
        uint64_t mean = p->timed_ns / p->timed;
        c = mean ? FLUSH_NS / mean : MAX_CHUNK;
    }
    /* Near the end, smaller chunks keep every worker busy until the last item. */
    uint64_t left = p->cfg->n - p->next, fair = left / (2 * (uint64_t)p->nslots);
    if (c > fair)
        c = fair;
    if (c > MAX_CHUNK)
        c = MAX_CHUNK;
    return c ? c : 1;
}

static void dispatch(struct pool *p, struct slot *s)
{
    uint64_t first, count;
    if (p->nredo) {
        struct range *r = &p->redo[p->nredo - 1];
        first = r->first;
        count = r->count < MAX_CHUNK ? r->count : MAX_CHUNK;
        r->first += count;
        r->count -= count;
        if (!r->count)
            p->nredo--;
    } else {
        first = p->next;
        count = chunk_size(p);
        if (count > p->cfg->n - first)
            count = p->cfg->n - first;
        p->next += count;
    }
    s->busy = true;
    s->first = s->next = first;
    s->count = count;
    uint64_t msg[2] = { first, count };
    /* A worker that died meanwhile is noticed by its result pipe, which gives its chunk back. */
    (void)write_full(s->job_fd, msg, sizeof(msg));
}

static void report(struct pool *p, uint64_t item, const struct cli_outcome *o)
{
    p->end->finished++;
    if (!p->cfg->done(p->cfg->ctx, item, o) && p->taking) {
        p->end->stopped = true;
        stop_taking(p);
    }
}

/* Hands every complete record read from the worker to done. */
static void parse(struct pool *p, struct slot *s)
{
    struct cli_msg *in = &s->in;
    for (;;) {
        struct rec_head h;
        if (in->len - in->pos < sizeof(h))
            break;
        memcpy(&h, in->p + in->pos, sizeof(h));
        if (in->len - in->pos - sizeof(h) < h.len)
            break;
        in->pos += sizeof(h);
        if (h.kind == REC_CHUNK_END) {
            /* Items of the chunk that it did not reach (it was told to stop) are not run. */
            s->busy = false;
            continue;
        }
        struct cli_msg data = { .p = in->p + in->pos, .len = h.len, .cap = h.len };
        in->pos += h.len;
        s->next = h.item + 1;
        p->timed_ns += h.wall_ns;
        p->timed++;
        struct cli_outcome o = { .kind = CLI_OUT_DONE, .data = &data, .wall_ns = h.wall_ns };
        report(p, h.item, &o);
    }
    if (in->pos == in->len)
        in->len = in->pos = 0;
    else if (in->pos > FLUSH_BYTES) {
        memmove(in->p, in->p + in->pos, in->len - in->pos);
        in->len -= in->pos;
        in->pos = 0;
    }
}

/* Reads what the worker wrote; false at end of file or on an error (the worker is gone). */
static bool drain(struct pool *p, struct slot *s, bool until_eof)
{
    for (;;) {
        char buf[65536];
        ssize_t r = read(s->res_fd, buf, sizeof(buf));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && errno == EAGAIN && !until_eof)
            return true;
        if (r <= 0)
            return false;
        cli_msg_put(&s->in, buf, (size_t)r);
        parse(p, s);
        if (!until_eof && (size_t)r < sizeof(buf))
            return true;
    }
}

/* Why a worker's life ends. */
enum death { DIED, TIMED_OUT, ABANDONED };

/*
 * The worker of slot k is gone, or must go: its item is reported (as a
 * crash or a timeout; an abandoned one is not run), the rest given back.
 */
static void bury(struct pool *p, int k, enum death why)
{
    struct slot *s = &p->slots[k];
    if (why != DIED)
        kill(s->pid, SIGKILL);
    /* Blocking now: the pipe ends when the worker has, and what it sent before is still good. */
    fcntl(s->res_fd, F_SETFL, fcntl(s->res_fd, F_GETFL) & ~O_NONBLOCK);
    drain(p, s, true);
    int status = 0;
    while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
        ;
    cli_interrupt_track((size_t)k, 0);
    close(s->job_fd);
    close(s->res_fd);
    s->job_fd = s->res_fd = -1;
    s->pid = 0;
    uint64_t bad = atomic_load(&s->page->item);
    uint64_t end = s->first + s->count;
    if (s->busy && why != ABANDONED && bad != CLI_WATCH_IDLE && bad >= s->next && bad < end) {
        requeue(p, s->next, bad);
        struct cli_outcome o = { .kind = why == TIMED_OUT ? CLI_OUT_TIMEOUT : CLI_OUT_CRASH,
                                 .wall_ns = cli_now_ns() - atomic_load(&s->page->started_ns),
                                 .watch = s->page };
        if (WIFSIGNALED(status))
            o.signal = WTERMSIG(status);
        else if (WIFEXITED(status))
            o.exit_status = WEXITSTATUS(status);
        s->busy = false;
        report(p, bad, &o);
        requeue(p, bad + 1, end);
    } else {
        if (s->busy)
            requeue(p, s->next, end);
        p->idle_deaths += why == DIED;
    }
    s->busy = false;
}

int cli_pool_run(const struct cli_pool_cfg *cfg, struct cli_pool_end *end)
{
    *end = (struct cli_pool_end){ 0 };
    if (!cfg->n)
        return 0;
    struct pool *p = calloc(1, sizeof(*p));
    if (!p)
        return -1;
    p->cfg = cfg;
    p->end = end;
    p->taking = true;
    p->nslots = cfg->workers < 1 ? 1 : cfg->workers > CLI_MAX_WORKERS ? CLI_MAX_WORKERS : cfg->workers;
    if ((uint64_t)p->nslots > cfg->n)
        p->nslots = (int)cfg->n;
    size_t pages = (size_t)p->nslots * sizeof(struct cli_watch);
    struct cli_watch *mem = mmap(NULL, pages, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        free(p);
        return -1;
    }
    for (int k = 0; k < p->nslots; k++) {
        p->slots[k] = (struct slot){ .job_fd = -1, .res_fd = -1, .page = &mem[k] };
    }
    struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &old_pipe);
    uint64_t start = cli_now_ns(), last_tick = start, interrupted_ns = 0;
    int alive = 0;
    for (int k = 0; k < p->nslots; k++)
        alive += spawn(p, k) == 0;
    if (!alive) {
        end->broken = true;
        goto out;
    }
    for (;;) {
        uint64_t now = cli_now_ns();
        if (p->taking && !cfg->after_interrupt && cli_interrupted()) {
            end->interrupted = true;
            interrupted_ns = now;
            stop_taking(p);
        }
        if (p->taking && cfg->budget_ns && now - start >= cfg->budget_ns) {
            end->budget_out = true;
            stop_taking(p);
        }
        if (p->taking && p->idle_deaths > 2u * (unsigned)p->nslots + 2u) {
            end->broken = true;
            stop_taking(p);
        }
        bool busy = false;
        for (int k = 0; k < p->nslots; k++) {
            struct slot *s = &p->slots[k];
            if (!s->pid && p->taking && have_work(p))
                (void)spawn(p, k);
            if (s->pid && !s->busy && p->taking && have_work(p))
                dispatch(p, s);
            busy |= s->pid && s->busy;
        }
        if (!busy) {
            if (p->taking && have_work(p))
                end->broken = true;
            break;
        }
        /* Sleep until a worker writes, a signal comes, an item's time is up, or the next tick. */
        uint64_t wake = last_tick + TICK_NS;
        for (int k = 0; k < p->nslots; k++) {
            struct slot *s = &p->slots[k];
            if (!s->busy || !cfg->timeout_ns || atomic_load(&s->page->item) == CLI_WATCH_IDLE)
                continue;
            uint64_t due = atomic_load(&s->page->started_ns) + cfg->timeout_ns;
            if (due < wake)
                wake = due;
        }
        if (p->taking && cfg->budget_ns && start + cfg->budget_ns < wake)
            wake = start + cfg->budget_ns;
        if (end->interrupted && interrupted_ns + CLI_INTERRUPT_GRACE_NS < wake)
            wake = interrupted_ns + CLI_INTERRUPT_GRACE_NS;
        struct pollfd fds[CLI_MAX_WORKERS + 1];
        int idx[CLI_MAX_WORKERS + 1], nfds = 0;
        for (int k = 0; k < p->nslots; k++) {
            if (!p->slots[k].pid)
                continue;
            fds[nfds] = (struct pollfd){ .fd = p->slots[k].res_fd, .events = POLLIN };
            idx[nfds++] = k;
        }
        if (cli_interrupt_fd() >= 0) {
            fds[nfds] = (struct pollfd){ .fd = cli_interrupt_fd(), .events = POLLIN };
            idx[nfds++] = -1;
        }
        int ms = wake > now ? (int)((wake - now + 999999) / 1000000) : 0;
        int ready = poll(fds, (nfds_t)nfds, ms);
        for (int f = 0; ready > 0 && f < nfds; f++) {
            if (!fds[f].revents)
                continue;
            if (idx[f] < 0) {
                char buf[16];
                while (read(fds[f].fd, buf, sizeof(buf)) > 0)
                    ;
                continue;
            }
            if (!drain(p, &p->slots[idx[f]], false))
                bury(p, idx[f], DIED);
        }
        now = cli_now_ns();
        for (int k = 0; k < p->nslots && cfg->timeout_ns; k++) {
            struct slot *s = &p->slots[k];
            if (!s->pid || !s->busy || atomic_load(&s->page->item) == CLI_WATCH_IDLE)
                continue;
            /* An item that started after `now` was read has a later start: not overdue. */
            uint64_t started = atomic_load(&s->page->started_ns);
            if (started <= now && now - started >= cfg->timeout_ns)
                bury(p, k, TIMED_OUT);
        }
        /* Items under way when the interruption came may finish, but only for so long. */
        for (int k = 0; k < p->nslots && end->interrupted && now - interrupted_ns >= CLI_INTERRUPT_GRACE_NS;
             k++)
            if (p->slots[k].pid && p->slots[k].busy)
                bury(p, k, ABANDONED);
        if (now - last_tick >= TICK_NS) {
            last_tick = now;
            if (cfg->tick)
                cfg->tick(cfg->ctx);
        }
    }
out:
    /* Idle workers end when their job pipe closes. */
    for (int k = 0; k < p->nslots; k++) {
        struct slot *s = &p->slots[k];
        if (s->pid) {
            close(s->job_fd);
            close(s->res_fd);
            while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
                ;
            cli_interrupt_track((size_t)k, 0);
        }
        cli_msg_fini(&s->in);
    }
    sigaction(SIGPIPE, &old_pipe, NULL);
    munmap(mem, pages);
    free(p->redo);
    free(p);
    return end->broken && !end->finished ? -1 : 0;
}
