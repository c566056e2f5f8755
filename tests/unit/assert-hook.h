/* The small configuration's assertion hook: the last failed expression, and whether the hook returns. */
#ifndef COOP_TEST_ASSERT_HOOK_H
#define COOP_TEST_ASSERT_HOOK_H

#include "coop/port.h"

extern const char *h_assert_expr; /* the last failed expression, or NULL */
extern int h_assert_returns;      /* when set, the hook returns instead of aborting */

#endif
