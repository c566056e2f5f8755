/* A test that fails on purpose: its message must carry the seed, the virtual time and a reproduce line. */
#include <coop/sim-criterion.h>
#include <string.h>

#include "greeter.h"

Test(greeter_fails, says_bye)
{
    coop_sim *sim = coop_sim_new(&(coop_sim_config){ .seed = 7 });
    cr_assert_not_null(sim);
    cr_assert_eq(coop_sim_start(sim, &greeter_programs[0], 0, NULL), 0);
    int peer = coop_sim_peer_connect_at(sim, COOP_MS(1), 7000);
    coop_sim_run_until(sim, COOP_MS(10));
    coop_net_capture cap;
    coop_net_capture_of(coop_sim_net(sim), (uint32_t)coop_sim_peer_conn(sim, peer), &cap);
    coop_sim_cr_assert(sim, cap.len == 4 && memcmp(cap.bytes, "bye\n", 4) == 0, "the greeter says bye");
    coop_sim_free(sim);
}
