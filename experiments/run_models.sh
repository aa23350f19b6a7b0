#!/usr/bin/env bash
# The shipped models' long runs (issue 12 section 3), one after another on both cores, in the issue's order. Each
# resumes where it stopped: runs/NAME if it holds a checkpoint, else the committed models/NAME/checkpoint; a run
# that reached its env-step budget stops at once. Start it in the background and leave it:
#   nohup experiments/run_models.sh > runs/models.log 2>&1 &
# At the end of a session, copy each run's config.json, log.csv, validation.csv and *.npz (not the snapshots) to
# models/NAME/checkpoint and commit them once.
set -euo pipefail
cd "$(dirname "$0")/.."
source experiments/queue_lib.sh

# ant-robust continues the study's winner, variant d (bodies sampled per generation): same settings, more budget.
# It started from runs/study-d-bodies at 20 M env steps; since then it resumes from models/ant-robust/checkpoint.
if [ ! -f runs/ant-robust/checkpoint.npz ] && [ ! -f models/ant-robust/checkpoint/checkpoint.npz ]; then
    mkdir -p runs/ant-robust && cp -r runs/study-d-bodies/. runs/ant-robust/
fi
train_run ant-robust models/ant-robust/checkpoint 150000000
train_run ant-paper models/ant-paper/checkpoint 150000000
train_run servo-proprio models/servo-proprio/checkpoint 82500000    # 32.5 M so far + 50 M
