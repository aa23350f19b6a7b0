"""The config of `hebbkit train`: its parts, the presets, what a resumed run may change, and the network it trains.

`TrainConfig` holds the ES hyper-parameters as an `ESConfig` and what a candidate is scored on as a `TaskConfig`
(nested groups), but reads and writes flat options: the flags are `--population`, `--episodes`, ... and
config.json is one flat object, as it always was, so every existing run directory resumes unchanged.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from hebbkit.runtime.cli import build_config, flat_options, option_fields, renamed_options
from hebbkit.runtime.errors import ConfigError
from hebbkit.runtime.network import WEIGHT_NORMS, NetworkSpec, WeightInit

from .es import ESConfig
from .fitness import FitnessProtocol

POLICY_BACKENDS = ("auto", "c", "numpy", "onnx")
CARRACING_ENVS = ("gymnasium", "envpool")
EXECUTORS = ("local", "ray")
STATIC_INITS = ("normal", "fan-in-uniform")
INIT_WEIGHTS = ("random", "evolved")


def check_counts(config: object, minimums: dict[str, int]) -> None:
    """ConfigError unless every named field of `config` is an integer (not a bool) >= its minimum."""
    for name, low in minimums.items():
        value = getattr(config, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")


@dataclass(frozen=True)
class TaskConfig:
    """What every candidate is scored on: env, robot, bodies and episodes (the options of `FitnessProtocol`)."""

    env: str = field(default="quadruped", metadata={
        "help": "quadruped (PyBullet) or carracing (CarRacing-v3 pixels)"})
    robot: str = field(default="ant", metadata={
        "help": "a built-in robot (ant, servo_quadruped, unitree_a1) or a robot file (.toml, docs/robots.md)"})
    observation: str = field(default="ant28", metadata={
        "help": "ant28, proprio, proprio_contacts or proprio_contacts_action (and the previous action)"})
    actuation: str = field(default="torque", metadata={"help": "torque or position"})
    bodies: tuple[str, ...] = field(default=("standard", "damaged_right_front"), metadata={
        "help": "bodies every candidate is scored on, as `hebbkit eval --bodies` reads them",
        "aliases": ("morphologies",)})
    body_distribution: str | None = field(default=None, metadata={
        "help": "also score every candidate on bodies sampled from this distribution, new ones every generation "
                "(all candidates of a generation meet the same bodies): leg-scales, leg-scales-motors (also one leg "
                "with weakened motors in half the bodies) or leg-scales-wide (one leg damaged in any part: upper, "
                "lower, motors; never several legs); see hebbkit.trainer.envs.body_sets.BodyDistribution. "
                "leg-scales and leg-scales-motors exclude every evaluation body; leg-scales-wide trains on "
                "single-leg lower damage and holds out the other categories"})
    bodies_per_generation: int = field(default=2, metadata={"help": "bodies sampled per generation"})
    episodes: int = field(default=1, metadata={"help": "episodes per body per candidate"})
    shared_episodes: bool = field(default=False, metadata={
        "help": "every candidate of a generation plays the same episode seeds (CarRacing: the same tracks; the "
                "same initial weights and randomisation draws), new ones every generation, so candidates are "
                "ranked on the same corners; default: each antithetic pair draws its own (the paper)"})
    max_steps: int = field(default=1000, metadata={"help": "control steps per episode, burn-in included"})
    burn_in: int = field(default=40, metadata={"help": "zero-action steps at the start of an episode"})
    episode_aggregate: str = field(default="mean", metadata={
        "help": "how a candidate's episodes (every body, every episode) make its fitness: mean (the paper), "
                "worst-half (the mean of the worse half) or min; the last two reward rules whose bad draws of "
                "randomised bodies or actuators still walk"})
    early_stop_clock: str = field(default="env", metadata={
        "help": "how the early stop's 200 steps count: env (env steps from the reset, burn-in included; the negative "
                "streak counts from the first policy step) or policy (the paper's seed code: policy steps after "
                "burn-in, and the streak counts only once the stop is armed); hebbkit.trainer.fitness"})
    foot_duty_bonus: float = field(default=0.0, metadata={
        "help": "gait shaping (legged robots, needs foot contacts in the observation): an episode's forward progress "
                "P scores P x (1 + this x the duty factor of its least-used foot), so a gait on every foot outscores "
                "one that holds a leg up; 0 (default): the summed progress, as the paper; hebbkit.trainer.fitness"})
    domain_randomization: bool = field(default=False, metadata={
        "help": "draw actuator strength, ground friction, torso mass, observation noise and latency per episode "
                "(ranges: hebbkit.trainer.envs.perturbations.SIM2REAL_RANGES)"})

    def __post_init__(self) -> None:
        from .envs.body_sets import BODY_DISTRIBUTIONS, VALIDATION_BODIES
        from .fitness import EARLY_STOP_CLOCKS, check_episode_aggregate, check_foot_duty_bonus

        check_counts(self, {"episodes": 1, "max_steps": 1, "burn_in": 0, "bodies_per_generation": 1})
        if self.env == "quadruped":
            from hebbkit.runtime.robot_file import is_robot_file, resolve_robot, robot_file_path

            resolve_robot(self.robot)  # an unknown robot or a broken file: one line now, not in a worker
            if is_robot_file(self.robot):  # workers and resumed runs find it from any directory
                object.__setattr__(self, "robot", str(robot_file_path(self.robot)))
        if self.burn_in >= self.max_steps:
            raise ConfigError(f"burn_in ({self.burn_in}) must be below max_steps ({self.max_steps})")
        held_out = [body for body in self.bodies if body in VALIDATION_BODIES and body != "standard"]
        if held_out:
            raise ConfigError(f"bodies {held_out} are validation bodies: no training may use them "
                              f"(hebbkit.trainer.envs.body_sets.VALIDATION_BODIES)")
        check_episode_aggregate(self.episode_aggregate)
        check_foot_duty_bonus(self.foot_duty_bonus, self.env)
        if self.early_stop_clock not in EARLY_STOP_CLOCKS:
            raise ConfigError(f"early_stop_clock must be one of {', '.join(EARLY_STOP_CLOCKS)}, got "
                              f"{self.early_stop_clock!r}")
        if self.body_distribution is not None and self.body_distribution not in BODY_DISTRIBUTIONS:
            raise ConfigError(f"unknown body_distribution {self.body_distribution!r}; expected one of "
                              f"{sorted(BODY_DISTRIBUTIONS)}")

    def protocol(self) -> FitnessProtocol:
        """The fitness protocol of the fixed bodies (`generation_protocol` adds the sampled ones)."""
        from .envs.perturbations import SIM2REAL_RANGES

        if self.env == "carracing":
            return replace(FitnessProtocol.carracing(self.max_steps, self.episodes),
                           episode_aggregate=self.episode_aggregate)
        return FitnessProtocol(robot=self.robot, observation=self.observation, actuation=self.actuation,
                               morphologies=self.bodies, episodes_per_morphology=self.episodes,
                               max_steps=self.max_steps, burn_in_steps=self.burn_in,
                               randomization=SIM2REAL_RANGES if self.domain_randomization else (),
                               episode_aggregate=self.episode_aggregate, early_stop_clock=self.early_stop_clock,
                               foot_duty_bonus=self.foot_duty_bonus)

    def generation_protocol(self, protocol: FitnessProtocol, seed: int, generation: int) -> FitnessProtocol:
        """`protocol` plus the bodies sampled for this generation from the body distribution (drawn from the run
        seed and the generation, so a resumed run meets the same ones); `protocol` itself without one."""
        if self.body_distribution is None:
            return protocol
        from .envs.body_sets import BODY_DISTRIBUTIONS

        rng = np.random.default_rng(np.random.SeedSequence([seed, generation, 3]))
        sampled = BODY_DISTRIBUTIONS[self.body_distribution].sample(rng, self.bodies_per_generation)
        return replace(protocol, morphologies=(*protocol.morphologies, *sampled))


@dataclass(frozen=True)
class TrainConfig:
    """`hebbkit train`: evolve Hebbian rules (or, with --rule static, weights) with OpenAI-ES.

    Start from a preset (--config) and override any field; the resolved config is saved in the run directory.
    """

    config: str = field(default="ant-paper", metadata={
        "help": "preset: ant-paper, ant-robust, ant-robust-motors, ant-static, ant-static-robust, servo-proprio, "
                "servo-proprio-worst, ant-proprio, a1-robust, a1-static, a1-static-standard, carracing-paper, "
                "carracing-static, smoke"})
    run_dir: Path | None = field(default=None, metadata={"help": "run directory (default runs/<config>-<time>)"})
    resume: Path | None = field(default=None, metadata={"help": "continue the run in this directory"})
    generations: int = field(default=300, metadata={"help": "generations to reach (a resumed run continues)"})
    env_steps_budget: int = field(default=0, metadata={
        "help": "also stop once the run has simulated this many env steps in all (0: no limit); for studies at "
                "equal budget"})
    es: ESConfig = field(default_factory=ESConfig, metadata={"group": True})
    rule: str = field(default="ABCD_lr", metadata={"help": "Hebbian rule, or 'static' for the static-weight baseline"})
    rule_family: str = field(default="synapse", metadata={
        "help": "synapse (the paper, 61,440 coefficients for the Ant), neuron (neuron-centric, 1,104) or diagonal "
                "(seed code's first-release sharing, 2,085)"})
    static_init: str = field(default="normal", metadata={
        "help": "rule static only, how the evolved weights start: normal (N(0, init_std^2), like rule "
                "coefficients) or fan-in-uniform (layer l's weights U(-1/sqrt(in_l), 1/sqrt(in_l)), PyTorch's "
                "nn.Linear default, which the paper's static baseline starts from)"})
    weight_norm: str = field(default="none", metadata={
        "help": "after every Hebbian update, each layer's weights: none (the paper's Ant), max (divided by their "
                "largest |w|, the paper's CarRacing) or standardize (to zero mean and unit variance, Leung et al. "
                "2025); stored in the artifact", "choices": WEIGHT_NORMS})
    init_weights: str = field(default="random", metadata={
        "help": "a Hebbian rule's initial weights: random (drawn U(-0.1, 0.1) every episode, the paper) or evolved "
                "(evolved beside the rule, starting U(-0.1, 0.1), and stored in the artifact: the robot boots from "
                "them and keeps adapting)", "choices": INIT_WEIGHTS})
    init_from: Path | None = field(default=None, metadata={"help": (
        "start the ES mean from this policy artifact (e.g. a finished run's latest.npz or a shipped model.npz) "
        "instead of a random draw: a warm start, as a new run, that continues a rule with another schedule, body "
        "distribution or budget (--resume continues a run with its own settings). Its network and robot profile "
        "must be the config's")})
    hidden: tuple[int, ...] = field(default=(128, 64), metadata={"help": "hidden layer sizes"})
    task: TaskConfig = field(default_factory=TaskConfig, metadata={"group": True})
    seed: int = field(default=0, metadata={"help": "seed of everything random in the run"})
    backend: str = field(default="auto", metadata={
        "help": "runtime backend that steps each candidate's controller, as in hebbkit eval: c (the C kernel, ~2x "
                "faster control step; needs a C compiler), numpy, onnx, or auto (c when it builds, else numpy); "
                "recorded resolved in config.json", "aliases": ("policy_backend",)})
    carracing_env: str = field(default="gymnasium", metadata={
        "help": "CarRacing only: gymnasium (Gymnasium's CarRacing-v3, one episode per worker process) or envpool "
                "(every candidate of a generation in lockstep on envpool's C++ CarRacing-v3, controllers stepped "
                "as one batched torch computation; ~10x faster; needs envpool). Scores are reported on Gymnasium's "
                "env either way (hebbkit eval)", "aliases": ("carracing_backend",)})
    executor: str = field(default="local", metadata={
        "help": "where the candidates run: local (a process pool on this machine) or ray (a Ray cluster, "
                "--ray-address)"})
    workers: int = field(default=0, metadata={"help": "worker processes (0: one per core)"})
    ray_address: str | None = field(default=None, metadata={"help": "'auto' joins a running Ray cluster"})
    chunks_per_worker: int = field(default=4, metadata={"help": "chunks per worker per generation (retry unit)"})
    snapshot_every: int = field(default=10, metadata={
        "help": "every this many generations, keep the ES mean as snapshots/gen_NNNN.npz (0: never); "
                "`hebbkit validate RUN_DIR` scores them on bodies the training never used"})
    progress: bool = field(default=True, metadata={"help": "show a progress bar with ETA"})
    tensorboard: bool = field(default=True, metadata={"help": "also log to RUN_DIR/tensorboard"})

    def __post_init__(self) -> None:
        check_counts(self, {"generations": 1, "workers": 0, "chunks_per_worker": 1, "snapshot_every": 0,
                            "env_steps_budget": 0})
        if not self.hidden or any(size < 1 for size in self.hidden):
            raise ConfigError(f"hidden layer sizes must be >= 1, got {self.hidden}")
        if self.static_init not in STATIC_INITS:
            raise ConfigError(f"static_init must be one of {', '.join(STATIC_INITS)}, got {self.static_init!r}")
        if self.static_init != "normal" and self.rule != "static":
            raise ConfigError(f"static_init {self.static_init} starts static weights: it needs --rule static, "
                              f"not {self.rule!r}")
        if self.weight_norm not in WEIGHT_NORMS:
            raise ConfigError(f"weight_norm must be one of {', '.join(WEIGHT_NORMS)}, got {self.weight_norm!r}")
        if self.init_weights not in INIT_WEIGHTS:
            raise ConfigError(f"init_weights must be one of {', '.join(INIT_WEIGHTS)}, got {self.init_weights!r}")
        if self.rule == "static" and (self.init_weights != "random" or self.weight_norm != "none"):
            raise ConfigError("rule static evolves its weights and does not learn: --init-weights and --weight-norm "
                              "apply to Hebbian rules")
        if self.init_from is not None and self.static_init != "normal":
            raise ConfigError(f"--init-from and --static-init {self.static_init} both choose the starting weights; "
                              "give one")
        if self.executor not in EXECUTORS:
            raise ConfigError(f"executor must be 'local' or 'ray', got {self.executor!r}")
        if self.backend not in POLICY_BACKENDS:
            raise ConfigError(f"backend must be auto, c, numpy or onnx, got {self.backend!r}")
        if self.carracing_env not in CARRACING_ENVS:
            raise ConfigError(f"carracing_env must be gymnasium or envpool, got {self.carracing_env!r}")
        if self.carracing_env == "envpool":
            if self.task.env != "carracing":
                raise ConfigError(f"carracing_env envpool runs the carracing env only; this run's env is "
                                  f"{self.task.env!r}")
            if self.executor != "local":
                raise ConfigError("carracing_env envpool steps every candidate in this process: use "
                                  f"--executor local, not {self.executor!r}")

    @classmethod
    def from_options(cls, values: dict[str, Any]) -> TrainConfig:
        """The config from flat options (`--population` -> "population"); options not given keep their defaults.
        `backend` local or ray is read as `executor` (`executor_from_backend`)."""
        return build_config(cls, executor_from_backend(values))

    def options(self) -> dict[str, Any]:
        """The flat options: every flag's value, by its name."""
        return flat_options(self)

    def to_json(self) -> dict:
        """config.json: the flat options, paths as strings and tuples as lists."""
        return {key: (str(value) if isinstance(value, Path) else list(value) if isinstance(value, tuple) else value)
                for key, value in self.options().items()}

    @classmethod
    def from_json(cls, data: dict) -> TrainConfig:
        """Inverse of `to_json`. Options missing from older runs keep their defaults, which are what those runs did
        (fitness_shaping centered-ranks, static_init normal, init_weights random), except backend: numpy,
        which stepped every run before the C backend, and weight_norm: max for a Hebbian CarRacing run, which always
        normalised so; options stored under an old name (morphologies, carracing_backend, policy_backend; backend
        local or ray as executor) are read under the new one; keys no option has any more are ignored."""
        names = {item.name for item, _ in option_fields(cls)}
        data = executor_from_backend(data, warn=False)
        values = {name: value for name, value in renamed_options(cls, data).items() if name in names}
        for name in ("run_dir", "resume", "init_from"):
            if values.get(name) is not None:
                values[name] = Path(values[name])
        values.setdefault("backend", "numpy")
        if data.get("env") == "carracing" and data.get("rule", "ABCD_lr") != "static":
            values.setdefault("weight_norm", "max")
        return cls.from_options(values)


