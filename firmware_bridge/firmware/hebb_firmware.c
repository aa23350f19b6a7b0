#include "hebb_firmware.h"

#include <math.h>
#include <string.h>

static void send(hebb_firmware *fw, uint8_t type, const uint8_t *payload, size_t length) {
    uint8_t wire[HEBB_MAX_WIRE];
    size_t size = hebb_encode_frame(type, fw->seq++, payload, length, wire);
    fw->hal.uart_write(wire, size, fw->hal.context);
}

static void send_error(hebb_firmware *fw, uint8_t code, uint8_t refused) {
    uint8_t payload[2] = {code, refused};
    send(fw, HEBB_ERROR, payload, 2);
}

static void send_ack(hebb_firmware *fw, const hebb_frame *frame) {
    uint8_t payload[3] = {frame->type, 0, 0};
    hebb_put_u16(payload + 1, frame->seq);
    send(fw, HEBB_ACK, payload, 3);
}

uint16_t hebb_servo_pulse(const hebb_servo *servo, float angle) {
    float pulse = (float)servo->center_us + (float)servo->direction * (angle - servo->offset) * servo->us_per_rad;
    if (pulse < (float)servo->min_us) pulse = (float)servo->min_us;
    if (pulse > (float)servo->max_us) pulse = (float)servo->max_us;
    return (uint16_t)(pulse + 0.5f);
}

void hebb_firmware_init(hebb_firmware *fw, const hebb_hal *hal, uint8_t n_joints) {
    memset(fw, 0, sizeof *fw);
    fw->hal = *hal;
    fw->n_joints = n_joints > HEBB_MAX_JOINTS ? HEBB_MAX_JOINTS : n_joints;
    hebb_decoder_init(&fw->decoder);
    fw->watchdog_us = 100000u;
    fw->state_period_us = 10000u;
    for (uint8_t j = 0; j < fw->n_joints; ++j) {
        hebb_servo servo = {(int8_t)((j % 2) ? -1 : 1), 0.0f, 1500u, 500u, 2500u, 2000.0f / 3.14159265f};
        fw->servos[j] = servo;
        fw->lower[j] = -1.5f;
        fw->upper[j] = 1.5f;
    }
}

static void apply_outputs(hebb_firmware *fw) {
    int active = fw->enabled && !fw->estop;
    for (uint8_t j = 0; j < fw->n_joints; ++j) {
        fw->hal.servo_pulse(j, active ? hebb_servo_pulse(&fw->servos[j], fw->targets[j]) : 0u, fw->hal.context);
    }
}

static void hold_current_pose(hebb_firmware *fw) {
    float positions[HEBB_MAX_JOINTS], velocities[HEBB_MAX_JOINTS];
    fw->hal.read_joints(positions, velocities, fw->n_joints, fw->hal.context);
    memcpy(fw->targets, positions, sizeof(float) * fw->n_joints);
}

int hebb_seq_newer(uint16_t seq, uint16_t last) {
    uint16_t ahead = (uint16_t)(seq - last);
    return ahead != 0 && ahead < 0x8000u;
}

/* A frame accepted: its sequence number is the session's newest, unless it is a stop that came out of order. */
static void take(hebb_firmware *fw, const hebb_frame *frame) {
    if (fw->has_last_seq && !hebb_seq_newer(frame->seq, fw->last_seq)) return;
    fw->last_seq = frame->seq;
    fw->has_last_seq = 1;
}

/* ESTOP(1) and ENABLE(0) only ever stop the robot: they are never refused as stale. */
static int is_stop(const hebb_frame *frame) {
    return frame->length == 1 && ((frame->type == HEBB_ESTOP && frame->payload[0] == 1) ||
                                  (frame->type == HEBB_ENABLE && frame->payload[0] == 0));
}

static int all_finite(const uint8_t *floats, uint8_t count) {
    for (uint8_t k = 0; k < count; ++k) {
        if (!isfinite(hebb_get_f32(floats + 4 * k))) return 0;
    }
    return 1;
}

/* Every check comes before any change: a refused frame leaves the firmware exactly as it was. The order of the
 * checks is part of the protocol (docs/protocol.md, "What the reference firmware refuses"); the Python simulator
 * (firmware_bridge/simulator.py) makes the same checks in the same order. A frame of a type the firmware takes,
 * other than HELLO and the stops (ESTOP(1), ENABLE(0)), must be newer than the last frame accepted in the session (a
 * HELLO starts one): a replayed or delayed ESTOP(0) or COMMAND is refused with ERROR 7. */
