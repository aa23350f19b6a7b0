"""`hebbkit eval` and `hebbkit demo` say "walks after N steps" only when the body went forward (issue 31): a burst of
walking speed in episodes that end behind their start is reported as not walking."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hebbkit.trainer import evaluate
from hebbkit.trainer.episodes import cruise_step, summarise, walk_phrase


def outcomes(*pairs: tuple[float, int | None]) -> list[dict]:
    return [{"distance": distance, "walk_step": walk_step} for distance, walk_step in pairs]


def test_a_body_that_went_forward_walks_after_the_median_step():
    phrase = walk_phrase(summarise(outcomes((500.0, 40), (300.0, 60))))
    assert phrase == "walks after 50 steps (medians, 100% of episodes walked)"


def test_the_phrase_says_when_the_gait_reached_its_cruise_speed():
    runs = [{"distance": 900.0, "walk_step": 40, "cruise_step": 250}, {"distance": 800.0, "walk_step": 44,
                                                                        "cruise_step": 350},
            {"distance": 100.0, "walk_step": 60, "cruise_step": None}]  # e.g. stopped early: not counted
    phrase = walk_phrase(summarise(runs))
    assert phrase == "walks after 44 steps, at cruise speed after 300 (medians, 100% of episodes walked)"


def test_the_cruise_step_is_the_end_of_the_first_window_at_ninety_percent_of_the_second_halfs_speed():
    # 200 steps standing, then 1.0 per step: cruise 1.0; the first 100-step window at >= 0.9 ends at step 290
    curve = np.cumsum(np.r_[np.zeros(200), np.ones(800)]).tolist()
    assert cruise_step(curve) == 290
    # a ramp from 0 to 1 over 400 steps, then 1.0: the window ending after 411 steps averages 0.8999 (89 ramp
    # steps, 311/400 ... 399/400, and 11 at 1.0), the one ending after 412 steps 0.9021
    speeds = np.r_[np.arange(400) / 400, np.ones(600)]
    assert cruise_step(np.cumsum(speeds).tolist()) == 412
    assert cruise_step(np.cumsum(np.ones(150)).tolist()) is None  # shorter than two windows
    assert cruise_step(np.cumsum(np.r_[np.ones(500), -np.ones(500)]).tolist()) is None  # goes back in its second half


def test_reaching_walking_speed_but_ending_behind_the_start_is_not_walking():
    phrase = walk_phrase(summarise(outcomes((-120.0, 30), (-80.0, None))))
    assert phrase.startswith("did not walk") and "walks after" not in phrase
    assert "50% of episodes reached walking speed" in phrase


def test_never_reaching_walking_speed_is_not_walking():
    assert walk_phrase(summarise(outcomes((3.0, None), (-1.0, None)))) == "did not walk"


def test_eval_prints_no_walk_for_a_negative_distance(monkeypatch, capsys):
    report = {"artifact": "m.npz", "sha256": "0" * 64, "morphologies": {
        "front_left:lower:0.25+front_right:lower:0.25": {
            "episodes": [{"seed": 0, "distance": -277.3, "steps": 1000, "walk_step": 35}],
            **summarise(outcomes((-277.3, 35)))}}}
    monkeypatch.setattr(evaluate, "evaluate", lambda config: report)
    monkeypatch.setattr(evaluate, "load_metadata_network", lambda path: {})
    assert evaluate.run_eval(evaluate.EvalConfig(Path("m.npz"), episodes=1)) == 0
    printed = capsys.readouterr().out
    assert "distance  -277.30" in printed and "did not walk" in printed and "walks after" not in printed
