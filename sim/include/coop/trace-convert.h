/* Converting a JSON-lines trace into the text form or the Chrome trace-event format. */
#ifndef COOP_TRACE_CONVERT_H
#define COOP_TRACE_CONVERT_H

#include <stdio.h>

#include "coop/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum coop_trace_format {
    COOP_TRACE_JSONL, /* the trace itself, re-validated line by line */
    COOP_TRACE_TEXT,  /* one aligned line per event, for people */
    COOP_TRACE_CHROME /* Chrome trace-event JSON: a track per task, a slice per step (Perfetto) */
} coop_trace_format;

/* Parses "jsonl", "text" or "chrome"; returns -1 for anything else. */
COOP_API int coop_trace_format_parse(const char *name, coop_trace_format *out);

/*
 * Reads JSON lines from in and writes them to out in the given format.
 * A malformed line stops the conversion with "NAME:LINE:COL: error: ..."
 * in err and a return of -1; 0 on success.
 */
COOP_API int coop_trace_convert(FILE *in, const char *in_name, FILE *out, coop_trace_format fmt, char *err,
                                size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
