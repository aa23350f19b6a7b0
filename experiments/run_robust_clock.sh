#!/usr/bin/env bash
# ant-robust's protocol with the seed code's early-stop clock (issue 27 sections 3 and 4; docs/experiments.md, T4):
# T4 changed only the clock of ant-paper's protocol and led it at equal env steps on the standard body and on the
# held-out damaged one. Every Ant preset trains with the env clock, ant-robust's included, so this run changes that
# one item of ant-robust's protocol (same preset, same seed 0: the same bodies sampled per generation) and is compared
# with ant-robust's own validation at the same env steps (models/ant-robust/checkpoint/validation.csv: 5 episodes per
# body on the default validation bodies, as here).
#   ant-robust-clock: --config ant-robust --early-stop-clock policy, 20 M then 40 M env steps; then, only if it leads
#   ant-robust at 40 M on the standard body and on the mean of the other validation bodies (the last 3 snapshots,
#   experiments/leads_at_budget.py; decided before the run, not tuned on evaluation bodies), on to ant-robust's
#   150 M budget in stages, as the winner to ship (by hand: experiments/ship_model.sh, against ant-static-robust).
# Resumes runs/ant-robust-clock, else the committed experiments/robust-clock (commit it there at a session's end).
#   nohup experiments/run_robust_clock.sh > runs/robust_clock.log 2>&1 &
# Never edit this file while it runs (bash reads it as it goes).
set -euo pipefail
cd "$(dirname "$0")/.."
source experiments/queue_lib.sh

PYTHON=${PYTHON:-.venv/bin/python}
flags=(--config ant-robust --early-stop-clock policy --seed 0)
train_stages ant-robust-clock experiments/robust-clock "20000000 40000000" "${flags[@]}"
status=0
"$PYTHON" experiments/leads_at_budget.py runs/ant-robust-clock models/ant-robust/checkpoint --budget 40000000 \
    --last 3 || status=$?
case $status in
    0) train_stages ant-robust-clock experiments/robust-clock "70000000 100000000 150000000" "${flags[@]}" ;;
    1) echo "$(date -u +%FT%TZ) ant-robust-clock stops at 40 M env steps: it does not lead ant-robust there" ;;
    *) exit "$status" ;;  # the comparison could not be made (its one line says why): decide by hand
esac
