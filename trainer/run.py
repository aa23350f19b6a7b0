"""`hebbkit train`: evolve Hebbian rules (or static weights) with OpenAI-ES, resumably.

A run directory holds everything: `config.json` (the resolved config), `log.csv` (one row per generation),
`checkpoint.npz` (written atomically after every generation), `latest.npz` (the ES mean as a policy artifact),
`best.npz` (the mean that scored best on its own evaluation episodes) and `snapshots/gen_NNNN.npz` (the mean every
`snapshot_every` generations, for validation curves). `--resume RUN_DIR` continues exactly as if the
run had never stopped: the noise, the episode seeds and the ES state depend only on the seed and the generation.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import signal
import sys
import time
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from hebbkit.runtime.artifact import atomic_write_bytes, current_git_commit, save_artifact
from hebbkit.runtime.errors import ConfigError, HebbkitError
from hebbkit.runtime.network import NetworkSpec, WeightInit

from .es import Candidate, ESConfig, ESState, OpenAIES
from .parameters import ParameterLayout
from .protocol import FitnessProtocol
from .workers import EpisodeItem, Evaluator, Job

LOG_FIELDS = ("generation", "fitness_mean", "fitness_max", "fitness_min", "center_fitness", "best_center_fitness",
              "sigma", "learning_rate", "seconds", "env_steps", "env_steps_per_second", "retries")


class CheckpointError(HebbkitError, ValueError):
    """A checkpoint or run directory cannot be resumed; the message says why."""


@dataclass(frozen=True)
class TrainConfig:
    """`hebbkit train`: evolve Hebbian rules (or, with --rule static, weights) with OpenAI-ES.

    Start from a preset (--config) and override any field; the resolved config is saved in the run directory.
    """

    config: str = field(default="ant-paper", metadata={
        "help": "preset: ant-paper, ant-robust, ant-static, servo-proprio, ant-proprio, carracing-paper, smoke"})
    run_dir: Path | None = field(default=None, metadata={"help": "run directory (default runs/<config>-<time>)"})
    resume: Path | None = field(default=None, metadata={"help": "continue the run in this directory"})
    generations: int = field(default=300, metadata={"help": "generations to reach (a resumed run continues)"})
    env_steps_budget: int = field(default=0, metadata={
        "help": "also stop once the run has simulated this many env steps in all (0: no limit); for studies at "
                "equal budget"})
    population: int = field(default=128, metadata={"help": "candidates per generation (even)"})
    sigma: float = field(default=0.1, metadata={"help": "initial noise scale"})
    sigma_decay: float = field(default=0.999, metadata={"help": "sigma factor per generation"})
    sigma_min: float = field(default=0.01, metadata={"help": "sigma stops decaying below this"})
    learning_rate: float = field(default=0.2, metadata={"help": "initial step size"})
    learning_rate_decay: float = field(default=0.995, metadata={"help": "learning-rate factor per generation"})
    learning_rate_min: float = field(default=0.001, metadata={"help": "learning rate stops decaying below this"})
    optimizer: str = field(default="sgd", metadata={"help": "sgd (the paper) or adam"})
    weight_decay: float = field(default=0.0, metadata={"help": "L2 coefficient"})
    init_std: float = field(default=1.0, metadata={"help": "initial parameters ~ N(0, init_std^2)"})
    rule: str = field(default="ABCD_lr", metadata={"help": "Hebbian rule, or 'static' for the static-weight baseline"})
    rule_family: str = field(default="synapse", metadata={
        "help": "synapse (the paper, 61,440 coefficients for the Ant), neuron (neuron-centric, 1,104) or diagonal "
                "(seed code's first-release sharing, 2,085)"})
    hidden: tuple[int, ...] = field(default=(128, 64), metadata={"help": "hidden layer sizes"})
    env: str = field(default="quadruped", metadata={"help": "quadruped (PyBullet) or carracing (CarRacing-v3 pixels)"})
    robot: str = field(default="ant", metadata={"help": "ant or servo_quadruped"})
    observation: str = field(default="ant28", metadata={"help": "ant28, proprio or proprio_contacts"})
    actuation: str = field(default="torque", metadata={"help": "torque or position"})
    morphologies: tuple[str, ...] = field(default=("standard", "damaged_right_front"),
                                          metadata={"help": "morphologies every candidate is scored on"})
    body_distribution: str | None = field(default=None, metadata={
        "help": "also score every candidate on bodies sampled from this distribution, new ones every generation "
                "(all candidates of a generation meet the same bodies): leg-scales (see "
                "hebbkit.trainer.envs.body_sets.BodyDistribution); its support excludes every evaluation body"})
    bodies_per_generation: int = field(default=2, metadata={"help": "bodies sampled per generation"})
    episodes: int = field(default=1, metadata={"help": "episodes per morphology per candidate"})
    max_steps: int = field(default=1000, metadata={"help": "control steps per episode, burn-in included"})
    burn_in: int = field(default=40, metadata={"help": "zero-action steps at the start of an episode"})
    seed: int = field(default=0, metadata={"help": "seed of everything random in the run"})
    policy_backend: str = field(default="auto", metadata={
        "help": "runtime backend that steps each candidate's controller: c (the C kernel, ~2x faster control step; "
                "needs a C compiler), numpy, or auto (c when it builds, else numpy); recorded resolved in config.json"})
    backend: str = field(default="local", metadata={"help": "local (process pool) or ray"})
    workers: int = field(default=0, metadata={"help": "worker processes (0: one per core)"})
    ray_address: str | None = field(default=None, metadata={"help": "'auto' joins a running Ray cluster"})
    chunks_per_worker: int = field(default=4, metadata={"help": "chunks per worker per generation (retry unit)"})
    domain_randomization: bool = field(default=False, metadata={
        "help": "draw actuator strength, ground friction, torso mass, observation noise and latency per episode "
                "(ranges: hebbkit.trainer.envs.perturbations.SIM2REAL_RANGES)"})
    snapshot_every: int = field(default=10, metadata={
        "help": "every this many generations, keep the ES mean as snapshots/gen_NNNN.npz (0: never); "
                "`hebbkit validate RUN_DIR` scores them on bodies the training never used"})
    progress: bool = field(default=True, metadata={"help": "show a progress bar with ETA"})
    tensorboard: bool = field(default=True, metadata={"help": "also log to RUN_DIR/tensorboard"})

    def es_config(self) -> ESConfig:
        return ESConfig(population=self.population, sigma=self.sigma, sigma_decay=self.sigma_decay,
                        sigma_min=self.sigma_min, learning_rate=self.learning_rate,
                        learning_rate_decay=self.learning_rate_decay, learning_rate_min=self.learning_rate_min,
                        optimizer=self.optimizer, weight_decay=self.weight_decay, init_std=self.init_std)

    def protocol(self) -> FitnessProtocol:
        from .envs.perturbations import SIM2REAL_RANGES

        if self.env == "carracing":
            return FitnessProtocol.carracing(self.max_steps, self.episodes)
        return FitnessProtocol(robot=self.robot, observation=self.observation, actuation=self.actuation,
                               morphologies=self.morphologies, episodes_per_morphology=self.episodes,
                               max_steps=self.max_steps, burn_in_steps=self.burn_in,
                               randomization=SIM2REAL_RANGES if self.domain_randomization else ())

    def __post_init__(self) -> None:
        from .envs.body_sets import BODY_DISTRIBUTIONS, VALIDATION_BODIES

        at_least = {"generations": 1, "population": 2, "episodes": 1, "max_steps": 1, "burn_in": 0, "workers": 0,
                    "chunks_per_worker": 1, "snapshot_every": 0, "env_steps_budget": 0, "bodies_per_generation": 1}
        for name, low in at_least.items():
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")
        if self.population % 2:
            raise ConfigError(f"population must be even (antithetic pairs), got {self.population}")
        if self.burn_in >= self.max_steps:
            raise ConfigError(f"burn_in ({self.burn_in}) must be below max_steps ({self.max_steps})")
        for name in ("sigma", "learning_rate", "init_std"):
            if not (isinstance(getattr(self, name), int | float) and 0 < getattr(self, name) < float("inf")):
                raise ConfigError(f"{name} must be a finite number > 0, got {getattr(self, name)!r}")
        if not self.hidden or any(size < 1 for size in self.hidden):
            raise ConfigError(f"hidden layer sizes must be >= 1, got {self.hidden}")
        if self.backend not in ("local", "ray"):
            raise ConfigError(f"backend must be 'local' or 'ray', got {self.backend!r}")
        if self.policy_backend not in ("auto", "c", "numpy", "onnx"):
            raise ConfigError(f"policy_backend must be auto, c, numpy or onnx, got {self.policy_backend!r}")

        held_out = [body for body in self.morphologies if body in VALIDATION_BODIES and body != "standard"]
        if held_out:
            raise ConfigError(f"morphologies {held_out} are validation bodies: no training may use them "
                              f"(hebbkit.trainer.envs.body_sets.VALIDATION_BODIES)")
        if self.body_distribution is not None and self.body_distribution not in BODY_DISTRIBUTIONS:
            raise ConfigError(f"unknown body_distribution {self.body_distribution!r}; expected one of "
                              f"{sorted(BODY_DISTRIBUTIONS)}")
        if self.body_distribution is not None and self.bodies_per_generation < 1:
            raise ConfigError(f"bodies_per_generation must be >= 1, got {self.bodies_per_generation}")

    def to_json(self) -> dict:
        data = dataclasses.asdict(self)
        return {key: (str(value) if isinstance(value, Path) else list(value) if isinstance(value, tuple) else value)
                for key, value in data.items()}

    @classmethod
    def from_json(cls, data: dict) -> TrainConfig:
        values = {}
        for item in dataclasses.fields(cls):
            if item.name not in data:
                continue
            value = data[item.name]
            if item.name in ("run_dir", "resume") and value is not None:
                value = Path(value)
            elif isinstance(value, list):
                value = tuple(value)
            values[item.name] = value
        values.setdefault("policy_backend", "numpy")  # runs from before the C backend stepped with NumPy
        return cls(**values)


PRESETS: dict[str, dict] = {
    "ant-paper": {},
    "ant-static": {"rule": "static"},
    "servo-proprio": {"robot": "servo_quadruped", "observation": "proprio", "actuation": "position",
                      "morphologies": ("standard",), "domain_randomization": True, "episodes": 2},
    "ant-proprio": {"observation": "proprio", "actuation": "position", "domain_randomization": True},
    "carracing-paper": {"env": "carracing", "population": 200, "generations": 300, "morphologies": ("standard",),
                        "burn_in": 0},
    "ant-robust": {"morphologies": ("standard",), "body_distribution": "leg-scales", "bodies_per_generation": 2},
    "smoke": {"generations": 2, "population": 4, "max_steps": 50, "burn_in": 5, "morphologies": ("standard",),
              "hidden": (16,), "workers": 2, "progress": False},
}


def resolve_config(overrides: dict) -> TrainConfig:
    """A preset (overrides["config"], default ant-paper) with explicit overrides applied."""
    name = overrides.get("config", "ant-paper")
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; expected one of {sorted(PRESETS)}")
    return TrainConfig(**{**PRESETS[name], **overrides, "config": name})


def network_for(config: TrainConfig, n_inputs: int, n_outputs: int) -> NetworkSpec:
    if config.env == "carracing":  # conv front end -> plastic 648-128-64-3, raw output in the update
        from hebbkit.runtime.frontend import CARRACING_FRONTEND

        sizes = (CARRACING_FRONTEND.output_size, *config.hidden, n_outputs)
        return NetworkSpec(layer_sizes=sizes, activations=("tanh",) * (len(sizes) - 2) + ("identity",),
                           rule=config.rule, normalize_weights=True, action_head=("tanh", "sigmoid", "sigmoid"),
                           frontend=CARRACING_FRONTEND, family=config.rule_family)
    sizes = (n_inputs, *config.hidden, n_outputs)
    activations = ("tanh",) * (len(sizes) - 1)
    if config.rule == "static":
        if config.rule_family != "synapse":
            raise ConfigError(f"rule static evolves the weights, not a rule: rule_family must be 'synapse', got "
                              f"{config.rule_family!r}")
        return NetworkSpec(layer_sizes=sizes, activations=activations, rule="static", init=WeightInit("stored"))
    return NetworkSpec(layer_sizes=sizes, activations=activations, rule=config.rule, family=config.rule_family)


# ------------------------------------------------------------------------------------------------------ the run


class Run:
    """One training run in one directory: state, logging, checkpoints, exports."""

    def __init__(self, config: TrainConfig, directory: Path, command: str) -> None:
        self.config = config
        self.directory = directory
        self.command = command
        self.protocol = config.protocol()
        probe = self.protocol.make_env((*self.protocol.morphologies, "standard")[0])
        self.profile, self.control_period = probe.profile, probe.dt
        probe.close()
        self.network = network_for(config, self.profile.n_observations, self.profile.n_actions)
        self.layout = ParameterLayout.of(self.network)
        self.strategy = OpenAIES(self.layout.size, config.es_config())
        self.best_center_fitness = -np.inf
        self.best_parameters: np.ndarray | None = None

    # ------------------------------------------------------------------ persistence

    def save_checkpoint(self, state: ESState) -> None:
        arrays = state.to_arrays()
        arrays["best_center_fitness"] = np.array(self.best_center_fitness)
        arrays["best_parameters"] = self.best_parameters if self.best_parameters is not None else state.mean
        arrays["config"] = np.frombuffer(json.dumps(self.config.to_json()).encode(), dtype=np.uint8)
        _atomic_savez(self.directory / "checkpoint.npz", arrays)

    def load_checkpoint(self) -> ESState:
        path = self.directory / "checkpoint.npz"
        if not path.exists():
            raise CheckpointError(f"no checkpoint.npz in {self.directory}: nothing to resume (did generation 1 "
                                  "finish?)")
        try:
            with np.load(path, allow_pickle=False) as archive:
                arrays = {name: archive[name] for name in archive.files}
            state = ESState.from_arrays(arrays)
            best_center_fitness = float(arrays["best_center_fitness"])
        except (OSError, ValueError, TypeError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as error:
            raise CheckpointError(f"{path} is damaged or not a hebbkit checkpoint ({type(error).__name__}: "
                                  f"{error}); the previous generation's exports latest.npz/best.npz are intact") \
                from error
        if state.mean.shape != (self.layout.size,):
            raise CheckpointError(f"{path} holds a mean of shape {state.mean.shape}, the config needs "
                                  f"({self.layout.size},)")
        if not np.isfinite(state.mean).all():
            raise CheckpointError(f"{path} holds a non-finite ES mean: not resumable")
        if state.seed != self.config.seed:
            raise CheckpointError(f"{path} was written by a run with seed {state.seed}, config.json says "
                                  f"{self.config.seed}: the two files do not belong together")
        best = np.array(arrays.get("best_parameters", state.mean))
        if best.shape != (self.layout.size,):
            raise CheckpointError(f"{path} holds best parameters of shape {best.shape}, expected ({self.layout.size},)")
        if state.adam_m.shape != state.mean.shape or state.adam_v.shape != state.mean.shape:
            raise CheckpointError(f"{path} holds optimiser moments of shapes {state.adam_m.shape}, "
                                  f"{state.adam_v.shape}; expected {state.mean.shape}")
        self.best_center_fitness = best_center_fitness
        self.best_parameters = best
        return state

    def export(self, name: str, parameters: np.ndarray, state: ESState, fitness: float | None) -> Path:
        provenance = {"command": self.command, "seed": self.config.seed, "git_commit": current_git_commit(),
                      "generations": state.generation, "fitness": fitness, "config": self.config.config,
                      "run_dir": self.directory.name,
                      "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        artifact = self.layout.to_artifact(parameters, self.profile, self.control_period, provenance)
        return save_artifact(artifact, self.directory / f"{name}.npz")

    def truncate_log(self, generations: int) -> None:
        """Keep the header and the first `generations` rows (a killed run may have logged past its checkpoint)."""
        path = self.directory / "log.csv"
        if not path.exists():
            return
        rows = path.read_text().splitlines()
        path.write_text("\n".join(rows[: generations + 1]) + "\n")

    def logged_env_steps(self) -> int:
        """Env steps of every generation in log.csv (the run's spent budget)."""
        path = self.directory / "log.csv"
        if not path.exists():
            return 0
        with path.open(newline="") as stream:
            return sum(int(row["env_steps"]) for row in csv.DictReader(stream))

    def append_log(self, row: dict) -> None:
        path = self.directory / "log.csv"
        new = not path.exists()
        with path.open("a", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=LOG_FIELDS)
            if new:
                writer.writeheader()
            writer.writerow(row)

    # ------------------------------------------------------------------ one generation

    def generation_protocol(self, state: ESState) -> FitnessProtocol:
        """The protocol of this generation: the configured bodies, plus bodies sampled from the body distribution
        (from the run seed and the generation, so a resumed run meets the same ones)."""
        if self.config.body_distribution is None:
            return self.protocol
        from .envs.body_sets import BODY_DISTRIBUTIONS

        rng = np.random.default_rng(np.random.SeedSequence([state.seed, state.generation, 3]))
        sampled = BODY_DISTRIBUTIONS[self.config.body_distribution].sample(rng, self.config.bodies_per_generation)
        return replace(self.protocol, morphologies=(*self.protocol.morphologies, *sampled))

    def jobs(self, state: ESState, candidates: list[Candidate], workers: int) -> list[Job]:
        """The generation's chunks: every candidate on its pair's seeds, and the centre on its own."""

        protocol = self.generation_protocol(state)
        n_episodes = len(protocol.morphologies) * protocol.episodes_per_morphology

        def seeds(*key: int) -> tuple[int, ...]:
            return tuple(int(s) for s in np.random.SeedSequence([state.seed, state.generation, *key])
                         .generate_state(n_episodes))

        items = [EpisodeItem(candidate.index, candidate, seeds(1, candidate.pair)) for candidate in candidates]
        items.append(EpisodeItem(len(candidates), None, seeds(2)))  # the centre (the mean itself), own episodes
        n_chunks = max(1, min(len(items), workers * self.config.chunks_per_worker))
        return [Job(state.mean, self.layout, self.profile, self.control_period, protocol,
                    tuple(items[index::n_chunks]), self.config.policy_backend) for index in range(n_chunks)]


def _atomic_savez(path: Path, arrays: dict) -> None:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)  # unused optimiser state (zeros for SGD) costs nothing
    atomic_write_bytes(path, buffer.getvalue())


