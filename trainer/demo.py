"""`hebbkit demo`: the main job in one command (`make demo`).

Until a trained model ships in `models/`, the demo runs a freshly initialised, UNTRAINED rule, and says so. It
writes the artifact, inspects and exports it, then runs one 1,000-step episode from random weights with both
runtime backends on a synthetic observation stream, showing the weights being reshaped step by step, the two
backends agreeing, and the cost of a control step. Output goes to `--output` (default `runs/demo`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class DemoConfig:
    """`hebbkit demo`: run the demo and write its artifact, ONNX graph and plot to OUTPUT."""

    output: Path = field(default=Path("runs/demo"), metadata={"help": "folder for the demo's files"})
    steps: int = field(default=1000, metadata={"help": "control steps of the episode"})
    seed: int = field(default=0, metadata={"help": "seed of the coefficients, the initial weights and the stream"})
    plot: bool = field(default=True, metadata={"help": "save a PNG of the weights' trajectory (needs matplotlib)"})


def run_demo(config: DemoConfig) -> int:
    from hebbkit.runtime import ANT28, NetworkSpec, Policy, load_artifact, new_artifact, save_artifact
    from hebbkit.runtime.bench import observation_stream
    from hebbkit.runtime.cli import InspectConfig, run_inspect
    from hebbkit.runtime.onnx_graph import export_onnx

    banner = "UNTRAINED RULE: coefficients drawn N(0, 1); no trained model ships yet, so nothing here walks"
    print(f"{'=' * len(banner)}\n{banner}\n{'=' * len(banner)}")
    artifact_path = config.output / "untrained_ant28.npz"
    artifact = new_artifact(
        NetworkSpec(), profile=ANT28, seed=config.seed,
        provenance={"command": "hebbkit demo", "note": "untrained demo rule"},
    )
    save_artifact(artifact, artifact_path)
    print(f"\n[1/4] wrote {artifact_path}\n")
    run_inspect(InspectConfig(artifact=artifact_path))
    onnx_path = export_onnx(load_artifact(artifact_path), config.output / "untrained_ant28.onnx")
    print(f"\n[2/4] exported the ONNX twin of one control step: {onnx_path}")

    print(f"\n[3/4] one episode of {config.steps} steps from random weights U[-0.1, 0.1], both backends")
    observations = observation_stream(artifact.network.n_inputs, config.steps, config.seed)
    policies = {name: Policy(artifact, name, seed=config.seed) for name in ("numpy", "onnx")}
    norms = {name: np.zeros((config.steps + 1, artifact.network.n_layers)) for name in policies}
    snapshots = []
    seconds: dict[str, list[float]] = {name: [] for name in policies}
    worst_action_gap = 0.0
    for name, policy in policies.items():
        norms[name][0] = [np.linalg.norm(w) for w in policy.backend.weights]
    for step, observation in enumerate(observations, start=1):
        actions = {}
        for name, policy in policies.items():
            start = time.perf_counter()
            actions[name] = policy.step(observation)
            seconds[name].append(time.perf_counter() - start)
            norms[name][step] = [np.linalg.norm(w) for w in policy.backend.weights]
        worst_action_gap = max(worst_action_gap, float(np.abs(actions["numpy"] - actions["onnx"]).max()))
        if step % 10 == 0:
            snapshots.append(np.concatenate([w.ravel() for w in policies["numpy"].backend.weights]))
        if step in (1, 10, 100, config.steps) or step % 250 == 0:
            layer_norms = ", ".join(f"{n:9.1f}" for n in norms["numpy"][step])
            print(f"  step {step:5d}  |W| per layer [{layer_norms}]  action[:4] {np.round(actions['numpy'][:4], 3)}")
    print("\n[4/4] results")
    for name in policies:
        micros = np.array(seconds[name]) * 1e6
        print(f"  {name:6s} backend: median {np.median(micros):6.1f} us per control step, "
              f"p99 {np.percentile(micros, 99):6.1f} us, guard resets {policies[name].stats.guard_resets}")
    drift = float(np.max(np.abs(norms["numpy"][-1] - norms["onnx"][-1]) / norms["numpy"][-1]))
    print(f"  numpy vs onnx: max |action gap| over the episode {worst_action_gap:.2e}, "
          f"final weight-norm gap {drift:.2e} (float32 twins; see docs/runtime.md on drift)")
    if config.plot:
        _plot(config.output / "weights_trajectory.png", norms["numpy"], np.array(snapshots))
    print("\nThe rule reshaped random weights online with no reward signal. A trained rule walks: see README.")
    return 0


def _plot(path: Path, norms: np.ndarray, snapshots: np.ndarray) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("  (matplotlib not installed: no plot; pip install 'hebbkit[train]')")
        return
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for layer in range(norms.shape[1]):
        left.plot(norms[:, layer], label=f"layer {layer}")
    left.set(yscale="log", xlabel="control step", ylabel="Frobenius norm of W", title="weight norms (untrained rule)")
    left.legend()
    centred = snapshots - snapshots.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    projected = centred @ components[:2].T
    right.plot(projected[:, 0], projected[:, 1], "-", color="0.6")
    points = right.scatter(projected[:, 0], projected[:, 1], c=np.arange(len(projected)) * 10, s=12)
    right.set(xlabel="PC 1", ylabel="PC 2", title="weights over the episode (PCA)")
    figure.colorbar(points, ax=right, label="control step")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    print(f"  plot: {path}")
