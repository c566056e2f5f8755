/* The coop command: subcommand dispatch, help, the worker pool, and loading programs from shared objects. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
    "usage: coop COMMAND [OPTIONS] ...\n"
    "\n"
    "Runs scenario files against coop programs in the deterministic simulator,\n"
    "and runs the same programs on the real backend.\n"
    "\n"
    "commands:\n"
    "  run FILE|DIR...   run scenarios and report pass or fail for each\n"
    "  explore FILE      run one scenario over many seeds with perturbation; group failures\n"
    "  trace FILE        convert a JSON-lines trace and summarise each task\n"
    "  start PROGRAM     run a program on the real clock and real sockets\n"
    "  programs          list the programs scenarios and start can name\n"
    "  --version         print the version of coop\n"
    "\n"
    "`coop COMMAND --help` describes each command.  Exit status: 0 pass, 1 fail,\n"
    "2 usage or parse error.  The language is documented in docs/scenario-format.md.\n";

int cli_parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || *s == '-')
        return -1;
    *out = v;
    return 0;
}

/* ---- The pool ---- */

/* Shared by the workers: the next job to take, and which jobs have finished. */
struct pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t next, n;
    bool *finished;
    void (*job)(void *, size_t);
    void *ctx;
};

static void *worker(void *arg)
{
    struct pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        size_t i = p->next < p->n ? p->next++ : p->n;
        pthread_mutex_unlock(&p->mu);
        if (i == p->n)
            return NULL;
        p->job(p->ctx, i);
        pthread_mutex_lock(&p->mu);
        p->finished[i] = true;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
}

void cli_pool(size_t n, int threads, void (*job)(void *ctx, size_t i), void (*done)(void *ctx, size_t i),
              void *ctx)
{
    if (threads <= 1 || n <= 1) {
        for (size_t i = 0; i < n; i++) {
            job(ctx, i);
            if (done)
                done(ctx, i);
        }
        return;
    }
    struct pool p = { .n = n, .job = job, .ctx = ctx };
    p.finished = calloc(n, sizeof(bool));
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    if (threads > 64)
        threads = 64;
    pthread_t tids[64];
    int started = 0;
    for (int k = 0; k < threads && p.finished; k++)
        if (pthread_create(&tids[k], NULL, worker, &p) == 0)
            started++;
    if (!started) {
        /* No thread could start: run everything here. */
        worker(&p);
    }
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_lock(&p.mu);
        while (!p.finished[i])
            pthread_cond_wait(&p.cv, &p.mu);
        pthread_mutex_unlock(&p.mu);
        if (done)
            done(ctx, i);
    }
    for (int k = 0; k < started; k++)
        pthread_join(tids[k], NULL);
    pthread_cond_destroy(&p.cv);
    pthread_mutex_destroy(&p.mu);
    free(p.finished);
}

/* ---- Loading programs ---- */

int cli_load(struct cli *c, const char *path)
{
    if (c->dl) {
        fprintf(stderr, "coop: error: --load is given twice\n");
        return -1;
    }
    /* A bare name would make dlopen search the library path; require a path to the file named. */
    if (!strchr(path, '/')) {
        fprintf(stderr, "coop: error: --load %s: give a path, e.g. ./%s\n", path, path);
        return -1;
    }
    c->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!c->dl) {
        fprintf(stderr, "coop: error: --load %s: %s\n", path, dlerror());
        return -1;
    }
    union {
        void *obj;
        coop_register_fn fn;
    } sym;
    sym.obj = dlsym(c->dl, COOP_REGISTER_SYMBOL);
    if (!sym.obj) {
        fprintf(stderr, "coop: error: --load %s: no function %s()\n", path, COOP_REGISTER_SYMBOL);
        return -1;
    }
    const coop_program *loaded = sym.fn();
    size_t n = 0, m = 0;
    while (loaded && loaded[n].name)
        n++;
    while (c->builtin && c->builtin[m].name)
        m++;
    c->merged = calloc(n + m + 1, sizeof(*c->merged));
    if (!c->merged)
        return -1;
    memcpy(c->merged, loaded, n * sizeof(*loaded));
    if (m)
        memcpy(c->merged + n, c->builtin, m * sizeof(*c->builtin));
    c->registry = c->merged;
    c->load_path = path;
    return 0;
}

void cli_unload(struct cli *c)
{
    free(c->merged);
    c->merged = NULL;
    /* The shared object stays mapped: its programs may have left static data in use until exit. */
}

static int cmd_programs(struct cli *c, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: coop programs [--load LIB.so]\n\nLists the programs a scenario's `program` line "
                   "can name, with a summary of each.\n");
            return CLI_PASS;
        }
        if (!strcmp(argv[i], "--load") && i + 1 < argc) {
            if (cli_load(c, argv[++i]))
                return CLI_USAGE;
            continue;
        }
        fprintf(stderr, "coop programs: error: unknown argument '%s'\n", argv[i]);
        return CLI_USAGE;
    }
    for (const coop_program *p = c->registry; p && p->name; p++)
        printf("%-20s %s\n", p->name, p->summary ? p->summary : "");
    return CLI_PASS;
}

int coop_main(int argc, char **argv, const coop_program *registry)
{
    struct cli c = { .argv0 = argc > 0 ? argv[0] : "coop", .builtin = registry, .registry = registry };
    if (argc < 2) {
        fputs(usage_text, stderr);
        return CLI_USAGE;
    }
    const char *cmd = argv[1];
    int rc;
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage_text, stdout);
        return CLI_PASS;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("coop %d.%d.%d\n", COOP_VERSION_MAJOR, COOP_VERSION_MINOR, COOP_VERSION_PATCH);
        return CLI_PASS;
    }
    if (!strcmp(cmd, "run"))
        rc = cli_run(&c, argc - 1, argv + 1);
    else if (!strcmp(cmd, "explore"))
        rc = cli_explore(&c, argc - 1, argv + 1);
    else if (!strcmp(cmd, "trace"))
        rc = cli_trace(&c, argc - 1, argv + 1);
    else if (!strcmp(cmd, "start"))
        rc = cli_start(&c, argc - 1, argv + 1);
    else if (!strcmp(cmd, "programs"))
        rc = cmd_programs(&c, argc - 1, argv + 1);
    else {
        fprintf(stderr, "coop: error: unknown command '%s'\n\n%s", cmd, usage_text);
        return CLI_USAGE;
    }
    cli_unload(&c);
    return rc;
}
