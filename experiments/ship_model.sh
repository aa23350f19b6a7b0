#!/usr/bin/env bash
# Ship a legged model from its training run: the run's latest ES mean (or ARTIFACT, e.g. a snapshot that validation
# chose) becomes models/NAME/model.npz, then the card's evidence is regenerated on seeds no training used (100
# episodes per body, seeds 0-99):
#   eval_100_episodes.json     standard, damaged_right_front, damaged_left_front
#   unseen-bodies/             the bodies it never saw, against the static baseline (100 episodes each)
#   suite/                     the sim-to-real suite (30 episodes per condition)
#   training_curve.png         from the run's log
# and the run's resumable files (after `hebbkit validate` scored its new snapshots) are copied to
# models/NAME/checkpoint (commit them once per session).
#   experiments/ship_model.sh NAME [RUN_DIR] [BASELINE] [ARTIFACT]     (BASELINE -: no baseline column, e.g. servo-proprio)
#   (defaults: runs/NAME, models/ant-static/model.npz, RUN_DIR/latest.npz; on a machine without runs/, RUN_DIR may be
#   the committed models/NAME/checkpoint when it holds the run's final latest.npz)
# Stop the training first (kill -INT: it checkpoints); the evaluations use both cores.
set -euo pipefail
cd "$(dirname "$0")/.."
source experiments/ship_lib.sh
name=$1
run=${2:-runs/$name}
baseline=${3:-models/ant-static/model.npz}
artifact=${4:-$run/latest.npz}
model=models/$name
if [ -d "$run/snapshots" ]; then "$HEBBKIT" validate "$run" --no-progress; fi   # the new snapshots' held-out curve
ship_files "$run" "$model" "$artifact" checkpoint
"$HEBBKIT" eval "$model/model.npz" --bodies standard damaged_right_front damaged_left_front --episodes 100 \
    --json --no-progress > "$model/eval_100_episodes.json"
baseline_flags=()
if [ "$baseline" != "-" ]; then baseline_flags=(--baseline "$baseline"); fi
"$HEBBKIT" suite "$model/model.npz" --suite unseen-bodies "${baseline_flags[@]}" --episodes 100 \
    --output "$model/unseen-bodies" --no-progress
"$HEBBKIT" suite "$model/model.npz" --suite sim2real "${baseline_flags[@]}" --episodes 30 \
    --output "$model/suite" --no-progress
echo "shipped $model: update its README.md (tables from eval_100_episodes.json, unseen-bodies/suite.md, suite/suite.md)"
