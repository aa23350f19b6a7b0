"""A CI-sized slice of the sim-to-real adaptation suite, run against every shipped model.

Each shipped model (`models/<name>/model.npz`) comes with the full suite it was evaluated on
(`models/<name>/suite/suite.json`, from `hebbkit suite models/<name>/model.npz --suite sim2real --episodes N
--output models/<name>/suite`). The slice replays four conditions with the first three seeds of that run and requires,
per condition, a mean distance of at least half the full run's mean over the same seeds: a change that breaks
adaptation (the rule maths, the runtime, the env's dynamics) drops the distance far below that, while the
chaotic-but-healthy drift of a harmless numerical change does not. Half, because three episodes of a plastic
controller on a chaotic simulator can legitimately move by tens of percent after any change to the float order.
Conditions where a model does not walk in the full run (mean below WALKS) are replayed but not held to a share.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hebbkit.runtime import load_artifact
from hebbkit.trainer.suite import SIM2REAL, run_suite

MODELS = Path(__file__).resolve().parents[2] / "models"
SHIPPED = sorted(path.parent for path in MODELS.glob("*/model.npz") if (path.parent / "suite" / "suite.json").exists())
SLICE = ("standard", "damaged_left_front", "latency_1", "leg_breaks_at_500")
EPISODES = 3
FRACTION = 0.5
WALKS = 20.0  # conditions where the full run's mean is below this distance (no gait: e.g. a model on a damaged
# body it cannot walk on) hold no adaptation to protect; half of a near-zero distance would only test the noise


def test_every_shipped_legged_model_has_its_full_suite():
    """The suite's conditions (friction, mass, actuators, latency, leg damage) are a legged robot's; the CarRacing
    driver is replayed by `test_carracing_replay.py` instead."""
    for model in MODELS.glob("*/model.npz"):
        if load_artifact(model).network.frontend is not None:
            continue
        assert (model.parent / "suite" / "suite.json").exists(), f"{model.parent.name} ships without its suite"


def test_every_shipped_model_has_a_model_card():
    for model in MODELS.glob("*/model.npz"):
        card = model.parent / "README.md"
        assert card.exists(), f"{model.parent.name} ships without a model card"
        text = card.read_text().lower()
        for entry in ("training command", "seed", "generations", "wall time", "machine", "git commit", "evaluation"):
            assert entry in text, f"{card} lacks {entry!r}"


def own_label(report: dict, model: Path) -> str:
    """The label under which a suite report holds `model`'s own results: a suite run with a baseline holds two
    (labelled by rule, "hebbian" and "static"), and a static model's is not the first."""
    own = [label for label, path in report["artifacts"].items() if Path(path).parent.name == model.name]
    assert len(own) == 1, f"{model.name}/suite/suite.json does not hold {model.name}'s results: {report['artifacts']}"
    return own[0]


@pytest.mark.parametrize("model", SHIPPED, ids=lambda path: path.name)
def test_slice_keeps_at_least_half_the_full_runs_distance(model):
    full = json.loads((model / "suite" / "suite.json").read_text())
    label = own_label(full, model)
    conditions = [c for c in SIM2REAL if c.name in SLICE]
    report = run_suite({label: model / "model.npz"}, conditions, episodes=EPISODES, seed=full["seed"],
                       max_steps=full["max_steps"], burn_in=full["burn_in"], workers=2, progress=False)
    for condition in conditions:
        reference = np.mean(full["results"][label][condition.name]["distances"][:EPISODES])
        got = report["results"][label][condition.name]["distance_mean"]
        if reference >= WALKS:
            assert got >= FRACTION * reference, (condition.name, got, reference)
