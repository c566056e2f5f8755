/* Semihosting: text and exit through the debugger interface, which QEMU provides with -semihosting. */
#ifndef COOP_FW_SEMIHOST_H
#define COOP_FW_SEMIHOST_H

void sh_puts(const char *s);
/* Ends the emulation: status 0 as a normal exit, anything else as a run-time error. */
_Noreturn void sh_exit(int status);

#endif
