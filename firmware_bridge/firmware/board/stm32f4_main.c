/* Board port of the reference firmware for an STM32F4 (runs on real boards and on QEMU's netduinoplus2):
 * USART1 for the link, SysTick for a microsecond clock, TIM3/TIM4 PWM for 8 hobby servos, and simulated servo
 * feedback and IMU (angles follow the commanded pulses at the servo's speed; a level IMU): hobby servos report no
 * position, so the firmware reports the angles it expects them to have, and the emulated board plausible state.
 * Registers, USART1 set-up and start-up (vector table, FPU on when built for it, .data/.bss): stm32f4.h, startup.c. */
#include <stdint.h>
#include <string.h>

#include "../hebb_firmware.h"
#include "stm32f4.h"
#ifdef HEBB_ONBOARD_MODE
#include "../hebb_onboard.h" /* onboard mode: make onboard MODEL_DIR=... (the policy runs on the board) */
#ifndef HEBB_ONBOARD_SEED
#define HEBB_ONBOARD_SEED 0u /* of the initial weights, drawn at every boot (PCG32, as Policy(init_rng="pcg32")) */
#endif
static hebb_model model;
static hebb_onboard onboard;
#endif

#ifndef CORE_HZ
#define CORE_HZ 16000000u /* the HSI oscillator after reset; QEMU's netduinoplus2 runs SysTick at 168 MHz */
#endif
#define TICKS_PER_US (CORE_HZ / 1000000u)

static volatile uint32_t milliseconds;
void systick_handler(void) { milliseconds++; }

#define SCB_ICSR REG(0xE000ED04u)

static uint32_t now_us(void) {
    uint32_t ms, ticks, pending;
    do {
        ms = milliseconds;
        ticks = SYST_CVR;
        pending = SCB_ICSR & (1u << 26); /* PENDSTSET: the counter wrapped, its interrupt has not run yet */
    } while (ms != milliseconds);
    if (pending && ticks > CORE_HZ / 2000u) ms += 1u; /* wrapped before we read it: that millisecond is over */
    return ms * 1000u + (CORE_HZ / 1000u - 1u - ticks) / TICKS_PER_US;
}

static void uart_write(const uint8_t *data, size_t length, void *context) {
    (void)context;
    for (size_t i = 0; i < length; ++i) {
        while (!(USART1_SR & (1u << 7))) {} /* TXE */
        USART1_DR = data[i];
    }
}

static float angles[HEBB_MAX_JOINTS], velocities[HEBB_MAX_JOINTS], targets[HEBB_MAX_JOINTS];
static uint16_t pulses[HEBB_MAX_JOINTS];
static hebb_firmware fw;

/* Servo PWM: TIM3 CH1-4 on PA6, PA7, PB0, PB1 and TIM4 CH1-4 on PB6-PB9 (alternate function 2), 1 us ticks,
 * 20 ms period (50 Hz); a compare value of 0 sends no pulse (the servo goes limp). */
#define TIM3_BASE 0x40000400u
#define TIM4_BASE 0x40000800u
#define TIM_REG(base, offset) REG((base) + (offset))
#define GPIOA_BASE 0x40020000u
#define GPIOB_BASE 0x40020400u

static void gpio_alternate(uint32_t base, uint32_t pin, uint32_t function) {
    TIM_REG(base, 0x00) = (TIM_REG(base, 0x00) & ~(3u << (2 * pin))) | (2u << (2 * pin)); /* MODER: AF */
    uint32_t afr = pin < 8 ? 0x20u : 0x24u, shift = 4 * (pin % 8);
    TIM_REG(base, afr) = (TIM_REG(base, afr) & ~(0xFu << shift)) | (function << shift);
}

