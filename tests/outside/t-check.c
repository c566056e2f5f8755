/* The greeter in coop's simulator, checked with Check through coop's adapter, failures included. */
#include <coop/sim-check.h>
#include <stdlib.h>
#include <string.h>

#include "greeter.h"

static coop_sim *greeter_sim(uint64_t seed)
{
    coop_sim *sim = coop_sim_new(&(coop_sim_config){ .seed = seed });
    ck_assert_ptr_nonnull(sim);
    ck_assert_int_eq(coop_sim_start(sim, &greeter_programs[0], 0, NULL), 0);
    return sim;
}

START_TEST(says_hello_and_hangs_up)
{
    coop_sim *sim = greeter_sim(1);
    int peer = coop_sim_peer_connect_at(sim, COOP_MS(1), 7000);
    coop_sim_run_until(sim, COOP_MS(10));
    uint32_t conn = (uint32_t)coop_sim_peer_conn(sim, peer);
    coop_net_capture cap;
    ck_assert_int_eq(coop_net_capture_of(coop_sim_net(sim), conn, &cap), 0);
    coop_sim_ck_assert(sim, cap.len == 6 && memcmp(cap.bytes, "hello\n", 6) == 0, "the greeter says hello");
    coop_sim_ck_assert(sim, coop_net_conn_state(coop_sim_net(sim), conn) == COOP_NET_TASK_CLOSED,
                       "and hangs up");
    coop_sim_free(sim);
}
END_TEST

/* Run by an inner runner below: the greeter never ends, so a run to the end is a hang. */
START_TEST(runs_to_the_end)
{
    coop_sim *sim = greeter_sim(7);
    coop_sim_ck_run(sim, COOP_SIM_DONE);
    coop_sim_free(sim);
}
END_TEST

START_TEST(a_failure_carries_seed_time_and_reproduce_line)
{
    Suite *inner = suite_create("inner");
    TCase *tc = tcase_create("inner");
    tcase_add_test(tc, runs_to_the_end);
    suite_add_tcase(inner, tc);
    SRunner *sr = srunner_create(inner);
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_SILENT);
    ck_assert_int_eq(srunner_ntests_failed(sr), 1);
    TestResult **results = srunner_failures(sr);
    const char *msg = tr_msg(results[0]);
    ck_assert_msg(strstr(msg, "(seed 7, t=0 ns)") != NULL, "%s", msg);
    ck_assert_msg(strstr(msg, "reproduce: --seed 7") != NULL, "%s", msg);
    free(results);
    srunner_free(sr);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("greeter");
    TCase *tc = tcase_create("greeter");
    tcase_add_test(tc, says_hello_and_hangs_up);
    tcase_add_test(tc, a_failure_carries_seed_time_and_reproduce_line);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
