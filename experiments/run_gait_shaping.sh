#!/usr/bin/env bash
# Round 3 of the learning-quality study (issue 27, faster Hebbian gaits; docs/experiments.md, "Round 3"). Every
# Hebbian Ant trained from scratch walks on its rear legs with strides half as long as the static network's
# four-legged gait, and the gait type is fixed in the first ~10 M env steps. This arm changes what those first
# generations reward, then lets distance alone decide:
#   r3-duty-shaped:         ant-robust's protocol and seed, 10 M env steps with --foot-duty-bonus 2 (forward
#                           progress x (1 + 2 x the least-used foot's duty factor): a gait on every foot outscores
#                           one that holds a leg up at the same distance)
#   r3-duty-then-distance:  its rules and ES step size continued to 40 M env steps in all on distance alone (seed 1
#                           for fresh ES noise), against round 2's control (ant-robust's protocol, 40 M) at equal
#                           env steps
# Both validated on round 2's bodies (standard + validation2); the gait: experiments/gait_analysis.py RUN/latest.npz.
# Each resumes runs/NAME, else the committed experiments/study3/NAME (commit it there at a session's end, with its
# latest.npz), else starts.
#   nohup experiments/run_gait_shaping.sh > runs/gait_shaping.log 2>&1 &
# Never edit this file in place while it runs (bash reads it as it goes; a new file moved over it is safe).
set -euo pipefail
cd "$(dirname "$0")/.."
source experiments/queue_lib.sh
export VALIDATE_FLAGS="--bodies standard validation2"

train_run r3-duty-shaped experiments/study3/r3-duty-shaped 10000000 --config ant-robust --seed 0 \
    --foot-duty-bonus 2
# the shaped run's last sigma and learning rate (to 4 decimals), so the ES continues its schedule
es_step=$(last_es_step runs/r3-duty-shaped)
read -r sigma learning_rate <<< "$es_step"
sigma=$(printf '%.4f' "$sigma")
learning_rate=$(printf '%.4f' "$learning_rate")
train_run r3-duty-then-distance experiments/study3/r3-duty-then-distance 30000000 --config ant-robust --seed 1 \
    --init-from runs/r3-duty-shaped/latest.npz --sigma "$sigma" --learning-rate "$learning_rate"
