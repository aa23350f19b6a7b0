"""What a training run shows while it runs: a progress bar with ETA (or one line per generation), and the log rows
as TensorBoard scalars in RUN_DIR/tensorboard. Both are optional extras: without tqdm or tensorboard the run
prints lines and logs to log.csv only.

Progress counts whichever limit ends the run: env steps when the run has an env-step budget (the bar then counts
millions of env steps and its ETA is the budget's), generations otherwise."""

from __future__ import annotations

import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

PACE_WINDOW = 20  # generations the ETA's pace is measured over


class TrainingMonitor:
    """Progress and TensorBoard scalars of one run, from generation `start` (with `env_steps` already done) to
    `generations`, or to `env_steps_budget` env steps when one is given."""

    def __init__(self, directory: Path, start: int, generations: int, progress: bool = True,
                 tensorboard: bool = True, env_steps_budget: int | None = None, env_steps: int = 0) -> None:
        self._budget = env_steps_budget or None
        self._generations = generations
        # (generation, env steps done, time) at the start and after each of the last PACE_WINDOW generations
        self._marks: deque[tuple[int, int, float]] = deque([(start, env_steps, time.monotonic())],
                                                           maxlen=PACE_WINDOW + 1)
        self._bar = None
        self._scale = 1e6 if (self._budget or 0) >= 1_000_000 else 1.0  # bar units per env step
        if progress:
            self._bar = (_progress_bar(min(env_steps, self._budget) / self._scale, self._budget / self._scale,
                                       "M env steps" if self._scale > 1 else "env steps") if self._budget
                         else _progress_bar(start, generations, "gen"))
        self._board = _tensorboard_writer(directory) if tensorboard else None

    def record(self, row: dict[str, Any]) -> None:
        """One generation's log row (`checkpoints.LOG_FIELDS`)."""
        generation = row["generation"]
        self._marks.append((generation, self._marks[-1][1] + int(row["env_steps"]), time.monotonic()))
        if self._board is not None:
            for key, value in row.items():
                if key != "generation":
                    self._board.add_scalar(f"train/{key}", value, generation)
            self._board.flush()
        mean, center, rate = row["fitness_mean"], row["center_fitness"], row["env_steps_per_second"]
        if self._bar is None:
            print(f"generation {generation}: mean fitness {mean:.2f}, centre {center:.2f}, {rate:.0f} env steps/s"
                  f"{self.progress_text()}", flush=True)
            return
        step = int(row["env_steps"]) / self._scale if self._budget else 1
        self._bar.update(min(step, self._bar.total - self._bar.n))  # the last generation overshoots the budget
        self._bar.set_postfix(mean=f"{mean:.1f}", centre=f"{center:.1f}", steps_s=f"{rate:.0f}")

    def progress_text(self) -> str:
        """How far the run is and when it should end, e.g. "; 113.0 M / 150.0 M env steps (75%), ETA 1 h 27 min":
        the ETA extrapolates the recent pace (wall time per env step, or per generation, over the last
        `PACE_WINDOW` generations), so a pause or a busy spell long ago does not skew it."""
        first_generation, first_steps, first_time = self._marks[0]
        generation, env_steps, _ = self._marks[-1]
        elapsed = time.monotonic() - first_time
        if self._budget:
            done, total, first = env_steps, self._budget, first_steps
            where = f"{_steps(done)} / {_steps(total)} env steps"
        else:
            done, total, first = generation, self._generations, first_generation
            where = f"generation {done} of {total}"
        share = f" ({min(done / total, 1.0):.0%})" if total > 0 else ""
        eta = ""
        if done > first and total > done:
            eta = f", ETA {format_duration(elapsed / (done - first) * (total - done))}"
        return f"; {where}{share}{eta}"

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        if self._board is not None:
            self._board.close()


def format_duration(seconds: float) -> str:
    """A duration for people: "45 s", "12 min", "1 h 27 min", "3 d 4 h"."""
    seconds = max(float(seconds), 0.0)
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def _steps(count: int) -> str:
    return f"{count / 1e6:.1f} M" if count >= 1_000_000 else f"{count:,}"


def _progress_bar(initial: float, total: float, unit: str):
    """A tqdm bar, or None if tqdm is not installed."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    digits = 1 if unit.startswith("M ") else 0
    count = f"{{n:.{digits}f}}/{{total:.{digits}f}} {unit}"
    bar_format = "{l_bar}{bar}| " + count + " [{elapsed}<{remaining}{postfix}]"
    return tqdm(total=total, initial=initial, unit=unit, dynamic_ncols=True,
                bar_format=bar_format if unit != "gen" else None)


def _tensorboard_writer(directory: Path):
    """A TensorBoard writer into RUN_DIR/tensorboard, or None (with a note) if tensorboard is not installed."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        print("(tensorboard not installed: logging to log.csv only; pip install tensorboard)", file=sys.stderr)
        return None
    return SummaryWriter(str(directory / "tensorboard"))
