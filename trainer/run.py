"""`hebbkit train`: evolve Hebbian rules (or static weights) with OpenAI-ES, resumably.

A run directory holds everything: `config.json` (the resolved config), `log.csv` (one row per generation),
`checkpoint.npz` (written atomically after every generation), `latest.npz` (the ES mean as a policy artifact),
`best.npz` (the mean that scored best on its own evaluation episodes) and `snapshots/gen_NNNN.npz` (the mean every
`snapshot_every` generations, for validation curves). `--resume RUN_DIR` continues exactly as if the
run had never stopped: the noise, the episode seeds and the ES state depend only on the seed and the generation.

This module is the run itself: `Run` (one directory, its network and ES), `prepare_run` (new or resumed),
`run_generation` (ask, evaluate, tell, export) and `train` (the loop, stopped cleanly by Ctrl-C or SIGTERM). The
config lives in `train_config`, the resumable files in `checkpoints`, progress and TensorBoard in `monitor`, the
evaluators in `workers`.
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from hebbkit.runtime.artifact import current_git_commit, load_artifact, save_artifact
from hebbkit.runtime.cli import option_fields
from hebbkit.runtime.errors import ConfigError, HebbkitError, OutputPathError

from .checkpoints import (
    LOG_FIELDS,
    Checkpoint,
    CheckpointError,
    TrainingLog,
    check_checkpoint,
    check_config_matches,
    read_checkpoint,
    read_stored_config,
    save_checkpoint,
    write_config,
)
from .es import Candidate, ESState, OpenAIES
from .fitness import FitnessProtocol
from .monitor import TrainingMonitor
from .parameters import ParameterLayout
from .train_config import (
    PRESETS,
    RESUMABLE_FIELDS,
    TaskConfig,
    TrainConfig,
    executor_from_backend,
    network_for,
    resolve_config,
    resolve_policy_backend,
    resume_config,
    resumed_config,
)
from .workers import EpisodeItem, Evaluator, Job

__all__ = [  # the names other modules, tests and benchmarks import from here
    "LOG_FIELDS", "PRESETS", "RESUMABLE_FIELDS", "CheckpointError", "GenerationStats", "Run", "TaskConfig",
    "TrainConfig", "network_for", "prepare_run", "resolve_config", "resolve_policy_backend", "run_generation",
    "run_train", "train", "train_config_from_cli",
]


class Run:
    """One training run in one directory: its network, parameter layout and ES, the best centre so far, and
    its files (checkpoint, log, exports)."""

    def __init__(self, config: TrainConfig, directory: Path, command: str) -> None:
        self.config = config
        self.directory = directory
        self.command = command
        self.git_commit = current_git_commit()  # of the code this process loaded, not of a checkout changed since
        self.protocol = config.task.protocol()
        probe = self.protocol.make_env((*self.protocol.morphologies, "standard")[0])
        self.profile, self.control_period = probe.profile, probe.dt
        probe.close()
        self.network = network_for(config, self.profile.n_observations, self.profile.n_actions)
        self.layout = ParameterLayout.of(self.network)
        self.strategy = OpenAIES(self.layout.size, config.es)
        self.log = TrainingLog(directory)
        self.best_center_fitness = -np.inf
        self.best_parameters: np.ndarray | None = None
        self.env_steps = 0  # of every generation so far (the spent budget)

    # ------------------------------------------------------------------ persistence

    def save_checkpoint(self, state: ESState) -> None:
        best = self.best_parameters if self.best_parameters is not None else state.mean
        checkpoint = Checkpoint(state, self.best_center_fitness, best, self.env_steps)
        save_checkpoint(self.directory / "checkpoint.npz", checkpoint, self.config)

    def restore(self, checkpoint: Checkpoint) -> ESState:
        """The state to continue from, once `checkpoint` and log.csv are checked against this run; also restores
        the best centre so far and the env steps spent."""
        check_checkpoint(checkpoint, self.directory / "checkpoint.npz", self.layout.size, self.config.seed)
        self.env_steps = self.log.checked_env_steps(checkpoint)
        self.best_center_fitness = checkpoint.best_center_fitness
        self.best_parameters = checkpoint.best_parameters
        return checkpoint.state

    def export(self, name: str, parameters: np.ndarray, state: ESState, fitness: float | None,
               generation: int | None = None) -> Path:
        """`parameters` as the policy artifact RUN_DIR/<name>.npz, with the run's provenance (`generation`: the
        generation that produced them, `state`'s by default)."""
        generation = state.generation if generation is None else generation
        provenance = {"command": self.command, "seed": self.config.seed, "git_commit": self.git_commit,
                      "generations": generation, "fitness": fitness, "config": self.config.config,
                      "run_dir": self.directory.name,
                      "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        artifact = self.layout.to_artifact(parameters, self.profile, self.control_period, provenance)
        return save_artifact(artifact, self.directory / f"{name}.npz")

    def export_missing(self, state: ESState) -> list[str]:
        """Write latest.npz and best.npz from the checkpoint where they are missing: a run resumed from a committed
        checkpoint (config, log and checkpoint only) that had already reached its budget runs no generation that
        would write them. best.npz records the generation whose centre scored best (from log.csv). Returns the
        names written."""
        written: list[str] = []
        if state.generation == 0:
            return written
        if not (self.directory / "latest.npz").exists():
            self.export("latest", state.mean, state, None)
            written.append("latest.npz")
        if not (self.directory / "best.npz").exists() and self.best_parameters is not None:
            scored = self.log.generation_scoring(self.best_center_fitness)  # its centre: the mean after g - 1 updates
            self.export("best", self.best_parameters, state, self.best_center_fitness,
                        None if scored is None else scored - 1)
            written.append("best.npz")
        return written

    # ------------------------------------------------------------------ one generation

    def generation_protocol(self, state: ESState) -> FitnessProtocol:
        """The protocol of this generation: the configured bodies, plus those sampled for it."""
        return self.config.task.generation_protocol(self.protocol, state.seed, state.generation)

    def jobs(self, state: ESState, candidates: list[Candidate], workers: int) -> list[Job]:
        """The generation's chunks: every candidate on its pair's seeds (on the generation's with shared episodes),
        and the centre on its own."""
        protocol = self.generation_protocol(state)
        n_episodes = len(protocol.morphologies) * protocol.episodes_per_morphology

        def seeds(*key: int) -> tuple[int, ...]:
            return tuple(int(s) for s in np.random.SeedSequence([state.seed, state.generation, *key])
                         .generate_state(n_episodes))

        shared = self.config.task.shared_episodes  # every candidate on the generation's seeds, else its pair's
        items = [EpisodeItem(candidate.index, candidate, seeds(1) if shared else seeds(1, candidate.pair))
                 for candidate in candidates]
        items.append(EpisodeItem(len(candidates), None, seeds(2)))  # the centre (the mean itself), own episodes
        n_chunks = max(1, min(len(items), workers * self.config.chunks_per_worker))
        return [Job(state.mean, self.layout, self.profile, self.control_period, protocol,
                    tuple(items[index::n_chunks]), self.config.backend) for index in range(n_chunks)]


def prepare_run(config: TrainConfig, command: str) -> tuple[Run, ESState]:
    """A new run directory, or the resumed one, and the state to continue from. A run stopped before its first
    checkpoint (config.json, no checkpoint.npz, no generation logged) resumes from its start."""
    if config.resume is not None:
        directory = Path(config.resume)
        stored = read_stored_config(directory)
        if not_started(directory):
            run = Run(resumed_config(stored, directory, {name: getattr(config, name) for name in RESUMABLE_FIELDS}),
                      directory, command)
            return run, run.strategy.initialize(run.config.seed, initial_mean(run))
        checkpoint = read_checkpoint(directory / "checkpoint.npz")
        check_config_matches(checkpoint, stored, directory)  # before a changed network could fail less clearly
        # what may change on resume (`RESUMABLE_FIELDS`) comes from `config`; the rest is the stored run
        resumed = resumed_config(stored, directory, {name: getattr(config, name) for name in RESUMABLE_FIELDS})
        run = Run(resumed, directory, command)
        state = run.restore(checkpoint)  # every check passed before the log is cut back to the checkpoint
        run.log.truncate(state.generation)
        return run, state
    directory = config.run_dir or Path("runs") / f"{config.config}-{time.strftime('%Y%m%d-%H%M%S')}"
    if directory.exists() and not directory.is_dir():
        raise ConfigError(f"--run-dir {directory} is a file; give a directory (new or empty)")
    if (directory / "checkpoint.npz").exists():
        raise CheckpointError(f"{directory} already holds a run: resume it with --resume {directory}, or choose "
                              "another --run-dir")
    created = not directory.exists()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputPathError(f"--run-dir {directory}: cannot create it ({error.strerror or error})") from error
    config = replace(config, run_dir=directory, backend=resolve_policy_backend(config.backend))
    try:
        run = Run(config, directory, command)
        mean = initial_mean(run)
        write_config(directory, config)
    except BaseException:
        if created and not any(directory.iterdir()):
            directory.rmdir()  # a refused config or an unwritable folder leaves no empty run folder behind
        raise
    return run, run.strategy.initialize(config.seed, mean)


def not_started(directory: Path) -> bool:
    """A run directory whose run never checkpointed: no checkpoint.npz and no generation in log.csv (a run with
    logged generations and no checkpoint lost it: `read_checkpoint` refuses it)."""
    log = directory / "log.csv"
    return not (directory / "checkpoint.npz").exists() and (not log.exists() or len(log.read_text().splitlines()) <= 1)


def initial_mean(run: Run) -> np.ndarray | None:
    """The ES's starting vector when the config asks for other than N(0, init_std^2) (`ESConfig`'s own draw):
    a warm start, fan-in-uniform static weights, or evolved initial weights starting U(-0.1, 0.1) beside the
    rule's N(0, init_std^2) coefficients."""
    if run.config.init_from is not None:
        return warm_start(run, Path(run.config.init_from))
    if run.config.static_init == "fan-in-uniform":
        return run.layout.fan_in_uniform(np.random.default_rng(np.random.SeedSequence([run.config.seed, 2**31 - 2])))
    if run.layout.evolved_init:
        weights = run.layout.random_initial_weights(initial_weights_rng(run.config.seed))
        return run.layout.with_initial_weights(run.strategy.initialize(run.config.seed).mean, weights)
    return None


def initial_weights_rng(seed: int) -> np.random.Generator:
    """The generator of the one draw of random initial weights an evolved-init run starts from."""
    return np.random.default_rng(np.random.SeedSequence([seed, 2**31 - 3]))


def warm_start(run: Run, path: Path) -> np.ndarray:
    """The flat parameters of the artifact at `path` (`--init-from`), refused unless it is this run's network on
    this run's robot profile."""
    artifact = load_artifact(path)  # a missing or malformed file: its own clear error
    try:  # checks that the network is this run's; random initial weights into evolved ones: one draw
        parameters = run.layout.from_artifact(artifact, initial_weights_rng(run.config.seed))
    except ConfigError as error:
        raise ConfigError(f"--init-from {path}: {error}") from None
    if artifact.profile.name != run.profile.name:
        raise ConfigError(f"--init-from {path}: made for the {artifact.profile.name!r} profile, this run's is "
                          f"{run.profile.name!r}")
    return parameters


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
        """The generation's row of log.csv (`LOG_FIELDS`)."""
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
    fitness = np.full(len(candidates) + 1, np.nan)  # the candidates' slots, then the centre's
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
    """Run (or resume) training until `config.generations` (or the env-step budget); returns the run directory.
    Every generation is logged and checkpointed; Ctrl-C or SIGTERM stop after the last checkpoint and raise
    KeyboardInterrupt."""
    run, state = prepare_run(config, command)
    config = run.config
    env_steps = run.env_steps
    budget = config.env_steps_budget or None
    monitor: TrainingMonitor | None = None
    interrupted = False
    try:
        with signals_interrupt():  # from here on, an interrupt ends with the command that continues the run
            with interrupts_deferred():  # the set-up imports C++ extensions (torch for TensorBoard, Ray)
                evaluator = evaluator or new_evaluator(config)
                print(f"run {run.directory}: {config.config}, {run.layout.size:,} parameters ({run.network.rule}), "
                      f"population {config.es.population}, {evaluator.name} backend with {evaluator.workers} "
                      f"workers, generation {state.generation} -> {config.generations}", flush=True)
                monitor = TrainingMonitor(run.directory, state.generation, config.generations, config.progress,
                                          config.tensorboard, env_steps_budget=budget, env_steps=env_steps)
            while state.generation < config.generations and (budget is None or env_steps < budget):
                state, stats = run_generation(run, state, evaluator)
                env_steps += stats.env_steps
                run.env_steps = env_steps
                row = stats.log_row(run.best_center_fitness, evaluator.retries)
                run.log.append(row)
                monitor.record(row)
                run.save_checkpoint(state)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if monitor is not None:
            monitor.close()
        if evaluator is not None:
            evaluator.shutdown(terminate=interrupted)
    if interrupted:
        checkpointed = (run.directory / "checkpoint.npz").exists()
        if not checkpointed:
            run.log.truncate(0)  # a row logged just before the interrupt, with no checkpoint after it
        print(interrupted_message(run.directory, state.generation, config.generations, checkpointed),
              file=sys.stderr)
        raise KeyboardInterrupt
    written = run.export_missing(state)
    if written:
        print(f"{' and '.join(written)} written from checkpoint.npz (no generation ran to write them)")
    print(f"done: generation {state.generation}, {env_steps:,} env steps, best centre fitness "
          f"{run.best_center_fitness:.2f}; {run.directory / 'best.npz'}, {run.directory / 'latest.npz'}")
    return run.directory


def new_evaluator(config: TrainConfig) -> Evaluator:
    """The evaluator a run's config asks for: envpool's batched CarRacing, or worker processes (local or Ray)."""
    if config.carracing_env == "envpool":
        from .batched import EnvpoolEvaluator

        return EnvpoolEvaluator(config.workers or None)
    from .workers import make_evaluator

    return make_evaluator(config.executor, config.workers or None, config.ray_address)


def interrupted_message(directory: Path, generation: int, generations: int, checkpointed: bool) -> str:
    """What an interrupted run says: what was kept, and the command that continues it (`--resume` starts a run
    that never checkpointed from its beginning: `not_started`)."""
    resume = f"  hebbkit train --resume {directory} --generations {generations}"
    if checkpointed:
        return f"\ninterrupted after generation {generation} (checkpointed). Resume with:\n{resume}"
    return (f"\ninterrupted during generation {generation + 1}, before the first checkpoint: nothing was "
            f"checkpointed. Start it again (from generation 0, with the run's config.json) with:\n{resume}")


@contextmanager
def signals_interrupt() -> Iterator[None]:
    """SIGTERM and SIGINT both raise KeyboardInterrupt inside the block, also when a shell started the process in
    the background (which makes it ignore SIGINT otherwise); the previous handlers come back afterwards."""
    with _signal_handlers({signal.SIGTERM: _raise_keyboard_interrupt, signal.SIGINT: signal.default_int_handler}):
        yield


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM that arrive inside the block raise KeyboardInterrupt when it ends, not inside it.

    For imports: a KeyboardInterrupt raised inside a C++ extension's import (torch's) aborts the process (SIGABRT,
    an exception thrown through pybind11), and one raised inside the `exec` of a dataclass definition leaves CPython
    marked as killed by SIGINT, whatever exit code the program returns afterwards."""
    received: list[int] = []

    def remember(signum, frame) -> None:
        received.append(signum)

    with _signal_handlers({signal.SIGTERM: remember, signal.SIGINT: remember}):
        yield
    if received:
        raise KeyboardInterrupt


@contextmanager
def _signal_handlers(handlers: dict) -> Iterator[None]:
    """`handlers` (signal -> handler) inside the block; the previous handlers come back afterwards."""
    previous = {number: signal.signal(number, handler) for number, handler in handlers.items()}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _raise_keyboard_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


# ------------------------------------------------------------------------------------------------ the command


def train_config_from_cli(namespace) -> TrainConfig:
    """The explicitly given flags override the chosen preset's values; with --resume, the stored run's values
    (`resume_config`: only the budget and where it runs may change)."""
    names = {item.name for item, _ in option_fields(TrainConfig)}
    given = {name: getattr(namespace, name) for name in names if hasattr(namespace, name)}
    given = {name: tuple(value) if isinstance(value, list) else value for name, value in given.items()}
    given = executor_from_backend(given)
    if given.get("resume") is not None:
        directory = Path(given["resume"])
        return resume_config(read_stored_config(directory), directory, given)
    return resolve_config(given)


def run_train(config: TrainConfig) -> int:
    command = " ".join(["hebbkit", *sys.argv[1:]]) if sys.argv and sys.argv[0].endswith("hebbkit") else \
        "hebbkit train"
    train(config, command)
    return 0
