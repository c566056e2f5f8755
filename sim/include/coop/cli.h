/* The coop command as a library entry point: a test binary that calls coop_main becomes a coop command. */
#ifndef COOP_CLI_H
#define COOP_CLI_H

#include "coop/program.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Runs the coop command line (run, explore, trace, programs) with the
 * programs of registry, a NULL-name-terminated array.  Returns the exit
 * status: 0 pass, 1 an expectation failed, 2 a usage or parse error.
 */
COOP_API int coop_main(int argc, char **argv, const coop_program *registry);

/*
 * What a shared object loaded with `coop run --load LIB.so` exports: a
 * function of this name and type, returning its NULL-name-terminated
 * registry.  Its programs are found before the built-in ones.
 */
#define COOP_REGISTER_SYMBOL "coop_register_programs"
typedef const coop_program *(*coop_register_fn)(void);

#ifdef __cplusplus
}
#endif

#endif
