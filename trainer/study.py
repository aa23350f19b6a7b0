"""Search-efficiency studies: validation curves of training runs and their comparison at equal env-step budgets.

A training run keeps its ES mean every `snapshot_every` generations (`RUN_DIR/snapshots/gen_NNNN.npz`).
`hebbkit validate RUN_DIR...` scores every snapshot not scored yet on fixed bodies and seeds that no fitness ever
uses (default: the two training bodies of the paper plus `VALIDATION_BODIES`; a CarRacing run has one body, its
track, scored on Gymnasium's CarRacing-v3 whichever env it trained on) and appends the results to
`RUN_DIR/validation.csv`, so it can run again as the run grows. `hebbkit study RUN_DIR...` draws one overlaid plot
of distance against env steps (training fitness and validation bodies) and prints a markdown table at equal budget.
A run trained in stages (a warm start, `--init-from`, continuing another run) is named `STAGE1+STAGE2`: its stages'
logs and validations are joined, each stage's env steps counted after the previous stages' total.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hebbkit.runtime.errors import ConfigError

VALIDATION_FIELDS = ("generation", "env_steps", "body", "episodes", "seed", "max_steps", "distance_mean",
                     "distance_std")
LEGACY_MAX_STEPS = "1000"  # validation.csv files written before the max_steps column scored 1,000-step episodes
VALIDATION_SEED = 10_000_000  # far from the fitness seeds' typical values; the same for every run
SNAPSHOT = re.compile(r"gen_(\d+)\.npz$")


@dataclass(frozen=True)
class ValidateConfig:
    """`hebbkit validate`: score a run's snapshots (its ES mean every `snapshot_every` generations) on bodies and
    seeds that the training never used; results go to RUN_DIR/validation.csv (already scored rows are kept)."""

    run_dirs: tuple[Path, ...] = field(metadata={"positional": True, "help": "training run directories"})
    bodies: tuple[str, ...] = field(default=("standard", "damaged_right_front", "validation"), metadata={
        "help": "bodies as `hebbkit eval --bodies` reads them ('validation' = the study's held-out bodies)"})
    episodes: int = field(default=5, metadata={"help": "episodes per body and snapshot"})
    seed: int = field(default=VALIDATION_SEED, metadata={"help": "episode i uses seed + i, on every body"})
    max_steps: int = field(default=1000, metadata={"help": "steps per episode (no early stop)"})
    every: int = field(default=1, metadata={"help": "score only every this-many-th snapshot (1: all)"})
    workers: int = field(default=0, metadata={"help": "worker processes (0: one per core)"})
    progress: bool = field(default=True, metadata={"help": "progress bar on stderr"})


def snapshots(run_dir: Path) -> list[tuple[int, Path]]:
    """(generation, path) of every snapshot of a run, oldest first."""
    folder = Path(run_dir) / "snapshots"
    found = [(int(match.group(1)), path) for path in folder.glob("gen_*.npz") if (match := SNAPSHOT.search(path.name))]
    return sorted(found)


def cumulative_env_steps(run_dir: Path) -> dict[int, int]:
    """generation -> env steps spent up to and including it (from log.csv)."""
    from .evaluate import read_log, spent_env_steps

    rows = read_log(run_dir)
    return dict(zip((int(row["generation"]) for row in rows), spent_env_steps(rows), strict=True))


def read_validation(run_dir: Path) -> list[dict]:
    """The rows of RUN_DIR/validation.csv (empty if not validated yet), every field of `VALIDATION_FIELDS` set."""
    path = Path(run_dir) / "validation.csv"
    if not path.exists():
        return []
    with path.open(newline="") as stream:
        return [{"max_steps": LEGACY_MAX_STEPS, **row} for row in csv.DictReader(stream)]


def run_config(run_dir: Path) -> dict:
    """A run's config.json as stored (empty if it has none), options stored under an old name renamed
    (`TrainConfig.from_json`'s rule: `morphologies` is read as `bodies`)."""
    import json

    from hebbkit.runtime.cli import renamed_options

    from .train_config import TrainConfig

    path = Path(run_dir) / "config.json"
    return renamed_options(TrainConfig, json.loads(path.read_text())) if path.exists() else {}


def write_validation(run_dir: Path, rows: list[dict]) -> Path:
    """Append `rows` to RUN_DIR/validation.csv; a file written before a field existed is rewritten with it first."""
    path = Path(run_dir) / "validation.csv"
    if path.exists():
        with path.open(newline="") as stream:
            header = next(csv.reader(stream), [])
        if tuple(header) != VALIDATION_FIELDS:
            rows = read_validation(run_dir) + rows
            path.unlink()
    new = not path.exists()
    with path.open("a", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=VALIDATION_FIELDS, lineterminator="\n")
        if new:
            writer.writeheader()
        writer.writerows(rows)
    return path


def validate_run(config: ValidateConfig, run_dir: Path) -> int:
    """Score the run's unscored snapshots; returns how many (snapshot, body) rows were added."""
    from .envs.body_sets import expand_bodies
    from .episodes import EpisodeTask, run_episodes, summarise
    from .train_config import resolve_policy_backend

    carracing = run_config(run_dir).get("env", "quadruped") == "carracing"
    bodies = ("standard",) if carracing else expand_bodies(config.bodies)
    if not carracing and config.max_steps <= EpisodeTask.burn_in:
        raise ConfigError(f"max_steps must exceed the {EpisodeTask.burn_in} burn-in steps of a legged robot's episode")
    steps = cumulative_env_steps(run_dir)
    done = {(int(row["generation"]), row["body"], int(row["episodes"]), int(row["seed"]), int(row["max_steps"]))
            for row in read_validation(run_dir)}
    todo = [(generation, path) for index, (generation, path) in enumerate(snapshots(run_dir))
            if index % config.every == 0 and generation in steps]
    pairs = [(generation, path, body) for generation, path in todo for body in bodies
             if (generation, body, config.episodes, config.seed, config.max_steps) not in done]
    if not pairs:
        return 0
    backend = resolve_policy_backend("auto")  # the C kernel where it builds (same results as NumPy, faster)
    tasks = [EpisodeTask(str(path), body, config.seed + index, max_steps=config.max_steps, backend=backend)
             for _, path, body in pairs for index in range(config.episodes)]
    outcomes = run_episodes(tasks, config.workers or None, progress=config.progress,
                            description=f"validate {Path(run_dir).name}")
    rows = []
    for position, (generation, _, body) in enumerate(pairs):
        summary = summarise(outcomes[position * config.episodes:(position + 1) * config.episodes])
        rows.append({"generation": generation, "env_steps": steps[generation], "body": body,
                     "episodes": config.episodes, "seed": config.seed, "max_steps": config.max_steps,
                     "distance_mean": round(summary["distance_mean"], 3),
                     "distance_std": round(summary["distance_std"], 3)})
    write_validation(run_dir, rows)
    return len(pairs)


def run_validate(config: ValidateConfig) -> int:
    if config.episodes < 1 or config.every < 1 or config.max_steps < 1:
        raise ConfigError("episodes, every and max_steps must be >= 1")
    for run_dir in config.run_dirs:
        if not snapshots(run_dir):
            raise ConfigError(f"{run_dir} has no snapshots/gen_*.npz: train with --snapshot-every N (default 10)")
    for run_dir in config.run_dirs:
        added = validate_run(config, Path(run_dir))
        print(f"{run_dir}: {added} new (snapshot, body) rows in {Path(run_dir) / 'validation.csv'}")
    return 0


# ------------------------------------------------------------------------------------------------ the study


@dataclass(frozen=True)
class StudyConfig:
    """`hebbkit study`: overlay several runs' training fitness and validation distances against env steps, and
    print a markdown table of every run at an equal env-step budget."""

    run_dirs: tuple[Path, ...] = field(metadata={"positional": True, "help":
        "training run directories; a run trained in stages (a warm start continuing another run) as STAGE1+STAGE2, "
        "its env steps counted from the first stage's start"})
    budget: int = field(default=0, metadata={
        "help": "env-step budget of the table (0: the smallest total among the runs); given, the plot also ends there"})
    output: Path | None = field(default=None, metadata={"help": "PNG of the overlaid curves (default: no plot)"})
    last: int = field(default=1, metadata={
        "help": "validation cells: mean over the last N snapshots within the budget (1: the last one; 3 damps the "
                "scatter of 5-episode snapshots, as round 2's comparisons do)"})

    def __post_init__(self) -> None:
        if self.last < 1:
            raise ConfigError(f"--last must be >= 1, got {self.last}")


@dataclass(frozen=True)
class StudyRun:
    """One run of a study, its stages joined: log rows and validation points in order, env steps counted from the
    first stage's start."""

    name: str
    log: list[dict]
    env_steps: list[int]  # spent up to and including each row of `log`
    validation: dict[str, list[tuple[int, float]]]  # body -> [(env steps, mean distance)]
    trained_on: set[str]

    @property
    def total(self) -> int:
        return self.env_steps[-1] if self.env_steps else 0


def run_stages(run: Path | str) -> list[Path]:
    """The stage directories of a study argument: itself if it is a directory, else its '+'-joined parts (each must
    be a directory)."""
    if Path(run).is_dir() or "+" not in str(run):
        return [Path(run)]
    stages = [Path(part) for part in str(run).split("+")]
    missing = [str(stage) for stage in stages if not stage.is_dir()]
    if missing or any(not part for part in str(run).split("+")):
        raise ConfigError(f"{run}: a staged run is STAGE1+STAGE2 with every stage a run directory; "
                          f"not a directory: {', '.join(missing) or 'an empty part'}")
    return stages


def load_study_run(run: Path | str) -> StudyRun:
    """A run directory, or '+'-joined stages, as one `StudyRun`."""
    from .evaluate import read_log, run_name, spent_env_steps

    log: list[dict] = []
    env_steps: list[int] = []
    validation: dict[str, list[tuple[int, float]]] = {}
    trained_on: set[str] = set()
    stages = run_stages(run)
    for stage in stages:
        offset = env_steps[-1] if env_steps else 0
        rows = read_log(stage)
        log += rows
        env_steps += [offset + spent for spent in spent_env_steps(rows)]
        for body, points in validation_series(stage).items():
            validation.setdefault(body, []).extend((offset + spent, value) for spent, value in points)
        trained_on |= training_bodies(stage)
    return StudyRun(" + ".join(run_name(stage) for stage in stages), log, env_steps, validation, trained_on)


def value_at_budget(steps: list[int], values: list[float], budget: int, last: int = 1) -> float | None:
    """The mean of the last `last` values logged at or before `budget` env steps (fewer if fewer were logged; None
    if the run started later)."""
    index = int(np.searchsorted(np.asarray(steps), budget, side="right")) - 1
    return None if index < 0 else float(np.mean(values[max(0, index - last + 1):index + 1]))


def study_rows(run_dirs: tuple[Path, ...], budget: int, last: int = 1) -> tuple[int, list[dict]]:
    """The budget used and one summary row per run (a directory or '+'-joined stages): population-mean fitness
    (mean over the last 5 logged generations at or before the budget) and each validation body's distance, averaged
    over the last `last` snapshots within it."""
    runs = [load_study_run(run_dir) for run_dir in run_dirs]
    budget = budget or min(run.total for run in runs)
    rows = []
    for run in runs:
        within = [float(row["fitness_mean"]) for row, spent in zip(run.log, run.env_steps, strict=True)
                  if spent <= budget]
        row: dict = {"run": run.name, "env_steps": int(run.total), "generations_in_budget": len(within),
                     "fitness_mean": float(np.mean(within[-5:])) if within else None, "validation": {}}
        for body, points in run.validation.items():
            row["validation"][body] = value_at_budget([s for s, _ in points], [v for _, v in points], budget, last)
        rows.append(row)
    return budget, rows


def validation_series(run_dir: Path) -> dict[str, list[tuple[int, float]]]:
    """body -> [(env steps, mean distance)] in generation order."""
    series: dict[str, list[tuple[int, float]]] = {}
    for row in sorted(read_validation(run_dir), key=lambda r: int(r["generation"])):
        series.setdefault(row["body"], []).append((int(row["env_steps"]), float(row["distance_mean"])))
    return series


def validation_mean(row: dict, bodies: list[str]) -> float | None:
    """A study row's mean distance over `bodies` (None unless every one of them is scored within the budget)."""
    values = [row["validation"].get(body) for body in bodies]
    return None if None in values else float(np.mean(values))


def markdown_table(budget: int, rows: list[dict]) -> str:
    """The study table: one line per run; list bodies are named by their short labels (`body_label`)."""
    from .envs.body_sets import body_label

    bodies = list(dict.fromkeys(body for row in rows for body in row["validation"]))
    others = [body for body in bodies if body != "standard"]
    mean_column = len(others) > 1  # the held-out bodies' mean, the figure round 2 ranks arms by
    header = ["run", "env steps (total)", f"generations in {budget / 1e6:.1f} M", "pop. mean fitness",
              *(body_label(body) for body in bodies), *(["mean of the non-standard bodies"] if mean_column else [])]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]

    def number(value) -> str:
        return "-" if value is None else f"{value:.0f}"

    for row in rows:
        cells = [row["run"], f"{row['env_steps'] / 1e6:.1f} M", str(row["generations_in_budget"]),
                 number(row["fitness_mean"]), *(number(row["validation"].get(body)) for body in bodies)]
        if mean_column:
            cells.append(number(validation_mean(row, others)))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_study(run_dirs: tuple[Path, ...], output: Path, budget: int = 0) -> Path:
    """Left: population-mean fitness against env steps (a staged run's stages joined). Right: validation distance,
    per run the mean over the bodies its training used (solid) and over the held-out bodies (dashed), one colour per
    run (each body's own curve is in validation.csv). With `budget` > 0 both panels end at that many env steps (a
    longer run is cut there)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hebbkit.runtime.outputs import writing

    figure, (training, validation) = plt.subplots(1, 2, figsize=(15, 4.8), sharey=False)
    for index, run in enumerate(load_study_run(run_dir) for run_dir in run_dirs):
        color, name = f"C{index}", run.name
        training.plot([spent / 1e6 for spent in run.env_steps], [float(row["fitness_mean"]) for row in run.log],
                      color=color, label=name)
        for group, style in ((True, "-"), (False, "--")):
            series = [points for body, points in run.validation.items() if (body in run.trained_on) == group]
            if not series:
                continue
            common = sorted(set.intersection(*(set(s for s, _ in points) for points in series)))
            means = [float(np.mean([dict(points)[spent] for points in series])) for spent in common]
            validation.plot([spent / 1e6 for spent in common], means, color=color, linestyle=style, marker="o",
                            markersize=3, label=f"{name}: {'training' if group else 'held-out'} bodies "
                                                f"({len(series)})")
    training.set(title="training: population-mean fitness (its own bodies)", xlabel="env steps (M)",
                 ylabel="fitness (distance)")
    validation.set(title="validation: ES mean on fixed seeds, mean over bodies", xlabel="env steps (M)",
                   ylabel="distance (mean of episodes and bodies)")
    training.legend(fontsize=8)
    if validation.get_legend_handles_labels()[1]:
        validation.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the curves, not on them
    else:
        validation.text(0.5, 0.5, "no run has a validation.csv (hebbkit validate)", ha="center",
                        transform=validation.transAxes)
    for axis in (training, validation):
        axis.grid(alpha=0.3)
        if budget > 0:
            axis.set_xlim(0, budget / 1e6 * 1.02)
    figure.tight_layout()
    with writing(output, "--output"):
        figure.savefig(output, dpi=120, bbox_inches="tight")
    plt.close(figure)
    return output


def training_bodies(run_dir: Path) -> set[str]:
    """The fixed bodies a run's fitness used (its config's bodies; sampled bodies are never validation bodies), by
    canonical spec and as written."""
    from .envs.morphology import resolve_morphology

    bodies = run_config(run_dir).get("bodies", [])
    return {*bodies, *(resolve_morphology(body).spec for body in bodies)}


def run_study(config: StudyConfig) -> int:
    if config.output is not None:
        from hebbkit.runtime.outputs import check_output_file

        check_output_file(config.output, "--output")  # before any run is read
    budget, rows = study_rows(config.run_dirs, config.budget, config.last)
    if config.last > 1:
        print(f"validation cells: mean over each run's last {config.last} snapshots within the budget\n")
    print(markdown_table(budget, rows))
    if config.output is not None:
        print(f"plot: {plot_study(config.run_dirs, config.output, config.budget)}")
    return 0
