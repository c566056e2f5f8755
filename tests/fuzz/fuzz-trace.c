/* libFuzzer target for the trace reader: any bytes, every output format, no crash and no leak. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "coop/trace-convert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int fmt = COOP_TRACE_JSONL; fmt <= COOP_TRACE_CHROME; fmt++) {
        FILE *in = fmemopen((void *)data, size, "r");
        FILE *out = fopen("/dev/null", "w");
        if (!in || !out) {
            if (in)
                fclose(in);
            if (out)
                fclose(out);
            return 0;
        }
        char err[256];
        (void)coop_trace_convert(in, "fuzz", out, (coop_trace_format)fmt, err, sizeof(err));
        fclose(in);
        fclose(out);
    }
    return 0;
}
