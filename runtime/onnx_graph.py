"""The ONNX twin of one control step, built from a policy artifact.

Inputs: `obs` [1, n_in] and `weights_<l>` [in, out] for every plastic layer. Outputs: `action` [1, n_out] and
`next_weights_<l>` [in, out]. The folded coefficients are initializers (expanded per synapse from the rule family's
compact tensors first, so the graph is the same for every family); the artifact's metadata is in
`metadata_props` (key `hebbkit.metadata`). Weights are [in, out] and multiplied as row vectors, the layout ONNX
Runtime runs fastest. Node order per layer mirrors the NumPy backend:
post = f32(act(f64(pre) @ f64(W))); next_W = W + (pre_col * (a * post + b) + (c * post + d)).

The forward pass (MatMul and activation) runs in float64 and is rounded once to float32, in every twin. A float32
dot product of 128 terms of |w| up to 1e4 carries a rounding error that depends on the summation order of the BLAS
library, and the plastic dynamics amplify it; in float64 every twin gets the same correctly rounded float32 `post`,
and the float32 update, done in the same order, then gives the same weights bit for bit in practice.

Needs the `onnx` package (the `onnx` extra); it is imported when a graph is built, never at `hebbkit.runtime`
import.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from .artifact import PolicyArtifact, atomic_write_bytes
from .errors import BackendUnavailableError
from .rules import fold_coefficients

OPSET = 17
IR_VERSION = 8
METADATA_PROP = "hebbkit.metadata"
_ONNX_ACTIVATIONS = {"tanh": "Tanh", "sigmoid": "Sigmoid", "relu": "Relu"}


def input_name(layer: int) -> str:
    """Graph input holding layer `layer`'s current weights."""
    return f"weights_{layer}"


def output_name(layer: int) -> str:
    """Graph output holding layer `layer`'s updated weights."""
    return f"next_weights_{layer}"


def _import_onnx():
    try:
        import onnx
    except ImportError as error:
        raise BackendUnavailableError(
            "building the ONNX graph needs the 'onnx' package: pip install 'hebbkit[onnx]'"
        ) from error
    return onnx


