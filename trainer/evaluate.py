"""`hebbkit eval` (the paper's evaluation of an artifact, fresh random weights every episode), `hebbkit suite` (an
artifact through a suite of conditions, see `suite`) and `hebbkit plot` (a run's training curve)."""

from __future__ import annotations

import itertools
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hebbkit.runtime.errors import ConfigError

SUITE_NAMES = ("sim2real", "unseen-bodies")
"""The suites of `hebbkit suite` (the keys of `suite.SUITES`, tested; listed here so that building the parser does
not import the envs)."""


def plural(count: int, noun: str) -> str:
    """`count` and `noun`, plural unless there is one: "1 episode", "10 episodes"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def robot_file_field():
    """The `--robot` option of the commands that run an artifact (eval, suite, record)."""
    return field(default=None, metadata={
        "help": "the robot file (.toml) of an artifact trained on your own robot; built-in robots (the artifact's "
                "profile names them) need none"})


def episode_workers_field():
    """The `--workers` option of the commands that run episodes on a process pool (eval, suite)."""
    return field(default=0, metadata={"help": "worker processes (0: one per core); results do not depend on it"})


DEFAULT_BURN_IN = 40
"""Zero-action steps at the start of a legged robot's episode unless --burn-in says otherwise (the protocol)."""


def check_episode_options(episodes: int, workers: int, max_steps: int, burn_in: int) -> None:
    """Refuse counts that would crash a worker or silently report nothing (ConfigError, one line)."""
    if episodes < 1:
        raise ConfigError(f"--episodes must be >= 1, got {episodes}")
    if workers < 0:
        raise ConfigError(f"--workers must be >= 0 (0: one per core), got {workers}")
    check_burn_in(max_steps, burn_in)


def check_burn_in(max_steps: int, burn_in: int) -> None:
    """ConfigError unless 0 <= burn_in < max_steps. A short --max-steps within the default burn-in (a quick test
    run that left --burn-in alone) is told it met the default and which flag to pass; the default stays."""
    if max_steps >= 1 and burn_in == DEFAULT_BURN_IN and max_steps <= burn_in:
        raise ConfigError(f"--max-steps {max_steps} leaves no step after the default --burn-in of {burn_in} "
                          f"zero-action steps: pass a smaller one with it, e.g. --burn-in {max_steps // 4}")
    if max_steps < 1 or not 0 <= burn_in < max_steps:
        raise ConfigError(f"need 0 <= --burn-in < --max-steps, got burn-in {burn_in}, max-steps {max_steps}")


@dataclass(frozen=True)
class EvalConfig:
    """`hebbkit eval`: run ARTIFACT for N episodes per body (fresh random weights and env seed each) and
    report the distance walked (summed progress after burn-in) and how many steps it took to start walking."""

    artifact: Path = field(metadata={"positional": True, "help": "a .npz policy artifact"})
    bodies: tuple[str, ...] = field(default=("standard",), metadata={"aliases": ("morphologies",), "help": (
        "bodies to evaluate on: presets (standard, damaged_right_front, damaged_left_front); custom bodies as "
        "leg:segment:scale parts joined by '+' (legs front_left, front_right, rear_left, rear_right; segments "
        "upper, lower, or motor for the leg's actuator strength; scale within [0, 4] times nominal, 0 removes the "
        "segment or paralyses the leg), e.g. "
        "front_left:lower:0.25+front_right:lower:0.25; or the lists 'unseen' (the bodies it never saw, 24 in five "
        "categories; `hebbkit suite --suite unseen-bodies` tabulates them), one category alone ('lower-legs', "
        "'upper-legs', 'uniform-scale', 'several-legs', 'actuators'), 'validation' (the first study's held-out "
        "bodies) or 'validation2' (round 2's, one per category); hebbkit.trainer.envs.body_sets lists them. The "
        "report's keys are the bodies as written here, lists replaced by their entries")})
    episodes: int = field(default=10, metadata={"help": "episodes per body"})
    seed: int = field(default=0, metadata={"help": "episode i of a body uses seed + i"})
    max_steps: int = field(default=1000, metadata={"help": "control steps per episode, burn-in included"})
    burn_in: int = field(default=DEFAULT_BURN_IN, metadata={"help": "zero-action steps at the start"})
    early_stop: bool = field(default=False, metadata={"help": "apply the training protocol's early stop"})
    backend: str = field(default="numpy", metadata={"help": "runtime backend: numpy, onnx or c (the C kernel)"})
    carracing_env: str = field(default="gymnasium", metadata={
        "help": "CarRacing only: the env the car drives in: gymnasium (Gymnasium's CarRacing-v3, the reference "
                "every reported score comes from) or envpool (envpool's C++ CarRacing-v3, what "
                "`hebbkit train --carracing-env envpool` trains on; its tracks for a seed differ from Gymnasium's)",
        "choices": ("gymnasium", "envpool")})
    json: bool = field(default=False, metadata={"help": "print the report as JSON"})
    workers: int = episode_workers_field()
    progress: bool = field(default=True, metadata={"help": "progress bar on stderr"})
    robot: str | None = robot_file_field()

    def __post_init__(self) -> None:
        check_episode_options(self.episodes, self.workers, self.max_steps, self.burn_in)
        if self.backend not in ("numpy", "onnx", "c"):
            raise ConfigError(f"--backend must be numpy, onnx or c, got {self.backend!r}")
        if self.carracing_env not in ("gymnasium", "envpool"):
            raise ConfigError(f"--carracing-env must be gymnasium or envpool, got {self.carracing_env!r}")


