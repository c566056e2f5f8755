/* The assertion hook a build without libc needs, for the small configuration's tests: record, then abort. */
#include <stdio.h>
#include <stdlib.h>

#include "assert-hook.h"

const char *h_assert_expr;
int h_assert_returns;

void coop__assert_fail(const char *expr, const char *file, unsigned line)
{
    h_assert_expr = expr;
    if (h_assert_returns)
        return;
    fprintf(stderr, "%s:%u: assertion failed: %s\n", file, line, expr);
    abort();
}
