"""`hebbkit demo`: the main job in one command (`make demo`).

Until a trained model ships in `models/`, the demo runs a freshly initialised, UNTRAINED rule and says so. It
writes the policy artifact, inspects and exports it, then lets the rule drive the paper's Ant in PyBullet for one
episode from random weights, with both runtime backends (which agree to the bit), and writes a GIF of the episode
and a plot of the weights being reshaped. Output goes to `--output` (default `runs/demo`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class DemoConfig:
    """`hebbkit demo`: run the demo and write its artifact, ONNX graph, GIF and plot to OUTPUT."""

    output: Path = field(default=Path("runs/demo"), metadata={"help": "folder for the demo's files"})
    steps: int = field(default=1000, metadata={"help": "control steps of the episode (the Ant's 1,000)"})
    seed: int = field(default=0, metadata={"help": "seed of the coefficients, the initial weights and the env"})
    plot: bool = field(default=True, metadata={"help": "save a plot of the weights' trajectory (matplotlib)"})
    gif: bool = field(default=True, metadata={"help": "save a GIF of the episode (Pillow)"})


def run_demo(config: DemoConfig) -> int:
    from hebbkit.runtime import ANT28, NetworkSpec, Policy, load_artifact, new_artifact, save_artifact
    from hebbkit.runtime.cli import InspectConfig, run_inspect
    from hebbkit.runtime.onnx_graph import export_onnx
    from hebbkit.trainer.envs import QuadrupedEnv

    banner = "UNTRAINED RULE: coefficients drawn N(0, 1). No trained model ships yet, so do not expect a walk."
    print(f"{'=' * len(banner)}\n{banner}\n{'=' * len(banner)}")
    artifact_path = config.output / "untrained_ant28.npz"
    artifact = new_artifact(NetworkSpec(), profile=ANT28, seed=config.seed,
                            provenance={"command": "hebbkit demo", "note": "untrained demo rule"})
    save_artifact(artifact, artifact_path)
    print(f"\n[1/4] wrote {artifact_path}\n")
    run_inspect(InspectConfig(artifact=artifact_path))
    onnx_path = export_onnx(load_artifact(artifact_path), config.output / "untrained_ant28.onnx")
    print(f"\n[2/4] exported the ONNX twin of one control step: {onnx_path}")

    print(f"\n[3/4] the rule drives hebbkit/AntBullet-v0 for up to {config.steps} steps from random weights "
          "U[-0.1, 0.1], with both backends")
    policies = {name: Policy(artifact, name, seed=config.seed) for name in ("numpy", "onnx")}
    envs = {name: QuadrupedEnv(max_episode_steps=config.steps) for name in policies}
    observations = {name: env.reset(seed=config.seed)[0] for name, env in envs.items()}
    distance = {name: 0.0 for name in policies}
    seconds: dict[str, list[float]] = {name: [] for name in policies}
    norms, snapshots = [], []
    done = False
    step = 0
    while not done:
        step += 1
        actions = {}
        for name, policy in policies.items():
            start = time.perf_counter()
            actions[name] = policy.step(observations[name])
            seconds[name].append(time.perf_counter() - start)
            observations[name], _, terminated, truncated, info = envs[name].step(actions[name])
            distance[name] += info["progress"]
            done = done or terminated or truncated
        weights = policies["numpy"].backend.weights
        norms.append([np.linalg.norm(w) for w in weights])
        if step % 10 == 0:
            snapshots.append(np.concatenate([w.ravel() for w in weights]))
        if step in (1, 10, 100) or step % 250 == 0 or done:
            print(f"  step {step:5d}  |W| per layer [{', '.join(f'{n:9.1f}' for n in norms[-1])}]  "
                  f"distance {distance['numpy']:7.2f}  torso x {info['torso_position'][0]:6.2f} m")
    identical = np.array_equal(observations["numpy"], observations["onnx"])
    print("\n[4/4] results")
    for name in policies:
        micros = np.array(seconds[name]) * 1e6
        print(f"  {name:6s} backend: median {np.median(micros):6.1f} us per control step, p99 "
              f"{np.percentile(micros, 99):6.1f} us; distance (summed progress) {distance[name]:.2f}")
    print(f"  numpy and onnx episodes identical to the last bit: {identical}")
    if config.plot and len(snapshots) >= 3:
        _plot(config.output / "weights_trajectory.png", np.array(norms), np.array(snapshots))
    if config.gif:
        _gif(config.output / "untrained_ant.gif", artifact, config)
    print("\nNo reward signal reached the network: the rule alone reshaped the random weights at every step.")
    return 0


def _gif(path: Path, artifact, config: DemoConfig) -> None:
    try:
        from hebbkit.runtime import Policy
        from hebbkit.trainer.envs import QuadrupedEnv
        from hebbkit.trainer.envs.video import record_gif
    except ImportError:
        print("  (Pillow not installed: no GIF; pip install 'hebbkit[train]')")
        return
    policy = Policy(artifact, "numpy", seed=config.seed)
    env = QuadrupedEnv(render_mode="rgb_array", render_size=(240, 180))
    record_gif(env, policy.step, path, steps=min(config.steps, 300), every=3, seed=config.seed)
    print(f"  GIF: {path}")


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
        left.plot(np.arange(1, len(norms) + 1), norms[:, layer], label=f"layer {layer}")
    left.set(yscale="log", xlabel="control step", ylabel="Frobenius norm of W",
             title="weight norms (untrained rule, Ant)")
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
