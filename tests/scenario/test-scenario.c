/* The scenario language: lexer, parser errors with exact positions, times, and the runner's expectation checks. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "coop/scenario.h"

/* ---- helpers ---- */

static char err[COOP_SCN_MAX_ERR];

static coop_scenario *parse_ok(const char *text)
{
    coop_scenario *scn = NULL;
    int rc = coop_scenario_parse("t.scn", text, strlen(text), &scn, err, sizeof(err));
    cr_assert_eq(rc, 0, "unexpected error: %s", err);
    return scn;
}

static void parse_err(const char *text, const char *want)
{
    coop_scenario *scn = NULL;
    int rc = coop_scenario_parse("t.scn", text, strlen(text), &scn, err, sizeof(err));
    cr_assert_eq(rc, -COOP_EINVAL);
    cr_assert_null(scn);
    cr_assert_str_eq(err, want);
}

/* A tiny program for the runner: "talker" answers "pong" to any bytes on port 9000 and closes on EOF. */
struct talker {
    int lfd, cfd;
    const coop_program_env *env;
};

static int talker(coop_task *t)
{
    struct talker *k = coop_state(t);
    coop_sched *s = coop_task_sched(t);
    COOP_BEGIN(t);
    k->lfd = coop_listen(s, "127.0.0.1", 9000, 4);
    k->cfd = -1;
    COOP_CALL(t, coop_stream_reader(t, k->lfd));
    COOP_CALL(t, coop_stream_wait(t, 0));
    k->cfd = coop_accept(s, k->lfd);
    (void)coop_close(s, k->lfd);
    COOP_CALL(t, coop_stream_reader(t, k->cfd));
    for (;;) {
        COOP_CALL(t, coop_stream_wait(t, 0));
        {
            char buf[64];
            long n = coop_read(s, k->cfd, buf, sizeof(buf));
            if (n == -COOP_EAGAIN)
                continue;
            if (n <= 0)
                break;
            coop_program_log(k->env, t, "read %ld", n);
            (void)coop_write(s, k->cfd, "pong", 4);
        }
    }
    COOP_FINALLY(t);
    if (k->cfd >= 0)
        (void)coop_close(s, k->cfd);
    COOP_END(t);
}

static int ticker(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    for (;;)
        COOP_YIELD(t);
    COOP_END(t);
}

static int talker_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct talker init = { -1, -1, env };
    coop_task_spec spec = { .step = talker, .name = "talker", .state_size = sizeof(init), .init = &init };
    return coop_spawn(s, &spec) < 0 ? -COOP_ENOMEM : 0;
}

static int ticker_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)env;
    (void)argc;
    (void)argv;
    coop_task_spec spec = { .step = ticker, .name = "tick", .period_ns = COOP_MS(100) };
    return coop_spawn(s, &spec) < 0 ? -COOP_ENOMEM : 0;
}

static const coop_program registry[] = {
    { "talker", "answers pong", talker_start },
    { "ticker", "a 100 ms periodic task", ticker_start },
    { NULL, NULL, NULL },
};

static coop_scn_result run_text(const char *text)
{
    coop_scenario *scn = parse_ok(text);
    coop_scn_result res;
    cr_assert_eq(coop_scenario_run(scn, registry, NULL, true, &res), 0);
    coop_scenario_free(scn);
    return res;
}

/* ---- lexing and times ---- */

