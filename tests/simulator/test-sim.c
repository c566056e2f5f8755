/* The simulator's driver: virtual time, profiles, limits, scripted events, faults, ties and the trace. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "coop/sim.h"

/* Collects the trace lines of interest (those whose "ev" is in `keep`) into one string. */
static char lines[1 << 16];
static size_t nlines;
static const char *keep = "\"ev\":\"run\"";

static void collect(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    if (!strstr(line, keep) || nlines + len + 2 >= sizeof(lines))
        return;
    memcpy(lines + nlines, line, len);
    nlines += len;
    lines[nlines++] = '\n';
    lines[nlines] = '\0';
}

/* A task that runs once. */
static int beat_like(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    COOP_END(t);
}

static coop_sim *make(coop_sim_config cfg, const char *what)
{
    nlines = 0;
    lines[0] = '\0';
    keep = what;
    cfg.on_line = collect;
    coop_sim *sim = coop_sim_new(&cfg);
    cr_assert_not_null(sim);
    return sim;
}

static int spinner(coop_task *t)
{
    COOP_BEGIN(t);
    for (;;)
        COOP_YIELD(t);
    COOP_END(t);
}

static int once_after(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    COOP_END(t);
}

static int blocked(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait_signal(t, "never", 0));
    COOP_END(t);
}

static int64_t spawn(coop_sim *sim, const char *name, coop_step_fn step, int64_t period_ms, int64_t t2r_ms)
{
    coop_task_spec spec = {
        .step = step, .name = name, .period_ns = COOP_MS(period_ms), .time2run_ns = COOP_MS(t2r_ms)
    };
    return coop_spawn(coop_sim_sched(sim), &spec);
}

Test(sim, auto_advance_jumps_to_the_next_due_time_from_the_start_offset)
{
    coop_sim *sim = make((coop_sim_config){ .start_ns = COOP_S(100) }, "\"ev\":\"run\"");
    spawn(sim, "late", once_after, 0, 5000);
    cr_assert_eq(coop_sim_run(sim), COOP_SIM_DONE);
    cr_assert_eq(coop_sim_now(sim), COOP_S(105));
    cr_assert_str_eq(lines, "{\"t_ns\":105000000000,\"ev\":\"run\",\"task\":\"late\",\"tid\":1}\n");
    coop_sim_free(sim);
}

Test(sim, manual_time_step_advance_and_run_until)
{
    coop_sim *sim = make((coop_sim_config){ 0 }, "\"ev\":\"run\"");
    spawn(sim, "p", spinner, 10, 0);
    cr_assert_eq(coop_sim_advance(sim, COOP_MS(25)), COOP_SIM_UNTIL);
    cr_assert_eq(coop_sim_now(sim), COOP_MS(25));
    cr_assert_eq(coop_sim_steps(sim), 2);
    cr_assert_eq(coop_sim_step(sim), COOP_SIM_RUNNING);
    cr_assert_eq(coop_sim_now(sim), COOP_MS(30));
    cr_assert_eq(coop_sim_run_until(sim, COOP_MS(100)), COOP_SIM_UNTIL);
    cr_assert_eq(coop_sim_steps(sim), 10);
    coop_sim_free(sim);
}

Test(sim, a_hang_is_reported_with_what_each_task_waits_on)
{
    coop_sim *sim = make((coop_sim_config){ .trace_tail = 4 }, "");
    spawn(sim, "stuck", blocked, 0, 0);
    spawn(sim, "done", once_after, 0, 0);
    cr_assert_eq(coop_sim_run(sim), COOP_SIM_HANG);
    char report[4096];
    coop_sim_report(sim, report, sizeof(report));
    cr_assert(strstr(report, "stuck (tid 1): waits on signal 'never'") != NULL, "%s", report);
    cr_assert(strstr(report, "last 4 trace events:") != NULL, "%s", report);
    cr_assert_eq(coop_sim_tail_count(sim), 4);
    coop_sim_free(sim);
}

