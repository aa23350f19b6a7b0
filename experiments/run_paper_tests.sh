#!/usr/bin/env bash
# Why `ant-paper` is below the paper (issue 27, section 4; docs/experiments.md, "Planned tests"): the protocol
# differences from the seed code that could matter, each trained once, in rank order, after the servo follow-up.
#   p4-t1-step:          the seed code's step size (standardised ranks, 3.44x ours) as it would continue from
#                        ant-paper's generation 650; control: ant-paper's own last 30 M env steps
#   p4-t2-first-release: the first public release as it ran: one rule per anti-diagonal with standardised ranks
#   p4-t4-early-stop:    the seed code's early-stop clock (policy steps after burn-in, streak counted once armed),
#                        20 M then 40 M
# T3 (pybullet 2.6.6) trains nothing. Each run is validated on ant-paper's validation bodies (`hebbkit validate`).
# Each resumes runs/NAME, else the committed experiments/paper/NAME (commit it there at a session's end), else starts.
#   nohup experiments/run_paper_tests.sh > runs/paper_tests.log 2>&1 &
# Never edit this file while it runs (bash reads it as it goes).
set -euo pipefail
cd "$(dirname "$0")/.."
source experiments/queue_lib.sh

train_run p4-t1-step experiments/paper/p4-t1-step 30000000 --config ant-paper \
    --init-from models/ant-paper/model.npz --fitness-shaping standardized-ranks --learning-rate 0.0077 \
    --sigma 0.0522 --seed 1
train_run p4-t2-first-release experiments/paper/p4-t2-first-release 40000000 --config ant-paper \
    --rule-family diagonal --fitness-shaping standardized-ranks
# T4 in two stages: at 13 M env steps its snapshot walked 558 / 330 / 185 on the standard / damaged / held-out body
# against ant-paper's 411 / 253 / 46 at the same env steps, so it runs to 40 M (the issue's upper bound, T2's budget)
# to see whether the lead holds where ant-paper's curve flattens.
train_stages p4-t4-early-stop experiments/paper/p4-t4-early-stop "20000000 40000000" --config ant-paper \
    --early-stop-clock policy