Test(lexer, durations_have_units_and_whole_nanoseconds)
{
    coop_scenario *scn = parse_ok("program talker\n1.5s expect end done\n250ms connect a 1\n+10us close a\n"
                                  "1s..2.000000001s expect closed a\n");
    cr_assert_eq(scn->lines[1].at_ns, 250000000u);
    cr_assert_eq(scn->lines[2].at_ns, 250010000u);
    cr_assert_eq(scn->lines[3].lo_ns, 1000000000u);
    cr_assert_eq(scn->lines[3].hi_ns, 2000000001u);
    coop_scenario_free(scn);
    parse_err(
        "program talker\n1.0000000001s jump 1s\n",
        "t.scn:2:1: error: bad time '1.0000000001s'\n  hint: a time is absolute (1.5s, 250ms) or relative to "
        "the previous line (+10ms)");
    parse_err("program talker\n5 jump 1s\n", "t.scn:2:1: error: bad time '5'\n  hint: a time is absolute "
                                             "(1.5s, 250ms) or relative to the previous "
                                             "line (+10ms)");
}

Test(lexer, strings_take_escapes_and_hex)
{
    coop_scenario *scn =
        parse_ok("program talker\nconnect a 1\nsend a \"a\\n\\t\\\"\\\\\\x41\\0\" x\"42 43\" \"z\" * 3\n");
    const coop_scn_line *ln = &scn->lines[1];
    cr_assert_eq(ln->len, 12);
    cr_assert_eq(memcmp(ln->bytes, "a\n\t\"\\A\0BCzzz", 12), 0);
    coop_scenario_free(scn);
}

Test(lexer, bad_strings_are_reported_where_they_are)
{
    parse_err("program talker\nconnect a 1\nsend a \"abc\n",
              "t.scn:3:8: error: unterminated string\n  hint: close it with '\"' on the same line");
    parse_err("program talker\nconnect a 1\nsend a \"a\\q\"\n",
              "t.scn:3:10: error: unknown escape '\\q'\n  hint: the escapes are \\n \\r \\t \\0 \\\\ \\\" "
              "and \\xHH");
    parse_err(
        "program talker\nconnect a 1\nsend a x\"4g\"\n",
        "t.scn:3:11: error: bad hex digit\n  hint: x\"...\" holds pairs of hex digits, e.g. x\"0d 0a\"");
    parse_err("program talker\nconnect a 1\nsend a \"\\x4\"\n",
              "t.scn:3:9: error: bad \\x escape\n  hint: \\x takes exactly two hex digits, e.g. \\x0a");
}

Test(lexer, comments_are_dropped_but_not_inside_strings)
{
    coop_scenario *scn =
        parse_ok("# a comment\nprogram talker # trailing\nconnect a 1\nsend a \"#not\"  # yes\n");
    cr_assert_eq(scn->lines[1].len, 4);
    cr_assert_eq(memcmp(scn->lines[1].bytes, "#not", 4), 0);
    coop_scenario_free(scn);
}

/* ---- parsing ---- */

Test(parser, settings_are_read_once_each)
{
    coop_scenario *scn =
        parse_ok("program talker a \"b c\"\nseed 42\ntime-limit 10s\nstep-limit 5\nprofile seed\n"
                 "start 1s\nfaults split,reset\nfault-rate 20\nties permute\ntick32 on\n"
                 "stop-on-error on\nrun-until 3s\nlink latency 1ms rate 1000\nbuffers 10 20\n");
    cr_assert_eq(scn->nnodes, 1);
    cr_assert_str_eq(scn->nodes[0].name, "main");
    cr_assert_str_eq(scn->nodes[0].program, "talker");
    cr_assert_eq(scn->nodes[0].argc, 2);
    cr_assert_str_eq(scn->nodes[0].argv[1], "b c");
    cr_assert_eq(scn->cfg.seed, 42);
    cr_assert_eq(scn->cfg.max_time_ns, COOP_S(10));
    cr_assert_eq(scn->cfg.profile, COOP_SIM_SEED);
    cr_assert_eq(scn->cfg.faults, COOP_SIM_FAULT_SPLIT | COOP_SIM_FAULT_RESET);
    cr_assert(scn->cfg.permute_ties && scn->cfg.tick32 && scn->cfg.stop_on_error);
    cr_assert_eq(scn->run_until_ns, COOP_S(3));
    cr_assert_eq(scn->link.latency_ns, COOP_MS(1));
    cr_assert_eq(scn->recv_buf, 20);
    coop_scenario_free(scn);
    parse_err("program talker\nseed 1\nseed 2\n",
              "t.scn:3:1: error: `seed` is set twice\n  hint: the first one is on line 2");
}