def executor_from_backend(values: dict[str, Any], warn: bool = True) -> dict[str, Any]:
    """Flat options with `backend` local or ray, what --backend meant before it named the runtime backend (as in
    hebbkit eval), moved to `executor`, with a one-line warning on stderr (`warn`: a flag given, not an older
    config.json); other options unchanged."""
    if values.get("backend") not in EXECUTORS:
        return values
    executor = values["backend"]
    if warn:
        print(f"hebbkit train: warning: --backend {executor} is deprecated, use --executor {executor} (--backend "
              "now names the runtime backend, as in hebbkit eval)", file=sys.stderr)
    return {**{name: value for name, value in values.items() if name != "backend"}, "executor": executor}


SERVO_PROPRIO = {"robot": "servo_quadruped", "observation": "proprio", "actuation": "position",
                 "bodies": ("standard",), "domain_randomization": True, "episodes": 2}
"""The deployable servo model's task (preset servo-proprio), which its variants extend."""

A1_ROBUST = {"robot": "unitree_a1", "observation": "proprio_contacts_action", "actuation": "position",
             "bodies": ("standard",), "body_distribution": "leg-scales-motors", "bodies_per_generation": 2,
             "domain_randomization": True, "early_stop_clock": "policy"}
"""The Unitree A1's task (presets a1-robust, a1-static; experiments/run_a1.sh): what a real A1 measures, position
targets, bodies and actuators randomised as the Ant study found best (ant-robust's bodies per generation, with the
weakened legs of leg-scales-motors), per-episode sim-to-real perturbations, and the seed code's early-stop clock
(docs/experiments.md, "T4, measured": with it the paper's Ant protocol walked further at equal env steps)."""

