"""Evolution strategies with an ask/tell interface, explicit state and explicit randomness. They MAXIMISE fitness.

    strategy = OpenAIES(dimension=61_440, config=ESConfig())
    state = strategy.initialize(seed=0)
    for generation in range(100):
        candidates = strategy.ask(state)              # seeds and signs, not noise vectors
        fitness = evaluate(candidates)                # anywhere: a worker rebuilds each candidate from its seed
        state = strategy.tell(state, candidates, fitness)

OpenAI-ES (Salimans et al. 2017) as the paper uses it: antithetic pairs (+eps, -eps) drawn N(0, I) per pair from
`SeedSequence([run_seed, generation, pair])`, centered-rank fitness shaping (optionally standardised to unit
variance, as the paper's code does), L2 weight decay, and plain gradient ascent (SGD, learning rate and sigma
decaying geometrically to a floor) or Adam. Given the same seed, the same fitness values give the same states bit
for bit, wherever the fitness was computed, so a run resumed from a checkpoint continues exactly as if it had never
stopped.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace

import numpy as np

from hebbkit.runtime.errors import ConfigError


@dataclass(frozen=True)
class ESConfig:
    """OpenAI-ES hyper-parameters (defaults: the paper's Ant run). Sigma and the learning rate are multiplied by
    their decay after each generation while above their floor. The help texts are also those of `hebbkit train`."""

    population: int = field(default=128, metadata={"help": "candidates per generation (even: antithetic pairs)"})
    sigma: float = field(default=0.1, metadata={"help": "initial noise scale"})
    sigma_decay: float = field(default=0.999, metadata={"help": "sigma factor per generation"})
    sigma_min: float = field(default=0.01, metadata={"help": "sigma stops decaying below this"})
    learning_rate: float = field(default=0.2, metadata={"help": "initial step size"})
    learning_rate_decay: float = field(default=0.995, metadata={"help": "learning-rate factor per generation"})
    learning_rate_min: float = field(default=0.001, metadata={"help": "learning rate stops decaying below this"})
    optimizer: str = field(default="sgd", metadata={"help": "sgd (the paper's plain gradient ascent) or adam"})
    weight_decay: float = field(default=0.0, metadata={
        "help": "L2 coefficient: the step follows gradient - weight_decay * parameters"})
    init_std: float = field(default=1.0, metadata={"help": "initial parameters ~ N(0, init_std^2) (the paper: 1)"})
    fitness_shaping: str = field(default="centered-ranks", metadata={
        "help": "centered-ranks: ranks mapped onto [-0.5, 0.5] (Salimans et al.); standardized-ranks: the same "
                "divided by their standard deviation, as the paper's code does (a step ~3.4x larger at population "
                "128 for the same learning rate)"})
    adam_beta1: float = field(default=0.9, metadata={"help": "adam: decay of the first moment"})
    adam_beta2: float = field(default=0.999, metadata={"help": "adam: decay of the second moment"})
    adam_epsilon: float = field(default=1e-8, metadata={"help": "adam: added to the second moment's root"})

    def __post_init__(self) -> None:
        if not isinstance(self.population, int) or isinstance(self.population, bool) or self.population < 2:
            raise ConfigError(f"population must be an integer >= 2, got {self.population!r}")
        if self.population % 2:
            raise ConfigError(f"population must be even (antithetic pairs), got {self.population}")
        if self.optimizer not in ("sgd", "adam"):
            raise ConfigError(f"optimizer must be 'sgd' or 'adam', got {self.optimizer!r}")
        if self.fitness_shaping not in FITNESS_SHAPINGS:
            raise ConfigError(f"fitness_shaping must be one of {', '.join(FITNESS_SHAPINGS)}, got "
                              f"{self.fitness_shaping!r}")
        for name in ("sigma", "learning_rate", "init_std"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0 < value < float("inf")):
                raise ConfigError(f"{name} must be a finite number > 0, got {value!r}")


@dataclass(frozen=True)
class ESState:
    """Everything the strategy needs to continue: plain arrays and numbers (see `to_arrays`)."""

    mean: np.ndarray
    sigma: float
    learning_rate: float
    generation: int
    seed: int
    adam_m: np.ndarray
    adam_v: np.ndarray

    def to_arrays(self) -> dict[str, np.ndarray]:
        """For checkpoints (np.savez)."""
        return {
            "mean": self.mean, "sigma": np.array(self.sigma), "learning_rate": np.array(self.learning_rate),
            "generation": np.array(self.generation), "seed": np.array(self.seed), "adam_m": self.adam_m,
            "adam_v": self.adam_v,
        }

    @classmethod
    def from_arrays(cls, arrays) -> ESState:
        """Inverse of `to_arrays`."""
        return cls(
            mean=np.array(arrays["mean"], dtype=np.float64), sigma=float(arrays["sigma"]),
            learning_rate=float(arrays["learning_rate"]), generation=int(arrays["generation"]),
            seed=int(arrays["seed"]), adam_m=np.array(arrays["adam_m"]), adam_v=np.array(arrays["adam_v"]),
        )


@dataclass(frozen=True)
class Candidate:
    """One population member: parameters = mean + sign * sigma * noise(seed_key). Cheap to send to a worker."""

    index: int
    pair: int
    sign: int
    seed_key: tuple[int, int, int]
    sigma: float

    def parameters(self, mean: np.ndarray) -> np.ndarray:
        """Rebuild the candidate's parameter vector from the generation's mean."""
        return mean + self.sign * self.sigma * noise(self.seed_key, mean.size)


@functools.lru_cache(maxsize=2)
def noise(seed_key: tuple[int, ...], dimension: int) -> np.ndarray:
    """The N(0, I) perturbation of one antithetic pair, from its seed key (run seed, generation, pair); read-only.
    The last two are kept: the two candidates of a pair, built one after the other, draw it once."""
    drawn = np.random.default_rng(np.random.SeedSequence(list(seed_key))).standard_normal(dimension)
    drawn.flags.writeable = False
    return drawn


def centered_ranks(fitness: np.ndarray) -> np.ndarray:
    """Fitness shaping: ranks mapped linearly onto [-0.5, 0.5] (ties broken by order)."""
    ranks = np.empty(len(fitness))
    ranks[np.argsort(fitness, kind="stable")] = np.arange(len(fitness))
    return ranks / (len(fitness) - 1) - 0.5


def standardized_ranks(fitness: np.ndarray) -> np.ndarray:
    """Centered ranks divided by their standard deviation (mean 0, variance 1), as the paper's ES code shapes
    fitness; for n candidates the factor is sqrt(12 (n - 1) / (n + 1)), 3.44 at n = 128."""
    ranks = centered_ranks(fitness)
    return ranks / ranks.std()


FITNESS_SHAPINGS = {"centered-ranks": centered_ranks, "standardized-ranks": standardized_ranks}


class OpenAIES:
    """OpenAI-ES over a flat parameter vector of `dimension` entries; maximises fitness."""

    def __init__(self, dimension: int, config: ESConfig = ESConfig()) -> None:
        self.dimension = int(dimension)
        self.config = config

    def initialize(self, seed: int, mean: np.ndarray | None = None) -> ESState:
        """The first state: mean ~ N(0, init_std^2) from `seed` (or the given `mean`)."""
        if mean is None:
            rng = np.random.default_rng(np.random.SeedSequence([seed, 2**31 - 1]))
            mean = rng.standard_normal(self.dimension) * self.config.init_std
        mean = np.array(mean, dtype=np.float64)
        if mean.shape != (self.dimension,):
            raise ConfigError(f"initial mean should have {self.dimension} entries, found {mean.shape}")
        return ESState(mean=mean, sigma=self.config.sigma, learning_rate=self.config.learning_rate, generation=0,
                       seed=int(seed), adam_m=np.zeros(self.dimension), adam_v=np.zeros(self.dimension))

    def ask(self, state: ESState) -> list[Candidate]:
        """This generation's candidates, antithetic pairs next to each other (+ then -)."""
        candidates: list[Candidate] = []
        for pair in range(self.config.population // 2):
            key = (state.seed, state.generation, pair)
            for sign in (1, -1):
                candidates.append(Candidate(len(candidates), pair, sign, key, state.sigma))
        return candidates

    def tell(self, state: ESState, candidates: list[Candidate], fitness: np.ndarray) -> ESState:
        """The next state from the candidates' fitness (higher is better)."""
        fitness = np.asarray(fitness, dtype=np.float64)
        if fitness.shape != (len(candidates),):
            raise ConfigError(f"expected {len(candidates)} fitness values, found {fitness.shape}")
        if not np.isfinite(fitness).all():
            raise ConfigError("fitness holds NaN/Inf; every candidate needs a finite fitness")
        shaped = FITNESS_SHAPINGS[self.config.fitness_shaping](fitness)
        gradient = np.zeros(self.dimension)
        for pair in range(len(candidates) // 2):
            plus, minus = candidates[2 * pair], candidates[2 * pair + 1]
            gradient += (shaped[plus.index] - shaped[minus.index]) * noise(plus.seed_key, self.dimension)
        gradient /= len(candidates) * state.sigma
        gradient -= self.config.weight_decay * state.mean
        config = self.config
        adam_m, adam_v = state.adam_m, state.adam_v
        if config.optimizer == "sgd":
            step = state.learning_rate * gradient
        else:
            t = state.generation + 1
            adam_m = config.adam_beta1 * adam_m + (1 - config.adam_beta1) * gradient
            adam_v = config.adam_beta2 * adam_v + (1 - config.adam_beta2) * gradient**2
            corrected = adam_m / (1 - config.adam_beta1**t)
            scale = np.sqrt(adam_v / (1 - config.adam_beta2**t)) + config.adam_epsilon
            step = state.learning_rate * corrected / scale
        return replace(
            state,
            mean=state.mean + step,
            sigma=state.sigma * config.sigma_decay if state.sigma > config.sigma_min else state.sigma,
            learning_rate=(state.learning_rate * config.learning_rate_decay
                           if state.learning_rate > config.learning_rate_min else state.learning_rate),
            generation=state.generation + 1,
            adam_m=adam_m,
            adam_v=adam_v,
        )