Test(parser, a_program_line_is_required)
{
    parse_err("seed 1\n",
              "t.scn:1:1: error: no program line\n  hint: add a line such as `program echo --port 7000`");
    parse_err("", "t.scn:1:1: error: no program line\n  hint: add a line such as `program echo --port 7000`");
}

Test(parser, unknown_words_get_hints)
{
    parse_err("program talker\n1s frobnicate\n",
              "t.scn:2:4: error: unknown command 'frobnicate'\n  hint: a line is a setting (program, seed, "
              "...), an "
              "injection (connect, send, close, ...) or an expectation (expect ...)");
    parse_err(
        "program talker\nexpect nothing\n",
        "t.scn:2:8: error: unknown expectation 'nothing'\n  hint: expect recv, silent, closed, shut, reset, "
        "state, connect, trace, anywhere, never, sometimes, exit, end or leak");
    parse_err(
        "program talker\nfaults spilt\n",
        "t.scn:2:8: error: bad fault list 'spilt'\n  hint: faults are none, all, seed, 0xMASK, or a list of "
        "jitter, split, short-io, eagain, reset, refuse, clock-jump, alloc, points");
}

Test(parser, peers_are_declared_by_connect)
{
    parse_err(
        "program talker\nsend c2 \"x\"\n",
        "t.scn:2:6: error: unknown peer 'c2'\n  hint: a peer is declared by its connect or listen line, "
        "e.g. `connect c2 7000` or `listen c2 1883`");
    parse_err("program talker\nconnect a 1\nconnect a 2\n",
              "t.scn:3:9: error: peer 'a' is already declared\n  hint: each peer is declared once; name the "
              "new one "
              "differently");
    parse_err("program talker\nconnect a 70000\n",
              "t.scn:2:11: error: a port must be an integer from 1 to 65535");
}

Test(parser, times_go_forward_except_in_windows)
{
    parse_err("program talker\n2s jump 1s\n1s jump 1s\n",
              "t.scn:3:1: error: time goes backwards: 1s is before the previous line's 2s\n  hint: lines are "
              "in time "
              "order; use a window (A..B) to look back");
    coop_scenario *scn = parse_ok("program talker\n2s jump 1s\n0..3s expect never ev=fail\n+1s jump 1s\n");
    cr_assert_eq(scn->lines[2].at_ns, COOP_S(3));
    coop_scenario_free(scn);
    parse_err(
        "program talker\n1s..2s jump 1s\n",
        "t.scn:2:1: error: an injection needs an exact time\n  hint: an injection happens at one instant; "
        "windows are for expectations");
    parse_err("program talker\n2s..1s expect never ev=x\n",
              "t.scn:2:1: error: the window ends before it starts");
    parse_err(
        "program talker\n1s seed 3\n",
        "t.scn:2:1: error: a setting cannot have a time\n  hint: settings apply to the whole run; remove the "
        "time");
}

Test(parser, tolerance_before_and_any)
{
    coop_scenario *scn =
        parse_ok("program talker\n1s~5ms expect never ev=x\n<2s expect never ev=y\n* expect anywhere "
                 "ev=z\n");
    cr_assert_eq(scn->lines[0].when, COOP_SCN_WINDOW);
    cr_assert_eq(scn->lines[0].lo_ns, COOP_MS(995));
    cr_assert_eq(scn->lines[0].hi_ns, COOP_MS(1005));
    cr_assert_eq(scn->lines[1].when, COOP_SCN_BEFORE);
    cr_assert_eq(scn->lines[1].hi_ns, COOP_S(2));
    cr_assert_eq(scn->lines[2].when, COOP_SCN_ANY);
    coop_scenario_free(scn);
}