PRESETS: dict[str, dict] = {
    "ant-paper": {},
    "ant-static": {"rule": "static", "static_init": "fan-in-uniform"},
    "servo-proprio": SERVO_PROPRIO,
    # servo-proprio's budget per generation, but each candidate scored by the worse of its two randomised episodes
    "servo-proprio-worst": {**SERVO_PROPRIO, "episode_aggregate": "min"},
    "ant-proprio": {"observation": "proprio", "actuation": "position", "domain_randomization": True},
    "carracing-paper": {"env": "carracing", "population": 200, "generations": 300, "bodies": ("standard",),
                        "burn_in": 0, "weight_norm": "max"},
    "carracing-static": {"env": "carracing", "population": 200, "generations": 300, "bodies": ("standard",),
                         "burn_in": 0, "rule": "static", "static_init": "fan-in-uniform"},
    "ant-robust": {"bodies": ("standard",), "body_distribution": "leg-scales", "bodies_per_generation": 2},
    "ant-robust-motors": {"bodies": ("standard",), "body_distribution": "leg-scales-motors",
                          "bodies_per_generation": 2},
    # the like-for-like baseline: ant-robust's protocol (bodies, ES, seed) with static weights from ant-static's start
    "ant-static-robust": {"bodies": ("standard",), "body_distribution": "leg-scales", "bodies_per_generation": 2,
                          "rule": "static", "static_init": "fan-in-uniform"},
    "a1-robust": A1_ROBUST,
    "a1-static": {**A1_ROBUST, "rule": "static", "static_init": "fan-in-uniform"},
    # a1-static's fallback start when its static weights stand still under the full protocol (experiments/run_a1.sh):
    # the standard body alone, no sampled bodies or randomisation, as ant-static trained on fixed bodies first
    "a1-static-standard": {**A1_ROBUST, "rule": "static", "static_init": "fan-in-uniform", "body_distribution": None,
                           "domain_randomization": False},
    "smoke": {"generations": 2, "population": 4, "max_steps": 50, "burn_in": 5, "bodies": ("standard",),
              "hidden": (16,), "workers": 2, "progress": False},
}
"""Named starting points: flat options over the defaults."""


