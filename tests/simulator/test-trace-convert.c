/* The trace reader and converters: strict parsing with positions, the text form, and Chrome trace events. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "coop/trace-convert.h"

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
    cr_assert(strstr(
        out_buf,
        "{\"ph\":\"M\",\"pid\":1,\"tid\":0,\"name\":\"thread_name\",\"args\":{\"name\":\"network\"}}"));
    cr_assert(strstr(out_buf,
                     "{\"ph\":\"X\",\"pid\":1,\"tid\":1,\"ts\":1500000.000,\"name\":\"Wait\",\"dur\":2.000,"
                     "\"args\":{\"ev\":\"yield\",\"task\":\"a\",\"tid\":1,\"call\":\"Wait\"}}"),
              "%s", out_buf);
    cr_assert(strstr(out_buf,
                     "{\"ph\":\"i\",\"pid\":1,\"tid\":0,\"ts\":1600000.000,\"name\":\"signal\",\"s\":\"t\","
                     "\"args\":{\"ev\":\"signal\",\"signal\":\"s\",\"value\":-3,\"woken\":0}}"),
              "%s", out_buf);
    cr_assert(strstr(out_buf,
                     "\"name\":\"log\",\"s\":\"t\",\"args\":{\"ev\":\"log\",\"task\":\"a\",\"tid\":1,"
                     "\"text\":\"I'm \\\"a\\\"\"}}"),
              "%s", out_buf);
    const char *head = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[";
    cr_assert(strncmp(out_buf, head, strlen(head)) == 0);
}

Test(convert, chrome_slices_last_their_cost_and_nodes_are_processes)
{
    const char *in =
        "{\"t_ns\":0,\"ev\":\"spawn\",\"node\":\"b\",\"task\":\"t\",\"tid\":1}\n"
        "{\"t_ns\":10,\"ev\":\"run\",\"node\":\"b\",\"task\":\"t\",\"tid\":1}\n"
        "{\"t_ns\":10,\"ev\":\"yield\",\"node\":\"b\",\"task\":\"t\",\"tid\":1,\"call\":\"yield\","
        "\"cost_ns\":2500}\n"
        "{\"t_ns\":20,\"ev\":\"net\",\"what\":\"send\",\"conn\":1}\n";
    char err[256];
    cr_assert_eq(convert(in, COOP_TRACE_CHROME, err, sizeof(err)), 0, "%s", err);
    cr_assert(
        strstr(out_buf,
               "{\"ph\":\"M\",\"pid\":1,\"tid\":0,\"name\":\"process_name\",\"args\":{\"name\":\"b\"}}"),
        "%s", out_buf);
    cr_assert(
        strstr(out_buf, "\"ph\":\"X\",\"pid\":1,\"tid\":1,\"ts\":0.010,\"name\":\"yield\",\"dur\":2.500,"),
        "%s", out_buf);
    /* The network's events belong to no node: a process of their own, on the network thread. */
    cr_assert(
        strstr(out_buf,
               "{\"ph\":\"M\",\"pid\":2,\"tid\":0,\"name\":\"process_name\",\"args\":{\"name\":\"coop\"}}"),
        "%s", out_buf);
    cr_assert(strstr(out_buf, "{\"ph\":\"i\",\"pid\":2,\"tid\":0,\"ts\":0.020,\"name\":\"net\","), "%s",
              out_buf);
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
        { "{\"t_ns\":99999999999999999999,\"ev\":\"run\"}\n", "t.jsonl:1:29: error: integer out of range" },
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
    size_t col;
    const char *msg;
    const char *line =
        "{\"t_ns\":7,\"ev\":\"x\",\"a\":\"\\u00e9\\n\\t\\ud83d\\ude00\",\"b\":true,\"c\":false,\"d\":null,"
        "\"e\":-9223372036854775808,\"f\":18446744073709551615}";
    coop_trace_reader *r = coop_trace_reader_new();
    const coop_sim_event *ev;
    cr_assert_eq(coop_trace_parse(r, line, strlen(line), &ev, &col, &msg), 0);
    cr_assert_eq(ev->t_ns, 7);
    cr_assert_str_eq(ev->ev, "x");
    cr_assert_eq(ev->nfields, 6, "t_ns and ev are lifted out of the fields");
    cr_assert_str_eq(coop_sim_field_of(ev, "a")->v.str, "\xc3\xa9\n\t\xf0\x9f\x98\x80");
    cr_assert_eq(coop_sim_field_of(ev, "b")->type, COOP_SIM_BOOL);
    cr_assert(coop_sim_field_of(ev, "b")->v.b);
    cr_assert(!coop_sim_field_of(ev, "c")->v.b);
    cr_assert_eq(coop_sim_field_of(ev, "d")->type, COOP_SIM_STR);
    cr_assert_null(coop_sim_field_of(ev, "d")->v.str);
    cr_assert_eq(coop_sim_field_of(ev, "e")->type, COOP_SIM_INT);
    cr_assert_eq(coop_sim_field_of(ev, "e")->v.i, INT64_MIN);
    cr_assert_eq(coop_sim_field_of(ev, "f")->type, COOP_SIM_UINT);
    cr_assert_eq(coop_sim_field_of(ev, "f")->v.u, UINT64_MAX);
    cr_assert_null(coop_sim_field_of(ev, "t_ns"));
    coop_trace_reader_free(r);
}

Test(convert, strings_are_valid_utf8)
{
    const char *bad[] = {
        "{\"t_ns\":1,\"ev\":\"a\xff"
        "b\"}",                             /* a byte that starts nothing */
        "{\"t_ns\":1,\"ev\":\"\xc0\xaf\"}", /* an overlong '/' */
        "{\"t_ns\":1,\"ev\":\"\\ud800\"}",  /* a lone high surrogate */
        "{\"t_ns\":1,\"ev\":\"\\udc00\"}",  /* a lone low surrogate */
        "{\"t_ns\":-1,\"ev\":\"run\"}",     /* time is never negative */
    };
    coop_trace_reader *r = coop_trace_reader_new();
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const coop_sim_event *ev;
        size_t col = 0;
        const char *msg = NULL;
        cr_assert_eq(coop_trace_parse(r, bad[i], strlen(bad[i]), &ev, &col, &msg), -1, "line %zu", i);
        cr_assert_not_null(msg);
        cr_assert_gt(col, 0);
    }
    coop_trace_reader_free(r);
}

Test(convert, format_names)
{
    coop_trace_format f;
    cr_assert_eq(coop_trace_format_parse("chrome", &f), 0);
    cr_assert_eq(f, COOP_TRACE_CHROME);
    cr_assert_eq(coop_trace_format_parse("xml", &f), -1);
}
