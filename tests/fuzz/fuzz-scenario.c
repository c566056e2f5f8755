/* libFuzzer target: the scenario parser must reject or accept any input without crashing, leaking or overrunning. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "coop/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[COOP_SCN_MAX_ERR];
    coop_scenario *scn = NULL;
    int rc = coop_scenario_parse("fuzz.scn", (const char *)data, size, &scn, err, sizeof(err));
    if (rc == 0) {
        /* Everything a parsed scenario promises: a program, sane windows, bytes where there should be. */
        if (scn->nnodes < 1 || !scn->nodes[0].program)
            __builtin_trap();
        for (size_t i = 0; i < scn->nlines; i++) {
            const coop_scn_line *ln = &scn->lines[i];
            if (ln->when == COOP_SCN_WINDOW && ln->lo_ns > ln->hi_ns)
                __builtin_trap();
            if ((ln->op == COOP_SCN_SEND || ln->op == COOP_SCN_EXPECT_RECV) && (!ln->bytes || !ln->len))
                __builtin_trap();
            if (ln->peer >= scn->npeers)
                __builtin_trap();
        }
        coop_scenario_free(scn);
    } else if (strncmp(err, "fuzz.scn:", 9) || !strstr(err, ": error: ")) {
        /* Every error names the file, a line and a column. */
        __builtin_trap();
    }
    return 0;
}
