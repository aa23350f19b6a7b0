/* The reference firmware's logic, independent of any board: protocol handling, command clamping, watchdog,
 * e-stop latch, state reports and servo pulse widths. A board port supplies the HAL and calls
 * hebb_firmware_receive() with UART bytes and hebb_firmware_tick() from its main loop. Portable C99. */
#ifndef HEBB_FIRMWARE_H
#define HEBB_FIRMWARE_H

#include <stddef.h>
#include <stdint.h>

#include "hebb_protocol.h"

typedef struct {
    void (*uart_write)(const uint8_t *data, size_t length, void *context);
    void (*servo_pulse)(uint8_t joint, uint16_t pulse_us, void *context); /* 0: no pulse (torque off) */
    void (*read_joints)(float *positions, float *velocities, uint8_t n, void *context);
    void (*read_imu)(float roll_pitch_yaw[3], float angular_velocity[3], void *context);
    void *context;
} hebb_hal;

/* One hobby servo: pulse = center_us + direction * (angle - offset) * us_per_rad, within [min_us, max_us]. */
typedef struct {
    int8_t direction;
    float offset;
    uint16_t center_us, min_us, max_us;
    float us_per_rad;
} hebb_servo;

typedef struct {
    hebb_hal hal;
    hebb_decoder decoder;
    hebb_servo servos[HEBB_MAX_JOINTS];
    uint8_t n_joints;
    float lower[HEBB_MAX_JOINTS], upper[HEBB_MAX_JOINTS], targets[HEBB_MAX_JOINTS];
    uint32_t watchdog_us, state_period_us, last_valid_us, next_state_us;
    uint8_t configured, enabled, estop, watchdog_tripped, clamped;
    uint16_t seq, watchdog_trips, frames_ok;
    /* the session: the sequence number of the last frame accepted since the last HELLO (or since boot) */
    uint16_t last_seq;
    uint8_t has_last_seq;
} hebb_firmware;

#define HEBB_FIRMWARE_VERSION "ref-2.0"

/* Defaults: the reference servo quadruped's 8 hobby servos (1500 us centre, 500-2500 us, 180 deg over 2000 us). */
void hebb_firmware_init(hebb_firmware *fw, const hebb_hal *hal, uint8_t n_joints);
void hebb_firmware_receive(hebb_firmware *fw, const uint8_t *data, size_t length, uint32_t now_us);
void hebb_firmware_tick(hebb_firmware *fw, uint32_t now_us);
uint16_t hebb_servo_pulse(const hebb_servo *servo, float angle);
/* The STATE frame's status bits (HEBB_STATUS_*). */
uint16_t hebb_firmware_status(const hebb_firmware *fw);
/* 1 when `seq` is newer than `last` in 16-bit serial arithmetic (RFC 1982): 1 to 32,767 frames ahead, wrapping. */
int hebb_seq_newer(uint16_t seq, uint16_t last);

#endif