def build_step_model(artifact: PolicyArtifact):
    """The `onnx.ModelProto` of one control step (act, then update every layer)."""
    _import_onnx()
    from onnx import TensorProto, helper, numpy_helper

    spec = artifact.network
    rule = spec.rule_spec
    has = set(rule.coefficients)
    use_b, use_c, use_d = "B" in has, "C" in has, bool(has & {"D", "D_out"})
    nodes, initializers = [], []
    inputs = [helper.make_tensor_value_info("obs", TensorProto.FLOAT, [1, *spec.observation_shape])]
    outputs = [helper.make_tensor_value_info("action", TensorProto.FLOAT, [1, spec.n_outputs])]

    def node(op: str, operands: list[str], result: str, **attributes) -> str:
        nodes.append(helper.make_node(op, operands, [result], name=result, **attributes))
        return result

    def constant(name: str, value: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(value, dtype=np.float32), name))
        return name

    pre = "obs"
    if spec.frontend is not None:
        pre = _frontend_nodes(spec.frontend, artifact, node, initializers, spec.n_inputs)
    for layer, ((n_in, n_out), activation) in enumerate(zip(spec.layer_shapes, spec.activations, strict=True)):
        weights = input_name(layer)
        inputs.append(helper.make_tensor_value_info(weights, TensorProto.FLOAT, [n_in, n_out]))
        outputs.append(helper.make_tensor_value_info(output_name(layer), TensorProto.FLOAT, [n_in, n_out]))
        folded = fold_coefficients(rule, artifact.expanded_coefficients[layer])
        tag = f"l{layer}"
        # forward pass in float64, rounded once to float32 (see the module docstring)
        pre_wide = node("Cast", [pre], f"{tag}_pre_f64", to=TensorProto.DOUBLE)
        weights_wide = node("Cast", [weights], f"{tag}_weights_f64", to=TensorProto.DOUBLE)
        z = node("MatMul", [pre_wide, weights_wide], f"{tag}_z_f64")
        if activation != "identity":
            z = node(_ONNX_ACTIVATIONS[activation], [z], f"{tag}_post_f64")
        post = node("Cast", [z], f"{tag}_post", to=TensorProto.FLOAT)
        if rule.n_coefficients == 0:  # a static network: the weights pass through unchanged
            node("Identity", [weights], output_name(layer))
            pre = post
            continue
        pre_col = node("Transpose", [pre], f"{tag}_pre_col", perm=[1, 0])
        delta = node("Mul", [constant(f"{tag}_a", folded.a), post], f"{tag}_a_post")
        if use_b:
            delta = node("Add", [delta, constant(f"{tag}_b", folded.b)], f"{tag}_a_post_b")
        delta = node("Mul", [delta, pre_col], f"{tag}_pre_term")
        if use_c:
            term = node("Mul", [constant(f"{tag}_c", folded.c), post], f"{tag}_c_post")
            if use_d:
                term = node("Add", [term, constant(f"{tag}_d", folded.d)], f"{tag}_c_post_d")
            delta = node("Add", [delta, term], f"{tag}_delta")
        elif use_d:
            delta = node("Add", [delta, constant(f"{tag}_d", folded.d)], f"{tag}_delta")
        if spec.weight_norm == "max":
            summed = node("Add", [weights, delta], f"{tag}_summed")
            peak = node("ReduceMax", [node("Abs", [summed], f"{tag}_abs")], f"{tag}_peak", keepdims=0)
            floor = constant(f"{tag}_tiny", np.array(np.finfo(np.float32).tiny))
            node("Div", [summed, node("Max", [peak, floor], f"{tag}_divisor")], output_name(layer))
        elif spec.weight_norm == "standardize":
            summed = node("Add", [weights, delta], f"{tag}_summed")
            _standardize_nodes(summed, (n_in, n_out), tag, node, initializers, output_name(layer))
        else:
            node("Add", [weights, delta], output_name(layer))
        pre = post

    if spec.action_head is None:
        node("Identity", [pre], "action")
    else:
        head = np.array(spec.action_head)
        tanh_mask = helper.make_tensor("head_tanh_mask", TensorProto.BOOL, [spec.n_outputs], head == "tanh")
        sigmoid_mask = helper.make_tensor(
            "head_sigmoid_mask", TensorProto.BOOL, [spec.n_outputs], head == "sigmoid"
        )
        initializers.extend([tanh_mask, sigmoid_mask])
        squashed = node(
            "Where",
            ["head_sigmoid_mask", node("Sigmoid", [pre], "head_sigmoid"), pre],
            "head_partial",
        )
        node("Where", ["head_tanh_mask", node("Tanh", [pre], "head_tanh"), squashed], "action")

    graph = helper.make_graph(nodes, "hebbian_control_step", inputs, outputs, initializers)
    family = "" if spec.family == "synapse" else f" (family {spec.family})"
    graph.doc_string = (
        f"One control step of a plastic {list(spec.layer_sizes)} network, rule {spec.rule}{family}: "
        "act with the input weights, output the Hebbian-updated weights."
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="hebbkit", ir_version=IR_VERSION
    )
    metadata = artifact.metadata()
    props = {
        METADATA_PROP: json.dumps(metadata),
        "hebbkit.rule": spec.rule,
        "hebbkit.schema_version": str(metadata["schema_version"]),
        "hebbkit.sha256": metadata["sha256"],
        "hebbkit.control_period": repr(artifact.control_period),
    }
    helper.set_model_props(model, props)
    return model


def _standardize_nodes(weights: str, shape: tuple[int, int], tag: str, node, initializers: list, result: str) -> str:
    """`hebbkit.runtime.network.standardize_layer` as nodes: float64 sums as the last entry of a CumSum over the
    flattened weights (sequential, in row-major order, as the NumPy and C twins sum), each weight in float64 rounded
    once to float32."""
    from onnx import TensorProto, numpy_helper

    from .network import STANDARDIZE_EPSILON

    def constant(name: str, value: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(value, name))
        return name

    count = shape[0] * shape[1]
    flat_shape = constant(f"{tag}_std_flat_shape", np.array([count], np.int64))
    axis = constant(f"{tag}_std_axis", np.array(0, np.int64))
    last = [constant(f"{tag}_std_last_start", np.array([count - 1], np.int64)),
            constant(f"{tag}_std_last_end", np.array([count], np.int64))]
    size = constant(f"{tag}_std_count", np.array([count], np.float64))

    def total(values: str, name: str) -> str:  # the sequential float64 sum of a flat vector, shape [1]
        return node("Slice", [node("CumSum", [values, axis], f"{name}_cumsum"), *last], name)

    wide = node("Cast", [node("Reshape", [weights, flat_shape], f"{tag}_std_flat")], f"{tag}_std_f64",
                to=TensorProto.DOUBLE)
    mean = node("Div", [total(wide, f"{tag}_std_sum"), size], f"{tag}_std_mean")
    centred = node("Sub", [wide, mean], f"{tag}_std_centred")
    squares = node("Mul", [centred, centred], f"{tag}_std_squares")
    variance = node("Div", [total(squares, f"{tag}_std_square_sum"), size], f"{tag}_std_variance")
    epsilon = constant(f"{tag}_std_epsilon", np.array([STANDARDIZE_EPSILON], np.float64))
    deviation = node("Sqrt", [node("Add", [variance, epsilon], f"{tag}_std_variance_eps")], f"{tag}_std_deviation")
    scaled = node("Cast", [node("Div", [centred, deviation], f"{tag}_std_scaled_f64")], f"{tag}_std_scaled",
                  to=TensorProto.FLOAT)
    return node("Reshape", [scaled, constant(f"{tag}_std_shape", np.array(shape, np.int64))], result)