Test(sim, step_cost_moves_time_per_step)
{
    coop_sim *sim = make((coop_sim_config){ .step_cost_ns = COOP_US(3) }, "\"ev\":\"run\"");
    spawn(sim, "a", spinner, 0, 0);
    coop_sim_status st = coop_sim_run_until(sim, COOP_US(30));
    cr_assert_eq(st, COOP_SIM_UNTIL, "%s", coop_sim_status_name(st));
    cr_assert_eq(coop_sim_steps(sim), 11, "steps at 0, 3, ..., 30 us, not %llu",
                 (unsigned long long)coop_sim_steps(sim));
    coop_sim_free(sim);
}

Test(sim, seed_profile_one_step_per_tick_first_at_tick_one)
{
    coop_sim *sim = make((coop_sim_config){ .profile = COOP_SIM_SEED }, "\"ev\":\"run\"");
    spawn(sim, "a", spinner, 0, 0);
    spawn(sim, "b", spinner, 0, 0);
    cr_assert_eq(coop_sim_run_until(sim, COOP_MS(3)), COOP_SIM_UNTIL);
    cr_assert_str_eq(lines, "{\"t_ns\":1000000,\"ev\":\"run\",\"task\":\"a\",\"tid\":1}\n"
                            "{\"t_ns\":2000000,\"ev\":\"run\",\"task\":\"b\",\"tid\":2}\n"
                            "{\"t_ns\":3000000,\"ev\":\"run\",\"task\":\"a\",\"tid\":1}\n");
    coop_sim_free(sim);
}

Test(sim, limits_and_busy_loops)
{
    coop_sim *sim = make((coop_sim_config){ .busy_steps = 1000 }, "");
    spawn(sim, "spin", spinner, 0, 0);
    cr_assert_eq(coop_sim_run(sim), COOP_SIM_BUSY_LOOP);
    cr_assert_eq(coop_sim_steps(sim), 1000);
    coop_sim_free(sim);

    sim = make((coop_sim_config){ .max_steps = 50 }, "");
    spawn(sim, "p", spinner, 1, 0);
    cr_assert_eq(coop_sim_run(sim), COOP_SIM_STEP_LIMIT);
    coop_sim_free(sim);

    sim = make((coop_sim_config){ .max_time_ns = COOP_S(1) }, "");
    spawn(sim, "p", spinner, 300, 0);
    cr_assert_eq(coop_sim_run(sim), COOP_SIM_TIME_LIMIT);
    cr_assert_eq(coop_sim_now(sim), COOP_MS(1200));
    coop_sim_free(sim);
}

static int wait_hello(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_CALL(t, coop_wait_signal(t, "hello", 0));
    COOP_EXIT(t, (int)coop_result_of(t)->value);
    COOP_END(t);
}

Test(sim, scripted_signal_kill_and_clock_jump)
{
    coop_sim *sim = make((coop_sim_config){ 0 }, "\"ev\":\"exit\"");
    spawn(sim, "w", wait_hello, 0, 0);
    spawn(sim, "victim", blocked, 0, 0);
    spawn(sim, "tick", spinner, 1000, 0);
    cr_assert_eq(coop_sim_signal_at(sim, COOP_MS(1500), "hello", 7), 0);
    cr_assert_eq(coop_sim_kill_at(sim, COOP_MS(1600), "victim"), 0);
    cr_assert_eq(coop_sim_jump_at(sim, COOP_MS(1700), COOP_S(10)), 0);
    cr_assert_eq(coop_sim_run_until(sim, COOP_MS(11800)), COOP_SIM_UNTIL);
    cr_assert_str_eq(lines, "{\"t_ns\":1500000000,\"ev\":\"exit\",\"task\":\"w\",\"tid\":1,\"status\":7}\n");
    cr_assert_null(coop_task_find(coop_sim_sched(sim), 2));
    /* After the jump to 11.7 s the periodic task catches up on its missed periods. */
    cr_assert_gt(coop_sim_steps(sim), 11);
    coop_sim_free(sim);
}

static int buggy(coop_task *t)
{
    COOP_BEGIN(t);
    for (;;) {
        if (coop_fault_point(t, "drop"))
            COOP_EXIT(t, 1);
        COOP_YIELD(t);
    }
    COOP_END(t);
}

