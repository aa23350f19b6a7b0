#!/usr/bin/env bash
# The paper's CarRacing comparison (issue 16): the static baseline, the same conv front end and 648-128-64-3 layers
# with every weight evolved directly and none plastic (`--config carracing-static`, 92,690 weights; paper 711 +- 16
# against the Hebbian 872 +- 11). Trains on envpool's C++ CarRacing-v3 in the Hebbian driver's protocol (population
# 200, seed 0, the paper's early stop), scored on Gymnasium's CarRacing-v3 after each stage, like run_carracing.sh.
# Resumes runs/carracing-static, else the committed models/carracing-static/checkpoint-envpool. Start it and leave it
# (never beside another training on the same cores, never edit this file while it runs):
#   nohup experiments/run_carracing_static.sh > runs/carracing-static.log 2>&1 &
# Budget: the Hebbian driver's 20.8 M env steps (its shipped generation 186), then on to its 60 M.
set -euo pipefail
cd "$(dirname "$0")/.."
source experiments/queue_lib.sh

VALIDATE_FLAGS="--every 5"  # every 50 generations, 5 episodes each
train_stages carracing-static models/carracing-static/checkpoint-envpool \
    "10000000 20830099 30000000 40000000 50000000 60000000" --config carracing-static --carracing-env envpool
