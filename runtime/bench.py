"""Control-step latency of the Ant network (28-128-64-8, ABCD_lr) on every backend, against a naive baseline.

The naive baseline is the same job written the obvious way: `W = W + eta * (A * np.outer(pre, post) + ...)` with a
temporary per term, plus the same checks the `Policy` makes (finite observation, finite weights). All candidates
run in the same process, interleaved episode by episode (reset every `max_steps`), on the same
observation stream, so the ratios are meaningful on a noisy machine even when the absolute figures are not.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from .artifact import PolicyArtifact, new_artifact
from .backends import BACKENDS
from .errors import ConfigError, HebbkitError
from .network import NetworkSpec, forward_layer
from .policy import Policy
from .profile import ANT28
from .rules import COEFFICIENT_ROLES, coefficient

TARGETS_US = {"numpy": {"median": 45.0, "p99": 100.0}, "onnx": {"median": 40.0, "p99": 100.0}}
TARGET_SPEEDUP = 1.3
DEFAULT_BACKENDS = ("numpy", "onnx", "c")
DEFAULT_WARMUP = 200
"""Untimed steps at the start of the first episode when --warmup-steps is not given (and --max-steps >= 1,000)."""


@dataclass(frozen=True)
class BenchConfig:
    """`hebbkit bench`: control-step latency of the Ant network per backend, against a naive NumPy baseline."""

    episodes: int = field(default=6, metadata={"help": "episodes per candidate (weights reset between them)"})
    max_steps: int = field(default=1000, metadata={"help": "control steps per episode (the Ant's 1,000)",
                                                   "aliases": ("steps_per_episode",)})
    warmup_steps: int | None = field(default=None, metadata={
        "help": f"untimed steps at the start of the first episode (default: {DEFAULT_WARMUP}, or a fifth of "
                "--max-steps when that is fewer)"})
    backends: tuple[str, ...] | None = field(default=None, metadata={
        "help": "backends to time (c: the C kernel, compiled on first use); default: numpy, onnx and c, those that "
                "are installed here (the others are named as skipped)"})
    seed: int = field(default=0, metadata={"help": "seed of the coefficients and the observation stream"})
    json: bool = field(default=False, metadata={"help": "print the full report as JSON instead of a table"})

    def __post_init__(self) -> None:
        if self.episodes < 1 or self.max_steps < 1:
            raise ConfigError(f"--episodes and --max-steps must be >= 1, got {self.episodes} and "
                              f"{self.max_steps}")
        if not 0 <= self.warmup < self.max_steps:
            raise ConfigError(f"--warmup-steps must be >= 0 and below --max-steps ({self.max_steps}),"
                              f" got {self.warmup_steps}")
        unknown = sorted(set(self.backends or ()) - set(BACKENDS))
        if unknown or self.backends == ():
            raise ConfigError(f"--backends must name some of {', '.join(BACKENDS)}; got {list(self.backends or ())}")

    @property
    def warmup(self) -> int:
        """The untimed steps: --warmup-steps, or when not given `DEFAULT_WARMUP` (the documented protocol at the
        default 1,000 steps), at most a fifth of --max-steps so a short run still times most of its steps."""
        return min(DEFAULT_WARMUP, self.max_steps // 5) if self.warmup_steps is None else self.warmup_steps


@dataclass(frozen=True)
class LatencyStats:
    """Per-step wall time in microseconds."""

    median_us: float
    p99_us: float
    mean_us: float
    steps: int

    @classmethod
    def of(cls, seconds: np.ndarray) -> LatencyStats:
        micros = np.asarray(seconds) * 1e6
        return cls(
            median_us=round(float(np.median(micros)), 2),
            p99_us=round(float(np.percentile(micros, 99)), 2),
            mean_us=round(float(np.mean(micros)), 2),
            steps=int(micros.size),
        )


class NaiveStep:
    """The baseline: the reference rule written with np.outer and a temporary per term.

    checks=True adds the work the `Policy` does too (finite observation, finite weights), the fair comparison.
    """

    def __init__(self, artifact: PolicyArtifact, seed: int, checks: bool = True) -> None:
        self.checks = checks
        self.spec = artifact.network
        rule = self.spec.rule_spec
        self.roles = [
            {role: coefficient(rule, c, role) for role in COEFFICIENT_ROLES} for c in artifact.expanded_coefficients
        ]
        self.reset(seed)

    def reset(self, seed: int) -> None:
        self.weights = self.spec.initial_weights(seed)

    def step(self, observation: np.ndarray) -> np.ndarray:
        pre = np.asarray(observation, dtype=np.float32)
        if self.checks and not np.isfinite(pre).all():
            raise ValueError("non-finite observation")
        for layer, activation in enumerate(self.spec.activations):
            post = forward_layer(activation, pre, self.weights[layer])
            r = self.roles[layer]
            self.weights[layer] = self.weights[layer] + r["eta"] * (
                r["A"] * np.outer(pre, post) + r["B"] * pre[:, None] + r["C"] * post[None, :] + r["D"]
            ) + r["D_out"]
            if self.checks and not np.isfinite(self.weights[layer]).all():
                self.reset(0)
            pre = post
        return pre.copy()


def observation_stream(n_inputs: int, steps: int, seed: int) -> np.ndarray:
    """Smooth, bounded observations in [-5, 5] like the Ant's (sinusoids of random phase and frequency)."""
    rng = np.random.default_rng(seed)
    phase = rng.uniform(0, 2 * np.pi, n_inputs)
    frequency = rng.uniform(0.01, 0.3, n_inputs)
    amplitude = rng.uniform(0.1, 3.0, n_inputs)
    time_index = np.arange(steps)[:, None]
    return np.clip(amplitude * np.sin(frequency * time_index + phase), -5, 5).astype(np.float32)