static void handle(hebb_firmware *fw, const hebb_frame *frame, uint32_t now_us) {
    const uint8_t *p = frame->payload;
    uint16_t length = frame->length;
    uint8_t n = fw->n_joints;
    fw->frames_ok++;
    switch (frame->type) {
    case HEBB_HELLO: case HEBB_HEARTBEAT: case HEBB_CONFIGURE: case HEBB_ENABLE: case HEBB_ESTOP: case HEBB_COMMAND:
        if (frame->type != HEBB_HELLO && !is_stop(frame) && fw->has_last_seq &&
            !hebb_seq_newer(frame->seq, fw->last_seq)) {
            send_error(fw, HEBB_ERR_STALE, frame->type);
            return;
        }
        break;
    default:
        break;
    }
    switch (frame->type) {
    case HEBB_HELLO: {
        if (length != 1) { send_error(fw, HEBB_ERR_BAD_LENGTH, frame->type); return; }
        if (p[0] != HEBB_PROTOCOL_VERSION) { send_error(fw, HEBB_ERR_BAD_VERSION, frame->type); return; }
        uint8_t payload[10] = {HEBB_PROTOCOL_VERSION};
        strncpy((char *)payload + 1, HEBB_FIRMWARE_VERSION, 8);
        payload[9] = n;
        fw->last_seq = frame->seq; /* a new session starts here */
        fw->has_last_seq = 1;
        send(fw, HEBB_HELLO_ACK, payload, 10);
        return;
    }
    case HEBB_HEARTBEAT:
        if (length != 4) { send_error(fw, HEBB_ERR_BAD_LENGTH, frame->type); return; }
        take(fw, frame);
        fw->last_valid_us = now_us;
        fw->watchdog_tripped = 0;
        return;
    case HEBB_CONFIGURE: {
        if (length < 5 || length != 5u + 8u * p[0]) { send_error(fw, HEBB_ERR_BAD_LENGTH, frame->type); return; }
        uint16_t watchdog_ms = hebb_get_u16(p + 1), rate = hebb_get_u16(p + 3);
        int valid = p[0] == n && watchdog_ms > 0 && rate > 0 && rate <= 1000 && all_finite(p + 5, (uint8_t)(2 * n));
        for (uint8_t j = 0; valid && j < n; ++j) {
            valid = hebb_get_f32(p + 5 + 4 * j) <= hebb_get_f32(p + 5 + 4 * (n + j));
        }
        if (!valid) { send_error(fw, HEBB_ERR_BAD_VALUE, frame->type); return; }
        for (uint8_t j = 0; j < n; ++j) {
            fw->lower[j] = hebb_get_f32(p + 5 + 4 * j);
            fw->upper[j] = hebb_get_f32(p + 5 + 4 * (n + j));
        }
        fw->watchdog_us = 1000u * watchdog_ms;
        fw->state_period_us = 1000000u / rate;
        fw->configured = 1;
        take(fw, frame);
        send_ack(fw, frame);
        return;
    }
    case HEBB_ENABLE:
        if (length != 1) { send_error(fw, HEBB_ERR_BAD_LENGTH, frame->type); return; }
        if (p[0] > 1) { send_error(fw, HEBB_ERR_BAD_VALUE, frame->type); return; }
        if (p[0] && !fw->enabled) hold_current_pose(fw);
        take(fw, frame);
        fw->enabled = p[0];
        fw->last_valid_us = now_us;
        fw->watchdog_tripped = 0;
        send_ack(fw, frame);
        apply_outputs(fw);
        return;
    case HEBB_ESTOP:
        if (length != 1) { send_error(fw, HEBB_ERR_BAD_LENGTH, frame->type); return; }
        if (p[0] > 1) { send_error(fw, HEBB_ERR_BAD_VALUE, frame->type); return; }
        take(fw, frame);
        fw->estop = p[0];
        if (fw->estop) hold_current_pose(fw);
        send_ack(fw, frame);
        apply_outputs(fw);
        return;
    case HEBB_COMMAND: {
        if (length < 2 || length != 2u + 4u * p[1]) { send_error(fw, HEBB_ERR_BAD_LENGTH, frame->type); return; }
        if (fw->estop) { send_error(fw, HEBB_ERR_ESTOP_ACTIVE, frame->type); return; }
        if (!fw->configured) { send_error(fw, HEBB_ERR_NOT_CONFIGURED, frame->type); return; }
        /* position mode only (hobby servos take no effort command), one finite value per joint */
        if (p[0] != 0 || p[1] != n || !all_finite(p + 2, n)) {
            send_error(fw, HEBB_ERR_BAD_VALUE, frame->type);
            return;
        }
        fw->clamped = 0;
        for (uint8_t j = 0; j < n; ++j) {
            float value = hebb_get_f32(p + 2 + 4 * j);
            if (value < fw->lower[j]) { value = fw->lower[j]; fw->clamped = 1; }
            if (value > fw->upper[j]) { value = fw->upper[j]; fw->clamped = 1; }
            fw->targets[j] = value;
        }
        take(fw, frame);
        fw->last_valid_us = now_us;
        fw->watchdog_tripped = 0;
        apply_outputs(fw);
        return;
    }
    default: /* unknown, or a type the firmware sends but never receives */
        send_error(fw, HEBB_ERR_UNKNOWN_TYPE, frame->type);
    }
}