RESUMABLE_FIELDS = ("generations", "env_steps_budget", "backend", "workers", "ray_address", "progress",
                    "tensorboard")
"""What may change when a run is resumed: its budget and where it runs. Everything else is the run's identity."""


def read_stored_config(directory: Path) -> TrainConfig:
    """The config.json of a run directory (CheckpointError if it is missing or damaged)."""
    saved = directory / "config.json"
    if not directory.is_dir() or not saved.exists():
        raise CheckpointError(f"{directory} is not a run directory (no config.json)")
    try:
        data = json.loads(saved.read_text())
        if not isinstance(data, dict):
            raise TypeError(f"expected a JSON object, found {type(data).__name__}")
        return TrainConfig.from_json(data)
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError, ValueError, ConfigError) as error:
        raise CheckpointError(f"{saved} is damaged: {error}") from error


def resume_config(directory: Path, given: dict) -> TrainConfig:
    """The stored config of the run in `directory`, with the explicitly `given` values of `RESUMABLE_FIELDS`
    applied; any other given value that differs from the stored one is refused (it would silently change the run)."""
    stored = read_stored_config(directory)
    changed = sorted(name for name, value in given.items()
                     if name not in (*RESUMABLE_FIELDS, "resume", "run_dir") and getattr(stored, name) != value)
    if changed:
        detail = ", ".join(f"--{name.replace('_', '-')} (run: {getattr(stored, name)!r}, given: {given[name]!r})"
                           for name in changed)
        raise ConfigError(f"a resumed run keeps its settings; only {', '.join(RESUMABLE_FIELDS)} may change. "
                          f"Refused: {detail}. Start a new run (--run-dir) to change them")
    return replace(stored, **{name: given[name] for name in RESUMABLE_FIELDS if name in given},
                   resume=directory, run_dir=directory)


