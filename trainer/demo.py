"""`hebbkit demo`: the main job in one command (`make demo`).

Runs the best shipped Ant model (`models/ant-robust/model.npz`: it walks further than `ant-paper` on the standard body
and three times as far on the damaged body the paper held out) headless in PyBullet, from fresh random weights
every episode, on the standard body and on that held-out damaged body; prints distance and
steps-to-walk; writes a GIF (the ant walking from random weights, then a leg breaking at step 500) and a plot of the
weights travelling from their random start to where the rule takes them. If no model ships, it runs a freshly
initialised, UNTRAINED rule and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .evaluate import plural

SHIPPED_MODEL = Path("models/ant-robust/model.npz")  # found from any folder: hebbkit.runtime.shipped


@dataclass(frozen=True)
class DemoConfig:
    """`hebbkit demo`: run the shipped Ant model from random weights; write its GIF and plots to OUTPUT."""

    model: Path = field(default=SHIPPED_MODEL, metadata={
        "help": "policy artifact (.npz) to run (untrained if missing)"})
    output: Path = field(default=Path("runs/demo"), metadata={"help": "folder for the GIF, plots and files"})
    episodes: int = field(default=3, metadata={"help": "episodes per body, fresh random weights each"})
    max_steps: int = field(default=1000, metadata={"help": "control steps per episode, 40 burn-in included",
                                                   "aliases": ("steps",)})
    seed: int = field(default=0, metadata={"help": "episode i uses seed + i"})
    plot: bool = field(default=True, metadata={"help": "save the weights' trajectory plot (matplotlib)"})
    gif: bool = field(default=True, metadata={"help": "save a GIF of an episode with a leg breaking (Pillow)"})


def run_demo(config: DemoConfig) -> int:
    from hebbkit.runtime import ANT28, NetworkSpec, load_artifact, new_artifact, save_artifact
    from hebbkit.runtime.shipped import locate_model

    from .episodes import episode_cruise_step, summarise, walk_phrase
    from .fitness import FitnessProtocol, run_episode

    config.output.mkdir(parents=True, exist_ok=True)
    model = locate_model(config.model)  # the default also from outside the checkout
    if model is not None:
        artifact = load_artifact(model)
        provenance = artifact.provenance
        print(f"model {model}: rule {artifact.network.rule} on "
              f"{'-'.join(map(str, artifact.network.layer_sizes))}, trained {provenance.get('generations')} "
              f"generations ({provenance.get('command')}), sha256 {artifact.sha256()[:12]}")
    else:
        banner = (f"NO MODEL AT {config.model}: running an UNTRAINED rule (coefficients ~ N(0, 1)); "
                  "do not expect a walk (give a model with --model PATH)")
        print(f"{'=' * len(banner)}\n{banner}\n{'=' * len(banner)}")
        artifact = new_artifact(NetworkSpec(), profile=ANT28, seed=config.seed,
                                provenance={"command": "hebbkit demo", "note": "untrained demo rule"})
        save_artifact(artifact, config.output / "untrained_ant28.npz")
    protocol = FitnessProtocol(morphologies=("standard", "damaged_left_front"), max_steps=config.max_steps,
                               early_stop_after=config.max_steps)
    print(f"\n{plural(config.episodes, 'episode')} per body, {config.max_steps} steps each (40 zero-action burn-in), "
          "fresh random weights U[-0.1, 0.1] every episode, no reward signal to the network:", flush=True)
    progress = _progress_bar(len(protocol.morphologies) * config.episodes * config.max_steps)
    summary = {}
    for morphology in protocol.morphologies:
        results = []
        for index in range(config.episodes):
            curve: list[float] = []
            result = run_episode(artifact, protocol, morphology, config.seed + index, record_distance=curve)
            results.append((result, episode_cruise_step(result.steps, protocol.max_steps, curve)))
            if progress is not None:
                progress.update(config.max_steps)
        summary[morphology] = results
    if progress is not None:
        progress.close()
    for morphology, results in summary.items():
        finals = np.array([r.fitness for r, _ in results])
        summary_of_body = summarise([{"distance": r.fitness, "walk_step": r.walk_step, "cruise_step": cruise}
                                     for r, cruise in results])
        held_out = " (held out from training)" if morphology == "damaged_left_front" else ""
        print(f"  {morphology}{held_out}: distance {finals.mean():.1f} +- {finals.std():.1f} "
              f"[{', '.join(f'{d:.0f}' for d in finals)}]; {walk_phrase(summary_of_body)}")
    if config.gif:
        _gif(config.output / "ant_walks_then_leg_breaks.gif", artifact, config)
    if config.plot:
        _plot(config.output / "weights_trajectory.png", artifact, config)
    print(f"\nfiles in {config.output}/")
    return 0


def _progress_bar(total: int):
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="step", unit_scale=True, desc="episodes", leave=False)


def _gif(path: Path, artifact, config: DemoConfig) -> None:
    from hebbkit.trainer.envs import Perturbations, QuadrupedEnv, ScheduledEvent
    from hebbkit.trainer.envs.video import GifFrames

    from .fitness import FitnessProtocol, run_episode

    breaking = Perturbations(events=(ScheduledEvent(500, "break_segment", leg="front_left", segment="lower",
                                                    scale=0.25),))
    env = QuadrupedEnv(perturbations=breaking, render_mode="rgb_array", render_size=(240, 180),
                       max_episode_steps=config.max_steps)
    protocol = FitnessProtocol(morphologies=("standard",), max_steps=config.max_steps,
                               early_stop_after=config.max_steps)
    frames = GifFrames(every=5)
    try:
        run_episode(artifact, protocol, "standard", config.seed, env=env, on_step=frames)
    finally:
        env.close()
    frames.save(path)
    print(f"  GIF (front-left lower leg breaks at step 500): {path}")


def _plot(path: Path, artifact, config: DemoConfig) -> None:
    """Weights over an episode for several random inits, projected on the principal components of all of them."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("  (matplotlib not installed: no plot; pip install 'hebbkit[train]')")
        return
    from hebbkit.runtime import Policy

    from .fitness import FitnessProtocol, cached_env

    protocol = FitnessProtocol(morphologies=("standard",), max_steps=config.max_steps)
    env = cached_env(protocol, "standard")
    trajectories, norms = [], []
    for init in range(3):
        policy = Policy(artifact, "numpy", seed=config.seed + 100 + init)
        observation, _ = env.reset(seed=config.seed + 100 + init)
        snapshots, layer_norms = [], []
        for step in range(1, config.max_steps + 1):
            action = np.zeros(8, np.float32) if step <= 40 else policy.step(observation)
            observation, *_ = env.step(action)
            if step % 5 == 0:
                weights = policy.backend.weights
                snapshots.append(np.concatenate([w.ravel() for w in weights]))
                layer_norms.append(sum(float(np.linalg.norm(w)) for w in weights))
        trajectories.append(np.array(snapshots))
        norms.append(layer_norms)
    stacked = np.concatenate(trajectories)
    centre = stacked.mean(axis=0)
    _, _, components = np.linalg.svd(stacked - centre, full_matrices=False)
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for index, (trajectory, layer_norms) in enumerate(zip(trajectories, norms, strict=True)):
        projected = (trajectory - centre) @ components[:2].T
        left.plot(projected[:, 0], projected[:, 1], "-", label=f"random init {index + 1}")
        left.plot(projected[0, 0], projected[0, 1], "ko", markersize=4)
        right.plot(np.arange(1, len(layer_norms) + 1) * 5, layer_norms)
    left.set(xlabel="PC 1", ylabel="PC 2", title="weights during an episode (dots: random start)")
    left.legend()
    right.set(xlabel="control step", ylabel="sum of layer norms |W|", yscale="log", title="weight growth")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    print(f"  plot of the weights' trajectories: {path}")
