"""ONNX Runtime backend: the step graph of `hebbkit.runtime.onnx_graph`, weights kept in bound buffers.

Two sets of weight buffers alternate as graph input and output (IOBinding), so the plastic state never travels
through Python between steps: step t reads set t % 2 and writes set (t + 1) % 2. The buffers are NumPy arrays that
ONNX Runtime uses in place, so `weights` is a zero-copy view for the guard and for inspection.
"""

from __future__ import annotations

import numpy as np

from ..artifact import PolicyArtifact
from ..errors import BackendUnavailableError
from ..onnx_graph import build_step_model, input_name, output_name


def _import_onnxruntime():
    try:
        import onnxruntime
    except ImportError as error:
        raise BackendUnavailableError(
            "the 'onnx' backend needs onnxruntime: pip install 'hebbkit[onnx]'"
        ) from error
    return onnxruntime


class OnnxBackend:
    """Runs the step graph in an ONNX Runtime CPU session with swapped, pre-bound weight buffers."""

    name = "onnx"

    def __init__(self, artifact: PolicyArtifact, threads: int = 1) -> None:
        ort = _import_onnxruntime()
        spec = artifact.network
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        model = build_step_model(artifact).SerializeToString()
        self.session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])

        def value(array: np.ndarray):
            return ort.OrtValue.ortvalue_from_numpy(array)

        self._observation = np.zeros((1, *spec.observation_shape), dtype=np.float32)
        self._action = np.zeros((1, spec.n_outputs), dtype=np.float32)
        # Buffer sets 0 and 1 alternate; set 2 receives the (discarded) update when learning is frozen.
        self._sets = [[np.zeros(shape, dtype=np.float32) for shape in spec.layer_shapes] for _ in range(3)]
        self._keep = [self._observation, self._action]  # the OrtValues below borrow these arrays' memory
        observation_value, action_value = value(self._observation), value(self._action)
        set_values = [[value(array) for array in arrays] for arrays in self._sets]

        def binding(read: int, write: int):
            bound = self.session.io_binding()
            bound.bind_ortvalue_input("obs", observation_value)
            bound.bind_ortvalue_output("action", action_value)
            for layer in range(spec.n_layers):
                bound.bind_ortvalue_input(input_name(layer), set_values[read][layer])
                bound.bind_ortvalue_output(output_name(layer), set_values[write][layer])
            return bound

        self._learning = [binding(0, 1), binding(1, 0)]
        self._frozen = [binding(0, 2), binding(1, 2)]
        self._values = (observation_value, action_value, set_values)
        self._current = 0

    @property
    def weights(self) -> list[np.ndarray]:
        return self._sets[self._current]

    def load_weights(self, weights: list[np.ndarray]) -> None:
        for buffer, values in zip(self._sets[self._current], weights, strict=True):
            np.copyto(buffer, values)

    def step(self, observation: np.ndarray, plastic: bool) -> np.ndarray:
        self._observation[0] = observation
        if plastic:
            self.session.run_with_iobinding(self._learning[self._current])
            self._current ^= 1
        else:
            self.session.run_with_iobinding(self._frozen[self._current])
        return self._action[0]
