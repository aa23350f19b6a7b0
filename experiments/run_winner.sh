#!/usr/bin/env bash
# Not run: on seed 1 c led its control on the standard body (672 vs 601) but not on validation2 (257 vs 295), so
# round 2 has no winner and ant-robust stays (docs/experiments.md, "Second seeds"). Kept for the record.
# Round 2's winner (issue 27, section 3), run only if c (evolved initial weights) leads its control again on seed 1
# (experiments/run_study2_seeds.sh: r2-c-evolved-s1 against r2-control-s1, means over their last three snapshots on
# the standard body and on validation2). Otherwise no arm beat the control and ant-robust, already trained to 150 M
# env steps with the control's settings, stays the model: go on with run_baseline.sh.
#   ant-robust-evolved: ant-robust's protocol (bodies sampled per generation, the same ES, seed 0) with evolved
#                       initial weights, i.e. c's run r2-c-evolved continued from its 40 M env steps. Seed 0 and the
#                       same bodies per generation as ant-robust's own run, so the two compare at every budget.
# In stages to ant-robust's budget, 150 M env steps; each stage is validated on round 2's bodies.
# Resumes runs/ant-robust-evolved, else the committed models/ant-robust-evolved/checkpoint, else c's committed run.
#   nohup experiments/run_winner.sh > runs/winner.log 2>&1 &
# Never edit this file while it runs (bash reads it as it goes).
set -euo pipefail
cd "$(dirname "$0")/.."
source experiments/queue_lib.sh
export VALIDATE_FLAGS="--bodies standard validation2"

source=models/ant-robust-evolved/checkpoint
[ -f "$source/checkpoint.npz" ] || source=experiments/study2/r2-c-evolved
train_stages ant-robust-evolved "$source" "60000000 90000000 120000000 150000000" \
    --config ant-robust --seed 0 --init-weights evolved
