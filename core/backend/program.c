/* The program registry: lookup by name, and the log helper programs share on every backend. */
#include "coop/program.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const coop_program *coop_program_find(const coop_program *registry, const char *name)
{
    for (const coop_program *p = registry; p && p->name; p++)
        if (strcmp(p->name, name) == 0)
            return p;
    return NULL;
}

void coop_program_log(const coop_program_env *env, coop_task *t, const char *fmt, ...)
{
    if (!env || !env->log)
        return;
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    env->log(env->ctx, t, text);
}
