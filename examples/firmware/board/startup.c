/* Reset, the vector table, and the stack paint: what runs before main on a Cortex-M. */
#include <stdint.h>

#include "board.h"
#include "semihost.h"

extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[];
extern uint32_t __stack_bottom[], __stack_top[];

int main(void);

/*
 * The stack is painted with a pattern before main, so that the words
 * still holding it at the end show how deep it ever grew.
 */
#define PAINT 0xC0DEC0DEu

/* Fills the stack from its bottom up to 64 bytes below the stack pointer. */
__attribute__((noinline)) static void paint_stack(void)
{
    uintptr_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (uint32_t *p = __stack_bottom; (uintptr_t)p < sp - 64u; p++)
        *p = PAINT;
}

uint32_t board_stack_used(void)
{
    uint32_t *p = __stack_bottom;
    while (p < __stack_top && *p == PAINT)
        p++;
    return (uint32_t)((uintptr_t)__stack_top - (uintptr_t)p);
}

_Noreturn void reset_handler(void)
{
    for (uint32_t *s = __data_load, *d = __data_start; d < __data_end;)
        *d++ = *s++;
    for (uint32_t *d = __bss_start; d < __bss_end;)
        *d++ = 0;
    paint_stack();
    sh_exit(main());
}

static void fault_handler(void)
{
    sh_puts("fault\n");
    sh_exit(1);
}

void systick_handler(void);

/* Cortex-M: the initial stack pointer, then the handlers; SysTick is entry 15. */
__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))(uintptr_t)__stack_top,
    (void (*)(void))reset_handler,
    fault_handler, /* NMI */
    fault_handler, /* HardFault */
    fault_handler,
    fault_handler,
    fault_handler,
    0,
    0,
    0,
    0,
    fault_handler, /* SVCall */
    0,
    0,
    fault_handler, /* PendSV */
    systick_handler,
};
