/* Sanitizer harness for the firmware logic (built with -fsanitize=address,undefined by the tests).
 *
 * Sends N near-valid frames through hebb_firmware_receive, with hebb_firmware_tick in between on a clock that
 * starts just before the uint32 wrap: every message type (and unknown ones, and v1 framing), sizes at and around the
 * right one, joint counts, flags, watchdog and state rates, and floats that probe every check (NaN, infinities,
 * huge, out of limits). The HAL checks that every servo pulse is 0 (no torque) or within the servo's range, and
 * decodes everything the firmware sends: every byte must belong to a valid frame; every target must stay finite.
 * Usage: fuzz_firmware [frames] [seed]. Prints counts as "name value" pairs; exit status 0 only if no pulse left its
 * range, no target became NaN or infinite and every output frame decoded.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hebb_firmware.h"
#include "fuzz_random.h"

#define JOINTS 8u


static hebb_firmware fw;
static hebb_decoder output;
static long pulses, bad_pulses, bad_targets, answers[256], error_codes[256], v1_errors, out_of_frame;

static void uart_write(const uint8_t *data, size_t length, void *context) {
    (void)context;
    hebb_frame frame;
    for (size_t i = 0; i < length; ++i) {
        int result = hebb_decoder_feed(&output, data[i], &frame);
        if (result == HEBB_FEED_FRAME) {
            answers[frame.type]++;
            if (frame.type == HEBB_ERROR) error_codes[frame.payload[0]]++;
        }
        if (result == HEBB_FEED_OTHER_VERSION) v1_errors++; /* an ERROR 3 in v1 framing, for a v1 frame */
    }
    if (length < 2 || data[0] != 0 || data[length - 1] != 0) ++out_of_frame;
}

static void servo_pulse(uint8_t joint, uint16_t pulse_us, void *context) {
    (void)context;
    if (joint >= JOINTS) {
        ++bad_pulses;
        return;
    }
    const hebb_servo *servo = &fw.servos[joint];
    if (pulse_us) ++pulses;
    if (pulse_us && (pulse_us < servo->min_us || pulse_us > servo->max_us)) ++bad_pulses;
}

static void read_joints(float *positions, float *velocities, uint8_t n, void *context) {
    (void)context;
    for (uint8_t j = 0; j < n; ++j) {
        positions[j] = fw.targets[j]; /* servos that arrive at once */
        velocities[j] = 0.0f;
    }
}

static void read_imu(float rpy[3], float gyro[3], void *context) {
    (void)context;
    for (int k = 0; k < 3; ++k) rpy[k] = gyro[k] = 0.0f;
}

static float random_float(void) {
    static const float special[] = {0.0f, 0.5f, -0.75f, 1.0f, -2.0f, 3e38f, -3e38f, 1e-40f};
    uint32_t pick = next_random() % 16;
    if (pick < 8) return special[pick];
    if (pick == 8) return NAN;
    if (pick == 9) return INFINITY;
    if (pick == 10) return -INFINITY;
    return ((float)(next_random() % 4001) - 2000.0f) / 1000.0f;
}

static uint8_t random_count(void) {
    static const uint8_t counts[] = {JOINTS, JOINTS, JOINTS, JOINTS, 0, 7, 9, 16, 17, 255};
    return counts[next_random() % sizeof counts];
}

