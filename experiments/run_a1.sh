#!/usr/bin/env bash
# The Unitree A1's models (issue 29 section 2), one after another on both cores, after the Ant runs (one training at a
# time): the static baseline first (a quarter of the Hebbian model's env steps, shipped first, and whether it stands
# still under sampled bodies shows within its first stage), then the Hebbian model. Same protocol for both (presets a1-robust and a1-static, trainer/train_config.py): the A1's robot file
# (runtime/robots/unitree_a1.toml: PD position control, 5 ms physics), the observation a real A1 measures
# (proprio_contacts_action), bodies and actuators randomised as the Ant study found best (ant-robust's two bodies
# sampled per generation, from leg-scales-motors: segment scales and, in half of them, one leg's motors weakened)
# and the sim-to-real perturbations drawn per episode (--domain-randomization), with the seed code's early-stop clock
# (--early-stop-clock policy: T4 in docs/experiments.md; with it ant-paper's protocol walked further at equal env steps).
#   a1-hebbian: ABCD_lr rules, random initial weights every episode; 150 M env steps (ant-robust's budget)
#   a1-static:  a static network, fan-in-uniform initial weights (the paper's baseline); 60 M (ant-static's budget)
#               (a pilot first, below)
# An A1 control step cost ~1.3x the Ant's with 10 solver iterations, ~1.5-1.8x with the 50 it runs since 2026-12-07
# (benchmarks/env_step.py; joint limits held on damaged bodies, docs/robots.md): ~6-9 h and ~2.5-3.7 h at the Ant runs'
# 5,900-8,600 env steps/s (the medians in r2-c-evolved-s1's and ant-robust's log.csv, on two machines); about twice
# that on a machine whose Ant runs make 3,500-4,500 (2026-12-06/07: bare stepSimulation 2,615 steps/s per core
# against the 7,574 in docs/envs.md). Each resumes
# where it stopped: runs/NAME if it holds a checkpoint, else the committed models/NAME/checkpoint; a run that reached
# its env-step budget stops at once. Each run trains in stages of 30 M env steps, its snapshots validated after each
# on the standard body and round 2's held-out bodies (validation2: one per category, none in leg-scales-motors), so
# a flat held-out curve can end a run early (say so in the card). From fan-in-uniform weights under sampled bodies
# the Ant's static network stood still (docs/experiments.md, "The like-for-like baseline"), so a1-static starts with
# a pilot of 5 M env steps (experiments/left_the_ground.py reads its log); if no candidate left the standing plateau
# it starts on the standard body alone (a1-static-standard, 30 M) and continues under the full protocol
# (a1-static-robust, 60 M), as the Ant's baseline did. Start it in the background:
#   nohup experiments/run_a1.sh > runs/a1.log 2>&1 &
# At the end of a session, copy each run's config.json, log.csv, validation.csv, checkpoint.npz, latest.npz and
# best.npz to its committed directory (the first argument after the run's name below) and commit them once. Ship the
# static baseline first (from runs/a1-static-robust if the pilot took the fallback), then the Hebbian model against it:
#   experiments/ship_model.sh a1-static runs/a1-static -
#   experiments/ship_model.sh a1-hebbian runs/a1-hebbian models/a1-static/model.npz
# Never edit this file while it runs (bash reads it as it goes).
set -euo pipefail
cd "$(dirname "$0")/.."
source experiments/queue_lib.sh

export VALIDATE_FLAGS="--bodies standard validation2"
PYTHON=${PYTHON:-.venv/bin/python}
MIN_BEST=${MIN_BEST:-20}  # a candidate this far has left the standing plateau (experiments/left_the_ground.py)

# a1-static, pilot: its first 5 M env steps say whether static weights leave the ground under this protocol (untrained
# they stand: -2.3 to 3.6; under sampled bodies the Ant's never did, docs/experiments.md "The like-for-like baseline").
train_run a1-static models/a1-static/checkpoint 5000000 --config a1-static --seed 0
if "$PYTHON" experiments/left_the_ground.py runs/a1-static --min-best "$MIN_BEST"; then
    train_stages a1-static models/a1-static/checkpoint "30000000 60000000" --config a1-static --seed 0
else
    # As the Ant's like-for-like baseline did: static weights first on the standard body alone (no sampled bodies, no
    # randomisation: preset a1-static-standard), to 30 M env steps, then continued under the full protocol for 60 M
    # (a1-static-robust, shipped as models/a1-static) from its mean, its ES step and noise carried over. It has seen
    # the standard body first and more env steps in all: if anything this favours the static side.
    train_run a1-static-standard models/a1-static/checkpoint-standard 5000000 --config a1-static-standard --seed 0
    if "$PYTHON" experiments/left_the_ground.py runs/a1-static-standard --min-best "$MIN_BEST"; then
        train_run a1-static-standard models/a1-static/checkpoint-standard 30000000 --config a1-static-standard \
            --seed 0
        es_step=$(last_es_step runs/a1-static-standard)  # its last generation's sigma and learning rate
        read -r sigma learning_rate <<< "$es_step"
        train_stages a1-static-robust models/a1-static/checkpoint-robust "30000000 60000000" --config a1-static \
            --seed 0 --static-init normal --init-from runs/a1-static-standard/latest.npz --sigma "$sigma" \
            --learning-rate "$learning_rate"
    else
        echo "$(date -u +%FT%TZ) a1-static: static weights stand still on the A1 even on the standard body alone;" \
             "no static A1 model (runs/a1-static, runs/a1-static-standard: their log.csv)" >&2
    fi
fi
train_stages a1-hebbian models/a1-hebbian/checkpoint "30000000 60000000 90000000 120000000 150000000" \
    --config a1-robust --seed 0
