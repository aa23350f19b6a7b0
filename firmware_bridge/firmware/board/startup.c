/* Start-up of the STM32F4 images (declared in stm32f4.h): the vector table and the reset handler, for stm32f4.ld. */
#include <stdint.h>

#include "stm32f4.h"

extern uint32_t _data_load, _data_start, _data_end, _bss_start, _bss_end, _stack_top;

void reset_handler(void);
void reset_continue(void);

/* Naked, so that no instruction the compiler chooses (with hard float, possibly a float one, which would fault) runs
 * before the FPU is on: CPACR (0xE000ED88) CP10, CP11 full access, then on to the C part. */
__attribute__((naked, noreturn)) void reset_handler(void) {
    __asm__ volatile(
#if defined(__ARM_FP)
        "ldr r0, =0xE000ED88\n\t"
        "ldr r1, [r0]\n\t"
        "orr r1, r1, #(0xF << 20)\n\t"
        "str r1, [r0]\n\t"
        "dsb\n\t"
        "isb\n\t"
#endif
        "b reset_continue\n\t");
}

/* Copy .data from flash, clear .bss, run the image. */
__attribute__((noreturn)) void reset_continue(void) {
    uint32_t *source = &_data_load;
    for (uint32_t *target = &_data_start; target < &_data_end;) *target++ = *source++;
    for (uint32_t *target = &_bss_start; target < &_bss_end;) *target++ = 0;
    main();
    for (;;) {}
}

static void default_handler(void) { for (;;) {} }

void systick_handler(void) __attribute__((weak, alias("default_handler")));

__attribute__((section(".isr_vector"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))&_stack_top, reset_handler, default_handler, default_handler, default_handler, default_handler,
    default_handler, 0, 0, 0, 0, default_handler, default_handler, 0, default_handler, systick_handler,
};
