/* CI reports of a coop run: TAP version 13 and JUnit XML, one test case per scenario. */
#include <string.h>

#include "cli.h"

int cli_write_tap(const char *path, const struct cli_case *cases, size_t n)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "TAP version 13\n1..%zu\n", n);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s %zu - %s\n", cases[i].passed ? "ok" : "not ok", i + 1, cases[i].name);
        if (cases[i].passed || !cases[i].message)
            continue;
        /* The report goes in a YAML block, every line indented so that TAP readers keep it whole. */
        fprintf(f, "  ---\n  severity: %s\n  message: |\n", cases[i].error ? "error" : "fail");
        for (const char *p = cases[i].message; *p;) {
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
static void xml_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
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

int cli_write_junit(const char *path, const struct cli_case *cases, size_t n)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    size_t failures = 0, errors = 0;
    for (size_t i = 0; i < n; i++) {
        failures += !cases[i].passed && !cases[i].error;
        errors += cases[i].error;
    }
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(
        f,
        "<testsuites>\n<testsuite name=\"coop scenarios\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n",
        n, failures, errors);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "  <testcase classname=\"scenarios\" name=\"");
        xml_text(f, cases[i].name);
        if (cases[i].passed) {
            fprintf(f, "\"/>\n");
            continue;
        }
        const char *kind = cases[i].error ? "error" : "failure";
        fprintf(f, "\">\n    <%s message=\"%s\">", kind,
                cases[i].error ? "parse or usage error" : "expectation failed");
        xml_text(f, cases[i].message);
        fprintf(f, "</%s>\n  </testcase>\n", kind);
    }
    fprintf(f, "</testsuite>\n</testsuites>\n");
    return fclose(f) ? -1 : 0;
}
