/* Assertion failures in libc builds: print where, then abort. */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

void coop__assert_fail(const char *expr, const char *file, unsigned line)
{
    fprintf(stderr, "coop: assertion failed: %s (%s:%u)\n", expr, file, line);
    abort();
}