Test(parser, patterns_are_key_value_pairs)
{
    coop_scenario *scn = parse_ok("program talker\nexpect trace ev=log text=\"a b\" tid=*\n");
    cr_assert_eq(scn->lines[0].npat, 3);
    cr_assert_str_eq(scn->lines[0].pat[1].key, "text");
    cr_assert_str_eq(scn->lines[0].pat[1].val, "a b");
    coop_scenario_free(scn);
    parse_err("program talker\nexpect trace ev\n", "t.scn:2:14: error: expected key=value, found 'ev'\n  "
                                                   "hint: a pattern is key=value pairs, e.g. ev=wake "
                                                   "reason=timeout");
}

Test(parser, missing_arguments_point_past_the_line)
{
    parse_err("program talker\nconnect a\n", "t.scn:2:10: error: missing a port");
    parse_err("program talker\nsignal go\n", "t.scn:2:10: error: missing a signal value");
    parse_err("program talker\nconnect a 1\nsend a \"x\" extra\n",
              "t.scn:3:12: error: unexpected 'extra'\n  hint: a comment starts with '#'");
}

Test(parser, limits_are_errors)
{
    char big[COOP_SCN_MAX_LINE + 64];
    memset(big, 'a', sizeof(big));
    memcpy(big, "program ", 8);
    big[sizeof(big) - 1] = '\0';
    parse_err(big, "t.scn:1:4097: error: line longer than 4096 bytes");
    parse_err("program talker\nconnect a 1\nsend a \"xx\" * 9000000\n",
              "t.scn:3:8: error: more than 16777216 bytes");
    char many[256];
    size_t n = (size_t)snprintf(many, sizeof(many), "program talker\nconnect a 1\n");
    for (int i = 0; i < 5; i++)
        n += (size_t)snprintf(many + n, sizeof(many) - n, "send a \"x\" * 16000000\n");
    parse_err(many, "t.scn:7:8: error: the file names more than 67108864 bytes in all");
    const char nul[] = "program talker\nseed \0\n";
    coop_scenario *scn = NULL;
    cr_assert_eq(coop_scenario_parse("t.scn", nul, sizeof(nul) - 1, &scn, err, sizeof(err)), -COOP_EINVAL);
    cr_assert_str_eq(err, "t.scn:2:6: error: NUL byte in the file");
}

/* ---- running ---- */

Test(runner, recv_is_exact_in_time_and_bytes)
{
    coop_scn_result res =
        run_text("program talker\n0ms connect a 9000\n10ms send a \"ping\"\n"
                 "expect recv a \"pong\"\n+1ms close a\nexpect closed a\nexpect end done\n");
    cr_assert(res.passed, "%s", res.report);
    cr_assert_eq(res.checked, 3);
    coop_scn_result_fini(&res);

    res = run_text("program talker\n0ms connect a 9000\n10ms send a \"ping\"\n11ms expect recv a \"pong\"\n");
    cr_assert_not(res.passed);
    cr_assert_eq(res.failed_line, 4);
    cr_assert(strstr(res.report, "only 0 of 4 bytes arrived by 11ms") == NULL);
    cr_assert(strstr(res.report, "but the last of them was written at 10ms"), "%s", res.report);
    cr_assert_str_eq(res.signature, "line 4: expect recv: early");
    cr_assert_str_eq(res.failed_kind, "recv");
    cr_assert_eq(res.failed_how, COOP_SCN_HOW_EARLY);
    coop_scn_result_fini(&res);

    res = run_text("program talker\n0ms connect a 9000\n10ms send a \"ping\"\nexpect recv a \"pang\"\n");
    cr_assert(strstr(res.report, "byte 1 differs: got \"pong\""), "%s", res.report);
    coop_scn_result_fini(&res);
}

