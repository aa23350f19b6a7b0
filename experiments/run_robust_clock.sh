#!/usr/bin/env bash
# ant-robust's protocol with the seed code's early-stop clock (issue 27 sections 3 and 4; docs/experiments.md, "T4,
# measured"): T4 changed only the clock from ant-paper's protocol and led it at equal env steps on the standard body
# and the held-out damaged one. Every Hebbian preset trains with the env clock, ant-robust's included, so this run
# changes that one item of ant-robust's protocol (same preset, same seed 0: the same bodies sampled per generation)
# and is compared with ant-robust's own validation at the same env steps (models/ant-robust/checkpoint/
# validation.csv: its first 40 M, 5 episodes per body on the default validation bodies, as here).
#   ant-robust-clock: --config ant-robust --early-stop-clock policy, 20 M then 40 M env steps
# If it leads at 40 M it is the winner to train on to ant-robust's 150 M budget and ship (a later stage, by hand).
# Resumes runs/ant-robust-clock, else the committed experiments/robust-clock (commit it there at a session's end).
#   nohup experiments/run_robust_clock.sh > runs/robust_clock.log 2>&1 &
# Never edit this file while it runs (bash reads it as it goes).
set -euo pipefail
cd "$(dirname "$0")/.."
source experiments/queue_lib.sh

train_stages ant-robust-clock experiments/robust-clock "20000000 40000000" --config ant-robust \
    --early-stop-clock policy --seed 0