def prepare_run(config: TrainConfig, command: str) -> tuple[Run, ESState]:
    """A new run directory, or the resumed one, and the state to continue from."""
    if config.resume is not None:
        directory = Path(config.resume)
        stored = read_stored_config(directory)
        # what may change on resume (`RESUMABLE_FIELDS`) comes from `config`; the rest is the stored run
        resumed = replace(stored, **{name: getattr(config, name) for name in RESUMABLE_FIELDS}, resume=directory,
                          run_dir=directory)
        run = Run(resumed, directory, command)
        state = run.load_checkpoint()
        run.truncate_log(state.generation)
        return run, state
    directory = config.run_dir or Path("runs") / f"{config.config}-{time.strftime('%Y%m%d-%H%M%S')}"
    if directory.exists() and not directory.is_dir():
        raise ConfigError(f"--run-dir {directory} is a file; give a directory (new or empty)")
    if (directory / "checkpoint.npz").exists():
        raise CheckpointError(f"{directory} already holds a run: resume it with --resume {directory}, or choose "
                              "another --run-dir")
    created = not directory.exists()
    directory.mkdir(parents=True, exist_ok=True)
    config = replace(config, run_dir=directory, policy_backend=resolve_policy_backend(config.policy_backend))
    try:
        run = Run(config, directory, command)
    except BaseException:
        if created and not any(directory.iterdir()):
            directory.rmdir()  # a refused config leaves no empty run folder behind
        raise
    (directory / "config.json").write_text(json.dumps(config.to_json(), indent=2) + "\n")
    return run, run.strategy.initialize(config.seed)


