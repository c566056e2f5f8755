/* The determinism self-check: the same simulation twice, compared event by event. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "sim/private.h"

/* Run one keeps every line; run two compares as it goes and remembers the first difference. */
struct selfcheck {
    char **lines;
    size_t n, cap;
    size_t compared;
    bool differs;
    size_t at;
    char first[COOP_SIM_LINE_MAX], second[COOP_SIM_LINE_MAX];
    bool recording;
    bool oom;
};

static void selfcheck_line(void *ctx, const char *line, size_t len)
{
    struct selfcheck *c = ctx;
    if (c->recording) {
        char *copy = NULL;
        if (grow(coop_allocator_libc(), (void **)&c->lines, &c->cap, c->n + 1, sizeof(*c->lines), 1024) ||
            !(copy = malloc(len + 1))) {
            c->oom = true;
            return;
        }
        memcpy(copy, line, len + 1);
        c->lines[c->n++] = copy;
        return;
    }
    size_t i = c->compared++;
    if (c->differs)
        return;
    if (i >= c->n || strcmp(c->lines[i], line) != 0) {
        c->differs = true;
        c->at = i;
        snprintf(c->first, sizeof(c->first), "%s", i < c->n ? c->lines[i] : "(no event: run 1 ended)");
        snprintf(c->second, sizeof(c->second), "%s", line);
    }
}

static int selfcheck_run(const coop_sim_config *cfg, struct selfcheck *c, coop_sim_setup_fn setup,
                         coop_sim_drive_fn drive, void *ctx, uint64_t *hash)
{
    coop_sim_config run_cfg = *cfg;
    run_cfg.trace_off = false;
    run_cfg.on_line = selfcheck_line;
    run_cfg.on_line_ctx = c;
    coop_sim *sim = coop_sim_new(&run_cfg);
    if (!sim)
        return -COOP_ENOMEM;
    int err = setup ? setup(sim, ctx) : 0;
    if (err == 0) {
        coop_sim_status st = drive ? drive(sim, ctx) : coop_sim_run(sim);
        coop_sim_field end[2] = {
            { .key = "status", .type = COOP_SIM_STR, .v.str = coop_sim_status_name(st) },
            { .key = "steps", .type = COOP_SIM_UINT, .v.u = coop_sim_steps(sim) },
        };
        coop_sim_emit(sim, "end", end, 2);
        *hash = coop_sim_trace_hash(sim);
    }
    coop_sim_free(sim);
    return err;
}

int coop_sim_selfcheck(const coop_sim_config *cfg, coop_sim_setup_fn setup, coop_sim_drive_fn drive,
                       void *ctx, char *report, size_t len)
{
    struct selfcheck c = { .recording = true };
    uint64_t h1 = 0, h2 = 0;
    int rc = selfcheck_run(cfg, &c, setup, drive, ctx, &h1);
    if (rc == 0) {
        c.recording = false;
        rc = selfcheck_run(cfg, &c, setup, drive, ctx, &h2);
    }
    if (rc == 0 && c.oom)
        rc = -COOP_ENOMEM;
    if (rc == 0 && !c.differs && c.compared != c.n) {
        c.differs = true;
        c.at = c.compared;
        snprintf(c.first, sizeof(c.first), "%s", c.lines[c.compared]);
        snprintf(c.second, sizeof(c.second), "(no event: run 2 ended)");
    }
    if (rc == 0 && c.differs)
        snprintf(report, len, "runs differ at event %zu:\n  run 1: %s\n  run 2: %s\n", c.at + 1, c.first,
                 c.second);
    else if (rc == 0)
        snprintf(report, len, "identical: %zu events, hash %016llx\n", c.n, (unsigned long long)h1);
    else
        snprintf(report, len, "self-check could not run: %s\n", coop_strerror(rc));
    for (size_t i = 0; i < c.n; i++)
        free(c.lines[i]);
    free(c.lines);
    (void)h2;
    return rc < 0 ? rc : c.differs ? 1 : 0;
}
