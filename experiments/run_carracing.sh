#!/usr/bin/env bash
# The CarRacing driver's long run (issue 16), after experiments/run_models.sh has finished: never both on the same
# cores. Trains on envpool's C++ CarRacing-v3 (every candidate in lockstep, ~5x the Gymnasium pipeline), then scores
# the run's snapshots on Gymnasium's CarRacing-v3, the env the scores are reported on (`hebbkit validate`).
# The paper's network and protocol with the diagonal rule family (one rule per anti-diagonal of each layer, 5,160
# coefficients instead of 456,640): the per-synapse run stayed at a random driver's score (mean 6.4-6.7) for 115
# generations; the neuron-centric one left it within 15 and settled at 30-36 (its cars dither the steering); the
# diagonal one passed both within 23 (docs/carracing.md).
# Resumes runs/carracing-diagonal, else the committed models/carracing-paper/checkpoint-envpool; a stage whose budget
# the run has already reached ends at once (after scoring any snapshot not yet scored). Start it and leave it:
#   nohup experiments/run_carracing.sh > runs/carracing.log 2>&1 &
# Budget: the paper's 300 generations x 200 candidates at full 1,000-step episodes (early stops spend less, so the
# run goes on for more generations within it). Never edit this file while it runs (bash reads it as it goes).
set -euo pipefail
cd "$(dirname "$0")/.."
source experiments/queue_lib.sh

# In stages of 10 M env steps, each followed by the Gymnasium validation of every 5th new snapshot (every 50
# generations, 5 episodes of 1,000 steps each): a run that spans several sessions shows on the reference env, as it
# goes, whether what it learns on envpool transfers (the two envs render differently: docs/carracing.md).
VALIDATE_FLAGS="--every 5"
train_stages carracing-diagonal models/carracing-paper/checkpoint-envpool \
    "10000000 20000000 30000000 40000000 50000000 60000000" \
    --config carracing-paper --carracing-env envpool --rule-family diagonal