static uint64_t run_points(uint64_t seed, uint64_t *when)
{
    coop_sim *sim = make((coop_sim_config){ .seed = seed, .faults = COOP_SIM_FAULT_POINTS, .fault_pct = 10 },
                         "\"ev\":\"fault\"");
    spawn(sim, "b", buggy, 1, 0);
    coop_sim_run_until(sim, COOP_S(1));
    *when = coop_sim_now(sim);
    uint64_t h = coop_sim_trace_hash(sim);
    coop_sim_free(sim);
    return h;
}

Test(sim, fault_points_are_seeded_and_traced)
{
    uint64_t w1, w2, w3;
    uint64_t a = run_points(1, &w1), b = run_points(1, &w2), c = run_points(2, &w3);
    cr_assert_eq(a, b, "the same seed gives the same trace");
    cr_assert_neq(a, c, "another seed another one");
    cr_assert(strstr(lines, "\"kind\":\"point\",\"site\":\"drop\",\"tid\":1,\"fired\":") != NULL);
}

Test(sim, faults_off_means_fault_points_say_no)
{
    coop_sim *sim = make((coop_sim_config){ .seed = 3 }, "\"fired\":true");
    spawn(sim, "b", buggy, 1, 0);
    coop_sim_run_until(sim, COOP_S(1));
    cr_assert_str_eq(lines, "");
    cr_assert_eq(coop_sim_steps(sim), 1000, "one run per ms from 1 ms to 1 s");
    coop_sim_free(sim);
}

static uint64_t tie_order(uint64_t seed, bool permute, char *out, size_t n)
{
    coop_sim *sim = make((coop_sim_config){ .seed = seed, .permute_ties = permute }, "\"ev\":\"run\"");
    for (int i = 0; i < 6; i++) {
        char name[8];
        snprintf(name, sizeof(name), "t%d", i);
        spawn(sim, name, once_after, 0, 10);
    }
    coop_sim_run(sim);
    snprintf(out, n, "%s", lines);
    uint64_t h = coop_sim_trace_hash(sim);
    coop_sim_free(sim);
    return h;
}

Test(sim, tie_permutation_is_seeded_and_fifo_is_the_default)
{
    static char fifo[sizeof(lines)], p1[sizeof(lines)], p1b[sizeof(lines)], p2[sizeof(lines)];
    tie_order(1, false, fifo, sizeof(fifo));
    cr_assert(strstr(fifo, "t0") < strstr(fifo, "t5"));
    uint64_t h1 = tie_order(7, true, p1, sizeof(p1));
    uint64_t h1b = tie_order(7, true, p1b, sizeof(p1b));
    cr_assert_eq(h1, h1b);
    cr_assert_str_eq(p1, p1b);
    bool differs = strcmp(p1, fifo) != 0;
    for (uint64_t seed = 8; !differs && seed < 20; seed++) {
        tie_order(seed, true, p2, sizeof(p2));
        differs = strcmp(p2, fifo) != 0;
    }
    cr_assert(differs, "some seed permutes the six tasks due at 10 ms");
}

Test(sim, the_tick32_adapter_runs_through_the_wrap)
{
    uint64_t start = ((UINT64_C(1) << 32) - 500) * 1000000;
    coop_sim *sim = make((coop_sim_config){ .tick32 = true, .start_ns = start }, "\"ev\":\"run\"");
    spawn(sim, "p", spinner, 100, 0);
    cr_assert_eq(coop_sim_run_until(sim, start + COOP_S(2)), COOP_SIM_UNTIL);
    cr_assert_eq(coop_sim_steps(sim), 20, "one run per 100 ms across the wrap");
    coop_sim_free(sim);
}

Test(sim, statuses_have_names)
{
    cr_assert_str_eq(coop_sim_status_name(COOP_SIM_HANG), "hang");
    cr_assert_str_eq(coop_sim_status_name(COOP_SIM_BUSY_LOOP), "busy-loop");
    cr_assert_str_eq(coop_sim_status_name((coop_sim_status)99), "?");
}

