"""The sim-to-real suite machinery: conditions, recovery time, outputs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hebbkit.runtime import ANT28, NetworkSpec, new_artifact, save_artifact
from hebbkit.trainer.suite import SIM2REAL, recovery_steps, run_suite, write_outputs


def test_the_suite_covers_the_issues_conditions():
    names = {c.name for c in SIM2REAL}
    assert {"standard", "damaged_right_front", "damaged_left_front", "actuators_x0.7", "actuators_x1.3",
            "friction_x0.5", "friction_x1.5", "torso_mass_+30%", "obs_noise_0.05", "latency_1", "latency_2",
            "leg_breaks_at_500"} == names


def test_recovery_time():
    walk = np.arange(900, dtype=float) * 0.1  # 0.1 per step throughout
    assert recovery_steps(walk, 460) == 0
    slowed = walk.copy()
    slowed[460:] = slowed[460] + np.concatenate([np.zeros(100), np.arange(340) * 0.1])  # stops 100 steps
    assert 60 <= recovery_steps(slowed, 460) <= 100
    assert recovery_steps(np.full(900, 3.0), 460) is None  # never walked


def test_suite_runs_and_writes_table_json_and_plots(tmp_path):
    hebbian = save_artifact(new_artifact(NetworkSpec(), profile=ANT28, seed=1), tmp_path / "h.npz")
    conditions = [c for c in SIM2REAL if c.name in ("standard", "latency_2", "leg_breaks_at_500")]
    report = run_suite({"hebbian": hebbian, "again": hebbian}, conditions, episodes=2, seed=5, max_steps=560,
                       workers=2, progress=False)
    assert set(report["results"]) == {"hebbian", "again"}
    standard = report["results"]["hebbian"]["standard"]
    assert len(standard["distances"]) == 2
    assert report["results"]["hebbian"] == report["results"]["again"]  # same seeds, same episodes
    breaking = report["results"]["hebbian"]["leg_breaks_at_500"]
    assert len(breaking["mean_curve"]) == 520 and "recovery_steps" in breaking
    written = write_outputs(report, tmp_path / "out")
    assert {p.name for p in written} == {"suite.json", "suite.md", "distance_per_condition.png",
                                         "damage_recovery.png"}
    assert json.loads((tmp_path / "out" / "suite.json").read_text())["episodes"] == 2
    assert "| leg_breaks_at_500 |" in (tmp_path / "out" / "suite.md").read_text()
    assert standard["retained"] == 1.0 or standard["distance_mean"] <= 0  # each condition against standard
    assert standard["speed_m_per_s"] == standard["distance_mean"] / 520
    assert standard["speed_body_lengths_per_s"] is None  # the Ant has no body length defined


def test_speed_is_summed_progress_over_the_planned_steps_in_body_lengths():
    from hebbkit.trainer.envs.bodies import SERVO_QUADRUPED
    from hebbkit.trainer.suite import speed_summary

    # progress is displacement / dt per step: 96 summed over 960 steps of 0.02 s = 1.92 m in 19.2 s = 0.1 m/s
    summary = speed_summary(np.array([90.0, 102.0]), 960, SERVO_QUADRUPED.length)
    assert summary["speed_m_per_s"] == pytest.approx(0.1)
    assert summary["speed_body_lengths_per_s"] == pytest.approx(0.5)


def test_the_unseen_bodies_suite_lists_every_unseen_body_after_standard():
    from hebbkit.trainer.envs.body_sets import ALL_UNSEEN_BODIES, UNSEEN_CATEGORIES
    from hebbkit.trainer.suite import SUITE_TITLES, SUITES

    conditions = SUITES["unseen-bodies"]
    assert conditions[0].name == "standard" and conditions[0].morphology == "standard"
    assert tuple(c.morphology for c in conditions[1:]) == ALL_UNSEEN_BODIES
    assert {c.category for c in conditions[1:]} == set(UNSEEN_CATEGORIES) and conditions[0].category == ""
    assert len({c.name for c in conditions}) == len(conditions)
    assert all(not c.perturbations for c in conditions)
    from hebbkit.trainer.evaluate import SUITE_NAMES
    from hebbkit.trainer.suite import SUITE_TARGETS

    assert set(SUITE_TITLES) == set(SUITES) == set(SUITE_TARGETS) == set(SUITE_NAMES)  # `hebbkit suite --suite`


def test_a_body_suite_runs_and_reports_the_share_kept(tmp_path):
    from hebbkit.trainer.suite import SUITES

    artifact = save_artifact(new_artifact(NetworkSpec(), profile=ANT28, seed=1), tmp_path / "h.npz")
    conditions = [c for c in SUITES["unseen-bodies"] if c.name in ("standard", "front_lowers_x0.25")]
    report = run_suite({"hebbian": artifact}, conditions, episodes=1, max_steps=60, burn_in=5, workers=1,
                       progress=False, title="Bodies it never saw", target=0.6)
    results = report["results"]["hebbian"]
    assert set(results) == {"standard", "front_lowers_x0.25"} and len(results["front_lowers_x0.25"]["distances"]) == 1
    assert report["conditions"][1]["morphology"] == "front_left:lower:0.25+front_right:lower:0.25"
    write_outputs(report, tmp_path / "out")
    table = (tmp_path / "out" / "suite.md").read_text()
    assert table.startswith("Bodies it never saw: 1 episode per condition") and "| front_lowers_x0.25 |" in table
    assert "target for a deployable model: >= 60%" in table  # issue 12's bar for unseen bodies
    assert "| lower-legs | 1 |" in table  # the per-category table: one body of that category in this report


def test_the_table_says_which_share_of_the_episodes_walked(tmp_path):
    """A walks-or-stands model loses distance by standing more often, a slower one by walking slower: each condition
    reports the share of its episodes that covered at least half the standard condition's mean distance; n/a where
    the model does not walk on the standard body or the report holds no distances."""
    from hebbkit.trainer.suite import add_retained

    def summary(distances):
        return {"distance_mean": sum(distances) / len(distances), "distance_std": 1.0, "distances": distances,
                "speed_m_per_s": sum(distances) / len(distances) / 960, "speed_body_lengths_per_s": None}

    report = {"title": "Sim-to-real suite", "target": 0.7, "episodes": 4, "seed": 0, "max_steps": 1000,
              "burn_in": 40, "conditions": [{"name": "standard"}, {"name": "stands_often"}, {"name": "slower"}],
              "results": {"hebbian": {"standard": summary([150.0, 150.0, 150.0, 150.0]),
                                      "stands_often": summary([150.0, 150.0, 0.0, 0.0]),
                                      "slower": summary([75.0, 75.0, 75.0, 75.0])}}}
    results = add_retained(report)["results"]["hebbian"]
    assert [results[name]["walking_share"] for name in ("standard", "stands_often", "slower")] == [1.0, 0.5, 1.0]
    write_outputs(report, tmp_path)
    table = (tmp_path / "suite.md").read_text()
    assert "| condition | hebbian distance | speed | walking | kept |" in table
    assert "| stands_often | 75.0 +- 1.0 | 0.078 m/s | 50% | 50% (below target) |" in table
    assert "| slower | 75.0 +- 1.0 | 0.078 m/s | 100% | 50% (below target) |" in table
    del results["slower"]["walking_share"]  # a report written before the share was recorded
    write_outputs(report, tmp_path)
    assert "| slower | 75.0 +- 1.0 | 0.078 m/s | n/a | 50% (below target) |" in (tmp_path / "suite.md").read_text()


def test_category_means_average_each_categorys_rows():
    from hebbkit.trainer.suite import category_means, category_table

    def row(distance):
        return {"distance_mean": distance, "retained": distance / 100.0}

    report = {"target": 0.6, "conditions": [{"name": "standard"}, {"name": "a", "category": "upper-legs"},
                                            {"name": "b", "category": "upper-legs"},
                                            {"name": "c", "category": "actuators"}],
              "results": {"hebbian": {"standard": row(100.0), "a": row(80.0), "b": row(40.0), "c": row(70.0)}}}
    means = category_means(report)["hebbian"]
    assert means["upper-legs"] == {"bodies": 2, "distance_mean": 60.0, "kept_mean": pytest.approx(0.6),
                                   "kept_min": 0.4, "kept_at_target": 1}
    assert means["actuators"]["kept_at_target"] == 1
    lines = category_table(report, 0.6)
    assert "| upper-legs | 2 | 60.0 | 60%, 40% | 1/2 |" in lines
    report["results"]["hebbian"]["a"]["retained"] = None  # a model that does not walk: no shares
    assert category_means(report)["hebbian"]["upper-legs"]["kept_mean"] is None
    assert category_table({"conditions": [{"name": "standard"}], "results": {"x": {}}}, 0.6) == []
