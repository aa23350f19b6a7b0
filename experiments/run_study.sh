#!/usr/bin/env bash
# The study's runs, one after another on both cores (docs/experiments.md); variant a is the shipped ant-paper run.
# Each run resumes where it stopped: a run committed in experiments/ with its checkpoint is copied to runs/ first; a
# run that reached its env-step budget stops at once (c1, c2); one kept without a checkpoint (b, d) starts over.
# Start it in the background and leave it:  nohup experiments/run_study.sh > runs/study.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/.."
source experiments/queue_lib.sh
BUDGET=${BUDGET:-20000000}

train_run study-b-adam experiments/study-b-adam "$BUDGET" --config ant-paper --optimizer adam --learning-rate 0.01 \
    --learning-rate-decay 1.0 --init-std 0.1
train_run study-c1-neuron experiments/study-c1-neuron "$BUDGET" --config ant-paper --rule-family neuron
train_run study-d-bodies experiments/study-d-bodies "$BUDGET" --config ant-robust
train_run study-c2-diagonal experiments/study-c2-diagonal "$BUDGET" --config ant-paper --rule-family diagonal