Test(sim, the_seed_chooses_the_fault_mix)
{
    uint32_t seen_or = 0, seen_and = COOP_SIM_FAULTS_ALL;
    for (uint64_t seed = 0; seed < 16; seed++) {
        coop_sim *sim = coop_sim_new(&(coop_sim_config){ .seed = seed, .faults = COOP_SIM_FAULTS_FROM_SEED });
        cr_assert_not_null(sim);
        uint32_t mix = coop_sim_faults(sim);
        cr_assert_eq(mix & ~(uint32_t)COOP_SIM_FAULTS_ALL, 0);
        cr_assert_eq(mix & COOP_SIM_FAULT_ALLOC, 0, "allocation failures are never chosen by the seed");
        seen_or |= mix;
        seen_and &= mix;
        coop_sim *again =
            coop_sim_new(&(coop_sim_config){ .seed = seed, .faults = COOP_SIM_FAULTS_FROM_SEED });
        cr_assert_eq(coop_sim_faults(again), mix, "the same seed, the same mix");
        coop_sim_free(again);
        coop_sim_free(sim);
    }
    cr_assert_neq(seen_or, seen_and, "different seeds choose different mixes");
}

Test(sim, allocation_faults_fail_spawns_and_are_traced)
{
    coop_sim *sim = make((coop_sim_config){ .seed = 5, .faults = COOP_SIM_FAULT_ALLOC, .fault_pct = 50 },
                         "\"kind\":\"alloc\"");
    int failed = 0, ok = 0;
    for (int i = 0; i < 40; i++) {
        int64_t r = spawn(sim, NULL, once_after, 0, 0);
        cr_assert(r > 0 || r == -COOP_ENOMEM);
        r > 0 ? ok++ : failed++;
    }
    cr_assert_gt(failed, 0);
    cr_assert_gt(ok, 0);
    cr_assert(strstr(lines, "\"ev\":\"fault\",\"kind\":\"alloc\",\"fired\":true") != NULL);
    cr_assert_eq(coop_sim_run(sim), COOP_SIM_DONE, "the tasks that did start run to their end");
    coop_sim_free(sim);
}

Test(sim, clock_jump_faults_move_time_forward_and_are_traced)
{
    coop_sim *sim =
        make((coop_sim_config){ .seed = 5, .faults = COOP_SIM_FAULT_CLOCK_JUMP, .fault_pct = 100 },
             "\"kind\":\"clock-jump\"");
    spawn(sim, "p", spinner, 1, 0);
    coop_sim_run_until(sim, COOP_S(10));
    cr_assert(strstr(lines, "\"kind\":\"clock-jump\"") != NULL);
    cr_assert_lt(coop_sim_steps(sim), 10000, "the jumps carry the clock to 10 s before every period has run");
    coop_sim_free(sim);
}

/*
 * Steps of one instant run as a batch, but an event that a step adds for
 * that instant still runs before the next step, as it would with one
 * step at a time.
 */
static int event_runs;
static coop_sim *batch_sim;

static void count_event(coop_sim *sim, void *arg)
{
    (void)sim;
    (void)arg;
    event_runs++;
}

static int adds_an_event_now(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    cr_assert_eq(coop_sim_at(batch_sim, coop_sim_now(batch_sim), count_event, NULL), 0);
    COOP_END(t);
}

static int sees_the_event(coop_task *t)
{
    COOP_BEGIN(t);
    COOP_YIELD(t);
    cr_assert_eq(event_runs, 1, "the event added by the step before ran first");
    COOP_END(t);
}

Test(sim, an_event_added_for_now_runs_before_the_next_step)
{
    event_runs = 0;
    batch_sim = make((coop_sim_config){ 0 }, "\"ev\":\"run\"");
    spawn(batch_sim, "adder", adds_an_event_now, 0, 5);
    spawn(batch_sim, "reader", sees_the_event, 0, 5);
    cr_assert_eq(coop_sim_run(batch_sim), COOP_SIM_DONE);
    cr_assert_eq(event_runs, 1);
    coop_sim_free(batch_sim);
}