def resolve_policy_backend(name: str) -> str:
    """"auto" -> "c" when the C kernel builds here, else "numpy" (with a note); other names are checked."""
    if name not in ("auto", "c", "numpy", "onnx"):
        raise ConfigError(f"policy_backend must be auto, c, numpy or onnx, got {name!r}")
    if name != "auto":
        return name
    from hebbkit.runtime.backends.c_backend import KernelBuildError, kernel_library

    try:
        kernel_library()
    except KernelBuildError as error:
        print(f"(policy backend: numpy, since the C kernel is unavailable: {error})", file=sys.stderr)
        return "numpy"
    return "c"


@dataclass(frozen=True)
class GenerationStats:
    """What one generation did and what it cost (seconds: whole generation; es_seconds: ask, tell, job building
    and exports, i.e. everything but the evaluations)."""

    generation: int
    fitness_mean: float
    fitness_max: float
    fitness_min: float
    center_fitness: float
    sigma: float
    learning_rate: float
    seconds: float
    es_seconds: float
    env_steps: int

    @property
    def env_steps_per_second(self) -> float:
        return self.env_steps / self.seconds

    def log_row(self, best_center_fitness: float, retries: int) -> dict:
        return {"generation": self.generation, "fitness_mean": self.fitness_mean, "fitness_max": self.fitness_max,
                "fitness_min": self.fitness_min, "center_fitness": self.center_fitness,
                "best_center_fitness": best_center_fitness, "sigma": self.sigma,
                "learning_rate": self.learning_rate, "seconds": round(self.seconds, 3), "env_steps": self.env_steps,
                "env_steps_per_second": round(self.env_steps_per_second, 1), "retries": retries}


