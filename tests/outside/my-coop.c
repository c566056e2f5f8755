/* The outside project's own coop command: every subcommand, with the greeter as its program. */
#include <coop/cli.h>

#include "greeter.h"

int main(int argc, char **argv) { return coop_main(argc, argv, greeter_programs); }