/* The last line handed to on_line, whole. */
static char last_line[2048];
static size_t last_len;

static void keep_last(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    cr_assert_lt(len, sizeof(last_line));
    memcpy(last_line, line, len);
    last_line[len] = '\0';
    last_len = len;
}

/* The last event handed to on_event: its kind and its field count. */
static char last_ev[32];
static size_t last_nfields;
static uint64_t last_seq;

static void keep_event(void *ctx, const coop_sim_event *e)
{
    (void)ctx;
    snprintf(last_ev, sizeof(last_ev), "%s", e->ev);
    last_nfields = e->nfields;
    last_seq = e->seq;
    cr_assert_eq(e->len, last_len, "the event carries its own JSON line");
    cr_assert_eq(memcmp(e->line, last_line, e->len), 0);
}

Test(sim, events_render_as_valid_json_lines)
{
    coop_sim *sim = coop_sim_new(&(coop_sim_config){ .on_line = keep_last, .on_event = keep_event });
    cr_assert_not_null(sim);
    coop_sim_field f[5] = {
        { .key = "i", .type = COOP_SIM_INT, .v.i = INT64_MIN },
        { .key = "u", .type = COOP_SIM_UINT, .v.u = UINT64_MAX },
        { .key = "s",
          .type = COOP_SIM_STR,
          .v.str = "a\xff"
                   "b\"\n\xc3\xa9" },
        { .key = "n", .type = COOP_SIM_STR, .v.str = NULL },
        { .key = "b", .type = COOP_SIM_BOOL, .v.b = false },
    };
    coop_sim_emit(sim, "x", f, 5);
    cr_assert_str_eq(last_line,
                     "{\"t_ns\":0,\"ev\":\"x\",\"i\":-9223372036854775808,\"u\":18446744073709551615,"
                     "\"s\":\"a\\ufffdb\\\"\\u000a\xc3\xa9\",\"n\":null,\"b\":false}");
    cr_assert_str_eq(last_ev, "x");
    cr_assert_eq(last_nfields, 5);
    cr_assert_eq(last_seq, 0);

    /* A line too long is cut after its last whole field and marked, so it stays one valid object. */
    static char big[3000];
    memset(big, 'y', sizeof(big) - 1);
    coop_sim_field g[2] = {
        { .key = "small", .type = COOP_SIM_UINT, .v.u = 7 },
        { .key = "big", .type = COOP_SIM_STR, .v.str = big },
    };
    coop_sim_emit(sim, "long", g, 2);
    cr_assert_str_eq(last_line, "{\"t_ns\":0,\"ev\":\"long\",\"small\":7,\"trunc\":true}");
    cr_assert_eq(last_seq, 1);
    coop_sim_free(sim);
}

/* A program whose only log line, and task name, are not UTF-8: "a", a stray 0xff, "b", a cut sequence. */
static int raw_bytes_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    env->log(env->ctx, NULL,
             "a\xff"
             "b\xe2\x82");
    return coop_spawn(s, &(coop_task_spec){ .step = beat_like, .name = "t\xc0\xaf", .period_ns = -1 }) < 0
               ? -COOP_ENOMEM
               : 0;
}

/* Whatever bytes a program logs or names its tasks with, each trace line stays valid UTF-8 JSON. */
Test(sim, program_text_that_is_not_utf8_is_made_valid_in_the_trace)
{
    static const coop_program raw = { "raw", "logs bytes that are not UTF-8", raw_bytes_start };
    coop_sim *sim = make((coop_sim_config){ 0 }, "\"ev\":");
    cr_assert_eq(coop_sim_start(sim, &raw, 0, NULL), 0);
    coop_sim_run(sim);
    cr_assert(strstr(lines, "{\"t_ns\":0,\"ev\":\"log\",\"text\":\"a\\ufffdb\\ufffd\\ufffd\"}"), "%s", lines);
    cr_assert(strstr(lines, "\"task\":\"t\\ufffd\\ufffd\""), "%s", lines);
    for (size_t i = 0; i < nlines; i++)
        cr_assert_lt((unsigned char)lines[i], 0x80, "only ASCII and escapes: byte %zu", i);
    coop_sim_free(sim);
}