@dataclass(frozen=True)
class SuiteConfig:
    """`hebbkit suite`: run ARTIFACT (and a baseline beside it) through a suite of conditions, N episodes each
    from fresh random weights, and write the table (suite.md), every episode (suite.json) and plots to OUTPUT.
    sim2real: the reality gap (damaged bodies, actuators, friction, mass, noise, latency, a leg breaking
    mid-episode); unseen-bodies: the bodies it never saw, with the share of the standard distance each keeps."""

    artifact: Path = field(metadata={"positional": True, "help": "a .npz policy artifact"})
    suite: str = field(default="sim2real", metadata={"help": "the suite of conditions", "choices": SUITE_NAMES})
    baseline: Path | None = field(default=None, metadata={
        "help": "also run this artifact (e.g. the static-weight baseline); the columns are then 'hebbian' and "
                "'static' (the Hebbian one first, whichever of the two is ARTIFACT), or for two of a kind their "
                "folder names"})
    output: Path | None = field(default=None, metadata={
        "help": "folder for suite.md, suite.json and the plots (default runs/suite-<artifact name>)"})
    episodes: int = field(default=10, metadata={"help": "episodes per condition"})
    seed: int = field(default=0, metadata={"help": "episode i of a condition uses seed + i (for every artifact)"})
    max_steps: int = field(default=1000, metadata={"help": "control steps per episode, burn-in included"})
    burn_in: int = field(default=DEFAULT_BURN_IN, metadata={"help": "zero-action steps at the start"})
    json: bool = field(default=False, metadata={"help": "print the report as JSON instead of the table"})
    workers: int = episode_workers_field()
    progress: bool = field(default=True, metadata={"help": "progress bar on stderr"})
    robot: str | None = robot_file_field()

    def __post_init__(self) -> None:
        if self.suite not in SUITE_NAMES:
            raise ConfigError(f"unknown suite {self.suite!r}; expected one of {list(SUITE_NAMES)}")
        check_episode_options(self.episodes, self.workers, self.max_steps, self.burn_in)


def evaluate(config: EvalConfig) -> dict:
    """Per-morphology episode results and summary statistics (the `--json` report), keyed by the bodies as given
    (a list name such as "unseen" replaced by its entries, repeats dropped)."""
    from hebbkit.runtime import load_artifact

    from .envs.body_sets import expand_bodies
    from .episodes import EpisodeTask, artifact_robot, run_episodes, summarise

    artifact = load_artifact(config.artifact)  # fail now, not in a worker
    if artifact.network.frontend is None:
        artifact_robot(artifact.profile, config.robot)  # a robot that is not built in needs its file
    bodies = expand_bodies(config.bodies)  # lists expanded; a misspelt body fails now
    if artifact.network.frontend is not None and bodies != ("standard",):
        raise ConfigError(f"{config.artifact} drives CarRacing from pixels, which has one body; --bodies "
                          f"{' '.join(config.bodies)} does not apply (omit it)")
    if artifact.network.frontend is None and config.carracing_env != "gymnasium":
        raise ConfigError(f"--carracing-env applies to CarRacing drivers only; {config.artifact} is a legged "
                          f"robot's policy (omit it)")
    tasks = [EpisodeTask(str(config.artifact), morphology, config.seed + index, config.max_steps, config.burn_in,
                         early_stop=config.early_stop, backend=config.backend, carracing_env=config.carracing_env,
                         robot=config.robot or "")
             for morphology in bodies for index in range(config.episodes)]
    outcomes = run_episodes(tasks, config.workers or None, progress=config.progress, description="hebbkit eval")
    report: dict = {"artifact": str(config.artifact), "sha256": artifact.sha256(), "config": {
        k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()}, "morphologies": {}}
    for position, morphology in enumerate(bodies):
        episodes = outcomes[position * config.episodes:(position + 1) * config.episodes]
        report["morphologies"][morphology] = {
            "episodes": [{"seed": e["seed"], "distance": round(e["distance"], 4), "steps": e["steps"],
                          "walk_step": e["walk_step"], "cruise_step": e["cruise_step"],
                          **({} if e.get("joint_limit_excess") is None
                             else {"joint_limit_excess": round(e["joint_limit_excess"], 4)})} for e in episodes],
            **summarise(episodes),
        }
    return report


