/* Golden traces: runs a registered program under the simulator and compares its trace with a checked-in file. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coop/program.h"
#include "base/text.h"
#include "coop/sim.h"
#include "coop/trace-convert.h"
#include "seed.h"

/*
 * usage: golden PROGRAM FILE [--update | --hash] [--profile seed|zero] [--until-ms N]
 * The trace is written in the text form, which diffs well.  Without
 * --update a difference fails with the first differing line; with it the
 * file is rewritten, so golden files change only when asked to.
 */
static char *jsonl;
static size_t jsonl_len;
static FILE *jsonl_out;

static void on_line(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    fwrite(line, 1, len, jsonl_out);
    fputc('\n', jsonl_out);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr,
                "usage: golden PROGRAM FILE [--update | --hash] [--profile seed|zero] [--until-ms N]\n");
        return 2;
    }
    const char *name = argv[1], *path = argv[2];
    bool update = false, hash_only = false;
    coop_sim_profile profile = COOP_SIM_SEED;
    uint64_t until_ms = 600000;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--update"))
            update = true;
        else if (!strcmp(argv[i], "--hash"))
            hash_only = true;
        else if (!strcmp(argv[i], "--profile") && i + 1 < argc)
            profile = !strcmp(argv[++i], "seed") ? COOP_SIM_SEED : COOP_SIM_ZERO_COST;
        else if (!strcmp(argv[i], "--until-ms") && i + 1 < argc)
            until_ms = strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "golden: unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    const coop_program *prog = coop_program_find(coop_seed_programs, name);
    if (!prog) {
        fprintf(stderr, "golden: no program named %s\n", name);
        return 2;
    }
    jsonl_out = open_memstream(&jsonl, &jsonl_len);
    coop_sim *sim = coop_sim_new(&(coop_sim_config){ .profile = profile, .on_line = on_line });
    if (!sim || coop_sim_start(sim, prog, 0, NULL) != 0) {
        fprintf(stderr, "golden: cannot start %s\n", name);
        return 1;
    }
    coop_sim_status st = coop_sim_run_until(sim, COOP_MS(until_ms));
    coop_sim_field end[2] = {
        { .key = "status", .type = COOP_SIM_STR, .v.str = coop_sim_status_name(st) },
        { .key = "steps", .type = COOP_SIM_UINT, .v.u = coop_sim_steps(sim) },
    };
    coop_sim_emit(sim, "end", end, 2);
    if (hash_only)
        printf("%s %016llx\n", name, (unsigned long long)coop_sim_trace_hash(sim));
    coop_sim_free(sim);
    if (hash_only) {
        fclose(jsonl_out);
        free(jsonl);
        return 0;
    }
    fclose(jsonl_out);

    char *text = NULL;
    size_t text_len = 0;
    FILE *in = fmemopen(jsonl, jsonl_len, "r");
    FILE *out = open_memstream(&text, &text_len);
    char err[256];
    if (coop_trace_convert(in, name, out, COOP_TRACE_TEXT, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    fclose(in);
    fclose(out);

    int rc = 0;
    if (update) {
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(text, 1, text_len, f) != text_len || fclose(f)) {
            perror(path);
            rc = 1;
        } else {
            printf("updated %s (%zu bytes)\n", path, text_len);
        }
    } else {
        size_t want_len = 0;
        char *want = text_slurp(path, (size_t)1 << 30, &want_len);
        if (!want) {
            fprintf(stderr, "%s: missing; run scripts/update-golden to create it\n", path);
            rc = 1;
        } else if (want_len != text_len || memcmp(want, text, text_len)) {
            size_t line = 1, i = 0;
            while (i < want_len && i < text_len && want[i] == text[i])
                line += want[i++] == '\n';
            fprintf(stderr,
                    "%s:%zu: the trace differs from the golden file (run scripts/update-golden to accept)\n",
                    path, line);
            rc = 1;
        } else {
            printf("%s matches %s\n", name, path);
        }
        free(want);
    }
    free(text);
    free(jsonl);
    return rc;
}
