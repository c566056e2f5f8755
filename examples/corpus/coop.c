/* The coop command: coop_main with the built-in programs. */
#include "coop/cli.h"
#include "programs.h"

int main(int argc, char **argv) { return coop_main(argc, argv, coop_builtin_programs); }