def run_generation(run: Run, state: ESState, evaluator: Evaluator,
                   export: bool = True) -> tuple[ESState, GenerationStats]:
    """Ask, evaluate (candidates and the centre), tell, export best/latest; returns the new state and stats."""
    started = time.perf_counter()
    candidates = run.strategy.ask(state)
    jobs = run.jobs(state, candidates, evaluator.workers)
    evaluation_started = time.perf_counter()
    results = evaluator.run(jobs)
    evaluation_seconds = time.perf_counter() - evaluation_started
    fitness = np.full(len(candidates) + 1, np.nan)
    steps = 0
    for result in results:
        fitness[result.slot] = result.fitness
        steps += result.env_steps
    if np.isnan(fitness).any():
        raise HebbkitError("some candidates came back without a fitness")
    center = float(fitness[-1])
    evaluated = state
    state = run.strategy.tell(state, candidates, fitness[:-1])
    if export:
        if center > run.best_center_fitness:
            run.best_center_fitness = center
            run.best_parameters = evaluated.mean.copy()
            run.export("best", evaluated.mean, evaluated, center)
        run.export("latest", state.mean, state, None)
        every = run.config.snapshot_every
        if every > 0 and state.generation % every == 0:
            run.export(f"snapshots/gen_{state.generation:04d}", state.mean, state, None)
    seconds = time.perf_counter() - started
    population = fitness[:-1]
    return state, GenerationStats(
        generation=state.generation, fitness_mean=float(population.mean()), fitness_max=float(population.max()),
        fitness_min=float(population.min()), center_fitness=center, sigma=evaluated.sigma,
        learning_rate=evaluated.learning_rate, seconds=seconds, es_seconds=seconds - evaluation_seconds,
        env_steps=steps)


