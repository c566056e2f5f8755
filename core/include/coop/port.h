/* What a port supplies beside the clock and the allocator: the assertion hook (docs/porting.md). */
#ifndef COOP_PORT_H
#define COOP_PORT_H

#include "coop/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Called when an assertion of the core fails; assertions stay on in
 * every build.  The build with libc supplies one that prints the
 * expression and aborts.  A build without libc (-Dlibc=false) leaves it
 * to the port, which should log and halt or reset: the core does not
 * expect it to return, except where documented (coop_sched_new with a
 * zeroed allocator returns NULL if the hook returns).
 */
COOP_API void coop__assert_fail(const char *expr, const char *file, unsigned line);

#ifdef __cplusplus
}
#endif

#endif