Test(runner, windows_and_tolerances_accept_what_they_say)
{
    coop_scn_result res = run_text("program talker\n0ms connect a 9000\n10ms send a \"ping\"\n"
                                   "9ms..10ms expect recv a \"pong\"\n");
    cr_assert(res.passed, "%s", res.report);
    coop_scn_result_fini(&res);
    res = run_text(
        "program talker\n0ms connect a 9000\n10ms send a \"ping\"\n12ms~2ms expect recv a \"pong\"\n");
    cr_assert(res.passed, "%s", res.report);
    coop_scn_result_fini(&res);
    res = run_text(
        "program talker\n0ms connect a 9000\n10ms send a \"ping\"\n12ms~1ms expect recv a \"pong\"\n");
    cr_assert_not(res.passed);
    coop_scn_result_fini(&res);
}

Test(runner, trace_expectations_are_ordered_anywhere_is_not)
{
    coop_scn_result res = run_text("program ticker\nrun-until 300ms\n200ms expect trace ev=run task=tick\n"
                                   "100ms..250ms expect trace ev=run task=tick\n");
    cr_assert_not(res.passed, "the runs at 100 and 200 ms come before the previous match");
    coop_scn_result_fini(&res);
    res = run_text("program ticker\nrun-until 300ms\n200ms expect trace ev=run task=tick\n"
                   "100ms..200ms expect anywhere ev=run task=tick t_ns=100000000\n");
    cr_assert(res.passed, "%s", res.report);
    coop_scn_result_fini(&res);
    res = run_text(
        "program ticker\nrun-until 300ms\n200ms expect trace ev=run\n100ms..200ms expect trace ev=run\n");
    cr_assert_not(res.passed);
    cr_assert(strstr(res.report, "but it came before"), "%s", res.report);
    coop_scn_result_fini(&res);
}

Test(runner, never_and_before)
{
    coop_scn_result res = run_text("program ticker\nrun-until 300ms\n<100ms expect never ev=run\n");
    cr_assert(res.passed, "%s", res.report);
    coop_scn_result_fini(&res);
    res = run_text("program ticker\nrun-until 300ms\n<101ms expect never ev=run\n");
    cr_assert_not(res.passed);
    cr_assert(strstr(res.report, "expected no such event before 101ms"), "%s", res.report);
    coop_scn_result_fini(&res);
}

Test(runner, end_states)
{
    coop_scn_result res = run_text("program ticker\nrun-until 250ms\nexpect end running\nexpect end until\n");
    cr_assert(res.passed, "%s", res.report);
    coop_scn_result_fini(&res);
    res = run_text("program talker\nexpect end hang\nexpect end running\n");
    cr_assert(res.passed, "%s", res.report);
    coop_scn_result_fini(&res);
    res = run_text("program talker\nexpect end done\n");
    cr_assert_not(res.passed);
    cr_assert(strstr(res.report, "expected the run to end done, but it ended hang with 1 task(s) alive"),
              "%s", res.report);
    coop_scn_result_fini(&res);
}

Test(runner, signals_kills_and_exits)
{
    coop_scn_result res =
        run_text("program ticker\n150ms kill tick\nexpect exit tick killed\nexpect end done\n"
                 "200ms kill tick\nexpect trace ev=script what=kill-missed detail=tick\n");
    cr_assert(res.passed, "%s", res.report);
    coop_scn_result_fini(&res);
}

Test(runner, the_same_scenario_gives_the_same_trace)
{
    const char *text = "program talker\nfaults split,short-io\nfault-rate 50\nseed 9\n0ms connect a 9000\n"
                       "10ms send a \"0123456789\" chunk 2\n10ms..20ms expect anywhere ev=log\n";
    coop_scn_result a = run_text(text), b = run_text(text);
    cr_assert_eq(a.trace_hash, b.trace_hash);
    cr_assert_eq(a.jsonl_len, b.jsonl_len);
    cr_assert_eq(memcmp(a.jsonl, b.jsonl, a.jsonl_len), 0);
    coop_scn_result_fini(&a);
    coop_scn_result_fini(&b);
}

