/* Test image: an exported model (hebbkit export --c DIR) stepped on the STM32F405 (QEMU netduinoplus2 or a board)
 * on observations fed over USART1, reporting actions and the SysTick ticks each control step took.
 *
 * Build: make -C firmware_bridge/firmware/board bench MODEL_DIR=DIR (Cortex-M4F, hard float).
 * Byte protocol on USART1 (little-endian; a test protocol, not the firmware's framed protocol v2):
 *   at boot the board sends one line: "BENCH sha256=<hex> model_bytes=<n> calib_ticks=<t> calib_insns=<i>\n",
 *     where t is the SysTick ticks of a calibration loop of i instructions (so ticks convert to instructions when
 *     QEMU runs with -icount: every instruction then takes the same virtual time);
 *   host 'R' + uint64 seed  -> board draws fresh PCG32 weights from the seed, answers 'r';
 *   host 'S' + float32[HEBB_MODEL_N_INPUTS] -> one plastic control step; answers 'A' + float32[HEBB_MODEL_N_ACTIONS]
 *     + uint32 ticks of that step (SysTick at the core clock, 24-bit, read around hebb_model_step);
 *   host 'F' + float32[HEBB_MODEL_N_INPUTS] -> the same, frozen (no update).
 * The model's RAM (weights, activations, scratch) is a static in SRAM; its coefficients are const (flash).
 * Registers, USART1 set-up and start-up (vector table, FPU on, .data/.bss): stm32f4.h, startup.c. */
#include <stdint.h>

#include "hebb_model.h"
#include "stm32f4.h"

#ifndef CORE_HZ
#define CORE_HZ 168000000u
#endif
#define CALIBRATION_LOOPS 100000u

static hebb_model model;

static void put(uint8_t byte) {
    while (!(USART1_SR & (1u << 7))) {} /* TXE */
    USART1_DR = byte;
}

static uint8_t get(void) {
    while (!(USART1_SR & (1u << 5))) {} /* RXNE */
    return (uint8_t)USART1_DR;
}

static void put_text(const char *text) {
    while (*text) put((uint8_t)*text++);
}

static void put_number(uint32_t value) {
    char digits[11];
    int count = 0;
    do {
        digits[count++] = (char)('0' + value % 10u);
        value /= 10u;
    } while (value);
    while (count) put((uint8_t)digits[--count]);
}

static void put_bytes(const void *data, uint32_t length) {
    const uint8_t *bytes = data;
    for (uint32_t k = 0; k < length; ++k) put(bytes[k]);
}

static void get_bytes(void *data, uint32_t length) {
    uint8_t *bytes = data;
    for (uint32_t k = 0; k < length; ++k) bytes[k] = get();
}

/* SysTick counts down from 0xFFFFFF at the core clock, no interrupt: elapsed ticks modulo 2^24. */
static uint32_t elapsed(uint32_t start, uint32_t end) { return (start - end) & 0xFFFFFFu; }

/* 2 instructions per loop (subs, bne) plus 2 around it. */
static uint32_t calibration_ticks(void) {
    uint32_t loops = CALIBRATION_LOOPS;
    const uint32_t start = SYST_CVR;
    __asm__ volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(loops) : : "cc");
    return elapsed(start, SYST_CVR);
}

int main(void) {
    usart1_init(CORE_HZ);
    SYST_RVR = 0xFFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = 5u; /* processor clock, no interrupt, enable */
    hebb_model_init(&model, 0);
    put_text("BENCH sha256=" HEBB_MODEL_SHA256 " model_bytes=");
    put_number((uint32_t)sizeof(model));
    put_text(" calib_ticks=");
    put_number(calibration_ticks());
    put_text(" calib_insns=");
    put_number(2u * CALIBRATION_LOOPS);
    put_text("\n");
    static float observation[HEBB_MODEL_N_INPUTS];
    for (;;) {
        const uint8_t command = get();
        if (command == 'R') {
            uint64_t seed;
            get_bytes(&seed, sizeof seed);
            hebb_model_reset(&model, seed);
            put('r');
        } else if (command == 'S' || command == 'F') {
            get_bytes(observation, sizeof observation);
            const uint32_t start = SYST_CVR;
            const float *action = hebb_model_step(&model, observation, command == 'S');
            const uint32_t ticks = elapsed(start, SYST_CVR);
            put('A');
            put_bytes(action, sizeof(float) * HEBB_MODEL_N_ACTIONS);
            put_bytes(&ticks, sizeof ticks);
        }
    }
}