/* A program for node tests: one task "beat" that runs every 10 ms, n times (argv[0], default forever). */
static int beat_cleanups;

static int beat_step(coop_task *t)
{
    COOP_BEGIN(t);
    for (;;)
        COOP_YIELD(t);
    COOP_FINALLY(t);
    beat_cleanups++;
    COOP_END(t);
}

static int beat_start(coop_sched *s, const coop_program_env *env, int argc, char **argv)
{
    (void)env;
    (void)argc;
    (void)argv;
    return coop_spawn(s, &(coop_task_spec){ .step = beat_step, .name = "beat", .period_ns = COOP_MS(10) }) < 0
               ? -COOP_ENOMEM
               : 0;
}

static const coop_program beat = { "beat", "a task every 10 ms", beat_start };

Test(sim, one_node_traces_no_node_and_several_name_theirs)
{
    coop_sim *sim = make((coop_sim_config){ 0 }, "\"ev\":\"run\"");
    cr_assert_eq(coop_sim_node_count(sim), 1);
    cr_assert_str_eq(coop_sim_node_name(sim, 0), "main");
    cr_assert_eq(coop_sim_start(sim, &beat, 0, NULL), 0);
    cr_assert_eq(coop_sim_run_until(sim, COOP_MS(10)), COOP_SIM_UNTIL);
    cr_assert_str_eq(lines, "{\"t_ns\":10000000,\"ev\":\"run\",\"task\":\"beat\",\"tid\":1}\n");
    coop_sim_free(sim);

    const coop_sim_node_spec nodes[] = { { "a", NULL }, { "b", "192.168.1.5" } };
    sim = make((coop_sim_config){ .nodes = nodes, .nnodes = 2 }, "\"ev\":\"run\"");
    cr_assert_eq(coop_sim_node_index(sim, "b"), 1);
    cr_assert_eq(coop_sim_node_index(sim, "c"), -COOP_ENOENT);
    cr_assert_eq(coop_sim_node_start(sim, 0, &beat, 0, NULL), 0);
    cr_assert_eq(coop_sim_node_start(sim, 1, &beat, 0, NULL), 0);
    cr_assert_eq(coop_sim_run_until(sim, COOP_MS(10)), COOP_SIM_UNTIL);
    /* Within an instant the first node's steps come first. */
    cr_assert_str_eq(lines,
                     "{\"t_ns\":10000000,\"ev\":\"run\",\"node\":\"a\",\"task\":\"beat\",\"tid\":1}\n"
                     "{\"t_ns\":10000000,\"ev\":\"run\",\"node\":\"b\",\"task\":\"beat\",\"tid\":1}\n");
    cr_assert_eq(coop_sim_task_count(sim), 2);
    coop_sim_free(sim);

    const coop_sim_node_spec bad[][2] = { { { "a", NULL }, { "a", NULL } },
                                          { { "a", "10.0.0.2" }, { "b", NULL } },
                                          { { "a b", NULL }, { "b", NULL } },
                                          { { "a", "127.0.0.1" }, { "b", NULL } } };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_null(coop_sim_new(&(coop_sim_config){ .nodes = bad[i], .nnodes = 2 }), "case %zu", i);
}

