#!/usr/bin/env bash
# Ship a CarRacing model from its envpool run (issue 16): the run's latest ES mean (or ARTIFACT, e.g. a snapshot
# that the Gymnasium validation chose) becomes MODEL_DIR/model.npz, then the card's evidence, on the
# 100 tracks of seeds 0-99 (training draws its seeds as 32-bit values from a SeedSequence, so practically never these):
#   eval_100_episodes.json          Gymnasium's CarRacing-v3, the reference every reported score comes from
#   eval_100_episodes_envpool.json  envpool's CarRacing-v3, the env it trained on (its tracks differ per seed)
#   driving.gif                     one episode from random weights (seed 0), Gymnasium's full-resolution frames
#   training_curve.png              from the run's log
# and the run's resumable files are copied to MODEL_DIR/checkpoint-envpool (commit them once per session).
#   experiments/ship_carracing.sh [RUN_DIR] [ARTIFACT] [MODEL_DIR]
#   (defaults: runs/carracing-diagonal, RUN_DIR/latest.npz, models/carracing-paper; the static baseline:
#   experiments/ship_carracing.sh runs/carracing-static runs/carracing-static/latest.npz models/carracing-static)
# Stop the training first (kill -INT: it checkpoints); the evaluations use both cores (~15 min).
set -euo pipefail
cd "$(dirname "$0")/.."
source experiments/ship_lib.sh
run=${1:-runs/carracing-diagonal}
artifact=${2:-$run/latest.npz}
model=${3:-models/carracing-paper}
if [ -d "$run/snapshots" ]; then "$HEBBKIT" validate "$run" --no-progress --every 5; fi   # scored on Gymnasium
ship_files "$run" "$model" "$artifact" checkpoint-envpool
"$HEBBKIT" eval "$model/model.npz" --episodes 100 --burn-in 0 --json --no-progress > "$model/eval_100_episodes.json"
"$HEBBKIT" eval "$model/model.npz" --episodes 100 --burn-in 0 --carracing-env envpool --json --no-progress \
    > "$model/eval_100_episodes_envpool.json"
"$HEBBKIT" record "$model/model.npz" --seed 0 --burn-in 0 --output "$model/driving.gif"
echo "shipped $model: update its README.md; its table rows: .venv/bin/python experiments/carracing_scores.py" \
    "$model/eval_100_episodes.json $model/eval_100_episodes_envpool.json"
