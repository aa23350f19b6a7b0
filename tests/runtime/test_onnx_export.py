"""The exported ONNX graph: contract (inputs, outputs, initializers, metadata), checker, and a plain session run."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime
import pytest

from hebbkit.runtime import NetworkSpec, Policy, new_artifact, reference_step
from hebbkit.runtime.onnx_graph import METADATA_PROP, build_step_model, export_onnx


@pytest.fixture
def exported(tmp_path, ant_artifact):
    return export_onnx(ant_artifact, tmp_path / "ant.onnx")


def test_graph_contract(exported, ant_artifact):
    model = onnx.load(exported)
    onnx.checker.check_model(model, full_check=True)
    graph = model.graph
    assert [i.name for i in graph.input] == ["obs", "weights_0", "weights_1", "weights_2"]
    assert [o.name for o in graph.output] == ["action", "next_weights_0", "next_weights_1", "next_weights_2"]
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in [*graph.input, *graph.output]}
    assert shapes["obs"] == [1, 28] and shapes["action"] == [1, 8]
    assert shapes["weights_1"] == shapes["next_weights_1"] == [128, 64]  # [in, out]
    # the coefficients are initializers (folded with eta), not inputs
    initializer_names = {t.name for t in graph.initializer}
    assert {"l0_a", "l0_b", "l0_c", "l0_d", "l2_a"} <= initializer_names
    props = {p.key: p.value for p in model.metadata_props}
    assert json.loads(props[METADATA_PROP]) == ant_artifact.metadata()
    assert props["hebbkit.sha256"] == ant_artifact.sha256()


def test_exported_file_runs_in_a_plain_session_like_the_reference(exported, ant_artifact):
    session = onnxruntime.InferenceSession(str(exported), providers=["CPUExecutionProvider"])
    spec = ant_artifact.network
    weights = spec.initial_weights(5)
    observation = np.linspace(-2, 2, 28, dtype=np.float32)
    feeds = {"obs": observation[None, :], **{f"weights_{i}": w for i, w in enumerate(weights)}}
    action, *next_weights = session.run(None, feeds)
    expected_action, expected_weights = reference_step(spec, weights, list(ant_artifact.coefficients), observation)
    np.testing.assert_allclose(action[0], expected_action, atol=1e-5)
    for got, expected in zip(next_weights, expected_weights):
        assert np.abs(got - expected).max() <= 1e-6 * np.abs(expected).max()


@pytest.mark.parametrize("rule", ["A", "AD", "ABC", "ABCD_lr_D_in_and_out"])
def test_every_rule_and_the_carracing_options_export_and_pass_the_full_check(tmp_path, rule):
    spec = NetworkSpec(layer_sizes=(6, 5, 3), activations=("tanh", "identity"), rule=rule,
                       weight_norm="max", action_head=("tanh", "sigmoid", "sigmoid"))
    path = export_onnx(new_artifact(spec, seed=0), tmp_path / f"{rule}.onnx")
    onnx.checker.check_model(onnx.load(path), full_check=True)


def test_backend_keeps_the_weights_in_bound_buffers_that_alternate(ant_artifact):
    policy = Policy(ant_artifact, "onnx", seed=0)
    backend = policy.backend
    first_buffers = [w.ctypes.data for w in backend.weights]
    policy.step(np.zeros(28, dtype=np.float32))
    second_buffers = [w.ctypes.data for w in backend.weights]
    policy.step(np.zeros(28, dtype=np.float32))
    assert first_buffers != second_buffers
    assert [w.ctypes.data for w in backend.weights] == first_buffers


def test_model_is_built_without_touching_the_artifact(ant_artifact):
    before = [c.copy() for c in ant_artifact.coefficients]
    build_step_model(ant_artifact)
    for got, expected in zip(ant_artifact.coefficients, before):
        np.testing.assert_array_equal(got, expected)
