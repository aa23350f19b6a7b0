/* Host build of the firmware for tests: a HAL that captures UART output and servo pulses, and a simulated servo
 * (the joint moves towards its commanded angle at a speed limit) and a level IMU. Driven through ctypes. */
#include <stdlib.h>
#include <string.h>

#include "hebb_firmware.h"

typedef struct {
    hebb_firmware fw;
    uint8_t output[1 << 16];
    size_t output_fill;
    uint16_t pulses[HEBB_MAX_JOINTS];
    float positions[HEBB_MAX_JOINTS], velocities[HEBB_MAX_JOINTS];
    float speed;          /* rad/s */
    uint32_t last_us;
} hebb_host;

static void uart_write(const uint8_t *data, size_t length, void *context) {
    hebb_host *host = context;
    if (host->output_fill + length <= sizeof host->output) {
        memcpy(host->output + host->output_fill, data, length);
        host->output_fill += length;
    }
}

static void servo_pulse(uint8_t joint, uint16_t pulse_us, void *context) {
    ((hebb_host *)context)->pulses[joint] = pulse_us;
}

static void read_joints(float *positions, float *velocities, uint8_t n, void *context) {
    hebb_host *host = context;
    memcpy(positions, host->positions, sizeof(float) * n);
    memcpy(velocities, host->velocities, sizeof(float) * n);
}

static void read_imu(float rpy[3], float gyro[3], void *context) {
    (void)context;
    for (int k = 0; k < 3; ++k) rpy[k] = gyro[k] = 0.0f;
}

hebb_host *host_create(uint8_t n_joints, float servo_speed) {
    hebb_host *host = calloc(1, sizeof *host);
    if (!host) return NULL;
    hebb_hal hal = {uart_write, servo_pulse, read_joints, read_imu, host};
    hebb_firmware_init(&host->fw, &hal, n_joints);
    host->speed = servo_speed;
    return host;
}

void host_destroy(hebb_host *host) { free(host); }

void host_receive(hebb_host *host, const uint8_t *data, size_t length, uint32_t now_us) {
    hebb_firmware_receive(&host->fw, data, length, now_us);
}

/* Advance the simulated servos to now_us, then run the firmware's tick. */
void host_tick(hebb_host *host, uint32_t now_us) {
    float dt = (float)(now_us - host->last_us) * 1e-6f;
    host->last_us = now_us;
    for (uint8_t j = 0; j < host->fw.n_joints; ++j) {
        float velocity = 0.0f;
        if (host->pulses[j]) {
            float target = host->fw.targets[j], step = target - host->positions[j], limit = host->speed * dt;
            if (step > limit) step = limit;
            if (step < -limit) step = -limit;
            host->positions[j] += step;
            velocity = dt > 0.0f ? step / dt : 0.0f;
        }
        host->velocities[j] = velocity;
    }
    hebb_firmware_tick(&host->fw, now_us);
}

size_t host_take_output(hebb_host *host, uint8_t *out, size_t capacity) {
    size_t size = host->output_fill < capacity ? host->output_fill : capacity;
    memcpy(out, host->output, size);
    memmove(host->output, host->output + size, host->output_fill - size);
    host->output_fill -= size;
    return size;
}

uint16_t host_pulse(const hebb_host *host, uint8_t joint) { return host->pulses[joint]; }
uint16_t host_watchdog_trips(const hebb_host *host) { return host->fw.watchdog_trips; }
uint16_t host_status(const hebb_host *host) { return hebb_firmware_status(&host->fw); }
float host_target(const hebb_host *host, uint8_t joint) { return host->fw.targets[joint]; }
float host_lower(const hebb_host *host, uint8_t joint) { return host->fw.lower[joint]; }
float host_upper(const hebb_host *host, uint8_t joint) { return host->fw.upper[joint]; }

/* The decoder's counters: frames, crc_errors, malformed, overflows, version_errors. */
void host_decoder_counters(const hebb_host *host, uint32_t out[5]) {
    const hebb_decoder *decoder = &host->fw.decoder;
    uint32_t counters[5] = {decoder->frames, decoder->crc_errors, decoder->malformed, decoder->overflows,
                            decoder->version_errors};
    memcpy(out, counters, sizeof counters);
}
