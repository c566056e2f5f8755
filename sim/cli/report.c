/* CI reports of a coop run: TAP version 13 and JUnit XML, one test case per scenario. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

bool cli_colour(FILE *stream)
{
    const char *no = getenv("NO_COLOR");
    return !(no && *no) && isatty(fileno(stream));
}

int cli_write_tap(const char *path, const struct cli_case *cases, size_t n)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "TAP version 13\n1..%zu\n", n);
    for (size_t i = 0; i < n; i++) {
        const struct cli_case *c = &cases[i];
        if (!c->ran) {
            fprintf(f, "ok %zu - %s # SKIP not run: the run was interrupted or stopped\n", i + 1, c->name);
            continue;
        }
        fprintf(f, "%s %zu - %s\n", c->passed ? "ok" : "not ok", i + 1, c->name);
        if (c->passed || !c->message)
            continue;
        /* The report goes in a YAML block, every line indented so that TAP readers keep it whole. */
        fprintf(f, "  ---\n  severity: %s\n  status: %s\n  message: |\n", c->error ? "error" : "fail",
                c->kind ? c->kind : "FAIL");
        for (const char *p = c->message; *p;) {
            const char *nl = strchr(p, '\n');
            size_t len = nl ? (size_t)(nl - p) : strlen(p);
            fprintf(f, "    %.*s\n", (int)len, p);
            p += len + (nl != NULL);
        }
        fprintf(f, "  ...\n");
    }
    return fclose(f) ? -1 : 0;
}

/* XML text: the five predefined entities, and control bytes (invalid in XML 1.0) as '?'. */
static void xml_text(FILE *f, const char *s, size_t len)
{
    for (size_t i = 0; s && i < len && s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '<')
            fputs("&lt;", f);
        else if (c == '>')
            fputs("&gt;", f);
        else if (c == '&')
            fputs("&amp;", f);
        else if (c == '"')
            fputs("&quot;", f);
        else if (c == '\'')
            fputs("&apos;", f);
        else if (c < 0x20 && c != '\n' && c != '\t')
            fputc('?', f);
        else
            fputc(c, f);
    }
}

/* Seconds with millisecond precision, as JUnit readers expect in `time`. */
static void seconds(FILE *f, uint64_t ns)
{
    uint64_t ms = (ns + 500000u) / 1000000u;
    fprintf(f, "%" PRIu64 ".%03" PRIu64, ms / 1000u, ms % 1000u);
}

int cli_write_junit(const char *path, const struct cli_case *cases, size_t n)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    size_t failures = 0, errors = 0, skipped = 0;
    uint64_t total_ns = 0;
    for (size_t i = 0; i < n; i++) {
        skipped += !cases[i].ran;
        failures += cases[i].ran && !cases[i].passed && !cases[i].error;
        errors += cases[i].ran && cases[i].error;
        total_ns += cases[i].wall_ns;
    }
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites tests=\"%zu\" failures=\"%zu\" "
            "errors=\"%zu\" skipped=\"%zu\" time=\"",
            n, failures, errors, skipped);
    seconds(f, total_ns);
    fprintf(f,
            "\">\n<testsuite name=\"coop scenarios\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
            "skipped=\"%zu\" time=\"",
            n, failures, errors, skipped);
    seconds(f, total_ns);
    fprintf(f, "\">\n");
    for (size_t i = 0; i < n; i++) {
        const struct cli_case *c = &cases[i];
        /* The class is the scenario's folder, with dots for slashes as JUnit readers group by it. */
        const char *slash = strrchr(c->name, '/'), *dir = c->name;
        /* A leading "/" or "./" says nothing of the class. */
        while (*dir == '/' || (dir[0] == '.' && dir[1] == '/'))
            dir += *dir == '/' ? 1 : 2;
        fprintf(f, "  <testcase classname=\"");
        if (slash && slash > dir) {
            for (const char *p = dir; p < slash; p++) {
                if (*p == '/')
                    fputc('.', f);
                else
                    xml_text(f, p, 1);
            }
        } else {
            fputs("scenarios", f);
        }
        fprintf(f, "\" name=\"");
        xml_text(f, slash ? slash + 1 : c->name, SIZE_MAX);
        fprintf(f, "\" time=\"");
        seconds(f, c->wall_ns);
        if (c->passed && c->ran) {
            fprintf(f, "\"/>\n");
            continue;
        }
        if (!c->ran) {
            fprintf(f, "\">\n    <skipped message=\"not run: the run was interrupted or stopped\"/>\n"
                       "  </testcase>\n");
            continue;
        }
        const char *tag = c->error ? "error" : "failure";
        fprintf(f, "\">\n    <%s type=\"%s\" message=\"%s\">", tag, c->kind ? c->kind : "FAIL",
                c->error                                 ? "parse or usage error"
                : c->kind && !strcmp(c->kind, "CRASH")   ? "the scenario crashed its worker"
                : c->kind && !strcmp(c->kind, "TIMEOUT") ? "the scenario ran past its time limit"
                                                         : "expectation failed");
        xml_text(f, c->message, SIZE_MAX);
        fprintf(f, "</%s>\n  </testcase>\n", tag);
    }
    fprintf(f, "</testsuite>\n</testsuites>\n");
    return fclose(f) ? -1 : 0;
}
