"""The C kernel backend against the NumPy reference: one step from identical weights for every rule and family,
free-running agreement, the front end and head, build errors, and the trainer's automatic choice."""

from __future__ import annotations

import numpy as np
import pytest

from hebbkit.runtime import NetworkSpec, Policy, new_artifact
from hebbkit.runtime.backends import c_backend
from hebbkit.runtime.families import FAMILIES
from hebbkit.runtime.rules import RULES
from tests.conftest import random_observations

PLASTIC_RULES = sorted(name for name, rule in RULES.items() if rule.n_coefficients > 0)


def pair(spec: NetworkSpec, seed: int = 0) -> tuple[Policy, Policy]:
    artifact = new_artifact(spec, seed=seed)
    return Policy(artifact, "numpy", seed=seed), Policy(artifact, "c", seed=seed)


def assert_one_step_agrees(numpy_policy: Policy, c_policy: Policy, observations: np.ndarray) -> None:
    """From the NumPy policy's current weights, one C step gives the same action and weights (rel 1e-5)."""
    for observation in observations:
        c_policy.set_weights(numpy_policy.weights)
        expected, got = numpy_policy.step(observation), c_policy.step(observation)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
        for got_w, expected_w in zip(c_policy.weights, numpy_policy.weights):
            np.testing.assert_allclose(got_w, expected_w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("weight_norm", ["none", "max", "standardize"])
@pytest.mark.parametrize("rule", PLASTIC_RULES)
def test_one_step_matches_numpy_for_every_rule(rule, weight_norm):
    spec = NetworkSpec(layer_sizes=(5, 7, 3), activations=("tanh", "tanh"), rule=rule, weight_norm=weight_norm)
    assert_one_step_agrees(*pair(spec), random_observations(5, 50, seed=1))


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_one_step_matches_numpy_for_every_family_on_the_ant_net(family):
    assert_one_step_agrees(*pair(NetworkSpec(family=family)), random_observations(28, 30, seed=2))


@pytest.mark.parametrize("activations", [("sigmoid", "identity"), ("relu", "tanh")])
def test_other_activations(activations):
    spec = NetworkSpec(layer_sizes=(4, 6, 2), activations=activations)
    assert_one_step_agrees(*pair(spec), random_observations(4, 50, seed=3))


@pytest.mark.parametrize("weight_norm", ["none", "standardize"])
def test_free_running_ant_agrees_for_1000_steps(weight_norm):
    """Same initial weights, each backend feeding on its own weights: float32 rounding could let them drift; on
    this machine they stay bit-identical for 1,000 steps (the sums run in double and are rounded once on both
    sides, the update in float32 in the same order; standardisation's sums in double in the same order). The
    assertion allows the float32 tolerance."""
    numpy_policy, c_policy = pair(NetworkSpec(weight_norm=weight_norm), seed=4)
    observations = random_observations(28, 1000, seed=5)
    for observation in observations:
        expected, got = numpy_policy.step(observation), c_policy.step(observation)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    for got_w, expected_w in zip(c_policy.weights, numpy_policy.weights):
        np.testing.assert_allclose(got_w, expected_w, rtol=1e-4, atol=1e-3)


def test_static_network_does_not_learn_on_c():
    from hebbkit.runtime import ANT28, WeightInit
    from hebbkit.trainer.parameters import ParameterLayout

    spec = NetworkSpec(rule="static", init=WeightInit("stored"))
    layout = ParameterLayout.of(spec)
    artifact = layout.to_artifact(np.random.default_rng(0).standard_normal(layout.size), ANT28, 0.0165)
    numpy_policy, c_policy = Policy(artifact, "numpy"), Policy(artifact, "c")
    before = c_policy.weights
    observation = np.ones(28, np.float32)
    np.testing.assert_array_equal(c_policy.step(observation), numpy_policy.step(observation))
    for got, expected in zip(c_policy.weights, before):
        np.testing.assert_array_equal(got, expected)


def test_frontend_and_action_head_run_around_the_kernel():
    from hebbkit.runtime.frontend import CARRACING_FRONTEND

    spec = NetworkSpec(layer_sizes=(CARRACING_FRONTEND.output_size, 8, 3), activations=("tanh", "identity"),
                       weight_norm="max", action_head=("tanh", "sigmoid", "sigmoid"), frontend=CARRACING_FRONTEND)
    numpy_policy, c_policy = pair(spec, seed=6)
    images = np.random.default_rng(7).uniform(0, 1, (3, *spec.observation_shape)).astype(np.float32)
    for image in images:
        np.testing.assert_allclose(c_policy.step(image), numpy_policy.step(image), rtol=1e-5, atol=1e-6)
    for got_w, expected_w in zip(c_policy.weights, numpy_policy.weights):
        np.testing.assert_allclose(got_w, expected_w, rtol=1e-5, atol=1e-6)


def test_no_compiler_gives_an_error_that_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("HEBBKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("CC", str(tmp_path / "no-such-compiler"))
    monkeypatch.setattr(c_backend, "_LIBRARY", None)
    with pytest.raises(c_backend.KernelBuildError, match="could not run the C compiler"):
        c_backend.kernel_library()
    monkeypatch.delenv("CC")
    monkeypatch.setattr(c_backend.shutil, "which", lambda name: None)
    with pytest.raises(c_backend.KernelBuildError, match="apt-get install gcc\\) or use backend='numpy'"):
        c_backend.kernel_library_path()


def test_failed_compilation_is_reported_with_the_compiler_output(tmp_path, monkeypatch):
    broken = tmp_path / "kernel"
    broken.mkdir()
    (broken / "hebb_kernel.c").write_text("this is not C\n")
    (broken / "hebb_kernel.h").write_text("\n")
    monkeypatch.setenv("HEBBKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(c_backend, "KERNEL_DIR", broken)
    with pytest.raises(c_backend.KernelBuildError, match="compiling the C kernel failed"):
        c_backend.kernel_library_path()
    assert not list((tmp_path / "cache").glob("*.so"))  # nothing half-built left behind


def test_the_library_is_cached_by_source(tmp_path, monkeypatch):
    monkeypatch.setenv("HEBBKIT_CACHE", str(tmp_path))
    first = c_backend.kernel_library_path()
    assert first.exists() and first.parent == tmp_path
    assert c_backend.kernel_library_path() == first


def test_trainer_auto_falls_back_to_numpy_without_a_kernel(monkeypatch, capsys):
    from hebbkit.trainer.run import resolve_policy_backend

    def unavailable():
        raise c_backend.KernelBuildError("no C compiler")

    assert resolve_policy_backend("numpy") == "numpy"
    monkeypatch.setattr(c_backend, "kernel_library", unavailable)
    assert resolve_policy_backend("auto") == "numpy"
    assert "C kernel is unavailable" in capsys.readouterr().err


def test_guard_fast_path_agrees_with_the_full_check():
    """The kernel flags updates that leave every |w| <= 1e15, and the guard then skips its pass; large finite
    weights (whose squared norm overflows float32) still go through the full check and reset on both backends."""
    numpy_policy, c_policy = pair(NetworkSpec(layer_sizes=(4, 6, 2), activations=("tanh", "tanh")), seed=8)
    observation = np.ones(4, np.float32)
    c_policy.step(observation)
    assert c_policy.backend.weights_small()
    huge = [np.full(w.shape, 1e19, np.float32) for w in numpy_policy.weights]
    for policy in (numpy_policy, c_policy):
        policy.set_weights(huge)
        assert not getattr(policy.backend, "weights_small", lambda: False)()
        policy.step(observation)
    assert numpy_policy.stats.guard_resets == c_policy.stats.guard_resets == 1
    for got, expected in zip(c_policy.weights, numpy_policy.weights):
        np.testing.assert_array_equal(got, expected)
