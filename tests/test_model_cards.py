"""The shipped models' evidence and the tables that quote it agree.

Each model ships `eval_100_episodes.json` (written by `hebbkit eval MODEL --bodies standard damaged_right_front
damaged_left_front --episodes 100 --json`; a CarRacing driver's by `experiments/ship_carracing.sh`, with its envpool
twin `eval_100_episodes_envpool.json`). It must describe the `model.npz` shipped beside it (a re-shipped model
with a stale report fails here), and every distance it reports must appear, as `mean +- std`, in the model's card
(a driver's card: the whole row `experiments/carracing_scores.py` prints for each env);
the README's Results table and `docs/results.md` quote the Ant models' numbers from the same reports. That the
episodes themselves replay is `tests/adaptation/`'s job.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hebbkit.runtime import load_artifact
from tests.conftest import load_script

ROOT = Path(__file__).resolve().parents[1]
MODELS = sorted(path.parent.name for path in (ROOT / "models").glob("*/eval_100_episodes.json"))
README_MODELS = ("ant-robust", "ant-static-robust", "ant-paper", "ant-static")  # the README Results table's Ant models
DRIVERS = [model for model in MODELS  # the CarRacing drivers: a convolutional front end
           if load_artifact(ROOT / "models" / model / "model.npz").network.frontend is not None]


def report(model: str) -> dict:
    return json.loads((ROOT / "models" / model / "eval_100_episodes.json").read_text())


def quoted(entry: dict) -> str:
    """A body's result as the tables write it, e.g. `1,384.1 +- 44.4`."""
    return f"{entry['distance_mean']:,.1f} +- {entry['distance_std']:,.1f}"


def section(text: str, heading: str) -> str:
    """The text under `heading` up to the next heading of the same level."""
    level = heading.split(" ")[0] + " "
    start = text.index(heading + "\n")
    end = text.find("\n" + level, start + len(heading))
    return text[start:] if end < 0 else text[start:end]


def test_every_shipped_model_ships_its_evaluation():
    shipped = sorted(p.parent.name for p in (ROOT / "models").glob("*/model.npz"))
    assert shipped == MODELS


@pytest.mark.parametrize("model", DRIVERS)
def test_a_shipped_driver_also_ships_its_score_on_the_env_it_trained_on(model):
    envpool = json.loads((ROOT / "models" / model / "eval_100_episodes_envpool.json").read_text())
    assert envpool["sha256"] == report(model)["sha256"] and envpool["config"]["carracing_env"] == "envpool"


@pytest.mark.parametrize("model", DRIVERS)
def test_a_driver_card_quotes_its_score_rows_on_both_envs(model):
    scores = load_script(ROOT / "experiments" / "carracing_scores.py")
    card = (ROOT / "models" / model / "README.md").read_text()
    for name in ("eval_100_episodes.json", "eval_100_episodes_envpool.json"):
        row = scores.score_row(json.loads((ROOT / "models" / model / name).read_text()))
        assert row.cells() in card, f"models/{model}/README.md does not quote {name}: {row.cells()}"


@pytest.mark.parametrize("model", MODELS)
def test_the_evaluation_report_is_of_the_shipped_model(model):
    evidence = report(model)
    assert evidence["sha256"] == load_artifact(ROOT / "models" / model / "model.npz").sha256(), \
        f"models/{model}/eval_100_episodes.json was written for another model.npz: re-run its evaluation"
    assert evidence["config"]["episodes"] == 100 and evidence["config"]["seed"] == 0


@pytest.mark.parametrize("model", MODELS)
def test_the_card_quotes_its_evaluation(model):
    card = (ROOT / "models" / model / "README.md").read_text()
    for body, entry in report(model)["morphologies"].items():
        assert quoted(entry) in card, f"models/{model}/README.md does not quote {body}: {quoted(entry)}"


@pytest.mark.parametrize("document, heading", [("README.md", "## Results"),
                                                ("docs/results.md", "# Results")])
def test_the_results_tables_quote_the_shipped_ant_models(document, heading):
    text = section((ROOT / document).read_text(), heading)
    for model in README_MODELS:
        for body, entry in report(model)["morphologies"].items():
            assert quoted(entry) in text, f"{document} ({heading}) does not quote {model} on {body}: {quoted(entry)}"


POSITION_MODELS = [model for model in MODELS
                   if load_artifact(ROOT / "models" / model / "model.npz").profile.actuation == "position"]
KNOWN_LIMIT_SLIP = {"servo-proprio": "trained in 5 ms physics steps, where impacts carried its knees past their stops "
                                    "(docs/envs.md, \"Joint limits\"): 0.157 rad on damaged_right_front at 2.5 ms"}


@pytest.mark.parametrize("model", [
    pytest.param(model, marks=pytest.mark.xfail(strict=True, reason=KNOWN_LIMIT_SLIP[model]))
    if model in KNOWN_LIMIT_SLIP else model for model in POSITION_MODELS])
def test_a_position_robots_model_keeps_its_joints_within_their_limits(model):
    """Over its 100 evaluation episodes per body no joint goes further past a limit than `robot check` tolerates
    (PyBullet's solver lets a joint driven hard slip a little; a real robot's stops do not)."""
    from hebbkit.trainer.robot_check import LIMIT_SLIP

    for body, summary in report(model)["morphologies"].items():
        excess = summary.get("joint_limit_excess_max")
        assert excess is not None, f"models/{model}/eval_100_episodes.json predates the joint-limit report: re-run it"
        assert excess < LIMIT_SLIP, f"{model} on {body}: a joint {excess:.3f} rad past its limit"
