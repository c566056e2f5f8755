/* greeter: the outside project's own program, a server that says hello to each client and hangs up. */
#ifndef OUTSIDE_GREETER_H
#define OUTSIDE_GREETER_H

#include <coop/program.h>

/* greeter [--port N]: listens on 127.0.0.1:N (default 7000; 0 picks a free port). */
int greeter_start(coop_sched *s, const coop_program_env *env, int argc, char **argv);

/* The registry with the one program, NULL-name-terminated. */
extern const coop_program greeter_programs[];

#endif
