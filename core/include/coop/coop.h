/* The one header to include: the whole public API of coop. */
#ifndef COOP_COOP_H
#define COOP_COOP_H

#include "coop/alloc.h"
#include "coop/clock.h"
#include "coop/errors.h"
#include "coop/irq.h"
#include "coop/poller.h"
#include "coop/port.h"
#include "coop/sched.h"
#include "coop/task.h"
#include "coop/tick32.h"
#include "coop/trace.h"

#ifdef __cplusplus
extern "C" {
#endif

#define COOP_VERSION_MAJOR 0
#define COOP_VERSION_MINOR 1
#define COOP_VERSION_PATCH 0

#ifdef __cplusplus
}
#endif

#endif