def ant_benchmark_artifact(seed: int = 0) -> PolicyArtifact:
    """The Ant network with ABCD_lr coefficients drawn N(0, 1), the paper's ES starting point."""
    return new_artifact(NetworkSpec(), profile=ANT28, seed=seed)


def installed_policies(artifact: PolicyArtifact, names: tuple[str, ...] | None) -> tuple[dict[str, Policy],
                                                                                         dict[str, str]]:
    """A policy per backend of `names`, and why each default backend that cannot run here was skipped (its one-line
    error). Backends named explicitly must run: their error is raised."""
    policies: dict[str, Policy] = {}
    skipped: dict[str, str] = {}
    for name in names or DEFAULT_BACKENDS:
        try:
            policies[name] = Policy(artifact, name)
        except HebbkitError as error:  # a missing package (DependencyError) or no C compiler (KernelBuildError)
            if names is not None:
                raise
            skipped[name] = " ".join(str(error).split())
    return policies, skipped


def run_benchmark(config: BenchConfig = BenchConfig()) -> dict:
    """Time every backend and the naive baseline; returns figures, ratios and target verdicts."""
    artifact = ant_benchmark_artifact(config.seed)
    observations = observation_stream(artifact.network.n_inputs, config.max_steps, config.seed)
    policies, skipped = installed_policies(artifact, config.backends)
    candidates: dict[str, object] = dict(policies)
    candidates["naive_numpy"] = NaiveStep(artifact, seed=0)
    candidates["naive_unchecked"] = NaiveStep(artifact, seed=0, checks=False)
    timings: dict[str, list[float]] = {name: [] for name in candidates}
    clock = time.perf_counter
    for episode in range(config.episodes):
        for name, runner in candidates.items():
            runner.reset(episode)  # type: ignore[attr-defined]
            step = runner.step  # type: ignore[attr-defined]
            record = timings[name].append
            for index, observation in enumerate(observations):
                start = clock()
                step(observation)
                elapsed = clock() - start
                if episode > 0 or index >= config.warmup:
                    record(elapsed)
    stats = {name: LatencyStats.of(np.array(values)) for name, values in timings.items()}
    baseline = stats["naive_numpy"].median_us
    results = {}
    for name in policies:
        figures = stats[name]
        speedup = round(baseline / figures.median_us, 2)
        target = TARGETS_US.get(name, {})
        results[name] = {
            **asdict(figures),
            "speedup_vs_naive": speedup,
            "speedup_vs_numpy": (round(stats["numpy"].median_us / figures.median_us, 2) if "numpy" in stats
                                 else None),
            "meets_targets": bool(
                figures.median_us <= target.get("median", np.inf)
                and figures.p99_us <= target.get("p99", np.inf)
                and speedup >= TARGET_SPEEDUP
            ),
        }
    return {
        "network": "28-128-64-8 ABCD_lr (61,440 coefficients)",
        "config": {**asdict(config), "warmup_steps": config.warmup},
        "machine": {"python": platform.python_version(), "numpy": np.__version__, "cpu": platform.machine()},
        "targets": {"median_and_p99_us": TARGETS_US, "min_speedup_vs_naive": TARGET_SPEEDUP},
        "naive_numpy": asdict(stats["naive_numpy"]),
        "naive_unchecked": asdict(stats["naive_unchecked"]),
        "backends": results,
        "skipped": skipped,
    }


def format_report(report: dict) -> str:
    """Human-readable table of `run_benchmark`'s result."""
    lines = [
        f"control step, {report['network']}, {report['naive_numpy']['steps']} timed steps per candidate",
        f"{'candidate':<14}{'median us':>11}{'p99 us':>10}{'mean us':>10}{'vs naive':>10}{'vs numpy':>10}  targets",
    ]
    naive = report["naive_numpy"]
    lines.append(f"{'naive_numpy':<14}{naive['median_us']:>11.1f}{naive['p99_us']:>10.1f}{naive['mean_us']:>10.1f}"
                 f"{1.0:>9.2f}x{'':>10}  (baseline: same checks as Policy)")
    bare = report["naive_unchecked"]
    lines.append(f"{'naive_bare':<14}{bare['median_us']:>11.1f}{bare['p99_us']:>10.1f}{bare['mean_us']:>10.1f}"
                 f"{naive['median_us'] / bare['median_us']:>9.2f}x{'':>10}  (for reference: no checks)")
    for name, figures in report["backends"].items():
        verdict = "met" if figures["meets_targets"] else "MISSED"
        lines.append(
            f"{name:<14}{figures['median_us']:>11.1f}{figures['p99_us']:>10.1f}{figures['mean_us']:>10.1f}"
            f"{figures['speedup_vs_naive']:>9.2f}x{figures['speedup_vs_numpy'] or 0:>9.2f}x  {verdict}"
        )
    return "\n".join(lines)


def run_bench(config: BenchConfig) -> int:
    """`hebbkit bench`: the report as a table (or JSON)."""
    report = run_benchmark(config)
    print(json.dumps(report, indent=2) if config.json else format_report(report))
    for name, reason in report["skipped"].items():
        print(f"hebbkit bench: skipped backend {name}: {reason}", file=sys.stderr)
    return 0
