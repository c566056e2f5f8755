/* libFuzzer target: `coop trace` on any file: the summary and every conversion, as the command runs them. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "coop/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const coop_program no_programs[] = { { NULL, NULL, NULL } };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof(path), "/tmp/coop-fuzz-trace-%ld.jsonl", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    char *summary[] = { "coop", "trace", path, NULL };
    char *chrome[] = { "coop", "trace", "--to", "chrome", "-o", "/dev/null", path, NULL };
    char *text[] = { "coop", "trace", "--to", "text", "-o", "/dev/null", "--summary", path, NULL };
    char *jsonl[] = { "coop", "trace", "--to", "jsonl", "-o", "/dev/null", path, NULL };
    char **argvs[] = { summary, chrome, text, jsonl };
    for (size_t i = 0; i < sizeof(argvs) / sizeof(argvs[0]); i++) {
        int argc = 0;
        while (argvs[i][argc])
            argc++;
        /* Option parsing may keep state between calls (getopt's optind): start it afresh. */
        optind = 0;
        int rc = coop_main(argc, argvs[i], no_programs);
        if (rc != 0 && rc != 2)
            __builtin_trap();
    }
    return 0;
}
