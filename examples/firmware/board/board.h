/* What the board port offers main: its tick, its stack measurement. */
#ifndef COOP_FW_BOARD_H
#define COOP_FW_BOARD_H

#include <stdint.h>

/* The deepest the stack has been since reset, in bytes, from the painted pattern. */
uint32_t board_stack_used(void);

#endif
