"""The run's progress lines: how far (env steps against the budget, or generations) and when it should end."""

from __future__ import annotations

import pytest

from hebbkit.trainer import monitor as monitor_module
from hebbkit.trainer.monitor import TrainingMonitor, format_duration


def _row(generation: int, env_steps: int) -> dict:
    return {"generation": generation, "fitness_mean": 1.0, "center_fitness": 2.0, "env_steps": env_steps,
            "env_steps_per_second": 1000.0}


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> _Clock:
    fake = _Clock()
    monkeypatch.setattr(monitor_module.time, "monotonic", fake)
    return fake


def test_budgeted_run_reports_env_steps_against_the_budget_and_an_eta(tmp_path, capsys, clock):
    # resumed at 100 M of 150 M: 1 M env steps per 60 s from here on leaves 49 M, 49 min
    monitor = TrainingMonitor(tmp_path, start=300, generations=100000, progress=False, tensorboard=False,
                              env_steps_budget=150_000_000, env_steps=100_000_000)
    clock.now += 60.0
    monitor.record(_row(301, 1_000_000))
    line = capsys.readouterr().out.strip()
    assert line == ("generation 301: mean fitness 1.00, centre 2.00, 1000 env steps/s; "
                    "101.0 M / 150.0 M env steps (67%), ETA 49 min")


def test_run_without_budget_reports_generations(tmp_path, capsys, clock):
    monitor = TrainingMonitor(tmp_path, start=10, generations=100, progress=False, tensorboard=False)
    clock.now += 30.0
    monitor.record(_row(11, 5000))
    assert capsys.readouterr().out.strip().endswith("; generation 11 of 100 (11%), ETA 44 min")


def test_last_generation_has_no_eta(tmp_path, capsys, clock):
    monitor = TrainingMonitor(tmp_path, start=0, generations=1, progress=False, tensorboard=False,
                              env_steps_budget=1000, env_steps=0)
    clock.now += 1.0
    monitor.record(_row(1, 1200))
    assert capsys.readouterr().out.strip().endswith("; 1,200 / 1,000 env steps (100%)")


def test_progress_bar_counts_env_steps_when_budgeted(tmp_path, clock):
    pytest.importorskip("tqdm")
    monitor = TrainingMonitor(tmp_path, start=5, generations=100000, progress=True, tensorboard=False,
                              env_steps_budget=20_000_000, env_steps=2_000_000)
    monitor.record(_row(6, 500_000))
    assert monitor._bar.total == pytest.approx(20.0) and monitor._bar.n == pytest.approx(2.5)
    monitor.close()


@pytest.mark.parametrize("seconds, text", [(-3, "0 s"), (45.4, "45 s"), (720, "12 min"), (5220, "1 h 27 min"),
                                            (3 * 86400 + 4 * 3600, "3 d 4 h")])
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


def test_progress_bar_stops_at_the_budget_when_the_last_generation_overshoots(tmp_path, clock):
    pytest.importorskip("tqdm")
    monitor = TrainingMonitor(tmp_path, start=0, generations=100000, progress=True, tensorboard=False,
                              env_steps_budget=6000, env_steps=0)
    monitor.record(_row(1, 4000))
    monitor.record(_row(2, 4000))
    assert monitor._bar.total == 6000 and monitor._bar.n == 6000
    monitor.close()


def test_eta_follows_the_recent_pace_not_a_pause_long_ago(tmp_path, capsys, clock):
    monitor = TrainingMonitor(tmp_path, start=0, generations=1000, progress=False, tensorboard=False)
    clock.now += 3600.0  # the first generation took an hour (the run was paused)
    monitor.record(_row(1, 100))
    for generation in range(2, 2 + monitor_module.PACE_WINDOW):
        clock.now += 60.0
        monitor.record(_row(generation, 100))
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert monitor_module.PACE_WINDOW == 20
    assert line.endswith("; generation 21 of 1000 (2%), ETA 16 h 19 min")  # 979 generations at 60 s each
