/* Trace files: reading JSON-lines traces back into events, and converting them to the text form or Chrome trace events. */
#ifndef COOP_TRACE_CONVERT_H
#define COOP_TRACE_CONVERT_H

#include <stdio.h>

#include "coop/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

#define COOP_TRACE_LINE_MAX 65536 /* bytes of one line, newline excluded; longer lines are errors */
#define COOP_TRACE_MAX_FIELDS 32  /* fields of one line, t_ns and ev included */

/*
 * A reader of trace lines.  Only the trace's own shape is accepted: one
 * JSON object per line with unique keys, whose values are strings,
 * integers, true, false or null, without nesting, with "t_ns" (an
 * unsigned integer) and "ev" (a string).  Strings are unescaped and must
 * be valid UTF-8.  Anything else is an error with the column where it
 * was found, so a damaged or foreign file is reported, never guessed at.
 */
typedef struct coop_trace_reader coop_trace_reader;

COOP_API coop_trace_reader *coop_trace_reader_new(void);
COOP_API void coop_trace_reader_free(coop_trace_reader *r);
/*
 * Parses one line (a trailing newline is allowed).  Returns 0 and points
 * *out at the event, whose fields are t_ns and ev lifted out and the
 * rest in order (integers are COOP_SIM_UINT unless negative, null is a
 * COOP_SIM_STR with a NULL str); it stays valid until the next parse.
 * On a malformed line returns -1 with *col (1-based) and *msg set.
 */
COOP_API int coop_trace_parse(coop_trace_reader *r, const char *line, size_t len, const coop_sim_event **out,
                              size_t *col, const char **msg);

/*
 * Reads one line of at most COOP_TRACE_LINE_MAX bytes, and its newline,
 * into buf (COOP_TRACE_BUF bytes).  Returns its length, 0 at the end of
 * in, or -1 for a longer line, of which the rest is left unread.
 */
#define COOP_TRACE_BUF (COOP_TRACE_LINE_MAX + 2)
COOP_API long coop_trace_read_line(FILE *in, char *buf);

/* Writes e as one line of the text form: time, task, event, then the other fields as key=value. */
COOP_API void coop_trace_write_text(FILE *out, const coop_sim_event *e);

typedef enum coop_trace_format {
    COOP_TRACE_JSONL, /* the trace itself, re-validated line by line */
    COOP_TRACE_TEXT,  /* one aligned line per event, for people */
    COOP_TRACE_CHROME /* Chrome trace-event JSON: a track per task, a slice per step, every field in args */
} coop_trace_format;

/* Parses "jsonl", "text" or "chrome"; returns -1 for anything else. */
COOP_API int coop_trace_format_parse(const char *name, coop_trace_format *out);

/*
 * A trace written in one format event by event, as it is produced: what
 * coop_trace_convert does, without holding the trace.  Its memory does
 * not grow with the trace.
 */
typedef struct coop_trace_writer coop_trace_writer;
/* Starts the output (Chrome's opening bracket); NULL when memory ran out. */
COOP_API coop_trace_writer *coop_trace_writer_new(FILE *out, coop_trace_format fmt);
/*
 * Parses one JSON line (a trailing newline is allowed) and writes it;
 * -1 with *col and *msg for a malformed line, which writes nothing.
 */
COOP_API int coop_trace_writer_line(coop_trace_writer *w, const char *line, size_t len, size_t *col,
                                    const char **msg);
/* Ends the output (Chrome's closing bracket) and frees w; -1 when out has had a write error. */
COOP_API int coop_trace_writer_finish(coop_trace_writer *w);

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
