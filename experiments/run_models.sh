#!/usr/bin/env bash
# The shipped models' long runs (issue 12 section 3), one after another on both cores, in the issue's order, with
# the study's winning settings (docs/experiments.md). Each resumes where it stopped: runs/NAME if it holds a
# checkpoint, else the committed models/NAME/checkpoint; a run that reached its env-step budget stops at once.
# Start it in the background and leave it:
#   nohup experiments/run_models.sh > runs/models.log 2>&1 &
# At the end of a session, copy each run's config.json, log.csv, validation.csv, checkpoint.npz and best.npz (not
# latest.npz or the snapshots) to models/NAME/checkpoint and commit them once. Never edit this file while it runs
# (bash reads it as it goes).
set -euo pipefail
cd "$(dirname "$0")/.."
source experiments/queue_lib.sh

# study variant d (bodies sampled per generation) continued: its first 20 M env steps are the study's
train_run ant-robust models/ant-robust/checkpoint 150000000
# the paper's protocol, continued from its 61.6 M-step run
train_run ant-paper models/ant-paper/checkpoint 150000000
train_run servo-proprio models/servo-proprio/checkpoint 82500000    # 32.5 M so far + 50 M
# the static baseline retrained as the paper's starts it (fan-in-uniform weights; the first one started from N(0, 1),
# its log is models/ant-static/normal-init-run)
train_run ant-static-fan-in models/ant-static/checkpoint 60000000 --config ant-static
