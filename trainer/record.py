"""`hebbkit record`: a GIF of one episode of any artifact, from fresh random weights.

The episode is the evaluation's (`hebbkit eval`): the same env, body, burn-in and seed, without early stop, so the
score printed beside the GIF is the one `hebbkit eval --episodes 1 --seed SEED` reports for that episode. Works for
every robot the envs simulate and for CarRacing (the full-resolution frame of Gymnasium's CarRacing-v3, not the
84 x 84 input the network sees).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hebbkit.runtime.errors import ConfigError

from .evaluate import DEFAULT_BURN_IN, check_burn_in, robot_file_field


@dataclass(frozen=True)
class RecordConfig:
    """`hebbkit record`: write a GIF of one episode of ARTIFACT from fresh random weights (any robot, or CarRacing),
    and print its score."""

    artifact: Path = field(metadata={"positional": True, "help": "policy artifact (.npz)"})
    output: Path | None = field(default=None, metadata={
        "help": "GIF path (default: runs/record/<model folder>-<body>-seed<seed>.gif)"})
    body: str = field(default="standard", metadata={
        "help": "body, as `hebbkit eval --bodies` reads it (CarRacing: ignored)", "aliases": ("morphology",)})
    seed: int = field(default=0, metadata={"help": "env seed and initial-weight seed, as `hebbkit eval --seed`"})
    max_steps: int = field(default=1000, metadata={"help": "control steps of the episode"})
    burn_in: int = field(default=DEFAULT_BURN_IN, metadata={
        "help": "zero-action steps first (legged robots; CarRacing has none)"})
    every: int = field(default=5, metadata={"help": "keep every N-th frame (the GIF still plays in real time)"})
    width: int = field(default=320, metadata={"help": "GIF width in pixels (frames are scaled; 0: as rendered)"})
    backend: str = field(default="numpy", metadata={"help": "policy backend: numpy, c or onnx"})
    robot: str | None = robot_file_field()


def default_output(config: RecordConfig) -> Path:
    body = config.body.replace(":", "_").replace("+", "-")
    return Path("runs/record") / f"{config.artifact.resolve().parent.name}-{body}-seed{config.seed}.gif"


def record(config: RecordConfig) -> tuple[Path, float, int, str]:
    """Record the episode; returns (GIF path, score, steps run, what the score is)."""
    from hebbkit.runtime import load_artifact
    from hebbkit.runtime.outputs import check_output_file, writing

    from .envs.video import GifFrames
    from .episodes import protocol_for
    from .fitness import run_episode

    if config.max_steps < 1 or config.every < 1 or config.width < 0 or config.burn_in < 0:
        raise ConfigError("max_steps and every must be >= 1, width and burn_in >= 0")
    output = check_output_file(config.output or default_output(config), "--output")  # before the episode runs
    artifact = load_artifact(config.artifact)
    protocol = protocol_for(artifact, (config.body,), config.max_steps, config.burn_in, early_stop=False,
                            robot=config.robot)
    if protocol.env != "carracing":
        check_burn_in(config.max_steps, config.burn_in)
    env = protocol.make_env(config.body, render_mode="rgb_array")
    frames = GifFrames(config.every, config.width or None)
    try:
        result = run_episode(artifact, protocol, config.body, config.seed, backend=config.backend, env=env,
                             on_step=frames)
    finally:
        env.close()
    with writing(output, "--output"):
        path = frames.save(output)
    label = "score (total reward)" if protocol.fitness_term == "reward" else "distance (summed progress)"
    return path, result.fitness, result.steps, label


def run_record(config: RecordConfig) -> int:
    path, score, steps, label = record(config)
    print(f"{config.artifact} on {config.body}, seed {config.seed}: {steps} steps, {label} {score:.1f}")
    print(f"GIF: {path} ({file_size(path.stat().st_size)})")
    return 0


def file_size(size: int) -> str:
    """A file's size for a report: KB below a megabyte (a 37 KB GIF is not "0.0 MB"), MB above."""
    if size < 1e3:
        return f"{size} bytes"
    return f"{size / 1e3:.0f} KB" if size < 1e6 else f"{size / 1e6:.1f} MB"
