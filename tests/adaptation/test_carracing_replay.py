"""The shipped CarRacing driver still drives: one episode of its 100-episode Gymnasium evaluation replayed.

`models/carracing-paper/eval_100_episodes.json` records every episode's score. Seed 1 is replayed (a finished lap
in 779 steps; tens of seconds on one core) and must score at least half of what it scored then: a change that
breaks the driver (the rule maths, the conv front end, the preprocessing, the env) drops it to a random driver's
~0-30, while a harmless change of float order only moves a chaotic Box2D episode by a little.
"""

from __future__ import annotations

import json
from pathlib import Path

from hebbkit.trainer.episodes import EpisodeTask, run_task

MODEL = Path(__file__).resolve().parents[2] / "models" / "carracing-paper"
SEED = 1


def test_the_shipped_driver_replays_an_evaluation_episode():
    report = json.loads((MODEL / "eval_100_episodes.json").read_text())
    recorded = next(e for e in report["morphologies"]["standard"]["episodes"] if e["seed"] == SEED)
    assert report["config"]["burn_in"] == 0 and report["config"]["max_steps"] == 1000
    outcome = run_task(EpisodeTask(str(MODEL / "model.npz"), "standard", SEED, max_steps=1000, burn_in=0))
    assert outcome["distance"] >= 0.5 * recorded["distance"], (outcome, recorded)
