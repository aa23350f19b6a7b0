"""What a walking model's network does over an episode: how fast it cruises, how saturated its units are, how large
its weights grow.

    .venv/bin/python experiments/gait_analysis.py models/ant-robust/model.npz models/ant-static/model.npz

For every artifact, `--episodes` episodes on `--body` (seeds `--seed`, `--seed`+1, ...; full episodes, no early
stop) print one row: the distance; the distance walked per 100-step window, first window and the mean of the
rest (the cruise); the share of steps at which a unit's |activation| exceeds 0.95, per layer (the last layer is the
action); the dominant frequency of the actions; and the largest |weight| at the episode's end. Activations are
recomputed from the weights each step acts with (`forward_layer`, as every backend computes them).

`--sign-layers 1 2` asks what saturation costs a network that does not saturate by itself: a static network's units
of those layers (1-based; the last is the action) are replaced by their sign, +-1, as the Hebbian networks' units
are after their first 100 steps, and the episodes run again with nothing retrained. Static artifacts only (in a
plastic network the forced activations would also change the updates).

`--freeze-after 100 200` asks whether a Hebbian network's gait needs its rules once it walks: each artifact runs
again with learning switched off (`Policy.plastic = False`) after that many policy steps, one row per step count;
the weights it walks on from then are those its rules had built. Plastic artifacts only. With `--freeze-gain 1 3`
(one row per gain) each layer's frozen weights are also rescaled to that largest |w|: how much of the gait survives
when its units are brought back towards tanh's graded range.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from itertools import product

import numpy as np

from hebbkit.runtime import Policy, load_artifact
from hebbkit.runtime.network import forward_layer
from hebbkit.trainer.episodes import protocol_for
from hebbkit.trainer.fitness import run_episode

SATURATED = 0.95
WINDOW = 100


@dataclass
class EpisodeGait:
    distance: float
    windows: np.ndarray  # distance per WINDOW steps
    saturated: np.ndarray  # share of (step, unit) with |activation| > SATURATED, per layer
    frequency_hz: float  # dominant frequency of the actions (mean spectrum over joints)
    max_weight: float  # largest |w| over all layers at the episode's end


def episode_gait(path: str, body: str, seed: int, max_steps: int, burn_in: int,
                 sign_layers: tuple[int, ...] = (), freeze_after: int | None = None,
                 freeze_gain: float | None = None) -> EpisodeGait:
    """One episode of the artifact at `path`, traced step by step; with `sign_layers` (1-based, static artifacts
    only) the units of those layers act as sign units; with `freeze_after` (plastic artifacts only) learning stops
    after that many policy steps, and with `freeze_gain` each layer's weights are then rescaled to that largest |w|."""
    artifact = load_artifact(path)
    if freeze_after is not None and artifact.network.rule == "static":
        raise ValueError(f"{path}: --freeze-after needs a plastic network, this one is static")
    if sign_layers and artifact.network.rule != "static":
        raise ValueError(f"{path}: --sign-layers needs a static network, this one's rule is {artifact.network.rule}")
    if any(not 1 <= layer <= artifact.network.n_layers for layer in sign_layers):
        raise ValueError(f"{path}: --sign-layers takes layers 1-{artifact.network.n_layers}, got {list(sign_layers)}")
    protocol = protocol_for(artifact, (body,), max_steps, burn_in, early_stop=False)
    policy = Policy(artifact, "numpy", seed=seed)
    layers: list[list[np.ndarray]] = []
    act = policy.step

    def traced_step(observation: np.ndarray) -> np.ndarray:
        post = np.asarray(observation, dtype=np.float32).reshape(-1)
        activations = []
        for layer, (activation, weights) in enumerate(zip(artifact.network.activations, policy.weights, strict=True)):
            post = forward_layer(activation, post, weights)
            if layer + 1 in sign_layers:
                post = np.sign(post).astype(np.float32)
            activations.append(post)
        layers.append(activations)
        if freeze_after is not None and len(layers) == freeze_after + 1:
            policy.plastic = False
            if freeze_gain is not None:
                policy.set_weights([(w * (freeze_gain / max(float(np.abs(w).max()), 1e-30))).astype(np.float32)
                                    for w in policy.weights])
        return post if sign_layers else act(observation)  # a static network's step is its forward pass

    policy.step = traced_step  # type: ignore[method-assign]
    progress: list[float] = []
    env = protocol.make_env(body)
    try:
        result = run_episode(artifact, protocol, body, seed, policy=policy, env=env, record_distance=progress)
        dt = float(env.unwrapped.dt)
    finally:
        env.close()
    cumulative = np.asarray(progress)
    windows = np.diff(np.concatenate([[0.0], cumulative[WINDOW - 1::WINDOW]]))
    saturated = np.array([np.mean([np.mean(np.abs(step[k]) > SATURATED) for step in layers])
                          for k in range(len(layers[0]))])
    actions = np.array([step[-1] for step in layers])
    spectrum = np.abs(np.fft.rfft(actions - actions.mean(0), axis=0)).mean(1)
    frequencies = np.fft.rfftfreq(len(actions), d=dt)
    return EpisodeGait(result.fitness, windows, saturated, float(frequencies[1:][np.argmax(spectrum[1:])]),
                       float(max(np.abs(w).max() for w in policy.weights)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("artifacts", nargs="+", help="policy artifacts (.npz)")
    parser.add_argument("--body", default="standard", help="body, as `hebbkit eval --bodies` reads one")
    parser.add_argument("--episodes", type=int, default=5, help="episodes per artifact")
    parser.add_argument("--seed", type=int, default=10_000_200, help="first episode's seed")
    parser.add_argument("--max-steps", type=int, default=1000, help="steps per episode, burn-in included")
    parser.add_argument("--burn-in", type=int, default=40, help="zero-action steps at the start")
    parser.add_argument("--sign-layers", type=int, nargs="+", default=(), metavar="LAYER",
                        help="static networks only: these layers' units (1-based, the last is the action) act as "
                             "sign units, +-1")
    parser.add_argument("--freeze-after", type=int, nargs="+", default=(), metavar="STEPS",
                        help="plastic networks only: one row per count, learning switched off after that many "
                             "policy steps")
    parser.add_argument("--freeze-gain", type=float, nargs="+", default=(), metavar="GAIN",
                        help="with --freeze-after: one row per gain, each layer's frozen weights rescaled to that "
                             "largest |w|")
    args = parser.parse_args()
    if args.freeze_gain and not args.freeze_after:
        parser.error("--freeze-gain rescales the weights --freeze-after froze: give --freeze-after too")
    print(f"| artifact | distance | first {WINDOW} steps | per {WINDOW} steps after | units > {SATURATED} "
          f"(per layer) | action frequency | max abs weight at the end |")
    print("|---|---|---|---|---|---|---|")
    for path in args.artifacts:
        for freeze_after, gain in product(args.freeze_after or (None,), args.freeze_gain or (None,)):
            try:
                gaits = [episode_gait(path, args.body, args.seed + i, args.max_steps, args.burn_in,
                                      tuple(args.sign_layers), freeze_after, gain) for i in range(args.episodes)]
            except ValueError as error:
                parser.error(str(error))
            windows = np.mean([g.windows for g in gaits], axis=0)
            saturated = np.mean([g.saturated for g in gaits], axis=0)
            label = path
            if args.sign_layers:
                label += f", layers {' '.join(map(str, args.sign_layers))} as sign units"
            if freeze_after is not None:
                label += f", learning off after {freeze_after} steps"
            if gain is not None:
                label += f", weights rescaled to largest {gain:g}"
            print(f"| {label} | {np.mean([g.distance for g in gaits]):.0f} | {windows[0]:.0f} "
                  f"| {windows[1:].mean():.0f} | {' / '.join(f'{s:.0%}' for s in saturated)} "
                  f"| {np.mean([g.frequency_hz for g in gaits]):.2f} Hz "
                  f"| {np.mean([g.max_weight for g in gaits]):,.1f} |")

if __name__ == "__main__":
    main()
