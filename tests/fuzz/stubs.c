/* What the parser needs from the simulator, for the fuzz build that links the parser alone. */
#include "net.h"

/* The same names as sim/net.c; the parser only checks `expect state` words against them. */
const char *coop_net_state_name(coop_net_state st)
{
    static const char *const names[] = {
        "connecting", "open",        "task-shut",  "task-closed", "task-reset",
        "peer-shut",  "peer-closed", "peer-reset", "refused",
    };
    return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}