/* A peer speaking another protocol version gets ERROR 3, in its own framing when that is v1, so that a v1 host
 * reports "BAD_VERSION" instead of timing out; nothing else about the frame is looked at. */
static void refuse_version(hebb_firmware *fw, const hebb_frame *frame) {
    uint8_t payload[2] = {HEBB_ERR_BAD_VERSION, frame->type}, wire[HEBB_MAX_WIRE];
    uint16_t seq = fw->seq++;
    size_t size = frame->version == HEBB_LEGACY_VERSION ? hebb_encode_legacy_frame(HEBB_ERROR, seq, payload, 2, wire)
                                                        : hebb_encode_frame(HEBB_ERROR, seq, payload, 2, wire);
    fw->hal.uart_write(wire, size, fw->hal.context);
}

void hebb_firmware_receive(hebb_firmware *fw, const uint8_t *data, size_t length, uint32_t now_us) {
    hebb_frame frame;
    for (size_t i = 0; i < length; ++i) {
        int result = hebb_decoder_feed(&fw->decoder, data[i], &frame);
        if (result == HEBB_FEED_FRAME) handle(fw, &frame, now_us);
        else if (result == HEBB_FEED_OTHER_VERSION) refuse_version(fw, &frame);
    }
}

uint16_t hebb_firmware_status(const hebb_firmware *fw) {
    return (uint16_t)((fw->enabled ? HEBB_STATUS_TORQUE_ENABLED : 0) |
                      (fw->watchdog_tripped ? HEBB_STATUS_WATCHDOG_TRIPPED : 0) |
                      (fw->estop ? HEBB_STATUS_ESTOP_LATCHED : 0) | (fw->configured ? HEBB_STATUS_CONFIGURED : 0) |
                      (fw->clamped ? HEBB_STATUS_COMMAND_CLAMPED : 0));
}

void hebb_firmware_tick(hebb_firmware *fw, uint32_t now_us) {
    /* signed difference: a clock read that lands a tick before last_valid_us counts as no time, not 71 minutes */
    if (fw->enabled && !fw->watchdog_tripped && (int32_t)(now_us - fw->last_valid_us) > (int32_t)fw->watchdog_us) {
        fw->watchdog_tripped = 1;   /* no valid command or heartbeat: hold where the joints are */
        fw->watchdog_trips++;
        hold_current_pose(fw);
        apply_outputs(fw);
    }
    if ((int32_t)(now_us - fw->next_state_us) >= 0) {
        fw->next_state_us = now_us + fw->state_period_us;
        uint8_t payload[13 + 8 * HEBB_MAX_JOINTS + 24];
        float positions[HEBB_MAX_JOINTS], velocities[HEBB_MAX_JOINTS], rpy[3], gyro[3];
        fw->hal.read_joints(positions, velocities, fw->n_joints, fw->hal.context);
        fw->hal.read_imu(rpy, gyro, fw->hal.context);
        uint16_t status = hebb_firmware_status(fw);
        uint8_t n = fw->n_joints;
        hebb_put_u32(payload, now_us);
        hebb_put_u16(payload + 4, status);
        hebb_put_u16(payload + 6, fw->frames_ok);
        hebb_put_u16(payload + 8, (uint16_t)fw->decoder.crc_errors);
        hebb_put_u16(payload + 10, fw->watchdog_trips);
        payload[12] = n;
        for (uint8_t j = 0; j < n; ++j) {
            hebb_put_f32(payload + 13 + 4 * j, positions[j]);
            hebb_put_f32(payload + 13 + 4 * (n + j), velocities[j]);
        }
        for (int k = 0; k < 3; ++k) {
            hebb_put_f32(payload + 13 + 8 * n + 4 * k, rpy[k]);
            hebb_put_f32(payload + 13 + 8 * n + 12 + 4 * k, gyro[k]);
        }
        send(fw, HEBB_STATE, payload, 13u + 8u * n + 24u);
    }
}
