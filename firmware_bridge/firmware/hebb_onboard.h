/* Onboard mode: the board runs an exported policy (hebbkit export --c) at the model's control rate from its own
 * joint feedback and IMU (the HAL), clamps to the configured limits and drives the servos; the host, when present,
 * supervises over protocol v2 (CONFIGURE, ENABLE, ESTOP; STATE plus ONBOARD telemetry: policy steps, guard resets,
 * step time). Safety stays in hebb_firmware: the e-stop latch (no pulses, policy stopped), the limits, and the
 * watchdog, which the policy's own commands keep fed, so the robot keeps walking when the host disappears and holds
 * its pose if the policy stops producing commands. Portable C99; needs hebb_model.h from the export. */
#ifndef HEBB_ONBOARD_H
#define HEBB_ONBOARD_H

#include <stdint.h>

#include "hebb_firmware.h"
#include "hebb_model.h"

typedef struct {
    hebb_firmware *fw;
    hebb_model *model;
    uint32_t (*clock_us)(void); /* a microsecond clock to time the step */
    uint64_t seed;              /* of the initial weights (PCG32), drawn at boot and at every guard reset */
    uint32_t next_step_us, next_report_us;
    uint32_t steps, step_us, max_step_us;
    uint16_t guard_resets;
    uint8_t running, runnable;
} hebb_onboard;

/* runnable only when the model commands positions of exactly fw->n_joints joints from observation sources */
void hebb_onboard_init(hebb_onboard *onboard, hebb_firmware *fw, hebb_model *model, uint64_t seed,
                       uint32_t (*clock_us)(void));
/* Call from the main loop after hebb_firmware_tick: runs a control step when one is due and the host has
 * configured and enabled the board without an e-stop; sends ONBOARD telemetry at the STATE rate. */
void hebb_onboard_tick(hebb_onboard *onboard, uint32_t now_us);

#endif
