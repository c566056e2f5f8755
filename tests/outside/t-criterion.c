/* The greeter in coop's simulator, checked with Criterion through coop's adapter. */
#include <coop/sim-criterion.h>
#include <string.h>

#include "greeter.h"

Test(greeter, says_hello_and_hangs_up)
{
    coop_sim *sim = coop_sim_new(&(coop_sim_config){ .seed = 1 });
    cr_assert_not_null(sim);
    cr_assert_eq(coop_sim_start(sim, &greeter_programs[0], 0, NULL), 0);
    int peer = coop_sim_peer_connect_at(sim, COOP_MS(1), 7000);
    coop_sim_run_until(sim, COOP_MS(10));
    uint32_t conn = (uint32_t)coop_sim_peer_conn(sim, peer);
    coop_net_capture cap;
    cr_assert_eq(coop_net_capture_of(coop_sim_net(sim), conn, &cap), 0);
    coop_sim_cr_assert(sim, cap.len == 6 && memcmp(cap.bytes, "hello\n", 6) == 0, "the greeter says hello");
    coop_sim_cr_assert(sim, cap.chunks[0].t_ns == (uint64_t)COOP_MS(1), "as soon as the client connects");
    coop_sim_cr_assert(sim, coop_net_conn_state(coop_sim_net(sim), conn) == COOP_NET_TASK_CLOSED,
                       "and hangs up");
    coop_sim_free(sim);
}
