#!/usr/bin/env bash
# A driver that loses no track (issue 30, part 2), after the static baseline (run_carracing_static.sh): the shipped
# driver (models/carracing-paper, one rule per anti-diagonal, envpool) continued with the levers docs/carracing.md
# ("What the car does on the tracks it loses") points to. It leaves the road at sharp corners on about one track in
# three, and one track per candidate pair ranks a pair by whether its track had such a corner. Here every candidate of
# a generation drives the same 3 tracks (--shared-episodes, new tracks every generation) and is scored by the worst
# of them (--episode-aggregate min), so a rule that misses a corner ranks below one that takes it on the same corner.
# The ES step and noise continue from the driver's last generation (lr 0.079, sigma 0.083); seed 1 for new noise.
# Budget: 20 M env steps (the driver's own budget again), in two stages, each scored on Gymnasium's CarRacing-v3
# (targets: mean >= 900 and no episode below 700 over 100 episodes on fresh seeds). Resumes runs/carracing-driver,
# else the committed models/carracing-paper/checkpoint-driver.
#   nohup experiments/run_carracing_driver.sh > runs/carracing-driver.log 2>&1 &
# Never edit this file while it runs (bash reads it as it goes).
set -euo pipefail
cd "$(dirname "$0")/.."
source experiments/queue_lib.sh

VALIDATE_FLAGS="--every 5"
train_stages carracing-driver models/carracing-paper/checkpoint-driver "10000000 20000000" \
    --config carracing-paper --carracing-env envpool --rule-family diagonal \
    --init-from models/carracing-paper/model.npz --episodes 3 --shared-episodes --episode-aggregate min \
    --learning-rate 0.079 --sigma 0.083 --seed 1