static void pwm_init(void) {
    REG(0x40023840u) |= (1u << 1) | (1u << 2); /* RCC_APB1ENR: TIM3, TIM4 */
    RCC_AHB1ENR |= 3u;                          /* GPIOA, GPIOB */
    gpio_alternate(GPIOA_BASE, 6, 2);
    gpio_alternate(GPIOA_BASE, 7, 2);
    gpio_alternate(GPIOB_BASE, 0, 2);
    gpio_alternate(GPIOB_BASE, 1, 2);
    for (uint32_t pin = 6; pin <= 9; ++pin) gpio_alternate(GPIOB_BASE, pin, 2);
    const uint32_t timers[2] = {TIM3_BASE, TIM4_BASE};
    for (int t = 0; t < 2; ++t) {
        uint32_t base = timers[t];
        TIM_REG(base, 0x28) = CORE_HZ / 1000000u - 1u;                   /* PSC: 1 us */
        TIM_REG(base, 0x2C) = 20000u - 1u;                                /* ARR: 20 ms */
        TIM_REG(base, 0x18) = (6u << 4) | (1u << 3) | (6u << 12) | (1u << 11); /* CCMR1: PWM1, preload */
        TIM_REG(base, 0x1C) = (6u << 4) | (1u << 3) | (6u << 12) | (1u << 11); /* CCMR2 */
        TIM_REG(base, 0x20) = (1u << 0) | (1u << 4) | (1u << 8) | (1u << 12);   /* CCER: CH1-4 on */
        for (uint32_t c = 0; c < 4; ++c) TIM_REG(base, 0x34 + 4 * c) = 0;      /* no pulses yet */
        TIM_REG(base, 0x14) = 1u;                                          /* EGR: update */
        TIM_REG(base, 0x00) = (1u << 7) | 1u;                              /* CR1: ARPE, CEN */
    }
}

static void pwm_write(uint8_t joint, uint16_t pulse_us) {
    if (joint >= 8) return;
    uint32_t base = joint < 4 ? TIM3_BASE : TIM4_BASE;
    TIM_REG(base, 0x34 + 4u * (joint % 4)) = pulse_us;
}

static void servo_pulse(uint8_t joint, uint16_t pulse_us, void *context) {
    (void)context;
    pulses[joint] = pulse_us;
    pwm_write(joint, pulse_us);
    if (pulse_us) {
        const hebb_servo *servo = &fw.servos[joint];
        targets[joint] = servo->offset + (float)servo->direction * ((float)pulse_us - (float)servo->center_us) /
                         servo->us_per_rad;
    }
}

static void read_joints(float *positions, float *speeds, uint8_t n, void *context) {
    (void)context;
    memcpy(positions, angles, sizeof(float) * n);
    memcpy(speeds, velocities, sizeof(float) * n);
}

static void read_imu(float rpy[3], float gyro[3], void *context) {
    (void)context;
    for (int k = 0; k < 3; ++k) rpy[k] = gyro[k] = 0.0f;
}

static void simulate_servos(float dt) {
    const float speed = 10.47f; /* rad/s: 0.1 s per 60 degrees */
    for (uint8_t j = 0; j < fw.n_joints; ++j) {
        float step = 0.0f;
        if (pulses[j]) {
            step = targets[j] - angles[j];
            if (step > speed * dt) step = speed * dt;
            if (step < -speed * dt) step = -speed * dt;
        }
        angles[j] += step;
        velocities[j] = dt > 0.0f ? step / dt : 0.0f;
    }
}

int main(void) {
    usart1_init(CORE_HZ);
    SYST_RVR = CORE_HZ / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = 7u;                /* processor clock, interrupt, enable */
    pwm_init();
    hebb_hal hal = {uart_write, servo_pulse, read_joints, read_imu, 0};
    hebb_firmware_init(&fw, &hal, 8);
#ifdef HEBB_ONBOARD_MODE
    hebb_onboard_init(&onboard, &fw, &model, HEBB_ONBOARD_SEED, now_us);
#endif
    uint32_t last = now_us();
    for (;;) {
        while (USART1_SR & (1u << 5)) { /* RXNE */
            uint8_t byte = (uint8_t)USART1_DR;
            hebb_firmware_receive(&fw, &byte, 1, now_us());
        }
        uint32_t now = now_us();
        if (now - last >= 1000u) {
            simulate_servos((float)(now - last) * 1e-6f);
            last = now;
            hebb_firmware_tick(&fw, now);
#ifdef HEBB_ONBOARD_MODE
            hebb_onboard_tick(&onboard, now);
#endif
        }
    }
}
