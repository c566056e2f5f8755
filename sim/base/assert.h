/* Assertions for the simulator, on in every build, failing through the core's assert hook. */
#ifndef COOP_SIM_BASE_ASSERT_H
#define COOP_SIM_BASE_ASSERT_H

#include "coop/export.h"

/* The core's hook (core/internal.h): it reports the expression and aborts. */
COOP_API void coop__assert_fail(const char *expr, const char *file, unsigned line);

#define sim_assert(e) ((e) ? (void)0 : coop__assert_fail(#e, __FILE__, __LINE__))

#endif
