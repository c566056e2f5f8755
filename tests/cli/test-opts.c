/* The command's small parts: strict numbers and durations, suggestions, wall-time text, worker messages. */
#include <criterion/criterion.h>
#include <string.h>

#include "cli.h"

Test(numbers, digits_only)
{
    uint64_t v = 7;
    cr_expect_eq(cli_parse_u64("0", &v), 0);
    cr_expect_eq(v, 0);
    cr_expect_eq(cli_parse_u64("18446744073709551615", &v), 0);
    cr_expect_eq(v, UINT64_MAX);
    const char *bad[] = {
        "18446744073709551616", "99999999999999999999999", " -1", "-1", "+3", " 3", "3 ", "1x", ""
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_eq(cli_parse_u64(bad[i], &v), -1, "'%s' was taken", bad[i]);
    cr_expect_eq(cli_parse_u64(NULL, &v), -1);
}

Test(numbers, durations)
{
    uint64_t ns;
    cr_expect_eq(cli_parse_duration("250ms", &ns), 0);
    cr_expect_eq(ns, 250000000u);
    cr_expect_eq(cli_parse_duration("1.5s", &ns), 0);
    cr_expect_eq(ns, 1500000000u);
    cr_expect_eq(cli_parse_duration("2m", &ns), 0);
    cr_expect_eq(ns, 120 * UINT64_C(1000000000));
    cr_expect_eq(cli_parse_duration("0s", &ns), 0);
    cr_expect_eq(ns, 0);
    const char *bad[] = {
        "10", "s", " 1s", "-1s", "1.s", "1.5", "99999999999999999999s", "6000000h", "1sec"
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_eq(cli_parse_duration(bad[i], &ns), -1, "'%s' was taken", bad[i]);
}

Test(suggest, typos_and_strangers)
{
    const char *names[] = { "run", "explore", "trace", "start", "programs" };
    cr_expect_str_eq(cli_suggest("explor", names, 5), "explore");
    cr_expect_str_eq(cli_suggest("rnu", names, 5), "run");
    cr_expect_str_eq(cli_suggest("strat", names, 5), "start");
    cr_expect_null(cli_suggest("frobnicate", names, 5));
}

Test(wall, one_way_of_writing)
{
    struct {
        uint64_t ns;
        const char *text;
    } cases[] = { { 0, "0us" },
                  { 42000, "42us" },
                  { 2400000, "2ms" },
                  { 1500000000, "1.5s" },
                  { 2000000000, "2s" },
                  { 1002000000, "1.002s" },
                  { 845 * UINT64_C(1000000000), "14m05s" },
                  { 11640 * UINT64_C(1000000000), "3h14m" } };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[32];
        cli_format_wall(cases[i].ns, buf, sizeof(buf));
        cr_expect_str_eq(buf, cases[i].text);
    }
}

Test(msg, round_trip_and_bounds)
{
    struct cli_msg m = { 0 };
    cli_msg_u64(&m, 42);
    cli_msg_str(&m, "hello");
    cli_msg_str(&m, NULL);
    cr_assert(!m.bad);
    cr_expect_eq(cli_msg_get_u64(&m), 42);
    cr_expect_str_eq(cli_msg_get_str(&m), "hello");
    cr_expect_null(cli_msg_get_str(&m));
    cr_expect(!m.bad);
    /* Reading past the end marks the message bad instead of reading beyond it. */
    cr_expect_eq(cli_msg_get_u64(&m), 0);
    cr_expect(m.bad);
    /* A string whose length runs past the end is refused. */
    struct cli_msg t = { 0 };
    cli_msg_u64(&t, 1000);
    cli_msg_put(&t, "abc", 4);
    cr_expect_null(cli_msg_get_str(&t));
    cr_expect(t.bad);
    cli_msg_fini(&m);
    cli_msg_fini(&t);
}
