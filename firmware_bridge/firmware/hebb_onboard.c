/* See hebb_onboard.h. */
#include "hebb_onboard.h"

#include <math.h>
#include <string.h>

void hebb_onboard_init(hebb_onboard *onboard, hebb_firmware *fw, hebb_model *model, uint64_t seed,
                       uint32_t (*clock_us)(void)) {
    memset(onboard, 0, sizeof *onboard);
    onboard->fw = fw;
    onboard->model = model;
    onboard->seed = seed;
    onboard->clock_us = clock_us;
    int runnable = HEBB_MODEL_N_ACTIONS == fw->n_joints && HEBB_MODEL_HAS_OBSERVATION_SOURCES &&
                   strcmp(HEBB_MODEL_ACTION_MODE, "position") == 0;
    for (int i = 0; i < HEBB_MODEL_N_INPUTS; ++i) { /* every source within the buffers control_step hands over */
        const int source = hebb_model_observation_source[i], index = hebb_model_observation_index[i];
        const int imu = source == HEBB_MEASURE_ROLL_PITCH_YAW || source == HEBB_MEASURE_ANGULAR_VELOCITY;
        if (source >= HEBB_N_MEASUREMENTS || index >= (imu ? 3 : (int)HEBB_MAX_JOINTS)) runnable = 0;
    }
    onboard->runnable = (uint8_t)runnable;
    hebb_model_init(model, seed);
}

static void report(hebb_onboard *onboard) {
    hebb_firmware *fw = onboard->fw;
    uint8_t payload[11], wire[HEBB_MAX_WIRE];
    hebb_put_u32(payload, onboard->steps);
    hebb_put_u16(payload + 4, onboard->guard_resets);
    hebb_put_u16(payload + 6, (uint16_t)(onboard->step_us > 0xFFFFu ? 0xFFFFu : onboard->step_us));
    hebb_put_u16(payload + 8, (uint16_t)(onboard->max_step_us > 0xFFFFu ? 0xFFFFu : onboard->max_step_us));
    payload[10] = onboard->running;
    size_t size = hebb_encode_frame(HEBB_ONBOARD, fw->seq++, payload, sizeof payload, wire);
    fw->hal.uart_write(wire, size, fw->hal.context);
}

static void control_step(hebb_onboard *onboard, uint32_t now_us) {
    hebb_firmware *fw = onboard->fw;
    const uint8_t n = fw->n_joints;
    static float positions[HEBB_MAX_JOINTS], velocities[HEBB_MAX_JOINTS], rpy[3], gyro[3], contacts[HEBB_MAX_JOINTS];
    static const float unused[HEBB_MAX_JOINTS] = {0};
    fw->hal.read_joints(positions, velocities, n, fw->hal.context);
    fw->hal.read_imu(rpy, gyro, fw->hal.context);
    const float *measurements[HEBB_N_MEASUREMENTS];
    for (int k = 0; k < HEBB_N_MEASUREMENTS; ++k) measurements[k] = unused; /* sim-only measurements read 0 */
    measurements[HEBB_MEASURE_JOINT_POSITION] = positions;
    measurements[HEBB_MEASURE_JOINT_VELOCITY] = velocities;
    measurements[HEBB_MEASURE_ROLL_PITCH_YAW] = rpy;
    measurements[HEBB_MEASURE_ANGULAR_VELOCITY] = gyro;
    measurements[HEBB_MEASURE_FOOT_CONTACT] = contacts; /* no contact sensors on the reference board */
    float observation[HEBB_MODEL_N_INPUTS], command[HEBB_MODEL_N_ACTIONS];
    hebb_model_observe(measurements, observation);
    const uint32_t start = onboard->clock_us();
    const float *action = hebb_model_step(onboard->model, observation, 1);
    onboard->step_us = onboard->clock_us() - start;
    if (onboard->step_us > onboard->max_step_us) onboard->max_step_us = onboard->step_us;
    onboard->steps++;
    /* the kernel flags updates that left every |w| <= 1e15; only otherwise look at every weight */
    int finite = onboard->model->network.weights_small || hebb_model_weights_finite(onboard->model);
    for (int j = 0; j < HEBB_MODEL_N_ACTIONS; ++j) finite = finite && isfinite(action[j]);
    if (!finite) { /* the guard: back to the initial weights, keep the last commands this step */
        onboard->guard_resets++;
        hebb_model_reset(onboard->model, onboard->seed);
        return;
    }
    hebb_model_command(action, command);
    fw->clamped = 0;
    for (uint8_t j = 0; j < n; ++j) {
        float value = command[j];
        if (value < fw->lower[j]) { value = fw->lower[j]; fw->clamped = 1; }
        if (value > fw->upper[j]) { value = fw->upper[j]; fw->clamped = 1; }
        fw->targets[j] = value;
        fw->hal.servo_pulse(j, hebb_servo_pulse(&fw->servos[j], value), fw->hal.context);
    }
    fw->last_valid_us = now_us; /* the policy's commands feed the watchdog like the host's do */
    fw->watchdog_tripped = 0;
}

void hebb_onboard_tick(hebb_onboard *onboard, uint32_t now_us) {
    hebb_firmware *fw = onboard->fw;
    const int active = onboard->runnable && fw->configured && fw->enabled && !fw->estop;
    if (active && !onboard->running) onboard->next_step_us = now_us;
    onboard->running = (uint8_t)active;
    if (active && (int32_t)(now_us - onboard->next_step_us) >= 0) {
        onboard->next_step_us += HEBB_MODEL_CONTROL_PERIOD_US;
        if ((int32_t)(now_us - onboard->next_step_us) >= 0) { /* overran a whole period: do not try to catch up */
            onboard->next_step_us = now_us + HEBB_MODEL_CONTROL_PERIOD_US;
        }
        control_step(onboard, now_us);
    }
    if ((int32_t)(now_us - onboard->next_report_us) >= 0) {
        onboard->next_report_us = now_us + fw->state_period_us;
        report(onboard);
    }
}
