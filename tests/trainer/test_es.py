"""OpenAI-ES: shaping, antithetic sampling, reproducibility, and convergence on known objectives."""

from __future__ import annotations

import numpy as np
import pytest

from hebbkit.runtime import ConfigError
from hebbkit.trainer.es import ESConfig, ESState, OpenAIES, centered_ranks, noise, standardized_ranks


def optimise(objective, dimension, config, generations, seed=0):
    strategy = OpenAIES(dimension, config)
    state = strategy.initialize(seed)
    for _ in range(generations):
        candidates = strategy.ask(state)
        fitness = np.array([objective(c.parameters(state.mean)) for c in candidates])
        state = strategy.tell(state, candidates, fitness)
    return state


def sphere(x):
    return -float(np.sum((x - 0.5) ** 2))  # maximum 0 at x = 0.5


def rastrigin(x):
    return -float(10 * x.size + np.sum(x**2 - 10 * np.cos(2 * np.pi * x)))  # maximum 0 at x = 0


def test_centered_ranks():
    np.testing.assert_allclose(centered_ranks(np.array([10.0, -3.0, 7.0])), [0.5, -0.5, 0.0])


def test_standardized_ranks_keep_the_order_with_unit_variance():
    fitness = np.random.default_rng(0).normal(size=128)
    shaped = standardized_ranks(fitness)
    assert shaped.mean() == pytest.approx(0.0, abs=1e-12) and shaped.std() == pytest.approx(1.0)
    np.testing.assert_array_equal(np.argsort(shaped), np.argsort(centered_ranks(fitness)))
    # the factor over centered ranks: sqrt(12 (n - 1) / (n + 1)), 3.44 at the paper's population of 128
    assert shaped.max() / centered_ranks(fitness).max() == pytest.approx(np.sqrt(12 * 127 / 129))


def paper_code_update(mean, noises, fitness, sigma, learning_rate):
    """The update of the paper's ES code written out: every member's noise (antithetic pairs +e, -e), its centered
    rank standardised to unit variance, mean + lr / (n sigma) * sum_i noise_i shaped_i."""
    n = len(fitness)
    ranks = np.empty(n)
    ranks[np.argsort(fitness)] = np.arange(n)
    shaped = ranks / (n - 1) - 0.5
    shaped = (shaped - shaped.mean()) / shaped.std()
    return mean + learning_rate / (n * sigma) * (np.array(noises).T @ shaped)


def test_standardized_ranks_step_as_the_papers_code():
    config = ESConfig(population=8, fitness_shaping="standardized-ranks")
    strategy = OpenAIES(6, config)
    state = strategy.initialize(2)
    candidates = strategy.ask(state)
    fitness = np.random.default_rng(1).normal(size=8)
    noises = [(candidate.parameters(state.mean) - state.mean) / state.sigma for candidate in candidates]
    expected = paper_code_update(state.mean, noises, fitness, state.sigma, state.learning_rate)
    np.testing.assert_allclose(strategy.tell(state, candidates, fitness).mean, expected, rtol=1e-10, atol=1e-12)
    # centered ranks take the same direction, the step smaller by the standard deviation of the ranks
    plain = OpenAIES(6, ESConfig(population=8)).tell(state, candidates, fitness).mean - state.mean
    np.testing.assert_allclose(plain * np.sqrt(12 * 7 / 9), expected - state.mean, rtol=1e-10, atol=1e-12)


def test_unknown_fitness_shaping_is_refused():
    with pytest.raises(ConfigError, match="fitness_shaping must be one of centered-ranks, standardized-ranks"):
        ESConfig(fitness_shaping="z-scores")