Test(sim, a_crashed_node_runs_nothing_and_a_restart_runs_its_program_again)
{
    const coop_sim_node_spec nodes[] = { { "a", NULL }, { "b", NULL } };
    coop_sim *sim = make((coop_sim_config){ .nodes = nodes, .nnodes = 2 }, "\"node\":\"b\"");
    cr_assert_eq(coop_sim_node_start(sim, 0, &beat, 0, NULL), 0);
    cr_assert_eq(coop_sim_node_start(sim, 1, &beat, 0, NULL), 0);
    cr_assert_eq(coop_sim_crash_at(sim, COOP_MS(15), 1), 0);
    cr_assert_eq(coop_sim_restart_at(sim, COOP_MS(42), 1), 0);
    cr_assert_eq(coop_sim_crash_at(sim, 0, 2), -COOP_EINVAL);
    beat_cleanups = 0;
    cr_assert_eq(coop_sim_run_until(sim, COOP_MS(30)), COOP_SIM_UNTIL);
    cr_assert_null(coop_sim_node_sched(sim, 1), "down");
    cr_assert_eq(beat_cleanups, 0, "a crash runs no cleanup");
    cr_assert_not_null(strstr(lines, "\"what\":\"crash\",\"node\":\"b\""), "%s", lines);
    cr_assert_null(strstr(lines, "\"ev\":\"kill\""), "a crash runs no task code and traces no kill: %s",
                   lines);
    cr_assert_eq(coop_sim_task_count(sim), 1);
    nlines = 0;
    lines[0] = '\0';
    cr_assert_eq(coop_sim_run_until(sim, COOP_MS(52)), COOP_SIM_UNTIL);
    cr_assert_str_eq(
        lines, "{\"t_ns\":42000000,\"ev\":\"script\",\"what\":\"restart\",\"node\":\"b\"}\n"
               "{\"t_ns\":42000000,\"ev\":\"spawn\",\"node\":\"b\",\"task\":\"beat\",\"tid\":1,\"prio\":10,"
               "\"period_ns\":10000000}\n"
               "{\"t_ns\":52000000,\"ev\":\"run\",\"node\":\"b\",\"task\":\"beat\",\"tid\":1}\n"
               "{\"t_ns\":52000000,\"ev\":\"yield\",\"node\":\"b\",\"task\":\"beat\",\"tid\":1,"
               "\"call\":\"yield\"}\n");
    coop_sim_free(sim);
}

Test(sim, a_stall_makes_one_step_of_one_task_cost_time)
{
    coop_sim *sim = make((coop_sim_config){ 0 }, "\"ev\":\"run\"");
    cr_assert_eq(coop_sim_start(sim, &beat, 0, NULL), 0);
    spawn(sim, "other", spinner, 10, 5);
    cr_assert_eq(coop_sim_stall_at(sim, COOP_MS(12), 0, "beat", COOP_MS(35)), 0);
    cr_assert_eq(coop_sim_run_until(sim, COOP_MS(60)), COOP_SIM_UNTIL);
    /*
     * beat's step at 20 ms is the first at or after 12 ms: it takes 35 ms,
     * so the clock reads 55 ms when it ends, and beat, late, catches up.
     */
    cr_assert_str_eq(lines, "{\"t_ns\":5000000,\"ev\":\"run\",\"task\":\"other\",\"tid\":2}\n"
                            "{\"t_ns\":10000000,\"ev\":\"run\",\"task\":\"beat\",\"tid\":1}\n"
                            "{\"t_ns\":15000000,\"ev\":\"run\",\"task\":\"other\",\"tid\":2}\n"
                            "{\"t_ns\":20000000,\"ev\":\"run\",\"task\":\"beat\",\"tid\":1}\n"
                            "{\"t_ns\":55000000,\"ev\":\"run\",\"task\":\"other\",\"tid\":2}\n"
                            "{\"t_ns\":55000000,\"ev\":\"run\",\"task\":\"beat\",\"tid\":1}\n"
                            "{\"t_ns\":55000000,\"ev\":\"run\",\"task\":\"other\",\"tid\":2}\n"
                            "{\"t_ns\":55000000,\"ev\":\"run\",\"task\":\"beat\",\"tid\":1}\n"
                            "{\"t_ns\":55000000,\"ev\":\"run\",\"task\":\"other\",\"tid\":2}\n"
                            "{\"t_ns\":55000000,\"ev\":\"run\",\"task\":\"beat\",\"tid\":1}\n"
                            "{\"t_ns\":55000000,\"ev\":\"run\",\"task\":\"other\",\"tid\":2}\n"
                            "{\"t_ns\":60000000,\"ev\":\"run\",\"task\":\"beat\",\"tid\":1}\n");
    coop_sim_free(sim);
}