def _frontend_nodes(frontend, artifact: PolicyArtifact, node, initializers: list, n_features: int) -> str:
    """The convolutional front end in float64 (ONNX Runtime has no float64 Conv: each convolution is a Gather of
    its input windows and a MatMul, in channels-last layout), rounded once to float32 like the NumPy twin."""
    from onnx import TensorProto, numpy_helper

    def constant(name: str, value: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(value, name))
        return name

    channels, height, width = frontend.input_shape
    x = node("Transpose", ["obs"], "frontend_hwc", perm=[0, 2, 3, 1])
    x = node("Reshape", [x, constant("frontend_flat_in", np.array([-1], dtype=np.int64))], "frontend_in_flat")
    x = node("Cast", [x], "frontend_in_f64", to=TensorProto.DOUBLE)
    for index, conv in enumerate(frontend.layers):
        tag = f"frontend_{index}"
        k, stride = conv.kernel, conv.stride
        out_h, out_w = (height - k) // stride + 1, (width - k) // stride + 1
        rows, cols = np.meshgrid(np.arange(out_h) * stride, np.arange(out_w) * stride, indexing="ij")
        ki, kj, kc = np.meshgrid(np.arange(k), np.arange(k), np.arange(channels), indexing="ij")
        windows = ((rows.reshape(-1, 1) + ki.reshape(1, -1)) * width + (cols.reshape(-1, 1) + kj.reshape(1, -1))) \
            * channels + kc.reshape(1, -1)  # [positions, k*k*C], channels-last
        x = node("Gather", [x, constant(f"{tag}_windows", windows.astype(np.int64))], f"{tag}_patches")
        kernel = np.asarray(artifact.static_tensors[f"frontend/{index}"], dtype=np.float64)  # [O, C, k, k]
        matrix = kernel.transpose(2, 3, 1, 0).reshape(k * k * channels, conv.out_channels)
        x = node("MatMul", [x, constant(f"{tag}_weight", matrix)], f"{tag}_conv")  # [positions, O]
        if conv.activation != "identity":
            x = node(_ONNX_ACTIVATIONS[conv.activation], [x], f"{tag}_act")
        channels, height, width = conv.out_channels, out_h, out_w
        if conv.pool > 1:
            p = conv.pool
            height, width = out_h // p, out_w // p
            grid = node("Reshape", [x, constant(f"{tag}_grid", np.array([out_h, out_w, channels], np.int64))],
                        f"{tag}_grid3")
            cropped = node("Slice", [grid, constant(f"{tag}_starts", np.array([0, 0], np.int64)),
                                     constant(f"{tag}_ends", np.array([height * p, width * p], np.int64)),
                                     constant(f"{tag}_axes", np.array([0, 1], np.int64))], f"{tag}_crop")
            blocks = node("Reshape", [cropped, constant(f"{tag}_blocks", np.array([height, p, width, p, channels],
                                                                                   np.int64))], f"{tag}_blocks5")
            x = node("ReduceMax", [blocks], f"{tag}_pool", axes=[1, 3], keepdims=0)  # [h, w, C]
        x = node("Reshape", [x, constant(f"{tag}_flat", np.array([-1], np.int64))], f"{tag}_out")
    chw = node("Reshape", [x, constant("frontend_hwc_shape", np.array([height, width, channels], np.int64))],
               "frontend_hwc_out")
    chw = node("Transpose", [chw], "frontend_chw", perm=[2, 0, 1])  # the NumPy twin flattens channels first
    flat = node("Reshape", [chw, constant("frontend_flat_shape", np.array([1, n_features], np.int64))],
                "frontend_flat")
    return node("Cast", [flat], "frontend_features", to=TensorProto.FLOAT)


def export_onnx(artifact: PolicyArtifact, path: str | os.PathLike, check: bool = True) -> Path:
    """Write the step graph to `path` (atomically) after `onnx.checker.check_model(full_check=True)`."""
    return atomic_write_bytes(Path(path), onnx_model_bytes(artifact, check))


def onnx_model_bytes(artifact: PolicyArtifact, check: bool = True) -> bytes:
    """The step graph as an .onnx file's bytes, after `onnx.checker.check_model(full_check=True)`."""
    onnx = _import_onnx()
    model = build_step_model(artifact)
    if check:
        onnx.checker.check_model(model, full_check=True)
    return model.SerializeToString()