def test_candidates_are_antithetic_pairs_rebuilt_from_seeds():
    strategy = OpenAIES(5, ESConfig(population=4))
    state = strategy.initialize(3)
    plus, minus, other, _ = strategy.ask(state)
    np.testing.assert_allclose(plus.parameters(state.mean) + minus.parameters(state.mean), 2 * state.mean)
    assert plus.seed_key == minus.seed_key != other.seed_key
    np.testing.assert_array_equal(noise(plus.seed_key, 5), noise((3, 0, 0), 5))


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_converges_on_the_sphere(optimizer):
    config = ESConfig(population=50, sigma=0.1, sigma_decay=1.0, learning_rate=0.05 if optimizer == "sgd" else 0.03,
                      learning_rate_decay=1.0, optimizer=optimizer, init_std=1.0)
    start = sphere(OpenAIES(10, config).initialize(0).mean)
    state = optimise(sphere, 10, config, 300)
    assert sphere(state.mean) > 0.02 * start  # from about -27 to within 2%
    assert np.abs(state.mean - 0.5).max() < 0.2


def test_improves_rastrigin_towards_a_good_basin():
    config = ESConfig(population=100, sigma=0.5, sigma_decay=0.99, sigma_min=0.05, learning_rate=0.02,
                      learning_rate_decay=1.0, optimizer="adam", init_std=2.0)
    start = rastrigin(OpenAIES(6, config).initialize(1).mean)
    state = optimise(rastrigin, 6, config, 200, seed=1)
    assert rastrigin(state.mean) > 0.5 * start and rastrigin(state.mean) > -25


def test_schedules_decay_to_their_floors():
    config = ESConfig(population=2, sigma=0.1, sigma_decay=0.5, sigma_min=0.03, learning_rate=0.2,
                      learning_rate_decay=0.5, learning_rate_min=0.05)
    state = optimise(sphere, 3, config, 5)
    # decays while above the floor, as the original: 0.1, 0.05, 0.025 (stop) and 0.2, 0.1, 0.05 (stop)
    assert state.sigma == pytest.approx(0.025) and state.learning_rate == pytest.approx(0.05)
    assert state.generation == 5


def test_weight_decay_pulls_towards_zero_when_fitness_is_flat():
    config = ESConfig(population=4, weight_decay=0.5, learning_rate=0.1, learning_rate_decay=1.0)
    state = optimise(lambda x: 0.0, 4, config, 10)
    assert np.abs(state.mean).sum() < np.abs(OpenAIES(4, config).initialize(0).mean).sum()


def test_same_seed_same_run_and_state_round_trips():
    config = ESConfig(population=6, optimizer="adam")
    a, b = optimise(sphere, 7, config, 5, seed=4), optimise(sphere, 7, config, 5, seed=4)
    np.testing.assert_array_equal(a.mean, b.mean)
    restored = ESState.from_arrays(a.to_arrays())
    np.testing.assert_array_equal(restored.mean, a.mean)
    assert restored.generation == a.generation and restored.sigma == a.sigma
    np.testing.assert_array_equal(restored.adam_v, a.adam_v)
    assert not np.array_equal(optimise(sphere, 7, config, 5, seed=5).mean, a.mean)


def test_bad_input_is_refused():
    with pytest.raises(ConfigError, match="even"):
        ESConfig(population=5)
    strategy = OpenAIES(3, ESConfig(population=2))
    state = strategy.initialize(0)
    with pytest.raises(ConfigError, match="NaN"):
        strategy.tell(state, strategy.ask(state), np.array([1.0, np.nan]))
    with pytest.raises(ConfigError, match="expected 2 fitness"):
        strategy.tell(state, strategy.ask(state), np.array([1.0]))


def test_a_pairs_noise_is_drawn_once_and_cannot_be_changed_by_a_caller():
    first = noise((0, 3, 7), 1000)
    assert noise((0, 3, 7), 1000) is first  # the pair's second candidate reuses it
    with pytest.raises(ValueError):
        first[0] = 1.0
    noise((0, 3, 8), 1000), noise((0, 3, 9), 1000)
    again = noise((0, 3, 7), 1000)  # evicted, drawn anew: the same numbers
    assert again is not first and np.array_equal(again, first)
