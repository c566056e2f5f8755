/* The coop command: subcommand dispatch, help, the worker pool, and loading programs from shared objects. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "shrink.h"

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
    "  shrink FILE       reduce a failing scenario to a small one that fails the same way\n"
    "  start PROGRAM     run a program on the real clock and real sockets\n"
    "  programs          list the programs scenarios and start can name\n"
    "  help [COMMAND]    describe coop, or one command\n"
    "  --version         print the version of coop\n"
    "\n"
    "run and explore run scenarios in worker processes (-j N of them) and give each\n"
    "one a status: PASS; FAIL (an expectation failed); CRASH (the task code crashed\n"
    "its worker: the signal, the task, the last events); TIMEOUT (past --timeout of\n"
    "wall time, 60s unless given); ERROR (it could not be read, parsed or started).\n"
    "A first Ctrl-C stops and reports what ran; a second one ends coop at once.\n"
    "\n"
    "`coop help COMMAND` describes each command.  Exit status: 0 pass, 1 fail,\n"
    "crash or timeout, 2 usage or parse error, 128+N after signal N.  The language\n"
    "is documented in docs/scenario-format.md, the runner in docs/runner.md.\n";

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
    if (!loaded) {
        fprintf(stderr, "coop: error: --load %s: %s() returned NULL, not a registry\n", path,
                COOP_REGISTER_SYMBOL);
        return -1;
    }
    size_t n = 0, m = 0;
    while (loaded && loaded[n].name)
        n++;
    while (c->builtin && c->builtin[m].name)
        m++;
    c->merged = calloc(n + m + 1, sizeof(*c->merged));
    if (!c->merged)
        return -1;
    if (n)
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

static const char programs_help[] = "usage: coop programs [--load LIB.so]\n\nLists the programs a scenario's "
                                    "`program` line can name, with a summary of each.\n";

static int cmd_programs(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = { { "load", required_argument, NULL, 'l' },
                                          { "help", no_argument, NULL, 'h' },
                                          { NULL, 0, NULL, 0 } };
    int ch;
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (ch == 'h') {
            fputs(programs_help, stdout);
            return CLI_PASS;
        } else if (ch == 'l') {
            if (cli_load(c, optarg))
                return CLI_USAGE;
        } else {
            cli_bad_option("programs", ch, optopt, argv[optind - 1], opts);
            return CLI_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "coop programs: error: unexpected argument '%s'\n", argv[optind]);
        return CLI_USAGE;
    }
    for (const coop_program *p = c->registry; p && p->name; p++)
        printf("%-20s %s\n", p->name, p->summary ? p->summary : "");
    return CLI_PASS;
}

/* The commands, by name. */
static const struct command {
    const char *name;
    int (*fn)(struct cli *c, int argc, char **argv);
} commands[] = { { "run", cli_run },     { "explore", cli_explore },
                 { "trace", cli_trace }, { "shrink", cli_shrink_command },
                 { "start", cli_start }, { "programs", cmd_programs } };
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

static int unknown_command(const char *cmd)
{
    const char *names[NCOMMANDS + 1];
    for (size_t i = 0; i < NCOMMANDS; i++)
        names[i] = commands[i].name;
    names[NCOMMANDS] = "help";
    const char *near = cli_suggest(cmd, names, NCOMMANDS + 1);
    if (near)
        fprintf(stderr, "coop: error: unknown command '%s' (did you mean '%s'?)\n", cmd, near);
    else
        fprintf(stderr, "coop: error: unknown command '%s'\n\n%s", cmd, usage_text);
    return CLI_USAGE;
}

int coop_main(int argc, char **argv, const coop_program *registry)
{
    struct cli c = { .argv0 = argc > 0 ? argv[0] : "coop", .builtin = registry, .registry = registry };
    if (argc < 2) {
        fputs(usage_text, stderr);
        return CLI_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || (!strcmp(cmd, "help") && argc == 2)) {
        fputs(usage_text, stdout);
        return CLI_PASS;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("coop %d.%d.%d\n", COOP_VERSION_MAJOR, COOP_VERSION_MINOR, COOP_VERSION_PATCH);
        return CLI_PASS;
    }
    if (!strcmp(cmd, "help")) {
        /* `coop help run` is `coop run --help`. */
        const struct command *k = find_command(argv[2]);
        if (!k || argc > 3)
            return argc > 3 ? (fprintf(stderr, "coop help: error: one command at a time\n"), CLI_USAGE)
                            : unknown_command(argv[2]);
        char *args[] = { argv[2], "--help", NULL };
        return k->fn(&c, 2, args);
    }
    const struct command *k = find_command(cmd);
    if (!k)
        return unknown_command(cmd);
    int rc = k->fn(&c, argc - 1, argv + 1);
    cli_unload(&c);
    return rc;
}
