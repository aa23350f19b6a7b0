/* What the STM32F4 images (stm32f4_main.c, model_bench.c) share: the registers they use, USART1's set-up, and the
 * start-up in startup.c (vector table; reset handler: FPU on when built for hard float, .data copied, .bss cleared,
 * then the image's main()). */
#ifndef HEBB_BOARD_STM32F4_H
#define HEBB_BOARD_STM32F4_H

#include <stdint.h>

#define REG(address) (*(volatile uint32_t *)(address))
#define RCC_AHB1ENR REG(0x40023830u)
#define RCC_APB2ENR REG(0x40023844u)
#define USART1_SR REG(0x40011000u)
#define USART1_DR REG(0x40011004u)
#define USART1_BRR REG(0x40011008u)
#define USART1_CR1 REG(0x4001100Cu)
#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)

/* USART1 at 115200 baud from a core clock of `core_hz`, transmitter and receiver on. */
static inline void usart1_init(uint32_t core_hz) {
    RCC_AHB1ENR |= 1u;      /* GPIOA */
    RCC_APB2ENR |= 1u << 4; /* USART1 */
    USART1_BRR = core_hz / 115200u;
    USART1_CR1 = (1u << 13) | (1u << 3) | (1u << 2); /* UE, TE, RE */
}

/* ---- startup.c ---- */
int main(void);
/* The SysTick interrupt: an image that enables it defines this; otherwise it is the default handler (a halt). */
void systick_handler(void);

#endif
