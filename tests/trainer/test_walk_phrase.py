"""`hebbkit eval` and `hebbkit demo` say "walks after N steps" only when the body went forward (issue 31): a burst of
walking speed in episodes that end behind their start is reported as not walking."""

from __future__ import annotations

from pathlib import Path

from hebbkit.trainer import evaluate
from hebbkit.trainer.episodes import summarise, walk_phrase


def outcomes(*pairs: tuple[float, int | None]) -> list[dict]:
    return [{"distance": distance, "walk_step": walk_step} for distance, walk_step in pairs]


def test_a_body_that_went_forward_walks_after_the_median_step():
    phrase = walk_phrase(summarise(outcomes((500.0, 40), (300.0, 60))))
    assert phrase == "walks after 50 steps (median, 100% of episodes)"


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
