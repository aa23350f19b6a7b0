#!/usr/bin/env bash
# The Unitree A1's models (issue 29 section 2), one after another on both cores, after the Ant runs (one training at a
# time): the static baseline first (a quarter of the Hebbian model's env steps, shipped first, and whether it stands
# still under sampled bodies shows within its first stage), then the Hebbian model. Same protocol for both (presets a1-robust and a1-static, trainer/train_config.py): the A1's robot file
# (runtime/robots/unitree_a1.toml: PD position control, 5 ms physics), the observation a real A1 measures
# (proprio_contacts_action), bodies and actuators randomised as the Ant study found best (ant-robust's two bodies
# sampled per generation, from leg-scales-motors: segment scales and, in half of them, one leg's motors weakened)
# and the sim-to-real perturbations drawn per episode (--domain-randomization).
#   a1-hebbian: ABCD_lr rules, random initial weights every episode; 150 M env steps (ant-robust's budget)
#   a1-static:  a static network, fan-in-uniform initial weights (the paper's baseline); 60 M (ant-static's budget)
# An A1 control step cost ~1.3x the Ant's with 10 solver iterations, ~1.5-1.8x with the 50 it runs since 2026-12-07
# (benchmarks/env_step.py; joint limits held on damaged bodies, docs/robots.md): ~6-9 h and ~2.5-3.7 h at the Ant runs'
# 5,900-8,600 env steps/s (the medians in r2-c-evolved-s1's and ant-robust's log.csv, on two machines); about twice
# that on a machine whose Ant runs make 3,500-4,500 (2026-12-06/07: bare stepSimulation 2,615 steps/s per core
# against the 7,574 in docs/envs.md). Each resumes
# where it stopped: runs/NAME if it holds a checkpoint, else the committed models/NAME/checkpoint; a run that reached
# its env-step budget stops at once. Each run trains in stages of 30 M env steps, its snapshots validated after each
# on the standard body and round 2's held-out bodies (validation2: one per category, none in leg-scales-motors), so
# a flat held-out curve can end a run early (say so in the card). Watch a1-static's first 20 generations: from
# fan-in-uniform weights under sampled bodies the Ant's static network stood still (docs/experiments.md, "The
# like-for-like baseline"). Start it in the background:
#   nohup experiments/run_a1.sh > runs/a1.log 2>&1 &
# At the end of a session, copy each run's config.json, log.csv, validation.csv, checkpoint.npz and best.npz to
# models/NAME/checkpoint and commit them once. Ship the static baseline first, then the Hebbian model against it:
#   experiments/ship_model.sh a1-static runs/a1-static -
#   experiments/ship_model.sh a1-hebbian runs/a1-hebbian models/a1-static/model.npz
# Never edit this file while it runs (bash reads it as it goes).
set -euo pipefail
cd "$(dirname "$0")/.."
source experiments/queue_lib.sh

export VALIDATE_FLAGS="--bodies standard validation2"

train_stages a1-static models/a1-static/checkpoint "30000000 60000000" --config a1-static --seed 0
train_stages a1-hebbian models/a1-hebbian/checkpoint "30000000 60000000 90000000 120000000 150000000" \
    --config a1-robust --seed 0