def resolve_config(overrides: dict) -> TrainConfig:
    """A preset (overrides["config"], default ant-paper) with explicit overrides (flat options) applied."""
    name = overrides.get("config", "ant-paper")
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; expected one of {sorted(PRESETS)}")
    return TrainConfig.from_options({**PRESETS[name], **overrides, "config": name})


RESUMABLE_FIELDS = ("generations", "env_steps_budget", "executor", "workers", "ray_address", "progress",
                    "tensorboard")
"""What may change when a run is resumed: its budget and where it runs. Everything else is the run's identity."""


def resumed_config(stored: TrainConfig, directory: Path, given: dict) -> TrainConfig:
    """The stored config of the run in `directory` with the `RESUMABLE_FIELDS` among `given` applied."""
    return replace(stored, **{name: given[name] for name in RESUMABLE_FIELDS if name in given}, resume=directory,
                   run_dir=directory)


def resume_config(stored: TrainConfig, directory: Path, given: dict) -> TrainConfig:
    """`resumed_config`, after refusing any other `given` option that differs from the stored one (it would
    silently change the run)."""
    options = stored.options()
    changed = sorted(name for name, value in given.items()
                     if name not in (*RESUMABLE_FIELDS, "resume", "run_dir") and options[name] != value)
    if changed:
        detail = ", ".join(f"--{name.replace('_', '-')} (run: {options[name]!r}, given: {given[name]!r})"
                           for name in changed)
        raise ConfigError(f"a resumed run keeps its settings; only {', '.join(RESUMABLE_FIELDS)} may change. "
                          f"Refused: {detail}. Start a new run (--run-dir) to change them")
    return resumed_config(stored, directory, given)


