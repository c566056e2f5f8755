/* Golden traces: the text form of a scenario's trace, compared with the .trace file beside it, or rewritten. */
#include <stdlib.h>
#include <string.h>

#include "base/text.h"
#include "cli.h"
#include "coop/trace-convert.h"

/* The largest golden trace read back: far beyond any in the corpus, far below what would hurt. */
#define GOLDEN_MAX ((size_t)256 << 20)

static char *golden_path(const char *path)
{
    size_t n = strlen(path);
    char *g = malloc(n + 8);
    if (!g)
        return NULL;
    memcpy(g, path, n + 1);
    if (n > 4 && !strcmp(path + n - 4, ".scn"))
        g[n - 4] = '\0';
    strcat(g, ".trace");
    return g;
}

/* Converts a JSON-lines trace held in memory; the caller frees *out. */
int cli_convert(const char *jsonl, size_t len, coop_trace_format fmt, char **out, size_t *outlen)
{
    return coop_scn_convert(jsonl, len, (int)fmt, out, outlen);
}

int cli_write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    bool ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok ? 0 : -1;
}

void cli_golden(const struct cli *c, bool update, FILE *out, const char *path, const coop_scn_result *res,
                int *status)
{
    char *gpath = golden_path(path);
    char *text = NULL;
    size_t tlen = 0;
    if (!gpath || cli_convert(res->jsonl, res->jsonl_len, COOP_TRACE_TEXT, &text, &tlen)) {
        fprintf(out, "  golden: the trace could not be converted\n");
        *status = CLI_FAIL;
        goto out;
    }
    if (update) {
        size_t old_len = 0;
        char *old = text_slurp(gpath, GOLDEN_MAX, &old_len);
        bool same = old && old_len == tlen && !memcmp(old, text, tlen);
        free(old);
        if (!same && cli_write_file(gpath, text, tlen)) {
            fprintf(out, "  golden: cannot write %s\n", gpath);
            *status = CLI_FAIL;
        } else if (!same) {
            fprintf(out, "  golden: updated %s\n", gpath);
        }
        goto out;
    }
    size_t want_len = 0;
    char *want = text_slurp(gpath, GOLDEN_MAX, &want_len);
    if (!want) {
        fprintf(out, "  golden: %s is missing; create it with --update-golden\n", gpath);
        *status = CLI_FAIL;
    } else if (want_len != tlen || memcmp(want, text, tlen)) {
        size_t line = 1, i = 0, bol = 0;
        while (i < want_len && i < tlen && want[i] == text[i])
            if (want[i++] == '\n') {
                line++;
                bol = i;
            }
        const char *we = memchr(want + bol, '\n', want_len - bol);
        const char *ge = memchr(text + bol, '\n', tlen - bol);
        int wl = bol < want_len ? (int)((we ? we : want + want_len) - (want + bol)) : 0;
        int gl = bol < tlen ? (int)((ge ? ge : text + tlen) - (text + bol)) : 0;
        fprintf(out,
                "  %s:%zu: the trace differs from the golden trace\n    golden: %.*s\n    now:    %.*s\n"
                "    (if the change is intended: %s run %s --update-golden, then review the diff)\n",
                gpath, line, wl, want + bol, gl, text + bol, c->argv0, path);
        *status = CLI_FAIL;
    }
    free(want);
out:
    free(text);
    free(gpath);
}
