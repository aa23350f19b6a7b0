#!/usr/bin/env bash
# Learning-quality study, round 2 (docs/experiments.md): where variants END, not how fast they start. Warm starts from
# ant-robust's shipped rules (generation 435, 150 M env steps of the `ant-robust` protocol), 40 M env steps each, seed 1
# (the same noise stream in every arm), sigma 0.0648 (where the run had decayed it), the `ant-robust` bodies.
# Section a, the step-size schedule (the paper's SGD step had decayed 0.2 -> 0.023 by generation 435):
#   r2-a-const:   0.05, no decay
#   r2-a-restart: 0.2 x 0.995 again (the paper's schedule, restarted)
#   r2-a-decay:   0.0227 x 0.995 (the control: the paper's schedule continued where it was)
# Sections b and c change what the rules do from the first step: from scratch, `ant-robust`'s protocol and seed 0 (the
# same bodies every generation as ant-robust's own first 40 M env steps, the control at equal budget):
#   r2-b-standardize: each layer's weights standardised after every update (Leung et al. 2025)
#   r2-c-evolved:     initial weights evolved beside the rules (the seed code's "coevolve")
# Sections d and e take a's winning schedule (the control's: no schedule beat it, docs/experiments.md):
#   r2-d-wide:   the wider body distribution (leg-scales-wide)
#   r2-e-pop256: population 256 (half the generations at the same budget)
# Snapshots are scored afterwards on round 2's validation bodies (VALIDATE=0 here; see docs/experiments.md):
#   hebbkit validate runs/r2-* --bodies standard validation2 --no-progress
# Each resumes runs/NAME, else the committed experiments/study2/NAME (commit it there at a session's end), else starts.
#   nohup experiments/run_study2.sh > runs/study2.log 2>&1 &
# Never edit this file while it runs (bash reads it as it goes).
set -euo pipefail
cd "$(dirname "$0")/.."
source experiments/queue_lib.sh
export VALIDATE=0
WARM=(--config ant-robust --init-from models/ant-robust/model.npz --sigma 0.0648 --seed 1)

train_run r2-a-const experiments/study2/r2-a-const 40000000 "${WARM[@]}" \
    --learning-rate 0.05 --learning-rate-decay 1.0
train_run r2-a-restart experiments/study2/r2-a-restart 40000000 "${WARM[@]}" \
    --learning-rate 0.2 --learning-rate-decay 0.995
train_run r2-a-decay experiments/study2/r2-a-decay 40000000 "${WARM[@]}" \
    --learning-rate 0.0227 --learning-rate-decay 0.995
train_run r2-b-standardize experiments/study2/r2-b-standardize 40000000 --config ant-robust --seed 0 \
    --weight-norm standardize
train_run r2-c-evolved experiments/study2/r2-c-evolved 40000000 --config ant-robust --seed 0 --init-weights evolved
train_run r2-d-wide experiments/study2/r2-d-wide 40000000 "${WARM[@]}" \
    --learning-rate 0.0227 --learning-rate-decay 0.995 --body-distribution leg-scales-wide
train_run r2-e-pop256 experiments/study2/r2-e-pop256 40000000 "${WARM[@]}" \
    --learning-rate 0.0227 --learning-rate-decay 0.995 --population 256
