/* Check adapter: checks about a simulation that fail as Check assertions, with seed, time and trace tail. */
#ifndef COOP_SIM_CHECK_H
#define COOP_SIM_CHECK_H

#include <check.h>

#include "coop/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

#define COOP_SIM__CK_MSG_MAX 16384

/* Fails the test with the simulation's seed, virtual time, live tasks and trace tail unless cond holds. */
#define coop_sim_ck_assert(sim, cond, what)                                                \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            static char coop_sim__msg[COOP_SIM__CK_MSG_MAX];                               \
            coop_sim_failure_message((sim), (what), coop_sim__msg, sizeof(coop_sim__msg)); \
            ck_abort_msg("%s", coop_sim__msg);                                             \
        }                                                                                  \
    } while (0)

/* Runs the simulation to its end and requires that it ended as expected (e.g. COOP_SIM_DONE). */
#define coop_sim_ck_run(sim, expected)                                                             \
    do {                                                                                           \
        coop_sim_status coop_sim__st = coop_sim_run(sim);                                          \
        coop_sim_ck_assert((sim), coop_sim__st == (expected), coop_sim_status_name(coop_sim__st)); \
    } while (0)

#ifdef __cplusplus
}
#endif

#endif
