"""What a walking model's network does over an episode: how fast it cruises, how saturated its units are, how large
its weights grow.

    .venv/bin/python experiments/gait_analysis.py models/ant-robust/model.npz models/ant-static/model.npz

For every artifact, `--episodes` episodes on `--body` (seeds `--seed`, `--seed`+1, ...; full episodes, no early
stop) print one row: the distance; the distance walked per 100-step window, first window and the mean of the
rest (the cruise); the share of steps at which a unit's |activation| exceeds 0.95, per layer (the last layer is the
action); the dominant frequency of the actions; the largest |weight| at the episode's end; and, for robots whose
observation has foot contacts (the Ant's does), the gait after the first 100 steps: each foot's duty factor (the
share of steps it is on the ground; feet named by their leg where the robot file names legs) and the stride
frequency (the dominant frequency of the contacts), so speed = stride length x stride frequency can be split into
its two factors. Activations are recomputed from the weights each step acts with (`forward_layer`, as every backend
computes them).

`--gait-diagram PNG` draws each row's first episode as a gait diagram: one bar per foot where it touches the
ground, over `--diagram-steps` policy steps from step `--diagram-start`.

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
from dataclasses import dataclass, field
from itertools import product

import numpy as np

from hebbkit.runtime import Policy, load_artifact
from hebbkit.runtime.errors import ConfigError
from hebbkit.runtime.network import forward_layer
from hebbkit.runtime.robot_file import resolve_robot
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
    contacts: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # [policy steps, feet], 1 on the ground
    foot_names: tuple[str, ...] = ()  # the feet's labels: their legs' names where the robot file has them
    dt: float = 0.0  # seconds per policy step

    @property
    def cruise_contacts(self) -> np.ndarray:
        """The contacts after the first WINDOW policy steps, when the gait has formed."""
        return self.contacts[WINDOW:]

    @property
    def duty_factors(self) -> np.ndarray | None:
        """Per foot, the share of cruise steps it is on the ground (None: no contacts observed)."""
        cruise = self.cruise_contacts
        return np.mean(cruise > 0.5, axis=0) if cruise.size else None

    @property
    def stride_hz(self) -> float | None:
        """The dominant frequency of the feet's contacts over the cruise (None: no contacts, or a foot pattern
        that never changes)."""
        cruise = (self.cruise_contacts > 0.5).astype(float)
        if cruise.shape[0] < 4 or not cruise.std(0).any():
            return None
        return dominant_frequency(cruise, self.dt)


def dominant_frequency(signals: np.ndarray, dt: float) -> float:
    """The frequency (Hz) of the largest non-zero bin of the signals' mean amplitude spectrum ([steps, signals],
    one sample every `dt` seconds)."""
    spectrum = np.abs(np.fft.rfft(signals - signals.mean(0), axis=0)).mean(1)
    return float(np.fft.rfftfreq(len(signals), d=dt)[1:][np.argmax(spectrum[1:])])


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
    profile = artifact.profile
    names = list(profile.observation_names)
    observed = [foot for foot in profile.foot_names if f"{foot}_contact" in names]
    feet = feet_by_leg(profile.robot, observed)
    contact_index = [names.index(f"{observed[index]}_contact") for index, _ in feet]
    contacts: list[np.ndarray] = []
    act = policy.step

    def traced_step(observation: np.ndarray) -> np.ndarray:
        post = np.asarray(observation, dtype=np.float32).reshape(-1)
        contacts.append(post[contact_index])
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
    return EpisodeGait(result.fitness, windows, saturated, dominant_frequency(actions, dt),
                       float(max(np.abs(w).max() for w in policy.weights)),
                       np.asarray(contacts, dtype=np.float32).reshape(len(contacts), len(feet)),
                       tuple(label for _, label in feet), dt)


def feet_by_leg(robot: str, feet: list[str]) -> list[tuple[int, str]]:
    """(position in `feet`, label) per foot, in the robot file's leg order: a foot that is a leg's lower segment is
    labelled with the leg's name (the Ant's feet are ant.xml's bodies, whose names do not say where they stand);
    other feet keep their own names and come last."""
    try:
        legs = [(leg, spec.lower_body) for leg, spec in resolve_robot(robot).leg_parts.items()]
    except (ConfigError, OSError, ValueError):
        legs = []
    named = [(feet.index(body), leg) for leg, body in legs if body in feet]
    labelled = {index for index, _ in named}
    return named + [(index, foot) for index, foot in enumerate(feet) if index not in labelled]


def mean_or_none(values: list[float | None]) -> float | None:
    """The mean of the values, None if any is None (a gait figure that some episode does not have)."""
    return None if any(value is None for value in values) else float(np.mean(values))


def gait_diagram(rows: list[tuple[str, EpisodeGait]], path: str, start: int, steps: int) -> None:
    """A gait diagram per row (label, its first episode): a bar per foot while it is on the ground, over `steps`
    policy steps from `start`; written to `path` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(len(rows), 1, figsize=(9, 0.35 + 0.45 * max(len(g.foot_names) for _, g in rows)
                                                          * len(rows)), squeeze=False)
    for axis, (label, gait) in zip(axes[:, 0], rows, strict=True):
        window = gait.contacts[start:start + steps] > 0.5
        for row in range(len(gait.foot_names)):
            edges = np.diff(np.concatenate([[0], window[:, row].astype(int), [0]]))
            on, off = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
            axis.broken_barh([((start + a) * gait.dt, (b - a) * gait.dt) for a, b in zip(on, off, strict=True)],
                             (row - 0.4, 0.8), color="black")
        axis.set_yticks(range(len(gait.foot_names)), gait.foot_names, fontsize=8)
        axis.invert_yaxis()  # the first leg on top
        axis.set_xlim(start * gait.dt, (start + steps) * gait.dt)
        axis.set_title(f"{label}: distance {gait.distance:.0f}, stride {hertz(gait.stride_hz)}", fontsize=9,
                       loc="left")
    axes[-1, 0].set_xlabel("time since the burn-in ended (s); black: foot on the ground")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


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
    parser.add_argument("--gait-diagram", metavar="PNG",
                        help="draw each row's first episode as a gait diagram (feet on the ground over time)")
    parser.add_argument("--diagram-start", type=int, default=600, help="first policy step of the gait diagram")
    parser.add_argument("--diagram-steps", type=int, default=120, help="policy steps the gait diagram spans")
    args = parser.parse_args()
    if args.diagram_start < 0 or args.diagram_steps < 1:
        parser.error("--diagram-start must be >= 0 and --diagram-steps >= 1")
    if args.freeze_gain and not args.freeze_after:
        parser.error("--freeze-gain rescales the weights --freeze-after froze: give --freeze-after too")
    print(f"| artifact | distance | first {WINDOW} steps | per {WINDOW} steps after | units > {SATURATED} "
          f"(per layer) | action frequency | max abs weight at the end | duty factor per foot | stride frequency |")
    print("|---|---|---|---|---|---|---|---|---|")
    diagram_rows: list[tuple[str, EpisodeGait]] = []
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
                  f"| {np.mean([g.max_weight for g in gaits]):,.1f} "
                  f"| {duty_cell(gaits)} "
                  f"| {hertz(mean_or_none([g.stride_hz for g in gaits]))} |")
            diagram_rows.append((label, gaits[0]))
    if args.gait_diagram:
        if not diagram_rows[0][1].foot_names:
            parser.error("--gait-diagram needs an observation with foot contacts")
        gait_diagram(diagram_rows, args.gait_diagram, args.diagram_start, args.diagram_steps)
        print(f"gait diagram: {args.gait_diagram}")


def duty_cell(gaits: list[EpisodeGait]) -> str:
    """Each foot's duty factor, mean over the episodes: "front_left 25%, front_right 4%, ..." (n/a: no contacts)."""
    duties = [gait.duty_factors for gait in gaits]
    if any(duty is None for duty in duties):
        return "n/a"
    return ", ".join(f"{foot} {share:.0%}" for foot, share in zip(gaits[0].foot_names, np.mean(duties, axis=0),
                                                                     strict=True))


def hertz(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} Hz"

if __name__ == "__main__":
    main()
