"""`hebbkit export --c`: the exported model, compiled with the host's gcc, against the NumPy Policy started from
the same PCG32 initial weights (servo-proprio one step at a time and free-running; other rules, inits, heads)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hebbkit.runtime import NetworkSpec, Policy, WeightInit, load_artifact, new_artifact
from hebbkit.runtime.c_export import c_float, export_c
from hebbkit.runtime.errors import ConfigError
from hebbkit.runtime.pcg32 import Pcg32, pcg32_weights, symmetric_unit
from tests.conftest import random_observations
from tests.runtime.exported_model import ExportedModel

SERVO = Path(__file__).resolve().parents[2] / "models" / "servo-proprio" / "model.npz"


@pytest.fixture(scope="module")
def servo(tmp_path_factory):
    artifact = load_artifact(SERVO)
    return artifact, ExportedModel(artifact, tmp_path_factory.mktemp("servo"), seed=11)


def test_pcg32_known_outputs_and_vectorised_draws_agree():
    generator = Pcg32(42)
    singles = [generator.next_uint32() for _ in range(3000)]
    assert singles[:3] == [148557108, 3363371974, 2661954755]  # pinned: the C twin must draw these too
    blocks = Pcg32(42)
    assert blocks.uint32_array(1500).tolist() + blocks.uint32_array(1500).tolist() == singles
    unit = symmetric_unit(np.array([0, 0xFFFFFFFF, 0x80000000], dtype=np.uint32))
    assert unit.tolist() == [-1 + 2.0**-24, 1 - 2.0**-24, 2.0**-24]


def test_pcg32_init_is_an_option_and_the_default_is_unchanged():
    spec = NetworkSpec(layer_sizes=(3, 4, 2), activations=("tanh", "tanh"))
    default = Policy(new_artifact(spec, seed=0), "numpy", seed=5).initial_weights
    expected = spec.initial_weights(5)
    for got, want in zip(default, expected):
        np.testing.assert_array_equal(got, want)
    pcg = Policy(new_artifact(spec, seed=0), "numpy", seed=5, init_rng="pcg32").initial_weights
    for got, want in zip(pcg, pcg32_weights("uniform", 0.1, spec.layer_shapes, 5)):
        np.testing.assert_array_equal(got, want)
        assert np.all(np.abs(got) < 0.1)
    with pytest.raises(ConfigError, match="init_rng"):
        Policy(new_artifact(spec, seed=0), "numpy", init_rng="mt19937")
    with pytest.raises(ConfigError, match="integer seed"):
        spec.initial_weights(None, generator="pcg32")
    with pytest.raises(ConfigError, match="normal"):
        normal = NetworkSpec(layer_sizes=(3, 2), activations=("tanh",), init=WeightInit("normal"))
        normal.initial_weights(1, generator="pcg32")


def test_c_float_literals_read_back_exactly():
    for value in (1.0, -0.0, 0.1, 1e-45, 3.4028235e38, 123456.789):
        assert np.float32(float(c_float(value)[:-1])) == np.float32(value)


def test_the_board_draws_the_hosts_pcg32_weights(servo):
    artifact, model = servo
    policy = Policy(artifact, "numpy", seed=11, init_rng="pcg32")
    for got, expected in zip(model.weights, policy.initial_weights):
        np.testing.assert_array_equal(got, expected)


def test_servo_proprio_one_step_matches_numpy(servo):
    artifact, model = servo
    policy = Policy(artifact, "numpy", seed=3, init_rng="pcg32")
    for observation in random_observations(21, 100, seed=8):
        model.set_weights(policy.weights)
        expected, got = policy.step(observation), model.step(observation)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
        for got_w, expected_w in zip(model.weights, policy.weights):
            np.testing.assert_allclose(got_w, expected_w, rtol=1e-5, atol=1e-6)


def test_servo_proprio_free_running_1000_steps(tmp_path):
    """Board and host each draw their own PCG32 weights from seed 21 and feed on their own state for 1,000 steps.
    On this machine they stay bit-identical (forward in double rounded once, update in float32 in the same order);
    the assertion allows float32 tolerance."""
    artifact = load_artifact(SERVO)
    model = ExportedModel(artifact, tmp_path, seed=21)
    policy = Policy(artifact, "numpy", seed=21, init_rng="pcg32")
    worst = 0.0
    for observation in random_observations(21, 1000, seed=9):
        expected, got = policy.step(observation), model.step(observation)
        worst = max(worst, float(np.max(np.abs(got - expected) / np.maximum(np.abs(expected), 1e-6))))
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    for got_w, expected_w in zip(model.weights, policy.weights):
        np.testing.assert_allclose(got_w, expected_w, rtol=1e-4, atol=1e-3)
    print(f"free-running 1,000 steps: max relative action difference {worst:.3g}")


def test_command_applies_the_profiles_limits_and_scaling(servo):
    artifact, model = servo
    action = np.array([2.0, -2.0, 0.5, -0.5, 0.0, 1.0, -1.0, 0.25], dtype=np.float32)
    np.testing.assert_allclose(model.command(action), artifact.profile.command_from_action(action), rtol=1e-6)


@pytest.mark.parametrize("rule,family", [("ABCD", "synapse"), ("AD", "synapse"), ("ABCD_lr", "neuron"),
                                         ("A", "synapse")])
def test_other_rules_and_families(tmp_path, rule, family):
    spec = NetworkSpec(layer_sizes=(5, 7, 3), activations=("tanh", "sigmoid"), rule=rule, family=family,
                       weight_norm="max" if rule == "AD" else "none", action_head=("tanh", "sigmoid", "identity"),
                       init=WeightInit("xavier_uniform", 1.0))
    artifact = new_artifact(spec, seed=2)
    model = ExportedModel(artifact, tmp_path, seed=4)
    policy = Policy(artifact, "numpy", seed=4, init_rng="pcg32")
    for got, expected in zip(model.weights, policy.initial_weights):
        np.testing.assert_array_equal(got, expected)
    for observation in random_observations(5, 200, seed=1):
        np.testing.assert_allclose(model.step(observation), policy.step(observation), rtol=1e-5, atol=1e-6)


def test_stored_initial_weights_and_static_rule(tmp_path):
    from hebbkit.runtime import ANT28
    from hebbkit.trainer.parameters import ParameterLayout

    spec = NetworkSpec(rule="static", init=WeightInit("stored"))
    layout = ParameterLayout.of(spec)
    artifact = layout.to_artifact(np.random.default_rng(0).standard_normal(layout.size), ANT28, 0.0165)
    model = ExportedModel(artifact, tmp_path, seed=0)
    policy = Policy(artifact, "numpy")
    for observation in random_observations(28, 20, seed=2):
        np.testing.assert_allclose(model.step(observation), policy.step(observation), rtol=1e-5, atol=1e-6)


def test_standardized_ant_free_running_1000_steps(tmp_path):
    """weight_norm "standardize" on the Ant network: board and host draw the same PCG32 weights and run free for
    1,000 steps; the kernel standardises each layer with double sums in the NumPy reference's order, so the step's
    tolerance holds throughout (bit-identical on this machine)."""
    artifact = new_artifact(NetworkSpec(weight_norm="standardize"), seed=3)
    model = ExportedModel(artifact, tmp_path, seed=5)
    assert '#define HEBB_MODEL_WEIGHT_NORM "standardize"' in (tmp_path / "hebb_model.h").read_text()
    policy = Policy(artifact, "numpy", seed=5, init_rng="pcg32")
    for observation in random_observations(28, 1000, seed=6):
        np.testing.assert_allclose(model.step(observation), policy.step(observation), rtol=1e-5, atol=1e-6)
    for got, expected in zip(model.weights, policy.weights):
        assert np.abs(got - expected).max() <= 1e-6 * np.abs(expected).max()
        assert abs(float(got.mean())) < 1e-5 and abs(float(got.std()) - 1) < 1e-3


@pytest.mark.parametrize("weight_norm", ["none", "standardize"])
def test_a_rule_with_evolved_initial_weights_boots_from_them_and_keeps_learning(tmp_path, weight_norm):
    """Hebbian rule + stored initial weights: the board copies them at boot and at every reset (the guard's),
    whatever the seed, then learns as the host does."""
    from hebbkit.runtime import ANT28
    from hebbkit.trainer.parameters import ParameterLayout

    layout = ParameterLayout.of(NetworkSpec(init=WeightInit("stored"), weight_norm=weight_norm))
    artifact = layout.to_artifact(np.random.default_rng(1).standard_normal(layout.size) * 0.1, ANT28, 0.0165)
    model = ExportedModel(artifact, tmp_path, seed=123)
    policy = Policy(artifact, "numpy", seed=0)
    stored = [artifact.static_tensors[f"initial_weights/{layer}"] for layer in range(3)]
    for got, expected, own in zip(model.weights, stored, policy.initial_weights):
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(own, expected)
    for observation in random_observations(28, 300, seed=4):
        np.testing.assert_allclose(model.step(observation), policy.step(observation), rtol=1e-5, atol=1e-6)
    for got, expected in zip(model.weights, policy.weights):
        assert np.abs(got - expected).max() <= 1e-6 * np.abs(expected).max()
    model.library.hebb_model_reset(model.pointer, 7)
    for got, expected in zip(model.weights, stored):
        np.testing.assert_array_equal(got, expected)


def test_refuses_what_the_kernel_cannot_run(tmp_path):
    from hebbkit.runtime.frontend import CARRACING_FRONTEND

    spec = NetworkSpec(layer_sizes=(CARRACING_FRONTEND.output_size, 3), activations=("tanh",),
                       frontend=CARRACING_FRONTEND)
    with pytest.raises(ConfigError, match="front end"):
        export_c(new_artifact(spec, seed=0), tmp_path)
    with pytest.raises(ConfigError, match="normal"):
        export_c(new_artifact(NetworkSpec(layer_sizes=(3, 2), activations=("tanh",),
                                          init=WeightInit("normal")), seed=0), tmp_path)


def test_cli_export_c_writes_a_folder_that_compiles(tmp_path, capsys):
    from hebbkit.trainer.cli import main

    assert main(["export", str(SERVO), "--c", str(tmp_path / "model")]) == 0
    assert "wrote 6 files" in capsys.readouterr().out
    header = (tmp_path / "model" / "hebb_model.h").read_text()
    assert f'#define HEBB_MODEL_SHA256 "{load_artifact(SERVO).sha256()}"' in header
    assert "#define HEBB_MODEL_CONTROL_PERIOD_US 20000u" in header
    assert main(["export", str(SERVO)]) == 1
    assert "needs --onnx FILE, --c DIR or both" in capsys.readouterr().err
