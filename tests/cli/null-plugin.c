/* A plugin whose registry function returns NULL: loading it must be an error, never a crash. */
#include "coop/cli.h"

__attribute__((visibility("default"))) const coop_program *coop_register_programs(void);
const coop_program *coop_register_programs(void) { return NULL; }