Test(runner, overrides_replace_the_settings)
{
    coop_scenario *scn = parse_ok("program ticker\nseed 1\nrun-until 100ms\n");
    coop_scn_overrides ov = { .seed_set = true,
                              .seed = 77,
                              .faults_set = true,
                              .faults = COOP_SIM_FAULT_SPLIT,
                              .ties_set = true,
                              .permute_ties = true };
    coop_scn_result res;
    cr_assert_eq(coop_scenario_run(scn, registry, &ov, false, &res), 0);
    cr_assert_eq(res.seed, 77);
    cr_assert_eq(res.faults, COOP_SIM_FAULT_SPLIT);
    cr_assert(res.permute_ties);
    coop_scn_result_fini(&res);
    coop_scenario_free(scn);
}

Test(runner, an_unknown_program_is_an_error_with_the_list)
{
    coop_scenario *scn = parse_ok("\nprogram nothere\n");
    coop_scn_result res;
    cr_assert_eq(coop_scenario_run(scn, registry, NULL, false, &res), -COOP_ENOENT);
    cr_assert_str_eq(
        res.report,
        "t.scn:2:1: error: no program named 'nothere'\n  hint: the programs are: talker ticker\n");
    coop_scn_result_fini(&res);
    coop_scenario_free(scn);
}

Test(runner, a_line_checked_at_the_end_keeps_its_place_in_the_order)
{
    /* The `*` trace line comes after the match at 200 ms, so the run at 100 ms cannot satisfy it... */
    coop_scn_result res = run_text("program ticker\nrun-until 300ms\n200ms expect trace ev=run task=tick\n"
                                   "* expect trace ev=run task=tick t_ns=100000000\n");
    cr_assert_not(res.passed);
    coop_scn_result_fini(&res);
    /* ...while the run at 300 ms can. */
    res = run_text("program ticker\nrun-until 300ms\n200ms expect trace ev=run task=tick\n"
                   "* expect trace ev=run task=tick t_ns=300000000\n");
    cr_assert(res.passed, "%s", res.report);
    coop_scn_result_fini(&res);
}

/* ---- what a run records for a sweep's causes ---- */

Test(runner, faults_fired_are_those_that_fired_not_those_enabled)
{
    coop_scn_result res =
        run_text("program ticker\nfaults clock-jump,split\nfault-rate 100\nrun-until 2s\nexpect end until\n");
    cr_assert_eq(res.faults_fired, COOP_SIM_FAULT_CLOCK_JUMP, "fired 0x%x", res.faults_fired);
    cr_assert_str_eq(res.ties_differed, "");
    coop_scn_result_fini(&res);
    res = run_text("program ticker\nrun-until 1s\nexpect end until\n");
    cr_assert_eq(res.faults_fired, 0);
    coop_scn_result_fini(&res);
}

Test(parser, sometimes_takes_a_pattern)
{
    coop_scenario *scn = parse_ok("program talker\n* expect sometimes ev=log text=\"read 4\"\n");
    cr_assert_eq(scn->lines[0].op, COOP_SCN_EXPECT_SOMETIMES);
    cr_assert_eq(scn->lines[0].npat, 2);
    coop_scenario_free(scn);
    coop_scn_result res = run_text("program talker\n0ms connect a 9000\n10ms send a \"ping\"\n"
                                   "* expect sometimes ev=log text=\"read 4\"\n"
                                   "* expect sometimes ev=log text=\"read 5\"\n");
    cr_assert(res.passed, "%s", res.report);
    cr_assert_eq(res.nsometimes_reached, 1);
    cr_assert_eq(res.sometimes_reached[0], 4);
    coop_scn_result_fini(&res);
}