/* A payload for `type`, usually the right size; returns its length. */
static size_t make_payload(uint8_t type, uint8_t *p) {
    size_t length;
    if (type == HEBB_CONFIGURE) {
        uint8_t n = random_count();
        static const uint16_t watchdogs[] = {0, 1, 100, 65535}, rates[] = {0, 1, 100, 1000, 1001, 65535};
        p[0] = n;
        hebb_put_u16(p + 1, watchdogs[next_random() % 4]);
        hebb_put_u16(p + 3, rates[next_random() % 6]);
        length = 5u + 8u * n;
        if (length > 200) length = 200;
        for (size_t k = 0; 5 + 4 * k + 4 <= length; ++k) {
            float value = next_random() % 5 ? (k < n ? -1.0f : 1.0f) : random_float();
            hebb_put_f32(p + 5 + 4 * k, value);
        }
    } else if (type == HEBB_COMMAND) {
        uint8_t n = random_count();
        static const uint8_t modes[] = {0, 0, 0, 1, 2, 255};
        p[0] = modes[next_random() % 6];
        p[1] = n;
        length = 2u + 4u * n;
        if (length > 200) length = 200;
        for (size_t k = 0; 2 + 4 * k + 4 <= length; ++k) {
            hebb_put_f32(p + 2 + 4 * k, next_random() % 3 ? ((float)(next_random() % 401) - 200.0f) / 100.0f
                                                            : random_float());
        }
    } else if (type == HEBB_ENABLE || type == HEBB_ESTOP || type == HEBB_HELLO) {
        static const uint8_t flags[] = {0, 1, 1, 1, 2, 3, 255};
        p[0] = flags[next_random() % 7];
        if (type == HEBB_ESTOP && next_random() % 2) p[0] = 0; /* mostly released: commands get through */
        length = 1;
    } else {
        static const size_t sizes[] = {0, 2, 3, 4, 10, 101};
        length = sizes[next_random() % 6];
        for (size_t i = 0; i < length; ++i) p[i] = (uint8_t)next_random();
    }
    uint32_t change = next_random() % 10;
    if (change == 0 && length > 0) --length;           /* one byte short */
    if (change == 1) p[length++] = (uint8_t)next_random(); /* one byte long */
    return length;
}

int main(int argc, char **argv) {
    long frames = argc > 1 ? atol(argv[1]) : 100000;
    if (argc > 2) state ^= (uint64_t)atoll(argv[2]) * 0x9E3779B97F4A7C15ull;
    hebb_hal hal = {uart_write, servo_pulse, read_joints, read_imu, 0};
    hebb_firmware_init(&fw, &hal, JOINTS);
    hebb_decoder_init(&output);
    static const uint8_t types[] = {HEBB_HELLO, HEBB_HEARTBEAT, HEBB_CONFIGURE, HEBB_ENABLE, HEBB_ESTOP,
                                    HEBB_COMMAND, HEBB_COMMAND, HEBB_COMMAND, HEBB_STATE, HEBB_ACK, HEBB_HELLO_ACK,
                                    0x00, 0x7F};
    uint8_t payload[256], wire[HEBB_MAX_WIRE];
    uint32_t now = 0xFFFF0000u; /* the clock wraps about 65 ms in */
    uint16_t host_seq = 0;
    for (long n = 0; n < frames; ++n) {
        uint8_t type = next_random() % 8 ? types[next_random() % sizeof types] : (uint8_t)next_random();
        size_t length = make_payload(type, payload);
        /* mostly the host's counting (some frames taken, some refused as stale), sometimes a random number */
        uint16_t seq = next_random() % 8 ? ++host_seq : (uint16_t)next_random();
        size_t size = next_random() % 50 ? hebb_encode_frame(type, seq, payload, length, wire)
                                         : hebb_encode_legacy_frame(type, seq, payload, length, wire);
        hebb_firmware_receive(&fw, wire, size, now);
        now += next_random() % 3000u;
        hebb_firmware_tick(&fw, now);
        for (uint8_t j = 0; j < JOINTS; ++j) bad_targets += !isfinite(fw.targets[j]);
    }
    printf("frames %ld acks %ld hello_acks %ld states %ld errors %ld unknown_type %ld bad_length %ld "
           "bad_version %ld v1_bad_version %ld not_configured %ld estop_active %ld bad_value %ld stale %ld "
           "watchdog_trips %u "
           "pulses %ld bad_pulses %ld bad_targets %ld output_crc_errors %u output_malformed %u out_of_frame %ld\n",
           frames, answers[HEBB_ACK], answers[HEBB_HELLO_ACK], answers[HEBB_STATE], answers[HEBB_ERROR], error_codes[1],
           error_codes[2], error_codes[3], v1_errors, error_codes[4], error_codes[5], error_codes[6], error_codes[7],
           fw.watchdog_trips, pulses, bad_pulses, bad_targets, output.crc_errors, output.malformed, out_of_frame);
    int clean = bad_pulses == 0 && bad_targets == 0 && output.crc_errors == 0 && output.malformed == 0;
    return (clean && out_of_frame == 0) ? 0 : 1;
}
