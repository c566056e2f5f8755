/* Check adapter: checks about a simulation that fail as Check assertions, with seed, time and trace tail. */
#ifndef COOP_SIM_CHECK_H
#define COOP_SIM_CHECK_H

#include <check.h>

#include "coop/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Check sends a failure message from the test's process in one packet of
 * 4 KiB, and replaces a longer one by "Early exit with return value 2";
 * the message is made to fit well below that.
 */
#define COOP_SIM__CK_MSG_MAX 4000

/*
 * Fails the test unless cond holds, with the message of
 * coop_sim_failure_message: what, cond's own text, a reproduce line, the
 * live tasks and the newest trace events.
 */
#define coop_sim_ck_assert(sim, cond, what)                                                       \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            static char coop_sim__msg[COOP_SIM__CK_MSG_MAX];                                      \
            coop_sim_failure_message((sim), (what), #cond, coop_sim__msg, sizeof(coop_sim__msg)); \
            ck_abort_msg("%s", coop_sim__msg);                                                    \
        }                                                                                         \
    } while (0)

/* Runs the simulation to its end and requires that it ended as expected (e.g. COOP_SIM_DONE). */
#define coop_sim_ck_run(sim, expected)                                                      \
    do {                                                                                    \
        coop_sim_status coop_sim__st = coop_sim_run(sim);                                   \
        if (coop_sim__st != (expected)) {                                                   \
            static char coop_sim__msg[COOP_SIM__CK_MSG_MAX];                                \
            coop_sim_failure_message((sim), coop_sim_status_name(coop_sim__st),             \
                                     "coop_sim_run(" #sim ") == " #expected, coop_sim__msg, \
                                     sizeof(coop_sim__msg));                                \
            ck_abort_msg("%s", coop_sim__msg);                                              \
        }                                                                                   \
    } while (0)

#ifdef __cplusplus
}
#endif

#endif
