/* The trace reader and converters: strict parsing with positions, the text form, and Chrome trace events. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "coop/trace-convert.h"
#include "jsonl.h"

static char out_buf[1 << 14];

static int convert(const char *in, coop_trace_format fmt, char *err, size_t errlen)
{
    FILE *i = fmemopen((void *)in, strlen(in), "r");
    FILE *o = fmemopen(out_buf, sizeof(out_buf), "w");
    cr_assert(i && o);
    int rc = coop_trace_convert(i, "t.jsonl", o, fmt, err, errlen);
    fputc('\0', o);
    fclose(i);
    fclose(o);
    return rc;
}

static const char *trace =
    "{\"t_ns\":0,\"ev\":\"spawn\",\"task\":\"a\",\"tid\":1,\"prio\":10,\"period_ns\":0}\n"
    "{\"t_ns\":1500000000,\"ev\":\"run\",\"task\":\"a\",\"tid\":1}\n"
    "{\"t_ns\":1500000000,\"ev\":\"log\",\"task\":\"a\",\"tid\":1,\"text\":\"I'm \\\"a\\\"\"}\n"
    "{\"t_ns\":1500002000,\"ev\":\"yield\",\"task\":\"a\",\"tid\":1,\"call\":\"Wait\"}\n"
    "{\"t_ns\":1600000000,\"ev\":\"signal\",\"signal\":\"s\",\"value\":-3,\"woken\":0}\n";

Test(convert, text_form)
{
    char err[256];
    cr_assert_eq(convert(trace, COOP_TRACE_TEXT, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(out_buf, "     0.000000000 s  a#1                  spawn   prio=10 period_ns=0\n"
                              "     1.500000000 s  a#1                  run    \n"
                              "     1.500000000 s  a#1                  log     text=\"I'm \"a\"\"\n"
                              "     1.500002000 s  a#1                  yield   call=Wait\n"
                              "     1.600000000 s  -                    signal  signal=s value=-3 woken=0\n");
}

Test(convert, chrome_form_has_a_track_per_task_and_a_slice_per_step)
{
    char err[256];
    cr_assert_eq(convert(trace, COOP_TRACE_CHROME, err, sizeof(err)), 0, "%s", err);
    cr_assert(strstr(
        out_buf, "{\"ph\":\"M\",\"pid\":1,\"tid\":1,\"name\":\"thread_name\",\"args\":{\"name\":\"a\"}}"));
    cr_assert(strstr(out_buf,
                     "{\"ph\":\"X\",\"pid\":1,\"tid\":1,\"ts\":1500000.000,\"name\":\"Wait\",\"dur\":2.000}"),
              "%s", out_buf);
    cr_assert(strstr(
        out_buf, "{\"ph\":\"i\",\"pid\":1,\"tid\":0,\"ts\":1600000.000,\"name\":\"signal\",\"s\":\"t\"}"));
    const char *head = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[";
    cr_assert(strncmp(out_buf, head, strlen(head)) == 0);
}

Test(convert, jsonl_round_trips_unchanged)
{
    char err[256];
    cr_assert_eq(convert(trace, COOP_TRACE_JSONL, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(out_buf, trace);
}

Test(convert, bad_lines_are_reported_with_their_position)
{
    static const struct {
        const char *in, *err;
    } cases[] = {
        { "{\"t_ns\":1,\"ev\":\"run\"}\nnot json\n", "t.jsonl:2:1: error: expected '{'" },
        { "{\"t_ns\":1,\"ev\":\"run\",}\n", "t.jsonl:1:22: error: expected a string" },
        { "{\"t_ns\":1.5,\"ev\":\"run\"}\n", "t.jsonl:1:10: error: only integers are allowed" },
        { "{\"t_ns\":1,\"ev\":\"run\",\"x\":{}}\n", "t.jsonl:1:26: error: nested values are not allowed" },
        { "{\"t_ns\":1,\"t_ns\":2,\"ev\":\"run\"}\n", "t.jsonl:1:17: error: duplicate key" },
        { "{\"ev\":\"run\"}\n", "t.jsonl:1:1: error: a trace event needs \"t_ns\" and \"ev\"" },
        { "{\"t_ns\":1,\"ev\":\"r\\qn\"}\n", "t.jsonl:1:20: error: unknown escape" },
        { "{\"t_ns\":99999999999999999999,\"ev\":\"run\"}\n", "t.jsonl:1:28: error: integer out of range" },
        { "{\"t_ns\":1,\"ev\":\"run\"} x\n", "t.jsonl:1:23: error: text after the object" },
        { "{\"t_ns\":1,\"ev\":\"run", "t.jsonl:1:20: error: unterminated string" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[256] = "";
        cr_assert_eq(convert(cases[i].in, COOP_TRACE_TEXT, err, sizeof(err)), -1, "case %zu", i);
        cr_assert_str_eq(err, cases[i].err, "case %zu: %s", i, err);
    }
}

Test(convert, escapes_and_values)
{
    struct jsonl_obj o;
    size_t col;
    const char *msg;
    const char *line =
        "{\"a\":\"\\u00e9\\n\\t\",\"b\":true,\"c\":false,\"d\":null,\"e\":-9223372036854775808}";
    cr_assert_eq(jsonl_parse(line, strlen(line), &o, &col, &msg), 0);
    cr_assert_str_eq(jsonl_str(&o, "a"), "\xc3\xa9\n\t");
    cr_assert_eq(jsonl_get(&o, "b")->num, 1);
    cr_assert_eq(jsonl_get(&o, "c")->num, 0);
    cr_assert_eq(jsonl_get(&o, "d")->type, JSONL_NULL);
    int64_t e;
    cr_assert(jsonl_int(&o, "e", &e));
    cr_assert_eq(e, INT64_MIN);
    cr_assert_null(jsonl_str(&o, "b"));
    cr_assert(!jsonl_int(&o, "a", &e));
}

Test(convert, format_names)
{
    coop_trace_format f;
    cr_assert_eq(coop_trace_format_parse("chrome", &f), 0);
    cr_assert_eq(f, COOP_TRACE_CHROME);
    cr_assert_eq(coop_trace_format_parse("xml", &f), -1);
}
