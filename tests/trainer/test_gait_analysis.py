"""`experiments/gait_analysis.py`: one table row per artifact, windows of 100 steps, saturation per layer that matches
what the network computes (a static network of zero weights never saturates; a Hebbian rule whose weights grow does)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from hebbkit.runtime import ANT28, NetworkSpec, WeightInit, save_artifact
from hebbkit.trainer.parameters import ParameterLayout
from tests.conftest import load_script

SCRIPT = Path(__file__).resolve().parents[2] / "experiments" / "gait_analysis.py"


def artifact(path: Path, spec: NetworkSpec, flat: np.ndarray) -> Path:
    save_artifact(ParameterLayout.of(spec).to_artifact(flat, ANT28, 0.0165), path)
    return path


def cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip("|").split("|")]


def test_one_row_per_artifact_with_saturation_per_layer(tmp_path):
    sizes = (28, 8, 4, 8)
    static = NetworkSpec(layer_sizes=sizes, rule="static", init=WeightInit("stored"))
    zero_static = artifact(tmp_path / "zero.npz", static, np.zeros(ParameterLayout.of(static).size))
    growing = NetworkSpec(layer_sizes=sizes, rule="ABCD_lr")
    size = ParameterLayout.of(growing).size
    hebbian = artifact(tmp_path / "grow.npz", growing, np.full(size, 0.5))  # A..D and eta 0.5: weights grow fast
    result = subprocess.run([sys.executable, str(SCRIPT), str(zero_static), str(hebbian), "--episodes", "1",
                             "--max-steps", "250", "--burn-in", "5"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    header, rule, *rows = result.stdout.strip().splitlines()
    assert cells(header)[0] == "artifact" and set(rule) <= {"|", "-"} and len(rows) == 2
    zero, grown = (cells(row) for row in rows)
    assert zero[0].endswith("zero.npz") and zero[4] == "0% / 0% / 0%"  # tanh(0) everywhere
    assert zero[6] == "0.0" and float(zero[1]) == float(zero[1])  # weights stay zero; a finite distance
    shares = [int(share.rstrip("%")) for share in grown[4].split(" / ")]
    assert len(shares) == 3 and min(shares) >= 95  # saturated from the first steps on
    assert float(grown[6].replace(",", "")) > 100


def test_sign_layers_force_a_static_networks_units_to_plus_minus_one_and_refuse_a_plastic_one(tmp_path):
    sizes = (28, 8, 4, 8)
    static = NetworkSpec(layer_sizes=sizes, rule="static", init=WeightInit("stored"))
    small = np.random.default_rng(0).normal(0.0, 0.01, ParameterLayout.of(static).size)  # graded, never > 0.95
    path = artifact(tmp_path / "small.npz", static, small)
    run = [sys.executable, str(SCRIPT), str(path), "--episodes", "1", "--max-steps", "120", "--burn-in", "5"]
    graded, forced = (subprocess.run(run + extra, capture_output=True, text=True)
                      for extra in ([], ["--sign-layers", "1", "3"]))
    assert graded.returncode == 0 and forced.returncode == 0, graded.stderr + forced.stderr
    assert cells(graded.stdout.splitlines()[2])[4] == "0% / 0% / 0%"
    row = cells(forced.stdout.splitlines()[2])
    assert row[0].endswith("small.npz, layers 1 3 as sign units") and row[4] == "100% / 0% / 100%"
    growing = NetworkSpec(layer_sizes=sizes, rule="ABCD_lr")
    plastic = artifact(tmp_path / "plastic.npz", growing, np.zeros(ParameterLayout.of(growing).size))
    refused = subprocess.run([sys.executable, str(SCRIPT), str(plastic), "--sign-layers", "1"], capture_output=True,
                             text=True)
    assert refused.returncode == 2 and "needs a static network" in refused.stderr
    beyond = subprocess.run([*run, "--sign-layers", "4"], capture_output=True, text=True)
    assert beyond.returncode == 2 and "takes layers 1-3" in beyond.stderr


def test_freeze_after_stops_a_plastic_networks_learning_rescales_on_request_and_refuses_a_static_one(tmp_path):
    sizes = (28, 8, 4, 8)
    growing = NetworkSpec(layer_sizes=sizes, rule="ABCD_lr")
    hebbian = artifact(tmp_path / "grow.npz", growing, np.full(ParameterLayout.of(growing).size, 0.5))
    run = [sys.executable, str(SCRIPT), str(hebbian), "--episodes", "1", "--max-steps", "120", "--burn-in", "5"]
    result = subprocess.run([*run, "--freeze-after", "0", "1000"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    frozen, learning = (cells(row) for row in result.stdout.splitlines()[2:])
    assert frozen[0].endswith("grow.npz, learning off after 0 steps")
    assert learning[0].endswith("grow.npz, learning off after 1000 steps")  # never reached: learns throughout
    # frozen from the first step, the weights stay at their N(0, 1)-scale draw; learning, they grow by orders
    assert float(frozen[6].replace(",", "")) < 10 < float(learning[6].replace(",", ""))
    rescaled = subprocess.run([*run, "--freeze-after", "50", "--freeze-gain", "0.5", "2"], capture_output=True,
                              text=True)
    assert rescaled.returncode == 0, rescaled.stderr
    rows = [cells(row) for row in rescaled.stdout.splitlines()[2:]]
    assert [row[0].split(", ", 1)[1] for row in rows] == [
        "learning off after 50 steps, weights rescaled to largest 0.5",
        "learning off after 50 steps, weights rescaled to largest 2"]
    assert [row[6] for row in rows] == ["0.5", "2.0"]  # frozen at the gain it was given
    alone = subprocess.run([*run, "--freeze-gain", "1"], capture_output=True, text=True)
    assert alone.returncode == 2 and "give --freeze-after too" in alone.stderr
    static = NetworkSpec(layer_sizes=sizes, rule="static", init=WeightInit("stored"))
    fixed = artifact(tmp_path / "fixed.npz", static, np.zeros(ParameterLayout.of(static).size))
    refused = subprocess.run([sys.executable, str(SCRIPT), str(fixed), "--freeze-after", "10"], capture_output=True,
                             text=True)
    assert refused.returncode == 2 and "needs a plastic network" in refused.stderr


def test_duty_factor_and_stride_frequency_are_read_from_the_feet_after_the_first_100_steps():
    gait = load_script(SCRIPT)
    steps = 100 + 400
    on_off = (np.arange(steps) // 10) % 2 == 0  # 10 steps down, 10 up: a 5 Hz stride at 100 steps per second
    contacts = np.stack([on_off, np.zeros(steps), np.ones(steps)], axis=1).astype(np.float32)
    contacts[:100] = 1.0  # the first 100 steps (the gait forming) do not count
    episode = gait.EpisodeGait(0.0, np.zeros(5), np.zeros(3), 0.0, 0.0, contacts, ("a", "b", "c"), 0.01)
    assert np.allclose(episode.duty_factors, [0.5, 0.0, 1.0])
    assert episode.stride_hz == 5.0
    still = gait.EpisodeGait(0.0, np.zeros(5), np.zeros(3), 0.0, 0.0, np.ones((500, 2), np.float32), ("a", "b"),
                             0.01)
    assert still.stride_hz is None  # feet that never lift have no stride
    blind = gait.EpisodeGait(0.0, np.zeros(5), np.zeros(3), 0.0, 0.0)  # an observation without foot contacts
    assert blind.duty_factors is None and blind.stride_hz is None


def test_the_ants_feet_are_named_by_their_legs_in_the_robot_files_order():
    gait = load_script(SCRIPT)
    feet = ["front_left_foot", "front_right_foot", "left_back_foot", "right_back_foot"]  # ant.xml's bodies
    # ant.xml's right_back_leg stands front-right of +x (docs/envs.md, "Morphologies")
    assert gait.feet_by_leg("ant", feet) == [(0, "front_left"), (3, "front_right"), (1, "rear_left"),
                                             (2, "rear_right")]
    assert gait.feet_by_leg("no-such-robot", ["toe"]) == [(0, "toe")]


def test_a_row_gives_each_legs_duty_factor_and_the_gait_diagram_is_drawn(tmp_path):
    sizes = (28, 8, 4, 8)
    static = NetworkSpec(layer_sizes=sizes, rule="static", init=WeightInit("stored"))
    zero = artifact(tmp_path / "zero.npz", static, np.zeros(ParameterLayout.of(static).size))
    diagram = tmp_path / "gait.png"
    result = subprocess.run([sys.executable, str(SCRIPT), str(zero), "--episodes", "1", "--max-steps", "250",
                             "--burn-in", "5", "--gait-diagram", str(diagram), "--diagram-start", "100"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    header, _, row, *_ = result.stdout.splitlines()
    assert cells(header)[7:] == ["duty factor per foot", "stride frequency"]
    duty, stride = cells(row)[7:]
    legs = [part.rsplit(" ", 1) for part in duty.split(", ")]
    assert [leg for leg, _ in legs] == ["front_left", "front_right", "rear_left", "rear_right"]
    assert all(share in ("0%", "100%") for _, share in legs)  # zero torques: no foot ever lifts or lands
    assert stride == "n/a"
    assert diagram.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"gait diagram: {diagram}" in result.stdout
    bad = subprocess.run([sys.executable, str(SCRIPT), str(zero), "--diagram-steps", "0"], capture_output=True,
                         text=True)
    assert bad.returncode == 2 and "--diagram-steps" in bad.stderr