def train(config: TrainConfig, command: str = "hebbkit train", evaluator: Evaluator | None = None) -> Path:
    """Run (or resume) training until `config.generations`; returns the run directory."""
    run, state = prepare_run(config, command)
    config = run.config
    if evaluator is None:
        from .workers import make_evaluator

        evaluator = make_evaluator(config.backend, config.workers or None, config.ray_address)
    print(f"run {run.directory}: {config.config}, {run.layout.size:,} parameters ({run.network.rule}), "
          f"population {config.population}, {evaluator.name} backend with {evaluator.workers} workers, "
          f"generation {state.generation} -> {config.generations}", flush=True)
    bar = _progress(config, state.generation)
    board = _tensorboard(run.directory) if config.tensorboard else None
    interrupted = False
    env_steps = run.logged_env_steps()
    budget = config.env_steps_budget or None
    # SIGTERM and SIGINT both stop the run after a checkpoint, also when a shell started it in the background
    # (which makes it ignore SIGINT otherwise)
    previous_handlers = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        while state.generation < config.generations and (budget is None or env_steps < budget):
            state, stats = run_generation(run, state, evaluator)
            env_steps += stats.env_steps
            row = stats.log_row(run.best_center_fitness, evaluator.retries)
            run.append_log(row)
            if board is not None:
                for key, value in row.items():
                    if key != "generation":
                        board.add_scalar(f"train/{key}", value, state.generation)
                board.flush()
            run.save_checkpoint(state)
            _advance(bar, state.generation, stats.fitness_mean, stats.center_fitness, stats.env_steps_per_second)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        for number, handler in previous_handlers.items():
            signal.signal(number, handler)
        if bar is not None:
            bar.close()
        if board is not None:
            board.close()
        evaluator.shutdown(terminate=interrupted)
    if interrupted:
        print(f"\ninterrupted after generation {state.generation} (checkpointed). Resume with:\n"
              f"  hebbkit train --resume {run.directory} --generations {config.generations}", file=sys.stderr)
        raise KeyboardInterrupt
    print(f"done: generation {state.generation}, {env_steps:,} env steps, best centre fitness "
          f"{run.best_center_fitness:.2f}; {run.directory / 'best.npz'}, {run.directory / 'latest.npz'}")
    return run.directory


