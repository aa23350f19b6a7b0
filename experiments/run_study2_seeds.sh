#!/usr/bin/env bash
# Round 2's second seeds (issue 27, section 2; docs/experiments.md, "Round 2"), 40 M env steps each, after
# run_study2.sh. Only c (evolved initial weights) beat its control at 40 M; the warm-started arms (a, d, e) matched
# theirs, so "the best two" are c and its control, each from scratch on a second seed:
#   r2-c-evolved-s1:  --init-weights evolved, seed 1 (seed 0 is r2-c-evolved)
#   r2-control-s1:    ant-robust's own protocol, seed 1 (seed 0 is ant-robust's own first 40 M env steps)
# and first one late-stage question that decides how the winner is trained (from scratch, or on from ant-robust):
#   r2-f-evolved-warm: evolved initial weights beside ant-robust's rules (a warm start: the initial weights start
#                      from one U(-0.1, 0.1) draw), the control's schedule: does c's gain carry to trained rules?
# and then one more arm from scratch, added when the gait analysis (docs/experiments.md, "What the gap to the static
# network is made of") found that sign units in the first layer cost a static network a fifth of its distance:
#   r2-g-max:          each layer divided by its largest |w| after every update (the paper's CarRacing setting):
#                      weights stay bounded, so the first layer can stay graded; seed 0 against ant-robust's run.
#                      Stopped at 13.4 M env steps (generation 172): population mean 5.7 where ant-robust's run
#                      stood at 260 (12 M): it does not learn to walk in the budget the others got; checkpoint in
#                      experiments/study2/r2-g-max, not run further by this queue.
# Scored afterwards on round 2's validation bodies, as the other arms:
#   hebbkit validate runs/r2-g-max runs/r2-c-evolved-s1 runs/r2-control-s1 runs/r2-f-evolved-warm \
#       --bodies standard validation2
# Each resumes runs/NAME, else the committed experiments/study2/NAME (commit it there at a session's end), else starts.
#   nohup experiments/run_study2_seeds.sh > runs/study2_seeds.log 2>&1 &
# Never edit this file while it runs (bash reads it as it goes).
set -euo pipefail
cd "$(dirname "$0")/.."
source experiments/queue_lib.sh
export VALIDATE=0

train_run r2-f-evolved-warm experiments/study2/r2-f-evolved-warm 40000000 --config ant-robust \
    --init-from models/ant-robust/model.npz --sigma 0.0648 --seed 1 --learning-rate 0.0227 \
    --learning-rate-decay 0.995 --init-weights evolved
train_run r2-c-evolved-s1 experiments/study2/r2-c-evolved-s1 40000000 --config ant-robust --seed 1 \
    --init-weights evolved
train_run r2-control-s1 experiments/study2/r2-control-s1 40000000 --config ant-robust --seed 1