def resolve_policy_backend(name: str) -> str:
    """"auto" -> "c" when the C kernel builds here, else "numpy" (with a note); other names are checked."""
    if name not in POLICY_BACKENDS:
        raise ConfigError(f"backend must be auto, c, numpy or onnx, got {name!r}")
    if name != "auto":
        return name
    from hebbkit.runtime.backends.c_backend import KernelBuildError, kernel_library

    try:
        kernel_library()
    except KernelBuildError as error:
        print(f"(policy backend: numpy, since the C kernel is unavailable: {error})", file=sys.stderr)
        return "numpy"
    return "c"


def network_for(config: TrainConfig, n_inputs: int, n_outputs: int) -> NetworkSpec:
    """The network a run trains: `hidden` tanh layers between the robot's observations and actions (CarRacing:
    the conv front end, then plastic layers with a raw output in the update and the car's action head), with the
    config's weight normalisation and initial weights (random per episode, or stored: evolved)."""
    if config.rule == "static" and config.rule_family != "synapse":
        raise ConfigError(f"rule static evolves the weights, not a rule: rule_family must be 'synapse', got "
                          f"{config.rule_family!r}")
    if config.task.env == "carracing":  # conv front end -> plastic 648-128-64-3, raw output in the update
        from hebbkit.runtime.frontend import CARRACING_FRONTEND

        sizes = (CARRACING_FRONTEND.output_size, *config.hidden, n_outputs)
        car = {"layer_sizes": sizes, "activations": ("tanh",) * (len(sizes) - 2) + ("identity",),
               "action_head": ("tanh", "sigmoid", "sigmoid"), "frontend": CARRACING_FRONTEND}
        if config.rule == "static":  # the static baseline: weights evolved, nothing to normalise after updates
            return NetworkSpec(**car, rule="static", init=WeightInit("stored"))
        return NetworkSpec(**car, **hebbian_options(config))
    sizes = (n_inputs, *config.hidden, n_outputs)
    activations = ("tanh",) * (len(sizes) - 1)
    if config.rule == "static":
        return NetworkSpec(layer_sizes=sizes, activations=activations, rule="static", init=WeightInit("stored"))
    return NetworkSpec(layer_sizes=sizes, activations=activations, **hebbian_options(config))


def hebbian_options(config: TrainConfig) -> dict[str, Any]:
    """The `NetworkSpec` fields a Hebbian run's config sets: rule, family, weight normalisation, initial weights."""
    init = WeightInit("stored") if config.init_weights == "evolved" else WeightInit()
    return {"rule": config.rule, "family": config.rule_family, "weight_norm": config.weight_norm, "init": init}
