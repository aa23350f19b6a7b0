#!/usr/bin/env bash
# The study's remaining runs, one after another on both cores (docs/experiments.md). Each run resumes where it
# stopped: a run committed in experiments/ is copied to runs/ first; a run that reached its env-step budget stops at
# once. Start it in the background and leave it:  nohup experiments/run_study.sh > runs/study.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/.."
HEBBKIT=${HEBBKIT:-.venv/bin/hebbkit}
BUDGET=${BUDGET:-20000000}

run() {
    local name=$1
    shift
    if [ ! -d "runs/$name" ] && [ -d "experiments/$name" ]; then
        mkdir -p runs && cp -r "experiments/$name" runs/
    fi
    if [ -f "runs/$name/checkpoint.npz" ]; then
        "$HEBBKIT" train --resume "runs/$name" --no-progress
    else
        "$HEBBKIT" train "$@" --env-steps-budget "$BUDGET" --generations 5000 --run-dir "runs/$name" --no-progress
    fi
    "$HEBBKIT" validate "runs/$name" --no-progress
}

run study-c1-neuron --config ant-paper --rule-family neuron
run study-d-bodies --config ant-robust
run study-c2-diagonal --config ant-paper --rule-family diagonal