def load_metadata_network(path: Path) -> dict:
    """The network block of an artifact's metadata."""
    from hebbkit.runtime import read_metadata

    return read_metadata(path).get("network", {})


def run_eval(config: EvalConfig) -> int:
    from .envs.body_sets import body_label
    from .episodes import walk_phrase

    report = evaluate(config)
    if config.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{report['artifact']} (sha256 {report['sha256'][:12]}), {plural(config.episodes, 'episode')} per body, "
          f"fresh random weights each")
    pixels = load_metadata_network(config.artifact).get("frontend") is not None
    names = {body: body_label(body) for body in report["morphologies"]}
    width = max([22, *(len(name) for name in names.values())])
    for morphology, summary in report["morphologies"].items():
        distances = ", ".join(f"{e['distance']:.1f}" for e in summary["episodes"])
        mean, std = summary["distance_mean"], summary["distance_std"]
        if pixels:  # CarRacing: the score is the total reward
            env = "CarRacing-v3" + (" (envpool)" if config.carracing_env == "envpool" else "")
            print(f"{env:>{width}}: score {mean:8.2f} +- {std:6.2f}")
        else:
            print(f"{names[morphology]:>{width}}: distance {mean:8.2f} +- {std:6.2f}   {walk_phrase(summary)}")
        print(f"{'':>{width}}  per episode: {distances}")
    excess = [s["joint_limit_excess_max"] for s in report["morphologies"].values()
              if s.get("joint_limit_excess_max") is not None]
    if excess:
        from hebbkit.runtime import load_artifact

        ant = load_artifact(config.artifact).profile.robot == "ant"
        print(f"joint limits: largest excess over every episode {max(excess):.4f} rad"
              + (" (the Ant: PyBullet does not hold ant.xml's ranges, as in pybullet_envs; its ankles start outside "
                 "theirs)" if ant else ""))
    return 0


def suite_columns(artifact: Path, baseline: Path | None) -> dict[str, Path]:
    """The suite's columns, label -> artifact: ARTIFACT alone under its file stem; with a baseline, a Hebbian and a
    static artifact as 'hebbian' and 'static' (the Hebbian first, whichever was given as ARTIFACT), two of a kind
    under their folder names (e.g. 'ant-robust', 'ant-paper'), else 'artifact' and 'baseline'."""
    from hebbkit.runtime import load_artifact

    kinds = {path: "static" if load_artifact(path).network.rule == "static" else "hebbian"
             for path in (artifact, *([baseline] if baseline is not None else []))}
    if baseline is None:
        return {artifact.stem: artifact}
    if kinds[artifact] != kinds[baseline]:
        hebbian, static = (artifact, baseline) if kinds[artifact] == "hebbian" else (baseline, artifact)
        return {"hebbian": hebbian, "static": static}
    names = (artifact.resolve().parent.name, baseline.resolve().parent.name)
    if names[0] == names[1]:
        names = (artifact.stem, baseline.stem)
    if names[0] == names[1]:
        names = ("artifact", "baseline")
    return dict(zip(names, (artifact, baseline), strict=True))


def run_suite_command(config: SuiteConfig) -> int:
    """`hebbkit suite`: every artifact on every condition of the suite; prints the table (or JSON)."""

    from .suite import SUITE_TARGETS, SUITE_TITLES, SUITES, run_suite, write_outputs

    artifacts = suite_columns(config.artifact, config.baseline)  # loads both: a bad file fails now, not in an hour
    report = run_suite(artifacts, SUITES[config.suite], config.episodes, config.seed, config.max_steps,
                       config.burn_in, workers=config.workers or None, progress=config.progress,
                       title=SUITE_TITLES[config.suite], target=SUITE_TARGETS[config.suite], robot=config.robot or "")
    folder = config.output or Path("runs") / f"suite-{config.artifact.stem}"
    written = write_outputs(report, folder)
    if config.json:
        print(json.dumps(report))
    else:
        print((folder / "suite.md").read_text())
        print("wrote " + ", ".join(str(path) for path in written))
    return 0


