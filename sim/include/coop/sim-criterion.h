/* Criterion adapter: checks about a simulation that fail as Criterion assertions, with seed, time and trace tail. */
#ifndef COOP_SIM_CRITERION_H
#define COOP_SIM_CRITERION_H

#include <criterion/criterion.h>

#include "coop/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Criterion shows messages of any length, but cuts each line at about 1 KiB (COOP_SIM_MSG_LINE_MAX is less). */
#define COOP_SIM__MSG_MAX 16384

/*
 * Fails the test unless cond holds, with the message of
 * coop_sim_failure_message: what, cond's own text, a reproduce line, the
 * live tasks and the newest trace events.
 */
#define coop_sim_cr_assert(sim, cond, what)                                                       \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            static char coop_sim__msg[COOP_SIM__MSG_MAX];                                         \
            coop_sim_failure_message((sim), (what), #cond, coop_sim__msg, sizeof(coop_sim__msg)); \
            cr_assert_fail("%s", coop_sim__msg);                                                  \
        }                                                                                         \
    } while (0)

/* Runs the simulation to its end and requires that it ended as expected (e.g. COOP_SIM_DONE). */
#define coop_sim_cr_run(sim, expected)                                                      \
    do {                                                                                    \
        coop_sim_status coop_sim__st = coop_sim_run(sim);                                   \
        if (coop_sim__st != (expected)) {                                                   \
            static char coop_sim__msg[COOP_SIM__MSG_MAX];                                   \
            coop_sim_failure_message((sim), coop_sim_status_name(coop_sim__st),             \
                                     "coop_sim_run(" #sim ") == " #expected, coop_sim__msg, \
                                     sizeof(coop_sim__msg));                                \
            cr_assert_fail("%s", coop_sim__msg);                                            \
        }                                                                                   \
    } while (0)

#ifdef __cplusplus
}
#endif

#endif