def _raise_keyboard_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _tensorboard(directory: Path):
    """A TensorBoard writer into RUN_DIR/tensorboard, or None (with a note) if tensorboard is not installed."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        print("(tensorboard not installed: logging to log.csv only; pip install tensorboard)", file=sys.stderr)
        return None
    return SummaryWriter(str(directory / "tensorboard"))


def _progress(config: TrainConfig, start: int):
    if not config.progress:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=config.generations, initial=start, unit="gen", dynamic_ncols=True)


def _advance(bar, generation: int, mean: float, center: float, rate: float) -> None:
    if bar is None:
        print(f"generation {generation}: mean fitness {mean:.2f}, centre {center:.2f}, {rate:.0f} env steps/s",
              flush=True)
        return
    bar.update(1)
    bar.set_postfix(mean=f"{mean:.1f}", centre=f"{center:.1f}", steps_s=f"{rate:.0f}")


def train_config_from_cli(namespace) -> TrainConfig:
    """The explicitly given flags override the chosen preset's values; with --resume, the stored run's values
    (`resume_config`: only the budget and where it runs may change)."""
    names = {item.name for item in dataclasses.fields(TrainConfig)}
    given = {name: getattr(namespace, name) for name in names if hasattr(namespace, name)}
    given = {name: tuple(value) if isinstance(value, list) else value for name, value in given.items()}
    if given.get("resume") is not None:
        return resume_config(Path(given["resume"]), given)
    return resolve_config(given)


def run_train(config: TrainConfig) -> int:
    command = " ".join(["hebbkit", *sys.argv[1:]]) if sys.argv and sys.argv[0].endswith("hebbkit") else \
        "hebbkit train"
    train(config, command)
    return 0