@dataclass(frozen=True)
class PlotConfig:
    """`hebbkit plot`: draw a run's training curve (population mean, max and centre fitness per generation). With
    several runs (e.g. Hebbian and static), their curves share one plot: population mean and ES mean per run.
    `--x env-steps` puts them on the env steps they had spent instead, the fair axis for runs whose generations cost
    different numbers of steps (early stops)."""

    run_dirs: tuple[Path, ...] = field(metadata={"positional": True, "help": "one or more training run directories"})
    output: Path | None = field(default=None, metadata={
        "help": "PNG path (default RUN_DIR/training_curve.png of the first run)"})
    x: str = field(default="generation", metadata={
        "help": "horizontal axis: generation, or env-steps (cumulative, millions)",
        "choices": ("generation", "env-steps")})


def read_log(run_dir: Path) -> list[dict]:
    """The rows of a run's log.csv (ConfigError if it has none)."""
    import csv

    log = Path(run_dir) / "log.csv"
    if not log.exists():
        raise ConfigError(f"no log.csv in {run_dir}: not a run directory, or no generation finished yet")
    with log.open() as stream:
        rows = list(csv.DictReader(stream))
    if not rows:
        raise ConfigError(f"{log} has no generations yet")
    return rows


def spent_env_steps(rows: list[dict]) -> list[int]:
    """Env steps spent up to and including each logged generation (the rows of `read_log`)."""
    return list(itertools.accumulate(int(row["env_steps"]) for row in rows))


def run_name(run_dir: Path) -> str:
    """models/<name>/checkpoint -> <name>; models/<name>/checkpoint-<what> -> <name> (<what>); any other run
    directory -> its own name."""
    run_dir = Path(run_dir).resolve()
    if run_dir.name == "checkpoint":
        return run_dir.parent.name
    if run_dir.name.startswith("checkpoint-"):
        return f"{run_dir.parent.name} ({run_dir.name.removeprefix('checkpoint-')})"
    return run_dir.name


def fitness_label(run_dirs: tuple[Path, ...]) -> str:
    """The y axis's name: a score for CarRacing runs (total reward), a distance for legged ones, by their configs."""
    from .study import run_config

    envs = {run_config(run_dir).get("env", "quadruped") for run_dir in run_dirs}
    if envs == {"carracing"}:
        return "fitness (score)"
    return "fitness (distance)" if envs == {"quadruped"} else "fitness"


def run_plot(config: PlotConfig) -> int:
    import matplotlib

    from hebbkit.runtime.outputs import check_output_file, writing

    output = check_output_file(config.output or Path(config.run_dirs[0]) / "training_curve.png", "--output")

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [(run_name(run_dir), read_log(run_dir)) for run_dir in config.run_dirs]
    figure, axis = plt.subplots(figsize=(8, 4.5))
    overlay = len(runs) > 1  # several runs: one colour each, no min-max band, dashed ES mean
    for index, (name, rows) in enumerate(runs):
        if config.x == "env-steps":
            x = [spent / 1e6 for spent in spent_env_steps(rows)]
        else:
            x = [int(r["generation"]) for r in rows]
        prefix = f"{name}: " if overlay else ""
        color = f"C{index}" if overlay else None
        if not overlay:
            axis.fill_between(x, [float(r["fitness_min"]) for r in rows],
                              [float(r["fitness_max"]) for r in rows], alpha=0.2, label="population min-max")
        axis.plot(x, [float(r["fitness_mean"]) for r in rows], color=color, label=prefix + "population mean")
        axis.plot(x, [float(r["center_fitness"]) for r in rows], color=color,
                  linestyle="--" if overlay else "-", alpha=0.7 if overlay else 1.0,
                  label=prefix + "ES mean (its own episodes)")
    title = "training curve: " + " vs ".join(name for name, _ in runs)
    xlabel = "env steps (millions)" if config.x == "env-steps" else "generation"
    axis.set(xlabel=xlabel, ylabel=fitness_label(config.run_dirs), title=title)
    axis.legend()
    axis.grid(alpha=0.3)
    figure.tight_layout()
    with writing(output, "--output"):
        figure.savefig(output, dpi=110)
    plt.close(figure)
    print(f"wrote {output}")
    return 0
